"""Migration operations that declare row-level security (DESIGN.md rule 1).

Every app that adds a table of personal data declares its policies in a migration::

    from loom.core.rls_migrations import EnableRLS, Policy, owner

    operations = [
        EnableRLS(
            "journal_entry",
            policies=[
                Policy("owner", using=owner("author_id")),
                Policy("coach_read", command="SELECT", using="EXISTS (SELECT 1 FROM ...)"),
            ],
        ),
    ]

``EnableRLS`` enables AND forces row-level security (FORCE makes the policies bind
the table owner too) and creates the policies; a ``system`` policy is added unless
``system=None``, so background work in ``system_context()`` sees and writes every
row. Policies are permissive: a row is visible when any of them matches. Write
expressions with ``CURRENT_USER_ID`` (``loom_current_user_id()``: the acting user's
id as bigint, NULL when nobody is acting or the system is) and ``IS_SYSTEM``
(``loom_is_system()``); both read ``NULLIF(current_setting('app.user_id', true), '')``
and are created by ``InstallRlsFunctions`` in ``core.0002_row_level_security``,
which such migrations must depend on (any accounts migration from
``0003_row_level_security`` on does).

Every operation here does nothing on databases other than PostgreSQL, and each one
is reversible.
"""

from __future__ import annotations

import re
from abc import ABCMeta, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import router
from django.db.migrations.operations.base import Operation
from django.utils.deconstruct import deconstructible

CURRENT_USER_ID = "loom_current_user_id()"
IS_SYSTEM = "loom_is_system()"
COMMANDS = frozenset({"ALL", "SELECT", "INSERT", "UPDATE", "DELETE"})
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")

# The acting user as a bigint, or NULL for nobody and for the system. The regular
# expression keeps 'system' (or anything else) from reaching the cast, which would
# fail the query instead of matching nothing. Both functions are single expressions
# so the planner inlines them, and STABLE so an index on the compared column is used.
FUNCTIONS_SQL = [
    f"""
    CREATE OR REPLACE FUNCTION {CURRENT_USER_ID.removesuffix("()")}() RETURNS bigint
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT CASE
            WHEN NULLIF(current_setting('app.user_id', true), '') ~ '^[1-9][0-9]{{0,17}}$'
            THEN current_setting('app.user_id', true)::bigint
        END
    $$
    """,
    f"""
    CREATE OR REPLACE FUNCTION {IS_SYSTEM.removesuffix("()")}() RETURNS boolean
    LANGUAGE sql STABLE PARALLEL SAFE AS $$
        SELECT COALESCE(NULLIF(current_setting('app.user_id', true), '') = 'system', false)
    $$
    """,
]
FUNCTIONS_REVERSE_SQL = [
    f"DROP FUNCTION IF EXISTS {IS_SYSTEM}",
    f"DROP FUNCTION IF EXISTS {CURRENT_USER_ID}",
]


# A policy expression: the acting user is an active admin (the admin area's reads).
ACTIVE_ADMIN = f"""EXISTS (
    SELECT 1 FROM accounts_user AS viewer
    WHERE viewer.id = {CURRENT_USER_ID} AND viewer.is_active AND viewer.role = 'admin'
)"""  # noqa: S608 (fixed SQL: no input reaches it)


def owner(column: str = "user_id") -> str:
    """A policy expression: the row's ``column`` is the acting user."""
    _check_identifier(column, "column")
    return f"{column} = {CURRENT_USER_ID}"


def _check_identifier(value: str, what: str) -> None:
    if not _IDENTIFIER.match(value):
        raise ValueError(f"Invalid {what} name for a policy: {value!r}")


@deconstructible(path="loom.core.rls_migrations.Policy")
@dataclass
class Policy:
    """One permissive policy. ``using`` filters rows read, updated or deleted;
    ``with_check`` bounds rows written (defaults to ``using`` for ALL/INSERT/UPDATE)."""

    name: str
    using: str | None = None
    with_check: str | None = None
    command: str = "ALL"

    def __post_init__(self) -> None:
        _check_identifier(self.name, "policy")
        if self.command not in COMMANDS:
            raise ValueError(
                f"Policy command must be one of {sorted(COMMANDS)}, not {self.command!r}"
            )
        if self.command == "INSERT" and self.using is not None:
            raise ValueError("An INSERT policy has only with_check.")
        if self.command in {"SELECT", "DELETE"} and self.with_check is not None:
            raise ValueError(f"A {self.command} policy has only using.")
        if self.using is None and self.with_check is None:
            raise ValueError("A policy needs using or with_check.")

    def create_sql(self, table: str, quote: Any) -> str:
        parts = [
            f"CREATE POLICY {quote(self.name)} ON {quote(table)} AS PERMISSIVE FOR {self.command}"
        ]
        if self.using is not None:
            parts.append(f"USING ({self.using})")
        if self.with_check is not None:
            parts.append(f"WITH CHECK ({self.with_check})")
        return " ".join(parts)

    def drop_sql(self, table: str, quote: Any) -> str:
        return f"DROP POLICY IF EXISTS {quote(self.name)} ON {quote(table)}"


