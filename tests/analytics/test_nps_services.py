"""Answering and dismissing the NPS survey (loom.analytics.nps.nps_answer / nps_dismiss):
validation, replays, the unique period, encryption and the product event."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from loom.analytics.models import Event, EventName, NpsResponse
from loom.analytics.nps import (
    COMMENT_MAX,
    NpsAlreadyAnswered,
    NpsInvalid,
    NpsNotOffered,
    NpsSessionNotFound,
    nps_answer,
    nps_dismiss,
    nps_offer_for,
    nps_score,
    score_category,
)
from loom.core.context import acting_as, system_context
from loom.scheduling.models import SessionStatus
from tests.analytics.test_nps_support import NOW, completed_session, joined_long_ago, utc
from tests.factories import ClientFactory
from tests.world import World

pytestmark = pytest.mark.django_db


def _rows(user: object) -> list[NpsResponse]:
    with system_context():
        return list(NpsResponse.objects.filter(user=user))


# --- The formula -----------------------------------------------------------------------------


def test_nps_is_percent_promoters_minus_percent_detractors() -> None:
    assert nps_score(0, 0, 0) is None
    assert nps_score(1, 0, 0) == 100.0
    assert nps_score(0, 0, 3) == -100.0
    assert nps_score(5, 3, 2) == pytest.approx(30.0)  # 50 % − 20 %
    assert nps_score(2, 1, 1) == pytest.approx(25.0)


def test_score_categories() -> None:
    assert [score_category(score) for score in range(11)] == (
        ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2
    )


# --- Answering -------------------------------------------------------------------------------


def test_answer_after_a_session_records_it_with_the_segment(world: World) -> None:
    session = completed_session(world.dana, world.noa)
    with acting_as(world.noa.pk):
        answer = nps_answer(
            user=world.noa,
            score=9,
            comment="  Very helpful\r\nthank you  ",
            trigger="session",
            session_id=session.pk,
            now=NOW,
        )
    assert (answer.role, answer.language, answer.trigger, answer.period) == (
        "client",
        "he",
        "session",
        "2026-11",
    )
    assert (answer.score, answer.session_id, answer.comment) == (
        9,
        session.pk,
        "Very helpful\nthank you",
    )
    assert answer.answered_at == NOW and answer.dismissed_at is None
    assert nps_offer_for(world.noa, now=NOW) is None


def test_monthly_answer_for_a_coach(world: World) -> None:
    joined_long_ago(world.dana)
    answer = nps_answer(user=world.dana, score=6, trigger="monthly", now=NOW)
    assert (answer.role, answer.trigger, answer.session_id, answer.comment) == (
        "coach",
        "monthly",
        None,
        "",
    )


def test_answering_records_the_product_event_without_the_score(
    world: World, django_capture_on_commit_callbacks: object
) -> None:
    joined_long_ago(world.maya)
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        nps_answer(user=world.maya, score=10, comment="secret words", trigger="monthly", now=NOW)
    with system_context():
        events = list(Event.objects.filter(user=world.maya).values("name", "role", "route"))
    assert events == [{"name": EventName.NPS_ANSWERED, "role": "client", "route": ""}]


def test_dismissing_records_no_score_and_closes_the_period(world: World) -> None:
    joined_long_ago(world.maya)
    dismissed = nps_dismiss(user=world.maya, trigger="monthly", now=NOW)
    assert dismissed.score is None and dismissed.dismissed_at == NOW
    assert dismissed.answered_at is None
    assert nps_offer_for(world.maya, now=NOW) is None
    with pytest.raises(NpsAlreadyAnswered):
        nps_answer(user=world.maya, score=7, trigger="monthly", now=NOW)
    assert len(_rows(world.maya)) == 1


def test_a_replayed_answer_changes_nothing(world: World) -> None:
    session = completed_session(world.dana, world.avi)
    first = nps_answer(user=world.avi, score=9, trigger="session", session_id=session.pk, now=NOW)
    with pytest.raises(NpsAlreadyAnswered) as raised:
        nps_answer(user=world.avi, score=2, trigger="session", session_id=session.pk, now=NOW)
    assert "already" in str(raised.value)
    with pytest.raises(NpsAlreadyAnswered):
        nps_dismiss(user=world.avi, trigger="session", session_id=session.pk, now=NOW)
    rows = _rows(world.avi)
    assert [(row.pk, row.score) for row in rows] == [(first.pk, 9)]


def test_the_next_month_is_a_new_period(world: World) -> None:
    joined_long_ago(world.maya)
    nps_answer(user=world.maya, score=8, trigger="monthly", now=utc(2026, 10, 20, 12))
    nps_answer(user=world.maya, score=9, trigger="monthly", now=NOW)
    assert sorted(row.period for row in _rows(world.maya)) == ["2026-10", "2026-11"]


# --- Bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize("score", [11, -1, "abc", "9", 9.0, None, True])
def test_scores_outside_0_to_10_are_refused(world: World, score: object) -> None:
    joined_long_ago(world.maya)
    with pytest.raises(NpsInvalid) as raised:
        nps_answer(user=world.maya, score=score, trigger="monthly", now=NOW)
    assert raised.value.code == "score"
    assert _rows(world.maya) == []


def test_an_overlong_comment_is_refused(world: World) -> None:
    joined_long_ago(world.maya)
    with pytest.raises(NpsInvalid) as raised:
        nps_answer(
            user=world.maya, score=5, comment="x" * (COMMENT_MAX + 1), trigger="monthly", now=NOW
        )
    assert raised.value.code == "comment"
    assert _rows(world.maya) == []
    # Exactly the limit is fine, and line breaks count once each.
    nps_answer(
        user=world.maya,
        score=5,
        comment="x" * (COMMENT_MAX - 2) + "\r\n" + "y",
        trigger="monthly",
        now=NOW,
    )


def test_a_comment_with_nul_characters_is_refused(world: World) -> None:
    joined_long_ago(world.maya)
    with pytest.raises(NpsInvalid):
        nps_answer(user=world.maya, score=5, comment="a\x00b", trigger="monthly", now=NOW)


def test_another_clients_session_is_not_found(world: World) -> None:
    mayas = completed_session(world.eli, world.maya)
    completed_session(world.dana, world.avi)
    with pytest.raises(NpsSessionNotFound):
        nps_answer(user=world.avi, score=9, trigger="session", session_id=mayas.pk, now=NOW)
    with pytest.raises(NpsSessionNotFound):
        nps_answer(user=world.avi, score=9, trigger="session", session_id=10**12, now=NOW)
    assert _rows(world.avi) == []


def test_a_session_not_completed_or_too_old_is_refused(world: World) -> None:
    scheduled = completed_session(world.dana, world.avi, status=SessionStatus.SCHEDULED)
    old = completed_session(world.dana, world.avi, completed_at=NOW - timedelta(days=9))
    for session in (scheduled, old):
        with pytest.raises(NpsInvalid) as raised:
            nps_answer(user=world.avi, score=9, trigger="session", session_id=session.pk, now=NOW)
        assert raised.value.code == "session"
    assert _rows(world.avi) == []


@pytest.mark.parametrize("session_id", [None, 0, -4, "12", True])
def test_a_session_survey_needs_a_session_id(world: World, session_id: object) -> None:
    completed_session(world.dana, world.avi)
    with pytest.raises(NpsInvalid):
        nps_answer(user=world.avi, score=9, trigger="session", session_id=session_id, now=NOW)


def test_a_monthly_survey_before_it_opens_is_refused(world: World) -> None:
    joined_long_ago(world.maya)
    with pytest.raises(NpsNotOffered):
        nps_answer(user=world.maya, score=9, trigger="monthly", now=utc(2026, 11, 3, 12))
    with pytest.raises(NpsNotOffered):
        nps_dismiss(user=world.maya, trigger="monthly", now=utc(2026, 11, 3, 12))
    assert _rows(world.maya) == []


def test_unknown_triggers_and_a_session_on_the_monthly_survey_are_refused(world: World) -> None:
    joined_long_ago(world.maya)
    session = completed_session(world.eli, world.maya)
    with pytest.raises(NpsInvalid):
        nps_answer(user=world.maya, score=9, trigger="weekly", now=NOW)
    with pytest.raises(NpsInvalid):
        nps_answer(user=world.maya, score=9, trigger="monthly", session_id=session.pk, now=NOW)


def test_coaches_cannot_answer_a_session_survey(world: World) -> None:
    session = completed_session(world.dana, world.avi)
    with pytest.raises(NpsNotOffered):
        nps_answer(user=world.dana, score=9, trigger="session", session_id=session.pk, now=NOW)


def test_admins_and_people_in_onboarding_cannot_answer(world: World) -> None:
    joined_long_ago(world.admin)
    with pytest.raises(NpsNotOffered):
        nps_answer(user=world.admin, score=9, trigger="monthly", now=NOW)
    newcomer = ClientFactory(onboarded=False)
    joined_long_ago(newcomer)
    with pytest.raises(NpsNotOffered):
        nps_answer(user=newcomer, score=9, trigger="monthly", now=NOW)
    with system_context():
        assert not NpsResponse.objects.exists()


def test_hostile_markup_is_stored_encrypted(world: World) -> None:
    joined_long_ago(world.maya)
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    nps_answer(user=world.maya, score=3, comment=hostile, trigger="monthly", now=NOW)
    with connection.cursor() as cursor:
        cursor.execute("SELECT comment FROM analytics_npsresponse")
        (stored,) = cursor.fetchone()
    assert "script" not in stored and "alert" not in stored
    assert _rows(world.maya)[0].comment == hostile


# --- Two answers at once (PostgreSQL: two connections, real commits) -------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_answers_at_the_same_moment_store_one() -> None:
    world = World.build()
    joined_long_ago(world.maya)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def submit(score: int) -> None:
        try:
            barrier.wait(timeout=10)
            nps_answer(user=world.maya, score=score, trigger="monthly", now=NOW)
            outcomes.append("stored")
        except NpsAlreadyAnswered:
            outcomes.append("already")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=submit, args=(score,)) for score in (4, 10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["already", "stored"]
    assert len(_rows(world.maya)) == 1
