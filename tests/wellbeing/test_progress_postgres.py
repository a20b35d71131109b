"""The progress pages as the application role on PostgreSQL (row-level security in
force): the coach's tab and roster see check-ins only while the client shares them,
and the sharing switch itself works under the policies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from loom.journal.days import local_today
from tests.conftest import signed_in
from tests.security.conftest import (
    APP_ROLE,
    app_role,  # noqa: F401 (a fixture, used by name)
    application_connections,
    raw_as,
    rows,
)
from tests.wellbeing.progress_factories import checkin, goal, share
from tests.world import World

pytestmark = pytest.mark.postgres


@pytest.mark.usefixtures("app_role")
def test_coach_sees_shared_progress_only_while_shared(transactional_db: None) -> None:
    world = World.build()
    today = local_today(world.noa)
    for offset, mood in enumerate([8] * 7 + [5] * 14):
        checkin(world.noa, today - timedelta(days=offset), mood=mood)
    goal(world.noa, "Shared under RLS")
    share(world.noa, checkins=True, goals=True)
    tab = reverse("coach:client_tab", args=[world.noa.pk, "progress"])
    with application_connections(APP_ROLE):
        dana = signed_in(world.dana)
        html = dana.get(tab).content.decode()
        assert 'role="img"' in html and "Shared under RLS" in html and "Mood rising" in html
        assert "Mood rising" in dana.get(reverse("coach:roster")).content.decode()
        # Eli is not Noa's coach: the API answers 404.
        eli = signed_in(world.eli)
        assert eli.get(f"/api/v1/wellbeing/clients/{world.noa.pk}/progress").status_code == 404
        # Noa turns both switches off through her page.
        noa = signed_in(world.noa)
        assert noa.post(reverse("wellbeing_progress:sharing"), {}).status_code == 302
        assert noa.get(reverse("wellbeing_progress:dashboard")).status_code == 200
        assert noa.get(reverse("wellbeing_progress:trends")).status_code == 200
        html = dana.get(tab).content.decode()
        assert "has not shared check-ins with you" in html
        assert "Shared under RLS" not in html
        roster = dana.get(reverse("coach:roster")).content.decode()
        assert "Mood rising" not in roster


@pytest.mark.usefixtures("app_role")
def test_raw_sql_as_the_coach_reads_no_unshared_checkins(transactional_db: None) -> None:
    world = World.build()
    checkin(world.noa, local_today(world.noa), mood=4)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM wellbeing_checkin") == [0]
    share(world.noa, checkins=True)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM wellbeing_checkin") == [1]
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM wellbeing_checkin") == [0]
