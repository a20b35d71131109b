"""Regression tests from the adversarial review of the NPS survey (each failed before its
fix). Avi lives in Jerusalem; ``utc`` builds the moments."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine

from loom.analytics.models import NpsResponse, NpsTrigger
from loom.analytics.nps import NpsAlreadyAnswered, nps_answer, nps_dismiss, nps_offer_for
from loom.core.context import system_context
from tests.analytics.test_nps_support import completed_session, joined_long_ago, response, utc
from tests.world import World

pytestmark = pytest.mark.django_db

# Sunday 29 November 2026, 10:00 UTC (12:00 in Jerusalem), and two days later, in December.
COMPLETED = utc(2026, 11, 29, 10, 0)
NEXT_MONTH = utc(2026, 12, 1, 10, 0)


@pytest.mark.parametrize("score", [9, None], ids=["answered", "dismissed"])
def test_a_session_surveyed_last_month_is_not_asked_about_again(
    world: World, score: int | None
) -> None:
    """Completed on 29 November and answered (or dismissed) then; on 1 December the
    session is still inside the 7 days, but it is the same session."""
    session = completed_session(world.dana, world.avi, completed_at=COMPLETED)
    response(
        world.avi,
        period="2026-11",
        score=score,
        trigger=NpsTrigger.SESSION,
        session=session,
        at=COMPLETED,
    )
    assert nps_offer_for(world.avi, now=NEXT_MONTH) is None
    with pytest.raises(NpsAlreadyAnswered, match="this session"):
        nps_answer(
            user=world.avi, score=2, trigger="session", session_id=session.pk, now=NEXT_MONTH
        )
    with pytest.raises(NpsAlreadyAnswered):
        nps_dismiss(user=world.avi, trigger="session", session_id=session.pk, now=NEXT_MONTH)
    with system_context():
        assert NpsResponse.objects.filter(user=world.avi).count() == 1


def test_another_session_in_the_new_month_is_still_asked_about(world: World) -> None:
    old = completed_session(world.dana, world.avi, completed_at=COMPLETED)
    response(world.avi, period="2026-11", score=9, trigger=NpsTrigger.SESSION, session=old)
    newer = completed_session(world.dana, world.avi, completed_at=utc(2026, 11, 30, 9, 0))
    offer = nps_offer_for(world.avi, now=NEXT_MONTH)
    assert offer is not None
    assert (offer.trigger, offer.session_id, offer.period) == ("session", newer.pk, "2026-12")


def test_a_session_survey_answered_last_month_leaves_the_monthly_one(world: World) -> None:
    joined_long_ago(world.avi)
    session = completed_session(world.dana, world.avi, completed_at=utc(2026, 12, 10, 9, 0))
    response(world.avi, period="2026-12", score=9, trigger=NpsTrigger.SESSION, session=session)
    # January 15th: the December session is out of the window anyway; monthly is due.
    offer = nps_offer_for(world.avi, now=utc(2027, 1, 15, 10, 0))
    assert offer is not None and offer.trigger == NpsTrigger.MONTHLY


def test_no_panel_on_the_account_deletion_page(world: World) -> None:
    from django.test import RequestFactory
    from django.urls import resolve, reverse

    from loom.analytics.context_processors import survey_panel_for

    completed_session(world.dana, world.avi, completed_at=utc(2026, 11, 20, 15, 0))
    path = reverse("account:delete_request")
    request = RequestFactory().get(path)
    request.user = world.avi
    request.resolver_match = resolve(path)
    with time_machine.travel(utc(2026, 11, 20, 17, 0), tick=False):
        assert survey_panel_for(request) is None
        home = RequestFactory().get("/client/")
        home.user = world.avi
        home.resolver_match = resolve("/client/")
        assert survey_panel_for(home) is not None


def test_an_offer_read_just_before_an_answer_is_not_cached_after_it(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two tabs: a page reads the database (a survey is due), the answer from the other
    tab commits and forgets the cache, then the page writes what it read. The next page
    must not offer the survey again from that stale entry."""
    from django.core.cache import cache

    from loom.analytics import nps as nps_module

    now = utc(2026, 11, 20, 17, 0)
    session = completed_session(world.dana, world.avi, completed_at=utc(2026, 11, 20, 15, 0))
    cache.delete_many([f"analytics:nps:offer:{world.avi.pk}"])
    real = nps_module.nps_offer_for

    def racing(user: Any, *, now: datetime | None = None) -> Any:
        offer = real(user, now=now)  # read before the answer commits
        response(world.avi, period="2026-11", score=9, trigger="session", session=session)
        nps_module.nps_offer_forget([world.avi.pk])  # the answer's after-commit forget
        return offer

    monkeypatch.setattr(nps_module, "nps_offer_for", racing)
    assert nps_module.nps_offer_cached(world.avi, now=now) is not None  # the racing page
    monkeypatch.setattr(nps_module, "nps_offer_for", real)
    assert nps_module.nps_offer_cached(world.avi, now=now) is None


# --- A monthly survey sent just after the person's midnight at the month's end --------------------

# 22:30 UTC on 30 November = 00:30 on 1 December in Jerusalem (Avi).
JUST_AFTER = utc(2026, 11, 30, 22, 30)


def test_a_monthly_answer_sent_just_after_midnight_counts_for_the_month_shown(
    world: World,
) -> None:
    """The panel was on screen on 30 November; the answer arrives at 00:30 on 1 December,
    when no monthly survey is due: it is kept, for November, not refused and lost."""
    joined_long_ago(world.avi)
    answer = nps_answer(user=world.avi, score=9, trigger="monthly", now=JUST_AFTER)
    assert (answer.period, answer.answered_at) == ("2026-11", JUST_AFTER)
    # December is still its own period: its survey comes from the 15th as usual.
    offer = nps_offer_for(world.avi, now=utc(2026, 12, 15, 10, 0))
    assert offer is not None and offer.period == "2026-12"


def test_the_grace_is_an_hour_and_only_for_a_month_without_an_answer(world: World) -> None:
    from loom.analytics.nps import NpsNotOffered

    joined_long_ago(world.avi)
    with pytest.raises(NpsNotOffered):
        nps_dismiss(user=world.avi, trigger="monthly", now=utc(2026, 11, 30, 23, 1))
    response(world.avi, period="2026-11", score=None)
    with pytest.raises(NpsAlreadyAnswered):
        nps_answer(user=world.avi, score=3, trigger="monthly", now=JUST_AFTER)
    with system_context():
        assert NpsResponse.objects.filter(user=world.avi).count() == 1


def test_no_panel_on_an_error_page(world: World) -> None:
    """A view that raises 404 or 403 renders the site layout: the survey stays away."""
    from django.test import Client

    completed_session(world.dana, world.avi, completed_at=utc(2026, 11, 20, 15, 0))
    client = Client()
    client.force_login(world.avi)
    with time_machine.travel(utc(2026, 11, 20, 17, 0), tick=False):
        home = client.get("/client/")
        missing = client.get("/journal/987654321/")
        forbidden = client.get("/coach/")
    assert b'action="/nps/answer/"' in home.content
    assert missing.status_code == 404
    assert b'action="/nps/answer/"' not in missing.content
    assert b'action="/nps/answer/"' not in forbidden.content
