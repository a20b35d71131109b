"""Bad input outside the forms: query strings, ids in paths, headers and cookies, and the
POST-only actions (buttons) that take a value or two.

No request may cause a 500 (DESIGN.md rule 9), and none of these may write anything
except what the action is for — which, for a refused value, is nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from allauth.usersessions.models import UserSession
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from loom.accounts.models import Invitation, SecurityPolicy
from loom.accounts.selectors import invitation_token_hash
from loom.core.models import OutboxMessage
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in
from tests.security.bad_input import (
    LONG,
    NUL,
    assert_nothing_written,
    assert_refused_page,
    snapshot,
)
from tests.world import World

pytestmark = pytest.mark.django_db

HUGE_ID = "9" * 30
HOSTILE_QUERY_VALUES = (
    LONG,
    NUL,
    "a\x00b",
    "-1",
    "0",
    HUGE_ID,
    "1e309",
    "NaN",
    "%",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "\u202egnp.exe",
    "https://evil.example/",
    "//evil.example/",
    "javascript:alert(1)",
)


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    SecurityPolicy.current()  # a one-row table, filled on its first read by any page
    yield
    cache.clear()


@pytest.fixture
def clients(world: World) -> dict[str, Client]:
    enable_totp(world.admin)
    return {
        "anonymous": Client(),
        "dana": signed_in(world.dana),
        "avi": signed_in(world.avi),
        "admin": signed_in(world.admin),
    }


# --- Query strings ---------------------------------------------------------------------------

# (who, path, parameter names the page reads)
PAGES_WITH_PARAMETERS = (
    ("dana", "/coach/clients/", ("q", "status", "page")),
    ("admin", "/admin-area/outbox/", ("status", "page")),
    ("admin", "/admin-area/sms/", ("page",)),
    ("dana", "/account/security/mfa/", ("next",)),
    ("anonymous", "/accounts/login/", ("next",)),
    ("anonymous", "/accounts/signup/", ("next",)),
    ("anonymous", "/i18n/setlang/", ("next", "language")),
    ("dana", "/accounts/logout/", ("next",)),
    ("dana", "/accounts/reauthenticate/", ("next",)),
    ("dana", "/api/v1/coach/clients", ("q", "status", "page", "page_size")),
    ("admin", "/django-admin/accounts/user/", ("q", "o", "p", "role__exact")),
    ("admin", "/django-admin/core/auditlog/", ("q", "o", "p", "action__exact")),
    (
        "admin",
        "/django-admin/core/outboxmessage/",
        ("q", "o", "p", "status__exact", "channel__exact"),
    ),
)


def _query_cases() -> list[object]:
    return [
        pytest.param(who, path, name, value, id=f"{path}?{name}={value[:20]!r}")
        for who, path, names in PAGES_WITH_PARAMETERS
        for name in names
        for value in HOSTILE_QUERY_VALUES
    ]


@pytest.mark.parametrize(("who", "path", "name", "value"), _query_cases())
def test_hostile_query_parameters_never_fail_and_write_nothing(clients, who, path, name, value):
    before = snapshot()
    response = clients[who].get(path, {name: value})
    assert response.status_code < 500, response.status_code
    assert_nothing_written(before, f"{path}?{name}")
    if value.startswith(("https://", "//", "javascript:")) and response.status_code in (301, 302):
        assert not response["Location"].startswith(("https://evil", "//evil", "javascript:"))


@pytest.mark.parametrize(("who", "path", "names"), PAGES_WITH_PARAMETERS)
def test_repeated_parameters_never_fail(clients, who, path, names):
    query = "&".join(f"{name}=a&{name}=b&{name}[]=c" for name in names)
    response = clients[who].get(f"{path}?{query}")
    assert response.status_code < 500, response.status_code


@pytest.mark.parametrize(
    "query",
    [
        "q=%ff%fe",
        "q=caf%e9",
        "next=%c3%28",
        "q=%ed%a0%80",
        "page=%f0%28%8c%bc",
        "q=a%00b",
        "status=%00",
    ],
)
@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("dana", "/coach/clients/"),
        ("anonymous", "/accounts/login/"),
        ("admin", "/admin-area/outbox/"),
    ],
)
def test_invalid_utf8_or_nul_in_a_query_string_is_a_400_page(clients, who, path, query):
    before = snapshot()
    response = clients[who].get(f"{path}?{query}")
    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert_nothing_written(before, path)


@pytest.mark.parametrize("query", ["q=%ff%fe", "q=a%00b"])
def test_invalid_utf8_or_nul_in_an_api_query_string_is_a_400_problem(clients, query):
    response = clients["dana"].get(f"/api/v1/coach/clients?{query}")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


def test_a_valid_utf8_query_is_not_refused(clients):
    """The check refuses only what does not decode: Hebrew, emoji and '+' are fine."""
    response = clients["dana"].get("/coach/clients/?q=%D7%90%D7%91%D7%99+%F0%9F%98%80")
    assert response.status_code == 200


# --- Ids in paths --------------------------------------------------------------------------

ID_PATHS = (
    ("dana", "post", "/coach/clients/invitations/{id}/resend/"),
    ("dana", "post", "/coach/clients/invitations/{id}/revoke/"),
    ("dana", "get", "/coach/clients/{id}/"),
    ("dana", "get", "/coach/clients/{id}/journal/"),
    ("dana", "post", "/coach/clients/{id}/archive/"),
    ("dana", "post", "/coach/clients/{id}/restore/"),
    ("dana", "get", "/account/avatar/{id}/"),
    ("dana", "post", "/account/security/sessions/{id}/end/"),
    ("admin", "post", "/admin-area/outbox/{id}/retry/"),
    ("dana", "post", "/api/v1/coach/clients/{id}/archive"),
    ("dana", "post", "/api/v1/coach/clients/{id}/restore"),
    ("dana", "post", "/api/v1/coach/invitations/{id}/resend"),
    ("dana", "post", "/api/v1/coach/invitations/{id}/revoke"),
    ("admin", "get", "/django-admin/accounts/user/{id}/change/"),
    ("avi", "post", "/push/subscriptions/{id}/delete/"),
    ("dana", "get", "/messages/{id}/"),
    ("dana", "get", "/messages/{id}/history/"),
    ("dana", "get", "/messages/attachments/{id}/"),
    ("avi", "post", "/notifications/{id}/read/"),
)
BAD_IDS = (HUGE_ID, "-1", "0", "1.5", "abc", "%00", "1%00", "%ff", "1e3", "0x10", " 1")


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(("who", "method", "pattern"), ID_PATHS)
def test_malformed_and_out_of_range_ids_are_not_found(clients, who, method, pattern, bad_id):
    before = snapshot()
    url = pattern.replace("{id}", bad_id)
    response = (
        getattr(clients[who], method)(url, content_type="application/json")
        if url.startswith("/api/")
        else getattr(clients[who], method)(url)
    )
    assert response.status_code in (302, 400, 404, 405, 422), response.status_code
    if response.status_code == 302:
        # The Django admin answers an unknown object with a redirect and a message.
        assert pattern.startswith("/django-admin/")
    assert_nothing_written(before, url)


# --- Headers and cookies -------------------------------------------------------------------

HOSTILE_HEADERS = (
    {"HTTP_USER_AGENT": LONG},
    {"HTTP_USER_AGENT": "Mozilla/5.0 \u202e\u200b<script>"},
    {"HTTP_ACCEPT_LANGUAGE": LONG},
    {"HTTP_ACCEPT_LANGUAGE": "he;q=abc, ;;, xx-" + "y" * 300},
    {"HTTP_X_REQUEST_ID": LONG},
    {"HTTP_X_REQUEST_ID": "../../etc/passwd\r\nSet-Cookie: a=b"},
    {"HTTP_X_FORWARDED_FOR": "not-an-ip, " + "1" * 500},
    {"HTTP_REFERER": LONG},
    {"HTTP_HX_REQUEST": LONG},
    {"HTTP_ACCEPT": LONG},
)


@pytest.mark.parametrize(
    "headers", HOSTILE_HEADERS, ids=lambda h: f"{next(iter(h))}-{len(next(iter(h.values())))}"
)
@pytest.mark.parametrize("who", ["anonymous", "dana", "admin"])
def test_hostile_headers_never_fail(clients, who, headers):
    client = clients[who]
    for path in ("/", "/home/", "/accounts/login/", "/api/v1/me", "/admin-area/", "/healthz"):
        response = client.get(path, **headers)
        assert response.status_code < 500, (path, response.status_code)


@pytest.mark.parametrize(
    "cookie",
    [
        {"sessionid": LONG},
        {"sessionid": "garbage\x7f"},
        {"loom_csrf": LONG},
        {"django_language": "xx" + "y" * 500},
        {"django_language": "../../he"},
        {"mfa_trusted": LONG},
    ],
    ids=lambda c: next(iter(c)),
)
def test_hostile_cookies_never_fail(cookie, world):
    client = Client()
    for name, value in cookie.items():
        client.cookies[name] = value
    for path in ("/", "/accounts/login/", "/api/v1/me", "/coach/"):
        assert client.get(path).status_code < 500, path
    response = client.post("/accounts/login/", {"login": "dana@example.com", "password": "wrong"})
    assert response.status_code < 500


# --- Buttons: POST-only actions that read a value or two --------------------------------------


def test_language_switch_refuses_bad_languages_and_offsite_next(world):
    client = signed_in(world.dana)
    before = snapshot()
    for value in (LONG, NUL, "he\x00", "xx", "../he"):
        response = client.post("/account/language/", {"language": value, "next": "/"})
        assert response.status_code == 302
        assert "django_language" not in response.cookies or response.cookies[
            "django_language"
        ].value in ("en", "he")
    for next_url in (LONG, NUL, "https://evil.example/", "//evil.example", "javascript:alert(1)"):
        response = client.post("/account/language/", {"language": "en", "next": next_url})
        assert response.status_code == 302
        assert not response["Location"].startswith(("https://evil", "//evil", "javascript:"))
    assert_nothing_written(before, "language switch")


def test_ending_other_sessions_ignores_an_offsite_next(world):
    client = signed_in(world.dana)
    for next_url in (LONG, NUL, "https://evil.example/", "//evil.example"):
        response = client.post("/account/security/sessions/end-others/", {"next": next_url})
        assert response.status_code == 302
        assert response["Location"] == "/account/security/sessions/"


def test_deletion_request_with_hostile_values_needs_the_confirmation_box(world):
    client = signed_in(world.avi)
    before = snapshot()
    for data in ({}, {"confirm": ""}, {"confirm": "false"}, {"cancel": LONG}):
        response = client.post("/account/delete/", data)
        assert response.status_code == 400
        assert b"field-errors" in response.content
    assert_nothing_written(before, "deletion request")


def test_security_policy_form_with_hostile_values_never_fails(world):
    enable_totp(world.admin)
    client = signed_in(world.admin)
    SecurityPolicy.current()
    for value in (LONG, NUL, "false", "0", ""):
        response = client.post("/admin-area/security/", {"require_coach_mfa": value})
        assert response.status_code in (200, 302, 400)
    policy = SecurityPolicy.current()
    # Django's checkbox reads "false", "0" and "" as unticked; the last post leaves it off.
    assert policy.require_coach_mfa is False


@pytest.mark.parametrize("tone", [LONG, NUL, "error\x00", "<script>"])
def test_component_gallery_toast_buttons_ignore_hostile_tones(world, tone):
    enable_totp(world.admin)
    client = signed_in(world.admin)
    before = snapshot()
    response = client.post("/admin-area/components/", {"tone": tone})
    assert response.status_code == 302
    assert_nothing_written(before, "gallery")


@pytest.mark.parametrize(
    "data",
    [
        {"action_remove": "", "email": "avi@example.com"},
        {"action_primary": "", "email": "avi@example.com"},
        {"action_send": "", "email": "avi@example.com"},
        {"action_remove": "", "email": LONG},
        {"action_remove": "", "email": "dana@example.com\x00"},
        {"action_primary": "", "email": NUL},
        {"action_send": "", "email": "%ff"},
        {"action_bogus": "", "email": "dana@example.com"},
    ],
    ids=lambda d: f"{next(iter(d))}-{d['email'][:20]!r}",
)
def test_email_address_actions_refuse_other_peoples_and_malformed_addresses(world, data):
    """allauth's email page: the address must be one of the person's own."""
    client = signed_in(world.dana)
    before = snapshot()
    response = client.post("/accounts/email/", data)
    assert response.status_code < 500
    assert_nothing_written(before, f"email {data}")
    assert EmailAddress.objects.filter(
        user=world.avi, email="avi@example.com", primary=True
    ).exists()


def test_ending_another_persons_session_is_not_found(world):
    session = UserSession.objects.create(
        user=world.avi, ip="127.0.0.1", session_key="k" * 32, user_agent="Test/1.0"
    )
    client = signed_in(world.dana)
    before = snapshot()
    response = client.post(f"/account/security/sessions/{session.pk}/end/")
    assert response.status_code == 404
    assert UserSession.objects.filter(pk=session.pk).exists()
    assert_nothing_written(before, "foreign session")


@pytest.mark.parametrize(
    "data",
    [{"sessions": ["abc"]}, {"sessions": [HUGE_ID]}, {"sessions": [NUL]}, {"action": LONG}],
    ids=["text-id", "huge-id", "nul-id", "long-action"],
)
def test_allauth_session_list_refuses_malformed_ids(world, data):
    client = signed_in(world.dana)
    client.get("/accounts/sessions/")
    before = snapshot()
    response = client.post("/accounts/sessions/", data)
    assert response.status_code < 500
    assert_nothing_written(before, "session list")


@pytest.mark.parametrize("action", [LONG, NUL, "send_sms", "sms_code"])
def test_second_step_refuses_actions_the_person_cannot_use(world, action):
    """Dana has an authenticator app but no text codes: SMS actions are not found."""
    from tests.accounts.security_support import password_step

    enable_totp(world.dana)
    client = Client()
    password_step(client, world.dana)
    before = snapshot()
    response = client.post(
        "/account/security/sign-in/verify/", {"action": action, "sms_code": "123456"}
    )
    assert response.status_code in (400, 404)
    assert_nothing_written(before, "second step")


def test_retrying_a_message_that_is_not_dead_is_refused(world):
    enable_totp(world.admin)
    message = OutboxMessage.objects.create(
        channel="email", recipient="x@example.com", status=OutboxMessage.Status.SENT, payload={}
    )
    client = signed_in(world.admin)
    before = snapshot()
    response = client.post(f"/admin-area/outbox/{message.pk}/retry/")
    assert response.status_code == 302
    assert_nothing_written(before, "retry")


def test_resending_a_revoked_or_expired_invitation_is_refused(world):
    revoked = Invitation.objects.create(
        coach=world.dana,
        email="revoked@example.com",
        token_hash=invitation_token_hash("r" * 43),
        expires_at=timezone.now() + timedelta(days=7),
        revoked_at=timezone.now(),
    )
    client = signed_in(world.dana)
    before = snapshot()
    response = client.post(f"/coach/clients/invitations/{revoked.pk}/resend/")
    assert response.status_code == 302
    assert_nothing_written(before, "resend revoked")
    # The refusal is said on the roster page it leads to.
    follow = client.get(response["Location"])
    assert b"This invitation was revoked." in follow.content


def test_the_bad_request_page_is_in_the_site_layout_and_localised(world):
    client = signed_in(world.eli)  # Eli reads Loom in Hebrew
    response = client.get("/coach/clients/?q=%ff")
    assert response.status_code == 400
    body = response.content.decode()
    assert 'lang="he"' in body and 'dir="rtl"' in body
    assert_refused_page(response)


def test_a_form_body_over_the_upload_limit_is_a_400_page(world, settings):
    client = signed_in(world.avi)
    before = snapshot()
    body = b"full_name=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = client.generic(
        "POST", "/account/", body, content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert b"Bad request" in response.content
    assert_nothing_written(before, "oversized form body")
