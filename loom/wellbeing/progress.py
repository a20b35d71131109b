"""Reads behind the progress pages: the client's dashboard and trends, the coach's
Progress tab and the roster's wellbeing summaries.

Every function takes the person asking and reads only what they may see (DESIGN.md
rule 1): a client reads their own rows; a coach reads a client's check-in figures only
while the client shares them (``SharingPreference.share_checkins``) and is on the
coach's active roster, goals the client shares or the coach proposed, the coach's own
action items, and the number (never the text) of entries shared with them. Row-level
security enforces the same on PostgreSQL; these filters keep SQLite equally strict.

Query counts are constant: each figure is one grouped query, whatever the number of
days, goals or clients (the tests assert the counts).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Avg, Count, OuterRef, Q, Subquery
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient, Role, User
from loom.core.ids import parse_object_id
from loom.journal.days import local_day_of, local_today
from loom.journal.models import Entry
from loom.resources.models import ResourceProgress
from loom.scheduling.models import ActionItem, SeatStatus, Session, SessionStatus
from loom.wellbeing import analysis, insights
from loom.wellbeing.models import CheckIn, Goal, SharingPreference
from loom.wellbeing.selectors_checkins import daily_moods

RANGES = (30, 90, 365)
DASHBOARD_RANGES = (30, 90)
DEFAULT_RANGE = 30
SESSIONS_WINDOW_DAYS = 90
COACH_RANGE = 30
# The trend looks at the last 7 days and the 14 before them.
TREND_WINDOW_DAYS = analysis.TREND_RECENT_DAYS + analysis.TREND_PREVIOUS_DAYS
GOALS_SHOWN = 20
ACTION_ITEMS_SHOWN = 20


def parse_range(raw: Any, allowed: Iterable[int] = RANGES) -> int:
    """The ``?range=`` of a page: one of ``allowed`` or the default (a page never fails
    over a garbled filter; the API refuses it with a 422 instead)."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        return DEFAULT_RANGE
    return value if value in tuple(allowed) else DEFAULT_RANGE


@dataclass(frozen=True)
class DayPoint:
    day: date
    average: float
    count: int
    moving: float


@dataclass(frozen=True)
class GoalSummary:
    goal: Goal
    milestones_done: int
    milestones_total: int

    @property
    def progress(self) -> int:
        return int(self.goal.progress)


@dataclass(frozen=True)
class Dashboard:
    today: date
    range_days: int
    start: date
    points: list[DayPoint]
    checkins_in_range: int
    checkin_streak: tuple[int, int]
    journal_streak: tuple[int, int]
    goals: list[GoalSummary]
    sessions_attended: int
    resources_completed: int

    @property
    def average(self) -> float | None:
        return analysis.mean(point.average for point in self.points)


@dataclass(frozen=True)
class Trends:
    today: date
    range_days: int
    start: date
    points: list[DayPoint]
    weekdays: list[analysis.Bucket]
    parts_of_day: list[analysis.Bucket]
    insights: list[insights.FactorInsight]


def _points(moods: dict[date, Any], start: date, end: date) -> list[DayPoint]:
    """Daily averages in [start, end] with their 7-day moving average.

    The moving average of the first days may look back before ``start``: ``moods``
    carries six earlier days for that, so the line does not start from one lonely value.
    """
    series = [(day, mood.avg_pleasantness) for day, mood in moods.items()]
    moving = dict(analysis.moving_average(series))
    return [
        DayPoint(day=day, average=mood.avg_pleasantness, count=mood.count, moving=moving[day])
        for day, mood in sorted(moods.items())
        if start <= day <= end
    ]


def _checkin_days(client: User) -> set[date]:
    return set(
        CheckIn.objects.filter(client_id=client.pk)
        .order_by()
        .values_list("local_date", flat=True)
        .distinct()
    )


def _journal_days(client: User) -> set[date]:
    return set(
        Entry.objects.filter(author_id=client.pk)
        .order_by()
        .values_list("written_on", flat=True)
        .distinct()
    )


def _goal_summaries(goals: Any) -> list[GoalSummary]:
    rows = goals.annotate(
        milestones_total=Count("milestones"),
        milestones_done=Count("milestones", filter=Q(milestones__completed_at__isnull=False)),
    ).order_by("target_date", "-created_at", "-id")[:GOALS_SHOWN]
    return [
        GoalSummary(
            goal=goal, milestones_done=goal.milestones_done, milestones_total=goal.milestones_total
        )
        for goal in rows
    ]


