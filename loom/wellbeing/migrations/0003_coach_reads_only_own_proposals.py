"""A coach reads only their own proposals, not another coach's (review finding M1).

A client with two coaches shares their goals with both, but a proposal one coach made —
still open, or declined — is between that coach and the client. A coach now reads: the
goals they proposed (whatever the answer), and, while the client shares goals, the
goals the client has taken on. Milestones and action-item links follow their goal.
"""

from collections.abc import Callable
from typing import Any

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, AddPolicy, Policy, RemovePolicy


def active_link(client: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {CURRENT_USER_ID} AND link.client_id = {client}
      AND link.status = 'active'
)"""


def shares(client: str) -> str:
    return f"""COALESCE((
    SELECT pref.share_goals FROM wellbeing_sharingpreference AS pref WHERE pref.client_id = {client}
), true)"""


def old_coach_sees_goal(goal: str) -> str:
    return f"""({active_link(f"{goal}.client_id")}
    AND ({goal}.proposed_by_id = {CURRENT_USER_ID} OR {shares(f"{goal}.client_id")}))"""


def new_coach_sees_goal(goal: str) -> str:
    return f"""({active_link(f"{goal}.client_id")}
    AND ({goal}.proposed_by_id = {CURRENT_USER_ID}
         OR ({shares(f"{goal}.client_id")}
             AND {goal}.status NOT IN ('proposed', 'declined'))))"""


def goal_visible(column: str, sees: Callable[[str], str]) -> str:
    return f"""EXISTS (
    SELECT 1 FROM wellbeing_goal AS g
    WHERE g.id = {column} AND (g.client_id = {CURRENT_USER_ID} OR {sees("g")})
)"""


def swap(table: str, name: str, old: str, new: str) -> list[Any]:
    return [
        RemovePolicy(table, Policy(name, command="SELECT", using=old)),
        AddPolicy(table, Policy(name, command="SELECT", using=new)),
    ]


class Migration(migrations.Migration):

    dependencies = [("wellbeing", "0002_row_level_security")]

    operations = [
        *swap(
            "wellbeing_goal",
            "coach_read",
            old_coach_sees_goal("wellbeing_goal"),
            new_coach_sees_goal("wellbeing_goal"),
        ),
        *swap(
            "wellbeing_milestone",
            "read",
            goal_visible("wellbeing_milestone.goal_id", old_coach_sees_goal),
            goal_visible("wellbeing_milestone.goal_id", new_coach_sees_goal),
        ),
        *swap(
            "wellbeing_goalactionitem",
            "read",
            goal_visible("wellbeing_goalactionitem.goal_id", old_coach_sees_goal),
            goal_visible("wellbeing_goalactionitem.goal_id", new_coach_sees_goal),
        ),
    ]
