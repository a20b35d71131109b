"""Who is offered the NPS survey, and when (loom.analytics.nps.nps_offer_for / _cached).

``NOW`` is Friday 20 November 2026, 17:00 UTC. Avi and Noa live in Jerusalem, Dana in
New York, Maya in London.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache

from loom.accounts.models import Onboarding, User
from loom.analytics.models import NpsTrigger
from loom.analytics.nps import (
    MONTHLY_FROM_DAY,
    NpsOffer,
    nps_offer_cached,
    nps_offer_for,
    nps_period,
)
from loom.core.context import system_context
from loom.scheduling.models import SessionEvent, SessionEventKind, SessionStatus
from tests.analytics.test_nps_support import (
    NOW,
    completed_session,
    joined_long_ago,
    response,
    utc,
)
from tests.factories import ClientFactory, CoachFactory
from tests.world import World

pytestmark = pytest.mark.django_db


# --- After a completed session ---------------------------------------------------------------


def test_client_is_asked_after_a_session_completed_in_the_last_7_days(world: World) -> None:
    session = completed_session(world.dana, world.avi, completed_at=NOW - timedelta(days=6))
    offer = nps_offer_for(world.avi, now=NOW)
    assert offer == NpsOffer(
        trigger=NpsTrigger.SESSION,
        period="2026-11",
        session_id=session.pk,
        session_starts_at=session.starts_at,
    )


def test_a_session_completed_more_than_7_days_ago_no_longer_asks(world: World) -> None:
    completed_session(world.dana, world.avi, completed_at=NOW - timedelta(days=7, minutes=1))
    assert nps_offer_for(world.avi, now=NOW) is None


def test_sessions_not_completed_do_not_ask(world: World) -> None:
    for status in (SessionStatus.NO_SHOW, SessionStatus.CANCELLED, SessionStatus.SCHEDULED):
        completed_session(world.dana, world.avi, status=status)
    assert nps_offer_for(world.avi, now=NOW) is None


def test_the_newest_completed_session_is_the_one_named(world: World) -> None:
    completed_session(world.dana, world.avi, completed_at=NOW - timedelta(days=5))
    newest = completed_session(world.dana, world.avi, completed_at=NOW - timedelta(days=1))
    offer = nps_offer_for(world.avi, now=NOW)
    assert offer is not None and offer.session_id == newest.pk


def test_group_seat_holders_are_asked_after_a_group_session(world: World) -> None:
    group = completed_session(world.dana, seats=[world.avi, world.noa])
    for person in (world.avi, world.noa):
        offer = nps_offer_for(person, now=NOW)
        assert offer is not None
        assert (offer.trigger, offer.session_id) == (NpsTrigger.SESSION, group.pk)
    # Maya holds no seat: nothing for her.
    assert nps_offer_for(world.maya, now=NOW) is None


def test_the_coach_of_a_completed_session_is_not_asked_about_it(world: World) -> None:
    completed_session(world.dana, world.avi)
    assert nps_offer_for(world.dana, now=NOW) is None  # joined today, before the 15th rule


def test_not_twice_in_a_month_after_an_answer_or_a_dismissal(world: World) -> None:
    completed_session(world.dana, world.avi, completed_at=NOW - timedelta(days=3))
    completed_session(world.dana, world.noa, completed_at=NOW - timedelta(days=3))
    response(world.avi, period="2026-11", score=8, trigger="session")
    response(world.noa, period="2026-11", score=None, trigger="monthly")
    # A second session completed the same month asks nobody again.
    completed_session(world.dana, world.avi, completed_at=NOW - timedelta(hours=1))
    assert nps_offer_for(world.avi, now=NOW) is None
    assert nps_offer_for(world.noa, now=NOW) is None


def test_last_months_answer_does_not_block_this_month(world: World) -> None:
    response(world.avi, period="2026-10", score=10, trigger="session")
    completed_session(world.dana, world.avi)
    offer = nps_offer_for(world.avi, now=NOW)
    assert offer is not None and offer.trigger == NpsTrigger.SESSION


# --- The period is the person's own calendar month -----------------------------------------


def test_month_boundary_follows_each_persons_time_zone(world: World) -> None:
    # 22:30 UTC on 30 November: already 1 December in Jerusalem, still November in New York.
    moment = utc(2026, 11, 30, 22, 30)
    assert nps_period(world.avi, moment) == "2026-12"
    assert nps_period(world.dana, moment) == "2026-11"
    # Both answered in "2026-11" earlier that day.
    response(world.avi, period="2026-11", score=9)
    response(world.dana, period="2026-11", score=9)
    joined_long_ago(world.avi, world.dana)
    # Avi's November answer does not cover his December; Dana's still covers her November.
    completed_session(world.dana, world.avi, completed_at=moment - timedelta(hours=3))
    offer = nps_offer_for(world.avi, now=moment)
    assert offer is not None and offer.period == "2026-12"
    assert nps_offer_for(world.dana, now=moment) is None


def test_early_on_the_first_utc_is_still_the_last_day_in_new_york(
    world: World,
) -> None:
    # 03:00 UTC on 1 December: 05:00 on the 1st in Jerusalem, 22:00 on 30 November in New York.
    moment = utc(2026, 12, 1, 3, 0)
    assert nps_period(world.avi, moment) == "2026-12"
    assert nps_period(world.dana, moment) == "2026-11"


# --- Monthly -----------------------------------------------------------------------------------


def test_monthly_survey_from_the_15th_for_coaches_and_clients(world: World) -> None:
    joined_long_ago(world.dana, world.maya)
    before = utc(2026, 11, MONTHLY_FROM_DAY - 1, 12, 0)
    assert nps_offer_for(world.dana, now=before) is None
    assert nps_offer_for(world.maya, now=before) is None
    on_the_15th = utc(2026, 11, MONTHLY_FROM_DAY, 12, 0)
    for person in (world.dana, world.maya):
        assert nps_offer_for(person, now=on_the_15th) == NpsOffer(
            trigger=NpsTrigger.MONTHLY, period="2026-11"
        )


def test_the_15th_starts_at_local_midnight(world: World) -> None:
    joined_long_ago(world.avi, world.dana)
    # 22:30 UTC on the 14th: the 15th in Jerusalem, the 14th in New York.
    moment = utc(2026, 11, 14, 22, 30)
    assert nps_offer_for(world.avi, now=moment) is not None
    assert nps_offer_for(world.dana, now=moment) is None


def test_new_accounts_wait_14_days_for_the_monthly_survey(world: World) -> None:
    joined_long_ago(world.dana, at=NOW - timedelta(days=13, hours=23))
    assert nps_offer_for(world.dana, now=NOW) is None
    joined_long_ago(world.dana, at=NOW - timedelta(days=14))
    assert nps_offer_for(world.dana, now=NOW) is not None


def test_a_new_client_is_still_asked_after_a_session(world: World) -> None:
    # The 14-day wait is for the monthly survey only.
    completed_session(world.dana, world.avi)
    offer = nps_offer_for(world.avi, now=NOW)
    assert offer is not None and offer.trigger == NpsTrigger.SESSION


def test_a_session_survey_comes_before_the_monthly_one(world: World) -> None:
    joined_long_ago(world.avi)
    session = completed_session(world.dana, world.avi)
    offer = nps_offer_for(world.avi, now=NOW)
    assert offer is not None and offer.session_id == session.pk


# --- Never -------------------------------------------------------------------------------------


def test_admins_are_never_asked(world: World) -> None:
    joined_long_ago(world.admin)
    assert nps_offer_for(world.admin, now=NOW) is None
    assert nps_offer_cached(world.admin, now=NOW) is None


def test_not_during_onboarding(world: World) -> None:
    newcomer = ClientFactory(onboarded=False, timezone="Asia/Jerusalem")
    joined_long_ago(newcomer)
    completed_session(world.dana, newcomer)
    assert nps_offer_for(newcomer, now=NOW) is None
    Onboarding.objects.filter(user=newcomer).update(completed_at=NOW)
    assert nps_offer_for(newcomer, now=NOW) is not None


def test_inactive_accounts_are_never_asked(world: World) -> None:
    completed_session(world.dana, world.avi)
    User.objects.filter(pk=world.avi.pk).update(is_active=False)
    world.avi.refresh_from_db()
    assert nps_offer_for(world.avi, now=NOW) is None


def test_anonymous_visitors_are_never_asked() -> None:
    from django.contrib.auth.models import AnonymousUser

    assert nps_offer_for(AnonymousUser(), now=NOW) is None


# --- Queries and the cache --------------------------------------------------------------------


def test_one_query_for_a_client_with_nothing_due(
    world: World, django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(1):  # type: ignore[operator]
        assert nps_offer_for(world.avi, now=NOW) is None


def test_no_query_for_a_coach_before_the_15th(
    world: World, django_assert_num_queries: object
) -> None:
    with django_assert_num_queries(0):  # type: ignore[operator]
        assert nps_offer_for(world.dana, now=utc(2026, 11, 3, 12)) is None


def test_two_queries_when_a_session_survey_is_due(
    world: World, django_assert_num_queries: object
) -> None:
    completed_session(world.dana, world.avi)
    with django_assert_num_queries(2):  # type: ignore[operator]
        assert nps_offer_for(world.avi, now=NOW) is not None


def test_the_cache_answers_without_queries_until_forgotten(
    world: World, django_assert_num_queries: object
) -> None:
    assert nps_offer_cached(world.avi, now=NOW) is None
    with django_assert_num_queries(0):  # type: ignore[operator]
        for _ in range(5):
            assert nps_offer_cached(world.avi, now=NOW) is None


def test_the_cache_is_per_local_day(world: World) -> None:
    joined_long_ago(world.avi)
    day_14 = utc(2026, 11, 14, 12, 0)
    assert nps_offer_cached(world.avi, now=day_14) is None
    # The next local day (the 15th in Jerusalem) is worked out afresh.
    offer = nps_offer_cached(world.avi, now=utc(2026, 11, 14, 22, 30))
    assert offer is not None and offer.trigger == NpsTrigger.MONTHLY


def test_completing_a_session_forgets_the_cached_nothing_due(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    with time_machine.travel(NOW, tick=False):
        assert nps_offer_cached(world.avi) is None
        assert nps_offer_cached(world.noa) is None
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            completed_session(world.dana, world.avi, completed_at=NOW - timedelta(minutes=5))
            completed_session(world.dana, seats=[world.noa], completed_at=NOW)
        avi_offer = nps_offer_cached(world.avi)
        noa_offer = nps_offer_cached(world.noa)
    assert avi_offer is not None and avi_offer.trigger == NpsTrigger.SESSION
    assert noa_offer is not None and noa_offer.trigger == NpsTrigger.SESSION


def test_other_history_lines_leave_the_cache_alone(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    session = completed_session(world.dana, world.avi, status=SessionStatus.SCHEDULED)
    key = f"analytics:nps:offer:{world.avi.pk}"
    cache.set(key, {"day": "x", "offer": None})
    with (
        django_capture_on_commit_callbacks(execute=True),  # type: ignore[operator]
        system_context(),
    ):
        SessionEvent.objects.create(
            session=session, actor=world.dana, occurred_at=NOW, kind=SessionEventKind.STARTED
        )
    assert cache.get(key) is not None


def test_coach_factory_people_follow_the_same_rules(db: None) -> None:
    coach = CoachFactory(timezone="Europe/London")
    joined_long_ago(coach)
    assert nps_offer_for(coach, now=NOW) == NpsOffer(trigger="monthly", period="2026-11")


def test_a_cached_value_of_another_shape_is_worked_out_again(world: World) -> None:
    completed_session(world.dana, world.avi)
    day = "2026-11-20"  # Avi's local day at NOW (19:00 in Jerusalem)
    cache.set(f"analytics:nps:offer:{world.avi.pk}", {"day": day, "offer": {"kind": "old"}})
    offer = nps_offer_cached(world.avi, now=NOW)
    assert offer is not None and offer.trigger == NpsTrigger.SESSION
