"""Active admins may read the operational accounts tables (the Django admin, support).

Roster links, invitations, onboarding progress and consent records are metadata an
operator needs to answer "why can't this client see their coach?" or "when did they
accept the terms?". Read only: every change still goes through the services as the
coach, the client or the system. The invitation's personal note and token hash are
in the row, but the Django admin never shows them (loom.core.admin.PrivacyAwareAdmin).

Client profiles (intake answers), SMS codes and coach profiles get no admin policy.
"""

from django.db import migrations

from loom.core.rls_migrations import ACTIVE_ADMIN, AddPolicy, Policy

class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_crisis_signal_row_level_security"),
    ]

    operations = [
        AddPolicy(table, Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN))
        for table in (
            "accounts_coachclient",
            "accounts_invitation",
            "accounts_onboarding",
            "accounts_consentrecord",
        )
    ]
