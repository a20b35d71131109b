"""Active admins may read conversations and their participants (the Django admin, support).

Who talks with whom, since when, the time of the newest message and how far each side
has read: what an operator needs to answer "why can't this client message their
coach?". Read only. Messages, their edits, reactions and attachments get no admin
policy: what people say to each other is theirs.
"""

from django.db import migrations

from loom.core.rls_migrations import ACTIVE_ADMIN, AddPolicy, Policy

class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0005_fixed_columns"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        AddPolicy(table, Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN))
        for table in ("messaging_conversation", "messaging_participant")
    ]
