"""Onboarding for coaches and clients, and the legal pages consent points at.

Each step is a page of its own; leaving it stamps the step. ``/onboarding/<role>/``
always sends to the first step not done, so onboarding can be left and resumed at
any time. Role homes send people with unfinished onboarding here
(``onboarding_gate``); nothing here sends back to a role home until onboarding is
complete, so the two can never bounce a person between them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loom.accounts import safety, services
from loom.accounts.forms import (
    ClientConsentForm,
    ClientProfileStepForm,
    CoachProfileForm,
    InvitationForm,
    OnboardingIntakeForm,
    apply_service_error,
    form_data,
    form_files,
)
from loom.accounts.mfa_policy import mfa_required_for, mfa_setup_url
from loom.accounts.models import Role, User
from loom.accounts.permissions import client_required, coach_required, home_url_name
from loom.accounts.selectors import (
    CLIENT_STEPS,
    COACH_STEPS,
    STEP_FIELDS,
    Step,
    get_onboarding,
    onboarding_next_step,
)
from loom.accounts.sms_mfa import user_has_second_factor
from loom.core.context import client_ip_var
from loom.core.errors import DomainError

STEP_LABELS = {
    Step.PROFILE: gettext_lazy("Your profile"),
    Step.MFA: gettext_lazy("Account security"),
    Step.AVAILABILITY: gettext_lazy("Availability"),
    Step.INVITE: gettext_lazy("First client"),
    Step.CONSENT: gettext_lazy("Terms and privacy"),
    Step.INTAKE: gettext_lazy("About you"),
}


def onboarding_url(user: Any) -> str | None:
    """Where a person with unfinished onboarding should go next, or ``None``."""
    step = onboarding_next_step(user)
    if step is None:
        return None
    role = "coach" if user.role == Role.COACH else "client"
    return reverse(f"onboarding:{role}_step", args=[step.value])


def onboarding_gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """For role homes: people who have not finished onboarding are taken to their next step."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and (target := onboarding_url(request.user)):
            return redirect(target)
        return view(request, *args, **kwargs)

    return wrapper


def _progress(
    user: User, steps: tuple[Step, ...], current: Step, role: str
) -> list[dict[str, Any]]:
    onboarding = get_onboarding(user)
    return [
        {
            "slug": step.value,
            "label": STEP_LABELS[step],
            "number": index,
            "done": onboarding is not None and getattr(onboarding, STEP_FIELDS[step]) is not None,
            "current": step == current,
            "url": reverse(f"onboarding:{role}_step", args=[step.value]),
        }
        for index, step in enumerate(steps, start=1)
    ]


def _after_step(request: HttpRequest) -> HttpResponse:
    user = request.user
    target = onboarding_url(user)
    if target is not None:
        return redirect(target)
    messages.success(request, _("You are all set. Welcome to Loom!"))
    return redirect(home_url_name(user))


def _finished(request: HttpRequest) -> HttpResponse | None:
    onboarding = get_onboarding(request.user)  # type: ignore[arg-type]
    if onboarding is None or onboarding.completed_at is not None:
        messages.info(
            request,
            _("Your onboarding is complete. You can change your details on your account page."),
        )
        return redirect(home_url_name(request.user))
    return None


def _render(
    request: HttpRequest,
    template: str,
    *,
    role: str,
    steps: tuple[Step, ...],
    step: Step,
    **context: Any,
) -> HttpResponse:
    index = steps.index(step)
    return TemplateResponse(
        request,
        template,
        {
            "role": role,
            "step": step.value,
            "step_label": STEP_LABELS[step],
            "step_number": index + 1,
            "step_total": len(steps),
            "progress": _progress(request.user, steps, step, role),  # type: ignore[arg-type]
            "previous_url": reverse(f"onboarding:{role}_step", args=[steps[index - 1].value])
            if index
            else "",
            **context,
        },
    )


def _step_from(slug: str, steps: tuple[Step, ...]) -> Step:
    try:
        step = Step(slug)
    except ValueError:
        raise Http404 from None
    if step not in steps:
        raise Http404
    return step


# --- Entry points ----------------------------------------------------------------------------


