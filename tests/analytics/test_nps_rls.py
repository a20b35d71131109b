"""The NPS survey as the application role, with row-level security in force
(PostgreSQL tier): eligibility reads only the person's own sessions, answers are
written as the person, a client never reads another's answer, and the admin page
sees everyone's."""

from __future__ import annotations

import pytest

from loom.analytics.models import NpsResponse
from loom.analytics.nps import (
    NpsSessionNotFound,
    nps_answer,
    nps_offer_for,
    nps_recent_comments,
    nps_summary,
)
from loom.core.context import acting_as, system_context
from tests.analytics.test_nps_support import NOW, completed_session, response
from tests.security.conftest import (
    APP_ROLE,
    app_role,  # noqa: F401  (a fixture, used by name)
    application_connections,
    raw_as,
    rows,
)
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]


def test_the_survey_works_as_the_application_role(transactional_db: None) -> None:
    world = World.build()
    avis = completed_session(world.dana, world.avi)
    mayas = completed_session(world.eli, world.maya)
    response(world.noa, period="2026-11", score=3, comment="Noa's private words")
    with application_connections(APP_ROLE):
        with acting_as(world.avi.pk):
            offer = nps_offer_for(world.avi, now=NOW)
            assert offer is not None and offer.session_id == avis.pk
            # Maya's session is invisible to Avi: a 404, not "not completed".
            with pytest.raises(NpsSessionNotFound):
                nps_answer(user=world.avi, score=9, trigger="session", session_id=mayas.pk, now=NOW)
            nps_answer(
                user=world.avi,
                score=9,
                comment="Fine",
                trigger="session",
                session_id=avis.pk,
                now=NOW,
            )
            assert list(NpsResponse.objects.values_list("user_id", flat=True)) == [world.avi.pk]
            assert nps_offer_for(world.avi, now=NOW) is None
        with acting_as(world.maya.pk):
            offer = nps_offer_for(world.maya, now=NOW)
            assert offer is not None and offer.session_id == mayas.pk
        with acting_as(world.admin.pk):
            summary = nps_summary(viewer=world.admin, days=30, now=NOW)
            assert (summary.overall.promoters, summary.overall.detractors) == (1, 1)
            texts = {c.text for c in nps_recent_comments(viewer=world.admin, days=30, now=NOW)}
            assert texts == {"Fine", "Noa's private words"}


def test_raw_sql_cannot_read_another_persons_answer(
    world: World,
) -> None:
    response(world.noa, period="2026-11", score=3, comment="Noa's private words")
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM analytics_npsresponse") == [0]
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM analytics_npsresponse") == [0]
    with raw_as(None) as cursor:
        assert rows(cursor, "SELECT count(*) FROM analytics_npsresponse") == [0]
    with raw_as(world.noa.pk) as cursor:
        (stored,) = rows(cursor, "SELECT comment FROM analytics_npsresponse")
    assert "private" not in stored  # encrypted at rest
    with raw_as(world.admin.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM analytics_npsresponse") == [1]
    with system_context():
        assert NpsResponse.objects.get().comment == "Noa's private words"
