"""Check-ins as the application role, with row-level security in force (PostgreSQL tier).

The raw-SQL proofs that one client cannot read another's check-ins are the safety
area's (tests/security/test_wellbeing_rls.py); here the real services, selectors and
pages run as the application role and must work for the owner and find nothing of
anyone else's.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import CrisisSignal
from loom.core.context import acting_as, system_context
from loom.core.errors import NotFound
from loom.journal.days import local_today
from loom.wellbeing import checkins as services
from loom.wellbeing import selectors_checkins as selectors
from loom.wellbeing.models import CheckIn
from tests.conftest import signed_in
from tests.security.conftest import app_role  # noqa: F401 - a fixture
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]


def test_check_in_flow_works_as_the_application_role(transactional_db: None) -> None:
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    with application_connections(APP_ROLE):
        with acting_as(world.avi.pk):
            saved = services.checkin_record(
                client=world.avi,
                pleasantness=2,
                energy=8,
                emotions=[("anxious", 7)],
                thoughts="I want to kill myself",
            )
            assert saved.crisis is not None
            checkin = saved.checkin
            services.checkin_update(client=world.avi, checkin_id=checkin.pk, energy=6)
            today = local_today(world.avi)
            moods = selectors.daily_moods(world.avi, start=today, end=today)
            assert moods[checkin.local_date].avg_energy == 6.0
            assert [c.pk for c in selectors.checkins_page(world.avi).items] == [checkin.pk]
            assert selectors.heatmap(world.avi, today=today).days[0].count == 1
        with acting_as(world.noa.pk):
            with pytest.raises(NotFound):
                selectors.checkin_for_client(world.noa, checkin.pk)
            with pytest.raises(NotFound):
                services.checkin_update(client=world.noa, checkin_id=checkin.pk, energy=1)
            assert selectors.daily_moods(world.noa, start=today, end=today) == {}

        avi = signed_in(world.avi)
        response = avi.post(
            reverse("wellbeing_checkins:new"),
            {"pleasantness": "7", "energy": "3", "emotions": ["calm"], "intensity_calm": "4"},
        )
        assert response.status_code == 302
        assert avi.get(reverse("wellbeing_checkins:list")).status_code == 200
        detail = reverse("wellbeing_checkins:detail", args=[checkin.pk])
        assert avi.get(detail).status_code == 200
        assert signed_in(world.maya).get(detail).status_code == 404
        assert avi.post(reverse("wellbeing_checkins:delete", args=[checkin.pk])).status_code == 302

    with system_context():
        assert list(CheckIn.objects.values_list("client_id", flat=True)) == [world.avi.pk]
        assert CrisisSignal.objects.filter(source="checkin", source_id=checkin.pk).count() == 1
        assert CheckIn.objects.get().occurred_at <= timezone.now() + dt.timedelta(seconds=1)
