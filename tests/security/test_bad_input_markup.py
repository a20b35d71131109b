"""Hostile text in names, bios, messages and intake answers: stored as typed, shown as text.

Markup (``<script>``, an attribute break-out with ``onerror``) is ordinary text in a
name: it is saved unchanged and every page, email and API answer that shows it shows
it escaped. Characters that reorder or hide text (bidi overrides, zero-width spaces)
and control characters are refused in one-line fields such as names; in free text
(bios, messages, intake answers) line breaks and bidi marks are allowed, stored
faithfully and shown inside an element that isolates their direction.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.test import Client

from loom.accounts import services
from loom.accounts.models import CoachProfile, Invitation, SecurityPolicy, User
from loom.core.models import OutboxMessage
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in
from tests.security.bad_input import assert_form_error, assert_nothing_written, snapshot

pytestmark = pytest.mark.django_db

SCRIPT = '<script>alert("x")</script>'
BREAKOUT = '"><img src=x onerror=alert(1)>'
HOSTILE_NAME = f"{SCRIPT}{BREAKOUT}"  # 58 characters: within the 120 of a name
RAW_MARKERS = ("<script>alert", "<img src=x onerror", "onerror=alert(1)>")
ESCAPED_SCRIPT = "&lt;script&gt;alert("
RLO = "\u202e"
ZWSP = "\u200b"
HIDDEN_IN_NAMES = (
    pytest.param(f"Avi {RLO}gnp.exe", id="right-to-left-override"),
    pytest.param(f"Da{ZWSP}na Levi", id="zero-width-space"),
    pytest.param("Avi\u2066Mizrahi", id="left-to-right-isolate"),
    pytest.param("\ufeffAvi", id="byte-order-mark"),
    pytest.param("Avi\nMizrahi", id="line-break"),
    pytest.param("Avi\x1b[31mMizrahi", id="terminal-escape"),
    pytest.param("Avi\x7f", id="delete-character"),
)
FREE_TEXT = f"Line one {SCRIPT}\nשורה שתיים {RLO}reversed{ZWSP}\n{BREAKOUT}"


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    cache.clear()
    SecurityPolicy.current()
    yield
    cache.clear()


def _assert_escaped(body: str, where: str, *, expect_shown: bool = True) -> None:
    for marker in RAW_MARKERS:
        assert marker not in body, f"{where}: unescaped {marker!r}"
    if expect_shown:
        assert ESCAPED_SCRIPT in body, f"{where}: the hostile text is not shown at all"


class _Isolation(HTMLParser):
    """Records, for every text node holding ``needle``, whether an ancestor isolates it."""

    ISOLATING_TAGS = frozenset({"bdi", "textarea", "blockquote", "pre"})
    VOID = frozenset({"br", "img", "input", "meta", "link", "hr", "source", "col", "wbr"})

    def __init__(self, needle: str) -> None:
        super().__init__(convert_charrefs=True)
        self.needle = needle
        self.stack: list[tuple[str, bool]] = []
        self.found: list[bool] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        isolates = tag in self.ISOLATING_TAGS or any(name == "dir" for name, _ in attrs)
        self.stack.append((tag, isolates))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self.needle in data:
            self.found.append(any(isolates for _tag, isolates in self.stack))


def _assert_isolated(body: str, where: str) -> None:
    parser = _Isolation(RLO)
    parser.feed(body)
    assert parser.found, f"{where}: the text is not shown"
    assert all(parser.found), f"{where}: a bidi override is shown outside an isolating element"


# --- Names with markup -----------------------------------------------------------------------


@pytest.fixture
def hostile(world):
    """Dana (coach) and Avi (her client) renamed through the forms; Dana's coaching profile too."""
    enable_totp(world.admin)
    avi = signed_in(world.avi)
    response = avi.post(
        "/account/", {"full_name": HOSTILE_NAME, "language": "en", "timezone": "Asia/Jerusalem"}
    )
    assert response.status_code == 302
    dana = signed_in(world.dana)
    response = dana.post(
        "/account/", {"full_name": HOSTILE_NAME, "language": "en", "timezone": "America/New_York"}
    )
    assert response.status_code == 302
    response = dana.post(
        "/account/coaching-profile/",
        {
            "coach-headline": HOSTILE_NAME,
            "coach-bio": FREE_TEXT,
            "coach-specialties": f"{SCRIPT}, burnout",
            "coach-languages_spoken": ["en"],
        },
    )
    assert response.status_code == 302, response.content[:300]
    world.avi.refresh_from_db()
    world.dana.refresh_from_db()
    return world


