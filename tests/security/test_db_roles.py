"""``loom db_roles``: the application role and its grants.

Role and grant changes are transactional in PostgreSQL, so everything these tests
change is rolled back with the test's transaction.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

pytestmark = pytest.mark.postgres


def _scram_matches(verifier: str, password: str) -> bool:
    """Check a SCRAM-SHA-256 verifier (RFC 5802/7677) against a password."""
    method, rest = verifier.split("$", 1)
    iterations_salt, keys = rest.split("$")
    iterations, salt = iterations_salt.split(":")
    stored_key, server_key = keys.split(":")
    salted = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), base64.b64decode(salt), int(iterations)
    )
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    return (
        method == "SCRAM-SHA-256"
        and base64.b64encode(hashlib.sha256(client_key).digest()).decode() == stored_key
        and base64.b64encode(hmac.new(salted, b"Server Key", "sha256").digest()).decode()
        == server_key
    )


def _role(name: str) -> tuple[bool, bool, bool, str | None]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolcanlogin, rolpassword FROM pg_authid WHERE rolname = %s",
            [name],
        )
        return cursor.fetchone()


def test_creates_a_login_role_with_only_a_scram_verifier_of_the_password(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_APP_PASSWORD", "a long and secret passphrase")
    call_command("db_roles", role="loom_h3_login_probe", login=True, stdout=StringIO())
    superuser, bypassrls, can_login, verifier = _role("loom_h3_login_probe")
    assert (superuser, bypassrls, can_login) == (False, False, True)
    assert verifier is not None
    assert "a long and secret passphrase" not in verifier
    assert _scram_matches(verifier, "a long and secret passphrase")
    assert not _scram_matches(verifier, "another passphrase")


def test_a_routine_rerun_keeps_a_login_role_able_to_log_in(
    db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_APP_PASSWORD", "a long and secret passphrase")
    call_command("db_roles", role="loom_h3_login_probe", login=True, stdout=StringIO())
    call_command("db_roles", role="loom_h3_login_probe", stdout=StringIO())
    _, _, can_login, verifier = _role("loom_h3_login_probe")
    assert can_login
    assert verifier is not None
    assert _scram_matches(verifier, "a long and secret passphrase")


def test_login_without_a_password_is_refused(db: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_APP_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DATABASE_APP_PASSWORD"):
        call_command("db_roles", role="loom_h3_login_probe", login=True, stdout=StringIO())


def test_an_elevated_role_is_brought_down_to_plain_dml(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute("CREATE ROLE loom_h3_elevated BYPASSRLS CREATEDB")
        cursor.execute("GRANT TRUNCATE ON core_auditlog TO loom_h3_elevated")
    out = StringIO()
    call_command("db_roles", role="loom_h3_elevated", stdout=out)
    assert _role("loom_h3_elevated")[:3] == (False, False, False)
    call_command("db_roles", role="loom_h3_elevated", check=True, stdout=out)
    assert "set up correctly" in out.getvalue()


def test_check_reports_a_role_that_may_rewrite_the_audit_log(db: None) -> None:
    call_command("db_roles", role="loom_h3_check_probe", stdout=StringIO())
    with connection.cursor() as cursor:
        cursor.execute("GRANT UPDATE ON core_auditlog TO loom_h3_check_probe")
    errors = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command(
            "db_roles", role="loom_h3_check_probe", check=True, stdout=StringIO(), stderr=errors
        )
    assert "append-only core_auditlog" in errors.getvalue()


def test_check_reports_a_missing_role(db: None) -> None:
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "db_roles", role="loom_h3_missing", check=True, stdout=StringIO(), stderr=errors
        )
    assert "does not exist" in errors.getvalue()


def test_refuses_a_role_name_that_is_not_a_plain_identifier(db: None) -> None:
    with pytest.raises(CommandError, match="Invalid role name"):
        call_command("db_roles", role='x"; DROP TABLE core_auditlog; --', stdout=StringIO())
