"""The authorization matrix: every URL of Loom, and what each person gets from it.

``test_authorization_matrix.py`` walks every URL pattern (included resolvers and the
API's routes too) and fails for any pattern that is neither a ``Route`` below nor
under a ``Group`` prefix. Adding a URL therefore means adding a line here: say what
an anonymous visitor, Dana (coach), Eli (another coach), Avi (Dana's client), Maya
(Eli's client) and the admin get for GET and for POST (405 when it is refused). For a
URL with an object id, give an ``args`` factory that builds an object of Dana's or
Avi's: Eli and Maya then prove that someone else's id is a 404 (never a 200, a 403
that confirms it exists, or a 500), and ``missing`` checks an id that does not exist.

Requests are made with empty forms and empty JSON bodies: enough to pass or fail
authorization, which is what this table is about. What a valid form does is for
each feature's own tests.

Shorthands (``tests/security/matrix.py``): ``coaches(outcome)`` is a coach-only page
(clients and the admin go to their own home, anonymous visitors to sign in),
``clients(...)`` and ``admins(...)`` likewise, ``signed_in(outcome)`` any signed-in
person, ``everyone(outcome)`` public; ``expect(default, actor=outcome, ...)`` spells
it out. ``HOME`` is a redirect to the actor's own role home, ``LOGIN`` to sign-in.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import timedelta
from typing import Any

from allauth.usersessions.models import UserSession
from django.core.files.base import ContentFile
from django.utils import timezone

from loom.accounts.models import Invitation
from loom.accounts.selectors import invitation_token_hash
from loom.core.models import OutboxMessage
from loom.scheduling.models import AvailabilityOverride, Session, SessionType
from tests.security import route_tables
from tests.security.matrix import (
    ADMIN,
    BAD_REQUEST,
    CLIENT,
    COACH,
    CONFLICT,
    CREATED,
    FORBIDDEN,
    HOME,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Group,
    Outcome,
    Route,
    Sample,
    admins,
    clients,
    coaches,
    everyone,
    expect,
    redirect,
    signed_in,
)
from tests.world import World

INVITATION_TOKEN = "h" * 43
NEW_INVITATION = {"full_name": "New Person", "email": "new.person@example.com", "language": "en"}
# allauth's sign-in and sign-up send signed-in people to the role dispatcher.
SIGNED_IN_GO_HOME = expect(redirect("home"), anonymous=OK)
REAUTHENTICATE = redirect("account_reauthenticate")
NEW_SESSION_TYPE = {"name_en": "Matrix session", "duration_minutes": 45}
NO_CONTENT = Outcome(204)
# Coach-only API endpoints: 401 signed out, 403 for clients and the admin.
COACHES_ONLY = expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=OK)
# A coach-only endpoint on one of Dana's objects: Eli gets 404.
COACH_OWN_OBJECT = expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND)
# An object of Dana's and Avi's: theirs to see, 404 for everyone else.
PARTIES_ONLY = expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=OK, client=OK)


# --- Objects of Dana's and Avi's ------------------------------------------------------------


def dana_invitation(world: World) -> dict[str, Any]:
    invitation = Invitation.objects.create(
        coach=world.dana,
        email="invited@example.com",
        token_hash=invitation_token_hash("i" * 43),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {"invitation_id": invitation.pk}


def avi(world: World) -> dict[str, Any]:
    return {"client_id": world.avi.pk}


def avi_tab(world: World) -> dict[str, Any]:
    return {"client_id": world.avi.pk, "tab": "journal"}


def avi_photo(world: World) -> dict[str, Any]:
    world.avi.avatar.save("avi.webp", ContentFile(b"RIFF\x00\x00\x00\x00WEBP"), save=True)
    return {"user_id": world.avi.pk}


def dana_session(world: World) -> dict[str, Any]:
    session = UserSession.objects.create(
        user=world.dana, ip="127.0.0.1", session_key="h3" * 16, user_agent="Matrix/1.0"
    )
    return {"pk": session.pk}


def dead_letter(world: World) -> dict[str, Any]:
    message = OutboxMessage.objects.create(
        channel="email",
        recipient="someone@example.com",
        status=OutboxMessage.Status.DEAD,
        attempts=8,
        payload={},
    )
    return {"message_id": message.pk}


def open_invitation_link(world: World) -> dict[str, Any]:
    """A valid link of Dana's for a person without an account."""
    Invitation.objects.create(
        coach=world.dana,
        email="newcomer@example.com",
        token_hash=invitation_token_hash(INVITATION_TOKEN),
        expires_at=timezone.now() + timedelta(days=7),
    )
    return {"token": INVITATION_TOKEN}


