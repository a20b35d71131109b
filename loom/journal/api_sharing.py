"""Sharing journal entries and comments (/api/v1/journal/…)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["api_sharing"])
