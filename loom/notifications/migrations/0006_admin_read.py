"""Active admins may read notification deliveries (the Django admin, support).

A delivery row is a channel, a state and a reason code ("quiet_hours", "no_phone"):
what an operator needs to answer "why did I not get the email?". Read only. The
notifications themselves (titles and texts may quote a message) and people's
preferences, summaries and push devices get no admin policy.
"""

from django.db import migrations

from loom.core.rls_migrations import ACTIVE_ADMIN, AddPolicy, Policy

class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0005_notification_listed_hold"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        AddPolicy(
            "notifications_notificationdelivery",
            Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN),
        )
    ]
