"""Export (JSON, CSV zip) and erase of a client's wellbeing data."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.core.context import system_context
from loom.core.crypto import encrypt_bytes
from loom.core.models import AuditLog
from loom.journal.models import Comment, Entry, Intention
from loom.wellbeing.export import COLUMNS, csv_cell, wellbeing_export_data
from loom.wellbeing.models import CheckIn, Goal, Milestone
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

HOSTILE = '=HYPERLINK("http://evil.example","click")'


def _data_for(world: Any, client: Any, tag: str, *, audio: bool = False) -> Entry:
    """One of everything for ``client``, every text carrying ``tag``."""
    with system_context():
        entry = Entry(
            author=client,
            written_on=dt.date(2026, 11, 1),
            title=f"{tag} title",
            body=f"{tag} body",
            emotions=["calm"],
        )
        if audio:
            entry.audio.save("a.bin", ContentFile(encrypt_bytes(b"voice")), save=False)
            entry.audio_size = 5
        entry.save()
        coach = world.dana if client in (world.avi, world.noa) else world.eli
        entry.shared_with = coach
        entry.shared_at = timezone.now()
        entry.save()
        Comment.objects.create(entry=entry, author=coach, body=f"{tag} coach comment")
        Comment.objects.create(entry=entry, author=client, body=f"{tag} my reply")
        Intention.objects.create(client=client, day=dt.date(2026, 11, 1), text=f"{tag} intention")
        now = timezone.now()
        CheckIn.objects.create(
            client=client,
            occurred_at=now,
            timezone="Asia/Jerusalem",
            local_date=now.date(),
            local_hour=9,
            pleasantness=6,
            energy=4,
            note=f"{tag} note",
            trigger=HOSTILE,
        )
        goal = Goal.objects.create(client=client, title=f"{tag} goal", why="-1+1")
        Milestone.objects.create(goal=goal, title=f"{tag} milestone")
    return entry


@pytest.fixture
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = str(tmp_path)
    return tmp_path


def test_page_explains_and_offers_downloads(world: Any) -> None:
    html = signed_in(world.avi).get(reverse("wellbeing_data:page")).content.decode()
    assert html.count("<h1") == 1
    assert reverse("wellbeing_data:export_json") in html
    assert reverse("wellbeing_data:export_csv") in html
    assert reverse("wellbeing_data:erase") in html


def test_json_export_has_everything_of_mine_and_nothing_of_others(world: Any, media: Path) -> None:
    _data_for(world, world.avi, "AVI-OWN", audio=True)
    _data_for(world, world.noa, "NOA-SECRET")
    _data_for(world, world.maya, "MAYA-SECRET")
    response = signed_in(world.avi).get(reverse("wellbeing_data:export_json"))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response.get("Cache-Control", "") or "no-cache" in response.get(
        "Cache-Control", ""
    )
    raw = response.content.decode("utf-8")
    assert "NOA-SECRET" not in raw and "MAYA-SECRET" not in raw
    document = json.loads(raw)
    assert document["format"] == 1
    assert document["journal_entries"][0]["body"] == "AVI-OWN body"  # decrypted
    assert document["journal_entries"][0]["audio_note"] is True
    assert "voice" not in raw
    bodies = {c["body"]: c["written_by_me"] for c in document["journal_comments"]}
    assert bodies == {"AVI-OWN coach comment": False, "AVI-OWN my reply": True}
    assert document["intentions"][0]["text"] == "AVI-OWN intention"
    assert document["checkins"][0]["note"] == "AVI-OWN note"
    assert document["goals"][0]["title"] == "AVI-OWN goal"
    assert document["milestones"][0]["title"] == "AVI-OWN milestone"
    with system_context():
        row = AuditLog.objects.get(action="wellbeing.exported")
    assert row.actor_id == world.avi.pk and row.details["format"] == "json"


def test_csv_zip_has_one_bom_csv_per_kind_and_defuses_formulas(world: Any) -> None:
    _data_for(world, world.avi, "AVI-OWN")
    _data_for(world, world.noa, "NOA-SECRET")
    response = signed_in(world.avi).get(reverse("wellbeing_data:export_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    assert sorted(archive.namelist()) == sorted(f"{kind}.csv" for kind in COLUMNS)
    for name in archive.namelist():
        raw = archive.read(name)
        assert raw.startswith(b"\xef\xbb\xbf")
        assert b"NOA-SECRET" not in raw
    rows = list(csv.DictReader(io.StringIO(archive.read("checkins.csv").decode("utf-8-sig"))))
    assert rows[0]["trigger"] == "'" + HOSTILE
    assert rows[0]["note"] == "AVI-OWN note"
    goals = list(csv.DictReader(io.StringIO(archive.read("goals.csv").decode("utf-8-sig"))))
    assert goals[0]["why"] == "'-1+1"
    with system_context():
        assert AuditLog.objects.filter(action="wellbeing.exported").count() == 1


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+972", "'+972"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=x", "'\t=x"),
        ("plain", "plain"),
        (["a", "b"], "a; b"),
        (None, ""),
        (True, "yes"),
        (dt.date(2026, 1, 2), "2026-01-02"),
    ],
)
def test_csv_cell(value: Any, cell: str) -> None:
    assert csv_cell(value) == cell


def test_export_query_count_does_not_grow_with_rows(world: Any) -> None:
    _data_for(world, world.avi, "ONE")
    with CaptureQueriesContext(connection) as first:
        wellbeing_export_data(client=world.avi)
    with system_context():
        for day in range(2, 6):
            Entry.objects.create(author=world.avi, written_on=dt.date(2026, 11, day), body="more")
    with CaptureQueriesContext(connection) as second:
        data = wellbeing_export_data(client=world.avi)
    assert len(data["journal_entries"]) == 5
    assert len(first.captured_queries) == len(second.captured_queries) == 6


def test_export_is_for_clients_only(world: Any) -> None:
    assert signed_in(world.dana).get(reverse("wellbeing_data:export_json")).status_code == 302


# --- Erase -----------------------------------------------------------------------------------


def test_erase_needs_the_word(world: Any) -> None:
    _data_for(world, world.avi, "AVI")
    response = signed_in(world.avi).post(
        reverse("wellbeing_data:erase"), {"kind": "journal", "confirm": "yes"}
    )
    assert response.status_code == 200
    assert "Type DELETE exactly" in response.content.decode()
    with system_context():
        assert Entry.objects.filter(author=world.avi).count() == 1


def test_erase_unknown_kind_changes_nothing(world: Any) -> None:
    _data_for(world, world.avi, "AVI")
    response = signed_in(world.avi).post(
        reverse("wellbeing_data:erase"), {"kind": "everyone", "confirm": "DELETE"}
    )
    assert response.status_code == 200
    with system_context():
        assert Entry.objects.filter(author=world.avi).count() == 1


def test_erase_journal_removes_entries_comments_intentions_and_audio(
    world: Any, media: Path, django_capture_on_commit_callbacks: Any
) -> None:
    entry = _data_for(world, world.avi, "AVI", audio=True)
    _data_for(world, world.noa, "NOA")
    audio_file = media / entry.audio.name
    assert audio_file.exists()
    with django_capture_on_commit_callbacks(execute=True):
        response = signed_in(world.avi).post(
            reverse("wellbeing_data:erase"), {"kind": "journal", "confirm": "delete"}
        )
    assert response.status_code == 302
    with system_context():
        assert not Entry.objects.filter(author=world.avi).exists()
        assert not Comment.objects.filter(entry__author=world.avi).exists()
        assert not Intention.objects.filter(client=world.avi).exists()
        # Check-ins and goals stay; Noa's data is untouched.
        assert CheckIn.objects.filter(client=world.avi).count() == 1
        assert Goal.objects.filter(client=world.avi).count() == 1
        assert Entry.objects.filter(author=world.noa).count() == 1
        row = AuditLog.objects.get(action="wellbeing.erased")
    assert row.details["entries"] == 1 and row.details["audio_files"] == 1
    assert row.details["comments"] == 2
    assert not audio_file.exists()


def test_erase_checkins_only(world: Any) -> None:
    _data_for(world, world.avi, "AVI")
    signed_in(world.avi).post(
        reverse("wellbeing_data:erase"), {"kind": "checkins", "confirm": "DELETE"}
    )
    with system_context():
        assert not CheckIn.objects.filter(client=world.avi).exists()
        assert Entry.objects.filter(author=world.avi).count() == 1


def test_erase_all(world: Any) -> None:
    _data_for(world, world.avi, "AVI")
    signed_in(world.avi).post(reverse("wellbeing_data:erase"), {"kind": "all", "confirm": "DELETE"})
    with system_context():
        assert not Entry.objects.filter(author=world.avi).exists()
        assert not CheckIn.objects.filter(client=world.avi).exists()
        assert not Goal.objects.filter(client=world.avi).exists()
        assert not Milestone.objects.filter(goal__client=world.avi).exists()


def test_erase_in_hebrew_accepts_the_translated_or_english_word(world: Any) -> None:
    _data_for(world, world.noa, "NOA")
    browser = signed_in(world.noa)
    page = browser.get(reverse("wellbeing_data:erase"))
    assert page.status_code == 200
    browser.post(reverse("wellbeing_data:erase"), {"kind": "checkins", "confirm": "DELETE"})
    with system_context():
        assert not CheckIn.objects.filter(client=world.noa).exists()
