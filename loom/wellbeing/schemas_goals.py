"""Shapes of the goals API (/api/v1/wellbeing/goals…).

Request bodies are plain pydantic models, not ninja ``Schema``s: a ``Schema`` also
reads attributes, so a string sent where an object belongs would pass as one (its
``title`` being ``str.title``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from ninja import Field, Schema
from pydantic import BaseModel

from loom.wellbeing.goals import MILESTONES_MAX
from loom.wellbeing.models import GOAL_TITLE_MAX, TEXT_MAX

# Generous bounds for the shape check; the services apply the real limits with clear errors.
_TITLE = GOAL_TITLE_MAX * 2
_TEXT = TEXT_MAX * 2

StatusName = Literal["proposed", "active", "paused", "completed", "abandoned", "declined"]
FilterName = Literal["active", "proposed", "completed", "all"]


class MilestoneIn(BaseModel):
    title: str = Field(max_length=_TITLE)
    due_on: date | None = None


class MilestoneOut(Schema):
    id: int
    title: str
    due_on: date | None
    position: int
    done: bool
    completed_at: datetime | None


class ActionItemOut(Schema):
    id: int
    title: str
    due_on: date | None
    done: bool


class GoalOut(Schema):
    id: int
    title: str
    why: str
    measure: str
    target_date: date | None
    status: StatusName
    progress: int = Field(description="0–100; from the milestones when the goal has any.")
    proposed_by: int | None = Field(description="The coach who proposed the goal, if any.")
    created_at: datetime
    accepted_at: datetime | None
    completed_at: datetime | None
    milestones: list[MilestoneOut]
    action_items: list[ActionItemOut]
    url: str


class GoalIn(BaseModel):
    title: str = Field(max_length=_TITLE)
    why: str = Field("", max_length=_TEXT)
    measure: str = Field("", max_length=_TEXT)
    target_date: date | None = None
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=MILESTONES_MAX * 2)


class GoalPatch(BaseModel):
    title: str | None = Field(None, max_length=_TITLE)
    why: str | None = Field(None, max_length=_TEXT)
    measure: str | None = Field(None, max_length=_TEXT)
    target_date: date | None = None
    progress: int | None = Field(None, description="Only for a goal without milestones.")


class StatusIn(BaseModel):
    status: StatusName


class AnswerIn(BaseModel):
    accept: bool


class MilestonePatch(BaseModel):
    title: str | None = Field(None, max_length=_TITLE)
    due_on: date | None = None
    done: bool | None = None


class MilestoneToggleOut(Schema):
    milestone: MilestoneOut
    celebrate: bool = Field(description="True when this call completed the milestone.")
    goal_completed_hint: bool = Field(
        description="Every milestone is done and the goal is not complete yet."
    )
    goal: GoalOut


class LinkIn(BaseModel):
    action_item: int


class GoalsQuery(BaseModel):
    status: FilterName = "active"
