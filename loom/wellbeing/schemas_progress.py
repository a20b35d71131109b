"""JSON shapes of the progress API (/api/v1/wellbeing/progress…, /sharing)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Schema
from pydantic import ConfigDict, StrictBool, field_validator


def _one_of(value: int, allowed: tuple[int, ...]) -> int:
    if value not in allowed:
        raise ValueError(f"range must be one of {', '.join(map(str, allowed))}")
    return value


class RangeQuery(Schema):
    """``range``: days of the mood chart, 30 or 90."""

    range: int = 30

    @field_validator("range")
    @classmethod
    def _allowed(cls, value: int) -> int:
        return _one_of(value, (30, 90))


class TrendsQuery(Schema):
    """``range``: days of the mood chart and patterns, 30, 90 or 365."""

    range: int = 30

    @field_validator("range")
    @classmethod
    def _allowed(cls, value: int) -> int:
        return _one_of(value, (30, 90, 365))


class DayOut(Schema):
    day: date
    average: float
    moving_average: float
    count: int


class StreakOut(Schema):
    current: int
    longest: int


class GoalOut(Schema):
    id: int
    title: str
    status: str
    progress: int
    milestones_done: int
    milestones_total: int
    target_date: date | None


class DashboardOut(Schema):
    today: date
    range: int
    mood: list[DayOut]
    checkins_in_range: int
    checkin_streak: StreakOut
    journal_streak: StreakOut
    goals: list[GoalOut]
    sessions_attended_90_days: int
    resources_completed: int


class BucketOut(Schema):
    key: str
    average: float | None
    count: int


class InsightOut(Schema):
    factor: str
    average_with: float
    average_without: float
    days_with: int
    days_without: int
    difference: float
    text: str


class InsightsOut(Schema):
    insights: list[InsightOut]
    note: str


class TrendsOut(Schema):
    today: date
    range: int
    mood: list[DayOut]
    weekdays: list[BucketOut]
    parts_of_day: list[BucketOut]
    insights: InsightsOut


class SharingOut(Schema):
    share_checkins: bool
    share_goals: bool


class SharingIn(Schema):
    model_config = ConfigDict(extra="forbid")

    share_checkins: StrictBool
    share_goals: StrictBool


class ActionItemOut(Schema):
    id: int
    title: str
    due_on: date | None


class CoachProgressOut(Schema):
    client_id: int
    archived: bool
    shares_checkins: bool
    shares_goals: bool
    # Present only while the client shares check-ins.
    mood: list[DayOut] | None = None
    last_checkin_at: datetime | None = None
    trend: Literal["rising", "steady", "falling"] | None = None
    goals: list[GoalOut]
    open_action_items: list[ActionItemOut]
    shared_journal_entries: int
