"""Scheduling endpoints of the JSON API: notes."""

from ninja import Router

router = Router(tags=["scheduling"])
