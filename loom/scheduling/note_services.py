"""Writes of a session's notes, summary, action items, preparation, reflection and files.

Every function is keyword-only and atomic, and checks who acts before it writes:

* private note: the session's coach only. It is read back only by
  ``note_selectors.private_note_for``, which returns nothing to anyone else;
* summary: written by the coach; ``share=True`` shares it (``shared_at`` is set the
  first time and stays set: editing a shared summary keeps it shared);
* action items: the coach adds (one per client: the one-to-one client, or each
  chosen seat holder of a group session — all of them when none is chosen), edits
  and deletes them; their client marks them done or not done;
* preparation: the client, until the session starts; reflection: the client, once
  it has started (or is in progress or completed);
* attachments: any party adds (validated by ``loom.core.uploads``); the person who
  added one removes it.

Callers fetch the session through ``note_selectors.get_session_for_party`` (non-parties
get 404 there); these functions refuse a party acting outside their role with
``Forbidden``. Coach writes are audited; nothing here is ever emailed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import User
from loom.core.audit import audit_record
from loom.core.errors import Conflict, Forbidden, NotFound
from loom.core.uploads import UploadPolicy, validate_upload
from loom.scheduling.models import (
    ActionItem,
    ClientSessionReflection,
    Session,
    SessionAttachment,
    SessionPrivateNote,
    SessionStatus,
    SessionSummary,
)
from loom.scheduling.note_selectors import is_session_client, session_clients

PRIVATE_NOTE_MAX = 20_000
SUMMARY_MAX = 20_000
TITLE_MAX = 200
DETAILS_MAX = 4_000
PREPARATION_MAX = 10_000
REFLECTION_MAX = 10_000
# Files on one session; a bound on storage one person can fill through one session.
ATTACHMENTS_PER_SESSION_MAX = 50
# Sessions that never happened take no summary, homework, preparation or files.
_CLOSED = (SessionStatus.CANCELLED, SessionStatus.DECLINED)


class SessionClosed(Conflict):
    title = "Session closed"
    code = "session_closed"


def _invalid(field: str, message: str, code: str) -> ValidationError:
    """A refusal of one field's value, with a stable code."""
    return ValidationError({field: ValidationError(message, code=code)})


def _text(value: Any, *, field: str, max_length: int, required: bool = False) -> str:
    """Trimmed text with line breaks and tabs kept; other control characters refused."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise _invalid(field, _("Enter text."), "invalid")
    value = value.replace("\r\n", "\n").strip()
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in value):
        raise _invalid(
            field, _("Remove the control characters from this text."), "invalid_characters"
        )
    if len(value) > max_length:
        raise _invalid(
            field, _("Use at most %(max)d characters.") % {"max": max_length}, "max_length"
        )
    if required and not value:
        raise _invalid(field, _("This field is required."), "required")
    return value


def _require_coach(actor: User, session: Session) -> None:
    if not actor.is_authenticated or session.coach_id != actor.pk:
        raise Forbidden(_("Only the session's coach can do this."), code="coach_only")


def _require_client(actor: User, session: Session) -> None:
    if not actor.is_authenticated or not is_session_client(actor, session):
        raise Forbidden(_("Only the session's client can do this."), code="client_only")


def _require_open(session: Session) -> None:
    if session.status in _CLOSED:
        raise SessionClosed(
            _("This session was cancelled or declined, so it can't be changed."),
            code="session_closed",
        )


def _audit(actor: User, action: str, session: Session, **details: Any) -> None:
    audit_record(
        action=f"session.{action}",
        actor=actor,
        target=session,
        details={"coach_id": session.coach_id, **details},
    )


def session_local_date(session: Session) -> date:
    """The session's date in the coach's zone (the date both parties agreed on)."""
    try:
        zone = ZoneInfo(session.coach_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return session.starts_at.astimezone(zone).date()


# --- Private note --------------------------------------------------------------------------


@transaction.atomic
def private_note_save(*, actor: User, session: Session, body: Any) -> SessionPrivateNote:
    """Create or replace the coach's private note (an empty body keeps an empty note)."""
    _require_coach(actor, session)
    text = _text(body, field="body", max_length=PRIVATE_NOTE_MAX)
    note, _created = SessionPrivateNote.objects.update_or_create(
        session=session, defaults={"coach": actor, "body": text}
    )
    # No content in the audit row: the note is private even from the audit log.
    _audit(actor, "private_note_saved", session)
    return note


# --- Summary -------------------------------------------------------------------------------


