"""``loom db_roles``: create or update the PostgreSQL role the application runs as.

The application must not run as the owner of its tables (owners can drop policies
and, without FORCE, bypass them), nor as a superuser or a BYPASSRLS role. This
command, run as the owner (the role that runs ``migrate``), makes sure that:

* the application role exists, with none of SUPERUSER, BYPASSRLS, CREATEDB,
  CREATEROLE, REPLICATION; created NOLOGIN (used through ``SET ROLE``, see
  ``DATABASE_APP_ROLE``) or, with ``--login``, made LOGIN with the password from
  ``DATABASE_APP_PASSWORD`` (or the file named by ``DATABASE_APP_PASSWORD_FILE``),
  sent only as a SCRAM verifier computed here, never as clear text. Without
  ``--login`` an existing role's LOGIN attribute and password are left alone;
* it owns no table, and may SELECT, INSERT, UPDATE, DELETE every table in the schema
  and use its sequences — except the append-only tables (the audit log), where it
  may only SELECT and INSERT; it never gets TRUNCATE, which ignores row-level security;
* tables created later by the owner get the same grants (default privileges), so
  re-running the command after ``migrate`` is only needed to re-apply the
  append-only restriction to new append-only tables.

``--check`` changes nothing and exits non-zero if any of this does not hold, also
listing tables with row-level security that is not both enabled and forced.
Idempotent: safe to run on every deployment. See docs/runbooks/database-roles.md.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections, transaction
from psycopg import sql

from loom.core.models import AuditLog
from loom.core.rls import app_role

DEFAULT_ROLE = "loom_app"
PASSWORD_ENV = "DATABASE_APP_PASSWORD"  # noqa: S105 (a variable name)
_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
ELEVATED = ("SUPERUSER", "BYPASSRLS", "CREATEDB", "CREATEROLE", "REPLICATION")


def append_only_tables() -> list[str]:
    """Tables the application may add rows to and read, but never change."""
    return [AuditLog._meta.db_table]


def _password_from_env(name: str) -> str:
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text(encoding="utf-8").strip()
    return os.environ.get(name, "")


class Command(BaseCommand):
    help = (
        "Create or update the PostgreSQL application role and its grants (run as the table owner)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--role",
            default="",
            help=f"Role name (default: DATABASE_APP_ROLE, else {DEFAULT_ROLE}).",
        )
        parser.add_argument(
            "--login",
            action="store_true",
            help=f"Make it a LOGIN role with the password from {PASSWORD_ENV} (or {PASSWORD_ENV}_FILE).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Change nothing; report problems and exit 1."
        )
        parser.add_argument(
            "--database", default="default", help="Database alias (default: default)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"] or settings.DATABASE_APP_ROLE or DEFAULT_ROLE
        if not _ROLE_NAME.match(role):
            raise CommandError(f"Invalid role name {role!r}: use lower-case letters, digits and _.")
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            self.stdout.write(f"Nothing to do: the {connection.vendor} database has no roles.")
            return
        connection.ensure_connection()
        with connection.cursor() as cursor:
            # In the SET ROLE setup this connection may already be the application role.
            cursor.execute("RESET ROLE")
        try:
            self._handle(connection, role, options)
        finally:
            switch_back = app_role()
            if switch_back:
                with connection.cursor() as cursor:
                    cursor.execute(
                        sql.SQL("SET ROLE {}")
                        .format(sql.Identifier(switch_back))
                        .as_string(connection.connection)
                    )

    def _handle(self, connection: Any, role: str, options: dict[str, Any]) -> None:
        if options["check"]:
            problems = self.check_role(connection, role)
            for problem in problems:
                self.stderr.write(f"PROBLEM: {problem}")
            if problems:
                raise CommandError(f"{len(problems)} problem(s) with role {role}.")
            self.stdout.write(self.style.SUCCESS(f"Role {role} is set up correctly."))
            return
        password = ""
        if options["login"]:
            password = _password_from_env(PASSWORD_ENV)
            if not password:
                raise CommandError(
                    f"--login needs a password in {PASSWORD_ENV} or {PASSWORD_ENV}_FILE."
                )
        with transaction.atomic(using=connection.alias):
            self.apply(connection, role, login=options["login"], password=password)
        problems = self.check_role(connection, role)
        if problems:
            raise CommandError("; ".join(problems))
        self.stdout.write(
            self.style.SUCCESS(f"Role {role} is set up: DML on tables, append-only audit log.")
        )

    # --- changes ---------------------------------------------------------------------

    def apply(self, connection: Any, role: str, *, login: bool, password: str) -> None:
        ident = sql.Identifier(role)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_schema(), current_database()")
            owner, schema, database = cursor.fetchone()
            if owner == role:
                raise CommandError(f"Run this as the table owner, not as {role} itself.")
            schema_ident = sql.Identifier(schema)
            raw = connection.connection

            # Two processes may race to create the role (parallel test databases share
            # the cluster); the loser's error is swallowed inside the DO block.
            create = sql.SQL(
                "DO $$ BEGIN CREATE ROLE {} NOLOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB "
                "NOCREATEROLE NOREPLICATION; "
                "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
            ).format(ident)
            cursor.execute(create.as_string(raw))

            cursor.execute(
                "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication, rolcanlogin "
                "FROM pg_roles WHERE rolname = %s",
                [role],
            )
            attributes = cursor.fetchone()
            # Name only the attributes that change: a non-superuser owner may not
            # even mention SUPERUSER, BYPASSRLS or REPLICATION, and concurrent ALTERs
            # of one role fail with "tuple concurrently updated".
            changes: list[sql.Composable] = [
                sql.SQL(f"NO{name}")
                for flag, name in zip(attributes[:5], ELEVATED, strict=True)
                if flag
            ]
            # Without --login an existing role keeps its LOGIN attribute: a routine
            # re-run must not lock out an application that logs in as this role.
            if login and not attributes[5]:
                changes.append(sql.SQL("LOGIN"))
            if login:
                verifier = raw.pgconn.encrypt_password(password.encode(), role.encode())
                changes.append(sql.SQL("PASSWORD {}").format(sql.Literal(verifier.decode())))
            if changes:
                statement = sql.SQL("ALTER ROLE {} {}").format(ident, sql.SQL(" ").join(changes))
                cursor.execute(statement.as_string(raw))

            # SET ROLE needs membership; superusers need none. PostgreSQL 16 split the
            # right to SET ROLE from membership (a CREATEROLE creator is a member
            # without it), so ask for that right there.
            cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cursor.fetchone()[0]:
                pg16 = connection.pg_version >= 160000
                cursor.execute(
                    "SELECT pg_has_role(current_user, %s, %s)", [role, "SET" if pg16 else "MEMBER"]
                )
                if not cursor.fetchone()[0]:
                    grant = (
                        "GRANT {} TO CURRENT_USER WITH SET TRUE"
                        if pg16
                        else "GRANT {} TO CURRENT_USER"
                    )
                    cursor.execute(sql.SQL(grant).format(ident).as_string(raw))

            grants = [
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                    sql.Identifier(database), ident
                ),
                sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema_ident, ident),
                sql.SQL(
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {} TO {}"
                ).format(schema_ident, ident),
                # TRUNCATE ignores row-level security; the rest are never needed.
                sql.SQL(
                    "REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {} FROM {}"
                ).format(schema_ident, ident),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {} TO {}").format(
                    schema_ident, ident
                ),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} "
                    "GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {}"
                ).format(sql.Identifier(owner), schema_ident, ident),
                sql.SQL(
                    "ALTER DEFAULT PRIVILEGES FOR ROLE {} IN SCHEMA {} GRANT USAGE, SELECT ON SEQUENCES TO {}"
                ).format(sql.Identifier(owner), schema_ident, ident),
            ]
            for table in self._existing(cursor, schema, append_only_tables()):
                grants.append(
                    sql.SQL("REVOKE UPDATE, DELETE ON {} FROM {}").format(
                        sql.Identifier(schema, table), ident
                    )
                )
            for statement in grants:
                cursor.execute(statement.as_string(raw))

    @staticmethod
    def _existing(cursor: Any, schema: str, tables: list[str]) -> list[str]:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename = ANY(%s)",
            [schema, tables],
        )
        return sorted(row[0] for row in cursor.fetchall())

    # --- verification ------------------------------------------------------------------

    def check_role(self, connection: Any, role: str) -> list[str]:
        """Everything that is wrong with ``role``'s attributes and grants (empty when none)."""
        problems: list[str] = []
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT rolsuper, rolbypassrls, rolcreatedb, rolcreaterole, rolreplication "
                "FROM pg_roles WHERE rolname = %s",
                [role],
            )
            row = cursor.fetchone()
            if row is None:
                return [f"role {role} does not exist (run `loom db_roles`)"]
            for flag, name in zip(row, ELEVATED, strict=True):
                if flag:
                    problems.append(f"role {role} has {name}")
            cursor.execute("SELECT current_schema()")
            schema = cursor.fetchone()[0]
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'S') "
                "AND pg_get_userbyid(c.relowner) = %s",
                [schema, role],
            )
            problems += [f"role {role} owns {name}" for (name,) in cursor.fetchall()]
            append_only = set(append_only_tables())
            cursor.execute(
                "SELECT tablename, has_table_privilege(%s, format('%%I.%%I', schemaname, tablename), 'SELECT'), "
                "has_table_privilege(%s, format('%%I.%%I', schemaname, tablename), 'INSERT'), "
                "has_table_privilege(%s, format('%%I.%%I', schemaname, tablename), 'UPDATE'), "
                "has_table_privilege(%s, format('%%I.%%I', schemaname, tablename), 'DELETE'), "
                "has_table_privilege(%s, format('%%I.%%I', schemaname, tablename), 'TRUNCATE') "
                "FROM pg_tables WHERE schemaname = %s ORDER BY tablename",
                [role, role, role, role, role, schema],
            )
            for (
                table,
                can_select,
                can_insert,
                can_update,
                can_delete,
                can_truncate,
            ) in cursor.fetchall():
                if can_truncate:
                    problems.append(f"{role} may TRUNCATE {table}")
                if not (can_select and can_insert):
                    problems.append(f"{role} may not SELECT and INSERT {table}")
                if table in append_only:
                    if can_update or can_delete:
                        problems.append(f"{role} may UPDATE or DELETE the append-only {table}")
                elif not (can_update and can_delete):
                    problems.append(f"{role} may not UPDATE and DELETE {table}")
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relkind = 'r' AND c.relrowsecurity <> c.relforcerowsecurity",
                [schema],
            )
            problems += [
                f"row-level security on {name} is enabled but not forced, or forced but not enabled"
                for (name,) in cursor.fetchall()
            ]
        return problems
