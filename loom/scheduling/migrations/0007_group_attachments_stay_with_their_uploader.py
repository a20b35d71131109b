"""In a group session an attendee reads the coach's files and their own, not another
attendee's (the selectors already show only those; now the database agrees).

Who reads a session attachment: whoever added it; the coach of the session; the client
of a one-to-one session; and, in a group session, a seat holder — for files the coach
added.
"""

import importlib

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, AddPolicy, Policy, RemovePolicy

# The expression exactly as 0004 wrote it, so the removal matches and reverses.
party_of_session = importlib.import_module(
    "loom.scheduling.migrations.0004_row_level_security_groups_notes"
).party_of_session

TABLE = "scheduling_sessionattachment"

READ = f"""{TABLE}.uploaded_by_id = {CURRENT_USER_ID} OR EXISTS (
    SELECT 1 FROM scheduling_session AS s
    WHERE s.id = {TABLE}.session_id
      AND (
        s.coach_id = {CURRENT_USER_ID}
        OR s.client_id = {CURRENT_USER_ID}
        OR (
            {TABLE}.uploaded_by_id = s.coach_id
            AND EXISTS (
                SELECT 1 FROM scheduling_sessionseat AS seat
                WHERE seat.session_id = s.id
                  AND seat.client_id = {CURRENT_USER_ID}
                  AND seat.status = 'taken'
            )
        )
      )
)"""


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0006_summary_drafts_stay_with_the_coach"),
    ]

    operations = [
        RemovePolicy(TABLE, Policy("party_read", command="SELECT", using=party_of_session(TABLE))),
        AddPolicy(TABLE, Policy("party_read", command="SELECT", using=READ)),
    ]
