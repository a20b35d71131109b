"""Who must use a second factor, and how that is enforced.

* Admins must: an admin (role admin, or Django staff) without a second factor who
  opens ``/admin-area/``, ``/django-admin/`` or ``/exports/`` is sent to the MFA set-up page.
* Coaches must when ``SecurityPolicy.require_coach_mfa`` (an admin switch at
  ``/admin-area/security/``) or ``LOOM_REQUIRE_MFA_FOR_COACHES`` is on; then ``/coach/``
  and ``/exports/`` are gated the same way.

Loop freedom: only those four prefixes are gated, and the set-up pages
(``/account/security/…``, ``/accounts/2fa/…``), re-authentication, sign-out and static
files live outside them, so the redirect target can always be reached. The one page
inside a gated prefix that set-up may need — the demo SMS log an admin reads the
enrolment code from — is exempt.

Also here: the allauth.mfa adapter (TOTP secrets encrypted at rest; a required
second factor cannot be removed) and the "security settings changed" session flag
that makes pages offer to sign out the other devices.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any
from urllib.parse import urlencode

from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import Role, SecurityPolicy
from loom.accounts.permissions import home_url_name
from loom.accounts.sms_mfa import (
    PRIMARY_AUTHENTICATOR_TYPES,
    sms_mfa_active,
    user_has_second_factor,
)
from loom.core.audit import audit_record
from loom.core.crypto import PREFIX as ENCRYPTED_PREFIX
from loom.core.crypto import decrypt_text, encrypt_text

POLICY_CACHE_KEY = "loom:security_policy:v1"
# Other processes notice an admin's change within this time; this one at once.
POLICY_CACHE_SECONDS = 30
SECURITY_CHANGED_SESSION_KEY = "loom_security_changed"
# Exports carry the same figures as the pages they come from, so they are gated alike.
ADMIN_GATED_PREFIXES = ("/admin-area/", "/django-admin/", "/exports/")
COACH_GATED_PREFIXES = ("/coach/", "/exports/")
# The demo SMS log: an admin enrolling SMS codes in demo mode reads the code there.
GATE_EXEMPT_PREFIXES = ("/admin-area/sms/",)
DJANGO_ADMIN_LOGIN = "/django-admin/login/"


# --- Policy --------------------------------------------------------------------------------


def security_policy_current() -> SecurityPolicy:
    policy = cache.get(POLICY_CACHE_KEY)
    if not isinstance(policy, SecurityPolicy):
        policy = SecurityPolicy.current()
        cache.set(POLICY_CACHE_KEY, policy, POLICY_CACHE_SECONDS)
    return policy


def coach_mfa_required() -> bool:
    return bool(
        settings.LOOM_REQUIRE_MFA_FOR_COACHES or security_policy_current().require_coach_mfa
    )


def is_admin_user(user: Any) -> bool:
    return bool(getattr(user, "role", None) == Role.ADMIN or getattr(user, "is_staff", False))


def mfa_required_for(user: Any) -> bool:
    """The account may not be without a second factor."""
    if is_admin_user(user):
        return True
    return getattr(user, "role", None) == Role.COACH and coach_mfa_required()


@transaction.atomic
def security_policy_update(*, actor: Any, require_coach_mfa: bool) -> SecurityPolicy:
    policy = (
        SecurityPolicy.objects.select_for_update().filter(pk=1).first() or SecurityPolicy.current()
    )
    previous = policy.require_coach_mfa
    policy.require_coach_mfa = require_coach_mfa
    policy.save(update_fields=["require_coach_mfa", "updated_at"])
    audit_record(
        action="admin.security_policy_changed",
        actor=actor,
        target=policy,
        details={"require_coach_mfa": {"from": previous, "to": require_coach_mfa}},
    )
    # Now for this request, and again after commit in case another request re-cached
    # the old row in between.
    cache.delete(POLICY_CACHE_KEY)
    transaction.on_commit(partial(cache.delete, POLICY_CACHE_KEY))
    return policy


# --- Enforcement -----------------------------------------------------------------------------


def mfa_setup_url(next_url: str = "") -> str:
    url = reverse("security:mfa_setup")
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _gated(path: str, user: Any) -> bool:
    if path.startswith(GATE_EXEMPT_PREFIXES):
        return False
    if is_admin_user(user) and path.startswith(ADMIN_GATED_PREFIXES):
        return True
    return (
        getattr(user, "role", None) == Role.COACH
        and path.startswith(COACH_GATED_PREFIXES)
        and coach_mfa_required()
    )


class MfaPolicyMiddleware:
    """Sends people who must use MFA, and have none, to set it up first.

    It also closes the Django admin's own password-only sign-in form: signing in
    there would skip the second factor, so it is sent to allauth's sign-in.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if request.path == DJANGO_ADMIN_LOGIN and not getattr(user, "is_staff", False):
            return self._leave_django_admin_login(request)
        if not user.is_authenticated:
            return self.get_response(request)
        if _gated(request.path, user) and not user_has_second_factor(user):
            messages.warning(
                request,
                gettext("Your account needs two-step verification. Set it up to continue."),
            )
            next_url = request.get_full_path() if request.method == "GET" else ""
            return HttpResponseRedirect(mfa_setup_url(next_url))
        return self.get_response(request)

    @staticmethod
    def _leave_django_admin_login(request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            # Signed in but not staff: the admin would show its password form, and
            # sending them to our sign-in would bounce straight back here. Home it is.
            messages.warning(
                request, gettext("That page is not part of your account. Here is your home page.")
            )
            return HttpResponseRedirect(reverse(home_url_name(request.user)))
        target = request.GET.get("next") or "/django-admin/"
        return HttpResponseRedirect(f"{reverse('account_login')}?{urlencode({'next': target})}")


# --- "Security settings changed" ---------------------------------------------------------------


def security_change_noted(request: HttpRequest | None) -> None:
    """Remember that this session changed the password or MFA, so pages offer to end the others."""
    session = getattr(request, "session", None)
    user = getattr(request, "user", None)
    if session is not None and user is not None and user.is_authenticated:
        session[SECURITY_CHANGED_SESSION_KEY] = True


def security_change_cleared(request: HttpRequest) -> None:
    request.session.pop(SECURITY_CHANGED_SESSION_KEY, None)


# --- allauth.mfa adapter -------------------------------------------------------------------------


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "Your account must keep two-step verification. Add another method (for example "
            "text message codes) before removing this one."
        ),
    }

    def encrypt(self, text: str) -> str:
        return encrypt_text(text)

    def decrypt(self, encrypted_text: str) -> str:
        # Secrets written before encryption was switched on are read as they are.
        if encrypted_text.startswith(ENCRYPTED_PREFIX):
            return decrypt_text(encrypted_text)
        return encrypted_text

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in PRIMARY_AUTHENTICATOR_TYPES:
            return True
        user = authenticator.user
        if not mfa_required_for(user):
            return True
        others = (
            Authenticator.objects.filter(user_id=user.pk, type__in=PRIMARY_AUTHENTICATOR_TYPES)
            .exclude(pk=authenticator.pk)
            .exists()
        )
        return others or sms_mfa_active(user)
