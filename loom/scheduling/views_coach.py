"""The coach's session pages: today and upcoming, the approval queue, the week calendar,
the session page with its actions, and booking for a client.

Views are thin: they read through ``loom.scheduling.selectors`` (a session that is not
the coach's is a 404) and write through ``loom.scheduling.services``, whose refusals
(``DomainError``) are shown as they are and change nothing. A form that fails is
rendered again with the service's message and its status (409 when the time was just
taken); a one-button action (approve, start, …) redirects with the message.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data
from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.accounts.timezones import zone_named
from loom.core.errors import DomainError
from loom.scheduling import services
from loom.scheduling.emails import format_when, keep_ltr
from loom.scheduling.forms import (
    BookChoiceForm,
    BookSlotForm,
    CancelForm,
    DeclineForm,
    RescheduleForm,
    slot_days,
    slot_value,
)
from loom.scheduling.models import Session, SessionEvent, SessionStatus, SessionType
from loom.scheduling.selectors import (
    active_clients_for_coach,
    approval_queue_for_coach,
    coach_calendar_sessions,
    coach_sessions_between,
    coach_upcoming_queryset,
    get_session_for_user,
    local_day_bounds,
    one_to_one_types_for_coach,
    pending_request_count,
    session_events_for,
    slots_for_session_type,
    working_windows_for_week,
)
from loom.scheduling.series import session_book_weekly_series
from loom.scheduling.slots import Slot

UPCOMING_PER_PAGE = 20
# The slot grid of the reschedule and booking pages: this many days from today.
SLOT_DAYS = 14
# The week calendar: rows of this many minutes; hours shown when nothing else says.
ROW_MINUTES = 15
DEFAULT_FIRST_HOUR = 8
DEFAULT_LAST_HOUR = 18


# --- Helpers ---------------------------------------------------------------------------------


def _coach(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _zone(user: User) -> ZoneInfo:
    """The user's zone; the site's default when the stored name no longer resolves."""
    return zone_named(user.timezone)


def _own_session(request: HttpRequest, session_id: int) -> Session:
    """One of the coach's own sessions; anyone else's (or none) is a 404."""
    return get_session_for_user(_coach(request), session_id)


def _error_message(exc: DomainError | ValidationError) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc)


def _status_tone(status: str) -> str:
    tones: dict[str, str] = {
        SessionStatus.REQUESTED: "warning",
        SessionStatus.SCHEDULED: "info",
        SessionStatus.IN_PROGRESS: "success",
        SessionStatus.COMPLETED: "neutral",
        SessionStatus.NO_SHOW: "danger",
        SessionStatus.CANCELLED: "danger",
        SessionStatus.DECLINED: "neutral",
    }
    return tones.get(status, "neutral")


@dataclass
class SessionRow:
    """A session as the lists show it: times in the coach's zone and, when it differs,
    in the client's."""

    session: Session
    when: str
    client_when: str
    tone: str


def _rows(sessions: list[Session], coach_tz: ZoneInfo) -> list[SessionRow]:
    rows = []
    for session in sessions:
        client_when = ""
        if session.client is not None:
            client_tz = _zone(session.client)
            if client_tz.key != coach_tz.key:
                client_when = format_when(session.starts_at, session.ends_at, client_tz)
        rows.append(
            SessionRow(
                session=session,
                when=format_when(session.starts_at, session.ends_at, coach_tz),
                client_when=client_when,
                tone=_status_tone(session.status),
            )
        )
    return rows


@dataclass
class SlotDay:
    """One day of the slot grid: its free times as (form value, slot); ``is_open`` says
    whether the day starts unfolded (the first day, and the day of the chosen time)."""

    date: date
    slots: list[tuple[str, Slot]]
    is_open: bool


def _slot_grid(
    session_type: SessionType,
    *,
    tz: ZoneInfo,
    now: datetime,
    exclude_session_id: int | None,
    selected: str = "",
) -> list[SlotDay]:
    """The next ``SLOT_DAYS`` days of bookable slots of ``session_type``, by local day."""
    today = now.astimezone(tz).date()
    _start, end = local_day_bounds(today + timedelta(days=SLOT_DAYS - 1), tz)
    slots = slots_for_session_type(
        session_type, start=now, end=end, now=now, exclude_session_id=exclude_session_id
    )
    grid = []
    for index, (day, day_slots) in enumerate(slot_days(slots, tz)):
        values = [(slot_value(slot.starts_at), slot) for slot in day_slots]
        is_open = index == 0 or any(value == selected for value, _slot in values)
        grid.append(SlotDay(date=day, slots=values, is_open=is_open))
    return grid


