"""Sign-in security pages: the second-factor step, SMS codes, devices, keep-alive.

Views are thin: parse a form, call one service from ``loom.accounts.sms_mfa`` /
``mfa_policy``, render or redirect. Changes to the second factor ask for
re-authentication first (allauth's ``reauthentication_required``; a POST is replayed
after the password is confirmed).
"""

from __future__ import annotations

import re
from importlib import import_module
from typing import Any, cast

from allauth.account.decorators import reauthentication_required
from allauth.account.internal.decorators import login_stage_required
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.base.forms import AuthenticateForm
from allauth.mfa.internal.flows import trust
from allauth.mfa.models import Authenticator
from allauth.usersessions.internal.flows.sessions import end_sessions
from allauth.usersessions.models import UserSession
from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.sessions.models import Session
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from loom.accounts.mfa_policy import (
    mfa_required_for,
    security_change_cleared,
    security_change_noted,
)
from loom.accounts.middleware import session_idle_limit, session_touch
from loom.accounts.models import SmsCode, User
from loom.accounts.sms import mask_phone
from loom.accounts.sms_mfa import (
    Purpose,
    phone_remove,
    phone_verification_confirm,
    phone_verification_start,
    sms_code_send,
    sms_code_verify,
    sms_mfa_active,
    sms_mfa_disable,
    sms_mfa_enable,
)
from loom.accounts.throttle import Throttled, throttle_hit, throttle_reset
from loom.core.audit import audit_record
from loom.core.context import acting_as
from loom.core.errors import DomainError
from loom.core.middleware import client_ip

MFA_APP = "allauth.mfa"


# --- Forms ------------------------------------------------------------------------------------


class SmsCodeForm(forms.Form):
    sms_code = forms.CharField(
        label=_("Code from the text message"),
        max_length=12,
        help_text=_("6 digits."),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "pattern": r"[0-9 ]*"}
        ),
    )

    def clean_sms_code(self) -> str:
        code = re.sub(r"\s", "", self.cleaned_data["sms_code"])
        # ASCII digits only: "\d" would also accept e.g. fullwidth digits, which can
        # never match and would only use up one of the five attempts.
        if not re.fullmatch(r"[0-9]{6}", code):
            raise forms.ValidationError(_("Enter the 6-digit code."), code="format")
        return code


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=32,
        help_text=_("With the country code, for example +972 50 123 4567."),
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )


class SecurityPolicyForm(forms.Form):
    require_coach_mfa = forms.BooleanField(
        label=_("Require two-step verification for coaches"),
        required=False,
        help_text=_(
            "Coaches without it are asked to set it up before they can use the coach area."
        ),
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )


def _user(request: HttpRequest) -> User:
    # Every caller is behind login_required.
    return cast(User, request.user)


def _ip(request: HttpRequest) -> str | None:
    return client_ip(request)


