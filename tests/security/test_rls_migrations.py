"""The migration helper that apps use to declare row-level security."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.db.migrations.writer import MigrationWriter

from loom.core.rls_migrations import AddPolicy, EnableRLS, Policy, RemovePolicy, owner


class _RecordingEditor:
    """Stands in for a schema editor of another database vendor."""

    def __init__(self, vendor: str) -> None:
        self.connection = SimpleNamespace(vendor=vendor, alias="default")
        self.executed: list[str] = []

    def execute(self, sql: str, params: Any = None) -> None:
        self.executed.append(sql)

    @staticmethod
    def quote_name(name: str) -> str:
        return f'"{name}"'


def test_operations_do_nothing_outside_postgresql() -> None:
    editor = _RecordingEditor("sqlite")
    operation = EnableRLS("journal_entry", using=owner("author_id"))
    operation.database_forwards("journal", editor, None, None)
    operation.database_backwards("journal", editor, None, None)
    assert editor.executed == []


def test_enable_rls_enables_forces_and_adds_the_system_policy() -> None:
    editor = _RecordingEditor("postgresql")
    EnableRLS(
        "journal_entry",
        policies=[
            Policy("owner", using=owner("author_id")),
            Policy("coach_read", command="SELECT", using="true"),
        ],
    ).database_forwards("journal", editor, None, None)
    assert editor.executed == [
        'ALTER TABLE "journal_entry" ENABLE ROW LEVEL SECURITY',
        'ALTER TABLE "journal_entry" FORCE ROW LEVEL SECURITY',
        'CREATE POLICY "owner" ON "journal_entry" AS PERMISSIVE FOR ALL USING (author_id = loom_current_user_id())',
        'CREATE POLICY "coach_read" ON "journal_entry" AS PERMISSIVE FOR SELECT USING (true)',
        'CREATE POLICY "system" ON "journal_entry" AS PERMISSIVE FOR ALL '
        "USING (loom_is_system()) WITH CHECK (loom_is_system())",
    ]


@pytest.mark.parametrize(
    "build",
    [
        lambda: Policy("Bad Name", using="true"),
        lambda: Policy("p", using="true", command="TRUNCATE"),
        lambda: Policy("p", using="true", command="INSERT"),
        lambda: Policy("p", with_check="true", command="SELECT"),
        lambda: Policy("p"),
        lambda: owner("user_id; DROP TABLE x"),
        lambda: EnableRLS("t", system=None),
        lambda: EnableRLS("t", using="true", policies=[Policy("access", using="true")]),
        lambda: EnableRLS('t"; DROP', using="true"),
    ],
)
def test_mistakes_in_a_declaration_fail_when_the_migration_loads(build: Any) -> None:
    with pytest.raises(ValueError):
        build()


def test_operations_serialize_for_squashed_migrations() -> None:
    operation = EnableRLS("t", policies=[Policy("owner", using=owner())], system="SELECT")
    text, imports = MigrationWriter.serialize(operation)
    assert "loom.core.rls_migrations.Policy(" in text
    assert "import loom.core.rls_migrations" in imports


@pytest.mark.postgres
def test_operations_apply_and_reverse_on_postgresql(db: None) -> None:
    table = "h3_rls_probe"
    add = AddPolicy(table, Policy("extra", command="SELECT", using="false"))
    enable = EnableRLS(table, using=owner())

    def state() -> tuple[bool, bool, set[str]]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relrowsecurity, relforcerowsecurity FROM pg_class WHERE relname = %s",
                [table],
            )
            enabled, forced = cursor.fetchone()
            cursor.execute("SELECT policyname FROM pg_policies WHERE tablename = %s", [table])
            return enabled, forced, {row[0] for row in cursor.fetchall()}

    with connection.schema_editor() as editor:
        editor.execute(f"CREATE TABLE {table} (id bigint PRIMARY KEY, user_id bigint)")
        enable.database_forwards("core", editor, None, None)
        add.database_forwards("core", editor, None, None)
    assert state() == (True, True, {"access", "system", "extra"})
    with connection.schema_editor() as editor:
        RemovePolicy(table, add.policy).database_forwards("core", editor, None, None)
    assert state() == (True, True, {"access", "system"})
    with connection.schema_editor() as editor:
        enable.database_backwards("core", editor, None, None)
    assert state() == (False, False, set())
