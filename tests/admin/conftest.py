"""Fixtures for the Django admin tests."""

from tests.security.conftest import app_role  # noqa: F401 (a fixture, used by name)
