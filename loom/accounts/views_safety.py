"""Safety pages: the crisis lines page (anyone), the crisis-contact setting (clients)
and the admins' review of crisis signals. Thin: the work is in ``loom.accounts.safety``."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loom.accounts import safety
from loom.accounts.forms import CrisisConsentForm, form_data
from loom.accounts.models import ClientProfile, CrisisSignal, User
from loom.accounts.permissions import admin_required, client_required

REVIEW_PAGE_SIZE = 50


@require_GET
def crisis_lines(request: HttpRequest) -> HttpResponse:
    """Where to get help now: the person's region first, then every other region."""
    region = safety.crisis_region(request.user)
    return TemplateResponse(
        request,
        "accounts/safety/crisis_lines.html",
        {"regions": safety.all_regions(region), "own_region": region},
    )


@client_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Change the crisis-contact consent given at onboarding."""
    user: User = request.user  # type: ignore[assignment]
    profile = ClientProfile.objects.filter(user=user).first()
    consented_at = profile.crisis_contact_consent_at if profile else None
    form = CrisisConsentForm(
        form_data(request), initial={"crisis_contact": consented_at is not None}
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            safety.crisis_consent_set(
                client=request.user,  # type: ignore[arg-type]
                consent=form.cleaned_data["crisis_contact"],
            )
        messages.success(request, _("Your choice is saved."))
        return redirect("safety:settings")
    return TemplateResponse(
        request,
        "accounts/safety/settings.html",
        {"form": form, "consented_at": consented_at},
    )


@admin_required
@require_GET
def review(request: HttpRequest) -> HttpResponse:
    """Crisis signals for admins to review: who, when, how severe, never the text."""
    status = request.GET.get("status", "unreviewed")
    if status not in safety.REVIEW_FILTERS:
        status = "unreviewed"
    page = Paginator(
        safety.crisis_signals_for_admin(admin=request.user, status=status),  # type: ignore[arg-type]
        REVIEW_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "accounts/safety/review.html",
        {"page_obj": page, "status": status, "note_max": safety.REVIEW_NOTE_MAX},
    )


@admin_required
@require_POST
def mark_reviewed(request: HttpRequest, signal_id: int) -> HttpResponse:
    note = request.POST.get("note", "")
    if len(note) > safety.REVIEW_NOTE_MAX:
        messages.error(
            request,
            _("The note is too long (at most %(max)s characters).")
            % {"max": f"{safety.REVIEW_NOTE_MAX:,}"},
        )
    else:
        try:
            safety.crisis_signal_review(
                admin=request.user,  # type: ignore[arg-type]
                signal_id=signal_id,
                note=note,
            )
        except CrisisSignal.DoesNotExist as exc:
            raise Http404 from exc
        messages.success(request, _("Marked as reviewed."))
    status = request.POST.get("status", "unreviewed")
    if status not in safety.REVIEW_FILTERS:
        status = "unreviewed"
    return redirect(f"{reverse('safety:review')}?status={status}")
