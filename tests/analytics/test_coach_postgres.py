"""The coach analytics page as the application role on PostgreSQL (row-level security
in force): Dana reads her active clients' daily activity, messages, progress and
shared check-ins through the policies; nothing of another coach's practice or of an
archived client comes through, even when the application filters are bypassed."""

from __future__ import annotations

import pytest
import time_machine

from loom.analytics import selectors_coach as selectors
from loom.core.context import acting_as
from tests.analytics.test_coach_support import NOW, build_practice
from tests.conftest import signed_in
from tests.security.conftest import (
    APP_ROLE,
    app_role,  # noqa: F401 (a fixture, used by name)
    application_connections,
    raw_as,
    rows,
)

pytestmark = pytest.mark.postgres


@pytest.mark.usefixtures("app_role")
def test_the_page_under_row_level_security(transactional_db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        practice = build_practice()
        world = practice.world
        with application_connections(APP_ROLE):
            html = signed_in(world.dana).get("/coach/analytics/", {"range": "4"}).content.decode()
            assert "Avi Mizrahi" in html and "Noa Peretz" in html
            assert "Maya Friedman" not in html and "Zed Archived" not in html
            # Read through the policies: activity (DailyActivity), the shared mood trend,
            # the waiting message and the no-show.
            assert "No activity for 50 days" in html
            assert "Mood trend falling in shared check-ins" in html
            assert "Message waiting for your reply for 3 days" in html
            with acting_as(world.dana.pk):
                chosen = selectors.preset_range(world.dana, "4", now=NOW)
                found = {
                    row.name: row
                    for row in selectors.client_engagement(world.dana, chosen, now=NOW)
                }
            assert found["Avi Mizrahi"].last_activity is not None
            assert found["Avi Mizrahi"].checkin_streak == 3
            assert found["Avi Mizrahi"].messages == 3
            assert found["Avi Mizrahi"].resources_completed == 1
            eli_html = (
                signed_in(world.eli).get("/coach/analytics/", {"range": "4"}).content.decode()
            )
            assert "Maya Friedman" in eli_html and "Avi Mizrahi" not in eli_html


@pytest.mark.usefixtures("app_role")
def test_raw_sql_as_a_coach_reads_only_active_clients_activity(transactional_db: None) -> None:
    with time_machine.travel(NOW, tick=False):
        practice = build_practice()
    world = practice.world
    everyone = [world.avi.pk, world.noa.pk, world.maya.pk, practice.zed.pk]
    query = "SELECT user_id FROM analytics_dailyactivity WHERE user_id = ANY(%s) ORDER BY user_id"
    with raw_as(world.dana.pk) as cursor:
        # Avi and Noa; not Eli's Maya, not archived Zed.
        assert rows(cursor, query, [everyone]) == sorted([world.avi.pk, world.noa.pk])
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, query, [everyone]) == [world.maya.pk]
    with raw_as(None) as cursor:
        assert rows(cursor, query, [everyone]) == []
