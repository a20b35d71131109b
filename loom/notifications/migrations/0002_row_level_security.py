"""Row-level security on in-app notifications.

* the person reads their own notices and marks them read (UPDATE of their own rows);
* nobody inserts or deletes as themselves: notices are created by the outbox
  deliverer in the system context (the ``system`` policy ``EnableRLS`` adds).
"""

from django.db import migrations

from loom.core.rls_migrations import EnableRLS, Policy, owner


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRLS(
            "notifications_notification",
            policies=[
                Policy("own_read", command="SELECT", using=owner("user_id")),
                Policy(
                    "own_update",
                    command="UPDATE",
                    using=owner("user_id"),
                    with_check=owner("user_id"),
                ),
            ],
        ),
    ]