@transaction.atomic
def summary_save(
    *, actor: User, session: Session, body: Any, share: bool, now: datetime | None = None
) -> SessionSummary:
    """Save the summary; ``share`` shares it. Once shared it stays shared."""
    _require_coach(actor, session)
    _require_open(session)
    text = _text(body, field="body", max_length=SUMMARY_MAX)
    if share and not text:
        raise _invalid("body", _("Write the summary before sharing it."), "required")
    now = now or timezone.now()
    summary = SessionSummary.objects.select_for_update().filter(session=session).first()
    if summary is None:
        summary = SessionSummary(session=session)
    summary.body = text
    if share and summary.shared_at is None:
        summary.shared_at = now
    summary.save()
    _audit(actor, "summary_saved", session, shared=summary.shared_at is not None)
    return summary


# --- Action items --------------------------------------------------------------------------


def _due_on(value: Any, session: Session) -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        raise _invalid("due_on", _("Enter a valid date."), "invalid")
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value)
        except ValueError:
            raise _invalid("due_on", _("Enter a valid date."), "invalid") from None
    if not isinstance(value, date):
        raise _invalid("due_on", _("Enter a valid date."), "invalid")
    if value < session_local_date(session):
        raise _invalid("due_on", _("The due date can't be before the session."), "before_session")
    if value.year > session_local_date(session).year + 5:
        raise _invalid("due_on", _("Choose a due date within five years."), "too_far")
    return value


def _item_clients(session: Session, client_ids: Iterable[Any] | None) -> list[User]:
    clients = session_clients(session)
    if not client_ids:
        if not clients:
            raise _invalid(
                "client_ids", _("Nobody holds a seat in this session yet."), "no_clients"
            )
        return clients
    wanted: set[int] = set()
    for value in client_ids:
        try:
            wanted.add(int(value))
        except (TypeError, ValueError):
            raise _invalid(
                "client_ids", _("Choose people who take part in this session."), "invalid_choice"
            ) from None
    chosen = [client for client in clients if client.pk in wanted]
    if len(chosen) != len(wanted):
        raise _invalid(
            "client_ids", _("Choose people who take part in this session."), "invalid_choice"
        )
    return chosen


@transaction.atomic
def action_item_create(
    *,
    actor: User,
    session: Session,
    title: Any,
    details: Any = "",
    due_on: Any = None,
    client_ids: Iterable[Any] | None = None,
) -> list[ActionItem]:
    """Add an action item for each of the session's clients (or the chosen ones)."""
    _require_coach(actor, session)
    _require_open(session)
    clean_title = _text(title, field="title", max_length=TITLE_MAX, required=True)
    if "\n" in clean_title or "\t" in clean_title:
        raise _invalid("title", _("Keep the title on one line."), "invalid_characters")
    clean_details = _text(details, field="details", max_length=DETAILS_MAX)
    due = _due_on(due_on, session)
    clients = _item_clients(session, client_ids)
    items = [
        ActionItem.objects.create(
            session=session,
            coach=actor,
            client=client,
            title=clean_title,
            details=clean_details,
            due_on=due,
        )
        for client in clients
    ]
    _audit(actor, "action_item_added", session, items=[item.pk for item in items])
    return items


def _locked_item(session: Session, item_id: Any) -> ActionItem:
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise NotFound(_("This action item does not exist.")) from None
    item = ActionItem.objects.select_for_update().filter(session=session, pk=pk).first()
    if item is None:
        raise NotFound(_("This action item does not exist."))
    return item


@transaction.atomic
def action_item_update(
    *,
    actor: User,
    session: Session,
    item_id: Any,
    title: Any,
    details: Any = "",
    due_on: Any = None,
) -> ActionItem:
    _require_coach(actor, session)
    _require_open(session)
    item = _locked_item(session, item_id)
    clean_title = _text(title, field="title", max_length=TITLE_MAX, required=True)
    if "\n" in clean_title or "\t" in clean_title:
        raise _invalid("title", _("Keep the title on one line."), "invalid_characters")
    item.title = clean_title
    item.details = _text(details, field="details", max_length=DETAILS_MAX)
    item.due_on = _due_on(due_on, session)
    item.save(update_fields=["title", "details", "due_on", "updated_at"])
    _audit(actor, "action_item_updated", session, item=item.pk)
    return item


@transaction.atomic
def action_item_delete(*, actor: User, session: Session, item_id: Any) -> None:
    _require_coach(actor, session)
    item = _locked_item(session, item_id)
    pk = item.pk
    item.delete()
    _audit(actor, "action_item_deleted", session, item=pk)


@transaction.atomic
def action_item_set_done(
    *, actor: User, session: Session, item_id: Any, done: bool, now: datetime | None = None
) -> ActionItem:
    """The item's client marks it done (``done=True``) or not done yet.

    Anyone else (the coach, another attendee) is told the item does not exist, as
    row-level security tells them on PostgreSQL.
    """
    item = _locked_item(session, item_id)
    if item.client_id != actor.pk:
        raise NotFound(_("This action item does not exist."))
    if done and item.completed_at is None:
        item.completed_at = now or timezone.now()
    elif not done:
        item.completed_at = None
    item.save(update_fields=["completed_at", "updated_at"])
    return item


