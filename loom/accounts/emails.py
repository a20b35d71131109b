"""Account emails through the outbox, and the notices accounts sends.

allauth's emails (verification, password reset, security notices) are rendered in
the recipient's language and time zone: the account that owns the address when there
is one, otherwise the language of the current request (e.g. "no account uses this
address" answers someone who has no account yet). They go to an address, not to a
person's notification preferences: they are not notifications.

A coach is told when a client accepts their invitation (``invitation_accepted``), as
a notice (``loom.core.notices``) in the coach's language.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from loom.accounts.models import Invitation, Language, User
from loom.core.email import email_enqueue, email_payload
from loom.core.models import OutboxMessage
from loom.core.notices import Notice, notice_send

INVITATION_ACCEPTED_TEMPLATE = "accounts/email/invitation_accepted"

# Request-bound objects allauth adds to the context; rendering happens without them.
_DROPPED_KEYS = {"request", "current_site"}


def _recipient(email: str, context: dict[str, Any]) -> User | None:
    # The address's owner first: for an email change the new address is not yet the
    # user's login, so fall back to the user allauth names in the context.
    owner = User.objects.filter(email__iexact=email).first()
    if owner is not None:
        return owner
    user = context.get("user")
    return user if isinstance(user, User) else None


def _fallback_language() -> str:
    current = translation.get_language() or settings.LANGUAGE_CODE
    code = current.split("-")[0]
    return code if code in Language.values else settings.LANGUAGE_CODE


def send_account_email(
    *, template_prefix: str, email: str, context: dict[str, Any]
) -> OutboxMessage:
    """Queue one of allauth's emails for ``email``; it is sent after the commit."""
    user = _recipient(email, context)
    language = (
        user.language
        if user is not None and user.language in Language.values
        else _fallback_language()
    )
    ctx = {key: value for key, value in context.items() if key not in _DROPPED_KEYS}
    ctx["email"] = email
    ctx["user_name"] = (user.full_name or "") if user is not None else ""
    return email_enqueue(
        to=email,
        template=template_prefix,
        context=ctx,
        language=language,
        time_zone=user.timezone if user is not None else None,
        subject_prefix=settings.ACCOUNT_EMAIL_SUBJECT_PREFIX or "",
    )


def invitation_accepted_notify(*, invitation: Invitation, client: User) -> None:
    """Tell the coach who sent ``invitation`` that ``client`` accepted it, with a link
    to the client's page on their roster. Inside the acceptance's transaction."""
    coach = invitation.coach
    language = coach.language if coach.language in Language.values else settings.LANGUAGE_CODE
    path = reverse("coach:client", args=[client.pk])
    with translation.override(language):
        names = {"client": client.display_name}
        title = _("%(client)s accepted your invitation") % names
        lead = _("%(client)s accepted your invitation and is now your client in Loom.") % names
    context = {
        "user_name": coach.full_name,
        "subject_line": title,
        "lead": lead,
        "url": settings.LOOM_BASE_URL.rstrip("/") + path,
    }
    notice_send(
        Notice(
            user_id=coach.pk,
            kind="invitation_accepted",
            # An invitation is accepted once.
            source=f"invitation:{invitation.pk}:accepted",
            title=title,
            body=lead,
            url=path,
            email=email_payload(
                template=INVITATION_ACCEPTED_TEMPLATE,
                context=context,
                language=language,
                time_zone=coach.timezone,
            ),
        )
    )