def start(request: HttpRequest) -> HttpResponse:
    """``/onboarding/``: the signed-in person's next step, or their home when there is none."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse(settings.LOGIN_URL)}?next={request.path}")
    return redirect(onboarding_url(request.user) or reverse(home_url_name(request.user)))


@coach_required
def coach_start(request: HttpRequest) -> HttpResponse:
    return redirect(onboarding_url(request.user) or reverse(home_url_name(request.user)))


@client_required
def client_start(request: HttpRequest) -> HttpResponse:
    return redirect(onboarding_url(request.user) or reverse(home_url_name(request.user)))


# --- Coach steps -------------------------------------------------------------------------------


@coach_required
def coach_step(request: HttpRequest, step: str) -> HttpResponse:
    current = _step_from(step, COACH_STEPS)
    if (done := _finished(request)) is not None:
        return done
    user: User = request.user  # type: ignore[assignment]
    handler = {
        Step.PROFILE: _coach_profile,
        Step.MFA: _coach_mfa,
        Step.AVAILABILITY: _coach_availability,
        Step.INVITE: _coach_invite,
    }[current]
    return handler(request, user, current)


def _coach_profile(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    form = CoachProfileForm(
        form_data(request), form_files(request), initial=CoachProfileForm.initial_for(user)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.onboarding_coach_profile(user=user, **form.service_kwargs())
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/coach_profile.html",
        role="coach",
        steps=COACH_STEPS,
        step=step,
        form=form,
    )


def _coach_mfa(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    error = ""
    if request.method == "POST":
        try:
            services.onboarding_mfa(user=user, skip="skip" in request.POST)
        except DomainError as exc:
            error = str(exc)
        else:
            return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/coach_mfa.html",
        role="coach",
        steps=COACH_STEPS,
        step=step,
        has_mfa=user_has_second_factor(user),
        mfa_required=mfa_required_for(user),
        # The set-up page returns here when done.
        mfa_setup_url=mfa_setup_url(request.path),
        error=error,
    )


def _coach_availability(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    if request.method == "POST":
        services.onboarding_availability(user=user)
        return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/coach_availability.html",
        role="coach",
        steps=COACH_STEPS,
        step=step,
    )


def _coach_invite(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    skipping = request.method == "POST" and "skip" in request.POST
    form = InvitationForm(
        None if skipping else (form_data(request)), initial={"language": user.language}
    )
    if skipping:
        services.onboarding_first_invite(user=user, skip=True)
        return _after_step(request)
    if request.method == "POST" and form.is_valid():
        try:
            _onboarding, sent = services.onboarding_first_invite(user=user, **form.cleaned_data)
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            if sent is not None:
                messages.success(
                    request, _("Invitation sent to %(email)s.") % {"email": sent.invitation.email}
                )
            return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/coach_invite.html",
        role="coach",
        steps=COACH_STEPS,
        step=step,
        form=form,
    )


# --- Client steps ------------------------------------------------------------------------------


@client_required
def client_step(request: HttpRequest, step: str) -> HttpResponse:
    current = _step_from(step, CLIENT_STEPS)
    if (done := _finished(request)) is not None:
        return done
    user: User = request.user  # type: ignore[assignment]
    handler = {
        Step.PROFILE: _client_profile,
        Step.CONSENT: _client_consent,
        Step.INTAKE: _client_intake,
    }[current]
    return handler(request, user, current)


def _client_profile(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    initial = {
        "full_name": user.full_name,
        "language": user.language,
        "timezone": user.timezone if user.timezone != "UTC" else "",
    }
    form = ClientProfileStepForm(form_data(request), form_files(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.onboarding_client_profile(
                user=user,
                full_name=data["full_name"],
                language=data["language"],
                time_zone=data["timezone"],
                avatar=data.get("avatar"),
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/client_profile.html",
        role="client",
        steps=CLIENT_STEPS,
        step=step,
        form=form,
    )


def _crisis_consent(user: User) -> bool:
    profile = getattr(user, "client_profile", None)
    return bool(profile and profile.crisis_contact_consent_at)


def _client_consent(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    form = ClientConsentForm(form_data(request), initial={"crisis_contact": _crisis_consent(user)})
    if request.method == "POST" and form.is_valid():
        safety.onboarding_consent_with_crisis_contact(
            user=user,
            crisis_contact=form.cleaned_data["crisis_contact"],
            ip_address=client_ip_var.get(),
        )
        return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/client_consent.html",
        role="client",
        steps=CLIENT_STEPS,
        step=step,
        form=form,
        terms_version=settings.LOOM_TERMS_VERSION,
        privacy_version=settings.LOOM_PRIVACY_VERSION,
    )


def _client_intake(request: HttpRequest, user: User, step: Step) -> HttpResponse:
    profile = getattr(user, "client_profile", None)
    initial = {
        "goals": profile.goals if profile else "",
        "reason": profile.reason if profile else "",
        "crisis_contact": _crisis_consent(user),
    }
    form = OnboardingIntakeForm(form_data(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            safety.onboarding_intake_with_crisis_contact(
                user=user,
                goals=form.cleaned_data["goals"],
                reason=form.cleaned_data["reason"],
                crisis_contact=form.cleaned_data["crisis_contact"],
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            return _after_step(request)
    return _render(
        request,
        "accounts/onboarding/client_intake.html",
        role="client",
        steps=CLIENT_STEPS,
        step=step,
        form=form,
    )


# --- Legal pages -------------------------------------------------------------------------------


def legal_terms(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "accounts/legal/terms.html", {"version": settings.LOOM_TERMS_VERSION}
    )


def legal_privacy(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request, "accounts/legal/privacy.html", {"version": settings.LOOM_PRIVACY_VERSION}
    )
