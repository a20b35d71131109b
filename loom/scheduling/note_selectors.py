"""Reads of a session's notes, homework, preparation and attachments, scoped to a person.

A *party* of a session is its coach, its one-to-one client, or a client holding a
taken seat in a group session. Every getter here refuses anyone else with ``Http404``.
The coach's private note is only ever read through ``private_note_for``, which
returns nothing for anyone but the session's coach, so no page, API response or
export built on these selectors can carry it to a client.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from loom.accounts.models import User
from loom.scheduling.models import (
    ActionItem,
    ClientSessionReflection,
    SeatStatus,
    Session,
    SessionAttachment,
    SessionPrivateNote,
    SessionSeat,
    SessionSummary,
)


def _ids(session_ids: Iterable[Any]) -> list[int]:
    out: list[int] = []
    for value in session_ids:
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            continue
    return out


def _party_filter(user: User) -> Q:
    """Sessions ``user`` takes part in: as coach, one-to-one client or seat holder."""
    holds_seat = Exists(
        SessionSeat.objects.filter(session=OuterRef("pk"), client=user, status=SeatStatus.TAKEN)
    )
    return Q(coach=user) | Q(client=user) | Q(holds_seat)


def party_sessions(user: User) -> QuerySet[Session]:
    """Every session ``user`` is a party to (unevaluated)."""
    if not user.is_authenticated:
        return Session.objects.none()
    return Session.objects.filter(_party_filter(user))


def get_session_for_party(user: User, session_id: Any, *, for_update: bool = False) -> Session:
    """The session if ``user`` is one of its parties; otherwise ``Http404``."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user.is_authenticated or pk <= 0:
        raise Http404
    queryset = party_sessions(user).select_related("coach", "client", "session_type")
    if for_update:
        queryset = queryset.select_for_update(of=("self",))
    session = queryset.filter(pk=pk).first()
    if session is None:
        raise Http404
    return session


def session_clients(session: Session) -> list[User]:
    """The session's clients: its one-to-one client, or the holders of taken seats."""
    if session.client_id is not None:
        assert session.client is not None
        return [session.client]
    return [
        seat.client
        for seat in SessionSeat.objects.filter(session=session, status=SeatStatus.TAKEN)
        .select_related("client")
        .order_by("created_at", "id")
    ]


def is_session_client(user: User, session: Session) -> bool:
    if session.client_id is not None:
        return bool(session.client_id == user.pk)
    return SessionSeat.objects.filter(
        session=session, client=user, status=SeatStatus.TAKEN
    ).exists()


def summaries_for(user: User, session_ids: Iterable[Any]) -> dict[int, str]:
    """Shared summaries ``user`` may read, by session id (one query).

    The coach reads their sessions' summaries, shared or not (they write them); a
    client reads only summaries that have been shared and are not empty.
    """
    ids = _ids(session_ids)
    if not ids or not user.is_authenticated:
        return {}
    mine = Q(session__coach=user)
    as_client = Q(shared_at__isnull=False) & (
        Q(session__client=user)
        | Q(
            Exists(
                SessionSeat.objects.filter(
                    session=OuterRef("session"), client=user, status=SeatStatus.TAKEN
                )
            )
        )
    )
    rows = SessionSummary.objects.filter(Q(session_id__in=ids) & (mine | as_client)).only(
        "session_id", "body", "shared_at"
    )
    return {row.session_id: row.body for row in rows if row.body}


def action_items_for(user: User, session_ids: Iterable[Any]) -> dict[int, list[ActionItem]]:
    """Action items of the sessions ``user`` may see, by session id (one query).

    The coach sees every item on their sessions; a client sees their own items only.
    """
    ids = _ids(session_ids)
    if not ids or not user.is_authenticated:
        return {}
    rows = (
        ActionItem.objects.filter(Q(session_id__in=ids) & (Q(coach=user) | Q(client=user)))
        .select_related("client")
        .order_by(F("due_on").asc(nulls_last=True), "id")
    )
    out: dict[int, list[ActionItem]] = defaultdict(list)
    for item in rows:
        out[item.session_id].append(item)
    return dict(out)


def open_action_items_for(client: User, limit: int = 5) -> list[ActionItem]:
    """The client's open action items: due soonest first, then undated (one query)."""
    if not client.is_authenticated:
        return []
    return list(
        ActionItem.objects.filter(client=client, completed_at__isnull=True)
        .select_related("session", "coach")
        .order_by(F("due_on").asc(nulls_last=True), "created_at", "id")[:limit]
    )


