"""Goals and milestones (/api/v1/wellbeing/goals…)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["api_goals"])
