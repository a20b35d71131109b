"""The Sessions tab of the coach's client page lists that client's sessions with them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from loom.scheduling.models import SeatStatus, Session, SessionSeat, SessionStatus
from tests.conftest import signed_in
from tests.scheduling.support import session_type
from tests.world import World

pytestmark = pytest.mark.django_db


def _session(world: World, client: object, starts_in: timedelta, **fields: object) -> Session:
    starts_at = timezone.now() + starts_in
    values: dict[str, object] = {
        "coach": world.dana,
        "client": client,
        "session_type": session_type(world.dana, name_en=f"Type {starts_in}"),
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=1),
        "coach_timezone": world.dana.timezone,
        "status": SessionStatus.SCHEDULED,
        **fields,
    }
    return Session.objects.create(**values)


def test_the_tab_lists_upcoming_and_past_sessions_and_offers_booking(
    world: World, django_assert_max_num_queries: object
) -> None:
    upcoming = _session(world, world.avi, timedelta(days=2))
    past = _session(world, world.avi, -timedelta(days=3), status=SessionStatus.COMPLETED)
    group = _session(world, None, timedelta(days=4), capacity=4)
    SessionSeat.objects.create(session=group, client=world.avi, status=SeatStatus.TAKEN)
    noas = _session(world, world.noa, timedelta(days=5))
    page = signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/sessions/")
    assert page.status_code == 200
    html = page.content.decode()
    for session in (upcoming, past, group):
        assert f"/coach/sessions/{session.pk}/" in html
    assert f"/coach/sessions/{noas.pk}/" not in html  # another client's
    assert f"/coach/sessions/new/?client={world.avi.pk}" in html


def test_another_coach_cannot_open_the_tab(world: World) -> None:
    assert signed_in(world.eli).get(f"/coach/clients/{world.avi.pk}/sessions/").status_code == 404
