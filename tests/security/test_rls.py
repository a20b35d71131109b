"""Row-level security on PostgreSQL (DESIGN.md rule 1), proven as the application role.

Most tests use raw SQL through the driver (``raw_as``): ``SET LOCAL ROLE loom_app``
and ``set_config('app.user_id', …, true)``, nothing from the application in between,
so they prove what the database itself enforces. The last tests run the real
application with its connections switched to the application role.
"""

from __future__ import annotations

from datetime import timedelta

import psycopg
import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loom.accounts.models import (
    ClientProfile,
    CoachClient,
    CoachProfile,
    ConsentRecord,
    Invitation,
    Onboarding,
    SmsCode,
    User,
)
from loom.core.audit import audit_record
from loom.core.context import acting_as, acting_user_var, system_context
from loom.core.models import AuditLog
from tests.conftest import signed_in
from tests.security.conftest import APP_ROLE, application_connections, raw_as, rows
from tests.world import PASSWORD, World

pytestmark = pytest.mark.postgres

PERSONAL_TABLES = [
    "accounts_clientprofile",
    "accounts_coachprofile",
    "accounts_coachclient",
    "accounts_invitation",
    "accounts_onboarding",
    "accounts_consentrecord",
    "accounts_smscode",
    "core_auditlog",
]


def _personal_data(world: World) -> dict[str, Invitation]:
    """Rows for every person in every table, so each table has something to leak."""
    now = timezone.now()
    for user in (world.avi, world.noa, world.maya, world.dana, world.eli):
        ConsentRecord.objects.create(user=user, document="terms", version="2026-01")
        SmsCode.objects.create(
            user=user, purpose="verify_phone", phone="+15550100", code_hash="x" * 64, expires_at=now
        )
        audit_record(action="test.event", actor=user, target=user)
    audit_record(action="auth.sign_in_failed", details={"email": "someone@example.com"})
    invitations = {
        "dana": Invitation.objects.create(
            coach=world.dana,
            email="new@example.com",
            token_hash="d" * 64,
            expires_at=now + timedelta(days=7),
        ),
        "eli": Invitation.objects.create(
            coach=world.eli,
            email="maya@example.com",
            token_hash="e" * 64,
            expires_at=now + timedelta(days=7),
            accepted_at=now,
            accepted_by=world.maya,
        ),
    }
    return invitations


def _user_ids(cursor: object, table: str, column: str = "user_id") -> set[int]:
    return set(rows(cursor, f"SELECT {column} FROM {table}"))  # noqa: S608 (fixed names)


def test_every_personal_table_has_row_level_security_enabled_and_forced(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relrowsecurity AND relforcerowsecurity",
            [PERSONAL_TABLES],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert protected == set(PERSONAL_TABLES)


def test_application_role_is_neither_superuser_nor_bypassrls_nor_owner(
    app_role: str, db: None
) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [app_role])
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE tableowner = %s AND tablename = ANY(%s)",
            [app_role, PERSONAL_TABLES],
        )
        assert cursor.fetchone() == (0,)


@pytest.mark.parametrize("setting", [None, "", "0", "-1", "abc", "1 OR true", "System", " system"])
def test_nobody_acting_sees_no_rows(app_role: str, world: World, setting: str | None) -> None:
    _personal_data(world)
    with raw_as(setting) as cursor:
        for table in PERSONAL_TABLES:
            assert rows(cursor, f"SELECT count(*) FROM {table}") == [0], table  # noqa: S608


def test_client_sees_only_own_rows_in_every_table(app_role: str, world: World) -> None:
    invitations = _personal_data(world)
    avi = world.avi.pk
    with raw_as(avi) as cursor:
        assert _user_ids(cursor, "accounts_clientprofile") == {avi}
        assert _user_ids(cursor, "accounts_onboarding") == {avi}
        assert _user_ids(cursor, "accounts_consentrecord") == {avi}
        assert _user_ids(cursor, "accounts_smscode") == {avi}
        assert _user_ids(cursor, "core_auditlog", "actor_id") == {avi}
        assert set(rows(cursor, "SELECT coach_id, client_id FROM accounts_coachclient")) == {
            (world.dana.pk, avi)
        }
        # Avi's own coach's profile, and no other coach's.
        assert _user_ids(cursor, "accounts_coachprofile") == {world.dana.pk}
        assert rows(cursor, "SELECT id FROM accounts_invitation") == []
    with raw_as(world.maya.pk) as cursor:
        # The invitation Maya accepted is hers to read; Dana's open one is not.
        assert rows(cursor, "SELECT id FROM accounts_invitation") == [invitations["eli"].pk]
        assert _user_ids(cursor, "accounts_clientprofile") == {world.maya.pk}