def _dana_type(world: World) -> SessionType:
    return SessionType.objects.create(coach=world.dana, name_en="Matrix", duration_minutes=60)


def dana_session_type(world: World) -> dict[str, Any]:
    return {"session_type_id": _dana_type(world).pk}


def dana_override(world: World) -> dict[str, Any]:
    override = AvailabilityOverride.objects.create(
        coach=world.dana, date=timezone.now().date() + timedelta(days=30), kind="unavailable_day"
    )
    return {"override_id": override.pk}


def _avi_session(world: World, starts_at: Any, status: str) -> dict[str, Any]:
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=_dana_type(world),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status=status,
    )
    return {"session_id": session.pk}


def avi_requested_session(world: World) -> dict[str, Any]:
    """A request of Avi's with Dana, three days ahead."""
    return _avi_session(world, timezone.now() + timedelta(days=3), "requested")


def avi_running_session(world: World) -> dict[str, Any]:
    """A scheduled session of Avi's with Dana that started five minutes ago."""
    return _avi_session(world, timezone.now() - timedelta(minutes=5), "scheduled")


def step(name: str) -> Any:
    return lambda world: {"step": name}


# --- The table -------------------------------------------------------------------------------

ROUTES: tuple[Route, ...] = (
    # Public pages and the role dispatcher.
    Route("", get=expect(HOME, anonymous=OK), post=expect(HOME, anonymous=OK)),
    Route("home/", get=signed_in(HOME), post=signed_in(HOME)),
    Route("legal/terms/", get=everyone(OK), post=everyone(OK), note="A static page."),
    Route("legal/privacy/", get=everyone(OK), post=everyone(OK), note="A static page."),
    Route(
        "i18n/setlang/",
        get=everyone(redirect()),
        post=everyone(redirect()),
        note="Django's view: GET only redirects back, POST sets the language cookie.",
    ),
    Route("healthz", get=everyone(OK), post=everyone(NOT_ALLOWED)),
    Route("readyz", get=everyone(OK), post=everyone(NOT_ALLOWED)),
    Route(
        "metrics",
        get=expect(NOT_FOUND, admin=OK),
        post=everyone(NOT_ALLOWED),
        note="Not public: a bearer token or an admin session; anyone else a 404.",
    ),
    # Role homes.
    Route("coach/", get=coaches(OK), post=coaches(OK)),
    Route("client/", get=clients(OK), post=clients(OK)),
    Route("admin-area/", get=admins(OK), post=admins(OK)),
    # The coach's roster.
    Route("coach/clients/", get=coaches(OK), post=coaches(NOT_ALLOWED)),
    Route(
        "coach/clients/invite/",
        data=NEW_INVITATION,
        get=coaches(OK),
        post=coaches(redirect("coach:roster")),
    ),
    Route(
        "coach/clients/invitations/<int:invitation_id>/resend/",
        args=dana_invitation,
        missing=COACH,
        get=coaches(NOT_ALLOWED),
        post=coaches(redirect("coach:roster"), other_coach=NOT_FOUND),
    ),
    Route(
        "coach/clients/invitations/<int:invitation_id>/revoke/",
        args=dana_invitation,
        missing=COACH,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(redirect("coach:roster"), other_coach=NOT_FOUND),
    ),
    Route(
        "coach/clients/<int:client_id>/",
        args=avi,
        missing=COACH,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "coach/clients/<int:client_id>/<slug:tab>/",
        args=avi_tab,
        missing=COACH,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "coach/clients/<int:client_id>/archive/",
        args=avi,
        missing=COACH,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(redirect("coach:client"), other_coach=NOT_FOUND),
    ),
    Route(
        "coach/clients/<int:client_id>/restore/",
        args=avi,
        missing=COACH,
        get=coaches(OK, other_coach=NOT_FOUND),
        post=coaches(redirect("coach:client"), other_coach=NOT_FOUND),
    ),
    # Admin area.
    Route("admin-area/sms/", get=admins(OK), post=admins(NOT_ALLOWED)),
    Route("admin-area/security/", get=admins(OK), post=admins(redirect("admin_area:security"))),
    Route("admin-area/components/", get=admins(OK), post=admins(redirect("admin_area:components"))),
    Route("admin-area/outbox/", get=admins(OK), post=admins(NOT_ALLOWED)),
    Route(
        "admin-area/outbox/<int:message_id>/retry/",
        args=dead_letter,
        missing=ADMIN,
        get=admins(NOT_ALLOWED),
        post=admins(redirect()),
    ),
    # The signed-in person's own account.
    Route("account/", get=signed_in(OK), post=signed_in(BAD_REQUEST)),
    Route(
        "account/coaching-profile/",
        get=coaches(NOT_ALLOWED),
        post=coaches(redirect("account:profile")),
        note="Every field of the coaching profile is optional.",
    ),
    Route(
        "account/avatar/<int:user_id>/",
        args=avi_photo,
        missing=CLIENT,
        get=signed_in(OK, other_coach=NOT_FOUND, other_client=NOT_FOUND),
        post=signed_in(NOT_ALLOWED),
        note="Yourself, your coach or client, and admins; anyone else a 404.",
    ),
    Route("account/language/", get=everyone(NOT_ALLOWED), post=everyone(redirect())),
    Route("account/delete/", get=signed_in(OK), post=signed_in(BAD_REQUEST)),
    Route("account/security/", get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    Route("account/security/mfa/", get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    Route(
        "account/security/sign-in/verify/",
        get=signed_in(redirect("home")),
        post=signed_in(redirect("home")),
        note="Only during a sign-in waiting for its second factor; signed-in people go home.",
    ),
    Route("account/security/sms/", get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    Route("account/security/sms/phone/", get=signed_in(NOT_ALLOWED), post=signed_in(redirect())),
    Route(
        "account/security/sms/phone/confirm/",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(redirect()),
    ),
    Route(
        "account/security/sms/phone/remove/", get=signed_in(NOT_ALLOWED), post=signed_in(redirect())
    ),
    Route("account/security/sms/enable/", get=signed_in(NOT_ALLOWED), post=signed_in(redirect())),
    Route("account/security/sms/disable/", get=signed_in(NOT_ALLOWED), post=signed_in(redirect())),
    Route(
        "account/security/trusted-browser/forget/",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(redirect()),
    ),
    Route("account/security/sessions/", get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    Route(
        "account/security/sessions/<int:pk>/end/",
        args=dana_session,
        missing=COACH,
        get=signed_in(NOT_ALLOWED),
        post=signed_in(NOT_FOUND, coach=redirect("security:sessions")),
    ),
    Route(
        "account/security/sessions/end-others/",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(redirect()),
    ),
    Route("account/security/changed/", get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
    Route(
        "account/security/keepalive/",
        get=everyone(NOT_ALLOWED),
        post=signed_in(OK, anonymous=UNAUTHORIZED),
    ),
    # Onboarding (the world has finished it: every step sends home).
    Route("onboarding/", get=signed_in(HOME), post=signed_in(HOME)),
    Route("onboarding/coach/", get=coaches(HOME), post=coaches(HOME)),
    Route(
        "onboarding/coach/<slug:step>/", args=step("profile"), get=coaches(HOME), post=coaches(HOME)
    ),
    Route("onboarding/client/", get=clients(HOME), post=clients(HOME)),
    Route(
        "onboarding/client/<slug:step>/",
        args=step("profile"),
        get=clients(HOME),
        post=clients(HOME),
    ),
    Route(
        "invite/<str:token>/",
        args=open_invitation_link,
        get=signed_in(FORBIDDEN, anonymous=OK),
        post=signed_in(FORBIDDEN, anonymous=OK),
        note="The token is the permission; signed in as someone other than the invitee: 403.",
    ),
    # The JSON API: 401 without a session, 403 for another role's endpoint, 404 for a foreign id.
    Route("api/v1/", get=everyone(NOT_FOUND), post=everyone(NOT_FOUND)),
    Route("api/v1/openapi.json", get=everyone(OK), post=everyone(OK), note="Public schema."),
    Route("api/v1/docs", get=everyone(OK), post=everyone(OK), note="Public schema viewer."),
    Route(
        "api/v1/me",
        get=signed_in(OK, anonymous=UNAUTHORIZED),
        post=everyone(NOT_ALLOWED),
        other={"PATCH": signed_in(OK, anonymous=UNAUTHORIZED)},
    ),
    Route(
        "api/v1/coach/clients",
        get=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=OK),
        post=everyone(NOT_ALLOWED),
    ),
    Route(
        "api/v1/coach/clients/<client_id>/archive",
        args=avi,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND),
    ),
    Route(
        "api/v1/coach/clients/<client_id>/restore",
        args=avi,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND),
    ),
    Route(
        "api/v1/coach/invitations",
        data=NEW_INVITATION,
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=CREATED, other_coach=CREATED),
    ),
    Route(
        "api/v1/coach/invitations/<invitation_id>/resend",
        args=dana_invitation,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND),
    ),
    Route(
        "api/v1/coach/invitations/<invitation_id>/revoke",
        args=dana_invitation,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND),
    ),
    # Scheduling: coach-only endpoints are 403 for others; objects of Dana's or Avi's are
    # 404 to everyone else (the admin included: the API acts only as a party).
    Route(
        "api/v1/scheduling/session-types",
        data=NEW_SESSION_TYPE,
        get=signed_in(OK, anonymous=UNAUTHORIZED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=CREATED, other_coach=CREATED),
    ),
    Route(
        "api/v1/scheduling/session-types/<session_type_id>",
        args=dana_session_type,
        missing=COACH,
        data=NEW_SESSION_TYPE,
        get=everyone(NOT_ALLOWED),
        post=everyone(NOT_ALLOWED),
        other={"PUT": COACH_OWN_OBJECT},
    ),
    Route(
        "api/v1/scheduling/session-types/<session_type_id>/deactivate",
        args=dana_session_type,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=COACH_OWN_OBJECT,
    ),
    Route(
        "api/v1/scheduling/session-types/<session_type_id>/slots",
        args=dana_session_type,
        missing=COACH,
        get=PARTIES_ONLY,
        post=everyone(NOT_ALLOWED),
    ),
    Route(
        "api/v1/scheduling/availability",
        data={"weekly": [{"weekday": 0, "start": "09:00", "end": "17:00"}]},
        get=COACHES_ONLY,
        post=everyone(NOT_ALLOWED),
        other={"PUT": COACHES_ONLY},
    ),
    Route(
        "api/v1/scheduling/availability/overrides",
        data={"date": "2030-01-07", "kind": "unavailable_day"},
        get=everyone(NOT_ALLOWED),
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=CREATED, other_coach=CREATED),
    ),
    Route(
        "api/v1/scheduling/availability/overrides/<override_id>",
        args=dana_override,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=everyone(NOT_ALLOWED),
        other={
            "DELETE": expect(
                FORBIDDEN, anonymous=UNAUTHORIZED, coach=NO_CONTENT, other_coach=NOT_FOUND
            )
        },
    ),
    Route(
        "api/v1/scheduling/sessions",
        # A type id nobody has: the role check (admin 403) comes first, then the 404.
        data={"session_type_id": 2_000_000_000, "starts_at": "2030-01-07T14:00:00+00:00"},
        get=signed_in(OK, anonymous=UNAUTHORIZED),
        post=expect(NOT_FOUND, anonymous=UNAUTHORIZED, admin=FORBIDDEN),
        note="Booking itself is tested in tests/scheduling/test_api.py.",
    ),
    Route(
        "api/v1/scheduling/sessions/<session_id>",
        args=avi_requested_session,
        missing=COACH,
        get=PARTIES_ONLY,
        post=everyone(NOT_ALLOWED),
    ),
    Route(
        "api/v1/scheduling/sessions/<session_id>/approve",
        args=avi_requested_session,
        missing=COACH,
        get=everyone(NOT_ALLOWED),
        post=PARTIES_ONLY | {CLIENT: FORBIDDEN},
    ),
    Route(
        "api/v1/scheduling/sessions/<session_id>/decline",
        args=avi_requested_session,
        missing=COACH,
        data={"reason": "Matrix"},
        get=everyone(NOT_ALLOWED),
        post=PARTIES_ONLY | {CLIENT: FORBIDDEN},
    ),
    Route(
        "api/v1/scheduling/sessions/<session_id>/reschedule",
        args=avi_requested_session,
        missing=COACH,
        data={"starts_at": "2020-01-06T14:00:00+00:00", "reason": "Matrix"},
        get=everyone(NOT_ALLOWED),
        post=PARTIES_ONLY | {COACH: CONFLICT, CLIENT: CONFLICT},
        note="A time in the past: the parties get past authorization to the slot rules (409).",
    ),
    Route(
        "api/v1/scheduling/sessions/<session_id>/cancel",
        args=avi_requested_session,
        missing=COACH,
        data={"reason": "Matrix"},
        get=everyone(NOT_ALLOWED),
        post=PARTIES_ONLY,
    ),
    *(
        Route(
            f"api/v1/scheduling/sessions/<session_id>/{action}",
            args=avi_running_session,
            missing=COACH,
            get=everyone(NOT_ALLOWED),
            post=PARTIES_ONLY | {CLIENT: FORBIDDEN},
        )
        for action in ("start", "complete", "no-show")
    ),
)


