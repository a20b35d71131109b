"""Row-level security on every accounts table that holds personal data.

Who may see and change what (``loom_current_user_id()`` is the acting user; every
table also has a ``system`` policy for ``system_context()`` work):

* client profile (intake, wellness data): the client; read by their coaches while
  the coach-client link is active;
* coach profile: the coach; read by that coach's clients (active or archived);
* coach-client link: read by either party; created, archived and restored by the coach
  (acceptance of an invitation creates it in the system context);
* invitation: the coach who sent it; read by the person who accepted it. The invitee
  follows a link before anyone is signed in, so no user id can match the row: the
  token is the permission, and the token-hash lookup runs in the system context;
* onboarding, consent records, SMS codes: the owner only;
* the audit log (core's policies: append by anyone, read your own rows) is also read
  by admins: reviewing it is their job, and the Django admin evaluates its querysets
  lazily in templates, where no ``system_context()`` could wrap them. The role lives
  in this app, so this policy is declared here.

``accounts_user`` itself is left without row-level security; docs/security.md says
why and what compensates.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, AddPolicy, EnableRLS, Policy, owner

ACTIVE_COACH_OF_CLIENT = f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.client_id = accounts_clientprofile.user_id
      AND link.coach_id = {CURRENT_USER_ID}
      AND link.status = 'active'
)"""

CLIENT_OF_COACH = f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = accounts_coachprofile.user_id
      AND link.client_id = {CURRENT_USER_ID}
)"""


ACTIVE_ADMIN = f"""EXISTS (
    SELECT 1 FROM accounts_user AS viewer
    WHERE viewer.id = {CURRENT_USER_ID}
      AND viewer.role = 'admin'
      AND viewer.is_active
)"""


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_invitation_send_window"),
        ("core", "0002_row_level_security"),
    ]

    operations = [
        EnableRLS(
            "accounts_clientprofile",
            policies=[
                Policy("owner", using=owner("user_id")),
                Policy("coach_read", command="SELECT", using=ACTIVE_COACH_OF_CLIENT),
            ],
        ),
        EnableRLS(
            "accounts_coachprofile",
            policies=[
                Policy("owner", using=owner("user_id")),
                Policy("client_read", command="SELECT", using=CLIENT_OF_COACH),
            ],
        ),
        EnableRLS(
            "accounts_coachclient",
            policies=[
                Policy("party_read", command="SELECT", using=f"{owner('coach_id')} OR {owner('client_id')}"),
                Policy("coach_write", using=owner("coach_id")),
            ],
        ),
        EnableRLS(
            "accounts_invitation",
            policies=[
                Policy("coach", using=owner("coach_id")),
                Policy("invitee_read", command="SELECT", using=owner("accepted_by_id")),
            ],
        ),
        EnableRLS("accounts_onboarding", using=owner("user_id")),
        EnableRLS("accounts_consentrecord", using=owner("user_id")),
        EnableRLS("accounts_smscode", using=owner("user_id")),
        AddPolicy("core_auditlog", Policy("admin_read", command="SELECT", using=ACTIVE_ADMIN)),
    ]
