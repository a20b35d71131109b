"""Role gates for views. Opening another role's area sends you to your own home."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from loom.accounts.models import Role, User
from loom.core.errors import Forbidden

ROLE_HOMES: dict[str, str] = {
    Role.COACH: "coach:home",
    Role.CLIENT: "client:home",
    Role.ADMIN: "admin_area:home",
}


def home_url_name(user: Any) -> str:
    return ROLE_HOMES.get(getattr(user, "role", ""), "account:profile")


def role_required(
    *roles: str,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Only signed-in users with one of ``roles`` reach the view.

    Anyone else signed in is redirected to their own home — a page that their own
    role can always open, so the redirect can never loop.
    """

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if user.role not in roles:
                messages.warning(
                    request, _("That page is not part of your account. Here is your home page.")
                )
                return redirect(home_url_name(user))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


coach_required = role_required(Role.COACH)
client_required = role_required(Role.CLIENT)
admin_required = role_required(Role.ADMIN)


# --- JSON API ------------------------------------------------------------------------------------
# django-ninja's session auth has already refused anonymous requests when these run.


def request_user(request: HttpRequest) -> User:
    """The signed-in user of an API request."""
    return request.user  # type: ignore[return-value]


def require_coach(request: HttpRequest) -> User:
    """The signed-in user, who must be a coach (403 problem otherwise)."""
    user = request_user(request)
    if user.role != Role.COACH:
        raise Forbidden(_("Only coaches can do this."))
    return user


def require_client(request: HttpRequest, reason: str) -> User:
    """The signed-in user, who must be a client (403 problem ``not_a_client`` otherwise);
    ``reason`` says why, in the words of the app asking."""
    user = request_user(request)
    if user.role != Role.CLIENT:
        raise Forbidden(reason, code="not_a_client")
    return user
