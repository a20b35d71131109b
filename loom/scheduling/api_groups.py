"""Scheduling endpoints of the JSON API: groups."""

from ninja import Router

router = Router(tags=["scheduling"])
