"""Bad input to every form of Loom gets a clear error and writes nothing (issue 2, DESIGN.md rule 9).

Each form below is posted by the person who may use it, starting from a *valid*
submission (``test_the_valid_submission_is_accepted`` proves it is accepted, so
every refusal below is caused by the one bad value and nothing else). Then, one
field at a time: 10,000 characters, a NUL byte, invalid UTF-8 (percent-encoded and
raw bytes in the body) and, where the field has a fixed set of values, malformed
ones. Each must answer with the form and its error (never a 500, never a redirect as
if accepted) and leave every table as it was (see ``tests/security/bad_input.py``
for the two precise exceptions: session bookkeeping and audit rows of refused attempts).

The JSON API, CSRF, tokens, hostile markup and uploads have files of their own
(``test_bad_input_*.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.core.cache import cache
from django.test import Client, TestCase

from loom.accounts.models import CoachClient, Role, SecurityPolicy, User
from loom.accounts.sms_mfa import phone_verification_start
from tests.accounts.security_support import (
    enable_totp,
    last_sms_code,
    password_step,
    reauthenticate,
    stored_totp_secret,
    totp_code,
)
from tests.conftest import signed_in
from tests.factories import InvitationFactory, UserFactory
from tests.security.bad_input import (
    LONG,
    assert_form_error,
    assert_nothing_written,
    assert_refused_page,
    snapshot,
    with_nul,
    written_since,
)
from tests.world import PASSWORD, World

pytestmark = pytest.mark.django_db

FULLWIDTH_DIGITS = "\uff11\uff12\uff13\uff14\uff15\uff16"  # "123456" typed on a CJK keyboard

NEW_PASSWORD = "lantern harbour quietly sings"
PHONE = "+972501234567"
BAD_EMAILS = (
    "not-an-email",
    "a@",
    "@example.com",
    "a@@example.com",
    "a b@example.com",
    "a@example..com",
)
BAD_TIME_ZONES = ("Mars/Olympus_Mons", "../../etc/passwd", "utc", "Asia/Jerusalem ; DROP TABLE")
BAD_LANGUAGES = ("xx", "EN", "en-us-x", "he\n")


@pytest.fixture(autouse=True)
def _fresh_cache(db: None) -> Iterator[None]:
    """allauth's and Loom's throttles count in the cache; every test starts from zero."""
    cache.clear()
    SecurityPolicy.current()  # a one-row table, filled on its first read by any page
    yield
    cache.clear()


# --- The forms ------------------------------------------------------------------------------


@dataclass(frozen=True)
class FormCase:
    """One form: who posts it, where, a valid submission, and what to attack."""

    name: str
    who: str
    url: str
    data: dict[str, Any]
    text: tuple[str, ...]  # free-text fields: 10,000 characters, NUL, invalid UTF-8
    bad_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Called with (world, client) before posting; may return extra or dynamic data.
    prepare: Callable[[World, Client], dict[str, Any] | None] | None = None
    reauthenticate: bool = False
    # Does the valid submission write to the database? (Otherwise it must redirect.)
    writes: bool = True


def _reset_key_url(world: World, client: Client) -> dict[str, Any]:
    """allauth's reset link; opening it keeps the key in the session and redirects."""
    key = default_token_generator.make_token(world.dana)
    response = client.get(f"/accounts/password/reset/key/{user_pk_to_url_str(world.dana)}-{key}/")
    assert response.status_code == 302, response.status_code
    return {"__url__": response["Location"]}


def _invitation_link(world: World, client: Client) -> dict[str, Any]:
    invitation = InvitationFactory(coach=world.dana, email="newcomer@example.com")
    return {"__url__": f"/invite/{invitation.token}/"}


def _totp_activation(world: World, client: Client) -> dict[str, Any]:
    # Opening the page puts a fresh secret in the session; the code must match it.
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200, page.status_code
    secret = client.session["mfa.totp.secret"]
    return {"code": totp_code(secret)}


