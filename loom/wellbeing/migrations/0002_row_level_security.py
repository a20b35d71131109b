"""Row-level security on check-ins, goals and sharing choices (DESIGN.md rule 1).

The client owns every row about them. A coach reads only while the client is on their
active roster, and then only:

* check-ins, when the client turned on "share my check-in moods" (the pages and API
  read only the numbers and emotion keys; the notes stay unread by the application);
* goals (with their milestones and action-item links) when the client shares goals
  (the default: no sharing row) or the coach proposed the goal;
* the client's sharing choices, to know what to show.

A coach may propose a goal (insert it as ``proposed``, with milestones) and withdraw
it while it is still a proposal. Everything else is the client's.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy, owner


def active_link(client: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {CURRENT_USER_ID} AND link.client_id = {client}
      AND link.status = 'active'
)"""


def shares(client: str, flag: str, default: str) -> str:
    return f"""COALESCE((
    SELECT pref.{flag} FROM wellbeing_sharingpreference AS pref WHERE pref.client_id = {client}
), {default})"""


def coach_sees_goal(goal: str) -> str:
    return f"""({active_link(f"{goal}.client_id")}
    AND ({goal}.proposed_by_id = {CURRENT_USER_ID} OR {shares(f"{goal}.client_id", "share_goals", "true")}))"""


def goal_visible(column: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM wellbeing_goal AS g
    WHERE g.id = {column} AND (g.client_id = {CURRENT_USER_ID} OR {coach_sees_goal("g")})
)"""


def goal_writable(column: str) -> str:
    """The client's own goal, or a proposal of the acting coach not yet answered."""
    return f"""EXISTS (
    SELECT 1 FROM wellbeing_goal AS g
    WHERE g.id = {column}
      AND (g.client_id = {CURRENT_USER_ID}
           OR (g.proposed_by_id = {CURRENT_USER_ID} AND g.status = 'proposed'
               AND {active_link("g.client_id")}))
)"""


COACH_PROPOSAL = (
    f"wellbeing_goal.proposed_by_id = {CURRENT_USER_ID} AND wellbeing_goal.status = 'proposed' AND "
    + active_link("wellbeing_goal.client_id")
)


class Migration(migrations.Migration):

    dependencies = [
        ("wellbeing", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRLS(
            "wellbeing_checkin",
            policies=[
                Policy("client", using=owner("client_id")),
                Policy(
                    "coach_read",
                    command="SELECT",
                    using=active_link("wellbeing_checkin.client_id")
                    + " AND "
                    + shares("wellbeing_checkin.client_id", "share_checkins", "false"),
                ),
            ],
        ),
        EnableRLS(
            "wellbeing_sharingpreference",
            policies=[
                Policy("client", using=owner("client_id")),
                Policy(
                    "coach_read",
                    command="SELECT",
                    using=active_link("wellbeing_sharingpreference.client_id"),
                ),
            ],
        ),
        EnableRLS(
            "wellbeing_goal",
            policies=[
                Policy("client", using=owner("client_id")),
                Policy("coach_read", command="SELECT", using=coach_sees_goal("wellbeing_goal")),
                Policy("coach_propose", command="INSERT", with_check=COACH_PROPOSAL),
                Policy("coach_withdraw", command="DELETE", using=COACH_PROPOSAL),
                Policy("coach_edit_proposal", command="UPDATE", using=COACH_PROPOSAL, with_check=COACH_PROPOSAL),
            ],
        ),
        EnableRLS(
            "wellbeing_milestone",
            policies=[
                Policy("read", command="SELECT", using=goal_visible("wellbeing_milestone.goal_id")),
                Policy(
                    "write",
                    using=goal_writable("wellbeing_milestone.goal_id"),
                    with_check=goal_writable("wellbeing_milestone.goal_id"),
                ),
            ],
        ),
        EnableRLS(
            "wellbeing_goalactionitem",
            policies=[
                Policy("read", command="SELECT", using=goal_visible("wellbeing_goalactionitem.goal_id")),
                Policy(
                    "write",
                    using=goal_writable("wellbeing_goalactionitem.goal_id"),
                    with_check=goal_writable("wellbeing_goalactionitem.goal_id"),
                ),
            ],
        ),
    ]