def get_action_item_for(user: User, session: Session, item_id: Any) -> ActionItem:
    """An action item of ``session`` that ``user`` may see (coach, or its client)."""
    try:
        pk = int(item_id)
    except (TypeError, ValueError):
        raise Http404 from None
    item = (
        ActionItem.objects.filter(Q(coach=user) | Q(client=user), session=session, pk=pk)
        .select_related("client")
        .first()
    )
    if item is None:
        raise Http404
    return item


def private_note_for(user: User, session: Session) -> str:
    """The coach's private note on ``session``; empty for anyone else, always."""
    if not user.is_authenticated or session.coach_id != user.pk:
        return ""
    note = SessionPrivateNote.objects.filter(session=session, coach=user).only("body").first()
    return note.body if note else ""


def summary_for(user: User, session: Session) -> SessionSummary | None:
    """The summary as ``user`` may see it: always for the coach, once shared for a client."""
    summary = SessionSummary.objects.filter(session=session).first()
    if summary is None:
        return None
    if session.coach_id == user.pk:
        return summary
    if summary.shared_at is None or not is_session_client(user, session):
        return None
    return summary


def reflections_for(user: User, session: Session) -> list[ClientSessionReflection]:
    """Preparations and reflections: all of them for the coach, one's own for a client."""
    queryset = ClientSessionReflection.objects.filter(session=session).select_related("client")
    if session.coach_id != user.pk:
        queryset = queryset.filter(client=user)
    return list(queryset.order_by("created_at", "id"))


def _visible_attachments(user: User, session: Session) -> QuerySet[SessionAttachment]:
    """A session's files ``user`` may see: all for the coach and a one-to-one client; in
    a group session an attendee sees the coach's files and their own only (attendees
    never learn about each other, so neither another's file nor their name)."""
    queryset = SessionAttachment.objects.filter(session=session)
    if session.is_group and session.coach_id != user.pk:
        queryset = queryset.filter(uploaded_by_id__in=(session.coach_id, user.pk))
    return queryset


def attachments_for(user: User, session: Session) -> list[SessionAttachment]:
    """Attachments of a session the caller fetched through ``get_session_for_party``."""
    return list(
        _visible_attachments(user, session)
        .select_related("uploaded_by")
        .order_by("created_at", "id")
    )


def get_attachment_for(user: User, session: Session, attachment_id: Any) -> SessionAttachment:
    try:
        pk = int(attachment_id)
    except (TypeError, ValueError):
        raise Http404 from None
    attachment = (
        _visible_attachments(user, session).filter(pk=pk).select_related("uploaded_by")
    ).first()
    if attachment is None:
        raise Http404
    return attachment


@dataclass
class NotesPanel:
    """Everything the notes panel shows one viewer about one session."""

    session: Session
    viewer: User
    is_coach: bool
    private_note: str = ""
    summary: SessionSummary | None = None
    action_items: list[ActionItem] = field(default_factory=list)
    reflections: list[ClientSessionReflection] = field(default_factory=list)
    own_reflection: ClientSessionReflection | None = None
    attachments: list[SessionAttachment] = field(default_factory=list)
    clients: list[User] = field(default_factory=list)
    # Filled by the page layer (the template tag): forms, where they return, what is open.
    forms: dict[str, Any] = field(default_factory=dict)
    next: str = ""
    preparation_open: bool = False
    reflection_open: bool = False
    is_open: bool = False


def notes_panel_for(user: User, session: Session) -> NotesPanel:
    """The notes panel of ``session`` as ``user`` may see it (a party; else ``Http404``)."""
    if not user.is_authenticated:
        raise Http404
    is_coach = session.coach_id == user.pk
    if not is_coach and not is_session_client(user, session):
        raise Http404
    items = action_items_for(user, [session.pk]).get(session.pk, [])
    reflections = reflections_for(user, session)
    panel = NotesPanel(
        session=session,
        viewer=user,
        is_coach=is_coach,
        private_note=private_note_for(user, session) if is_coach else "",
        summary=summary_for(user, session),
        action_items=items,
        reflections=reflections,
        attachments=attachments_for(user, session),
    )
    if is_coach:
        panel.clients = session_clients(session)
    else:
        panel.own_reflection = next((r for r in reflections if r.client_id == user.pk), None)
    return panel
