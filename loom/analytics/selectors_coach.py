"""Reads behind the coach's analytics page: sessions per week, totals against the
previous range, client engagement, clients who may need attention, and the resource
summary — all for one coach, over a date range in the coach's time zone.

Scoping: every query is filtered to ``coach`` (``coach_id=coach.pk`` on sessions,
action items and resource progress; the coach's own conversations; the clients on the
coach's active roster for everything per client). On PostgreSQL row-level security
backs the same rules (a request acts as the signed-in coach). Archived clients and
other coaches' clients never appear.

Privacy: only counts, names, dates and figures leave this module. Nothing a client
wrote (journal, check-in notes, messages, goal titles) is read: message *counts* and
timestamps, check-in *dates* and the mood trend of shared check-ins only.

Speed: a fixed number of queries whatever the number of clients, sessions or events
(the tests assert it): activity comes from the daily rollup ``DailyActivity``, never
from raw events, and every figure per client is one grouped query over all clients.

Definitions (``docs/analytics.md`` repeats them):

* **Range**: whole local days in the coach's zone, ``start`` to ``end`` inclusive.
  Presets are the last 4, 12, 26 or 52 ISO weeks (Monday first) ending with the
  current week, up to today. The previous range is the same number of days just before.
* **Sessions** are counted by their start time. Requested and declined sessions never
  count. A group session counts once.
* **Completion rate** (the GA plan's "completed ÷ scheduled", as the KPI engine reads
  it): completed ÷ sessions that were confirmed — completed, no-show, cancelled after
  being booked or approved, or still scheduled although their start has passed.
* **Cancelled by client**: cancelled by the session's client; **by coach**: by anyone
  else (the coach, or an administrator on the coach's behalf). **Late**: a client's
  cancellation inside the coach's cancellation cutoff.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from loom.accounts.models import CoachClient, Role, User
from loom.accounts.timezones import zone_named
from loom.analytics.models import DailyActivity
from loom.journal.days import local_day_of
from loom.messaging.models import Conversation, Message
from loom.resources import analytics_selectors as resource_analytics
from loom.resources.models import ResourceProgress
from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
)
from loom.wellbeing.models import CheckIn
from loom.wellbeing.progress import roster_summaries

PRESET_WEEKS = ("4", "12", "26", "52")
DEFAULT_PRESET = "12"
CUSTOM = "custom"
# At most two years in one range: 731 days covers two years with a leap day.
MAX_RANGE_DAYS = 731
# No custom range starts earlier: Loom holds nothing older, and the previous range of a
# range near year 1 (and local midnight of 1 January 1 east of UTC) is out of Python's
# date range — an error page instead of a form error.
EARLIEST_DAY = date(2000, 1, 1)
ATTENTION_CHOICES = (7, 14, 30)
# A client message nobody answered for this long puts the client on the attention list.
UNANSWERED_AFTER = timedelta(hours=48)
# Check-in streaks are counted over this many days at most (one bounded query for the
# whole roster); a longer streak shows as this figure with a "+".
STREAK_WINDOW_DAYS = 120

OPEN_STATUSES = (SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS)
NEVER_COUNTED = (SessionStatus.REQUESTED, SessionStatus.DECLINED)


def attention_default() -> int:
    return int(getattr(settings, "ANALYTICS_ATTENTION_DAYS", 14))


def attention_choices() -> tuple[int, ...]:
    """7, 14 and 30 days, plus the configured default when it is none of them."""
    return tuple(sorted({*ATTENTION_CHOICES, attention_default()}))


# --- The date range -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Whole local days ``start``..``end`` (inclusive) in ``zone``."""

    key: str  # one of PRESET_WEEKS or CUSTOM
    start: date
    end: date
    zone: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time.min, tzinfo=self.zone)

    @property
    def end_at(self) -> datetime:
        """The first instant after the range: local midnight after ``end`` (exclusive)."""
        return datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=self.zone)

    def previous(self) -> DateRange:
        end = self.start - timedelta(days=1)
        return DateRange(
            key=self.key, start=end - timedelta(days=self.days - 1), end=end, zone=self.zone
        )

    def weeks(self) -> list[date]:
        """The Mondays of every ISO week the range touches, oldest first."""
        monday = self.start - timedelta(days=self.start.weekday())
        weeks = []
        while monday <= self.end:
            weeks.append(monday)
            monday += timedelta(days=7)
        return weeks

    def params(self) -> dict[str, str]:
        """The query that names this range again (page links and exports)."""
        if self.key == CUSTOM:
            return {"range": CUSTOM, "start": self.start.isoformat(), "end": self.end.isoformat()}
        return {"range": self.key}