def system_policy(command: str = "ALL") -> Policy:
    """The policy that lets ``system_context()`` work span every row."""
    if command in {"SELECT", "DELETE"}:
        return Policy("system", using=IS_SYSTEM, command=command)
    if command == "INSERT":
        return Policy("system", with_check=IS_SYSTEM, command=command)
    return Policy("system", using=IS_SYSTEM, with_check=IS_SYSTEM, command=command)


class _PostgresOperation(Operation, metaclass=ABCMeta):
    """An operation that only touches the schema on PostgreSQL and leaves no state."""

    reduces_to_sql = True
    reversible = True
    elidable = False

    def __init__(self, hints: dict[str, Any] | None = None) -> None:
        self.hints = hints or {}

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    @abstractmethod
    def forwards_sql(self, quote: Any) -> list[str]:
        """The statements that apply this operation."""

    @abstractmethod
    def backwards_sql(self, quote: Any) -> list[str]:
        """The statements that undo it."""

    def _run(self, app_label: str, schema_editor: Any, statements: Iterable[str]) -> None:
        if schema_editor.connection.vendor != "postgresql":
            return
        if not router.allow_migrate(schema_editor.connection.alias, app_label, **self.hints):
            return
        for statement in statements:
            schema_editor.execute(statement, params=None)

    def database_forwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(app_label, schema_editor, self.forwards_sql(schema_editor.quote_name))

    def database_backwards(
        self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any
    ) -> None:
        self._run(app_label, schema_editor, self.backwards_sql(schema_editor.quote_name))


class InstallRlsFunctions(_PostgresOperation):
    """Creates ``loom_current_user_id()`` and ``loom_is_system()``, used by every policy."""

    def __init__(self) -> None:
        super().__init__()

    def forwards_sql(self, quote: Any) -> list[str]:
        return [" ".join(statement.split()) for statement in FUNCTIONS_SQL]

    def backwards_sql(self, quote: Any) -> list[str]:
        return list(FUNCTIONS_REVERSE_SQL)

    def describe(self) -> str:
        return "Create the row-level security functions loom_current_user_id() and loom_is_system()"

    @property
    def migration_name_fragment(self) -> str:
        return "rls_functions"


class EnableRLS(_PostgresOperation):
    """Enables and forces row-level security on ``table`` and creates its policies.

    ``using``/``with_check`` is a shorthand for one ``Policy("access", ...)`` for all
    commands; ``policies`` lists any others. ``system`` is the command the
    system-context policy covers ("ALL" by default), or ``None`` for no such policy.
    A table with no policy matching a command refuses that command to everyone but
    superusers — which is how a table is made read-only or append-only by policy.
    """

    def __init__(
        self,
        table: str,
        *,
        using: str | None = None,
        with_check: str | None = None,
        policies: Sequence[Policy] = (),
        system: str | None = "ALL",
        hints: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(hints)
        _check_identifier(table, "table")
        self.table = table
        self.using = using
        self.with_check = with_check
        self.system = system
        all_policies = list(policies)
        if using is not None or with_check is not None:
            all_policies.insert(0, Policy("access", using=using, with_check=with_check))
        if system is not None:
            all_policies.append(system_policy(system))
        names = [policy.name for policy in all_policies]
        if len(set(names)) != len(names):
            raise ValueError(f"Duplicate policy names on {table}: {names}")
        if not all_policies:
            raise ValueError(
                f"EnableRLS({table!r}) declares no policy; nobody could read the table."
            )
        self.policies = all_policies

    def forwards_sql(self, quote: Any) -> list[str]:
        table = quote(self.table)
        return [
            f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY",
            *(policy.create_sql(self.table, quote) for policy in self.policies),
        ]

    def backwards_sql(self, quote: Any) -> list[str]:
        table = quote(self.table)
        return [
            *(policy.drop_sql(self.table, quote) for policy in reversed(self.policies)),
            f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY",
            f"ALTER TABLE {table} DISABLE ROW LEVEL SECURITY",
        ]

    def describe(self) -> str:
        return (
            f"Enable and force row-level security on {self.table} ({len(self.policies)} policies)"
        )

    @property
    def migration_name_fragment(self) -> str:
        return f"rls_{self.table}"


class AddPolicy(_PostgresOperation):
    """Adds one policy to a table whose row-level security is already enabled."""

    def __init__(self, table: str, policy: Policy, hints: dict[str, Any] | None = None) -> None:
        super().__init__(hints)
        _check_identifier(table, "table")
        self.table = table
        self.policy = policy

    def forwards_sql(self, quote: Any) -> list[str]:
        return [self.policy.create_sql(self.table, quote)]

    def backwards_sql(self, quote: Any) -> list[str]:
        return [self.policy.drop_sql(self.table, quote)]

    def describe(self) -> str:
        return f"Add row-level security policy {self.policy.name} on {self.table}"

    @property
    def migration_name_fragment(self) -> str:
        return f"policy_{self.table}_{self.policy.name}"


class RemovePolicy(AddPolicy):
    """Drops a policy; give it in full so the migration can be reversed."""

    def forwards_sql(self, quote: Any) -> list[str]:
        return super().backwards_sql(quote)

    def backwards_sql(self, quote: Any) -> list[str]:
        return super().forwards_sql(quote)

    def describe(self) -> str:
        return f"Remove row-level security policy {self.policy.name} on {self.table}"

    @property
    def migration_name_fragment(self) -> str:
        return f"remove_policy_{self.table}_{self.policy.name}"
