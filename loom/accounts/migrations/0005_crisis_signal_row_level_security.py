"""Row-level security on crisis signals: admins review them; nobody else reads them.

Signals are written by ``loom.accounts.safety`` in the system context (the client's
own request must not be able to forge or hide one), and hold no text of the client's.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy

ACTIVE_ADMIN = f"""EXISTS (
    SELECT 1 FROM accounts_user AS viewer
    WHERE viewer.id = {CURRENT_USER_ID}
      AND viewer.role = 'admin'
      AND viewer.is_active
)"""


class Migration(migrations.Migration):

    dependencies = [("accounts", "0004_crisis_contact_consent_and_signals")]

    operations = [
        EnableRLS(
            "accounts_crisissignal",
            policies=[
                Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN),
                Policy("admin_review", command="UPDATE", using=ACTIVE_ADMIN, with_check=ACTIVE_ADMIN),
            ],
        )
    ]
