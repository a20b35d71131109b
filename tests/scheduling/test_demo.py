"""`loom load_demo_schedule`: the demo coaches get a usable, consistent schedule."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.db.models import Count, Q

from loom.scheduling.models import (
    ACTIVE_STATUSES,
    SeatStatus,
    Session,
    SessionPrivateNote,
    SessionSummary,
    SessionType,
    WeeklyAvailability,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings: object) -> None:
    call_command("load_demo_data", "--force", stdout=io.StringIO())
    call_command("load_demo_schedule", "--force", stdout=io.StringIO())


def test_each_demo_coach_has_types_hours_and_sessions(demo: None) -> None:
    per_coach = (
        Session.objects.values("coach__email")
        .annotate(
            total=Count("id"),
            upcoming=Count("id", filter=Q(status__in=ACTIVE_STATUSES)),
            late=Count("id", filter=Q(late_cancellation=True)),
        )
        .order_by("coach__email")
    )
    assert [row["coach__email"] for row in per_coach] == [
        "rachel.adler@example.com",
        "yael.benami@example.com",
    ]
    for row in per_coach:
        assert row["upcoming"] >= 3
        assert row["late"] == 1
    assert SessionType.objects.filter(capacity__gt=1).count() == 2
    assert WeeklyAvailability.objects.count() == 20
    assert SessionSummary.objects.count() == SessionPrivateNote.objects.count() > 0


def test_demo_sessions_never_overlap_and_group_seats_fit(demo: None) -> None:
    active = list(Session.objects.filter(status__in=ACTIVE_STATUSES))
    for session in active:
        clashes = [
            other
            for other in active
            if other.pk != session.pk
            and other.coach_id == session.coach_id
            and other.starts_at < session.ends_at
            and session.starts_at < other.ends_at
        ]
        assert clashes == []
    for group in Session.objects.filter(capacity__gt=1):
        taken = group.seats.filter(status=SeatStatus.TAKEN).count()
        assert 0 < taken <= group.capacity
        assert group.client_id is None


def test_loading_twice_changes_nothing(demo: None) -> None:
    before = Session.objects.count()
    out = io.StringIO()
    call_command("load_demo_schedule", "--force", stdout=out)
    assert Session.objects.count() == before
    assert "nothing changed" in out.getvalue()