def test_markup_in_names_is_stored_exactly(hostile):
    assert hostile.avi.full_name == HOSTILE_NAME
    assert hostile.dana.full_name == HOSTILE_NAME
    profile = CoachProfile.objects.get(user=hostile.dana)
    assert profile.headline == HOSTILE_NAME
    assert profile.bio == FREE_TEXT
    assert profile.specialties == [SCRIPT, "burnout"]


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("dana", "/coach/"),
        ("dana", "/coach/clients/"),
        ("dana", "/coach/clients/?q=%3Cscript%3E"),
        ("dana", "/coach/clients/{avi}/"),
        ("dana", "/coach/clients/{avi}/journal/"),
        ("dana", "/coach/clients/{avi}/archive/"),
        ("dana", "/account/"),
        ("dana", "/account/security/"),
        ("avi", "/client/"),
        ("avi", "/account/"),
        ("admin", "/django-admin/usersessions/usersession/"),
    ],
)
def test_markup_in_names_is_escaped_on_every_page(hostile, who, path):
    client = signed_in(getattr(hostile, who))
    response = client.get(path.format(avi=hostile.avi.pk))
    assert response.status_code == 200, response.status_code
    _assert_escaped(response.content.decode(), path)


def test_markup_in_names_is_escaped_in_messages_after_an_action(hostile):
    client = signed_in(hostile.dana)
    response = client.post(f"/coach/clients/{hostile.avi.pk}/archive/", follow=True)
    body = response.content.decode()
    assert "was archived" in body
    _assert_escaped(body, "toast after archiving")


def test_markup_in_free_text_is_escaped_and_bidi_marks_are_isolated(hostile):
    client = signed_in(hostile.dana)
    page = client.get("/account/").content.decode()  # the bio, in its textarea
    _assert_escaped(page, "account page bio")
    _assert_isolated(page, "account page bio")
    services.client_intake_update(user=hostile.avi, goals=FREE_TEXT, reason=FREE_TEXT)
    detail = client.get(f"/coach/clients/{hostile.avi.pk}/").content.decode()
    _assert_escaped(detail, "client overview")
    _assert_isolated(detail, "client overview intake answers")


def test_markup_is_plain_text_in_the_json_api(hostile):
    me = signed_in(hostile.avi).get("/api/v1/me")
    assert me["Content-Type"] == "application/json; charset=utf-8"
    assert me["X-Content-Type-Options"] == "nosniff"
    assert me.json()["full_name"] == HOSTILE_NAME
    roster = signed_in(hostile.dana).get("/api/v1/coach/clients")
    names = [item["full_name"] for item in roster.json()["items"]]
    assert HOSTILE_NAME in names


def test_markup_in_an_invitation_is_escaped_in_the_email_and_the_pages(
    hostile, django_capture_on_commit_callbacks
):
    client = signed_in(hostile.dana)
    response = client.post(
        "/coach/clients/invite/",
        {
            "full_name": HOSTILE_NAME,
            "email": "new.person@example.com",
            "language": "en",
            "message": FREE_TEXT,
        },
    )
    assert response.status_code == 302
    invitation = Invitation.objects.get(email="new.person@example.com")
    assert (invitation.full_name, invitation.message) == (HOSTILE_NAME, FREE_TEXT)
    email = OutboxMessage.objects.get(recipient="new.person@example.com").payload
    _assert_escaped(email["html"], "invitation email HTML")
    _assert_isolated(email["html"], "invitation email message")
    assert SCRIPT in email["text"]  # plain text is not HTML: shown as typed
    assert "\n" not in email["subject"] and "<" not in email["subject"].replace(
        hostile.dana.full_name, ""
    )
    roster = client.get("/coach/clients/").content.decode()
    _assert_escaped(roster, "roster with the invitation")
    # The invitation page shows the coach's (hostile) name to the invitee, escaped.
    token = services.invitation_resend(coach=hostile.dana, invitation_id=invitation.pk).token
    page = Client().get(f"/invite/{token}/").content.decode()
    _assert_escaped(page, "invitation page")


