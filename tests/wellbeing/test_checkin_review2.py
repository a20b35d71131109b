"""R2's review of check-ins: bad input at the edges of the calendar."""

from __future__ import annotations

import pytest

from tests.conftest import signed_in
from tests.world import World

A = "/api/v1/wellbeing"


@pytest.mark.parametrize(
    "query",
    ["end=0001-01-05", "start=0001-01-01&end=0001-01-02", "end=9999-12-31", "start=9999-12-31"],
)
def test_daily_aggregates_at_the_ends_of_the_calendar_are_a_clear_error_or_empty(
    world: World, query: str
) -> None:
    response = signed_in(world.avi).get(f"{A}/checkins/daily?{query}")
    # Never a server error: a 422 for a range that cannot be read, or an empty list.
    assert response.status_code in (200, 422), response.content
    if response.status_code == 200:
        assert response.json() == []
