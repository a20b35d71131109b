"""Scheduling endpoints of the JSON API: calendar."""

from ninja import Router

router = Router(tags=["scheduling"])