# --- Today and upcoming ----------------------------------------------------------------------


@coach_required
@require_http_methods(["GET"])
def today(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    tz = _zone(coach)
    now = timezone.now()
    day_start, day_end = local_day_bounds(now.astimezone(tz).date(), tz)
    todays = coach_sessions_between(coach, day_start, day_end)
    page = Paginator(coach_upcoming_queryset(coach, after=day_end), UPCOMING_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return TemplateResponse(
        request,
        "scheduling/coach/today.html",
        {
            "today_rows": _rows(todays, tz),
            "page_obj": page,
            "upcoming_rows": _rows(list(page.object_list), tz),
            "pending_count": pending_request_count(coach, now=now),
            "today_date": day_start,
            "now": now,
        },
    )


# --- Approval queue --------------------------------------------------------------------------


@coach_required
@require_http_methods(["GET"])
def requests(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    tz = _zone(coach)
    queue = approval_queue_for_coach(coach)
    return TemplateResponse(
        request,
        "scheduling/coach/requests.html",
        {"rows": _rows(queue, tz), "decline_form": DeclineForm()},
    )


def _back(request: HttpRequest, session: Session) -> HttpResponse:
    """Back to where the action was taken: the session page or the queue."""
    if request.POST.get("next") == "detail":
        return redirect("scheduling_coach:detail", session_id=session.pk)
    return redirect("scheduling_coach:requests")


@coach_required
@require_POST
def approve(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _own_session(request, session_id)
    try:
        services.session_approve(actor=_coach(request), session=session)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Session with %(name)s confirmed. We emailed them.")
            % {"name": session.client.display_name if session.client else ""},
        )
    return _back(request, session)


@coach_required
@require_http_methods(["GET", "POST"])
def decline(request: HttpRequest, session_id: int) -> HttpResponse:
    """The queue's decline dialog posts here; without JavaScript this is its page."""
    coach = _coach(request)
    session = _own_session(request, session_id)
    form = DeclineForm(form_data(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.session_decline(
                actor=coach, session=session, reason=form.cleaned_data["reason"]
            )
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
            status = getattr(exc, "status", 400)
        else:
            messages.success(request, _("Request declined. We emailed the client your reason."))
            return redirect("scheduling_coach:requests")
    if form.errors and status == 200:
        status = 400
    return TemplateResponse(
        request,
        "scheduling/coach/decline.html",
        {"session": session, "row": _rows([session], _zone(coach))[0], "form": form},
        status=status,
    )


# --- Week calendar ---------------------------------------------------------------------------


@dataclass
class CalendarItem:
    """A block on a day column: ``row`` and ``span`` count rows of ``ROW_MINUTES``.

    A session's block carries its display strings, worked out once in the view (the
    page shows up to a few hundred).
    """

    row: int
    span: int
    label: str = ""
    url: str = ""
    who: str = ""
    type_name: str = ""
    colour: str = ""
    status: str = ""
    status_label: str = ""

    @property
    def classes(self) -> str:
        """Its place on the grid (strings, so the template does not localize numbers)."""
        return f"sc-r-{self.row} sc-s-{self.span}"


@dataclass
class CalendarDay:
    date: date
    is_today: bool
    sessions: list[CalendarItem] = field(default_factory=list)
    working: list[CalendarItem] = field(default_factory=list)
    hours_label: str = ""


# Python weekday numbers (Monday 0) of the first day of a week: Sunday in Hebrew, as the
# week runs in Israel; Monday (ISO) otherwise.
FIRST_WEEKDAY = {"he": 6}


def _first_weekday() -> int:
    return FIRST_WEEKDAY.get((translation.get_language() or "")[:2], 0)


def _week_first_day(value: str | None, today_local: date) -> date:
    """The first day of the week holding ``value`` (a date), or of this week."""
    first = _first_weekday()
    day = today_local
    if value:
        try:
            day = date.fromisoformat(value)
        except ValueError:
            day = today_local
    start = day - timedelta(days=(day.weekday() - first) % 7)
    # Keep a week's arithmetic inside the calendar's range (year 1 to 9999).
    if start < date(1, 1, 8) or start > date(9999, 12, 20):
        start = today_local - timedelta(days=(today_local.weekday() - first) % 7)
    return start


def _minutes(value: time) -> int:
    return value.hour * 60 + value.minute


def _place(
    start_minute: int, end_minute: int, first_minute: int, last_minute: int
) -> tuple[int, int]:
    """Grid row (1-based) and span of ``[start, end)`` minutes of a day, clipped to the
    hours shown."""
    start_minute = max(start_minute, first_minute)
    end_minute = min(max(end_minute, start_minute + ROW_MINUTES), last_minute)
    row = (start_minute - first_minute) // ROW_MINUTES + 1
    span = max(1, math.ceil((end_minute - start_minute) / ROW_MINUTES))
    return row, span


@coach_required
@require_http_methods(["GET"])
def calendar(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    tz = _zone(coach)
    now = timezone.now()
    today_local = now.astimezone(tz).date()
    week_first = _week_first_day(request.GET.get("week"), today_local)
    week_start, _end = local_day_bounds(week_first, tz)
    _start, week_end = local_day_bounds(week_first + timedelta(days=6), tz)
    sessions = coach_calendar_sessions(coach, week_start, week_end)
    windows = working_windows_for_week(coach, week_first)

    # The hours shown: the working hours and every session of the week, whole hours.
    first_hour, last_hour = DEFAULT_FIRST_HOUR, DEFAULT_LAST_HOUR
    spans: list[tuple[date, int, int, Session]] = []
    for session in sessions:
        local_start = session.starts_at.astimezone(tz)
        local_end = session.ends_at.astimezone(tz)
        day = max(local_start.date(), week_first)
        start_minute = _minutes(local_start.time()) if local_start.date() == day else 0
        end_minute = _minutes(local_end.time()) if local_end.date() == day else 24 * 60
        spans.append((day, start_minute, end_minute, session))
    minutes = [(s, e) for _d, s, e, _x in spans] + [
        (_minutes(a), _minutes(b) or 24 * 60) for ranges in windows.values() for a, b in ranges
    ]
    if minutes:
        first_hour = min(first_hour, min(s for s, _e in minutes) // 60)
        last_hour = max(last_hour, math.ceil(max(e for _s, e in minutes) / 60))
    last_hour = min(last_hour, 24)
    first_minute, last_minute = first_hour * 60, last_hour * 60

    days = {
        week_first + timedelta(days=offset): CalendarDay(
            date=week_first + timedelta(days=offset),
            is_today=week_first + timedelta(days=offset) == today_local,
        )
        for offset in range(7)
    }
    for day_date, ranges in windows.items():
        column = days[day_date]
        for start, end in ranges:
            row, span = _place(_minutes(start), _minutes(end) or 24 * 60, first_minute, last_minute)
            column.working.append(CalendarItem(row=row, span=span))
        column.hours_label = ", ".join(
            keep_ltr(f"{time_format(start, 'TIME_FORMAT')}–{time_format(end, 'TIME_FORMAT')}")
            for start, end in ranges
        )
    # The detail URL of each session: reverse once, then fill in the id.
    url_pattern = reverse("scheduling_coach:detail", args=[0]).replace("/0/", "/{}/")
    group_label = _("Group session")
    status_labels = {value: str(label) for value, label in SessionStatus.choices}
    for day_date, start_minute, end_minute, session in spans:
        if day_date not in days:
            continue
        row, span = _place(start_minute, end_minute, first_minute, last_minute)
        local_start = session.starts_at.astimezone(tz)
        local_end = session.ends_at.astimezone(tz)
        days[day_date].sessions.append(
            CalendarItem(
                row=row,
                span=span,
                label=keep_ltr(
                    f"{time_format(local_start, 'TIME_FORMAT')}–"
                    f"{time_format(local_end, 'TIME_FORMAT')}"
                ),
                url=url_pattern.format(session.pk),
                who=session.client.display_name if session.client else group_label,
                type_name=session.session_type.name,
                colour=session.session_type.colour,
                status=session.status,
                status_label=status_labels.get(session.status, session.status),
            )
        )
    hours = [
        CalendarItem(
            row=(hour * 60 - first_minute) // ROW_MINUTES + 1,
            span=60 // ROW_MINUTES,
            label=time_format(time(hour), "TIME_FORMAT"),
        )
        for hour in range(first_hour, last_hour)
    ]
    return TemplateResponse(
        request,
        "scheduling/coach/calendar.html",
        {
            "days": list(days.values()),
            "hours": hours,
            "fill_class": f"sc-r-{(last_minute - first_minute) // ROW_MINUTES}",
            "week_first": week_first,
            "week_last": week_first + timedelta(days=6),
            "previous_week": (week_first - timedelta(days=7)).isoformat(),
            "next_week": (week_first + timedelta(days=7)).isoformat(),
            "is_this_week": week_first <= today_local <= week_first + timedelta(days=6),
            "coach_zone": tz.key,
            "session_count": len(sessions),
        },
    )


# --- Session page and its actions ------------------------------------------------------------


@dataclass
class HistoryLine:
    event: SessionEvent
    actor_name: str
    old_when: str
    new_when: str


def _history(session: Session, tz: ZoneInfo, viewer: User) -> list[HistoryLine]:
    lines = []
    for event in session_events_for(session):
        if event.actor is None:
            actor_name = _("Loom")
        elif event.actor_id == viewer.pk:
            actor_name = _("You")
        else:
            actor_name = event.actor.display_name
        old_when = new_when = ""
        if event.old_starts_at and event.old_ends_at:
            old_when = format_when(event.old_starts_at, event.old_ends_at, tz)
        if event.kind == "rescheduled" and event.new_starts_at and event.new_ends_at:
            new_when = format_when(event.new_starts_at, event.new_ends_at, tz)
        lines.append(
            HistoryLine(event=event, actor_name=actor_name, old_when=old_when, new_when=new_when)
        )
    return lines


def _actions(session: Session, now: datetime) -> dict[str, bool]:
    """Which actions the session's state allows now (the services check again)."""
    status = session.status
    upcoming = status in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED)
    started = now >= session.starts_at
    return {
        "approve": status == SessionStatus.REQUESTED and session.starts_at > now,
        "decline": status == SessionStatus.REQUESTED,
        "start": status == SessionStatus.SCHEDULED
        and session.starts_at - services.START_EARLY <= now < session.ends_at,
        "complete": status in (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS) and started,
        "no_show": status in (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS) and started,
        "reschedule": upcoming and session.starts_at > now,
        "cancel": upcoming,
    }


def _detail_context(request: HttpRequest, session: Session) -> dict[str, Any]:
    coach = _coach(request)
    tz = _zone(coach)
    now = timezone.now()
    return {
        "session": session,
        "row": _rows([session], tz)[0],
        "history": _history(session, tz, coach),
        "actions": _actions(session, now),
        "cancel_form": CancelForm(),
        "decline_form": DeclineForm(),
        "status_label": SessionStatus(session.status).label,
    }


@coach_required
@require_http_methods(["GET"])
def detail(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _own_session(request, session_id)
    return TemplateResponse(
        request, "scheduling/coach/detail.html", _detail_context(request, session)
    )


def _lifecycle(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    session = _own_session(request, session_id)
    service, done = {
        "start": (services.session_start, _("Session started.")),
        "complete": (services.session_complete, _("Session marked as completed.")),
        "no_show": (services.session_mark_no_show, _("Session marked as a no-show.")),
    }[action]
    try:
        service(actor=_coach(request), session=session)
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect("scheduling_coach:detail", session_id=session.pk)


@coach_required
@require_POST
def start(request: HttpRequest, session_id: int) -> HttpResponse:
    return _lifecycle(request, session_id, "start")


@coach_required
@require_POST
def complete(request: HttpRequest, session_id: int) -> HttpResponse:
    return _lifecycle(request, session_id, "complete")


@coach_required
@require_POST
def no_show(request: HttpRequest, session_id: int) -> HttpResponse:
    return _lifecycle(request, session_id, "no_show")


@coach_required
@require_http_methods(["GET", "POST"])
def reschedule(request: HttpRequest, session_id: int) -> HttpResponse:
    coach = _coach(request)
    session = _own_session(request, session_id)
    tz = _zone(coach)
    status = 200
    is_post = request.method == "POST"
    form = RescheduleForm(form_data(request), tz=tz, any_slot=is_post)
    if is_post and form.is_valid():
        try:
            services.session_reschedule(
                actor=coach,
                session=session,
                starts_at=form.cleaned_data["starts_at"],
                reason=form.cleaned_data["reason"],
            )
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
            status = getattr(exc, "status", 400)
        else:
            messages.success(request, _("Session moved. We emailed the client the new time."))
            return redirect("scheduling_coach:detail", session_id=session.pk)
    if form.errors and status == 200:
        status = 400
    grid: list[Any] = []
    error = ""
    can_move = session.status in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED)
    if can_move:
        try:
            grid = _slot_grid(
                session.session_type,
                tz=tz,
                now=timezone.now(),
                exclude_session_id=session.pk,
                selected=request.POST.get("starts_at", "") if is_post else "",
            )
        except DomainError as exc:
            error = str(exc)
    return TemplateResponse(
        request,
        "scheduling/coach/reschedule.html",
        {
            "session": session,
            "row": _rows([session], tz)[0],
            "form": form,
            "grid": grid,
            "grid_error": error,
            "can_move": can_move,
            "selected": request.POST.get("starts_at", "") if is_post else "",
            "slot_days": SLOT_DAYS,
            "coach_zone": tz.key,
        },
        status=status,
    )


@coach_required
@require_http_methods(["GET", "POST"])
def cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    """The session page's cancel dialog posts here; without JavaScript this is its page."""
    coach = _coach(request)
    session = _own_session(request, session_id)
    form = CancelForm(form_data(request))
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.session_cancel(
                actor=coach, session=session, reason=form.cleaned_data["reason"]
            )
        except (DomainError, ValidationError) as exc:
            apply_service_error(form, exc)
            status = getattr(exc, "status", 400)
        else:
            messages.success(request, _("Session cancelled. We emailed the client."))
            return redirect("scheduling_coach:detail", session_id=session.pk)
    if form.errors and status == 200:
        status = 400
    return TemplateResponse(
        request,
        "scheduling/coach/cancel.html",
        {"session": session, "row": _rows([session], _zone(coach))[0], "form": form},
        status=status,
    )


# --- Book for a client -----------------------------------------------------------------------


@coach_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Choose an active client and a one-to-one type, then a time, then book.

    Step one is a GET form (``?client=&type=``); with both chosen the page shows the
    slot grid, whose form posts the three values back.
    """
    coach = _coach(request)
    tz = _zone(coach)
    clients = active_clients_for_coach(coach)
    types = one_to_one_types_for_coach(coach)
    is_post = request.method == "POST"
    source = request.POST if is_post else request.GET
    choice_data = {"client": source.get("client", ""), "session_type": source.get("type", "")}
    bound = is_post or "type" in request.GET
    choice = BookChoiceForm(
        choice_data if bound else None,
        clients=clients,
        session_types=types,
        initial={"client": request.GET.get("client", "")},
    )
    slot_form = BookSlotForm(form_data(request), tz=tz, any_slot=is_post)
    status = 200
    chosen: tuple[User, SessionType] | None = None
    if bound and choice.is_valid():
        chosen = choice.chosen()
    if is_post and chosen is not None and slot_form.is_valid():
        client, session_type = chosen
        repeat = slot_form.cleaned_data.get("repeat") or 1
        try:
            if repeat > 1:
                session = session_book_weekly_series(
                    actor=coach,
                    client=client,
                    session_type=session_type,
                    first_starts_at=slot_form.cleaned_data["starts_at"],
                    count=repeat,
                )[0]
            else:
                session = services.session_book(
                    actor=coach,
                    coach=coach,
                    client=client,
                    session_type=session_type,
                    starts_at=slot_form.cleaned_data["starts_at"],
                )
        except (DomainError, ValidationError) as exc:
            apply_service_error(slot_form, exc)
            status = getattr(exc, "status", 400)
        else:
            if repeat > 1:
                messages.success(
                    request,
                    _("%(count)s weekly sessions booked with %(name)s. We emailed them.")
                    % {"count": repeat, "name": client.display_name},
                )
            else:
                messages.success(
                    request,
                    _("Session booked with %(name)s. We emailed them.")
                    % {"name": client.display_name},
                )
            return redirect("scheduling_coach:detail", session_id=session.pk)
    if (choice.errors or (is_post and slot_form.errors)) and status == 200:
        status = 400
    grid: list[Any] = []
    grid_error = ""
    if chosen is not None:
        try:
            grid = _slot_grid(
                chosen[1],
                tz=tz,
                now=timezone.now(),
                exclude_session_id=None,
                selected=request.POST.get("starts_at", "") if is_post else "",
            )
        except DomainError as exc:
            grid_error = str(exc)
    return TemplateResponse(
        request,
        "scheduling/coach/book.html",
        {
            "choice": choice,
            "slot_form": slot_form,
            "chosen": chosen,
            "grid": grid,
            "grid_error": grid_error,
            "selected": request.POST.get("starts_at", "") if is_post else "",
            "has_clients": bool(clients),
            "has_types": bool(types),
            "slot_days": SLOT_DAYS,
            "coach_zone": tz.key,
        },
        status=status,
    )