def _sessions_attended(client: User, *, now: datetime) -> int:
    return (
        Session.objects.filter(
            status=SessionStatus.COMPLETED,
            starts_at__gte=now - timedelta(days=SESSIONS_WINDOW_DAYS),
            starts_at__lte=now,
        )
        .filter(
            Q(client_id=client.pk) | Q(seats__client_id=client.pk, seats__status=SeatStatus.TAKEN)
        )
        .order_by()
        .values("id")
        .distinct()
        .count()
    )


def client_dashboard(
    client: User, *, range_days: int = DEFAULT_RANGE, now: datetime | None = None
) -> Dashboard:
    """The client's own dashboard (seven queries, whatever the amount of data)."""
    now = now or timezone.now()
    today = local_today(client, now=now)
    start = today - timedelta(days=range_days - 1)
    moods = daily_moods(client, start=start - timedelta(days=6), end=today)
    points = _points(moods, start, today)
    return Dashboard(
        today=today,
        range_days=range_days,
        start=start,
        points=points,
        checkins_in_range=sum(point.count for point in points),
        checkin_streak=analysis.streak(_checkin_days(client), today),
        journal_streak=analysis.streak(_journal_days(client), today),
        goals=_goal_summaries(Goal.objects.filter(client_id=client.pk, status=Goal.Status.ACTIVE)),
        sessions_attended=_sessions_attended(client, now=now),
        resources_completed=ResourceProgress.objects.filter(
            client_id=client.pk, completed_at__isnull=False
        ).count(),
    )


def client_trends(
    client: User, *, range_days: int = DEFAULT_RANGE, now: datetime | None = None
) -> Trends:
    """Mood over time, weekday and time-of-day patterns, and insights (at most six queries).

    Insights always look at the last 90 days (or the whole range when it is longer), so
    switching the chart to 30 days does not hide what the client has learnt.
    """
    today = local_today(client, now=now)
    start = today - timedelta(days=range_days - 1)
    window = max(range_days, insights.INSIGHT_DAYS)
    moods = daily_moods(client, start=today - timedelta(days=window - 1 + 6), end=today)
    points = _points(moods, start, today)
    hours = (
        CheckIn.objects.filter(client_id=client.pk, local_date__gte=start, local_date__lte=today)
        .order_by()
        .values("local_hour")
        .annotate(avg=Avg("pleasantness"), n=Count("id"))
    )
    return Trends(
        today=today,
        range_days=range_days,
        start=start,
        points=points,
        weekdays=analysis.weekday_pattern((point.day, point.average) for point in points),
        parts_of_day=analysis.time_of_day_pattern(
            (row["local_hour"], float(row["avg"]), int(row["n"])) for row in hours
        ),
        insights=insights.client_insights(
            client,
            today=today,
            days=window,
            moods={day: mood.avg_pleasantness for day, mood in moods.items()},
        ),
    )


# --- Sharing choices ---------------------------------------------------------------------------


def sharing_for_client(client: User) -> SharingPreference:
    """The client's choices, or the defaults (an unsaved row) when they never chose."""
    found = SharingPreference.objects.filter(client_id=client.pk).first()
    return found or SharingPreference(client=client)


# --- The coach's view --------------------------------------------------------------------------


@dataclass(frozen=True)
class CoachProgress:
    client: User
    archived: bool
    shares_checkins: bool
    shares_goals: bool
    today: date | None = None
    start: date | None = None
    points: list[DayPoint] = field(default_factory=list)
    last_checkin_at: datetime | None = None
    trend: analysis.Trend | None = None
    goals: list[GoalSummary] = field(default_factory=list)
    action_items: list[ActionItem] = field(default_factory=list)
    shared_entries: int = 0


def _coach_goals(coach: User, client: User, *, shares_goals: bool) -> Any:
    """Goals the coach may see: proposed by this coach (any answer), or — while the
    client shares goals — the client's goals in play. Other coaches' open or declined
    proposals are theirs, not this coach's business."""
    visible = Q(proposed_by_id=coach.pk)
    if shares_goals:
        visible |= Q(status__in=[Goal.Status.ACTIVE, Goal.Status.PAUSED, Goal.Status.COMPLETED])
    return Goal.objects.filter(visible, client_id=client.pk)


