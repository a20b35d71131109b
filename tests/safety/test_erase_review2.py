"""R2: erasing wellbeing data works as the application role (RLS in force) and leaves
nothing of the client's behind — coach comments on their entries, a coach's accepted
proposal, milestones and action-item links included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from loom.core.context import acting_as, system_context
from loom.journal.models import Comment, Entry, Intention
from loom.wellbeing import goals as goal_services
from loom.wellbeing.checkins import checkin_record
from loom.wellbeing.export import wellbeing_erase
from loom.wellbeing.models import CheckIn, Goal, GoalActionItem, Milestone
from tests.security.conftest import app_role  # noqa: F401 - a fixture
from tests.wellbeing.goals_support import action_item
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]


def test_erase_all_as_the_application_role_leaves_nothing(transactional_db: None) -> None:
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    item = action_item(world.dana, world.avi)
    with system_context():
        entry = Entry.objects.create(
            author=world.avi, written_on=dt.date(2026, 11, 1), title="t", body="b"
        )
        entry.shared_with = world.dana
        entry.shared_at = timezone.now()
        entry.save()
        Comment.objects.create(entry=entry, author=world.dana, body="coach words")
        Comment.objects.create(entry=entry, author=world.avi, body="my reply")
        Intention.objects.create(client=world.avi, day=dt.date(2026, 11, 1), text="i")
        noa_goal = Goal.objects.create(client=world.noa, title="Noa's")
    with application_connections(APP_ROLE):
        with acting_as(world.dana.pk):
            proposal = goal_services.goal_propose(
                coach=world.dana, client_id=world.avi.pk, title="Proposed", milestones=["One"]
            )
        with acting_as(world.avi.pk):
            goal_services.goal_answer_proposal(client=world.avi, goal_id=proposal.pk, accept=True)
            own = goal_services.goal_create(client=world.avi, title="Own", milestones=["A"])
            goal_services.goal_link_action_item(
                client=world.avi, goal_id=own.pk, action_item_id=item.pk
            )
            checkin_record(client=world.avi, pleasantness=5, energy=5, note="n")
            erased = wellbeing_erase(client=world.avi, kind="all")
    assert erased.entries == 1 and erased.goals == 2 and erased.checkins == 1
    with system_context():
        assert not Entry.objects.filter(author=world.avi).exists()
        assert not Comment.objects.filter(entry__author=world.avi).exists()
        assert not Intention.objects.filter(client=world.avi).exists()
        assert not CheckIn.objects.filter(client=world.avi).exists()
        assert not Goal.objects.filter(client=world.avi).exists()
        assert not Milestone.objects.filter(goal__client=world.avi).exists()
        assert not GoalActionItem.objects.filter(goal__client=world.avi).exists()
        # Someone else's data and the coach's action item itself are untouched.
        assert Goal.objects.filter(pk=noa_goal.pk).exists()
        assert type(item).objects.filter(pk=item.pk).exists()
