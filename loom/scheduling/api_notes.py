"""Scheduling endpoints of the JSON API: notes, summary, action items, reflections, files.

All under ``/api/v1/scheduling/sessions/{session_id}/`` and open to the session's
parties only (anyone else: 404). A party acting outside their role gets 403: the
private note is the coach's alone — a client asking for it is refused before
anything is read, so no response a client can get carries it. Bad input is 422 with
the field's code. Files are listed here (with the URL that downloads them); uploads
go through the page's form, not this API.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from loom.accounts.models import User
from loom.accounts.permissions import request_user
from loom.core.errors import Forbidden
from loom.scheduling import note_services as services
from loom.scheduling.models import ActionItem, ClientSessionReflection, Session
from loom.scheduling.note_selectors import (
    action_items_for,
    attachments_for,
    get_session_for_party,
    private_note_for,
    reflections_for,
    summary_for,
)

router = Router(tags=["scheduling"])

_BASE = "/scheduling/sessions/{session_id}"


def _party(request: HttpRequest, session_id: int) -> tuple[User, Session]:
    user = request_user(request)
    return user, get_session_for_party(user, session_id)


def _coach_only(user: User, session: Session) -> None:
    if session.coach_id != user.pk:
        raise Forbidden(_("Only the session's coach can do this."), code="coach_only")


# --- Private note --------------------------------------------------------------------------


class NoteOut(Schema):
    body: str


class NoteIn(Schema):
    body: str = Field(max_length=services.PRIVATE_NOTE_MAX)


@router.get(f"{_BASE}/private-note", response=NoteOut, url_name="scheduling_private_note")
def private_note_get(request: HttpRequest, session_id: int) -> NoteOut:
    """The coach's private note (coach only; 403 for the client)."""
    user, session = _party(request, session_id)
    _coach_only(user, session)
    return NoteOut(body=private_note_for(user, session))


@router.put(f"{_BASE}/private-note", response=NoteOut, url_name="scheduling_private_note_put")
def private_note_put(request: HttpRequest, session_id: int, payload: NoteIn) -> NoteOut:
    user, session = _party(request, session_id)
    _coach_only(user, session)
    note = services.private_note_save(actor=user, session=session, body=payload.body)
    return NoteOut(body=note.body)


# --- Summary -------------------------------------------------------------------------------


class SummaryOut(Schema):
    body: str
    shared_at: datetime | None


class SummaryIn(Schema):
    body: str = Field(max_length=services.SUMMARY_MAX)
    # Sharing is never implied: a body sent alone stays the coach's draft.
    share: bool = Field(False, description="True shares the summary with the client(s).")


@router.get(f"{_BASE}/summary", response=SummaryOut, url_name="scheduling_summary")
def summary_get(request: HttpRequest, session_id: int) -> SummaryOut:
    """The coach gets the summary, draft or shared; a client only once it is shared."""
    user, session = _party(request, session_id)
    summary = summary_for(user, session)
    if summary is None:
        return SummaryOut(body="", shared_at=None)
    return SummaryOut(body=summary.body, shared_at=summary.shared_at)


@router.put(f"{_BASE}/summary", response=SummaryOut, url_name="scheduling_summary_put")
def summary_put(request: HttpRequest, session_id: int, payload: SummaryIn) -> SummaryOut:
    user, session = _party(request, session_id)
    summary = services.summary_save(
        actor=user, session=session, body=payload.body, share=payload.share
    )
    return SummaryOut(body=summary.body, shared_at=summary.shared_at)


# --- Action items --------------------------------------------------------------------------


class ActionItemOut(Schema):
    id: int
    client_id: int
    title: str
    details: str
    due_on: date | None
    completed_at: datetime | None


class ActionItemIn(Schema):
    title: str = Field(max_length=services.TITLE_MAX)
    details: str = Field("", max_length=services.DETAILS_MAX)
    due_on: date | None = None
    # Group sessions: the seat holders it is for; empty means all of them.
    client_ids: list[int] = Field(default_factory=list, max_length=200)


class ActionItemUpdateIn(Schema):
    title: str = Field(max_length=services.TITLE_MAX)
    details: str = Field("", max_length=services.DETAILS_MAX)
    due_on: date | None = None


class DoneIn(Schema):
    done: bool


def _item_out(item: ActionItem) -> ActionItemOut:
    return ActionItemOut(
        id=item.pk,
        client_id=item.client_id,
        title=item.title,
        details=item.details,
        due_on=item.due_on,
        completed_at=item.completed_at,
    )


