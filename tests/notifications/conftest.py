"""Notifications tests share the application-role fixture of the RLS tier."""

from tests.security.conftest import app_role  # noqa: F401 (a fixture, used by name)
