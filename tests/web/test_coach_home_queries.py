"""The coach home page runs a fixed number of queries, however many clients a coach has."""

from __future__ import annotations

import pytest
from django.test import Client

from loom.accounts.models import CoachClient, Role, User
from tests.conftest import signed_in
from tests.world import World, make_user

# Everything one signed-in GET /coach/ asks of the database once the session exists
# (the session itself comes from the cache): the user and the onboarding gate, then the
# "Today" card's sessions and its count of waiting requests, plus the header's realtime
# stream position and unread-messages count (the Messages badge). The signed-in devices
# list is refreshed at most once a minute, not on this request.
# When the page gains a section, change this number deliberately — it must never
# depend on the size of the roster.
COACH_HOME_QUERIES = 6


def add_clients(coach: User, count: int, *, start: int = 0) -> None:
    for index in range(start, start + count):
        client = make_user(
            f"extra.client{index}@example.com", role=Role.CLIENT, full_name=f"Extra Client {index}"
        )
        CoachClient.objects.create(coach=coach, client=client)


def warmed_up(coach: User) -> Client:
    # The first signed-in request records when the session started; later requests
    # (the ones users make all day) are what the constant describes.
    browser = signed_in(coach)
    assert browser.get("/coach/").status_code == 200
    return browser


@pytest.mark.parametrize("extra_clients", [3, 12])
def test_coach_home_query_count_does_not_grow_with_the_roster(
    world: World, django_assert_num_queries, extra_clients: int
) -> None:
    add_clients(world.dana, extra_clients)
    browser = warmed_up(world.dana)
    with django_assert_num_queries(COACH_HOME_QUERIES):
        response = browser.get("/coach/")
    assert response.status_code == 200


def test_coach_home_query_count_is_the_same_after_more_clients_join(
    world: World, django_assert_num_queries
) -> None:
    browser = warmed_up(world.dana)
    with django_assert_num_queries(COACH_HOME_QUERIES):
        browser.get("/coach/")
    add_clients(world.dana, 10)
    with django_assert_num_queries(COACH_HOME_QUERIES):
        response = browser.get("/coach/")
    assert response.status_code == 200