def _dana_has_totp(world: World, client: Client) -> dict[str, Any]:
    return {"code": totp_code(stored_totp_secret(world.dana))}


def _pending_sign_in(world: World, client: Client) -> dict[str, Any]:
    """Dana, with an authenticator app, has typed her password: the second step waits."""
    secret = enable_totp(world.dana)
    response = password_step(client, world.dana)
    assert response.status_code == 302, response.status_code
    return {"code": totp_code(secret)}


def _pending_phone(world: World, client: Client) -> dict[str, Any]:
    """A code was texted to confirm Dana's new number (delivered through the outbox)."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        phone_verification_start(user=world.dana, phone=PHONE, ip="127.0.0.1")
    return {"sms_code": last_sms_code(PHONE)}


INVITATION = {
    "full_name": "New Person",
    "email": "new.person@example.com",
    "language": "en",
    "message": "Looking forward to working with you.",
}

FORMS: tuple[FormCase, ...] = (
    # allauth, anonymous.
    FormCase(
        "sign-in",
        "anonymous",
        "/accounts/login/",
        {"login": "dana@example.com", "password": PASSWORD},
        text=("login", "password"),
        bad_values={"login": BAD_EMAILS},
        writes=False,
    ),
    FormCase(
        "sign-up",
        "anonymous",
        "/accounts/signup/",
        {"email": "new.coach@example.com", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        text=("email", "password1", "password2"),
        bad_values={"email": BAD_EMAILS},
    ),
    FormCase(
        "password reset request",
        "anonymous",
        "/accounts/password/reset/",
        {"email": "dana@example.com"},
        text=("email",),
        bad_values={"email": BAD_EMAILS},
    ),
    FormCase(
        "password reset from the emailed link",
        "anonymous",
        "",
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        text=("password1", "password2"),
        prepare=_reset_key_url,
    ),
    FormCase(
        "invitation acceptance",
        "anonymous",
        "",
        {
            "full_name": "Tamar Golan",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "timezone": "Asia/Jerusalem",
            "accept_terms": "on",
        },
        text=("full_name", "password1", "password2", "timezone"),
        bad_values={"timezone": BAD_TIME_ZONES},
        prepare=_invitation_link,
    ),
    FormCase(
        "second sign-in step (authenticator code)",
        "anonymous",
        "/account/security/sign-in/verify/",
        {"action": "code"},
        text=("code", "action"),
        bad_values={"code": ("12345", "1234567", "abcdef", "-1", FULLWIDTH_DIGITS)},
        prepare=_pending_sign_in,
    ),
    # allauth, signed in.
    FormCase(
        "password change",
        "dana",
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        text=("oldpassword", "password1", "password2"),
    ),
    FormCase(
        "add an email address",
        "dana",
        "/accounts/email/",
        {"action_add": "", "email": "dana.other@example.com"},
        text=("email",),
        bad_values={"email": BAD_EMAILS},
    ),
    FormCase(
        "confirm the password (re-authentication)",
        "dana",
        "/accounts/reauthenticate/",
        {"password": PASSWORD},
        text=("password",),
        writes=False,
    ),
    FormCase(
        "confirm with an authenticator code (re-authentication)",
        "dana_totp",
        "/accounts/2fa/reauthenticate/",
        {},
        text=("code",),
        bad_values={"code": ("12345", "abcdef")},
        prepare=_dana_has_totp,
    ),
    FormCase(
        "activate an authenticator app",
        "dana",
        "/accounts/2fa/totp/activate/",
        {},
        text=("code",),
        bad_values={"code": ("12345", "abcdef", "000000")},
        prepare=_totp_activation,
        reauthenticate=True,
    ),
    # Loom's security pages.
    FormCase(
        "mobile number for text codes",
        "dana",
        "/account/security/sms/phone/",
        {"phone": PHONE},
        text=("phone",),
        bad_values={"phone": ("not a phone", "0501234567", "+1" + "2" * 20, "+97250abc4567")},
        reauthenticate=True,
    ),
    FormCase(
        "confirm the mobile number",
        "dana",
        "/account/security/sms/phone/confirm/",
        {},
        text=("sms_code",),
        bad_values={"sms_code": ("12345", "abcdef", "1234567")},
        prepare=_pending_phone,
        reauthenticate=True,
    ),
    # The coach's roster.
    FormCase(
        "invite a client",
        "dana",
        "/coach/clients/invite/",
        INVITATION,
        text=("full_name", "email", "message"),
        bad_values={"email": BAD_EMAILS, "language": BAD_LANGUAGES},
    ),
    # Profile and account.
    FormCase(
        "profile",
        "avi",
        "/account/",
        {"full_name": "Avi Mizrahi-Cohen", "language": "he", "timezone": "Europe/Paris"},
        text=("full_name", "timezone"),
        bad_values={"language": BAD_LANGUAGES, "timezone": BAD_TIME_ZONES},
    ),
    FormCase(
        "coaching profile",
        "dana",
        "/account/coaching-profile/",
        {
            "coach-headline": "Leadership coach",
            "coach-bio": "Twenty years of practice.",
            "coach-specialties": "burnout, career change",
            "coach-languages_spoken": ["en", "he"],
        },
        text=("coach-headline", "coach-bio", "coach-specialties"),
        bad_values={"coach-languages_spoken": ("xx", "en\x00")},
    ),
    # Onboarding.
    FormCase(
        "coach onboarding: profile",
        "new_coach",
        "/onboarding/coach/profile/",
        {
            "full_name": "Olga Ben-David",
            "headline": "Career coach",
            "bio": "I help people change careers.",
            "specialties": "career change",
            "languages_spoken": ["en"],
            "timezone": "Europe/Berlin",
        },
        text=("full_name", "headline", "bio", "specialties", "timezone"),
        bad_values={"timezone": BAD_TIME_ZONES, "languages_spoken": ("xx",)},
    ),
    FormCase(
        "coach onboarding: first client",
        "new_coach",
        "/onboarding/coach/invite/",
        INVITATION,
        text=("full_name", "email", "message"),
        bad_values={"email": BAD_EMAILS, "language": BAD_LANGUAGES},
    ),
    FormCase(
        "client onboarding: profile",
        "new_client",
        "/onboarding/client/profile/",
        {"full_name": "Ciara Shalev", "language": "en", "timezone": "Asia/Jerusalem"},
        text=("full_name", "timezone"),
        bad_values={"language": BAD_LANGUAGES, "timezone": BAD_TIME_ZONES},
    ),
    FormCase(
        "client onboarding: intake",
        "new_client",
        "/onboarding/client/intake/",
        {"goals": "Sleep better.", "reason": "A new job."},
        text=("goals", "reason"),
    ),
)


def _new_person(role: str) -> User:
    user = UserFactory(
        role=role,
        email=f"new.{role}@example.com",
        full_name="",
        onboarded=False,
    )
    return user


@pytest.fixture
def people(world: World) -> dict[str, Callable[[], Client]]:
    """A signed-in browser for each name a ``FormCase`` uses."""
    enable_totp(world.admin)
    new_coach = _new_person(Role.COACH)
    new_client = _new_person(Role.CLIENT)
    CoachClient.objects.create(coach=world.dana, client=new_client)

    def dana_totp() -> Client:
        enable_totp(world.dana)
        return signed_in(world.dana)

    return {
        "anonymous": Client,
        "dana": lambda: signed_in(world.dana),
        "dana_totp": dana_totp,
        "avi": lambda: signed_in(world.avi),
        "admin": lambda: signed_in(world.admin),
        "new_coach": lambda: signed_in(new_coach),
        "new_client": lambda: signed_in(new_client),
    }


def _ready(
    case: FormCase, world: World, people: dict[str, Callable[[], Client]]
) -> tuple[Client, str, dict[str, Any]]:
    client = people[case.who]()
    if case.reauthenticate:
        reauthenticate(client)
    data = dict(case.data)
    url = case.url
    if case.prepare is not None:
        extra = case.prepare(world, client) or {}
        url = extra.pop("__url__", url)
        data.update(extra)
    return client, url, data


def _ids(cases: tuple[FormCase, ...]) -> list[str]:
    return [case.name for case in cases]


def _attacks() -> list[Any]:
    """(case, field, value, label): every text field x (overlong, NUL), and every bad value."""
    params = []
    for case in FORMS:
        for name in case.text:
            params.append(pytest.param(case, name, "long", id=f"{case.name}-{name}-10000-chars"))
            params.append(pytest.param(case, name, "nul", id=f"{case.name}-{name}-NUL"))
        for name, values in case.bad_values.items():
            for value in values:
                params.append(pytest.param(case, name, value, id=f"{case.name}-{name}={value!r}"))
    return params


def _bad(data: dict[str, Any], name: str, attack: str) -> dict[str, Any]:
    valid = data.get(name, "")
    if isinstance(valid, list):
        valid = valid[0] if valid else ""
    value = {"long": LONG, "nul": with_nul(str(valid) or "x")}.get(attack, attack)
    return {**data, name: value}


@pytest.mark.parametrize("case", FORMS, ids=_ids(FORMS))
def test_the_valid_submission_is_accepted(case: FormCase, world, people):
    """The starting point of every attack below is accepted: the attacks prove something."""
    client, url, data = _ready(case, world, people)
    before = snapshot()
    response = client.post(url, data)
    assert response.status_code in (200, 302), response.status_code
    if case.writes:
        assert written_since(before), f"{case.name}: the valid submission wrote nothing"
    else:
        assert response.status_code == 302, response.content[:500]


@pytest.mark.parametrize(("case", "name", "attack"), _attacks())
def test_bad_field_values_get_a_form_error_and_write_nothing(case, name, attack, world, people):
    client, url, data = _ready(case, world, people)
    before = snapshot()
    response = client.post(url, _bad(data, name, attack))
    assert_form_error(response, f"{case.name} {name}")
    assert_nothing_written(before, f"{case.name} {name}")


def _raw_body(data: dict[str, Any], name: str, raw: bytes) -> bytes:
    rest = {key: value for key, value in data.items() if key != name}
    return urlencode(rest, doseq=True).encode() + b"&" + quote(name).encode() + b"=" + raw


INVALID_UTF8 = (
    pytest.param(b"%ff%fe", id="percent-encoded-ff-fe"),
    pytest.param(b"Ava%c3%28", id="percent-encoded-broken-sequence"),
    pytest.param(b"\xff\xfeAva", id="raw-ff-fe-bytes"),
    pytest.param(b"%ed%a0%80", id="percent-encoded-surrogate"),
)


def _text_fields() -> list[Any]:
    return [
        pytest.param(case, name, id=f"{case.name}-{name}") for case in FORMS for name in case.text
    ]


@pytest.mark.parametrize("raw", INVALID_UTF8)
@pytest.mark.parametrize(("case", "name"), _text_fields())
def test_invalid_utf8_in_the_body_is_refused_and_writes_nothing(case, name, raw, world, people):
    client, url, data = _ready(case, world, people)
    before = snapshot()
    response = client.generic(
        "POST", url, _raw_body(data, name, raw), content_type="application/x-www-form-urlencoded"
    )
    assert_refused_page(response, f"{case.name} {name}")
    assert_nothing_written(before, f"{case.name} {name}")


@pytest.mark.parametrize("case", FORMS, ids=_ids(FORMS))
def test_invalid_utf8_in_the_query_string_is_refused_and_writes_nothing(case, world, people):
    client, url, data = _ready(case, world, people)
    before = snapshot()
    response = client.post(f"{url}?next=%ff%fe&x=\xff", data)
    assert_refused_page(response, case.name)
    assert_nothing_written(before, case.name)