def test_coach_sees_own_clients_profiles_but_not_another_coachs(
    app_role: str, world: World
) -> None:
    invitations = _personal_data(world)
    with raw_as(world.dana.pk) as cursor:
        assert _user_ids(cursor, "accounts_clientprofile") == {world.avi.pk, world.noa.pk}
        assert _user_ids(cursor, "accounts_coachprofile") == {world.dana.pk}
        assert _user_ids(cursor, "accounts_coachclient", "client_id") == {
            world.avi.pk,
            world.noa.pk,
        }
        assert rows(cursor, "SELECT id FROM accounts_invitation") == [invitations["dana"].pk]
        # Her clients' onboarding, consents and codes stay theirs.
        assert _user_ids(cursor, "accounts_onboarding") == {world.dana.pk}
        assert _user_ids(cursor, "accounts_consentrecord") == {world.dana.pk}
    with raw_as(world.eli.pk) as cursor:
        assert _user_ids(cursor, "accounts_clientprofile") == {world.maya.pk}
        assert rows(cursor, "SELECT id FROM accounts_invitation") == [invitations["eli"].pk]


def test_coach_no_longer_sees_an_archived_clients_profile(app_role: str, world: World) -> None:
    CoachClient.objects.filter(coach=world.dana, client=world.noa).update(
        status=CoachClient.Status.ARCHIVED, archived_at=timezone.now()
    )
    with raw_as(world.dana.pk) as cursor:
        assert _user_ids(cursor, "accounts_clientprofile") == {world.avi.pk}
        # The link itself stays on her roster, so she can restore it.
        assert _user_ids(cursor, "accounts_coachclient", "client_id") == {
            world.avi.pk,
            world.noa.pk,
        }


def test_writes_to_other_peoples_rows_change_nothing_or_fail(app_role: str, world: World) -> None:
    with raw_as(world.avi.pk) as cursor:
        cursor.execute(
            "UPDATE accounts_clientprofile SET goals = 'x' WHERE user_id = %s", [world.maya.pk]
        )
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM accounts_onboarding WHERE user_id = %s", [world.maya.pk])
        assert cursor.rowcount == 0
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            cursor.execute(
                "INSERT INTO accounts_consentrecord (user_id, document, version, accepted_at) "
                "VALUES (%s, 'terms', 'v9', now())",
                [world.maya.pk],
            )
    # A client cannot put themselves on a coach's roster…
    denied = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
    with raw_as(world.avi.pk) as cursor, denied:
        cursor.execute(
            "INSERT INTO accounts_coachclient (coach_id, client_id, status, created_at, updated_at) "
            "VALUES (%s, %s, 'active', now(), now())",
            [world.eli.pk, world.avi.pk],
        )
    # …nor can a coach move a client link to another coach, or edit a client's intake.
    denied = pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security")
    with raw_as(world.dana.pk) as cursor, denied:
        cursor.execute("UPDATE accounts_coachclient SET coach_id = %s", [world.eli.pk])
    with raw_as(world.dana.pk) as cursor:
        cursor.execute("UPDATE accounts_clientprofile SET goals = 'x'")
        assert cursor.rowcount == 0
    assert set(ClientProfile.objects.values_list("goals", flat=True)) == {""}


def test_system_context_sees_every_row(app_role: str, world: World) -> None:
    _personal_data(world)
    with connection.cursor() as cursor:
        totals = {}
        for table in PERSONAL_TABLES:
            cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            totals[table] = cursor.fetchone()[0]
    assert all(totals.values())
    with raw_as("system") as cursor:
        for table in PERSONAL_TABLES:
            assert rows(cursor, f"SELECT count(*) FROM {table}") == [totals[table]], table  # noqa: S608


