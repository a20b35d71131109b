"""allauth's emails (verification, password reset, security notices) through the outbox.

Each email is rendered in the recipient's language and time zone: the account that
owns the address when there is one, otherwise the language of the current request
(e.g. "no account uses this address" answers someone who has no account yet).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils import translation

from loom.accounts.models import Language, User
from loom.core.email import email_enqueue
from loom.core.models import OutboxMessage

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
