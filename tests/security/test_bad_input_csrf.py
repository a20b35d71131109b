"""CSRF: every unsafe request to every URL of Loom, without a valid token, is refused and writes nothing.

The URLs are all of them: Loom's own routes (the authorization matrix's table, which a
test keeps complete), every allauth route, and the Django admin's forms. Each is sent
as each kind of person (anonymous, coach, client, admin) with a valid body, in five
ways: no token, a wrong token, a token but no CSRF cookie, a valid token from another
site's page (``Origin``), and — the control that shows the refusal is the CSRF check's
— with a valid token, which must not get the CSRF refusal.

HTML answers are the CSRF page (``403_csrf.html``); the API answers 403 with a
problem document, or 401 for an anonymous caller (who has no session to ride on).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.middleware.csrf import _get_new_csrf_string  # type: ignore[attr-defined]
from django.test import Client

from loom.accounts.models import SecurityPolicy
from tests.accounts.security_support import enable_totp
from tests.security.bad_input import snapshot, written_since
from tests.security.matrix import build_path, url_patterns
from tests.security.routes import ROUTES
from tests.world import PASSWORD, World

pytestmark = pytest.mark.django_db

CSRF_PAGE = "For your security, this form could not be sent"
ACTORS = ("anonymous", "dana", "avi", "admin")
NEW_PASSWORD = "lantern harbour quietly sings"


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    SecurityPolicy.current()
    yield
    cache.clear()


@dataclass(frozen=True)
class Target:
    """One concrete unsafe request: where, how, with which (valid) body."""

    label: str
    method: str
    path: Any  # a str, or a callable (world) -> str for URLs holding keys or ids
    data: Mapping[str, Any] | None = None


# --- Loom's routes (from the authorization matrix) -------------------------------------------


# Routes that must work without a CSRF token, each with the reason and what protects it.
CSRF_EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST without cookies or a token. The
    # signed token in the URL is the proof, and all it can do is turn emails off
    # (tests/notifications/test_unsubscribe.py covers forged and broken tokens).
    "notifications/unsubscribe/<str:token>/",
}


def _loom_targets() -> list[Target]:
    targets = []
    for route in ROUTES:
        if route.pattern in CSRF_EXEMPT:
            continue
        for method, expectation in route.methods().items():
            if method in ("GET", "HEAD", "OPTIONS"):
                continue
            if all(outcome.status == 405 for outcome in expectation.values()):
                continue  # refused whatever the token: there is nothing to protect
            data = dict(route.data or {})

            def path(world: World, route: Any = route) -> str:
                return build_path(route.pattern, route.args(world) if route.args else {})

            targets.append(Target(f"{route.pattern} {method}", method, path, data))
    return targets


# --- allauth's routes --------------------------------------------------------------------------


def _reset_key_path(world: World) -> str:
    key = default_token_generator.make_token(world.dana)
    return f"/accounts/password/reset/key/{user_pk_to_url_str(world.dana)}-{key}/"


def _confirm_email_path(world: World) -> str:
    address = EmailAddress.objects.create(user=world.dana, email="dana.second@example.com")
    return f"/accounts/confirm-email/{EmailConfirmationHMAC(address).key}/"


ALLAUTH_DATA: dict[str, Any] = {
    "accounts/login/": {"login": "dana@example.com", "password": PASSWORD},
    "accounts/signup/": {
        "email": "new.coach@example.com",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    },
    "accounts/reauthenticate/": {"password": PASSWORD},
    "accounts/email/": {"action_add": "", "email": "another@example.com"},
    "accounts/password/change/": {
        "oldpassword": PASSWORD,
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    },
    "accounts/password/set/": {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    "accounts/password/reset/": {"email": "dana@example.com"},
    "accounts/2fa/trust/": {"action": "trust"},
}
ALLAUTH_PATHS = {
    "accounts/^password/reset/key/(?P<uidb36>[0-9A-Za-z]+)-(?P<key>.+)/$": _reset_key_path,
    "accounts/^confirm-email/(?P<key>[-:\\w]+)/$": _confirm_email_path,
}


def _allauth_targets() -> list[Target]:
    targets = []
    for pattern in url_patterns():
        if not pattern.route.startswith("accounts/"):
            continue
        path = ALLAUTH_PATHS.get(pattern.route, "/" + pattern.route)
        if isinstance(path, str):
            assert not re.search(r"[<(^$]", path), f"give {pattern.route} a path factory"
        data = ALLAUTH_DATA.get(pattern.route, {})
        if pattern.route.startswith("accounts/^password/reset/key"):
            data = {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
        targets.append(Target(pattern.route, "POST", path, data))
    return targets


# --- The Django admin's forms -------------------------------------------------------------------


def _user_change(world: World) -> str:
    return f"/django-admin/accounts/user/{world.avi.pk}/change/"


def _user_delete(world: World) -> str:
    return f"/django-admin/accounts/user/{world.avi.pk}/delete/"


# The Django admin's own sign-in form is replaced by Loom's (a redirect before any form
# is read), so it is not among them.
ADMIN_TARGETS = [
    Target("django-admin logout", "POST", "/django-admin/logout/", {}),
    Target(
        "django-admin user change",
        "POST",
        _user_change,
        {"email": "avi@example.com", "full_name": "Changed"},
    ),
    Target("django-admin user delete", "POST", _user_delete, {"post": "yes"}),
    Target(
        "django-admin outbox action",
        "POST",
        "/django-admin/core/outboxmessage/",
        {"action": "retry_dead_letters", "_selected_action": ["1"]},
    ),
]

TARGETS = _loom_targets() + _allauth_targets() + ADMIN_TARGETS


def test_every_unsafe_endpoint_is_covered():
    """Loom's routes come from the (complete) matrix table; allauth's are enumerated here."""
    covered = {t.label.split(" ")[0] for t in TARGETS} | {route.pattern for route in ROUTES}
    covered |= CSRF_EXEMPT
    missing = [
        p.route
        for p in url_patterns()
        if not p.route.startswith("django-admin/") and p.route not in covered
    ]
    assert not missing, missing
    assert len(TARGETS) > 50


# --- The requests ---------------------------------------------------------------------------------


def _client(world: World, actor: str) -> Client:
    client = Client(enforce_csrf_checks=True)
    if actor != "anonymous":
        client.force_login(getattr(world, actor))
    return client


def _send(client: Client, target: Target, path: str, token: str | None, **extra: Any) -> Any:
    if path.startswith("/api/"):
        headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
        return client.generic(
            target.method,
            path,
            json.dumps(dict(target.data or {})),
            content_type="application/json",
            **headers,
            **extra,
        )
    data = dict(target.data or {})
    if token:
        data["csrfmiddlewaretoken"] = token
    if target.method == "POST":
        return client.post(path, data, **extra)
    return client.generic(target.method, path, **extra)


def _refused_by_csrf(response: Any, path: str, actor: str) -> bool:
    if path.startswith("/api/"):
        if actor == "anonymous" and response.status_code == 401:
            return True
        return (
            response.status_code == 403
            and response["Content-Type"].startswith("application/problem+json")
            and "CSRF" in response.json()["title"]
        )
    return response.status_code == 403 and CSRF_PAGE in response.content.decode()


VARIANTS = ("no token", "wrong token", "no cookie", "other origin")


@pytest.mark.parametrize("target", TARGETS, ids=[t.label for t in TARGETS])
def test_unsafe_requests_without_a_valid_csrf_token_are_refused_and_write_nothing(world, target):
    enable_totp(world.admin)
    failures = []
    for actor in ACTORS:
        for variant in (*VARIANTS, "valid"):
            cache.clear()
            with transaction.atomic():
                path = target.path(world) if callable(target.path) else target.path
                client = _client(world, actor)
                secret = _get_new_csrf_string()
                if variant != "no cookie":
                    client.cookies[settings.CSRF_COOKIE_NAME] = secret
                token = {
                    "no token": None,
                    "wrong token": _get_new_csrf_string(),
                }.get(variant, secret)
                extra = {"HTTP_ORIGIN": "https://evil.example"} if variant == "other origin" else {}
                before = snapshot()
                response = _send(client, target, path, token, **extra)
                refused = _refused_by_csrf(response, path, actor)
                if variant == "valid":
                    if refused and response.status_code == 403:
                        failures.append(
                            f"{actor} valid token: refused as CSRF ({response.status_code})"
                        )
                else:
                    if not refused:
                        failures.append(f"{actor} {variant}: {response.status_code}")
                    changes = written_since(before)
                    if changes:
                        failures.append(f"{actor} {variant}: wrote {changes}")
                transaction.set_rollback(True)
    assert not failures, f"{target.label}:\n" + "\n".join(failures)
