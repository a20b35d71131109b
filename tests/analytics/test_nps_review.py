"""Regression tests from the adversarial review of the NPS survey (each failed before its
fix). Avi lives in Jerusalem; ``utc`` builds the moments."""

from __future__ import annotations

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
