"""Row-level security of goals, milestones and action-item links (migration 0002),
proven with raw SQL as the application role, and the real services run as that role."""

from __future__ import annotations

import psycopg
import pytest

from loom.accounts.models import CoachClient
from loom.core.context import acting_as
from loom.core.errors import Conflict, NotFound
from loom.wellbeing import goals as services
from loom.wellbeing import selectors_goals as selectors
from loom.wellbeing.models import Goal, SharingPreference
from tests.security.conftest import app_role, raw_as, rows  # noqa: F401 - app_role is a fixture
from tests.wellbeing.goals_support import action_item
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]

TABLES = ["wellbeing_goal", "wellbeing_milestone", "wellbeing_goalactionitem"]
DENIED = "row-level security"


def _avi_goals(world: World) -> tuple[Goal, Goal, Goal]:
    """Avi's own goal (with a milestone and a link), Dana's proposal, and Eli's goal for Maya."""
    own = services.goal_create(client=world.avi, title="Own", milestones=["Step"])
    item = action_item(world.dana, world.avi)
    services.goal_link_action_item(client=world.avi, goal_id=own.pk, action_item_id=item.pk)
    proposal = services.goal_propose(
        coach=world.dana, client_id=world.avi.pk, title="Proposed", milestones=["Try"]
    )
    mayas = services.goal_create(client=world.maya, title="Maya's", milestones=["M"])
    return own, proposal, mayas


def _seen(cursor, table: str) -> set[int]:
    column = "id" if table == "wellbeing_goal" else "goal_id"
    return set(rows(cursor, f"SELECT {column} FROM {table}"))  # noqa: S608


def test_tables_have_rls_forced(db: None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [TABLES],
        )
        assert {row[0] for row in cursor.fetchall()} == set(TABLES)


def test_client_sees_own_goals_and_coach_sees_shared_and_proposed(world: World) -> None:
    own, proposal, mayas = _avi_goals(world)
    with raw_as(world.avi.pk) as cursor:
        assert _seen(cursor, "wellbeing_goal") == {own.pk, proposal.pk}
        assert _seen(cursor, "wellbeing_milestone") == {own.pk, proposal.pk}
        assert _seen(cursor, "wellbeing_goalactionitem") == {own.pk}
    with raw_as(world.dana.pk) as cursor:
        assert _seen(cursor, "wellbeing_goal") == {own.pk, proposal.pk}
        assert _seen(cursor, "wellbeing_milestone") == {own.pk, proposal.pk}
        assert _seen(cursor, "wellbeing_goalactionitem") == {own.pk}
    for person in (world.noa, world.maya, None):
        with raw_as(person.pk if person else None) as cursor:
            for table in TABLES:
                assert _seen(cursor, table) <= {mayas.pk}, (person, table)
    with raw_as(world.eli.pk) as cursor:
        # Maya shares her goals with Eli (the default); Avi's stay out of reach.
        assert _seen(cursor, "wellbeing_goal") == {mayas.pk}
    with raw_as(world.maya.pk) as cursor:
        assert _seen(cursor, "wellbeing_goal") == {mayas.pk}
    with raw_as(world.noa.pk) as cursor:
        assert _seen(cursor, "wellbeing_goal") == set()


def test_share_goals_off_hides_all_but_the_coachs_proposals(world: World) -> None:
    own, proposal, _mayas = _avi_goals(world)
    SharingPreference.objects.create(client=world.avi, share_goals=False)
    with raw_as(world.dana.pk) as cursor:
        assert _seen(cursor, "wellbeing_goal") == {proposal.pk}
        assert _seen(cursor, "wellbeing_milestone") == {proposal.pk}
        assert _seen(cursor, "wellbeing_goalactionitem") == set()
    with raw_as(world.avi.pk) as cursor:
        assert _seen(cursor, "wellbeing_goal") == {own.pk, proposal.pk}


def test_an_archived_coach_sees_nothing(world: World) -> None:
    _avi_goals(world)
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(status="archived")
    with raw_as(world.dana.pk) as cursor:
        for table in TABLES:
            assert _seen(cursor, table) == set()


