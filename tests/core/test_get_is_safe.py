"""No GET changes state: every parameterless URL, opened by everyone in the world."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

# Bookkeeping that a read may legitimately touch: the audit log (reads of shared
# journals are audited), sessions, the "signed-in devices" list, and the site security
# policy, a one-row table whose row is created on first read.
IGNORED_MODELS = {
    "core.auditlog",
    "sessions.session",
    "usersessions.usersession",
    "accounts.securitypolicy",
    # Presence: a GET (the polling fallback) records that its person is active.
    "core.userstream",
}
_REGEX_SYNTAX = re.compile(r"[\\()\[\]?*+{}|]")


def _parameterless_paths(patterns: list[URLPattern | URLResolver], prefix: str = "") -> list[str]:
    paths: list[str] = []
    for entry in patterns:
        route = str(entry.pattern).removeprefix("^").removesuffix("$").removesuffix(r"\Z")
        if (
            getattr(entry.pattern, "converters", None)
            or _REGEX_SYNTAX.search(route)
            or "<" in route
        ):
            continue
        if isinstance(entry, URLResolver):
            paths += _parameterless_paths(entry.url_patterns, prefix + route)
        else:
            paths.append("/" + prefix + route)
    return sorted(set(paths))


def _row_counts() -> dict[str, int]:
    return {
        model._meta.label_lower: model._default_manager.count()
        for model in apps.get_models()
        if model._meta.label_lower not in IGNORED_MODELS and model._meta.managed
    }


def test_the_url_scan_finds_the_project_pages():
    paths = _parameterless_paths(get_resolver().url_patterns)
    assert {"/", "/coach/", "/client/", "/admin-area/", "/accounts/login/", "/healthz"} <= set(
        paths
    )
    assert not any("<" in path or "(" in path for path in paths)


@pytest.mark.parametrize("who", ["anonymous", "dana", "eli", "avi", "noa", "maya", "admin"])
def test_no_get_request_changes_the_database(world, who):
    if who == "anonymous":
        client = Client()
    else:
        user = getattr(world, who)
        if who == "admin":
            enable_totp(user)
        client = signed_in(user)
    paths = _parameterless_paths(get_resolver().url_patterns)
    before = _row_counts()
    statuses = {path: client.get(path).status_code for path in paths}
    after = _row_counts()
    if after != before:
        changed = {
            label: (before.get(label), count)
            for label, count in after.items()
            if before.get(label) != count
        }
        # Find the culprit for the failure message: replay one path at a time.
        culprits = []
        for path in paths:
            start = _row_counts()
            client.get(path)
            if _row_counts() != start:
                culprits.append(path)
        pytest.fail(f"GET changed {changed} as {who}; paths: {culprits}")
    assert all(status < 500 for status in statuses.values()), statuses
    if who != "anonymous":
        assert client.session.get("_auth_user_id") == str(getattr(world, who).pk), (
            "a GET signed the user out"
        )
