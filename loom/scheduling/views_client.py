"""The client's session pages: book a session, my sessions, one session (reschedule, cancel).

Every page works without JavaScript: the booking steps are plain links and forms
(type → slot → confirm), the slot grid is links (booking) or radio buttons
(rescheduling). Times are shown in the client's own zone with the coach's alongside
when they differ. The services re-check every rule; a refusal is shown with its
message and nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from loom.accounts.forms import apply_service_error
from loom.accounts.models import User
from loom.accounts.permissions import client_required
from loom.accounts.timezones import zone_named
from loom.core.errors import DomainError
from loom.scheduling import selectors, services
from loom.scheduling.emails import format_when
from loom.scheduling.forms import CancelForm, RescheduleForm, parse_slot_value, slot_value
from loom.scheduling.models import (
    HORIZON_MAX_DAYS,
    BookingMode,
    LocationKind,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionStatus,
    SessionType,
)
from loom.scheduling.slots import Slot

# How many days of slots one page of the grid shows.
SLOT_PAGE_DAYS = 14
SESSIONS_PER_PAGE = 10
LIST_TABS = ("upcoming", "past")
# A start further than this from now is no slot of any type (the horizon is at most a year).
_SANE_RANGE = timedelta(days=HORIZON_MAX_DAYS + 2)
# History a client never sees on a group session: other attendees' seats.
_SEAT_EVENTS = frozenset({SessionEventKind.SEAT_TAKEN, SessionEventKind.SEAT_RELEASED})


# --- The slot grid (templates/scheduling/_slot_picker.html) ----------------------------------


@dataclass(frozen=True)
class SlotChoice:
    """One offered slot as the grid shows it: in the viewer's zone, the coach's alongside."""

    starts_at: datetime
    ends_at: datetime
    value: str  # the form value: the start instant in UTC (forms.slot_value)
    label: str  # start time in the viewer's zone
    coach_label: str  # "16:00 Asia/Jerusalem" when the coach's zone differs, else ""
    url: str = ""  # where the slot leads (link mode)


def slot_picker_days(
    slots: list[Slot],
    *,
    viewer_tz: ZoneInfo,
    coach_tz: ZoneInfo,
    url_for: Any = None,
) -> list[tuple[date, list[SlotChoice]]]:
    """``slots`` grouped by their local date in ``viewer_tz``, ready for the slot picker.

    ``url_for(value)``, when given, makes each slot a link (booking); without it the
    picker renders radio buttons named ``starts_at`` (rescheduling).
    """
    differs = viewer_tz.key != coach_tz.key
    days: dict[date, list[SlotChoice]] = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        local = slot.starts_at.astimezone(viewer_tz)
        value = slot_value(slot.starts_at)
        coach_label = ""
        if differs:
            coach_start = slot.starts_at.astimezone(coach_tz)
            coach_label = f"{time_format(coach_start, 'TIME_FORMAT')} {coach_tz.key}"
        days.setdefault(local.date(), []).append(
            SlotChoice(
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                value=value,
                label=time_format(local, "TIME_FORMAT"),
                coach_label=coach_label,
                url=url_for(value) if url_for else "",
            )
        )
    return list(days.items())


@dataclass(frozen=True)
class SlotWindow:
    """The range of days one page of the grid covers, with links to the pages around it."""

    first: date  # in the viewer's zone
    start: datetime
    end: datetime
    earlier: date | None
    later: date | None


def _slot_window(
    requested: str | None, *, session_type: SessionType, viewer_tz: ZoneInfo, now: datetime
) -> SlotWindow:
    """``SLOT_PAGE_DAYS`` days from ``requested`` (an ISO date in the viewer's zone; today
    when missing, malformed or out of range), never before now nor past the horizon."""
    today = now.astimezone(viewer_tz).date()
    horizon = now + timedelta(days=session_type.booking_horizon_days)
    last_day = horizon.astimezone(viewer_tz).date()
    try:
        first = date.fromisoformat(requested or "")
    except ValueError:
        first = today
    if not today <= first <= last_day:
        first = today
    start = max(now, datetime.combine(first, time.min, tzinfo=viewer_tz))
    next_first = first + timedelta(days=SLOT_PAGE_DAYS)
    end = min(
        datetime.combine(next_first, time.min, tzinfo=viewer_tz), horizon + timedelta(minutes=1)
    )
    earlier = None
    if first > today:
        earlier = max(today, first - timedelta(days=SLOT_PAGE_DAYS))
    return SlotWindow(
        first=first,
        start=start,
        end=end,
        earlier=earlier,
        later=next_first if next_first <= last_day else None,
    )


def _slots(
    session_type: SessionType, window: SlotWindow, *, exclude_session_id: int | None = None
) -> list[Slot]:
    if window.end <= window.start:
        return []
    return selectors.slots_for_session_type(
        session_type, start=window.start, end=window.end, exclude_session_id=exclude_session_id
    )


def _with_query(url: str, **params: Any) -> str:
    return f"{url}?{urlencode({key: value for key, value in params.items() if value is not None})}"


def _times(session: Session, viewer: User) -> dict[str, str]:
    """The session's time in the viewer's zone and, when it differs, in the coach's."""
    own = zone_named(viewer.timezone)
    coach = zone_named(session.coach_timezone)
    when = format_when(session.starts_at, session.ends_at, own)
    coach_when = (
        format_when(session.starts_at, session.ends_at, coach) if own.key != coach.key else ""
    )
    return {"when": when, "coach_when": coach_when}