def test_audit_log_is_append_only_for_the_application_role(app_role: str, world: World) -> None:
    audit_record(action="test.event", actor=world.avi, target=world.avi)
    for acting in (world.avi.pk, "system", None):
        with raw_as(acting) as cursor:
            # Anyone may append, including nobody (a failed sign-in has no actor).
            cursor.execute(
                "INSERT INTO core_auditlog (occurred_at, actor_id, action, target_type, target_id, "
                "request_id, details) VALUES (now(), NULL, 'auth.sign_in_failed', '', '', '', '{}')"
            )
        for statement in (
            "UPDATE core_auditlog SET action = 'tampered'",
            "DELETE FROM core_auditlog",
            "TRUNCATE core_auditlog",
        ):
            with raw_as(acting) as cursor, pytest.raises(psycopg.errors.InsufficientPrivilege):
                cursor.execute(statement)
    assert list(AuditLog.objects.values_list("action", flat=True)) == ["test.event"]


def test_admins_read_the_whole_audit_log_but_no_ones_intake(app_role: str, world: World) -> None:
    _personal_data(world)
    total = AuditLog.objects.count()
    with raw_as(world.admin.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM core_auditlog") == [total]
        assert _user_ids(cursor, "accounts_clientprofile") == set()
        # Roster links are operational metadata admins read (accounts 0006_admin_read).
        assert _user_ids(cursor, "accounts_coachclient", "client_id") == {
            world.avi.pk,
            world.noa.pk,
            world.maya.pk,
        }
    # A deactivated admin is back to their own rows (none here).
    User.objects.filter(pk=world.admin.pk).update(is_active=False)
    with raw_as(world.admin.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM core_auditlog") == [0]


def test_invitation_token_lookup_needs_the_system_context(app_role: str, world: World) -> None:
    invitation = _personal_data(world)["dana"]
    lookup = "SELECT id FROM accounts_invitation WHERE token_hash = %s"
    with raw_as(None) as cursor:
        assert rows(cursor, lookup, [invitation.token_hash]) == []
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, lookup, [invitation.token_hash]) == []
    with raw_as("system") as cursor:
        assert rows(cursor, lookup, [invitation.token_hash]) == [invitation.pk]


# --- The application hook: app.user_id follows the acting user ------------------------------


def _setting() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.user_id', true)")
        return str(cursor.fetchone()[0] or "")


def test_setting_follows_the_acting_user_in_autocommit(transactional_db: None) -> None:
    assert connection.get_autocommit()
    assert _setting() == ""
    with acting_as(42):
        assert _setting() == "42"
        with system_context():
            assert _setting() == "system"
        assert _setting() == "42"
    assert _setting() == ""


def test_setting_is_transaction_local_and_survives_rollbacks(transactional_db: None) -> None:
    with acting_as(7):
        assert _setting() == "7"
        with pytest.raises(RuntimeError), transaction.atomic(), acting_as(8):
            assert _setting() == "8"
            raise RuntimeError
        # The rolled-back local value is gone and the session value is in force again.
        assert _setting() == "7"
        with transaction.atomic(), acting_as(8):
            assert _setting() == "8"
        # A committed transaction-local value ends with its transaction too.
        assert _setting() == "7"
        with transaction.atomic():
            assert _setting() == "7"
            with system_context():
                assert _setting() == "system"
            # Leaving the system context inside the transaction must not keep it.
            assert _setting() == "7"
            with transaction.atomic(), acting_as(9):
                assert _setting() == "9"
            # A sign-in inside a savepoint switches the acting user without restoring
            # it (as the sign-in receiver does); the savepoint is then rolled back,
            # which undoes the value set inside it. It must be set again, not assumed.
            tokens = []
            with pytest.raises(RuntimeError), transaction.atomic():
                tokens.append(acting_user_var.set("10"))
                assert _setting() == "10"
                raise RuntimeError
            assert _setting() == "10"
            acting_user_var.reset(tokens.pop())
            assert _setting() == "7"
        with acting_as(None):
            assert _setting() == ""


def test_setting_change_costs_no_logged_query(db: None, django_assert_num_queries: object) -> None:
    # The set_config calls bypass Django's query log: counts match SQLite's.
    with django_assert_num_queries(2):  # type: ignore[operator]
        with acting_as(5):
            User.objects.count()
        with system_context():
            User.objects.count()


# --- The real application, connected as the application role ---------------------------------


def test_real_application_works_as_the_application_role(
    app_role: str, transactional_db: None
) -> None:
    world = World.build()
    with application_connections(APP_ROLE):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (APP_ROLE,)

        dana = signed_in(world.dana)
        assert dana.get("/coach/").status_code == 200
        assert dana.get("/coach/clients/").status_code == 200
        me = dana.get("/api/v1/me")
        assert me.status_code == 200
        assert me.json()["email"] == "dana@example.com"
        assert signed_in(world.avi).get("/client/").status_code == 200

        # A client's page, through the coach's getter and the profile policy; a
        # foreign client is a 404; archiving (a write under the coach_write policy)
        # hides the intake from the coach, and the page still renders without it.
        assert dana.get(f"/coach/clients/{world.avi.pk}/").status_code == 200
        assert signed_in(world.eli).get(f"/coach/clients/{world.avi.pk}/").status_code == 404
        archived = dana.post(f"/coach/clients/{world.noa.pk}/archive/")
        assert archived.status_code == 302
        assert dana.get(f"/coach/clients/{world.noa.pk}/").status_code == 200
        with acting_as(world.dana.pk):
            assert not ClientProfile.objects.filter(user=world.noa).exists()

        # Signing in through the real form: the user lookup, the session, the user
        # session record and the audit row, with nobody acting until the sign-in.
        browser = Client()
        response = browser.post(
            reverse("account_login"), {"login": "maya@example.com", "password": PASSWORD}
        )
        assert response.status_code == 302
        assert browser.get(response["Location"], follow=True).status_code == 200
        with acting_as(world.maya.pk):
            assert AuditLog.objects.filter(action="auth.sign_in", actor=world.maya).count() == 1

        # A query that forgot its filter still only returns what the acting user may see.
        with acting_as(world.avi.pk):
            assert list(ClientProfile.objects.values_list("user_id", flat=True)) == [world.avi.pk]
            assert not ClientProfile.objects.filter(user=world.maya).exists()
            assert list(CoachProfile.objects.values_list("user_id", flat=True)) == [world.dana.pk]
            assert list(Onboarding.objects.values_list("user_id", flat=True)) == [world.avi.pk]
        with acting_as(world.dana.pk):
            assert list(ClientProfile.objects.values_list("user_id", flat=True)) == [world.avi.pk]
        with acting_as(None):
            assert ClientProfile.objects.count() == 0
            assert CoachClient.objects.count() == 0
        with system_context():
            assert ClientProfile.objects.count() == 3

        # The ORM cannot rewrite history either.
        with system_context(), pytest.raises(Exception, match="permission denied"):
            AuditLog.objects.filter(pk__gt=0)._raw_delete(connection.alias)


# Tables of Loom's own apps that deliberately have no row-level security, and why.
# Every other table of a ``loom.*`` model must have it enabled and forced.
WITHOUT_RLS = {
    # Signing in must find a user by email before anyone is acting; the columns hold
    # no sensitive text (intake answers are in accounts_clientprofile, which has RLS).
    "accounts_user": "read by authentication before a user is known",
    "accounts_securitypolicy": "one site-wide row of settings, no personal data",
    # Written and read only by the worker and the admin area, in the system context.
    "accounts_smsmessagelog": "delivery log of the SMS channel, admin only",
    "core_outboxmessage": "the worker's queue, system context only",
    "core_workerheartbeat": "when each background loop last ran, no personal data",
    # Counts over everyone, computed by the worker; only admin pages read them.
    "analytics_kpivalue": "aggregate KPI figures, no one's rows",
    "analytics_rollupstate": "the rollup jobs' watermarks",
    "analytics_rolluprun": "the rollup jobs' run times",
}


def test_every_table_of_loom_has_row_level_security_unless_listed(db: None) -> None:
    tables = {
        model._meta.db_table
        for model in apps.get_models()
        if model.__module__.startswith("loom.") and model._meta.managed
    }
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [sorted(tables)],
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert tables - protected == set(WITHOUT_RLS)
