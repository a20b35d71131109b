"""R2: a client with two coaches — one coach never sees the other's proposals."""

from __future__ import annotations

import pytest

from loom.accounts.models import CoachClient
from loom.wellbeing import goals as services
from loom.wellbeing import selectors_goals as selectors
from tests.security.conftest import app_role  # noqa: F401 - app_role is a fixture
from tests.world import World


def test_a_coach_does_not_see_another_coachs_open_or_declined_proposals(world: World) -> None:
    CoachClient.objects.create(coach=world.eli, client=world.avi, status=CoachClient.Status.ACTIVE)
    own = services.goal_create(client=world.avi, title="Own goal")
    danas = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Dana's idea")
    declined = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Dana's no")
    services.goal_answer_proposal(client=world.avi, goal_id=declined.pk, accept=False)
    elis = services.goal_propose(coach=world.eli, client_id=world.avi.pk, title="Eli's idea")
    # Goals are shared by default: Eli sees the client's goal and his own proposal, not
    # Dana's open or declined proposals (what she suggested is between her and Avi).
    seen = {g.pk for g in selectors.goals_visible_to_coach(world.eli, world.avi.pk)}
    assert seen == {own.pk, elis.pk}
    # Dana still sees all of hers, answered or not.
    seen = {g.pk for g in selectors.goals_visible_to_coach(world.dana, world.avi.pk)}
    assert seen == {own.pk, danas.pk, declined.pk}


@pytest.mark.postgres
@pytest.mark.usefixtures("app_role")
def test_rls_a_coach_does_not_read_another_coachs_proposals_or_their_milestones(
    world: World,
) -> None:
    from tests.security.conftest import raw_as, rows

    CoachClient.objects.create(coach=world.eli, client=world.avi, status=CoachClient.Status.ACTIVE)
    own = services.goal_create(client=world.avi, title="Own goal", milestones=[("Step", None)])
    danas = services.goal_propose(
        coach=world.dana, client_id=world.avi.pk, title="Dana's idea", milestones=[("A", None)]
    )
    declined = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="Dana's no")
    services.goal_answer_proposal(client=world.avi, goal_id=declined.pk, accept=False)
    goal_sql = "SELECT id FROM wellbeing_goal WHERE client_id = %s ORDER BY id"
    milestone_sql = (
        "SELECT m.goal_id FROM wellbeing_milestone AS m JOIN wellbeing_goal AS g "
        "ON g.id = m.goal_id WHERE g.client_id = %s ORDER BY m.goal_id"
    )
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, goal_sql, [world.avi.pk]) == [own.pk]
        assert rows(cursor, milestone_sql, [world.avi.pk]) == [own.pk]
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, goal_sql, [world.avi.pk]) == [own.pk, danas.pk, declined.pk]
        assert rows(cursor, milestone_sql, [world.avi.pk]) == [own.pk, danas.pk]
