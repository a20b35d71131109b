"""Row-level security on every scheduling table (DESIGN.md rule 1).

Who may see and change what (``loom_current_user_id()`` is the acting user; every
table also has a ``system`` policy for ``system_context()`` work):

* scheduling settings, session types, weekly availability and date overrides: the
  coach; read by that coach's active clients (a client needs them to see and book
  slots);
* sessions: read by either party; written by the coach; a client may create a
  session only with a coach whose active client they are, and update only their own;
* session history: read by either party of the session; appended by a party acting
  as themselves; never changed or deleted (no policy allows it).

A client's booking must check the coach's other sessions, which belong to other
clients and are invisible to them: the services read those busy times, and take
the coach's lock, in the system context (see ``loom/scheduling/services.py``).
Admin actions on sessions (reschedule, cancel) run in the system context as well,
after the service has checked the role; each is audited.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy, owner


def active_client_of(table: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {table}.coach_id
      AND link.client_id = {CURRENT_USER_ID}
      AND link.status = 'active'
)"""


PARTY_OF_SESSION = f"""EXISTS (
    SELECT 1 FROM scheduling_session AS s
    WHERE s.id = scheduling_sessionevent.session_id
      AND (s.coach_id = {CURRENT_USER_ID} OR s.client_id = {CURRENT_USER_ID})
)"""


def coach_owned(table: str) -> EnableRLS:
    return EnableRLS(
        table,
        policies=[
            Policy("coach", using=owner("coach_id")),
            Policy("client_read", command="SELECT", using=active_client_of(table)),
        ],
    )


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        coach_owned("scheduling_coachschedulingsettings"),
        coach_owned("scheduling_sessiontype"),
        coach_owned("scheduling_weeklyavailability"),
        coach_owned("scheduling_availabilityoverride"),
        EnableRLS(
            "scheduling_session",
            policies=[
                Policy(
                    "party_read",
                    command="SELECT",
                    using=f"{owner('coach_id')} OR {owner('client_id')}",
                ),
                Policy("coach_write", using=owner("coach_id")),
                Policy(
                    "client_insert",
                    command="INSERT",
                    with_check=f"{owner('client_id')} AND {active_client_of('scheduling_session')}",
                ),
                Policy(
                    "client_update",
                    command="UPDATE",
                    using=owner("client_id"),
                    with_check=owner("client_id"),
                ),
            ],
        ),
        EnableRLS(
            "scheduling_sessionevent",
            policies=[
                Policy("party_read", command="SELECT", using=PARTY_OF_SESSION),
                Policy(
                    "party_append",
                    command="INSERT",
                    with_check=f"{owner('actor_id')} AND {PARTY_OF_SESSION}",
                ),
            ],
        ),
    ]
