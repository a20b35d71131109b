"""Row-level security: the policy functions, and the audit log's policies.

The audit log is append-only for the application: anyone acting (and nobody — a
failed sign-in has no actor) may add rows; a person reads back only rows where they
are the actor; the system reads all of them (and admins, by a policy the accounts app
adds, since roles are its business). No policy allows UPDATE or DELETE, and the application role
is not even granted them (``loom db_roles``), so both fail.
"""

from django.db import migrations

from loom.core.rls_migrations import EnableRLS, InstallRlsFunctions, Policy, owner


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0001_initial"),
    ]

    operations = [
        InstallRlsFunctions(),
        EnableRLS(
            "core_auditlog",
            policies=[
                Policy("append", command="INSERT", with_check="true"),
                Policy("actor_read", command="SELECT", using=owner("actor_id")),
            ],
            system="SELECT",
        ),
    ]
