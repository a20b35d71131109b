"""Row-level security on the analytics tables that hold a person's activity (DESIGN.md rule 1).

* Events and NPS answers: the person's own rows (their data export, deleting their
  account), every row for an active admin to read, everything for the system (the
  worker writes events in batches and computes the rollups).
* Daily activity: the person, an active admin, and a coach for the clients on their
  active roster ("last activity" on the coach's analytics).
* Exports: only their requester (and the system, which writes the file).

KPI values, rollup state and rollup runs hold no one's data (counts over everyone)
and have no row-level security; only admin pages read them.
"""

from django.db import migrations

from loom.core.rls_migrations import ACTIVE_ADMIN, CURRENT_USER_ID, EnableRLS, Policy, owner

COACH_OF_USER = f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {CURRENT_USER_ID} AND link.client_id = analytics_dailyactivity.user_id
      AND link.status = 'active'
)"""


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRLS(
            "analytics_event",
            policies=[
                Policy("owner", using=owner("user_id")),
                Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN),
            ],
        ),
        EnableRLS(
            "analytics_dailyactivity",
            policies=[
                Policy("owner_read", command="SELECT", using=owner("user_id")),
                Policy("owner_delete", command="DELETE", using=owner("user_id")),
                Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN),
                Policy("coach_read", command="SELECT", using=COACH_OF_USER),
            ],
        ),
        EnableRLS(
            "analytics_npsresponse",
            policies=[
                Policy("owner", using=owner("user_id")),
                Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN),
            ],
        ),
        EnableRLS(
            "analytics_export",
            policies=[Policy("owner", using=owner("requested_by_id"))],
        ),
    ]
