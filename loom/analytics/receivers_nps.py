"""Cache invalidation for the NPS survey (the only signal use here: STYLE rule 6).

When a session is marked completed, its client (or its seat holders) may now be due
the post-session survey; their cached "nothing due" is forgotten after the commit, so
the survey shows on their next page rather than after the cache's TTL.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from loom.analytics.nps import nps_offer_forget
from loom.scheduling.models import SeatStatus, SessionEvent, SessionEventKind, SessionSeat


@receiver(post_save, sender=SessionEvent, dispatch_uid="analytics_nps_session_completed")
def forget_offers_on_completion(
    sender: type[SessionEvent], instance: SessionEvent, created: bool, **kwargs: Any
) -> None:
    if not created or instance.kind != SessionEventKind.COMPLETED or kwargs.get("raw"):
        return
    session = instance.session
    if session.client_id is not None:
        user_ids = [session.client_id]
    else:
        user_ids = list(
            SessionSeat.objects.filter(session_id=session.pk, status=SeatStatus.TAKEN).values_list(
                "client_id", flat=True
            )
        )
    transaction.on_commit(lambda: nps_offer_forget(user_ids))
