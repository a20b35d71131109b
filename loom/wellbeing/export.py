"""A client's own wellbeing data: export it (JSON, or a zip of CSVs) and erase it.

Everything here is scoped to one client, the requesting one: every query filters on
them (and RLS agrees on PostgreSQL). The export is decrypted — it is the person's own
data — and includes the coaches' comments on their entries (written to them), but
never anything of the coaches' own (session notes stay out). Audio notes are listed
(file count and size per entry), not included: the bytes are the person's voice and
would make the download large; they can play them in the journal.

Built in memory: one person's data is small (bounded by the per-day limits of the
journal and check-ins). Exporting is audited "wellbeing.exported"; erasing is audited
"wellbeing.erased" with the counts, and audio files are removed after the commit.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import User
from loom.core.audit import audit_record
from loom.core.errors import DomainError
from loom.journal.models import Comment, Entry, Intention
from loom.journal.sharing import coach_notices_forget
from loom.wellbeing.models import CheckIn, Goal, Milestone

FORMAT_VERSION = 1

# Kinds as files in the CSV zip, with their columns (the JSON uses the same keys).
COLUMNS: dict[str, tuple[str, ...]] = {
    "journal_entries": (
        "id",
        "written_on",
        "created_at",
        "updated_at",
        "title",
        "body",
        "prompt",
        "mood",
        "energy",
        "emotions",
        "sensations",
        "body_areas",
        "practices",
        "audio_note",
        "audio_size",
        "shared_with",
        "shared_at",
    ),
    "journal_comments": ("id", "entry_id", "author", "written_by_me", "created_at", "body"),
    "intentions": ("id", "day", "text", "created_at", "updated_at"),
    "checkins": (
        "id",
        "occurred_at",
        "timezone",
        "local_date",
        "pleasantness",
        "energy",
        "emotions",
        "sensations",
        "trigger",
        "thoughts",
        "behaviour",
        "coping_strategy",
        "coping_helped",
        "sleep_hours",
        "note",
    ),
    "goals": (
        "id",
        "title",
        "why",
        "measure",
        "target_date",
        "status",
        "progress",
        "proposed_by",
        "created_at",
        "accepted_at",
        "completed_at",
    ),
    "milestones": ("id", "goal_id", "title", "due_on", "position", "completed_at", "created_at"),
}

# Cells a spreadsheet would run as a formula (CSV injection, OWASP): prefixed with '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _iso(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def wellbeing_export_data(*, client: User) -> dict[str, list[dict[str, Any]]]:
    """All of ``client``'s wellbeing data as plain rows (decrypted). Six queries."""
    entries = list(
        Entry.objects.filter(author=client)
        .select_related("prompt", "shared_with")
        .order_by("written_on", "id")
    )
    comments = list(
        Comment.objects.filter(entry__author=client)
        .select_related("author")
        .order_by("created_at", "id")
    )
    intentions = list(Intention.objects.filter(client=client).order_by("day", "id"))
    checkins = list(CheckIn.objects.filter(client=client).order_by("occurred_at", "id"))
    goals = list(
        Goal.objects.filter(client=client)
        .select_related("proposed_by")
        .order_by("created_at", "id")
    )
    milestones = list(
        Milestone.objects.filter(goal__client=client).order_by("goal_id", "position", "id")
    )
    return {
        "journal_entries": [
            {
                "id": e.pk,
                "written_on": e.written_on,
                "created_at": e.created_at,
                "updated_at": e.updated_at,
                "title": e.title,
                "body": e.body,
                "prompt": e.prompt.text if e.prompt is not None else e.builtin_prompt,
                "mood": e.mood,
                "energy": e.energy,
                "emotions": list(e.emotions),
                "sensations": list(e.sensations),
                "body_areas": list(e.body_areas),
                "practices": list(e.practices),
                # The audio itself is not exported (see the module docstring).
                "audio_note": bool(e.audio),
                "audio_size": e.audio_size if e.audio else 0,
                "shared_with": _name(e.shared_with),
                "shared_at": e.shared_at,
            }
            for e in entries
        ],
        "journal_comments": [
            {
                "id": c.pk,
                "entry_id": c.entry_id,
                "author": _name(c.author),
                "written_by_me": c.author_id == client.pk,
                "created_at": c.created_at,
                "body": c.body,
            }
            for c in comments
        ],
        "intentions": [
            {
                "id": i.pk,
                "day": i.day,
                "text": i.text,
                "created_at": i.created_at,
                "updated_at": i.updated_at,
            }
            for i in intentions
        ],
        "checkins": [
            {
                "id": c.pk,
                "occurred_at": c.occurred_at,
                "timezone": c.timezone,
                "local_date": c.local_date,
                "pleasantness": c.pleasantness,
                "energy": c.energy,
                "emotions": list(c.emotions),
                "sensations": list(c.sensations),
                "trigger": c.trigger,
                "thoughts": c.thoughts,
                "behaviour": c.behaviour,
                "coping_strategy": c.coping_strategy,
                "coping_helped": c.coping_helped,
                "sleep_hours": c.sleep_hours,
                "note": c.note,
            }
            for c in checkins
        ],
        "goals": [
            {
                "id": g.pk,
                "title": g.title,
                "why": g.why,
                "measure": g.measure,
                "target_date": g.target_date,
                "status": g.status,
                "progress": g.progress,
                "proposed_by": _name(g.proposed_by),
                "created_at": g.created_at,
                "accepted_at": g.accepted_at,
                "completed_at": g.completed_at,
            }
            for g in goals
        ],
        "milestones": [
            {
                "id": m.pk,
                "goal_id": m.goal_id,
                "title": m.title,
                "due_on": m.due_on,
                "position": m.position,
                "completed_at": m.completed_at,
                "created_at": m.created_at,
            }
            for m in milestones
        ],
    }