def coach_today(coach: User, *, now: datetime | None = None) -> date:
    return (now or timezone.now()).astimezone(zone_named(coach.timezone)).date()


def preset_range(coach: User, key: str, *, now: datetime | None = None) -> DateRange:
    """The last ``key`` ISO weeks in the coach's zone, the current one up to today."""
    zone = zone_named(coach.timezone)
    today = coach_today(coach, now=now)
    monday = today - timedelta(days=today.weekday())
    start = monday - timedelta(weeks=int(key) - 1)
    return DateRange(key=key, start=start, end=today, zone=zone)


class RangeForm(forms.Form):
    """``?range=4|12|26|52|custom&start=&end=&attention=``; an empty query is the default."""

    range = forms.ChoiceField(
        label=_("Range"),
        required=False,
        choices=[(key, key) for key in (*PRESET_WEEKS, CUSTOM)],
    )
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    attention = forms.TypedChoiceField(
        label=_("No activity for"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[],
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        attention = self.fields["attention"]
        assert isinstance(attention, forms.ChoiceField)
        attention.choices = [
            (str(days), ngettext("%(days)d day", "%(days)d days", days) % {"days": days})
            for days in attention_choices()
        ]
        self.fields["start"].widget.attrs["min"] = EARLIEST_DAY.isoformat()
        self.fields["end"].widget.attrs["min"] = EARLIEST_DAY.isoformat()
        self.fields["start"].widget.attrs["max"] = today.isoformat()
        self.fields["end"].widget.attrs["max"] = today.isoformat()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        key = data.get("range") or ""
        start, end = data.get("start"), data.get("end")
        custom = key == CUSTOM or (not key and (start or end))
        if not custom:
            return data
        data["range"] = CUSTOM
        if "start" in self.errors or "end" in self.errors:
            return data
        if start is None or end is None:
            self.add_error(None, _("Enter both dates for a custom range."))
            return data
        if start < EARLIEST_DAY:
            self.add_error(
                "start",
                _("Choose a date on or after %(day)s.") % {"day": date_format(EARLIEST_DAY)},
            )
        if start > self.today:
            self.add_error("start", _("Choose a date no later than today."))
        if end > self.today:
            self.add_error("end", _("Choose a date no later than today."))
        if start > end:
            self.add_error("end", _("The end date must be on or after the start date."))
        elif (end - start).days + 1 > MAX_RANGE_DAYS:
            self.add_error("end", _("Choose a range of at most two years."))
        return data


@dataclass(frozen=True)
class Choice:
    """What the page asked for: the range, the inactivity threshold, the form (with its
    errors, if any) and whether the query was valid."""

    range: DateRange
    attention_days: int
    form: RangeForm
    valid: bool

    def params(self) -> dict[str, str]:
        return {**self.range.params(), "attention": str(self.attention_days)}


def choice_from_query(coach: User, query: Any, *, now: datetime | None = None) -> Choice:
    """The range and threshold a query names; bad input gives form errors and the default
    range (never an exception)."""
    today = coach_today(coach, now=now)
    keys = ("range", "start", "end", "attention")
    bound = any(query.get(key) not in (None, "") for key in keys)
    form = RangeForm({key: query.get(key, "") for key in keys} if bound else None, today=today)
    if not bound:
        default = preset_range(coach, DEFAULT_PRESET, now=now)
        form.initial = {
            "start": default.start,
            "end": default.end,
            "attention": attention_default(),
        }
        return Choice(default, attention_default(), form, True)
    valid = form.is_valid()
    data = form.cleaned_data if valid else {}
    attention = data.get("attention") or attention_default()
    if not valid:
        # The threshold alone may still be right; keep it when it is.
        raw = str(query.get("attention", ""))
        attention = int(raw) if raw.isdecimal() and int(raw) in attention_choices() else attention
        return Choice(preset_range(coach, DEFAULT_PRESET, now=now), attention, form, False)
    if data.get("range") == CUSTOM:
        zone = zone_named(coach.timezone)
        chosen = DateRange(key=CUSTOM, start=data["start"], end=data["end"], zone=zone)
    else:
        chosen = preset_range(coach, data.get("range") or DEFAULT_PRESET, now=now)
        # The date inputs show the preset's days, ready to adjust.
        form = RangeForm(
            None,
            today=today,
            initial={"start": chosen.start, "end": chosen.end, "attention": attention},
        )
    return Choice(chosen, attention, form, True)


# --- Sessions -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionCounts:
    completed: int = 0
    no_shows: int = 0
    cancelled_by_client: int = 0
    cancelled_by_coach: int = 0
    late_cancellations: int = 0
    # Confirmed sessions (the completion rate's denominator).
    scheduled: int = 0
    upcoming: int = 0

    @property
    def cancelled(self) -> int:
        return self.cancelled_by_client + self.cancelled_by_coach

    @property
    def completion_rate(self) -> float | None:
        """Completed ÷ scheduled, as a percentage; None when nothing was scheduled."""
        return 100.0 * self.completed / self.scheduled if self.scheduled else None


def _session_aggregates(now: datetime, coach: User, chosen: DateRange) -> dict[str, Any]:
    # Was a cancelled session ever booked or approved? Looked up among this coach's
    # cancelled sessions of the range only: PostgreSQL runs this EXISTS as one hashed
    # subquery, and unrestricted it read the booked and approved events of every session
    # on the site (≈140 ms at 80,000 sessions); restricted, it probes the events of a
    # few sessions by ``sessionevent_session_time``.
    confirmed = Exists(
        SessionEvent.objects.filter(
            session_id=OuterRef("pk"),
            session__coach_id=coach.pk,
            session__status=SessionStatus.CANCELLED,
            session__starts_at__gte=chosen.start_at,
            session__starts_at__lt=chosen.end_at,
            kind__in=[SessionEventKind.BOOKED, SessionEventKind.APPROVED],
        )
    )
    cancelled = Q(status=SessionStatus.CANCELLED)
    return {
        "completed": Count("pk", filter=Q(status=SessionStatus.COMPLETED)),
        "no_shows": Count("pk", filter=Q(status=SessionStatus.NO_SHOW)),
        "cancelled": Count("pk", filter=cancelled),
        "cancelled_by_client": Count("pk", filter=cancelled & Q(cancelled_by_id=F("client_id"))),
        "late_cancellations": Count("pk", filter=cancelled & Q(late_cancellation=True)),
        "cancelled_confirmed": Count("pk", filter=Q(confirmed, cancelled)),
        "past_open": Count("pk", filter=Q(status__in=OPEN_STATUSES, starts_at__lt=now)),
        "upcoming": Count("pk", filter=Q(status__in=OPEN_STATUSES, starts_at__gte=now)),
    }


def _counts(row: dict[str, Any]) -> SessionCounts:
    by_client = int(row.get("cancelled_by_client") or 0)
    completed = int(row.get("completed") or 0)
    no_shows = int(row.get("no_shows") or 0)
    return SessionCounts(
        completed=completed,
        no_shows=no_shows,
        cancelled_by_client=by_client,
        cancelled_by_coach=int(row.get("cancelled") or 0) - by_client,
        late_cancellations=int(row.get("late_cancellations") or 0),
        scheduled=completed
        + no_shows
        + int(row.get("cancelled_confirmed") or 0)
        + int(row.get("past_open") or 0),
        upcoming=int(row.get("upcoming") or 0),
    )


def _coach_sessions(coach: User, chosen: DateRange) -> Any:
    return (
        Session.objects.filter(
            coach_id=coach.pk, starts_at__gte=chosen.start_at, starts_at__lt=chosen.end_at
        )
        .exclude(status__in=NEVER_COUNTED)
        .order_by()
    )


@dataclass(frozen=True)
class WeekRow:
    week: date  # the Monday
    counts: SessionCounts


def sessions_per_week(
    coach: User, chosen: DateRange, *, now: datetime | None = None
) -> list[WeekRow]:
    """One row per ISO week the range touches (empty weeks too), oldest first. One query."""
    now = now or timezone.now()
    rows = (
        _coach_sessions(coach, chosen)
        .annotate(week=TruncWeek("starts_at", tzinfo=chosen.zone))
        .values("week")
        .annotate(**_session_aggregates(now, coach, chosen))
        .order_by("week")
    )
    found: dict[date, SessionCounts] = {}
    for row in rows:
        week = row["week"]
        monday = week.astimezone(chosen.zone).date() if isinstance(week, datetime) else week
        found[monday] = _counts(row)
    return [
        WeekRow(week=monday, counts=found.get(monday, SessionCounts())) for monday in chosen.weeks()
    ]


def _add(total: dict[str, int], row: dict[str, Any]) -> None:
    for key, value in row.items():
        if key not in ("week", "current"):
            total[key] = total.get(key, 0) + int(value or 0)


def sessions_with_totals(
    coach: User, chosen: DateRange, *, now: datetime | None = None
) -> tuple[list[WeekRow], SessionCounts, SessionCounts]:
    """The weeks of ``chosen``, its totals and the previous range's totals, in one query:
    the sessions of both ranges grouped by local week and by range (a week can straddle
    the two when a custom range starts mid-week). Each session lies in exactly one
    (week, range) group, so the totals are the sums of the groups."""
    now = now or timezone.now()
    previous = chosen.previous()
    both = DateRange(chosen.key, previous.start, chosen.end, chosen.zone)
    rows = (
        _coach_sessions(coach, both)
        .annotate(
            week=TruncWeek("starts_at", tzinfo=chosen.zone),
            current=ExpressionWrapper(
                Q(starts_at__gte=chosen.start_at), output_field=BooleanField()
            ),
        )
        .values("week", "current")
        .annotate(**_session_aggregates(now, coach, both))
        .order_by()
    )
    current: dict[str, int] = {}
    before: dict[str, int] = {}
    weekly: dict[date, dict[str, int]] = defaultdict(dict)
    for row in rows:
        if not row["current"]:
            _add(before, row)
            continue
        _add(current, row)
        week = row["week"]
        monday = week.astimezone(chosen.zone).date() if isinstance(week, datetime) else week
        _add(weekly[monday], row)
    weeks = [
        WeekRow(
            week=monday, counts=_counts(weekly[monday]) if monday in weekly else SessionCounts()
        )
        for monday in chosen.weeks()
    ]
    return weeks, _counts(current), _counts(before)


def session_totals(coach: User, chosen: DateRange, *, now: datetime | None = None) -> SessionCounts:
    """The range's sessions in one figure set. One query."""
    now = now or timezone.now()
    return _counts(
        _coach_sessions(coach, chosen).aggregate(**_session_aggregates(now, coach, chosen))
    )


@dataclass(frozen=True)
class Comparison:
    label: str
    current: float | None
    previous: float | None
    unit: Literal["count", "percent"] = "count"

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
        return self.current - self.previous


def compare_totals(current: SessionCounts, previous: SessionCounts) -> list[Comparison]:
    return [
        Comparison(str(_("Completed sessions")), current.completed, previous.completed),
        Comparison(
            str(_("Completion rate")),
            current.completion_rate,
            previous.completion_rate,
            "percent",
        ),
        Comparison(
            str(_("Cancelled by clients")),
            current.cancelled_by_client,
            previous.cancelled_by_client,
        ),
        Comparison(
            str(_("Cancelled by you")), current.cancelled_by_coach, previous.cancelled_by_coach
        ),
        Comparison(str(_("No-shows")), current.no_shows, previous.no_shows),
    ]


# --- Clients ------------------------------------------------------------------------------------


@dataclass
class EngagementRow:
    client_id: int
    name: str
    timezone: str
    on_roster_since: datetime
    last_activity: datetime | None = None
    sessions_completed: int = 0
    no_shows: int = 0
    next_session: datetime | None = None
    shares_checkins: bool = False
    checkin_streak: int | None = None
    last_checkin: datetime | None = None
    mood_falling: bool = False
    resources_completed: int = 0
    messages: int = 0
    open_action_items: int = 0
    unanswered_since: datetime | None = None

    @property
    def streak_capped(self) -> bool:
        return self.checkin_streak is not None and self.checkin_streak >= STREAK_WINDOW_DAYS


def _ids(values: Any) -> list[int]:
    # An empty list lets Django skip a query; id 0 matches nothing and keeps the count fixed.
    return sorted(values) or [0]


def _active_clients(coach: User) -> dict[int, EngagementRow]:
    links = (
        CoachClient.objects.filter(
            coach_id=coach.pk, status=CoachClient.Status.ACTIVE, client__role=Role.CLIENT
        )
        .order_by()
        # Last activity: the newest day's row of each client, one index probe per client
        # on (user, day) — a MAX over every day's row read the client's whole history.
        # A day's rows are disjoint in time, so the newest day holds the latest moment.
        .annotate(
            last_activity=Subquery(
                DailyActivity.objects.filter(user_id=OuterRef("client_id"))
                .order_by("-day")
                .values("last_at")[:1]
            )
        )
        .values_list(
            "client_id",
            "client__full_name",
            "client__email",
            "client__timezone",
            "created_at",
            "last_activity",
        )
    )
    rows = {}
    for pk, full_name, email, zone, since, last in links:
        name = full_name or email.split("@", 1)[0]
        rows[pk] = EngagementRow(
            client_id=pk, name=name, timezone=zone, on_roster_since=since, last_activity=last
        )
    return rows


def _current_streaks(rows: dict[int, EngagementRow], sharing: list[int], now: datetime) -> None:
    """Current check-in streak of each client who shares check-ins: consecutive local
    days ending today or yesterday (today is not over). One query."""
    earliest = now.astimezone(UTC).date() - timedelta(days=STREAK_WINDOW_DAYS + 1)
    days: dict[int, set[date]] = defaultdict(set)
    for client_id, day in (
        CheckIn.objects.filter(client_id__in=_ids(sharing), local_date__gte=earliest)
        .order_by()
        .values_list("client_id", "local_date")
        .distinct()
    ):
        days[client_id].add(day)
    for pk in sharing:
        row = rows[pk]
        today = local_day_of(row.timezone, now)
        day = today if today in days[pk] else today - timedelta(days=1)
        streak = 0
        while day in days[pk] and streak < STREAK_WINDOW_DAYS:
            streak += 1
            day -= timedelta(days=1)
        row.checkin_streak = streak


def client_engagement(
    coach: User, chosen: DateRange, *, now: datetime | None = None
) -> list[EngagementRow]:
    """One row per client on the coach's active roster, by name. Eleven queries,
    whatever the number of clients.

    Check-in figures (streak, last check-in, falling trend) only for clients who share
    check-ins with the coach (``roster_summaries`` applies the sharing choice).
    """
    if coach.role != Role.COACH:
        return []
    now = now or timezone.now()
    rows = _active_clients(coach)
    ids = _ids(rows)
    in_range = Q(starts_at__gte=chosen.start_at, starts_at__lt=chosen.end_at)

    upcoming = Q(status=SessionStatus.SCHEDULED, starts_at__gte=now)
    for counted in (
        Session.objects.filter(in_range | upcoming, coach_id=coach.pk, client_id__in=ids)
        .order_by()
        .values("client_id")
        .annotate(
            completed=Count("pk", filter=in_range & Q(status=SessionStatus.COMPLETED)),
            no_shows=Count("pk", filter=in_range & Q(status=SessionStatus.NO_SHOW)),
            next=Min("starts_at", filter=upcoming),
        )
    ):
        target = rows[counted["client_id"]]
        target.sessions_completed += counted["completed"]
        target.no_shows += counted["no_shows"]
        target.next_session = counted["next"]

    seat_range = Q(session__starts_at__gte=chosen.start_at, session__starts_at__lt=chosen.end_at)
    seat_upcoming = Q(session__status=SessionStatus.SCHEDULED, session__starts_at__gte=now)
    for seated in (
        SessionSeat.objects.filter(
            seat_range | seat_upcoming,
            session__coach_id=coach.pk,
            client_id__in=ids,
            status=SeatStatus.TAKEN,
        )
        .order_by()
        .values("client_id")
        .annotate(
            completed=Count("pk", filter=seat_range & Q(session__status=SessionStatus.COMPLETED)),
            next=Min("session__starts_at", filter=seat_upcoming),
        )
    ):
        target = rows[seated["client_id"]]
        target.sessions_completed += seated["completed"]
        if seated["next"] is not None and (
            target.next_session is None or seated["next"] < target.next_session
        ):
            target.next_session = seated["next"]

    summaries = roster_summaries(coach, ids, now=now)
    sharing = []
    for pk, summary in summaries.items():
        if pk not in rows:
            continue
        client_row = rows[pk]
        client_row.open_action_items = summary.open_action_items
        client_row.shares_checkins = summary.shares_checkins
        if summary.shares_checkins:
            sharing.append(pk)
            client_row.last_checkin = summary.last_checkin_at
            client_row.mood_falling = summary.trend == "falling"
    _current_streaks(rows, sharing, now)

    for client_id, count in (
        ResourceProgress.objects.filter(
            coach_id=coach.pk,
            client_id__in=ids,
            completed_at__gte=chosen.start_at,
            completed_at__lt=chosen.end_at,
        )
        .order_by()
        .values("client_id")
        .annotate(n=Count("pk"))
        .values_list("client_id", "n")
    ):
        rows[client_id].resources_completed = count

    mine = Message.objects.filter(
        conversation__coach_id=coach.pk, conversation__client_id__in=ids, deleted_at__isnull=True
    ).order_by()
    for client_id, count in (
        mine.filter(created_at__gte=chosen.start_at, created_at__lt=chosen.end_at)
        .values("conversation__client_id")
        .annotate(n=Count("pk"))
        .values_list("conversation__client_id", "n")
    ):
        rows[client_id].messages = count

    # Waiting for the coach: only conversations whose newest message is the client's
    # (kept on the conversation with each send), then per conversation two index
    # lookups — the coach's last message and the client's first one after it — so the
    # cost follows the number of clients, not the number of messages.
    # A reply the coach deleted answers nothing: the conversation's newest message may
    # then be the coach's (deleted) one, so those conversations are looked at too.
    coach_last = (
        Message.objects.filter(
            conversation_id=OuterRef("pk"), sender_id=coach.pk, deleted_at__isnull=True
        )
        .order_by("-id")
        .values("id")[:1]
    )
    first_waiting = (
        Message.objects.filter(
            conversation_id=OuterRef("pk"),
            sender_id=OuterRef("client_id"),
            id__gt=OuterRef("answered_up_to"),
            deleted_at__isnull=True,
        )
        .order_by("id")
        .values("created_at")[:1]
    )
    for client_id, oldest in (
        Conversation.objects.filter(
            Q(last_message__sender_id=F("client_id")) | Q(last_message__deleted_at__isnull=False),
            coach_id=coach.pk,
            client_id__in=ids,
        )
        .order_by()
        .annotate(answered_up_to=Coalesce(Subquery(coach_last), 0, output_field=BigIntegerField()))
        .annotate(oldest=Subquery(first_waiting))
        .values_list("client_id", "oldest")
    ):
        rows[client_id].unanswered_since = oldest

    return sorted(rows.values(), key=lambda row: (row.name.casefold(), row.client_id))


# Sort keys of the engagement table: ``?sort=<key>`` ascending, ``?sort=-<key>`` descending.
# Missing values (never active, no next session, not shared) always sort last.
def _value(name: str) -> Any:
    def key(row: EngagementRow) -> Any:
        return getattr(row, name)

    return key


ENGAGEMENT_SORTS: dict[str, Any] = {
    "name": lambda row: row.name.casefold(),
    "activity": _value("last_activity"),
    "sessions": _value("sessions_completed"),
    "next": _value("next_session"),
    "streak": _value("checkin_streak"),
    "checkin": _value("last_checkin"),
    "resources": _value("resources_completed"),
    "messages": _value("messages"),
    "actions": _value("open_action_items"),
}
DEFAULT_SORT = "name"


def parse_sort(raw: Any) -> tuple[str, bool]:
    """``(key, descending)`` of a ``?sort=`` value; anything unknown is the default."""
    text = raw if isinstance(raw, str) else ""
    descending = text.startswith("-")
    key = text.removeprefix("-")
    if key not in ENGAGEMENT_SORTS:
        return DEFAULT_SORT, False
    return key, descending


def sort_engagement(rows: list[EngagementRow], key: str, descending: bool) -> list[EngagementRow]:
    """Rows by ``key`` (ties by name), rows without a value last in either direction."""
    value_of = ENGAGEMENT_SORTS.get(key, ENGAGEMENT_SORTS[DEFAULT_SORT])
    ordered = sorted(rows, key=lambda row: (row.name.casefold(), row.client_id))
    present = [row for row in ordered if value_of(row) is not None]
    missing = [row for row in ordered if value_of(row) is None]
    present.sort(key=value_of, reverse=descending)
    return present + missing


# --- Attention ----------------------------------------------------------------------------------

Reason = Literal["inactive", "never_active", "mood_falling", "no_show", "unanswered"]


@dataclass(frozen=True)
class AttentionReason:
    code: Reason
    text: str


@dataclass(frozen=True)
class AttentionItem:
    client_id: int
    name: str
    reasons: list[AttentionReason] = field(default_factory=list)


def _days_since(moment: datetime, now: datetime) -> int:
    return max(int((now - moment) // timedelta(days=1)), 0)


def attention_list(
    rows: list[EngagementRow], *, days: int, now: datetime | None = None
) -> list[AttentionItem]:
    """Clients who may need attention, by name, each with every reason in words:

    * no activity for ``days`` days (or none at all since joining the roster that long ago);
    * a falling mood trend in the check-ins they share;
    * a no-show in the range;
    * a message of theirs unanswered for more than 48 hours.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    items = []
    for row in sorted(rows, key=lambda row: (row.name.casefold(), row.client_id)):
        reasons: list[AttentionReason] = []
        if row.last_activity is not None and row.last_activity <= cutoff:
            idle = _days_since(row.last_activity, now)
            reasons.append(
                AttentionReason(
                    "inactive",
                    ngettext(
                        "No activity for %(count)d day", "No activity for %(count)d days", idle
                    )
                    % {"count": idle},
                )
            )
        elif row.last_activity is None and row.on_roster_since <= cutoff:
            reasons.append(AttentionReason("never_active", str(_("No activity recorded yet"))))
        if row.mood_falling:
            reasons.append(
                AttentionReason("mood_falling", str(_("Mood trend falling in shared check-ins")))
            )
        if row.no_shows:
            reasons.append(
                AttentionReason(
                    "no_show",
                    ngettext(
                        "Missed %(count)d session in this range",
                        "Missed %(count)d sessions in this range",
                        row.no_shows,
                    )
                    % {"count": row.no_shows},
                )
            )
        if row.unanswered_since is not None and row.unanswered_since <= now - UNANSWERED_AFTER:
            waiting = _days_since(row.unanswered_since, now)
            reasons.append(
                AttentionReason(
                    "unanswered",
                    ngettext(
                        "Message waiting for your reply for %(count)d day",
                        "Message waiting for your reply for %(count)d days",
                        waiting,
                    )
                    % {"count": waiting},
                )
            )
        if reasons:
            items.append(AttentionItem(client_id=row.client_id, name=row.name, reasons=reasons))
    return items


# --- Resources ----------------------------------------------------------------------------------


def resource_totals(coach: User, chosen: DateRange) -> resource_analytics.Totals:
    """The resource analytics' summary figures for the same range (four queries)."""
    period = resource_analytics.Period(
        key=CUSTOM,
        days=chosen.days,
        # The resources' periods hold (start, end]; a microsecond earlier keeps local
        # midnight of the first day inside.
        start=chosen.start_at - timedelta(microseconds=1),
        end=chosen.end_at - timedelta(microseconds=1),
        zone=chosen.zone,
    )
    return resource_analytics.totals(coach, period)


# --- The page -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachDashboard:
    choice: Choice
    weeks: list[WeekRow]
    totals: SessionCounts
    previous_range: DateRange
    previous_totals: SessionCounts
    comparisons: list[Comparison]
    clients: list[EngagementRow]
    attention: list[AttentionItem]
    resources: resource_analytics.Totals


def coach_dashboard(coach: User, choice: Choice, *, now: datetime | None = None) -> CoachDashboard:
    """Everything on the coach's analytics page for ``choice``: a fixed number of queries."""
    now = now or timezone.now()
    chosen = choice.range
    previous = chosen.previous()
    weeks, totals, previous_totals = sessions_with_totals(coach, chosen, now=now)
    clients = client_engagement(coach, chosen, now=now)
    return CoachDashboard(
        choice=choice,
        weeks=weeks,
        totals=totals,
        previous_range=previous,
        previous_totals=previous_totals,
        comparisons=compare_totals(totals, previous_totals),
        clients=clients,
        attention=attention_list(clients, days=choice.attention_days, now=now),
        resources=resource_totals(coach, chosen),
    )