# --- Book a session ---------------------------------------------------------------------------


def _zone_note(client: User) -> dict[str, Any]:
    return {
        "viewer_zone": zone_named(client.timezone).key,
        "profile_url": reverse("account:profile"),
    }


def _render_types(request: HttpRequest, client: User, *, error: str = "") -> HttpResponse:
    types = selectors.bookable_types_for_client(client)
    return TemplateResponse(
        request,
        "scheduling/client/book_type.html",
        {
            "session_types": [kind for kind in types if kind.capacity == 1],
            "has_group_types": any(kind.capacity > 1 for kind in types),
            "error": error,
        },
        status=400 if error else 200,
    )


def _render_slots(
    request: HttpRequest,
    client: User,
    session_type: SessionType,
    *,
    requested_from: str | None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    now = timezone.now()
    viewer_tz = zone_named(client.timezone)
    coach_tz = zone_named(session_type.coach.timezone)
    window = _slot_window(requested_from, session_type=session_type, viewer_tz=viewer_tz, now=now)
    book_url = reverse("scheduling_client:book")
    try:
        slots = _slots(session_type, window)
    except DomainError as exc:  # the coach's zone is broken: nothing can be booked
        slots, error, status = [], str(exc), 400
    days = slot_picker_days(
        slots,
        viewer_tz=viewer_tz,
        coach_tz=coach_tz,
        url_for=lambda value: _with_query(book_url, type=session_type.pk, start=value),
    )
    return TemplateResponse(
        request,
        "scheduling/client/book_slot.html",
        {
            "session_type": session_type,
            "slot_days": days,
            "slot_mode": "link",
            "window": window,
            "earlier_url": _with_query(book_url, type=session_type.pk, **{"from": window.earlier})
            if window.earlier
            else "",
            "later_url": _with_query(book_url, type=session_type.pk, **{"from": window.later})
            if window.later
            else "",
            "error": error,
            "coach_zone": coach_tz.key,
            **_zone_note(client),
        },
        status=status,
    )


def _offered(session_type: SessionType, starts_at: datetime) -> bool:
    """Whether the grid offers ``starts_at`` right now (the confirm step's check)."""
    found = selectors.slots_for_session_type(
        session_type, start=starts_at, end=starts_at + timedelta(minutes=1)
    )
    return bool(found) and found[0].starts_at == starts_at


@client_required
@require_http_methods(["GET", "POST"])
def book(request: HttpRequest) -> HttpResponse:
    """Step 1 (no ``type``): choose a type. Step 2 (``type``): choose a slot. Step 3
    (``type`` and ``start``): confirm; the POST books through ``session_book``."""
    client: User = request.user  # type: ignore[assignment]
    params = request.POST if request.method == "POST" else request.GET
    type_id = params.get("type")
    if not type_id:
        error = _("Choose a kind of session first.") if request.method == "POST" else ""
        return _render_types(request, client, error=error)
    session_type = selectors.get_bookable_type_for_client(client, type_id)
    raw_start = params.get("start")
    if raw_start is None and request.method == "GET":
        return _render_slots(request, client, session_type, requested_from=params.get("from"))
    starts_at = parse_slot_value(raw_start)
    if starts_at is not None and abs(starts_at - timezone.now()) > _SANE_RANGE:
        # Far outside any horizon: refused here, before zone arithmetic could overflow.
        return _render_slots(
            request,
            client,
            session_type,
            requested_from=None,
            error=_("This time is not available any more. Choose one of the available times."),
            status=400,
        )
    if starts_at is None:
        return _render_slots(
            request,
            client,
            session_type,
            requested_from=params.get("from"),
            error=_("This time is not one we offer. Choose one of the available times."),
            status=400,
        )
    if request.method == "POST":
        try:
            session = services.session_book(
                actor=client,
                coach=session_type.coach,
                client=client,
                session_type=session_type,
                starts_at=starts_at,
            )
        except DomainError as exc:
            return _render_slots(
                request,
                client,
                session_type,
                requested_from=starts_at.astimezone(zone_named(client.timezone)).date().isoformat(),
                error=str(exc),
                status=exc.status if exc.status in (400, 409) else 400,
            )
        if session.status == SessionStatus.REQUESTED:
            messages.success(
                request, _("Your request was sent. We will email you when your coach answers.")
            )
        else:
            messages.success(
                request, _("Your session is booked. We sent you a calendar invitation.")
            )
        return redirect("scheduling_client:detail", session_id=session.pk)
    try:
        offered = _offered(session_type, starts_at)
    except DomainError:
        offered = False
    if not offered:
        return _render_slots(
            request,
            client,
            session_type,
            requested_from=starts_at.astimezone(zone_named(client.timezone)).date().isoformat()
            if starts_at > timezone.now()
            else None,
            error=_("This time is not available any more. Choose one of the available times."),
            status=400,
        )
    viewer_tz = zone_named(client.timezone)
    coach_tz = zone_named(session_type.coach.timezone)
    ends_at = starts_at + timedelta(minutes=session_type.duration_minutes)
    return TemplateResponse(
        request,
        "scheduling/client/book_confirm.html",
        {
            "session_type": session_type,
            "start_value": slot_value(starts_at),
            "when": format_when(starts_at, ends_at, viewer_tz),
            "coach_when": format_when(starts_at, ends_at, coach_tz)
            if viewer_tz.key != coach_tz.key
            else "",
            "needs_approval": session_type.booking_mode == BookingMode.REQUEST,
            "back_url": _with_query(
                reverse("scheduling_client:book"),
                type=session_type.pk,
                **{"from": starts_at.astimezone(viewer_tz).date().isoformat()},
            ),
        },
    )


# --- My sessions ------------------------------------------------------------------------------


@client_required
@require_http_methods(["GET"])
def session_list(request: HttpRequest) -> HttpResponse:
    """Upcoming or past sessions, a page at a time, with summaries and action items
    of the sessions shown (a constant number of queries)."""
    from loom.scheduling import note_selectors

    client: User = request.user  # type: ignore[assignment]
    when = request.GET.get("when")
    if when not in LIST_TABS:
        when = "upcoming"
    page = Paginator(selectors.client_sessions(client, when=when), SESSIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    sessions: list[Session] = list(page.object_list)
    ids = [session.pk for session in sessions]
    summaries = note_selectors.summaries_for(client, ids) if ids else {}
    items = note_selectors.action_items_for(client, ids) if ids else {}
    viewer_tz = zone_named(client.timezone)
    rows = [
        {
            "session": session,
            "when": format_when(session.starts_at, session.ends_at, viewer_tz),
            "summary": summaries.get(session.pk, ""),
            "action_items": items.get(session.pk, []),
        }
        for session in sessions
    ]
    list_url = reverse("scheduling_client:list")
    tabs = [
        {"slug": "upcoming", "label": _("Upcoming"), "url": list_url},
        {"slug": "past", "label": _("Past"), "url": _with_query(list_url, when="past")},
    ]
    return TemplateResponse(
        request,
        "scheduling/client/list.html",
        {"rows": rows, "page_obj": page, "when": when, "tabs": tabs, **_zone_note(client)},
    )


# --- One session ------------------------------------------------------------------------------


def _history(session: Session, viewer: User) -> list[dict[str, Any]]:
    """The history lines the client may see: never another attendee's seat."""
    viewer_tz = zone_named(viewer.timezone)
    lines = []
    for event in selectors.session_events_for(session):
        if event.kind in _SEAT_EVENTS and event.actor_id != viewer.pk:
            continue
        lines.append(
            {
                "event": event,
                "who": _actor_name(event, session, viewer),
                "what": SessionEventKind(event.kind).label,
                "moved_from": _moved(event, viewer_tz),
            }
        )
    return lines


def _actor_name(event: SessionEvent, session: Session, viewer: User) -> str:
    if event.actor_id == viewer.pk:
        return _("You")
    if event.actor_id == session.coach_id:
        return session.coach.display_name
    if event.actor_id is None:
        return _("Loom")
    return _("The site administrator")


def _moved(event: SessionEvent, viewer_tz: ZoneInfo) -> str:
    if event.kind != SessionEventKind.RESCHEDULED or not (
        event.old_starts_at and event.old_ends_at and event.new_starts_at and event.new_ends_at
    ):
        return ""
    return _("from %(old)s to %(new)s") % {
        "old": format_when(event.old_starts_at, event.old_ends_at, viewer_tz),
        "new": format_when(event.new_starts_at, event.new_ends_at, viewer_tz),
    }


@dataclass(frozen=True)
class Policy:
    """What the client may change now, under the coach's cancellation cutoff."""

    cutoff_hours: int
    can_cancel: bool
    can_reschedule: bool
    late: bool  # cancelling now would be recorded as a late cancellation


def _policy(session: Session, client: User, now: datetime | None = None) -> Policy:
    now = now or timezone.now()
    hours = selectors.cancellation_cutoff_hours(session.coach)
    own = session.client_id == client.pk  # a group seat is released on the group panel
    changeable = (
        own
        and session.status in (SessionStatus.REQUESTED, SessionStatus.SCHEDULED)
        and session.starts_at > now
    )
    inside = session.starts_at - now < timedelta(hours=hours)
    return Policy(
        cutoff_hours=hours,
        can_cancel=changeable,
        can_reschedule=changeable and not inside,
        late=changeable and inside and session.status == SessionStatus.SCHEDULED,
    )


def _client_session(request: HttpRequest, session_id: int) -> tuple[User, Session]:
    client: User = request.user  # type: ignore[assignment]
    return client, selectors.get_session_for_user(client, session_id)


@client_required
@require_http_methods(["GET"])
def session_detail(request: HttpRequest, session_id: int) -> HttpResponse:
    client, session = _client_session(request, session_id)
    return TemplateResponse(
        request,
        "scheduling/client/detail.html",
        {
            "session": session,
            "policy": _policy(session, client),
            "history": _history(session, client),
            **_times(session, client),
        },
    )


@client_required
@require_http_methods(["GET", "POST"])
def session_reschedule(request: HttpRequest, session_id: int) -> HttpResponse:
    """Pick a new time from the grid of the session's type (its own time left out)."""
    client, session = _client_session(request, session_id)
    policy = _policy(session, client)
    viewer_tz = zone_named(client.timezone)
    coach_tz = zone_named(session.coach_timezone)
    params = request.POST if request.method == "POST" else request.GET
    window = _slot_window(
        params.get("from"),
        session_type=session.session_type,
        viewer_tz=viewer_tz,
        now=timezone.now(),
    )
    slots: list[Slot] = []
    error = ""
    if policy.can_reschedule:
        try:
            slots = [
                slot
                for slot in _slots(session.session_type, window, exclude_session_id=session.pk)
                if slot.starts_at != session.starts_at  # moving to its own time changes nothing
            ]
        except DomainError as exc:
            error = str(exc)
    form = RescheduleForm(
        request.POST if request.method == "POST" else None, slots=slots, tz=viewer_tz
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.session_reschedule(
                    actor=client,
                    session=session,
                    starts_at=form.cleaned_data["starts_at"],
                    reason=form.cleaned_data["reason"],
                )
            except (DomainError, ValidationError) as exc:
                apply_service_error(form, exc)
                status = exc.status if isinstance(exc, DomainError) else 400
            else:
                messages.success(request, _("Your session was moved. We emailed you the new time."))
                return redirect("scheduling_client:detail", session_id=session.pk)
        else:
            status = 400
    here = reverse("scheduling_client:reschedule", args=[session.pk])
    return TemplateResponse(
        request,
        "scheduling/client/reschedule.html",
        {
            "session": session,
            "policy": policy,
            "form": form,
            "error": error,
            "slot_days": slot_picker_days(slots, viewer_tz=viewer_tz, coach_tz=coach_tz),
            "slot_mode": "radio",
            "slot_selected": form["starts_at"].value() or "",
            "window": window,
            "earlier_url": _with_query(here, **{"from": window.earlier}) if window.earlier else "",
            "later_url": _with_query(here, **{"from": window.later}) if window.later else "",
            "coach_zone": coach_tz.key,
            **_times(session, client),
            **_zone_note(client),
        },
        status=status if status in (200, 400, 403, 404, 409) else 400,
    )


@client_required
@require_http_methods(["GET", "POST"])
def session_cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    """Cancel with an optional reason; inside the cutoff the page says it will be late."""
    client, session = _client_session(request, session_id)
    policy = _policy(session, client)
    form = CancelForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if session.client_id != client.pk:
            # A seat in a group session is released on the group panel.
            form.add_error(None, _("This session can no longer be cancelled here."))
            status = 400
        elif form.is_valid():
            try:
                session = services.session_cancel(
                    actor=client, session=session, reason=form.cleaned_data["reason"]
                )
            except (DomainError, ValidationError) as exc:
                apply_service_error(form, exc)
                status = exc.status if isinstance(exc, DomainError) else 400
            else:
                if session.late_cancellation:
                    messages.warning(
                        request,
                        _("Your session was cancelled. It is recorded as a late cancellation."),
                    )
                else:
                    messages.success(request, _("Your session was cancelled."))
                return redirect("scheduling_client:detail", session_id=session.pk)
        else:
            status = 400
    return TemplateResponse(
        request,
        "scheduling/client/cancel.html",
        {"session": session, "policy": policy, "form": form, **_times(session, client)},
        status=status if status in (200, 400, 403, 404, 409) else 400,
    )


# --- The client home card (loom/web/views.py client_home) --------------------------------------


def client_home_card(client: User) -> dict[str, Any]:
    """The next session (with its meeting link when it is a video session) and open
    action items, for the client's home page. Two queries."""
    from loom.scheduling import note_selectors

    session = selectors.next_session_for_client(client)
    next_session = None
    if session is not None:
        join_url = ""
        if session.session_type.location_kind == LocationKind.VIDEO and session.status in (
            SessionStatus.SCHEDULED,
            SessionStatus.IN_PROGRESS,
        ):
            join_url = session.meeting_url
        next_session = {"session": session, "join_url": join_url, **_times(session, client)}
    return {
        "next_session": next_session,
        "open_action_items": note_selectors.open_action_items_for(client),
    }
