"""Row-level security and encryption at rest of the journal and wellbeing tables,
proven with raw SQL as the application role (PostgreSQL tier).

Nothing from the application runs between the test and the database (``raw_as``): the
policies of journal 0002, wellbeing 0002 and accounts 0005 alone decide.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from loom.accounts.models import CoachClient, CrisisSignal
from loom.core.context import system_context
from loom.core.crypto import encrypt_bytes
from loom.journal.models import Comment, Entry, Intention
from loom.wellbeing.models import CheckIn, Goal, Milestone, SharingPreference
from tests.security.conftest import raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres

TABLES = [
    "journal_entry",
    "journal_comment",
    "journal_intention",
    "journal_prompt",
    "wellbeing_checkin",
    "wellbeing_sharingpreference",
    "wellbeing_goal",
    "wellbeing_milestone",
    "wellbeing_goalactionitem",
    "accounts_crisissignal",
]

BODY = "Avi's secret body text about the lake"
NOTE = "Avi's secret check-in note"
GOAL = "Avi's secret goal title"
VOICE = b"AVI-SECRET-VOICE-BYTES-0123456789"


def _avi(world: World, *, audio_root: Path | None = None) -> dict[str, Any]:
    """Avi's rows: an unshared entry, a shared one, an intention, a check-in, a goal."""
    with system_context():
        private = Entry(author=world.avi, written_on=dt.date(2026, 11, 1), body=BODY)
        if audio_root is not None:
            private.audio.save("x.bin", ContentFile(encrypt_bytes(VOICE)), save=False)
        private.save()
        shared = Entry.objects.create(
            author=world.avi,
            written_on=dt.date(2026, 11, 2),
            body="shared body",
            shared_with=world.dana,
            shared_at=timezone.now(),
        )
        Comment.objects.create(entry=shared, author=world.dana, body="coach comment")
        Intention.objects.create(client=world.avi, day=dt.date(2026, 11, 1), text="intend")
        now = timezone.now()
        checkin = CheckIn.objects.create(
            client=world.avi,
            occurred_at=now,
            timezone="Asia/Jerusalem",
            local_date=now.date(),
            local_hour=9,
            pleasantness=5,
            energy=5,
            note=NOTE,
        )
        goal = Goal.objects.create(client=world.avi, title=GOAL)
        Milestone.objects.create(goal=goal, title="step one")
        CrisisSignal.objects.create(
            client=world.avi,
            source="journal_entry",
            source_id=private.pk,
            severity="high",
            matched=["en.intent"],
            language="en",
        )
    return {"private": private, "shared": shared, "checkin": checkin, "goal": goal}


def test_every_wellbeing_table_has_rls_forced(db: None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [TABLES],
        )
        assert {row[0] for row in cursor.fetchall()} == set(TABLES)


def test_another_client_reads_nothing_of_avis(app_role: str, world: World) -> None:
    _avi(world)
    for person in (world.noa, world.maya):
        with raw_as(person.pk) as cursor:
            for table, column in (
                ("journal_entry", "author_id"),
                ("journal_intention", "client_id"),
                ("wellbeing_checkin", "client_id"),
                ("wellbeing_goal", "client_id"),
            ):
                query = f"SELECT id FROM {table} WHERE {column} = %s"  # noqa: S608
                assert rows(cursor, query, [world.avi.pk]) == []
            assert rows(cursor, "SELECT id FROM journal_comment") == []
            assert rows(cursor, "SELECT id FROM wellbeing_milestone") == []


def test_nobody_acting_reads_nothing(app_role: str, world: World) -> None:
    _avi(world)
    with raw_as(None) as cursor:
        for table in TABLES:
            assert rows(cursor, f"SELECT id FROM {table}") == [], table  # noqa: S608


def test_avi_reads_his_own(app_role: str, world: World) -> None:
    made = _avi(world)
    with raw_as(world.avi.pk) as cursor:
        assert set(rows(cursor, "SELECT id FROM journal_entry")) == {
            made["private"].pk,
            made["shared"].pk,
        }
        assert rows(cursor, "SELECT id FROM wellbeing_checkin") == [made["checkin"].pk]
        # Crisis signals are for admins only: not even the client reads them.
        assert rows(cursor, "SELECT id FROM accounts_crisissignal") == []


def test_coach_reads_only_shared_entries_until_unshared_or_archived(
    app_role: str, world: World
) -> None:
    made = _avi(world)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT id FROM journal_entry") == [made["shared"].pk]
        assert (
            rows(cursor, "SELECT id FROM journal_entry WHERE id = %s", [made["private"].pk]) == []
        )
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, "SELECT id FROM journal_entry") == []
    # Archiving the client closes it at once.
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED, archived_at=timezone.now()
    )
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT id FROM journal_entry") == []
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ACTIVE, archived_at=None
    )
    # Un-sharing closes it too.
    with system_context():
        Entry.objects.filter(pk=made["shared"].pk).update(shared_with=None, shared_at=None)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT id FROM journal_entry") == []


def test_coach_reads_checkins_only_when_shared(app_role: str, world: World) -> None:
    made = _avi(world)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT id FROM wellbeing_checkin") == []
    with system_context():
        SharingPreference.objects.create(client=world.avi, share_checkins=True)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT id FROM wellbeing_checkin") == [made["checkin"].pk]
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, "SELECT id FROM wellbeing_checkin") == []


def test_a_client_cannot_forge_a_crisis_signal(app_role: str, world: World) -> None:
    import psycopg

    with raw_as(world.avi.pk) as cursor, pytest.raises(psycopg.errors.InsufficientPrivilege):
        cursor.execute(
            "INSERT INTO accounts_crisissignal (client_id, source, source_id, severity, matched, "
            "language, detected_at, coaches_notified, consent, review_note) "
            "VALUES (%s, 'checkin', 1, 'high', '[]', 'en', now(), 0, false, '')",
            [world.avi.pk],
        )


def test_admin_reads_crisis_signals(app_role: str, world: World) -> None:
    _avi(world)
    with raw_as(world.admin.pk) as cursor:
        assert len(rows(cursor, "SELECT id FROM accounts_crisissignal")) == 1


def test_sensitive_text_is_ciphertext_in_the_database(app_role: str, world: World) -> None:
    made = _avi(world)
    with raw_as(world.avi.pk) as cursor:
        (body,) = rows(cursor, "SELECT body FROM journal_entry WHERE id = %s", [made["private"].pk])
        (note,) = rows(
            cursor, "SELECT note FROM wellbeing_checkin WHERE id = %s", [made["checkin"].pk]
        )
        (title,) = rows(cursor, "SELECT title FROM wellbeing_goal WHERE id = %s", [made["goal"].pk])
    for stored, plain in ((body, BODY), (note, NOTE), (title, GOAL)):
        assert stored.startswith("enc1:")
        assert plain not in stored and "secret" not in stored


def test_audio_file_on_disk_holds_no_plaintext(
    app_role: str, world: World, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    made = _avi(world, audio_root=tmp_path)
    on_disk = (tmp_path / made["private"].audio.name).read_bytes()
    assert on_disk.startswith(b"loomenc1:")
    assert VOICE not in on_disk
    assert b"AVI-SECRET" not in on_disk
