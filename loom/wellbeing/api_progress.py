"""Progress, trends and insights (/api/v1/wellbeing/progress…)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["api_progress"])
