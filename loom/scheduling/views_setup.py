"""The coach's scheduling setup: session types, weekly hours and date changes, settings.

Every page is under ``/coach/scheduling/`` and for coaches only. Views parse, call one
service or selector and render; the services check every rule again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data
from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.core.errors import DomainError, NotFound
from loom.scheduling import selectors, services
from loom.scheduling.forms_setup import (
    OverrideForm,
    SchedulingSettingsForm,
    SessionTypeForm,
    WeeklyHoursForm,
    readable_text_colour,
)
from loom.scheduling.models import LocationKind, SessionType

# The slot preview covers this many days from today (coach's zone).
PREVIEW_DAYS = 7


def _coach(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _today(tz: ZoneInfo) -> date:
    return timezone.now().astimezone(tz).date()


def _zone(coach: User) -> tuple[ZoneInfo, str]:
    """The coach's zone, or UTC and the reason when the stored name no longer resolves
    (the page still opens and says so; the preview is left out)."""
    try:
        return selectors.coach_zone(coach), ""
    except DomainError as exc:
        return ZoneInfo("UTC"), str(exc)


# --- Session types -------------------------------------------------------------------------


@dataclass(frozen=True)
class TypeRow:
    session_type: SessionType
    text_colour: str


@coach_required
@require_http_methods(["GET"])
def types(request: HttpRequest) -> HttpResponse:
    """Every session type of the coach, active first. One query."""
    rows = [
        TypeRow(session_type, readable_text_colour(session_type.colour))
        for session_type in selectors.session_types_for_coach(_coach(request), active_only=False)
    ]
    rows.sort(key=lambda row: not row.session_type.is_active)
    return TemplateResponse(request, "scheduling/setup/types.html", {"rows": rows})


def _type_form_page(
    request: HttpRequest, form: SessionTypeForm, *, session_type: SessionType | None
) -> HttpResponse:
    return TemplateResponse(
        request,
        "scheduling/setup/type_form.html",
        {
            "form": form,
            "session_type": session_type,
            "in_person": LocationKind.IN_PERSON.value,
        },
        status=400 if form.errors else 200,
    )


@coach_required
@require_http_methods(["GET", "POST"])
def type_new(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    form = SessionTypeForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            created = services.session_type_create(coach=coach, data=form.to_input())
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” was added.") % {"name": created.name})
            return redirect("scheduling_setup:types")
    return _type_form_page(request, form, session_type=None)


@coach_required
@require_http_methods(["GET", "POST"])
def type_edit(request: HttpRequest, session_type_id: int) -> HttpResponse:
    coach = _coach(request)
    session_type = selectors.get_session_type_for_coach(coach, session_type_id)
    form = SessionTypeForm(form_data(request), initial=SessionTypeForm.initial_for(session_type))
    if request.method == "POST" and form.is_valid():
        try:
            updated = services.session_type_update(
                coach=coach, session_type_id=session_type.pk, data=form.to_input()
            )
        except NotFound:
            raise Http404 from None
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” was saved.") % {"name": updated.name})
            return redirect("scheduling_setup:types")
    return _type_form_page(request, form, session_type=session_type)


def _set_active(request: HttpRequest, session_type_id: int, *, active: bool) -> HttpResponse:
    try:
        session_type = services.session_type_set_active(
            coach=_coach(request), session_type_id=session_type_id, active=active
        )
    except NotFound:
        raise Http404 from None
    if active:
        message = _("“%(name)s” can be booked again.")
    else:
        message = _("“%(name)s” can no longer be booked. Sessions already booked stay.")
    messages.success(request, message % {"name": session_type.name})
    return redirect("scheduling_setup:types")


@coach_required
@require_POST
def type_deactivate(request: HttpRequest, session_type_id: int) -> HttpResponse:
    return _set_active(request, session_type_id, active=False)


@coach_required
@require_POST
def type_reactivate(request: HttpRequest, session_type_id: int) -> HttpResponse:
    return _set_active(request, session_type_id, active=True)


# --- Availability --------------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewDay:
    day: date
    slots: list[datetime]


@dataclass(frozen=True)
class Preview:
    session_type: SessionType
    days: list[PreviewDay]

    @property
    def count(self) -> int:
        return sum(len(day.slots) for day in self.days)


def _preview_type(request: HttpRequest, active_types: list[SessionType]) -> SessionType | None:
    """The type named by ``?preview_type=`` (404 unless the coach's own), else the first."""
    wanted = request.GET.get("preview_type") or request.POST.get("preview_type")
    if wanted:
        return selectors.get_session_type_for_coach(_coach(request), wanted)
    return active_types[0] if active_types else None


def _preview(session_type: SessionType | None, tz: ZoneInfo) -> Preview | None:
    if session_type is None:
        return None
    today = _today(tz)
    start = datetime.combine(today, time.min, tzinfo=tz)
    end = datetime.combine(today + timedelta(days=PREVIEW_DAYS), time.min, tzinfo=tz)
    slots = selectors.slots_for_session_type(session_type, start=start, end=end)
    by_day: dict[date, list[datetime]] = {
        today + timedelta(days=offset): [] for offset in range(PREVIEW_DAYS)
    }
    for slot in slots:
        local = slot.starts_at.astimezone(tz)
        by_day.setdefault(local.date(), []).append(local)
    return Preview(session_type, [PreviewDay(day, found) for day, found in by_day.items()])


def _availability_page(
    request: HttpRequest,
    *,
    weekly: WeeklyHoursForm | None = None,
    override_form: OverrideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    coach = _coach(request)
    tz, zone_error = _zone(coach)
    today = _today(tz)
    if weekly is None:
        saved, _overrides = selectors.availability_for(coach)
        weekly = WeeklyHoursForm(saved=[(r.weekday, r.start, r.end) for r in saved])
    weekly.pad()
    active_types = selectors.session_types_for_coach(coach)
    preview_type = _preview_type(request, active_types)
    return TemplateResponse(
        request,
        "scheduling/setup/availability.html",
        {
            "weekly": weekly,
            "override_form": override_form or OverrideForm(today=today),
            "overrides": selectors.upcoming_overrides_for_coach(coach, today=today),
            "active_types": active_types,
            "preview": None if zone_error else _preview(preview_type, tz),
            "preview_type": preview_type,
            "coach_timezone": coach.timezone if zone_error else tz.key,
            "zone_error": zone_error,
            "today": today,
        },
        status=status,
    )


def _availability_url(preview_type: Any) -> str:
    url = reverse("scheduling_setup:availability")
    try:
        return f"{url}?preview_type={int(preview_type)}" if preview_type else url
    except (TypeError, ValueError):
        return url


@coach_required
@require_http_methods(["GET", "POST"])
def availability(request: HttpRequest) -> HttpResponse:
    """The week editor, date changes and the slot preview. POST saves the weekly hours
    (all or nothing) or, with ``action=copy_monday``, copies Monday's rows to Tuesday
    to Friday on the page without saving."""
    if request.method == "GET":
        return _availability_page(request)
    weekly = WeeklyHoursForm(request.POST)
    if request.POST.get("action") == "copy_monday":
        weekly.copy_monday_to_weekdays()
        messages.info(
            request, _("Monday's hours were copied to Tuesday to Friday. Save to keep them.")
        )
        return _availability_page(request, weekly=weekly)
    if not weekly.is_valid():
        return _availability_page(request, weekly=weekly, status=400)
    try:
        services.weekly_availability_set(coach=_coach(request), ranges=weekly.ranges)
    except (ValidationError, DomainError) as exc:
        weekly.errors.extend(exc.messages if isinstance(exc, ValidationError) else [str(exc)])
        weekly.mark_overlaps()
        return _availability_page(request, weekly=weekly, status=400)
    messages.success(request, _("Your weekly hours were saved."))
    return redirect(_availability_url(request.POST.get("preview_type")))


@coach_required
@require_POST
def override_add(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    form = OverrideForm(request.POST, today=_today(_zone(coach)[0]))
    if form.is_valid():
        try:
            services.availability_override_add(
                coach=coach,
                day=form.cleaned_data["date"],
                kind=form.cleaned_data["kind"],
                start_time=form.cleaned_data["start_time"],
                end_time=form.cleaned_data["end_time"],
            )
        except (ValidationError, DomainError) as exc:
            if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                # The service names the times "ranges"; show them by the start time.
                exc = ValidationError(
                    {
                        ("start_time" if name == "ranges" else name): errors
                        for name, errors in exc.error_dict.items()
                    }
                )
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The change to your availability was added."))
            return redirect(_availability_url(request.POST.get("preview_type")))
    return _availability_page(request, override_form=form, status=400)


@coach_required
@require_POST
def override_remove(request: HttpRequest, override_id: int) -> HttpResponse:
    try:
        services.availability_override_remove(coach=_coach(request), override_id=override_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The change to your availability was removed."))
    return redirect(_availability_url(request.POST.get("preview_type")))


# --- Settings ------------------------------------------------------------------------------


@coach_required
@require_http_methods(["GET", "POST"])
def settings(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    row = selectors.scheduling_settings_for_coach(coach)
    form = SchedulingSettingsForm(
        form_data(request), initial=SchedulingSettingsForm.initial_for(row)
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.scheduling_settings_update(
                coach=coach,
                cancellation_cutoff_hours=form.cleaned_data["cancellation_cutoff_hours"],
                reminder_offsets_minutes=form.cleaned_data["reminder_offsets_minutes"],
                own_meeting_url=form.cleaned_data["own_meeting_url"],
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("Your scheduling settings were saved."))
            return redirect("scheduling_setup:settings")
    return TemplateResponse(
        request,
        "scheduling/setup/settings.html",
        {"form": form, "cutoff_hours": row.cancellation_cutoff_hours},
        status=400 if form.errors else 200,
    )
