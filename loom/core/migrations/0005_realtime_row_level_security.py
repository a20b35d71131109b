"""Row-level security on the realtime streams: a person reads their own stream only.

Events are appended and streams numbered in the system context (a message reaches both
people), never as a person.
"""

from django.db import migrations

from loom.core.rls_migrations import EnableRLS, Policy, owner


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0004_userstream_userevent"),
    ]

    operations = [
        EnableRLS(
            "core_userstream",
            policies=[Policy("own_read", command="SELECT", using=owner("user_id"))],
        ),
        EnableRLS(
            "core_userevent",
            policies=[Policy("own_read", command="SELECT", using=owner("user_id"))],
        ),
    ]
