"""Answers to other apps' signals."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def auto_share_on_join(*, coach: Any, client: Any, at: datetime, **kwargs: Any) -> None:
    from loom.resources.sharing_services import share_auto_for_new_client

    share_auto_for_new_client(coach=coach, client=client, now=at)