@router.get(
    f"{_BASE}/action-items", response=list[ActionItemOut], url_name="scheduling_action_items"
)
def action_items_list(request: HttpRequest, session_id: int) -> list[ActionItemOut]:
    """Every item for the coach; a client's own items for a client. One query."""
    user, session = _party(request, session_id)
    items = action_items_for(user, [session.pk]).get(session.pk, [])
    return [_item_out(item) for item in items]


@router.post(
    f"{_BASE}/action-items",
    response={201: list[ActionItemOut]},
    url_name="scheduling_action_item_create",
)
def action_item_create(
    request: HttpRequest, session_id: int, payload: ActionItemIn
) -> Status[list[ActionItemOut]]:
    """One item per client (a group's chosen seat holders, or all of them)."""
    user, session = _party(request, session_id)
    items = services.action_item_create(
        actor=user,
        session=session,
        title=payload.title,
        details=payload.details,
        due_on=payload.due_on,
        client_ids=payload.client_ids or None,
    )
    return Status(201, [_item_out(item) for item in items])


@router.put(
    f"{_BASE}/action-items/{{item_id}}",
    response=ActionItemOut,
    url_name="scheduling_action_item",
)
def action_item_update(
    request: HttpRequest, session_id: int, item_id: int, payload: ActionItemUpdateIn
) -> ActionItemOut:
    user, session = _party(request, session_id)
    item = services.action_item_update(
        actor=user,
        session=session,
        item_id=item_id,
        title=payload.title,
        details=payload.details,
        due_on=payload.due_on,
    )
    return _item_out(item)


@router.delete(
    f"{_BASE}/action-items/{{item_id}}",
    response={204: None},
    url_name="scheduling_action_item_delete",
)
def action_item_delete(request: HttpRequest, session_id: int, item_id: int) -> Status[None]:
    user, session = _party(request, session_id)
    services.action_item_delete(actor=user, session=session, item_id=item_id)
    return Status(204, None)


@router.post(
    f"{_BASE}/action-items/{{item_id}}/done",
    response=ActionItemOut,
    url_name="scheduling_action_item_done",
)
def action_item_done(
    request: HttpRequest, session_id: int, item_id: int, payload: DoneIn
) -> ActionItemOut:
    """The item's client marks it done or not done (anyone else: 404)."""
    user, session = _party(request, session_id)
    item = services.action_item_set_done(
        actor=user, session=session, item_id=item_id, done=payload.done
    )
    return _item_out(item)


# --- Preparation and reflection ------------------------------------------------------------


class ReflectionOut(Schema):
    client_id: int
    preparation: str
    reflection: str


class TextIn(Schema):
    body: str = Field(max_length=services.REFLECTION_MAX)


def _reflection_out(row: ClientSessionReflection) -> ReflectionOut:
    return ReflectionOut(
        client_id=row.client_id, preparation=row.preparation, reflection=row.reflection
    )


@router.get(f"{_BASE}/reflections", response=list[ReflectionOut], url_name="scheduling_reflections")
def reflections_list(request: HttpRequest, session_id: int) -> list[ReflectionOut]:
    """Every client's preparation and reflection for the coach; one's own for a client."""
    user, session = _party(request, session_id)
    return [_reflection_out(row) for row in reflections_for(user, session)]


@router.put(f"{_BASE}/preparation", response=ReflectionOut, url_name="scheduling_preparation")
def preparation_put(request: HttpRequest, session_id: int, payload: TextIn) -> ReflectionOut:
    user, session = _party(request, session_id)
    return _reflection_out(
        services.preparation_save(actor=user, session=session, body=payload.body)
    )


@router.put(f"{_BASE}/reflection", response=ReflectionOut, url_name="scheduling_reflection")
def reflection_put(request: HttpRequest, session_id: int, payload: TextIn) -> ReflectionOut:
    user, session = _party(request, session_id)
    return _reflection_out(services.reflection_save(actor=user, session=session, body=payload.body))


# --- Attachments ---------------------------------------------------------------------------


class AttachmentOut(Schema):
    id: int
    name: str
    content_type: str
    size_bytes: int
    uploaded_by_id: int
    created_at: datetime
    download_url: str


@router.get(f"{_BASE}/attachments", response=list[AttachmentOut], url_name="scheduling_attachments")
def attachments_list(request: HttpRequest, session_id: int) -> list[AttachmentOut]:
    user, session = _party(request, session_id)
    return [
        AttachmentOut(
            id=file.pk,
            name=file.original_name,
            content_type=file.content_type,
            size_bytes=file.size_bytes,
            uploaded_by_id=file.uploaded_by_id,
            created_at=file.created_at,
            download_url=reverse(
                "scheduling_notes:attachment",
                kwargs={"session_id": session.pk, "attachment_id": file.pk},
            ),
        )
        for file in attachments_for(user, session)
    ]
