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

from datetime import timedelta
from typing import Any

from allauth.usersessions.models import UserSession
from django.core.files.base import ContentFile
from django.utils import timezone

from loom.accounts.models import Invitation
from loom.accounts.selectors import invitation_token_hash
from loom.core.models import OutboxMessage
from tests.security.matrix import (
    ADMIN,
    BAD_REQUEST,
    CLIENT,
    COACH,
    CREATED,
    FORBIDDEN,
    HOME,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Group,
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
                get=expect(redirect("admin:login"), admin=NOT_FOUND),
                post=expect(redirect("admin:login"), admin=NOT_FOUND),
            ),
        ),
    ),
)
