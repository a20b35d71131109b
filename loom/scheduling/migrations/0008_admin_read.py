"""Active admins may read the operational scheduling tables (the Django admin, support).

Session types, sessions and their history, group seats, waitlist entries and
reminders say who meets whom, when, and in what state: what an operator needs to
answer "why was my session cancelled?" or "why did no reminder come?". Read only.
Cancellation reasons and meeting links are in those rows, but the Django admin never
shows them (loom.core.admin.PrivacyAwareAdmin).

Private notes, shared summaries, reflections, action items, attachments, availability,
settings, reminder preferences and calendar feeds get no admin policy.
"""

from django.db import migrations

from loom.core.rls_migrations import ACTIVE_ADMIN, AddPolicy, Policy

class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0007_group_attachments_stay_with_their_uploader"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        AddPolicy(table, Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN))
        for table in (
            "scheduling_sessiontype",
            "scheduling_session",
            "scheduling_sessionevent",
            "scheduling_sessionseat",
            "scheduling_waitlistentry",
            "scheduling_reminder",
        )
    ]
