"""Scheduling's answers to other apps' signals (connected in ``SchedulingConfig.ready``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from loom.accounts.models import User
from loom.scheduling.group_services import release_places_of_former_client


def release_places_on_archive(
    sender: Any, *, coach: User, client: User, at: datetime, **kwargs: Any
) -> None:
    """An archived client keeps no seat or waitlist place in the coach's group sessions."""
    release_places_of_former_client(coach=coach, client=client, now=at)
