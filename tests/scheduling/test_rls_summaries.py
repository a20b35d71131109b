"""A summary not yet shared is the coach's draft: the database hides it from the client."""

from __future__ import annotations

import pytest
from django.utils import timezone

from loom.scheduling.models import Session, SessionStatus, SessionSummary
from tests.scheduling.support import session_type, utc
from tests.security.conftest import raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres

READ = "SELECT session_id FROM scheduling_sessionsummary"


def _completed(world: World, hour: int) -> Session:
    return Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana, name_en=f"Type {hour}"),
        starts_at=utc(2026, 5, 4, hour),
        ends_at=utc(2026, 5, 4, hour + 1),
        coach_timezone="America/New_York",
        status=SessionStatus.COMPLETED,
    )


def test_client_reads_shared_summaries_only_and_the_coach_reads_both(
    app_role: str, world: World
) -> None:
    draft = _completed(world, 14)
    shared = _completed(world, 16)
    SessionSummary.objects.create(session=draft, body="Still writing")
    SessionSummary.objects.create(session=shared, body="Done", shared_at=timezone.now())
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, READ) == [shared.pk]
    with raw_as(world.dana.pk) as cursor:
        assert sorted(rows(cursor, READ)) == sorted([draft.pk, shared.pk])
    with raw_as(world.noa.pk) as cursor:
        assert rows(cursor, READ) == []
