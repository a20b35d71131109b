"""A summary the coach has not shared yet is the coach's draft: clients may not read it.

The pages and the API already filter drafts out (``note_selectors.summaries_for``);
this makes the database refuse them too.
"""

import importlib

from django.db import migrations

from loom.core.rls_migrations import AddPolicy, Policy, RemovePolicy

# The expression exactly as 0004 wrote it, so the removal matches and reverses.
party_of_session = importlib.import_module(
    "loom.scheduling.migrations.0004_row_level_security_groups_notes"
).party_of_session

TABLE = "scheduling_sessionsummary"


class Migration(migrations.Migration):

    dependencies = [
        ("scheduling", "0005_session_series"),
    ]

    operations = [
        RemovePolicy(TABLE, Policy("party_read", command="SELECT", using=party_of_session(TABLE))),
        AddPolicy(
            TABLE,
            Policy(
                "party_read",
                command="SELECT",
                using=f"{TABLE}.shared_at IS NOT NULL AND {party_of_session(TABLE)}",
            ),
        ),
    ]
