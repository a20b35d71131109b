"""Row-level security on the notification tables added with preferences and push.

* preferences (matrix cells, digest settings) and push devices: the person's own;
* deliveries: read by the person the notification is for; written by the dispatcher
  in the system context;
* summary items: read by their person; written by the dispatcher and the digest job;
* announcements: active admins; the worker tells everyone in the system context.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy, owner

ACTIVE_ADMIN = f"""EXISTS (
    SELECT 1 FROM accounts_user AS viewer
    WHERE viewer.id = {CURRENT_USER_ID} AND viewer.is_active AND viewer.role = 'admin'
)"""


class Migration(migrations.Migration):

    dependencies = [
        ("notifications", "0003_preferences_push_announcements"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRLS("notifications_channelchoice", using=owner("user_id")),
        EnableRLS("notifications_notificationsettings", using=owner("user_id")),
        EnableRLS("notifications_pushsubscription", using=owner("user_id")),
        EnableRLS(
            "notifications_notificationdelivery",
            policies=[
                Policy(
                    "own_read",
                    command="SELECT",
                    using="""EXISTS (
    SELECT 1 FROM notifications_notification AS n
    WHERE n.id = notifications_notificationdelivery.notification_id
      AND n.user_id = loom_current_user_id()
)""",
                )
            ],
        ),
        EnableRLS(
            "notifications_digestitem",
            policies=[Policy("own_read", command="SELECT", using=owner("user_id"))],
        ),
        EnableRLS("notifications_announcement", using=ACTIVE_ADMIN, with_check=ACTIVE_ADMIN),
    ]
