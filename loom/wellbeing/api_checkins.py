"""Emotion check-ins (/api/v1/wellbeing/checkins…)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["api_checkins"])
