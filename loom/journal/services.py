"""Writes of the practice journal: entries, their audio notes, and the day's intention.

Every function is atomic and acts as the client who owns the rows (row-level security
applies). Input is checked completely before anything is written, so a refused request
changes nothing: ``ValidationError`` with a message per field (forms show them next to
their fields; the API answers 422), ``Forbidden`` for someone who is not a client, and
``Entry.DoesNotExist`` for an entry that is not the caller's (a 404, never a 403 that
would confirm it exists).

The text of an entry is checked by the crisis safety net (``loom.accounts.safety``)
inside the transaction that saved it, so an alert exists exactly when the entry does.
No text of an entry is ever written to a log, an audit row or a notice.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Final

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, Role, User
from loom.accounts.safety import CrisisOutcome, safety_check
from loom.core.audit import audit_record
from loom.core.errors import Forbidden
from loom.core.ids import parse_object_id
from loom.journal import audio as audio_files
from loom.journal.days import local_today
from loom.journal.models import (
    BODY_MAX,
    CHOICES_MAX,
    INTENTION_MAX,
    TITLE_MAX,
    Entry,
    Intention,
    Prompt,
)
from loom.journal.sharing import coach_notices_forget
from loom.journal.vocabulary import BODY_ZONES, BUILTIN_PROMPTS, EMOTION_KEYS, PRACTICES, SENSATIONS

# How far back an entry may be dated: a journal is for remembering recent days, and the
# bound keeps a typo (year 1026) out of the streaks.
BACKDATE_DAYS: Final = 366


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# "Leave this field as it is" for ``entry_update`` (the API's PATCH sends only changes).
UNSET: Final[Any] = _Unset()

VOCABULARIES: dict[str, frozenset[str]] = {
    "sensations": frozenset(SENSATIONS),
    "emotions": EMOTION_KEYS,
    "body_areas": frozenset(BODY_ZONES),
    "practices": frozenset(PRACTICES),
}


@dataclass
class EntrySaved:
    entry: Entry
    # Set when the safety net recognised signs of a crisis in the text: the page shows
    # the crisis lines, the API returns them.
    crisis: CrisisOutcome | None


# --- Checking input ------------------------------------------------------------------------


def _require_client(user: User) -> None:
    if getattr(user, "role", None) != Role.CLIENT:
        raise Forbidden(_("Only clients keep a practice journal."))


def _clean_text(value: Any, *, field: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: _("This must be text.")}, code="invalid")
    text = value.strip()
    if len(text) > limit:
        raise ValidationError(
            {field: _("This can be at most %(max)s characters.") % {"max": f"{limit:,}"}},
            code="too_long",
        )
    if "\x00" in text:
        raise ValidationError({field: _("This contains characters that can't be saved.")})
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError({field: _("This contains characters that can't be saved.")}) from None
    return text


def _clean_scale(value: Any, *, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({field: _("Choose a number from 1 to 10.")}, code="invalid")
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: _("Choose a number from 1 to 10.")}, code="invalid") from None
    if isinstance(value, float) and value != number:
        raise ValidationError({field: _("Choose a number from 1 to 10.")}, code="invalid")
    if not 1 <= number <= 10:
        raise ValidationError({field: _("Choose a number from 1 to 10.")}, code="out_of_range")
    return number


def _clean_keys(values: Any, *, field: str) -> list[str]:
    """Vocabulary keys: each known, duplicates dropped (first kept), at most ``CHOICES_MAX``."""
    if values is None:
        return []
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError({field: _("Choose from the list.")}, code="invalid")
    allowed = VOCABULARIES[field]
    keys: list[str] = []
    for value in values:
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError({field: _("Choose from the list.")}, code="unknown_key")
        if value not in keys:
            keys.append(value)
        if len(keys) > CHOICES_MAX:
            raise ValidationError(
                {field: _("Choose at most %(max)s.") % {"max": CHOICES_MAX}}, code="too_many"
            )
    return keys


def _clean_day(value: Any, *, author: User) -> date:
    today = local_today(author)
    if value is None or value == "":
        return today
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise ValidationError({"written_on": _("Enter a valid date.")}) from None
    if not isinstance(value, date):
        raise ValidationError({"written_on": _("Enter a valid date.")})
    if value > today:
        raise ValidationError({"written_on": _("The date can't be in the future.")}, code="future")
    if value < today - timedelta(days=BACKDATE_DAYS):
        raise ValidationError(
            {"written_on": _("The date can be at most a year ago.")}, code="too_old"
        )
    return value


def _clean_prompt(
    *, author: User, builtin_prompt: Any, prompt_id: Any, current_prompt_id: int | None = None
) -> tuple[str, Prompt | None]:
    builtin = builtin_prompt or ""
    if not isinstance(builtin, str) or (builtin and builtin not in BUILTIN_PROMPTS):
        raise ValidationError({"builtin_prompt": _("Choose a prompt from the list.")})
    if prompt_id is None or prompt_id == "":
        return builtin, None
    if builtin:
        raise ValidationError({"prompt_id": _("Choose one prompt.")})
    pk = parse_object_id(prompt_id)
    if pk is None:
        raise ValidationError({"prompt_id": _("That prompt was not found.")}, code="not_found")
    coaches = CoachClient.objects.filter(
        client_id=author.pk, status=CoachClient.Status.ACTIVE
    ).values("coach_id")
    found = Prompt.objects.filter(pk=pk, coach_id__in=coaches)
    # An entry keeps the prompt it answered even after the coach stops offering it.
    if pk != current_prompt_id:
        found = found.filter(is_active=True)
    prompt = found.first()
    if prompt is None:
        raise ValidationError({"prompt_id": _("That prompt was not found.")}, code="not_found")
    return "", prompt


def _has_content(entry: Entry) -> bool:
    return bool(
        entry.title
        or entry.body
        or entry.mood is not None
        or entry.energy is not None
        or entry.sensations
        or entry.emotions
        or entry.body_areas
        or entry.practices
        or entry.audio
    )


def _nothing_written() -> ValidationError:
    return ValidationError(
        _("Write something, choose a feeling or a number, or add an audio note."),
        code="empty",
    )


def _checked_audio(audio: Any) -> tuple[str, int] | None:
    if not audio:
        return None
    try:
        return audio_files.audio_validate(audio)
    except ValidationError as exc:
        raise ValidationError({"audio": exc.messages}) from None


def _safety_check(entry: Entry) -> CrisisOutcome | None:
    return safety_check(
        client=entry.author,
        text=f"{entry.title}\n{entry.body}",
        source="journal_entry",
        source_id=entry.pk,
    )


# --- Entries -------------------------------------------------------------------------------


def _apply(entry: Entry, *, author: User, fields: dict[str, Any]) -> None:
    """Check every given field and set it on ``entry`` (nothing is saved here)."""
    if "written_on" in fields:
        entry.written_on = _clean_day(fields["written_on"], author=author)
    if "title" in fields:
        entry.title = _clean_text(fields["title"], field="title", limit=TITLE_MAX)
    if "body" in fields:
        entry.body = _clean_text(fields["body"], field="body", limit=BODY_MAX)
    for scale in ("mood", "energy"):
        if scale in fields:
            setattr(entry, scale, _clean_scale(fields[scale], field=scale))
    for name in VOCABULARIES:
        if name in fields:
            setattr(entry, name, _clean_keys(fields[name], field=name))
    if "builtin_prompt" in fields or "prompt_id" in fields:
        builtin, prompt = _clean_prompt(
            author=author,
            builtin_prompt=fields.get("builtin_prompt", ""),
            prompt_id=fields.get("prompt_id"),
            current_prompt_id=entry.prompt_id,
        )
        entry.builtin_prompt = builtin
        entry.prompt = prompt


def _given(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not UNSET}


@transaction.atomic
def entry_create(
    *,
    author: User,
    written_on: date | str | None = None,
    title: str = "",
    body: str = "",
    mood: int | None = None,
    energy: int | None = None,
    sensations: Iterable[str] = (),
    emotions: Iterable[str] = (),
    body_areas: Iterable[str] = (),
    practices: Iterable[str] = (),
    builtin_prompt: str = "",
    prompt_id: int | str | None = None,
    audio: Any = None,
) -> EntrySaved:
    """A new entry of ``author`` (a client), dated their local today unless ``written_on``."""
    _require_client(author)
    entry = Entry(author=author)
    _apply(
        entry,
        author=author,
        fields={
            "written_on": written_on,
            "title": title,
            "body": body,
            "mood": mood,
            "energy": energy,
            "sensations": sensations,
            "emotions": emotions,
            "body_areas": body_areas,
            "practices": practices,
            "builtin_prompt": builtin_prompt,
            "prompt_id": prompt_id,
        },
    )
    checked_audio = _checked_audio(audio)
    if not _has_content(entry) and checked_audio is None:
        raise _nothing_written()
    now = timezone.now()
    entry.created_at = entry.updated_at = now
    if checked_audio is not None:
        audio_files.audio_store(entry, audio, content_type=checked_audio[0], size=checked_audio[1])
    try:
        entry.save()
        crisis = _safety_check(entry)
    except BaseException:
        audio_files.audio_discard(entry)
        raise
    return EntrySaved(entry=entry, crisis=crisis)


@transaction.atomic
def entry_update(
    *,
    author: User,
    entry_id: Any,
    written_on: Any = UNSET,
    title: Any = UNSET,
    body: Any = UNSET,
    mood: Any = UNSET,
    energy: Any = UNSET,
    sensations: Any = UNSET,
    emotions: Any = UNSET,
    body_areas: Any = UNSET,
    practices: Any = UNSET,
    builtin_prompt: Any = UNSET,
    prompt_id: Any = UNSET,
    audio: Any = None,
    remove_audio: bool = False,
) -> EntrySaved:
    """Change ``author``'s own entry; fields left ``UNSET`` keep their value.

    A new ``audio`` replaces the old note and ``remove_audio`` drops it; the old file
    is deleted once the change has committed. ``Entry.DoesNotExist`` for an entry that
    is not the author's.
    """
    _require_client(author)
    pk = parse_object_id(entry_id)
    if pk is None:
        raise Entry.DoesNotExist
    entry = (
        Entry.objects.select_for_update().select_related("author").get(pk=pk, author_id=author.pk)
    )
    fields = _given(
        written_on=written_on,
        title=title,
        body=body,
        mood=mood,
        energy=energy,
        sensations=sensations,
        emotions=emotions,
        body_areas=body_areas,
        practices=practices,
    )
    if builtin_prompt is not UNSET or prompt_id is not UNSET:
        # Choosing one kind of prompt clears the other.
        fields["builtin_prompt"] = "" if builtin_prompt is UNSET else builtin_prompt
        fields["prompt_id"] = None if prompt_id is UNSET else prompt_id
    if "written_on" in fields and fields["written_on"] in (None, ""):
        fields.pop("written_on")  # an emptied date field keeps the entry's day
    _apply(entry, author=author, fields=fields)
    checked_audio = _checked_audio(audio)
    old_name = str(entry.audio.name) if entry.audio else ""
    storage = entry.audio.storage
    dropping = bool(old_name) and (remove_audio or checked_audio is not None)
    if dropping and checked_audio is None:
        entry.audio = ""
        entry.audio_content_type = ""
        entry.audio_size = 0
    if not _has_content(entry) and checked_audio is None:
        raise _nothing_written()
    entry.updated_at = timezone.now()
    if checked_audio is not None:
        audio_files.audio_store(entry, audio, content_type=checked_audio[0], size=checked_audio[1])
    try:
        entry.save()
        crisis = _safety_check(entry)
    except BaseException:
        if checked_audio is not None:
            audio_files.audio_discard(entry)
        raise
    if dropping:
        audio_files.audio_delete_after_commit(old_name, storage)
    return EntrySaved(entry=entry, crisis=crisis)


@transaction.atomic
def entry_delete(*, author: User, entry_id: Any) -> None:
    """Delete ``author``'s entry for good: the row, its comments and its audio note."""
    _require_client(author)
    pk = parse_object_id(entry_id)
    if pk is None:
        raise Entry.DoesNotExist
    entry = Entry.objects.select_for_update().get(pk=pk, author_id=author.pk)
    audio_name = str(entry.audio.name) if entry.audio else ""
    storage = entry.audio.storage
    had_audio = bool(audio_name)
    was_shared = entry.is_shared
    if entry.shared_with_id is not None:
        # Nothing left pending for the coach links to an entry that is gone.
        coach_notices_forget(entry.pk, entry.shared_with_id)
    entry.delete()
    audio_files.audio_delete_after_commit(audio_name, storage)
    audit_record(
        action="journal.entry_deleted",
        actor=author,
        details={"entry_id": pk, "had_audio": had_audio, "was_shared": was_shared},
    )


# --- Intentions ----------------------------------------------------------------------------


@transaction.atomic
def intention_set(*, client: User, text: Any, now: Any = None) -> Intention | None:
    """Set (or with empty ``text``, clear) ``client``'s intention for their local today."""
    _require_client(client)
    cleaned = _clean_text(text, field="text", limit=INTENTION_MAX)
    day = local_today(client, now=now)
    if not cleaned:
        Intention.objects.filter(client_id=client.pk, day=day).delete()
        return None
    moment = timezone.now()
    intention, _created = Intention.objects.update_or_create(
        client_id=client.pk,
        day=day,
        defaults={"text": cleaned, "updated_at": moment},
        create_defaults={"text": cleaned, "created_at": moment, "updated_at": moment},
    )
    return intention
