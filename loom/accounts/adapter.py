"""allauth integration: who may sign up, where people land, how mail is sent."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse

from loom.accounts.models import Role


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        # Coaches sign up themselves; clients arrive through invitations, which
        # create their accounts directly (see loom.accounts.services.invitation_accept).
        return True

    def save_user(self, request: HttpRequest, user: Any, form: Any, commit: bool = True) -> Any:
        user = super().save_user(request, user, form, commit=False)
        user.role = Role.COACH
        language = getattr(request, "LANGUAGE_CODE", "en")
        user.language = language if language in {"en", "he"} else "en"
        browser_tz = form.cleaned_data.get("timezone") if hasattr(form, "cleaned_data") else None
        if browser_tz:
            user.timezone = browser_tz
        if commit:
            user.save()
            # Profile and onboarding record, so the coach home leads into onboarding.
            from loom.accounts.services import coach_signup_prepare

            coach_signup_prepare(user=user)
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def get_login_stages(self) -> list[str]:
        # allauth's MFA step, widened to SMS codes (loom.accounts.sms_mfa.SecondFactorStage).
        from loom.accounts.sms_mfa import login_stages

        return login_stages(super().get_login_stages())

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        # allauth refuses here when an address or IP failed too often; audit the refusal.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            from loom.core.audit import audit_record

            audit_record(action="throttle.refused", details={"scope": "sign_in"})
            raise

    def get_password_change_redirect_url(self, request: HttpRequest) -> str:
        # A page that confirms the change and offers to sign out the other devices.
        return reverse("security:changed")

    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        # Reset requests are audited whether or not the account exists (see send_mail);
        # the page shown is the same in both cases.
        from loom.core.audit import audit_record

        audit_record(action="auth.password_reset_requested", target=user, details={"known": True})
        super().send_password_reset_mail(user, email, context)

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from loom.accounts.emails import send_account_email

        if template_prefix == "account/email/unknown_account":
            # Sent instead of a reset link when no account has the address.
            from loom.core.audit import audit_record

            audit_record(
                action="auth.password_reset_requested",
                details={"known": False, "email": email[:254].lower()},
            )

        send_account_email(template_prefix=template_prefix, email=email, context=context)
