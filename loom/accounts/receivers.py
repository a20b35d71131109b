"""Audit rows for authentication events raised by Django and allauth.

These receivers only record what happened; they start no business flow.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set, user_signed_up
from allauth.mfa.signals import (
    authentication_failed,
    authenticator_added,
    authenticator_removed,
    authenticator_reset,
    authenticator_used,
)
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from loom.accounts.mfa_policy import security_change_noted
from loom.accounts.middleware import session_mark_signed_in
from loom.core.audit import audit_record


@receiver(user_logged_in)
def _audit_login(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.sign_in", actor=user, target=user)
    if request is not None and hasattr(request, "session"):
        # Idle and absolute session lifetimes count from here.
        session_mark_signed_in(request.session)


@receiver(user_logged_out)
def _audit_logout(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        audit_record(action="auth.sign_out", actor=user, target=user)


@receiver(user_login_failed)
def _audit_login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    # The attempted address is kept (lower-cased, truncated); the password never is.
    attempted = str(credentials.get("email") or credentials.get("username") or "")[:254].lower()
    audit_record(action="auth.sign_in_failed", details={"email": attempted})


@receiver(user_signed_up)
def _audit_signup(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.sign_up", actor=user, target=user, details={"role": user.role})


@receiver(password_changed)
def _audit_password_changed(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.password_changed", actor=user, target=user)


@receiver(password_reset)
def _audit_password_reset(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    audit_record(action="auth.password_reset", actor=user, target=user)


@receiver(authenticator_added)
def _audit_mfa_added(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    audit_record(action="mfa.added", actor=user, target=user, details={"type": authenticator.type})


@receiver(authenticator_removed)
def _audit_mfa_removed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    audit_record(
        action="mfa.removed", actor=user, target=user, details={"type": authenticator.type}
    )


@receiver(authenticator_reset)
def _audit_mfa_reset(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    audit_record(action="mfa.reset", actor=user, target=user, details={"type": authenticator.type})


@receiver(authenticator_used)
def _audit_mfa_used(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    audit_record(
        action="mfa.used",
        actor=user,
        target=user,
        details={
            "type": authenticator.type,
            "reauthenticated": bool(kwargs.get("reauthenticated")),
        },
    )


@receiver(authentication_failed)
def _audit_mfa_failed(
    sender: Any, request: Any, user: Any, authenticator: Any, **kwargs: Any
) -> None:
    audit_record(
        action="mfa.failed",
        actor=user,
        target=user,
        details={
            "type": authenticator.type,
            "reauthentication": bool(kwargs.get("reauthentication")),
        },
    )


# After a password or MFA change the pages offer to sign out every other device.
@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
@receiver(password_changed)
@receiver(password_set)
def _offer_ending_other_sessions(sender: Any, request: Any = None, **kwargs: Any) -> None:
    security_change_noted(request)
