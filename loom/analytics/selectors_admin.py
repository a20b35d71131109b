"""Reads for the admin dashboards: KPIs (weekly dashboard, drill-down, business overview)
and operations (traffic windows, active users, outbox, workers, task queue, rollups).

Only admins reach these (the views check ``admin_required``). The KPI pages read only
``KpiValue`` — counts over everyone, no one's rows — with a fixed number of queries
whatever the number of values. Nothing here reads or returns text anyone wrote.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from loom.analytics.kpi_catalog import KPI_BY_KEY, KPIS, KpiDefinition, Status
from loom.analytics.models import Event, KpiValue, Period, RollupRun
from loom.core.context import system_context
from loom.core.models import OutboxMessage, UserStream, WorkerHeartbeat

# --- Parameters ---------------------------------------------------------------------------

SEGMENTS: tuple[str, ...] = ("all", "coach", "client")
SEGMENT_LABELS: dict[str, Promise] = {
    "all": _("Everyone"),
    "coach": _("Coaches"),
    "client": _("Clients"),
    "session": _("After a session"),
    "monthly": _("Monthly survey"),
    "en": _("English"),
    "he": _("Hebrew"),
    "unanswered": _("Unanswered"),
}
GROUP_LABELS: dict[str, Promise] = {
    "primary": _("Primary"),
    "engagement": _("Engagement"),
    "adoption": _("Feature adoption"),
    "messaging": _("Messaging"),
    "satisfaction": _("Satisfaction"),
    "growth": _("Growth"),
}
STATUS_LABELS: dict[str, Promise] = {
    "green": _("On target"),
    # "Close" alone is already the catalog's word for closing a dialog.
    "amber": pgettext_lazy("KPI status", "Close"),
    "red": _("Off target"),
    "none": _("No target"),
}
NO_FIGURE = _("No figure yet")
UNIT_LABELS: dict[str, Promise] = {
    "percent": _("percent"),
    "count": _("count"),
    "per_coach": _("per coach"),
    "minutes": _("minutes"),
    "hours": _("hours"),
    "score": _("score (−100 to 100)"),
}
SPARK_WEEKS = 12
TREND_WEEKS: tuple[int, ...] = (12, 26, 52)
DRILL_RANGES: tuple[str, ...] = ("12", "26", "52", "all")
BUSINESS_RANGES: dict[str, tuple[int, ...]] = {"week": (12, 26, 52), "month": (6, 12, 24)}
# ASCII digits only: ``\d`` would also take "٢٠٢٦" or fullwidth digits, which ``int`` reads.
_WEEK_RE = re.compile(r"(\d{4})-W(\d{2})", re.ASCII)


def status_label(kpi: KpiDefinition, value: float | None) -> str:
    """The status in words; a KPI with a target but no figure yet says so rather than
    "No target"."""
    if value is None and kpi.target is not None:
        return str(NO_FIGURE)
    return str(STATUS_LABELS[kpi.status(value)])


def segment_label(segment: str) -> str:
    return str(SEGMENT_LABELS.get(segment, segment))


def reporting_zone() -> ZoneInfo:
    return ZoneInfo(str(getattr(settings, "ANALYTICS_TIME_ZONE", "UTC") or "UTC"))


def reporting_today(now: datetime | None = None) -> date:
    """Today in the reporting time zone (the KPI weeks are ISO weeks there)."""
    return (now or timezone.now()).astimezone(reporting_zone()).date()


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def last_complete_week(now: datetime | None = None) -> date:
    """The Monday of the last ISO week that has fully ended."""
    return week_start(reporting_today(now)) - timedelta(weeks=1)


def iso_week(monday: date) -> str:
    year, week, _day = monday.isocalendar()
    return f"{year}-W{week:02d}"


def parse_week(text: str | None, *, now: datetime | None = None) -> date | None:
    """The Monday of ``2026-W46``; ``None`` when malformed, not a real ISO week, before
    2000 or after the current week (the dashboard then shows its default)."""
    match = _WEEK_RE.fullmatch((text or "").strip())
    if not match:
        return None
    year, week = int(match.group(1)), int(match.group(2))
    if year < 2000:
        return None
    try:
        monday = date.fromisocalendar(year, week, 1)
    except ValueError:
        return None
    if monday > week_start(reporting_today(now)):
        return None
    return monday


def month_start(day: date) -> date:
    return day.replace(day=1)


def months_back(day: date, count: int) -> date:
    month_index = day.year * 12 + day.month - 1 - count
    return date(month_index // 12, month_index % 12 + 1, 1)


# --- KPI values ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Point:
    """One period of a KPI in one segment (the drill-down counts and the value)."""

    period_start: date
    numerator: float
    denominator: float
    value: float | None
    provisional: bool


def _point(row: KpiValue) -> Point:
    return Point(row.period_start, row.numerator, row.denominator, row.value, row.provisional)


def kpi_points(
    *,
    keys: Iterable[str],
    segments: Iterable[str],
    period: str = Period.WEEK,
    start: date | None = None,
    end: date | None = None,
) -> dict[tuple[str, str], dict[date, Point]]:
    """``{(kpi, segment): {period_start: Point}}`` for the periods from ``start`` to
    ``end`` (inclusive). One query."""
    rows = KpiValue.objects.filter(
        kpi__in=list(keys), segment__in=list(segments), period=period
    ).only("kpi", "segment", "period_start", "numerator", "denominator", "value", "provisional")
    if start is not None:
        rows = rows.filter(period_start__gte=start)
    if end is not None:
        rows = rows.filter(period_start__lte=end)
    found: dict[tuple[str, str], dict[date, Point]] = defaultdict(dict)
    for row in rows:
        found[(row.kpi, row.segment)][row.period_start] = _point(row)
    return found


def weeks_ending(end: date, count: int) -> list[date]:
    """The Mondays of the ``count`` weeks ending with the week of ``end``, oldest first."""
    return [end - timedelta(weeks=count - 1 - i) for i in range(count)]


def months_ending(end: date, count: int) -> list[date]:
    return [months_back(month_start(end), count - 1 - i) for i in range(count)]


@dataclass(frozen=True)
class KpiRow:
    """One KPI on the weekly dashboard."""

    kpi: KpiDefinition
    segment: str  # the segment shown: the chosen one, or "all" where the KPI has no split
    split: bool  # the KPI has the chosen segment
    point: Point | None
    previous: Point | None
    history: list[float | None]  # the last SPARK_WEEKS values, oldest first

    @property
    def value(self) -> float | None:
        return self.point.value if self.point else None

    @property
    def status(self) -> Status:
        return self.kpi.status(self.value)

    @property
    def status_label(self) -> str:
        return status_label(self.kpi, self.value)

    @property
    def provisional(self) -> bool:
        return bool(self.point and self.point.provisional)

    @property
    def change(self) -> float | None:
        """This week's value minus last week's (in the KPI's unit; percentage points)."""
        if self.value is None or self.previous is None or self.previous.value is None:
            return None
        return self.value - self.previous.value


@dataclass(frozen=True)
class KpiGroup:
    key: str
    label: str
    rows: list[KpiRow]


@dataclass(frozen=True)
class KpiDashboard:
    week: date
    segment: str
    groups: list[KpiGroup]
    weeks: list[date]  # the sparkline weeks, oldest first
    has_values: bool


def kpi_dashboard(*, week: date, segment: str = "all") -> KpiDashboard:
    """Every KPI of the catalog for ``week`` in ``segment`` (or "all" where the KPI is not
    split that way), with last week's value and the last 12 weeks. One query."""
    weeks = weeks_ending(week, SPARK_WEEKS)
    points = kpi_points(keys=KPI_BY_KEY, segments={segment, "all"}, start=weeks[0], end=weeks[-1])
    groups: dict[str, list[KpiRow]] = {}
    has_values = False
    for kpi in KPIS:
        split = segment in kpi.segments
        shown = segment if split else "all"
        series = points.get((kpi.key, shown), {})
        has_values = has_values or bool(series)
        groups.setdefault(kpi.group, []).append(
            KpiRow(
                kpi=kpi,
                segment=shown,
                split=split,
                point=series.get(week),
                previous=series.get(week - timedelta(weeks=1)),
                history=[p.value if (p := series.get(w)) else None for w in weeks],
            )
        )
    return KpiDashboard(
        week=week,
        segment=segment,
        groups=[
            KpiGroup(key, str(GROUP_LABELS.get(key, key)), rows) for key, rows in groups.items()
        ],
        weeks=weeks,
        has_values=has_values,
    )


@dataclass(frozen=True)
class Trend:
    kpi: KpiDefinition
    segment: str
    values: list[float | None]


def kpi_trends(*, week: date, weeks: int, segment: str = "all") -> tuple[list[date], list[Trend]]:
    """The primary KPIs over the ``weeks`` ending with ``week``. One query."""
    mondays = weeks_ending(week, weeks)
    primary = [kpi for kpi in KPIS if kpi.group == "primary"]
    points = kpi_points(
        keys=[k.key for k in primary],
        segments={segment, "all"},
        start=mondays[0],
        end=mondays[-1],
    )
    trends = []
    for kpi in primary:
        shown = segment if segment in kpi.segments else "all"
        series = points.get((kpi.key, shown), {})
        trends.append(
            Trend(kpi, shown, [p.value if (p := series.get(m)) else None for m in mondays])
        )
    return mondays, trends


@dataclass(frozen=True)
class KpiDetail:
    kpi: KpiDefinition
    segment: str
    range: str
    weeks: list[date]  # oldest first
    points: dict[date, Point]  # the chosen segment
    latest_by_segment: list[tuple[str, Point | None]]
    latest_week: date | None


def kpi_detail(*, kpi: KpiDefinition, segment: str, range_: str, today: date) -> KpiDetail:
    """One KPI's weekly values in one segment (numerator, denominator, value), over the
    chosen range ending with the current week, and every segment's latest week. Two
    queries (values, and the first week with a value when the range is "all")."""
    end = week_start(today)
    if range_ == "all":
        first = KpiValue.objects.filter(kpi=kpi.key, period=Period.WEEK).aggregate(
            first=Min("period_start")
        )["first"]
        count = ((end - first).days // 7 + 1) if first else 1
    else:
        count = int(range_)
    weeks = weeks_ending(end, count)
    points = kpi_points(keys=[kpi.key], segments=kpi.segments, start=weeks[0], end=end)
    chosen = points.get((kpi.key, segment), {})
    with_values = [w for series in points.values() for w in series]
    # Weeks before the KPI's first figure would be rows of dashes: start at the first.
    weeks = [w for w in weeks if w >= min(with_values)] if with_values else weeks[-1:]
    latest_week = max(with_values) if with_values else None
    latest = [
        (seg, points.get((kpi.key, seg), {}).get(latest_week) if latest_week else None)
        for seg in kpi.segments
    ]
    return KpiDetail(kpi, segment, range_, weeks, chosen, latest, latest_week)


@dataclass(frozen=True)
class PeriodSeries:
    period: str
    starts: list[date]  # oldest first
    values: dict[str, list[float | None]]  # kpi key -> one value per start
    has_values: bool


def kpi_period_series(*, keys: Sequence[str], period: str, count: int, today: date) -> PeriodSeries:
    """The ``keys`` (segment "all") over the last ``count`` weeks or months, the current
    one included. One query."""
    if period == Period.MONTH:
        starts = months_ending(today, count)
    else:
        starts = weeks_ending(week_start(today), count)
    points = kpi_points(keys=keys, segments=["all"], period=period, start=starts[0], end=starts[-1])
    values = {
        key: [p.value if (p := points.get((key, "all"), {}).get(s)) else None for s in starts]
        for key in keys
    }
    has = any(v is not None for series in values.values() for v in series)
    return PeriodSeries(period, starts, values, has)


# --- Operations ---------------------------------------------------------------------------

ACTIVE_NOW_MINUTES = 5


@dataclass(frozen=True)
class ActiveUsers:
    from_events: int
    from_presence: int
    minutes: int = ACTIVE_NOW_MINUTES


def active_users_now(*, now: datetime | None = None) -> ActiveUsers:
    """Distinct people with a product event in the last 5 minutes (events reach the table
    when the worker flushes its buffer, so this lags by up to a flush interval), and
    people whose open page or socket showed presence in the same 5 minutes. Two queries."""
    now = now or timezone.now()
    since = now - timedelta(minutes=ACTIVE_NOW_MINUTES)
    from_events = Event.objects.filter(occurred_at__gte=since).values("user_id").distinct().count()
    # Presence rows are readable by their owner only (RLS); a count over everyone, with
    # no row leaving the database, is what the admin page needs.
    with system_context():
        from_presence = UserStream.objects.filter(last_active_at__gte=since).count()
    return ActiveUsers(from_events=from_events, from_presence=from_presence)


@dataclass(frozen=True)
class OutboxHealth:
    pending: int
    due: int
    dead: int
    oldest_due_at: datetime | None

    def oldest_age(self, now: datetime) -> timedelta | None:
        return now - self.oldest_due_at if self.oldest_due_at else None


def outbox_health(*, now: datetime | None = None) -> OutboxHealth:
    """Messages waiting (pending or being sent), due now, dead letters, and when the
    oldest due one became due. One query."""
    now = now or timezone.now()
    waiting = Q(status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING])
    due = waiting & Q(available_at__lte=now)
    figures = OutboxMessage.objects.aggregate(
        pending=Count("id", filter=waiting),
        due=Count("id", filter=due),
        dead=Count("id", filter=Q(status=OutboxMessage.Status.DEAD)),
        oldest_due=Min("available_at", filter=due),
    )
    return OutboxHealth(figures["pending"], figures["due"], figures["dead"], figures["oldest_due"])


# A loop is late when its last round is older than this many intervals.
LATE_INTERVALS = 3


@dataclass(frozen=True)
class LoopHealth:
    name: str
    beat_at: datetime
    interval_seconds: float
    failed: bool
    late: bool
    last_line: str


def worker_loops(*, now: datetime | None = None) -> list[LoopHealth]:
    """Each background loop's last round, late when older than 3 × its interval. One query."""
    now = now or timezone.now()
    loops = []
    for beat in WorkerHeartbeat.objects.order_by("name"):
        late = now - beat.beat_at > timedelta(seconds=LATE_INTERVALS * beat.interval_seconds)
        loops.append(
            LoopHealth(
                beat.name, beat.beat_at, beat.interval_seconds, beat.failed, late, beat.last_line
            )
        )
    return loops


@dataclass(frozen=True)
class TaskQueueHealth:
    ready: int
    oldest_ready_at: datetime | None
    running: int
    failed_24h: int

    def oldest_age(self, now: datetime) -> timedelta | None:
        return now - self.oldest_ready_at if self.oldest_ready_at else None


def task_queue_health(*, now: datetime | None = None) -> TaskQueueHealth | None:
    """The django-tasks-db queue: tasks ready to run now, when the oldest was enqueued,
    running, and failed in the last 24 hours. ``None`` when it is not installed. One query."""
    from django.apps import apps

    if not apps.is_installed("django_tasks_db"):
        return None
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = now or timezone.now()
    ready = Q(status=TaskResultStatus.READY) & Q(run_after__lte=now)
    figures = DBTaskResult.objects.aggregate(
        ready=Count("id", filter=ready),
        oldest=Min("enqueued_at", filter=ready),
        running=Count("id", filter=Q(status=TaskResultStatus.RUNNING)),
        failed=Count(
            "id",
            filter=Q(status=TaskResultStatus.FAILED, finished_at__gte=now - timedelta(hours=24)),
        ),
    )
    return TaskQueueHealth(
        figures["ready"], figures["oldest"], figures["running"], figures["failed"]
    )


@dataclass(frozen=True)
class RunRow:
    job: str
    started_at: datetime
    duration_ms: int
    events_read: int
    rows_written: int
    ok: bool
    error_kind: str = field(default="")


def latest_rollup_runs(*, limit: int = 20) -> list[RunRow]:
    """The latest rollup runs, newest first. ``error_kind`` is the exception's type only:
    the rest of a stored error message could quote data. One query."""
    return [
        RunRow(
            run.job,
            run.started_at,
            run.duration_ms,
            run.events_read,
            run.rows_written,
            run.ok,
            run.error.split(":", 1)[0][:80] if run.error else "",
        )
        for run in RollupRun.objects.order_by("-started_at", "-id")[:limit]
    ]


def unit_label(kpi: KpiDefinition) -> str:
    return str(UNIT_LABELS.get(kpi.unit, kpi.unit))


def kpi_text(kpi: KpiDefinition, name: str) -> str:
    """A descriptive field of the catalog entry (definition, formula, source) when the
    catalog has it, else ``""``."""
    value: Any = getattr(kpi, name, "")
    return str(value) if value else ""