def test_a_coach_changes_only_their_unanswered_proposals(world: World) -> None:
    own, proposal, mayas = _avi_goals(world)
    with raw_as(world.dana.pk) as cursor:
        cursor.execute("UPDATE wellbeing_goal SET progress = 99 WHERE id = %s", [own.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM wellbeing_goal WHERE id = %s", [own.pk])
        assert cursor.rowcount == 0
        cursor.execute("UPDATE wellbeing_milestone SET position = 9 WHERE goal_id = %s", [own.pk])
        assert cursor.rowcount == 0
        cursor.execute("UPDATE wellbeing_goal SET progress = 5 WHERE id = %s", [proposal.pk])
        assert cursor.rowcount == 1
    with raw_as(world.eli.pk) as cursor:
        cursor.execute("DELETE FROM wellbeing_goal WHERE id = %s", [proposal.pk])
        assert cursor.rowcount == 0
    with raw_as(world.avi.pk) as cursor:
        cursor.execute("UPDATE wellbeing_goal SET progress = 5 WHERE id = %s", [mayas.pk])
        assert cursor.rowcount == 0


def test_nobody_inserts_goals_for_someone_else(world: World) -> None:
    insert = (
        "INSERT INTO wellbeing_goal (client_id, proposed_by_id, title, why, measure, status, "
        "progress, created_at, updated_at) VALUES (%s, %s, 'x', '', '', %s, 0, now(), now())"
    )
    attempts = [
        (world.dana, [world.avi.pk, world.dana.pk, "active"]),  # not a proposal
        (world.dana, [world.maya.pk, world.dana.pk, "proposed"]),  # not her client
        (world.dana, [world.avi.pk, world.eli.pk, "proposed"]),  # in another's name
        (world.maya, [world.avi.pk, None, "active"]),
    ]
    for person, params in attempts:
        with (
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
            raw_as(person.pk) as cursor,
        ):
            cursor.execute(insert, params)


def test_goal_flow_works_as_the_application_role(transactional_db: None) -> None:
    """The real services and selectors, run as the application role with RLS in force."""
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    item = action_item(world.dana, world.avi)
    with application_connections(APP_ROLE):
        with acting_as(world.dana.pk):
            proposal = services.goal_propose(
                coach=world.dana, client_id=world.avi.pk, title="Proposed", milestones=["One"]
            )
            withdrawn = services.goal_propose(coach=world.dana, client_id=world.avi.pk, title="W")
            services.goal_withdraw_proposal(coach=world.dana, goal_id=withdrawn.pk)
        with acting_as(world.avi.pk):
            services.goal_answer_proposal(client=world.avi, goal_id=proposal.pk, accept=True)
            own = services.goal_create(client=world.avi, title="Own", milestones=["A", "B"])
            services.goal_link_action_item(client=world.avi, goal_id=own.pk, action_item_id=item.pk)
            first, second = own.milestones.all()
            assert services.milestone_toggle(
                client=world.avi, milestone_id=first.pk, done=True
            ).celebrate
            services.milestone_move(client=world.avi, milestone_id=second.pk, offset=-1)
            services.goal_set_status(client=world.avi, goal_id=own.pk, status="completed")
            assert {g.pk for g in selectors.goals_for_client(world.avi, "all")} == {
                proposal.pk,
                own.pk,
            }
        with acting_as(world.dana.pk):
            seen = selectors.goals_visible_to_coach(world.dana, world.avi.pk)
            assert {g.pk for g in seen} == {proposal.pk, own.pk}
            with pytest.raises(Conflict):
                services.goal_withdraw_proposal(coach=world.dana, goal_id=proposal.pk)
        with acting_as(world.maya.pk):
            with pytest.raises(NotFound):
                selectors.goal_for_client(world.maya, own.pk)
            with pytest.raises(NotFound):
                services.goal_set_status(client=world.maya, goal_id=own.pk, status="paused")
        with acting_as(world.eli.pk), pytest.raises(NotFound):
            selectors.goals_visible_to_coach(world.eli, world.avi.pk)
        with acting_as(world.avi.pk):
            SharingPreference.objects.create(client=world.avi, share_goals=False)
        with acting_as(world.dana.pk):
            assert [g.pk for g in selectors.goals_visible_to_coach(world.dana, world.avi.pk)] == [
                proposal.pk
            ]
    assert not Goal.objects.filter(pk=withdrawn.pk).exists()
    assert Goal.objects.get(pk=own.pk).status == "completed"
