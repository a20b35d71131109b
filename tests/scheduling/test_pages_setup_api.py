"""The API changes that came with the setup pages: capacity on session types, and the
part-day date change named as the service names it."""

from __future__ import annotations

import pytest

from loom.scheduling.models import AvailabilityOverride, SessionType
from tests.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/scheduling"


def test_a_session_type_carries_its_capacity(world: World) -> None:
    client = signed_in(world.dana)
    response = client.post(
        f"{API}/session-types",
        {"name_en": "Circle", "duration_minutes": 90, "capacity": 12},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["capacity"] == 12
    created = SessionType.objects.get(pk=response.json()["id"])
    assert created.capacity == 12
    response = client.put(
        f"{API}/session-types/{created.pk}",
        {"name_en": "Circle", "duration_minutes": 90},
        content_type="application/json",
    )
    assert response.json()["capacity"] == 1


@pytest.mark.parametrize("capacity", [0, 101, -3, "many"])
def test_a_capacity_out_of_range_is_refused(world: World, capacity: object) -> None:
    response = signed_in(world.dana).post(
        f"{API}/session-types",
        {"name_en": "Circle", "duration_minutes": 90, "capacity": capacity},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert not SessionType.objects.exists()


def test_a_part_day_change_can_be_added_through_the_api(world: World) -> None:
    response = signed_in(world.dana).post(
        f"{API}/availability/overrides",
        {"date": "2030-01-07", "kind": "unavailable_range", "start": "12:00", "end": "13:00"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert AvailabilityOverride.objects.get().kind == "unavailable_range"