def _safe_next(request: HttpRequest, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(
        value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return value
    return ""


# --- Overview and MFA set-up ---------------------------------------------------------------------


def _overview_context(request: HttpRequest) -> dict[str, Any]:
    """What ``mfa/index.html`` shows: allauth's own keys plus SMS, policy and trust."""
    user = _user(request)
    authenticators = {
        auth.type: auth.wrap() for auth in Authenticator.objects.filter(user_id=user.pk)
    }
    return {
        "authenticators": authenticators,
        "MFA_SUPPORTED_TYPES": mfa_settings.SUPPORTED_TYPES,
        "MFA_RECOVERY_CODES_SHOW_ONCE": mfa_settings.RECOVERY_CODES_SHOW_ONCE,
        "is_mfa_enabled": bool(authenticators),
        "sms_active": sms_mfa_active(user),
        "masked_phone": mask_phone(user.phone) if user.phone else "",
        "has_second_factor": sms_mfa_active(user)
        or any(
            kind in authenticators
            for kind in (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
        ),
        "mfa_required": mfa_required_for(user),
        "trust_enabled": mfa_settings.TRUST_ENABLED,
        "browser_trusted": trust.is_trusted_browser(request, user),
        "trust_days": mfa_settings.TRUST_COOKIE_AGE.days,
        "show_trust": True,
    }


@login_required
@require_GET
def overview(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "mfa/index.html", _overview_context(request))


@login_required
@require_GET
def mfa_setup(request: HttpRequest) -> HttpResponse:
    """The "set up two-step verification" page; onboarding and the MFA policy link here."""
    context = _overview_context(request)
    context["setup"] = True
    context["next_url"] = _safe_next(request, request.GET.get("next"))
    return TemplateResponse(request, "mfa/index.html", context)


@login_required
@require_POST
def trusted_browser_forget(request: HttpRequest) -> HttpResponse:
    response = redirect("security:index")
    response.delete_cookie(
        mfa_settings.TRUST_COOKIE_NAME,
        path=mfa_settings.TRUST_COOKIE_PATH,
        domain=mfa_settings.TRUST_COOKIE_DOMAIN,
        samesite=mfa_settings.TRUST_COOKIE_SAMESITE,
    )
    audit_record(action="mfa.trust_forgotten", actor=_user(request), target=_user(request))
    messages.success(request, gettext("This browser will ask for a verification code again."))
    return response


@login_required
@require_GET
def changed(request: HttpRequest) -> HttpResponse:
    """Where a password change lands: confirm it and offer to end the other sessions."""
    return TemplateResponse(request, "accounts/security/changed.html", {})


# --- SMS codes ----------------------------------------------------------------------------------


def _pending_verification(user: User) -> SmsCode | None:
    return (
        SmsCode.objects.filter(
            user=user,
            purpose=Purpose.VERIFY_PHONE,
            consumed_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


def _sms_page(
    request: HttpRequest,
    *,
    phone_form: PhoneForm | None = None,
    code_form: SmsCodeForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = _user(request)
    pending = _pending_verification(user)
    context = {
        "phone_form": phone_form or PhoneForm(),
        "code_form": code_form or SmsCodeForm(),
        "pending_phone": mask_phone(pending.phone) if pending else "",
        "masked_phone": mask_phone(user.phone) if user.phone else "",
        "phone_verified": bool(user.phone and user.phone_verified_at),
        "sms_active": sms_mfa_active(user),
        "mfa_required": mfa_required_for(user),
    }
    return TemplateResponse(request, "accounts/security/sms.html", context, status=status)


@login_required
@require_GET
def sms_settings(request: HttpRequest) -> HttpResponse:
    return _sms_page(request)


@login_required
@require_POST
@reauthentication_required(app=MFA_APP)
def sms_phone_start(request: HttpRequest) -> HttpResponse:
    form = PhoneForm(request.POST)
    if not form.is_valid():
        return _sms_page(request, phone_form=form, status=400)
    try:
        sent = phone_verification_start(
            user=_user(request), phone=form.cleaned_data["phone"], ip=_ip(request)
        )
    except Throttled as exc:
        form.add_error(None, str(exc))
        return _sms_page(request, phone_form=form, status=429)
    except DomainError as exc:
        form.add_error("phone", str(exc))
        return _sms_page(request, phone_form=form, status=400)
    messages.success(
        request, gettext("We sent a code to %(phone)s.") % {"phone": sent.masked_phone}
    )
    return redirect("security:sms")


@login_required
@require_POST
@reauthentication_required(app=MFA_APP)
def sms_phone_confirm(request: HttpRequest) -> HttpResponse:
    form = SmsCodeForm(request.POST)
    if not form.is_valid():
        return _sms_page(request, code_form=form, status=400)
    try:
        phone_verification_confirm(
            user=_user(request), code=form.cleaned_data["sms_code"], ip=_ip(request)
        )
    except Throttled as exc:
        form.add_error(None, str(exc))
        return _sms_page(request, code_form=form, status=429)
    except DomainError as exc:
        form.add_error("sms_code", str(exc))
        return _sms_page(request, code_form=form, status=400)
    messages.success(request, gettext("Your mobile number is confirmed."))
    return redirect("security:sms")


@login_required
@require_POST
@reauthentication_required(app=MFA_APP)
def sms_enable(request: HttpRequest) -> HttpResponse:
    try:
        sms_mfa_enable(user=_user(request))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("security:sms")
    security_change_noted(request)
    messages.success(request, gettext("Text message codes are on."))
    return redirect("security:sms")


@login_required
@require_POST
@reauthentication_required(app=MFA_APP)
def sms_disable(request: HttpRequest) -> HttpResponse:
    try:
        sms_mfa_disable(user=_user(request))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("security:sms")
    security_change_noted(request)
    messages.success(request, gettext("Text message codes are off."))
    return redirect("security:sms")


@login_required
@require_POST
@reauthentication_required(app=MFA_APP)
def sms_phone_remove(request: HttpRequest) -> HttpResponse:
    try:
        phone_remove(user=_user(request))
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("security:sms")
    security_change_noted(request)
    messages.success(request, gettext("Your mobile number was removed."))
    return redirect("security:sms")


# --- The second-factor step of signing in ----------------------------------------------------------


def _open_sign_in_code(user: User) -> SmsCode | None:
    return (
        SmsCode.objects.filter(
            user=user,
            purpose=Purpose.SIGN_IN,
            consumed_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .order_by("-created_at")
        .first()
    )


class _SignInStep:
    """The page state of one request to the second-factor step."""

    def __init__(self, request: HttpRequest) -> None:
        self.request = request
        self.stage = request._login_stage  # type: ignore[attr-defined]
        self.user: User = self.stage.login.user
        self.app_codes = Authenticator.objects.filter(
            user_id=self.user.pk,
            type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES],
        ).exists()
        self.sms = sms_mfa_active(self.user)
        self.code_form: AuthenticateForm | None = (
            AuthenticateForm(user=self.user) if self.app_codes else None
        )
        self.sms_form: SmsCodeForm | None = SmsCodeForm() if self.sms else None
        # Refusals that belong to no field (throttling), shown above each section.
        self.code_errors: list[str] = []
        self.sms_errors: list[str] = []
        self.status = 200

    def render(self) -> TemplateResponse:
        pending = _open_sign_in_code(self.user) if self.sms else None
        context = {
            "code_form": self.code_form,
            "sms_form": self.sms_form,
            "code_errors": self.code_errors,
            "sms_errors": self.sms_errors,
            "sms_available": self.sms,
            "sms_sent_to": mask_phone(pending.phone) if pending else "",
            "has_totp": Authenticator.objects.filter(
                user_id=self.user.pk, type=Authenticator.Type.TOTP
            ).exists(),
        }
        return TemplateResponse(
            self.request, "accounts/security/authenticate.html", context, status=self.status
        )

    def throttle(self, errors: list[str]) -> bool:
        try:
            throttle_hit(scope="mfa_code", user_id=self.user.pk, ip=_ip(self.request))
        except Throttled as exc:
            errors.append(str(exc))
            self.status = 429
            return False
        return True

    def app_code(self) -> HttpResponse:
        if not self.app_codes:
            raise Http404
        form = AuthenticateForm(user=self.user, data=self.request.POST)
        self.code_form = form
        if not self.throttle(self.code_errors):
            return self.render()
        if form.is_valid():
            form.save()
            throttle_reset(scope="mfa_code", user_id=self.user.pk)
            return self.stage.exit()
        if form.has_error("code", "too_many_login_attempts"):
            # allauth's own per-account limit answered; record it like ours.
            audit_record(
                action="throttle.refused",
                details={"scope": "mfa_code", "per": "allauth", "user_id": self.user.pk},
            )
            self.status = 429
        else:
            self.status = 400
        return self.render()

    def send_sms(self) -> HttpResponse:
        if not self.sms or self.sms_form is None:
            raise Http404
        try:
            sent = sms_code_send(
                user=self.user, purpose=Purpose.SIGN_IN, phone=self.user.phone, ip=_ip(self.request)
            )
        except Throttled as exc:
            self.sms_errors.append(str(exc))
            self.status = 429
            return self.render()
        messages.success(
            self.request, gettext("We sent a code to %(phone)s.") % {"phone": sent.masked_phone}
        )
        return redirect("security:mfa_authenticate")

    def sms_code(self) -> HttpResponse:
        if not self.sms:
            raise Http404
        form = SmsCodeForm(self.request.POST)
        self.sms_form = form
        if not form.is_valid():
            self.status = 400
            return self.render()
        try:
            sms_code_verify(
                user=self.user,
                purpose=Purpose.SIGN_IN,
                code=form.cleaned_data["sms_code"],
                ip=_ip(self.request),
            )
        except Throttled as exc:
            form.add_error("sms_code", str(exc))
            self.status = 429
            return self.render()
        except DomainError as exc:
            form.add_error("sms_code", str(exc))
            self.status = 400
            return self.render()
        # Recorded like allauth's own MFA methods, so reauthentication and the trust
        # stage see that a second factor was used in this session.
        record_authentication(self.request, self.user, "mfa", type="sms")
        return self.stage.exit()


@login_stage_required(stage="mfa_authenticate", redirect_urlname="account_login")
def mfa_authenticate(request: HttpRequest) -> HttpResponse:
    # Nobody is signed in yet, but the password of the user in the pending sign-in was
    # checked: act as them, so row-level security lets us read and write their codes.
    with acting_as(request._login_stage.login.user.pk):  # type: ignore[attr-defined]
        return _mfa_authenticate(request)


def _mfa_authenticate(request: HttpRequest) -> HttpResponse:
    step = _SignInStep(request)
    if not (step.app_codes or step.sms):
        # The second factor was removed while this sign-in was in progress.
        return HttpResponseRedirect(reverse("account_login"))
    if request.method == "GET":
        page = step.render()
        page.render()
        return page
    if request.method != "POST":
        return HttpResponse(status=405, headers={"Allow": "GET, POST"})
    action = request.POST.get("action", "")
    response: HttpResponse
    if action == "code":
        response = step.app_code()
    elif action == "send_sms":
        response = step.send_sms()
    elif action == "sms_code":
        response = step.sms_code()
    else:
        step.status = 400
        errors = step.code_errors if step.app_codes else step.sms_errors
        errors.append(gettext("Choose one of the ways to verify below."))
        response = step.render()
    # Rendered here, while still acting as the user (TemplateResponse renders late).
    if isinstance(response, TemplateResponse):
        response.render()
    return response


# --- Devices (allauth.usersessions) ---------------------------------------------------------------


_BROWSERS = (
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("CriOS/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Macintosh", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """ "Firefox on Linux": enough to recognise a device, without a parsing library."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "")
    if browser and system:
        return gettext("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or gettext("Unknown browser")


def usersessions_for_user(request: HttpRequest) -> list[UserSession]:
    """The signed-in devices of the requesting user, newest activity first.

    Rows whose Django session is gone, expired, or no longer valid for this user
    (e.g. after a password change) are deleted. Three queries, whatever the count.
    """
    user = _user(request)
    rows = list(UserSession.objects.filter(user_id=user.pk).order_by("-last_seen_at", "-pk"))
    keys = [row.session_key for row in rows]
    live: set[str] = set()
    auth_hash = user.get_session_auth_hash()
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    for key, data in Session.objects.filter(
        session_key__in=keys, expire_date__gt=timezone.now()
    ).values_list("session_key", "session_data"):
        decoded = store.decode(data)
        if (
            str(decoded.get("_auth_user_id")) == str(user.pk)
            and decoded.get("_auth_user_hash") == auth_hash
        ):
            live.add(key)
    stale = [
        row.pk
        for row in rows
        if row.session_key not in live and row.session_key != request.session.session_key
    ]
    if stale:
        UserSession.objects.filter(pk__in=stale, user_id=user.pk).delete()
    current_key = request.session.session_key
    sessions = [row for row in rows if row.pk not in stale]
    for row in sessions:
        row.description = describe_user_agent(row.user_agent)
        row.current = row.session_key == current_key
    return sessions


def get_usersession_for_user(user: Any, pk: int) -> UserSession:
    session = UserSession.objects.filter(user_id=user.pk, pk=pk).first()
    if session is None:
        raise Http404
    return session


@login_required
@require_GET
def sessions(request: HttpRequest) -> HttpResponse:
    rows = usersessions_for_user(request)
    return TemplateResponse(
        request,
        "accounts/security/sessions.html",
        {"sessions": rows, "other_count": sum(1 for row in rows if not row.current)},
    )


@login_required
@require_POST
def session_end(request: HttpRequest, pk: int) -> HttpResponse:
    session = get_usersession_for_user(request.user, pk)
    is_current = session.session_key == request.session.session_key
    audit_record(
        action="auth.session_ended",
        actor=request.user,
        target=_user(request),
        details={"session_id": session.pk, "current": is_current},
    )
    end_sessions(request, [session])
    if is_current:
        return redirect("account_login")
    messages.success(request, gettext("That device is signed out."))
    return redirect("security:sessions")


@login_required
@require_POST
def sessions_end_others(request: HttpRequest) -> HttpResponse:
    others = list(
        UserSession.objects.filter(user_id=request.user.pk).exclude(
            session_key=request.session.session_key
        )
    )
    end_sessions(request, others)
    audit_record(
        action="auth.sessions_ended_others",
        actor=request.user,
        target=_user(request),
        details={"count": len(others)},
    )
    security_change_cleared(request)
    messages.success(request, gettext("You are signed out on every other device."))
    next_url = _safe_next(request, request.POST.get("next"))
    return HttpResponseRedirect(next_url or reverse("security:sessions"))


@require_POST
def keepalive(request: HttpRequest) -> HttpResponse:
    """Called by static/js/keepalive.js while someone is working on a page.

    Answers 401 (not a redirect) when the session has ended, so the script can send
    the person to the sign-in page.
    """
    if not request.user.is_authenticated:
        return JsonResponse({"signed_in": False}, status=401)
    session_touch(request)
    return JsonResponse({"signed_in": True, "idle_seconds": session_idle_limit(request)})


# --- 429 ---------------------------------------------------------------------------------------------


def throttled(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler429`` for allauth's rate limits (sign-in, sign-up, password reset, …).

    The answer is the same whoever is asking and whichever account was named.
    """
    audit_record(
        action="throttle.refused",
        actor=request.user if request.user.is_authenticated else None,
        details={"scope": "allauth", "path": request.path[:200]},
    )
    return TemplateResponse(request, "accounts/security/throttled.html", {}, status=429).render()
