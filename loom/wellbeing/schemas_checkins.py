"""Shapes of the check-ins API (/api/v1/wellbeing/checkins…, /emotions).

Inputs are parsed loosely here (types only); the ranges, the vocabulary and the time
rules are the service's, so the API and the pages refuse exactly the same things.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from loom.accounts.safety import CrisisOut


class EmotionIn(Schema):
    emotion: str = Field(description="A key of the emotions vocabulary (GET /emotions).")
    intensity: int = Field(description="1–10.")


class CheckInIn(Schema):
    pleasantness: int = Field(
        description="The mood meter across: 1 very unpleasant – 10 very pleasant."
    )
    energy: int = Field(description="The mood meter up: 1 very low – 10 very high energy.")
    emotions: list[EmotionIn] = Field(default_factory=list)
    sensations: list[str] = Field(default_factory=list)
    trigger: str = ""
    thoughts: str = ""
    behaviour: str = ""
    coping_strategy: str = ""
    coping_helped: int | None = Field(None, description="1–5; only with a coping strategy.")
    sleep_hours: Decimal | None = Field(None, description="0–24 in half hours.")
    note: str = ""
    occurred_at: dt.datetime | None = Field(
        None,
        description=(
            "When it was felt (default now); at most 7 days back and not in the future. "
            "Without an offset it is read in the client's time zone."
        ),
    )


class CheckInPatch(Schema):
    """Only the fields sent change."""

    pleasantness: int | None = None
    energy: int | None = None
    emotions: list[EmotionIn] | None = None
    sensations: list[str] | None = None
    trigger: str | None = None
    thoughts: str | None = None
    behaviour: str | None = None
    coping_strategy: str | None = None
    coping_helped: int | None = None
    sleep_hours: Decimal | None = None
    note: str | None = None
    occurred_at: dt.datetime | None = Field(
        None,
        description="A new time is read in the check-in's own time zone when it has no offset.",
    )


class EmotionOut(Schema):
    emotion: str
    intensity: int


class CheckInOut(Schema):
    id: int
    occurred_at: dt.datetime
    timezone: str = Field(description="The client's zone when they checked in.")
    local_date: dt.date
    local_hour: int
    pleasantness: int
    energy: int
    emotions: list[EmotionOut]
    sensations: list[str]
    trigger: str
    thoughts: str
    behaviour: str
    coping_strategy: str
    coping_helped: int | None
    sleep_hours: float | None
    note: str
    created_at: dt.datetime
    updated_at: dt.datetime
    url: str


class CheckInSavedOut(CheckInOut):
    crisis: CrisisOut | None = Field(
        None, description="Set when the texts suggest a crisis: show these helplines now."
    )


class CheckInPageOut(Schema):
    items: list[CheckInOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for older check-ins.")


class CheckInsQuery(Schema):
    cursor: str | None = Field(None, max_length=80)
    limit: int = Field(20, ge=1, le=100)


class DailyQuery(Schema):
    start: dt.date | None = Field(None, description="Default: 29 days before `end`.")
    end: dt.date | None = Field(None, description="Default: the client's today.")


class DayMoodOut(Schema):
    date: dt.date
    avg_pleasantness: float
    avg_energy: float
    count: int


class VocabularyItemOut(Schema):
    key: str
    label: str


class EmotionVocabularyOut(Schema):
    key: str
    label: str
    quadrant: str = Field(
        description="high-pleasant, low-pleasant, high-unpleasant or low-unpleasant."
    )


class VocabularyOut(Schema):
    emotions: list[EmotionVocabularyOut]
    sensations: list[VocabularyItemOut]
    coping_strategies: list[VocabularyItemOut]