# --- Preparation and reflection ------------------------------------------------------------


def _own_reflection(actor: User, session: Session) -> ClientSessionReflection:
    row = (
        ClientSessionReflection.objects.select_for_update()
        .filter(session=session, client=actor)
        .first()
    )
    return row or ClientSessionReflection(session=session, client=actor)


def preparation_open(session: Session, *, now: datetime | None = None) -> bool:
    """Preparation can be written until the session starts."""
    now = now or timezone.now()
    return (
        session.status
        in (
            SessionStatus.REQUESTED,
            SessionStatus.SCHEDULED,
        )
        and now < session.starts_at
    )


def reflection_open(session: Session, *, now: datetime | None = None) -> bool:
    """Reflection can be written once the session has started, and after it."""
    now = now or timezone.now()
    if session.status in (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED):
        return True
    return session.status == SessionStatus.SCHEDULED and now >= session.starts_at


@transaction.atomic
def preparation_save(
    *, actor: User, session: Session, body: Any, now: datetime | None = None
) -> ClientSessionReflection:
    _require_client(actor, session)
    if not preparation_open(session, now=now):
        raise Conflict(
            _("The session has started, so the preparation can no longer be changed."),
            code="preparation_closed",
        )
    row = _own_reflection(actor, session)
    row.preparation = _text(body, field="body", max_length=PREPARATION_MAX)
    row.save()
    return row


@transaction.atomic
def reflection_save(
    *, actor: User, session: Session, body: Any, now: datetime | None = None
) -> ClientSessionReflection:
    _require_client(actor, session)
    if not reflection_open(session, now=now):
        raise Conflict(
            _("You can write your reflection once the session has started."),
            code="reflection_not_open",
        )
    row = _own_reflection(actor, session)
    row.reflection = _text(body, field="body", max_length=REFLECTION_MAX)
    row.save()
    return row


# --- Attachments ---------------------------------------------------------------------------


def attachment_policy() -> UploadPolicy:
    return UploadPolicy.from_settings()


def attachment_add(*, actor: User, session: Session, upload: Any) -> SessionAttachment:
    """Validate ``upload`` by content and store it on the session (any party).

    The file is streamed to storage (chunk by chunk, under a random name) before the
    row is written in its own transaction; if that transaction fails, the stored file
    is removed again, so no file is left that no row points at.
    """
    if session.coach_id != actor.pk:
        _require_client(actor, session)
    _require_open(session)
    if upload is None:
        raise _invalid("file", _("Choose a file."), "required")
    try:
        checked = validate_upload(upload, policy=attachment_policy())
    except ValidationError as exc:
        raise ValidationError({"file": exc.error_list}) from None
    attachment = SessionAttachment(
        session=session,
        uploaded_by=actor,
        original_name=checked.filename,
        content_type=checked.content_type,
        size_bytes=checked.size,
    )
    attachment.file.save(checked.filename, upload, save=False)
    stored, storage = str(attachment.file.name), attachment.file.storage
    try:
        with transaction.atomic():
            # The session row's lock makes the count and the insert one step.
            Session.objects.select_for_update(of=("self",)).filter(pk=session.pk).first()
            counted = SessionAttachment.objects.filter(session=session)
            if session.is_group:
                # Per person in a group: one attendee can neither fill the session for
                # the others and the coach, nor learn how many files they added.
                counted = counted.filter(uploaded_by=actor)
            if counted.count() >= ATTACHMENTS_PER_SESSION_MAX:
                raise Conflict(
                    _("This session already has %(count)d files. Remove one first.")
                    % {"count": ATTACHMENTS_PER_SESSION_MAX},
                    code="too_many_files",
                )
            attachment.save()
            if session.coach_id == actor.pk:
                _audit(actor, "attachment_added", session, attachment=attachment.pk)
    except BaseException:
        storage.delete(stored)
        raise
    return attachment


@transaction.atomic
def attachment_delete(*, actor: User, session: Session, attachment_id: Any) -> None:
    """The person who added a file removes it; the stored file goes after commit."""
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound(_("This file does not exist.")) from None
    attachment = (
        SessionAttachment.objects.select_for_update().filter(session=session, pk=pk).first()
    )
    hidden = session.is_group and attachment is not None and actor.pk != session.coach_id
    if attachment is None or (
        hidden and attachment.uploaded_by_id not in (actor.pk, session.coach_id)
    ):
        # Another attendee's file in a group session does not exist for this person.
        raise NotFound(_("This file does not exist."))
    if attachment.uploaded_by_id != actor.pk:
        raise Forbidden(_("Only the person who added a file can remove it."), code="not_uploader")
    name = str(attachment.file.name)
    storage = attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: storage.delete(name))
    if session.coach_id == actor.pk:
        _audit(actor, "attachment_deleted", session, attachment=pk)
