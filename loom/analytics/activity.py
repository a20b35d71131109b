"""The daily activity rollup: one ``DailyActivity`` row per person per day with events.

Day = the calendar date of the event in ``ANALYTICS_TIME_ZONE`` (so a DST day is 23 or
25 hours long). For each person and day:

* ``events``: their events; ``actions``: those not in ``PASSIVE_EVENTS`` (signing in and
  viewing pages are looking around, everything else is doing something);
  ``page_views``: their ``page_view`` events;
* ``visits``: runs of events with no gap longer than ``ANALYTICS_VISIT_TIMEOUT_MINUTES``
  (a gap of exactly the timeout continues the visit); visits are cut at midnight;
* ``visit_seconds``: the sum over visits of (last event − first event), each visit in
  whole seconds (rounded down), so a one-event visit lasts 0 s;
* ``first_at`` / ``last_at``: their first and last event; ``role``: the role of their
  last event that day.

Incremental: a run finds the days touched by events it has not seen (id above
``RollupState('activity').last_event_id``) and recomputes each of those days from all
its events (one ``INSERT … SELECT … ON CONFLICT`` per day on PostgreSQL), so running it
twice, or after a crash, gives the same table as a full rebuild.

Out-of-order commits: ids are handed out when a row is inserted, not when it commits,
so an event with a smaller id can become visible after a run has moved past it (two
requests inserting at once with the database buffer; a slow flush). Each run therefore
also watches the last ``REREAD_IDS`` ids below its watermark: it keeps the sum of the
ids present there (``RollupState('activity:window')``), and when that sum has changed
since the previous run — an id in the window committed late — it recomputes the days of
the window's events too. The sums are read before any day is, so an event committing
during a run changes the next run's sum and is picked up then. An idle run costs two
index range sums and recomputes nothing.
We chose this over a time-based grace period because event times say when something
happened, not when its row committed (the Redis buffer holds events for seconds), so a
grace period on ``occurred_at`` would not bound the lag that matters. An event that
commits after more than ``REREAD_IDS`` newer ones is only counted by the next
``activity_rebuild``; with the flusher's row lock serialising batch inserts, that
cannot happen with the Redis buffer.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, QuerySet, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from loom.analytics.models import (
    PASSIVE_EVENTS,
    DailyActivity,
    Event,
    EventName,
    RollupState,
)
from loom.analytics.rollup import RollupResult
from loom.core.context import system_context

JOB = "activity"
# Holds (in ``last_event_id``) the checksum of the ids in the re-read window.
WINDOW_JOB = "activity:window"
# How far below its watermark each run looks again for late-committed events.
REREAD_IDS = 5000
# A day touched by more people than this is recomputed whole (one scan beats a list
# of ids that long).
WHOLE_DAY_USERS = 20_000

_UPDATE_FIELDS = [
    "role",
    "events",
    "actions",
    "page_views",
    "visits",
    "visit_seconds",
    "first_at",
    "last_at",
]


def reporting_zone() -> ZoneInfo:
    return ZoneInfo(str(settings.ANALYTICS_TIME_ZONE))


def day_bounds(day: date, zone: ZoneInfo | None = None) -> tuple[datetime, datetime]:
    """The instants (in UTC) where ``day`` starts and the next day starts in the
    reporting zone. In UTC because Python subtracts two times of the same zone by their
    wall clocks: a DST day must come out 23 or 25 hours long."""
    zone = zone or reporting_zone()
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def _timeout() -> timedelta:
    return timedelta(minutes=int(settings.ANALYTICS_VISIT_TIMEOUT_MINUTES))


def _is_postgres() -> bool:
    return bool(connection.vendor == "postgresql")


# --- Public API ----------------------------------------------------------------------------


def activity_rollup(*, now: datetime | None = None) -> RollupResult:
    """Bring ``DailyActivity`` up to date with the events written since the last run.

    ``periods`` is the number of days recomputed. Safe to run in several processes at
    once (the job's state row is locked for the run).
    """
    now = now or timezone.now()
    zone = reporting_zone()
    with system_context(), transaction.atomic():
        state = RollupState.objects.select_for_update().get_or_create(job=JOB)[0]
        window = RollupState.objects.select_for_update().get_or_create(job=WINDOW_JOB)[0]
        last = state.last_event_id
        top = max(Event.objects.aggregate(top=Max("id"))["top"] or 0, last)
        # Both checksums before any day is read: an event committing after this point
        # changes the next run's checksum, so it is never missed (see the module docstring).
        late = _window_sum(last) != window.last_event_id
        next_sum = _window_sum(top)
        touched: dict[date, set[int]] = defaultdict(set)
        if top > last:
            _add_touched(touched, Event.objects.filter(id__gt=last, id__lte=top), zone)
        if late:
            reread = Event.objects.filter(id__gt=_window_low(last), id__lte=last)
            _add_touched(touched, reread, zone)
        days = set(touched)
        events_read = rows = 0
        for day in sorted(days):
            # Only the people with new events: a busy day (5M events) is not re-read
            # whole every five minutes, nor its untouched rows rewritten.
            users = touched[day] if len(touched[day]) <= WHOLE_DAY_USERS else None
            read, written = _recompute_day(day, zone, users=users)
            events_read += read
            rows += written
        _save_state(state, last_event_id=top, now=now)
        _save_state(window, last_event_id=next_sum, now=now)
    return RollupResult(events_read=events_read, rows_written=rows, periods=len(days))


def _window_low(last: int) -> int:
    return max(0, last - REREAD_IDS)


def _window_sum(last: int) -> int:
    """The sum of the ids present in the re-read window below ``last``: it changes when
    an id in the window commits late (or is deleted with its person)."""
    if last <= 0:
        return 0
    total = Event.objects.filter(id__gt=_window_low(last), id__lte=last).aggregate(total=Sum("id"))[
        "total"
    ]
    return int(total or 0)


def _save_state(state: RollupState, *, last_event_id: int, now: datetime) -> None:
    state.last_event_id = last_event_id
    state.watermark = now
    state.updated_at = now
    state.save(update_fields=["last_event_id", "watermark", "updated_at"])


def activity_rebuild(*, since: date | None = None, now: datetime | None = None) -> RollupResult:
    """Recompute ``DailyActivity`` from the events, for every day from ``since``.

    Rows of those days are deleted first, so the table ends up exactly as the events
    say. Without ``since`` the rebuild starts on the first whole day within
    ``ANALYTICS_EVENT_RETENTION_DAYS``: older days (and the one the prune cuts in half)
    have lost their events, so their rows are history that must not be rebuilt from
    nothing. Each day is its own transaction (a rebuild of a large table holds no long lock);
    the watermark moves last, so an interrupted rebuild is finished by the next run or
    rebuild.
    """
    now = now or timezone.now()
    zone = reporting_zone()
    with system_context():
        top = Event.objects.aggregate(top=Max("id"))["top"] or 0
        # Before any day is read, as in activity_rollup: a late commit after this point
        # changes the next run's checksum.
        window_sum = _window_sum(top)
        if since is None:
            # The first whole day the retention still keeps every event of.
            cutoff = now - timedelta(days=settings.ANALYTICS_EVENT_RETENTION_DAYS)
            since = cutoff.astimezone(zone).date() + timedelta(days=1)
        rows_to_clear = DailyActivity.objects.filter(day__gte=since)
        events = Event.objects.filter(occurred_at__gte=day_bounds(since, zone)[0])
        rows_to_clear.delete()
        days = _days_of(events, zone)
        events_read = rows = 0
        for day in sorted(days):
            with transaction.atomic():
                read, written = _recompute_day(day, zone)
            events_read += read
            rows += written
        with transaction.atomic():
            state = RollupState.objects.select_for_update().get_or_create(job=JOB)[0]
            window = RollupState.objects.select_for_update().get_or_create(job=WINDOW_JOB)[0]
            # A run that finished meanwhile may have moved further; never move back.
            if state.last_event_id <= top:
                _save_state(state, last_event_id=top, now=now)
                _save_state(window, last_event_id=window_sum, now=now)
    if connection.vendor == "postgresql":
        # Fresh statistics: until autovacuum gets to the rewritten table, the planner would
        # scan it whole for a coach's "last activity" (measured 100 ms instead of 3 ms).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE analytics_dailyactivity")
    return RollupResult(events_read=events_read, rows_written=rows, periods=len(days))


# --- Which days ----------------------------------------------------------------------------


def _add_touched(touched: dict[date, set[int]], events: QuerySet[Event], zone: ZoneInfo) -> None:
    """Add the (day, person) pairs of ``events`` to ``touched``."""
    pairs = (
        events.annotate(local_day=TruncDate("occurred_at", tzinfo=zone))
        .order_by()
        .values_list("local_day", "user_id")
        .distinct()
    )
    for day, user_id in pairs:
        touched[day].add(user_id)


def _days_of(events: QuerySet[Event], zone: ZoneInfo) -> set[date]:
    return set(
        events.annotate(local_day=TruncDate("occurred_at", tzinfo=zone))
        .order_by()
        .values_list("local_day", flat=True)
        .distinct()
    )


# --- One day -------------------------------------------------------------------------------


def _recompute_day(day: date, zone: ZoneInfo, *, users: set[int] | None = None) -> tuple[int, int]:
    """Upsert the rows for ``day`` of ``users`` (everyone with events when ``None``);
    returns (events read, rows written)."""
    start, end = day_bounds(day, zone)
    if _is_postgres():
        return _recompute_day_sql(day, start, end, users=users)
    return _recompute_day_python(day, start, end, users=users)


_PASSIVE = sorted(str(name) for name in PASSIVE_EVENTS)

_DAY_SQL = """
WITH ev AS (
    SELECT id, user_id, role, name, occurred_at,
           occurred_at - LAG(occurred_at) OVER (
               PARTITION BY user_id ORDER BY occurred_at, id
           ) AS gap
    FROM {event}
    WHERE occurred_at >= %(start)s AND occurred_at < %(end)s{users}
),
numbered AS (
    SELECT ev.*,
           SUM(CASE WHEN gap IS NULL OR gap > %(timeout)s THEN 1 ELSE 0 END) OVER (
               PARTITION BY user_id ORDER BY occurred_at, id ROWS UNBOUNDED PRECEDING
           ) AS visit
    FROM ev
),
visits AS (
    SELECT user_id,
           FLOOR(EXTRACT(EPOCH FROM MAX(occurred_at) - MIN(occurred_at)))::bigint AS seconds
    FROM numbered
    GROUP BY user_id, visit
),
visit_totals AS (
    SELECT user_id, SUM(seconds) AS seconds FROM visits GROUP BY user_id
),
per_user AS (
    SELECT user_id,
           (ARRAY_AGG(role ORDER BY occurred_at DESC, id DESC))[1] AS role,
           COUNT(*) AS events,
           COUNT(*) FILTER (WHERE NOT (name = ANY(%(passive)s))) AS actions,
           COUNT(*) FILTER (WHERE name = %(page_view)s) AS page_views,
           MAX(visit) AS visits,
           MIN(occurred_at) AS first_at,
           MAX(occurred_at) AS last_at
    FROM numbered
    GROUP BY user_id
),
written AS (
    INSERT INTO {activity} AS a
        (day, user_id, role, events, actions, page_views, visits, visit_seconds,
         first_at, last_at)
    SELECT %(day)s, p.user_id, p.role, p.events, p.actions, p.page_views, p.visits,
           LEAST(t.seconds, 2147483647), p.first_at, p.last_at
    FROM per_user AS p JOIN visit_totals AS t USING (user_id)
    ON CONFLICT (user_id, day) DO UPDATE SET
        role = EXCLUDED.role, events = EXCLUDED.events, actions = EXCLUDED.actions,
        page_views = EXCLUDED.page_views, visits = EXCLUDED.visits,
        visit_seconds = EXCLUDED.visit_seconds, first_at = EXCLUDED.first_at,
        last_at = EXCLUDED.last_at
    RETURNING events
)
SELECT COALESCE(SUM(events), 0), COUNT(*) FROM written
"""


def _recompute_day_sql(
    day: date, start: datetime, end: datetime, *, users: set[int] | None = None
) -> tuple[int, int]:
    qn = connection.ops.quote_name
    sql = _DAY_SQL.format(
        event=qn(Event._meta.db_table),
        activity=qn(DailyActivity._meta.db_table),
        users="" if users is None else " AND user_id = ANY(%(users)s)",
    )
    params: dict[str, Any] = {
        "users": sorted(users or ()),
        "start": start,
        "end": end,
        "timeout": _timeout(),
        "passive": _PASSIVE,
        "page_view": str(EventName.PAGE_VIEW),
        "day": day,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        read, written = cursor.fetchone()
    return int(read), int(written)


def _recompute_day_python(
    day: date, start: datetime, end: datetime, *, users: set[int] | None = None
) -> tuple[int, int]:
    """The same figures without window functions (SQLite), and the reference the
    PostgreSQL statement is tested against."""
    day_events = Event.objects.filter(occurred_at__gte=start, occurred_at__lt=end)
    if users is not None:
        day_events = day_events.filter(user_id__in=users)
    rows = day_activity(
        day_events.order_by("user_id", "occurred_at", "id")
        .values_list("user_id", "role", "name", "occurred_at")
        .iterator(),
        day=day,
    )
    DailyActivity.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["user", "day"],
        update_fields=_UPDATE_FIELDS,
    )
    return sum(r.events for r in rows), len(rows)


def day_activity(
    events: Iterable[tuple[int, str, str, datetime]],
    *,
    day: date,
    timeout: timedelta | None = None,
) -> list[DailyActivity]:
    """``DailyActivity`` rows (unsaved) for one day's events, given as
    ``(user_id, role, name, occurred_at)`` tuples ordered by user, time and id."""
    timeout = timeout or _timeout()
    by_user: dict[int, list[tuple[str, str, datetime]]] = defaultdict(list)
    for user_id, role, name, at in events:
        by_user[user_id].append((role, name, at))
    rows = []
    one_second = timedelta(seconds=1)
    for user_id, items in by_user.items():
        visits = 0
        seconds = 0
        visit_start = previous = items[0][2]
        for index, (_role, _name, at) in enumerate(items):
            if index == 0 or at - previous > timeout:
                if index:
                    seconds += (previous - visit_start) // one_second
                visits += 1
                visit_start = at
            previous = at
        seconds += (previous - visit_start) // one_second
        rows.append(
            DailyActivity(
                day=day,
                user_id=user_id,
                role=items[-1][0],
                events=len(items),
                actions=sum(1 for _r, name, _a in items if name not in PASSIVE_EVENTS),
                page_views=sum(1 for _r, name, _a in items if name == EventName.PAGE_VIEW),
                visits=visits,
                visit_seconds=min(seconds, 2**31 - 1),
                first_at=items[0][2],
                last_at=items[-1][2],
            )
        )
    return rows
