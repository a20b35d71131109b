"""The database hides a coach's unshared summary from the client, and one group
attendee's files from the others."""

from __future__ import annotations

import pytest
from django.utils import timezone

from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionAttachment,
    SessionSeat,
    SessionStatus,
    SessionSummary,
)
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


FILES = "SELECT original_name FROM scheduling_sessionattachment ORDER BY original_name"


def test_group_attendees_read_the_coachs_files_and_their_own_only(
    app_role: str, world: World
) -> None:
    group = Session.objects.create(
        coach=world.dana,
        client=None,
        capacity=4,
        session_type=session_type(world.dana, name_en="Circle", capacity=4),
        starts_at=utc(2026, 5, 4, 14),
        ends_at=utc(2026, 5, 4, 15),
        coach_timezone="America/New_York",
        status=SessionStatus.SCHEDULED,
    )
    for client in (world.avi, world.noa):
        SessionSeat.objects.create(session=group, client=client, status=SeatStatus.TAKEN)
    for person, name in ((world.dana, "coach.pdf"), (world.avi, "avi.pdf"), (world.noa, "noa.pdf")):
        SessionAttachment.objects.create(
            session=group,
            uploaded_by=person,
            file=f"sessions/{group.pk}/{name}",
            original_name=name,
            content_type="application/pdf",
            size_bytes=10,
        )
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, FILES) == ["avi.pdf", "coach.pdf"]
    with raw_as(world.noa.pk) as cursor:
        assert rows(cursor, FILES) == ["coach.pdf", "noa.pdf"]
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, FILES) == ["avi.pdf", "coach.pdf", "noa.pdf"]
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, FILES) == []