def coach_client_progress(
    coach: User, client_id: Any, *, now: datetime | None = None
) -> CoachProgress:
    """What ``coach`` may see of a client's progress (404 when not their client).

    An archived client shows nothing: sharing is for the coaches a client works with now.
    """
    number = parse_object_id(client_id)
    if coach.role != Role.COACH or number is None:
        raise Http404
    link = (
        CoachClient.objects.filter(coach_id=coach.pk, client_id=number, client__role=Role.CLIENT)
        .select_related("client")
        .first()
    )
    if link is None:
        raise Http404
    client = link.client
    if link.status != CoachClient.Status.ACTIVE:
        return CoachProgress(
            client=client, archived=True, shares_checkins=False, shares_goals=False
        )
    choices = sharing_for_client(client)
    result: dict[str, Any] = {}
    if choices.share_checkins:
        today = local_today(client, now=now)
        start = today - timedelta(days=COACH_RANGE - 1)
        moods = daily_moods(client, start=start - timedelta(days=6), end=today)
        result.update(
            today=today,
            start=start,
            points=_points(moods, start, today),
            trend=analysis.mood_trend(
                {day: mood.avg_pleasantness for day, mood in moods.items()}, today
            ),
            last_checkin_at=CheckIn.objects.filter(client_id=client.pk)
            .order_by("-occurred_at")
            .values_list("occurred_at", flat=True)
            .first(),
        )
    return CoachProgress(
        client=client,
        archived=False,
        shares_checkins=choices.share_checkins,
        shares_goals=choices.share_goals,
        goals=_goal_summaries(_coach_goals(coach, client, shares_goals=choices.share_goals)),
        action_items=list(
            ActionItem.objects.filter(
                coach_id=coach.pk, client_id=client.pk, completed_at__isnull=True
            ).order_by("due_on", "id")[:ACTION_ITEMS_SHOWN]
        ),
        shared_entries=Entry.objects.filter(author_id=client.pk, shared_with_id=coach.pk).count(),
        **result,
    )


# --- The roster --------------------------------------------------------------------------------


@dataclass(frozen=True)
class RosterSummary:
    client_id: int
    shares_checkins: bool
    last_checkin_at: datetime | None
    trend: analysis.Trend | None
    open_action_items: int


def roster_summaries(
    coach: User, client_ids: Iterable[int], *, now: datetime | None = None
) -> dict[int, RosterSummary]:
    """One summary per active client of ``coach`` among ``client_ids``.

    Always three queries for a coach, however many clients and whatever they share (a
    page of only archived clients or invitations costs the same): the clients with
    their zones, check-in sharing and last check-in, the last three weeks of daily
    moods of those who share, and the coach's open action items per client.
    """
    if coach.role != Role.COACH:
        return {}
    # An empty list would let Django skip the query altogether; id 0 matches nothing
    # and keeps the count the same for every page.
    ids = sorted({int(pk) for pk in client_ids}) or [0]
    now = now or timezone.now()
    on_roster = Q(
        client__coach_links__coach_id=coach.pk,
        client__coach_links__status=CoachClient.Status.ACTIVE,
    )
    sharing = Q(on_roster, client__wellbeing_sharing__share_checkins=True)
    # The last check-in is one index probe per client (newest first on
    # checkin_client_time), not a scan of everyone's history; row-level security lets
    # the coach read it only while the client shares, and it is shown only then.
    newest_checkin = (
        CheckIn.objects.filter(client_id=OuterRef("pk"))
        .order_by("-occurred_at", "-id")
        .values("occurred_at")[:1]
    )
    people = list(
        User.objects.filter(
            pk__in=ids,
            role=Role.CLIENT,
            coach_links__coach_id=coach.pk,
            coach_links__status=CoachClient.Status.ACTIVE,
        )
        .annotate(last_checkin_at=Subquery(newest_checkin))
        .values_list("pk", "timezone", "wellbeing_sharing__share_checkins", "last_checkin_at")
    )
    # Each client's today is in their own zone; reading from the earliest possible
    # start (UTC today minus the window and a day) covers every zone at once.
    earliest = now.astimezone(UTC).date() - timedelta(days=TREND_WINDOW_DAYS + 1)
    daily: dict[int, dict[date, float]] = defaultdict(dict)
    for row in (
        CheckIn.objects.filter(sharing, client_id__in=ids, local_date__gte=earliest)
        .order_by()
        .values("client_id", "local_date")
        .annotate(avg=Avg("pleasantness"))
    ):
        daily[row["client_id"]][row["local_date"]] = float(row["avg"])
    open_items = dict(
        ActionItem.objects.filter(
            on_roster, coach_id=coach.pk, client_id__in=ids, completed_at__isnull=True
        )
        .order_by()
        .values("client_id")
        .annotate(n=Count("id"))
        .values_list("client_id", "n")
    )
    summaries: dict[int, RosterSummary] = {}
    for pk, zone, shares, last_checkin_at in people:
        shares = bool(shares)
        summaries[pk] = RosterSummary(
            client_id=pk,
            shares_checkins=shares,
            last_checkin_at=last_checkin_at if shares else None,
            trend=analysis.mood_trend(daily.get(pk, {}), local_day_of(zone, now))
            if shares
            else None,
            open_action_items=int(open_items.get(pk, 0)),
        )
    return summaries
