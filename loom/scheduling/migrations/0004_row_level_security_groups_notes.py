"""Row-level security for group seats, the waitlist, notes, homework, reminders and feeds.

* sessions: a group session (``capacity > 1``, no ``client``) is also readable by the
  coach's active clients, so they can find it and take a seat. It names nobody: the
  attendees are in seats, and a client reads only their own seat.
* session history: readable by the coach, the one-to-one client, and a client holding
  a seat in the group session.
* seats and waitlist entries: the client's own rows; every row of the coach's sessions
  for the coach. Taking and releasing seats runs in the system context after the
  service has checked who is acting (it must count other people's seats).
* private notes: the coach of the session only. No client policy exists, so no query
  run as a client — page, API or export — can read one.
* summaries: written by the coach; read by the session's client or seat holders.
* preparation and reflection: the client's own; read by the coach.
* action items: the coach's; read, and marked done, by their client.
* attachments: read by the parties; added by a party as themselves; removed by the
  person who added them.
* reminders: read by the recipient and by the coach of the session; planned and sent
  in the system context (one person's booking plans the other party's reminders).
* reminder preferences and calendar feeds: the person's own. A feed is fetched with
  its secret token and no session, in the system context after the token matched.

Policies never refer back to ``scheduling_session`` from a table that
``scheduling_session``'s own policies read, so PostgreSQL never recurses.
"""

from django.db import migrations

from loom.core.rls_migrations import (
    CURRENT_USER_ID,
    AddPolicy,
    EnableRLS,
    Policy,
    RemovePolicy,
    owner,
)

OLD_EVENT_READ = f"""EXISTS (
    SELECT 1 FROM scheduling_session AS s
    WHERE s.id = scheduling_sessionevent.session_id
      AND (s.coach_id = {CURRENT_USER_ID} OR s.client_id = {CURRENT_USER_ID})
)"""


def party_of_session(table: str) -> str:
    """The acting user is the coach, the one-to-one client or a seat holder."""
    return f"""EXISTS (
    SELECT 1 FROM scheduling_session AS s
    WHERE s.id = {table}.session_id
      AND (
        s.coach_id = {CURRENT_USER_ID}
        OR s.client_id = {CURRENT_USER_ID}
        OR EXISTS (
            SELECT 1 FROM scheduling_sessionseat AS seat
            WHERE seat.session_id = s.id
              AND seat.client_id = {CURRENT_USER_ID}
              AND seat.status = 'taken'
        )
      )
)"""


def coach_of_session(table: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM scheduling_session AS s
    WHERE s.id = {table}.session_id AND s.coach_id = {CURRENT_USER_ID}
)"""


GROUP_SESSION_OF_MY_COACH = f"""scheduling_session.capacity > 1 AND EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = scheduling_session.coach_id
      AND link.client_id = {CURRENT_USER_ID}
      AND link.status = 'active'
)"""


def own_or_coach(table: str, column: str = "client_id") -> EnableRLS:
    return EnableRLS(
        table,
        policies=[
            Policy("own", using=owner(column)),
            Policy("coach", using=coach_of_session(table)),
        ],
    )


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0003_groups_notes_reminders"),
    ]

    operations = [
        AddPolicy(
            "scheduling_session",
            Policy("group_read", command="SELECT", using=GROUP_SESSION_OF_MY_COACH),
        ),
        RemovePolicy(
            "scheduling_sessionevent",
            Policy("party_read", command="SELECT", using=OLD_EVENT_READ),
        ),
        AddPolicy(
            "scheduling_sessionevent",
            Policy(
                "party_read", command="SELECT", using=party_of_session("scheduling_sessionevent")
            ),
        ),
        own_or_coach("scheduling_sessionseat"),
        own_or_coach("scheduling_waitlistentry"),
        EnableRLS(
            "scheduling_sessionprivatenote",
            policies=[
                Policy(
                    "coach",
                    using=f"{owner('coach_id')} AND "
                    f"{coach_of_session('scheduling_sessionprivatenote')}",
                )
            ],
        ),
        EnableRLS(
            "scheduling_sessionsummary",
            policies=[
                Policy("coach", using=coach_of_session("scheduling_sessionsummary")),
                Policy(
                    "party_read",
                    command="SELECT",
                    using=party_of_session("scheduling_sessionsummary"),
                ),
            ],
        ),
        EnableRLS(
            "scheduling_clientsessionreflection",
            policies=[
                Policy(
                    "own",
                    using=f"{owner('client_id')} AND "
                    f"{party_of_session('scheduling_clientsessionreflection')}",
                ),
                Policy(
                    "coach_read",
                    command="SELECT",
                    using=coach_of_session("scheduling_clientsessionreflection"),
                ),
            ],
        ),
        EnableRLS(
            "scheduling_actionitem",
            policies=[
                Policy(
                    "coach",
                    using=f"{owner('coach_id')} AND {coach_of_session('scheduling_actionitem')}",
                ),
                Policy("client_read", command="SELECT", using=owner("client_id")),
                Policy(
                    "client_update",
                    command="UPDATE",
                    using=owner("client_id"),
                    with_check=owner("client_id"),
                ),
            ],
        ),
        EnableRLS(
            "scheduling_sessionattachment",
            policies=[
                Policy(
                    "party_read",
                    command="SELECT",
                    using=party_of_session("scheduling_sessionattachment"),
                ),
                Policy(
                    "party_add",
                    command="INSERT",
                    with_check=f"{owner('uploaded_by_id')} AND "
                    f"{party_of_session('scheduling_sessionattachment')}",
                ),
                Policy("own_delete", command="DELETE", using=owner("uploaded_by_id")),
            ],
        ),
        EnableRLS(
            "scheduling_reminder",
            policies=[
                Policy("recipient_read", command="SELECT", using=owner("recipient_id")),
                Policy(
                    "coach_read", command="SELECT", using=coach_of_session("scheduling_reminder")
                ),
            ],
        ),
        EnableRLS(
            "scheduling_reminderpreferences", policies=[Policy("own", using=owner("user_id"))]
        ),
        EnableRLS("scheduling_calendarfeed", policies=[Policy("own", using=owner("user_id"))]),
    ]
