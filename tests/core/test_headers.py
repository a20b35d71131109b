"""Security headers on every response (error pages included), cookies and CSRF."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from tests.conftest import signed_in
from tests.core.prod import load_prod_settings, prod_env
from tests.world import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_errors")]

HTTPS_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_REDIRECT_EXEMPT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "LANGUAGE_COOKIE_SECURE",
]


def csp_directives(response: Any) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


def assert_security_headers(response: Any) -> None:
    csp = csp_directives(response)
    scripts = csp["script-src"]
    # Django adds the nonce only to responses whose template used it; without it
    # the policy is stricter still ('self' only). Inline script is never allowed.
    assert scripts[0] == "'self'"
    assert "'unsafe-inline'" not in scripts
    assert "'unsafe-eval'" not in scripts
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] in {
        "same-origin",
        "strict-origin-when-cross-origin",
        "no-referrer",
    }
    assert response["X-Frame-Options"] == "DENY"
    body = response.content.decode() if not getattr(response, "streaming", False) else ""
    tags = re.findall(r"<script\b[^>]*>", body)
    if tags:
        [nonce] = [source[7:-1] for source in scripts if source.startswith("'nonce-")]
        for tag in tags:
            assert f'nonce="{nonce}"' in tag, f"script without the response's nonce: {tag}"
        assert " style=" not in body, "inline style attributes are blocked by the CSP"


@pytest.fixture
def world_client(world):
    return signed_in(world.dana)


def _error_client() -> Client:
    return Client(raise_request_exception=False)


@pytest.mark.parametrize(
    ("who", "method", "path", "status"),
    [
        ("anonymous", "get", "/", 200),
        ("dana", "get", "/coach/", 200),
        ("anonymous", "get", "/accounts/login/", 200),
        ("anonymous", "get", "/healthz", 200),
        ("anonymous", "get", "/api/v1/me", 401),
        ("anonymous", "get", "/no-such-page/", 404),
        ("dana", "get", "/no-such-page/", 404),
        ("anonymous", "get", "/metrics", 404),
        ("dana", "get", "/test-errors/403/", 403),
        ("anonymous", "get", "/test-errors/400/", 400),
        ("anonymous", "get", "/test-errors/500/", 500),
        ("dana", "get", "/test-errors/500/", 500),
    ],
)
def test_every_response_carries_the_security_headers(world, who, method, path, status):
    client = _error_client()
    if who != "anonymous":
        client.force_login(getattr(world, who))
    response = getattr(client, method)(path)
    assert response.status_code == status
    assert_security_headers(response)


@pytest.mark.parametrize("language", ["en", "he"])
def test_error_pages_are_the_site_pages_in_the_viewer_language(world, language):
    client = _error_client()
    client.cookies["loom_language"] = language
    direction = "rtl" if language == "he" else "ltr"
    for path, status in (
        ("/no-such-page/", 404),
        ("/test-errors/403/", 403),
        ("/test-errors/400/", 400),
    ):
        response = client.get(path)
        assert response.status_code == status
        body = response.content.decode()
        assert f'lang="{language}" dir="{direction}"' in body
        assert body.count("<h1") == 1
        assert 'class="site-header"' in body, "rendered in the site layout"
    crash = client.get("/test-errors/500/")
    assert crash.status_code == 500
    assert f'lang="{language}" dir="{direction}"' in crash.content.decode()
    assert "<h1" in crash.content.decode()


def test_bad_host_gets_the_400_page_with_headers(world):
    response = _error_client().get("/", HTTP_HOST="evil.example.com")
    assert response.status_code == 400
    assert_security_headers(response)
    assert "<h1" in response.content.decode()


def test_csrf_failure_is_a_friendly_translated_page(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post("/accounts/login/", {"login": "dana@example.com", "password": PASSWORD})
    assert response.status_code == 403
    assert_security_headers(response)
    body = response.content.decode()
    assert "Please try again" in body
    assert "CSRF verification failed" not in body, "not Django's technical page"
    assert "_auth_user_id" not in client.session


def test_post_with_the_csrf_token_is_accepted(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/accounts/login/")
    token = client.cookies["loom_csrf"].value
    response = client.post(
        "/accounts/login/",
        {"login": "dana@example.com", "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert client.session.get("_auth_user_id") == str(world.dana.pk)


def test_session_cookie_is_httponly_and_samesite(world):
    client = Client()
    response = client.post("/accounts/login/", {"login": "dana@example.com", "password": PASSWORD})
    cookie = response.cookies["loom_session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
    csrf = Client().get("/accounts/login/").cookies["loom_csrf"]
    assert csrf["samesite"] == "Lax"


@pytest.fixture
def prod_https(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    with monkeypatch.context() as patch:
        prod = load_prod_settings(patch, prod_env(tmp_path))
        values = {name: getattr(prod, name) for name in HTTPS_SETTINGS}
    return values


def test_https_under_production_settings_sends_hsts_and_secure_cookies(world, prod_https):
    with override_settings(**prod_https):
        client = Client()
        page = client.get("/accounts/login/", secure=True)
        assert page.status_code == 200
        assert_security_headers(page)
        hsts = page["Strict-Transport-Security"]
        assert "max-age=31536000" in hsts and "includeSubDomains" in hsts
        assert page.cookies["loom_csrf"]["secure"]

        signed = client.post(
            "/accounts/login/", {"login": "dana@example.com", "password": PASSWORD}, secure=True
        )
        session = signed.cookies["loom_session"]
        assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"

        language = client.post("/i18n/setlang/", {"language": "he", "next": "/"}, secure=True)
        assert language.cookies["loom_language"]["secure"]


def test_plain_http_under_production_settings_redirects_except_probes(world, prod_https):
    with override_settings(**prod_https):
        client = Client()
        response = client.get("/accounts/login/")
        assert response.status_code == 301
        assert response["Location"] == "https://testserver/accounts/login/"
        assert "Strict-Transport-Security" not in response, "HSTS only over HTTPS"
        assert client.get("/healthz").status_code == 200