# Every later area brings its own table: each module in tests/security/route_tables
# contributes its ROUTES (in name order), so a new area only adds a file there.
ROUTES = (
    *ROUTES,
    *(
        route
        for module_info in sorted(pkgutil.iter_modules(route_tables.__path__), key=lambda m: m.name)
        for route in importlib.import_module(f"{route_tables.__name__}.{module_info.name}").ROUTES
    ),
)


# --- Third-party routes, by prefix --------------------------------------------------------------

GROUPS: tuple[Group, ...] = (
    Group(
        "accounts/",
        note="django-allauth: sign-in, sign-up, email, password, MFA and user sessions.",
        samples=(
            Sample("/accounts/login/", get=SIGNED_IN_GO_HOME, post=SIGNED_IN_GO_HOME),
            Sample("/accounts/signup/", get=SIGNED_IN_GO_HOME, post=SIGNED_IN_GO_HOME),
            Sample(
                "/accounts/logout/",
                get=signed_in(OK, anonymous=redirect()),
                post=everyone(redirect()),
            ),
            Sample("/accounts/password/reset/", get=everyone(OK), post=everyone(OK)),
            Sample("/accounts/password/change/", get=signed_in(OK), post=signed_in(OK)),
            Sample(
                "/accounts/email/", get=signed_in(OK), post=signed_in(redirect("account_email"))
            ),
            Sample("/accounts/2fa/", get=signed_in(OK), post=signed_in(NOT_ALLOWED)),
            Sample(
                "/accounts/2fa/totp/activate/",
                get=signed_in(REAUTHENTICATE),
                post=signed_in(REAUTHENTICATE),
            ),
            Sample(
                "/accounts/sessions/",
                get=signed_in(OK),
                post=signed_in(redirect("usersessions_list")),
            ),
        ),
    ),
    Group(
        "django-admin/",
        note="Django's admin: staff only (the admin, with a second factor).",
        samples=(
            Sample(
                "/django-admin/",
                get=expect(redirect("admin:login"), admin=OK),
                post=expect(redirect("admin:login"), admin=OK),
            ),
            Sample(
                "/django-admin/core/auditlog/",
                get=expect(redirect("admin:login"), admin=OK),
                post=expect(redirect("admin:login"), admin=OK),
            ),
            Sample(
                "/django-admin/core/outboxmessage/",
                get=expect(redirect("admin:login"), admin=OK),
                post=expect(redirect("admin:login"), admin=OK),
            ),
            Sample(
                "/django-admin/accounts/user/",
                get=expect(redirect("admin:login"), admin=OK),
                post=expect(redirect("admin:login"), admin=OK),
            ),
            Sample(
                "/django-admin/journal/entry/",
                get=expect(redirect("admin:login"), admin=OK),
                post=expect(redirect("admin:login"), admin=OK),
            ),
            Sample(
                "/django-admin/scheduling/session/",
                get=expect(redirect("admin:login"), admin=OK),
                post=expect(redirect("admin:login"), admin=OK),
            ),
        ),
    ),
)