def test_markup_is_escaped_on_the_admin_outbox_page(hostile):
    OutboxMessage.objects.create(
        channel="email",
        recipient=HOSTILE_NAME,
        payload={"subject": HOSTILE_NAME},
        status=OutboxMessage.Status.DEAD,
        last_error=HOSTILE_NAME,
    )
    response = signed_in(hostile.admin).get("/admin-area/outbox/?status=dead")
    _assert_escaped(response.content.decode(), "admin outbox")


def test_markup_in_account_emails_is_escaped(hostile):
    """allauth's emails (here the password reset) greet the person by name."""
    Client().post("/accounts/password/reset/", {"email": "dana@example.com"})
    message = OutboxMessage.objects.filter(recipient="dana@example.com").latest("pk").payload
    _assert_escaped(message["html"], "password reset email", expect_shown=False)


# --- Hidden and control characters in one-line fields ---------------------------------------------


@pytest.mark.parametrize("name", HIDDEN_IN_NAMES)
def test_hidden_characters_in_names_are_refused_with_a_field_error(world, name):
    client = signed_in(world.avi)
    before = snapshot()
    response = client.post("/account/", {"full_name": name, "language": "en", "timezone": "UTC"})
    assert_form_error(response, repr(name))
    assert "invisible characters" in response.content.decode()
    assert_nothing_written(before, repr(name))


@pytest.mark.parametrize("name", HIDDEN_IN_NAMES)
def test_hidden_characters_in_names_are_refused_by_the_api(world, name):
    client = signed_in(world.avi)
    before = snapshot()
    response = client.patch(
        "/api/v1/me", json.dumps({"full_name": name}), content_type="application/json"
    )
    assert response.status_code == 422
    assert "full_name" in response.json()["errors"]
    assert_nothing_written(before, repr(name))


@pytest.mark.parametrize("name", HIDDEN_IN_NAMES)
def test_hidden_characters_in_an_invitee_name_or_a_headline_are_refused(world, name):
    client = signed_in(world.dana)
    before = snapshot()
    response = client.post(
        "/coach/clients/invite/",
        {"full_name": name, "email": "new.person@example.com", "language": "en"},
    )
    assert_form_error(response, "invitation")
    response = client.post(
        "/account/coaching-profile/",
        {"coach-headline": name, "coach-specialties": name, "coach-languages_spoken": ["en"]},
    )
    assert_form_error(response, "headline")
    assert_nothing_written(before, repr(name))


def test_names_may_use_the_marks_real_names_need(world):
    """Joiners (Persian, emoji sequences) and direction marks are not hidden characters."""
    client = signed_in(world.avi)
    for name in (
        "می\u200cخواهم",
        "Avi \U0001f469\u200d\U0001f4bb",
        "\u200fאבי מזרחי",
        "Zoë O'Brien-Łukasz",
    ):
        response = client.post(
            "/account/", {"full_name": name, "language": "en", "timezone": "UTC"}
        )
        assert response.status_code == 302, name
        world.avi.refresh_from_db()
        assert world.avi.full_name == name


def test_free_text_keeps_line_breaks_but_refuses_other_control_characters(world):
    services.client_intake_update(user=world.avi, goals="one\ntwo\r\nthree\tfour", reason="")
    client = signed_in(world.avi)
    before = snapshot()
    response = client.post(
        "/account/", {"full_name": "Avi\x07", "language": "en", "timezone": "UTC"}
    )
    assert_form_error(response, "bell character")
    assert_nothing_written(before, "bell")
    with pytest.raises(Exception) as caught:
        services.client_intake_update(user=world.avi, goals="ring \x07", reason="")
    assert "invisible characters" in str(caught.value)
    assert User.objects.get(pk=world.avi.pk).client_profile.goals == "one\ntwo\r\nthree\tfour"
