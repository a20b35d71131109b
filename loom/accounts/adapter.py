"""allauth integration: who may sign up, where people land, how mail is sent."""

from __future__ import annotations

from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
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
        return user

    def get_login_redirect_url(self, request: HttpRequest) -> str:
        return reverse("home")

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        from loom.accounts.emails import send_account_email

        send_account_email(template_prefix=template_prefix, email=email, context=context)
