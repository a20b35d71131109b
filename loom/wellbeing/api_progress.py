"""Progress, trends and insights (/api/v1/wellbeing/progress…), sharing choices
(/api/v1/wellbeing/sharing) and a coach's view of one client
(/api/v1/wellbeing/clients/{client_id}/progress).

Thin: each operation calls the same selector or service as the pages. The client
endpoints are for clients (403 for others); the coach endpoint answers 404 for anyone
who is not the client's coach, so a foreign id is indistinguishable from a missing one.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from loom.accounts.models import User
from loom.accounts.permissions import require_client, require_coach
from loom.core.schemas import problem_responses
from loom.journal.days import local_today
from loom.wellbeing import analysis, insights, progress, sharing
from loom.wellbeing.schemas_progress import (
    ActionItemOut,
    BucketOut,
    CoachProgressOut,
    DashboardOut,
    DayOut,
    GoalOut,
    InsightOut,
    InsightsOut,
    RangeQuery,
    SharingIn,
    SharingOut,
    StreakOut,
    TrendsOut,
    TrendsQuery,
)

router = Router(tags=["wellbeing progress"])

ERRORS = problem_responses(401, 403, 404, 422)


def _client(request: HttpRequest) -> User:
    return require_client(request, _("Only clients have a progress dashboard."))


def _days(points: list[progress.DayPoint]) -> list[DayOut]:
    return [
        DayOut(
            day=point.day,
            average=round(point.average, 2),
            moving_average=round(point.moving, 2),
            count=point.count,
        )
        for point in points
    ]


def _goals(items: list[progress.GoalSummary]) -> list[GoalOut]:
    return [
        GoalOut(
            id=item.goal.pk,
            title=item.goal.title,
            status=item.goal.status,
            progress=item.progress,
            milestones_done=item.milestones_done,
            milestones_total=item.milestones_total,
            target_date=item.goal.target_date,
        )
        for item in items
    ]


def _buckets(buckets: list[analysis.Bucket]) -> list[BucketOut]:
    return [
        BucketOut(
            key=str(bucket.key),
            average=None if bucket.average is None else round(bucket.average, 2),
            count=bucket.count,
        )
        for bucket in buckets
    ]


def _insights(items: list[insights.FactorInsight]) -> InsightsOut:
    return InsightsOut(
        insights=[
            InsightOut(
                factor=item.factor,
                average_with=round(item.insight.average_with, 2),
                average_without=round(item.insight.average_without, 2),
                days_with=item.insight.days_with,
                days_without=item.insight.days_without,
                difference=round(item.difference, 2),
                text=item.text,
            )
            for item in items
        ],
        note=str(insights.CORRELATION_NOTE) if items else str(insights.EMPTY_TEXT),
    )


def _sharing(preference: Any) -> SharingOut:
    return SharingOut(share_checkins=preference.share_checkins, share_goals=preference.share_goals)


@router.get(
    "/progress",
    response={200: DashboardOut, **ERRORS},
    url_name="wellbeing_progress",
    summary="The client's progress dashboard",
)
def dashboard(request: HttpRequest, filters: Query[RangeQuery]) -> DashboardOut:
    """Daily mood with its 7-day moving average (``range`` 30 or 90 days), check-in and
    journal streaks, active goals, sessions attended in 90 days, resources completed."""
    data = progress.client_dashboard(_client(request), range_days=filters.range)
    return DashboardOut(
        today=data.today,
        range=data.range_days,
        mood=_days(data.points),
        checkins_in_range=data.checkins_in_range,
        checkin_streak=StreakOut(current=data.checkin_streak[0], longest=data.checkin_streak[1]),
        journal_streak=StreakOut(current=data.journal_streak[0], longest=data.journal_streak[1]),
        goals=_goals(data.goals),
        sessions_attended_90_days=data.sessions_attended,
        resources_completed=data.resources_completed,
    )


@router.get(
    "/progress/trends",
    response={200: TrendsOut, **ERRORS},
    url_name="wellbeing_progress_trends",
    summary="Mood trends, weekday and time-of-day patterns, insights",
)
def trends(request: HttpRequest, filters: Query[TrendsQuery]) -> TrendsOut:
    """Weekdays are keyed 0 (Monday) to 6 (Sunday); parts of the day are morning
    (5–11), afternoon (12–16), evening (17–21) and night (22–4), in local hours."""
    data = progress.client_trends(_client(request), range_days=filters.range)
    return TrendsOut(
        today=data.today,
        range=data.range_days,
        mood=_days(data.points),
        weekdays=_buckets(data.weekdays),
        parts_of_day=_buckets(data.parts_of_day),
        insights=_insights(data.insights),
    )


@router.get(
    "/progress/insights",
    response={200: InsightsOut, **ERRORS},
    url_name="wellbeing_progress_insights",
    summary="Factor insights over the last 90 days",
)
def insight_list(request: HttpRequest) -> InsightsOut:
    """Only factors with at least 3 days with and 3 without, at least 0.5 apart, largest
    difference first. They are correlations, and ``note`` says so."""
    client = _client(request)
    return _insights(insights.client_insights(client, today=local_today(client)))


@router.get(
    "/sharing",
    response={200: SharingOut, **ERRORS},
    url_name="wellbeing_sharing",
    summary="What the client shares with their coaches",
)
def sharing_get(request: HttpRequest) -> SharingOut:
    return _sharing(progress.sharing_for_client(_client(request)))


@router.put(
    "/sharing",
    response={200: SharingOut, **ERRORS},
    url_name="wellbeing_sharing_put",
    summary="Change what the client shares with their coaches",
)
def sharing_put(request: HttpRequest, payload: SharingIn) -> SharingOut:
    """Both switches are required booleans; the change is audited."""
    change = sharing.sharing_update(
        client=_client(request),
        share_checkins=payload.share_checkins,
        share_goals=payload.share_goals,
    )
    return _sharing(change.preference)


@router.get(
    "/clients/{int:client_id}/progress",
    response={200: CoachProgressOut, **ERRORS},
    url_name="wellbeing_coach_client_progress",
    summary="A coach's view of one client's progress",
)
def coach_client(request: HttpRequest, client_id: int) -> CoachProgressOut:
    """Only what the client shares (check-in moods, goals) or the coach owns (their
    proposals, their open action items, the count of entries shared with them)."""
    data = progress.coach_client_progress(require_coach(request), client_id)
    return CoachProgressOut(
        client_id=data.client.pk,
        archived=data.archived,
        shares_checkins=data.shares_checkins,
        shares_goals=data.shares_goals,
        mood=_days(data.points) if data.shares_checkins else None,
        last_checkin_at=data.last_checkin_at,
        trend=data.trend,
        goals=_goals(data.goals),
        open_action_items=[
            ActionItemOut(id=item.pk, title=item.title, due_on=item.due_on)
            for item in data.action_items
        ],
        shared_journal_entries=data.shared_entries,
    )