def _audit_export(client: User, data: dict[str, list[dict[str, Any]]], fmt: str) -> None:
    with transaction.atomic():
        audit_record(
            action="wellbeing.exported",
            actor=client,
            target=client,
            details={"format": fmt, "counts": {kind: len(rows) for kind, rows in data.items()}},
        )


def wellbeing_export_json(*, client: User) -> bytes:
    """The JSON download: {"format": 1, "exported_at": …, "person": {…}, <kind>: [rows]}."""
    data = wellbeing_export_data(client=client)
    _audit_export(client, data, "json")
    document = {
        "format": FORMAT_VERSION,
        "exported_at": timezone.now().isoformat(),
        "person": {"name": client.display_name, "email": client.email, "timezone": client.timezone},
        **{
            kind: [{k: _iso(v) for k, v in row.items()} for row in rows]
            for kind, rows in data.items()
        },
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def csv_cell(value: Any) -> str:
    """One CSV cell: lists joined with "; ", dates ISO, formula-looking text defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        value = "; ".join(str(v) for v in value)
    text = str(_iso(value))
    if text.startswith(_FORMULA_START):
        return "'" + text
    return text


def _csv(columns: Sequence[str], rows: Iterable[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([csv_cell(row.get(column)) for column in columns])
    # UTF-8 with a byte-order mark: Excel otherwise reads Hebrew as mojibake.
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def wellbeing_export_zip(*, client: User) -> bytes:
    """The CSV download: a zip with one CSV per kind (``COLUMNS``)."""
    data = wellbeing_export_data(client=client)
    _audit_export(client, data, "csv")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for kind, columns in COLUMNS.items():
            archive.writestr(f"{kind}.csv", _csv(columns, data[kind]))
    return buffer.getvalue()


# --- Erase -----------------------------------------------------------------------------------

ERASE_KINDS = ("journal", "checkins", "all")


@dataclass(frozen=True)
class Erased:
    entries: int
    comments: int
    intentions: int
    checkins: int
    goals: int
    audio_files: int


def _delete_after_commit(storage: Any, name: str) -> None:
    transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def wellbeing_erase(*, client: User, kind: str) -> Erased:
    """Delete for good ``client``'s journal ("journal": entries, the comments on them,
    intentions, audio notes), check-ins ("checkins"), or both plus goals ("all").

    Audio files are removed after the commit. Crisis signals stay (they hold no
    text and are the admins' safety record).
    """
    if kind not in ERASE_KINDS:
        raise DomainError(_("Choose what to delete."), code="invalid")
    entries = comments = intentions = checkins = goals = 0
    audio: list[tuple[Any, str]] = []
    if kind in ("journal", "all"):
        own_entries = Entry.objects.filter(author=client)
        for entry in own_entries.exclude(audio="").only("id", "audio"):
            if entry.audio and entry.audio.name:
                audio.append((entry.audio.storage, str(entry.audio.name)))
        comments = Comment.objects.filter(entry__author=client).count()
        entries = own_entries.count()
        # Nothing left pending for a coach links to an entry that is gone.
        for entry_id, coach_id in own_entries.filter(shared_with__isnull=False).values_list(
            "pk", "shared_with_id"
        ):
            coach_notices_forget(entry_id, coach_id)
        own_entries.delete()
        intentions, _by_model = Intention.objects.filter(client=client).delete()
    if kind in ("checkins", "all"):
        checkins, _by_model = CheckIn.objects.filter(client=client).delete()
    if kind == "all":
        goals = Goal.objects.filter(client=client).count()
        Goal.objects.filter(client=client).delete()
    erased = Erased(
        entries=entries,
        comments=comments,
        intentions=intentions,
        checkins=checkins,
        goals=goals,
        audio_files=len(audio),
    )
    audit_record(
        action="wellbeing.erased",
        actor=client,
        target=client,
        details={"kind": kind, **erased.__dict__},
    )
    for storage, name in audio:
        _delete_after_commit(storage, name)
    return erased
