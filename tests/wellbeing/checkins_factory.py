"""Check-ins made the way a client makes them (the service, acting as the client)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from loom.core.context import acting_as
from loom.wellbeing.checkins import checkin_record
from loom.wellbeing.models import CheckIn


def record(client: Any, *, pleasantness: int = 6, energy: int = 5, **kwargs: Any) -> CheckIn:
    with acting_as(client.pk):
        return checkin_record(
            client=client, pleasantness=pleasantness, energy=energy, **kwargs
        ).checkin


def at(client: Any, moment: dt.datetime, **kwargs: Any) -> CheckIn:
    """A check-in made at ``moment`` (the clock at that moment too)."""
    return record(client, occurred_at=moment, now=moment, **kwargs)
