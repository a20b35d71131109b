"""``/invite/<token>/``: the page an invitation email links to (public).

* A new address: the person chooses a name and password and accepts the terms;
  the client account is created, signed in and sent to onboarding.
* An address that already has an account: the person signs in as it (or already
  is) and accepts, which links the account to the coach.
* A link that cannot be used says why, and nothing is written.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from loom.accounts import services
from loom.accounts.forms import InvitationAcceptForm, apply_service_error, form_data
from loom.accounts.models import Invitation, User
from loom.accounts.selectors import TokenState, invitation_from_token, user_by_email
from loom.accounts.views_onboarding import onboarding_url
from loom.core.context import client_ip_var
from loom.core.errors import DomainError

# Malformed and unknown links are "not found"; links that existed but were used,
# revoked or expired are "gone".
_STATUS = {
    TokenState.MALFORMED: 404,
    TokenState.UNKNOWN: 404,
    TokenState.USED: 410,
    TokenState.REVOKED: 410,
    TokenState.EXPIRED: 410,
}


def _unavailable(
    request: HttpRequest, state: TokenState, invitation: Invitation | None
) -> HttpResponse:
    return TemplateResponse(
        request,
        "accounts/invitation/unavailable.html",
        # The coach's name is shown for links that did exist, so the person knows whom to ask.
        {"state": state.value, "coach": invitation.coach if invitation is not None else None},
        status=_STATUS[state],
    )


def _onward(request: HttpRequest, user: User) -> HttpResponse:
    return redirect(onboarding_url(user) or reverse("home"))


@never_cache
@require_http_methods(["GET", "POST"])
def accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation, state = invitation_from_token(token)
    if invitation is None or state != TokenState.VALID:
        return _unavailable(request, state, invitation)

    if request.user.is_authenticated:
        return _accept_signed_in(request, token, invitation)

    existing = user_by_email(invitation.email)
    if existing is not None:
        login_url = f"{reverse('account_login')}?{urlencode({'next': request.path})}"
        return TemplateResponse(
            request,
            "accounts/invitation/sign_in.html",
            {"invitation": invitation, "login_url": login_url},
        )

    form = InvitationAcceptForm(
        form_data(request), email=invitation.email, initial={"full_name": invitation.full_name}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = services.invitation_accept(
                token=token,
                full_name=data["full_name"],
                password=data["password1"],
                time_zone=data["timezone"],
                accepted_terms=data["accept_terms"],
                ip_address=client_ip_var.get(),
            )
        except services.InvitationUnavailable as exc:
            return _unavailable(request, exc.state, invitation)
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request,
                _("Welcome to Loom! You are now connected with %(coach)s.")
                % {"coach": invitation.coach.display_name},
            )
            return _onward(request, user)
    return TemplateResponse(
        request, "accounts/invitation/accept.html", {"invitation": invitation, "form": form}
    )


def _accept_signed_in(request: HttpRequest, token: str, invitation: Invitation) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    if user.email.lower() != invitation.email.lower():
        return TemplateResponse(
            request,
            "accounts/invitation/wrong_account.html",
            {"invitation": invitation},
            status=403,
        )
    error = ""
    if request.method == "POST":
        try:
            services.invitation_accept(token=token, user=user, ip_address=client_ip_var.get())
        except services.InvitationUnavailable as exc:
            return _unavailable(request, exc.state, invitation)
        except DomainError as exc:
            error = str(exc)
        else:
            messages.success(
                request,
                _("You are now connected with %(coach)s.")
                % {"coach": invitation.coach.display_name},
            )
            return _onward(request, user)
    return TemplateResponse(
        request,
        "accounts/invitation/link.html",
        {"invitation": invitation, "error": error, "is_client": user.is_client},
    )
