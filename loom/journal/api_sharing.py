"""Sharing journal entries, comments and coach prompts (/api/v1/journal/…).

Thin: each operation calls the same service or selector as the pages. The client
shares and un-shares their own entries; both parties of a shared entry read and
write its comments; the coach lists and opens what is shared with them — every
opening writes an audit row, as the page does — and manages their own prompts.
Someone else's entry, comment or prompt is a 404 problem; a rule refused is a 400.
"""

from __future__ import annotations

from datetime import date, datetime

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema, Status

from loom.accounts.models import Role, User
from loom.accounts.permissions import request_user, require_client, require_coach
from loom.accounts.safety import CrisisOut
from loom.core.markdown import render_markdown
from loom.core.schemas import problem_responses
from loom.journal import sharing
from loom.journal.models import COMMENT_MAX, PROMPT_MAX, Comment, Entry, Prompt
from loom.journal.selectors_coach import (
    PAGE_MAX,
    comments_of,
    excerpt,
    prompt_text,
    shared_entries_for_coach,
    shared_entry_for_coach,
)

router = Router(tags=["journal sharing"])

ERRORS = problem_responses(400, 401, 403, 404, 422)


# --- Shapes ----------------------------------------------------------------------------------


class PersonOut(Schema):
    id: int
    name: str


class ShareIn(Schema):
    coach_id: int = Field(description="One of the client's active coaches.")


class ShareStateOut(Schema):
    id: int
    shared_with: PersonOut | None = Field(description="The coach who can read it, or null.")
    shared_at: datetime | None


class CommentIn(Schema):
    body: str = Field(max_length=COMMENT_MAX, description="Markdown, 1 to 4,000 characters.")


class CommentOut(Schema):
    id: int
    entry: int
    author: PersonOut
    mine: bool
    body: str = Field(description="The markdown source.")
    body_html: str = Field(description="Rendered from markdown and sanitized.")
    created_at: datetime


class CommentCreatedOut(Schema):
    comment: CommentOut
    crisis: CrisisOut | None = Field(
        default=None, description="Support lines when a client's words suggest a crisis."
    )


class SharedQuery(Schema):
    client_id: int
    cursor: str | None = Field(default=None, max_length=200)
    limit: int = Field(default=20, ge=1, le=PAGE_MAX)


class SharedItemOut(Schema):
    id: int
    written_on: date
    shared_at: datetime
    excerpt: str
    mood: int | None
    has_audio: bool
    comments: int
    url: str


class SharedPageOut(Schema):
    items: list[SharedItemOut]
    next_cursor: str | None


class ChoiceGroupOut(Schema):
    label: str
    items: list[str]


class SharedEntryOut(Schema):
    id: int
    author: PersonOut
    written_on: date
    shared_at: datetime
    title: str
    body: str
    body_html: str
    prompt: str
    mood: int | None
    energy: int | None
    emotions: list[str]
    sensations: list[str]
    body_areas: list[str]
    practices: list[str]
    audio_url: str | None
    comments: list[CommentOut]


class PromptIn(Schema):
    text: str = Field(max_length=PROMPT_MAX)


class PromptPatchIn(Schema):
    text: str | None = Field(default=None, max_length=PROMPT_MAX)
    is_active: bool | None = None


class PromptOut(Schema):
    id: int
    text: str
    is_active: bool
    created_at: datetime


# --- Helpers ---------------------------------------------------------------------------------


def _client(request: HttpRequest) -> User:
    return require_client(request, _only_clients())


def _only_clients() -> str:
    from django.utils.translation import gettext as _

    return _("Only clients can share journal entries.")


def _person(user: User) -> PersonOut:
    return PersonOut(id=user.pk, name=user.display_name)


def _share_state(entry: Entry) -> ShareStateOut:
    coach = entry.shared_with
    return ShareStateOut(
        id=entry.pk,
        shared_with=_person(coach) if coach is not None else None,
        shared_at=entry.shared_at,
    )


def _comment_out(comment: Comment, viewer: User, html: str | None = None) -> CommentOut:
    return CommentOut(
        id=comment.pk,
        entry=comment.entry_id,
        author=_person(comment.author),
        mine=comment.author_id == viewer.pk,
        body=comment.body,
        body_html=html if html is not None else render_markdown(comment.body),
        created_at=comment.created_at,
    )


def _prompt_out(prompt: Prompt) -> PromptOut:
    return PromptOut(
        id=prompt.pk, text=prompt.text, is_active=prompt.is_active, created_at=prompt.created_at
    )


def _readable_entry(user: User, entry_id: int) -> Entry:
    """The entry for a comment thread: the author's own, or (audited) the coach's shared one."""
    if user.role == Role.COACH:
        return shared_entry_for_coach(user, entry_id)
    return sharing.own_entry(user, entry_id)


# --- Client: sharing ---------------------------------------------------------------------------


@router.post(
    "/entries/{int:entry_id}/share",
    response={200: ShareStateOut, **ERRORS},
    url_name="journal_entry_share",
    summary="Share an entry with a coach",
)
def entry_share(request: HttpRequest, entry_id: int, payload: ShareIn) -> ShareStateOut:
    """The client shares their own entry with one of their active coaches (the coach is
    told, without the text). Sharing again records the new time; another coach moves it."""
    entry = sharing.entry_share(
        author=_client(request), entry_id=entry_id, coach_id=payload.coach_id
    )
    return _share_state(entry)


@router.post(
    "/entries/{int:entry_id}/unshare",
    response={200: ShareStateOut, **ERRORS},
    url_name="journal_entry_unshare",
    summary="Stop sharing an entry",
)
def entry_unshare(request: HttpRequest, entry_id: int) -> ShareStateOut:
    """The entry is private again; the coach loses access at once. Idempotent."""
    entry = sharing.entry_unshare(author=_client(request), entry_id=entry_id)
    return _share_state(entry)


# --- Comments ----------------------------------------------------------------------------------


@router.get(
    "/entries/{int:entry_id}/comments",
    response={200: list[CommentOut], **ERRORS},
    url_name="journal_entry_comments",
    summary="List an entry's comments",
)
def comment_list(request: HttpRequest, entry_id: int) -> list[CommentOut]:
    """Oldest first (one query). The entry's author, or the coach it is shared with
    (an audited opening)."""
    user = request_user(request)
    entry = _readable_entry(user, entry_id)
    return [_comment_out(row.comment, user, row.html) for row in comments_of(entry, user)]


@router.post(
    "/entries/{int:entry_id}/comments",
    response={201: CommentCreatedOut, **ERRORS},
    url_name="journal_entry_comment_add",
    summary="Comment on a shared entry",
)
def comment_add(
    request: HttpRequest, entry_id: int, payload: CommentIn
) -> Status[CommentCreatedOut]:
    """By the coach it is shared with or by its author, while it is shared (400
    `not_shared` otherwise). The other party is told, without the text."""
    user = request_user(request)
    saved = sharing.comment_add(author=user, entry_id=entry_id, body=payload.body)
    return Status(
        201,
        CommentCreatedOut(
            comment=_comment_out(saved.comment, user), crisis=CrisisOut.from_outcome(saved.crisis)
        ),
    )


@router.delete(
    "/comments/{int:comment_id}",
    response={204: None, **ERRORS},
    url_name="journal_comment_delete",
    summary="Delete one of your comments",
)
def comment_delete(request: HttpRequest, comment_id: int) -> Status[None]:
    sharing.comment_delete(author=request_user(request), comment_id=comment_id)
    return Status(204, None)


# --- Coach: shared entries ---------------------------------------------------------------------


@router.get(
    "/shared",
    response={200: SharedPageOut, **ERRORS},
    url_name="journal_shared_list",
    summary="Entries a client shares with you",
)
def shared_list(request: HttpRequest, query: Query[SharedQuery]) -> SharedPageOut:
    """Newest day first, `limit` per page; pass `next_cursor` back as `cursor`. Only a
    client on your active roster; listing is recorded in the audit log."""
    coach = require_coach(request)
    page = shared_entries_for_coach(coach, query.client_id, cursor=query.cursor, limit=query.limit)
    return SharedPageOut(
        items=[
            SharedItemOut(
                id=entry.pk,
                written_on=entry.written_on,
                shared_at=entry.shared_at,  # type: ignore[arg-type]
                excerpt=excerpt(entry),
                mood=entry.mood,
                has_audio=bool(entry.audio),
                comments=entry.comment_count,  # type: ignore[attr-defined]
                url=reverse("journal_coach:entry", args=[entry.pk]),
            )
            for entry in page.items
        ],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/shared/{int:entry_id}",
    response={200: SharedEntryOut, **ERRORS},
    url_name="journal_shared_entry",
    summary="Open an entry shared with you",
)
def shared_entry(request: HttpRequest, entry_id: int) -> SharedEntryOut:
    """The whole entry with its comments. Every call writes an audit row
    (`journal.entry_viewed`)."""
    coach = require_coach(request)
    entry = shared_entry_for_coach(coach, entry_id)
    return SharedEntryOut(
        id=entry.pk,
        author=_person(entry.author),
        written_on=entry.written_on,
        shared_at=entry.shared_at,  # type: ignore[arg-type]
        title=entry.title,
        body=entry.body,
        body_html=render_markdown(entry.body) if entry.body else "",
        prompt=str(prompt_text(entry)),
        mood=entry.mood,
        energy=entry.energy,
        emotions=list(entry.emotions or []),
        sensations=list(entry.sensations or []),
        body_areas=list(entry.body_areas or []),
        practices=list(entry.practices or []),
        audio_url=reverse("journal_coach:audio", args=[entry.pk]) if entry.audio else None,
        comments=[_comment_out(row.comment, coach, row.html) for row in comments_of(entry, coach)],
    )


# --- Coach: prompts ----------------------------------------------------------------------------


@router.get(
    "/prompts/mine",
    response={200: list[PromptOut], **ERRORS},
    url_name="journal_prompts_mine",
    summary="Your journal prompts",
)
def prompt_list(request: HttpRequest) -> list[PromptOut]:
    coach = require_coach(request)
    return [
        _prompt_out(prompt)
        for prompt in Prompt.objects.filter(coach_id=coach.pk).order_by("-created_at", "-id")
    ]


@router.post(
    "/prompts/mine",
    response={201: PromptOut, **ERRORS},
    url_name="journal_prompt_create",
    summary="Add a journal prompt",
)
def prompt_create(request: HttpRequest, payload: PromptIn) -> Status[PromptOut]:
    """Offered at once to your active clients."""
    prompt = sharing.prompt_create(coach=require_coach(request), text=payload.text)
    return Status(201, _prompt_out(prompt))


@router.patch(
    "/prompts/mine/{int:prompt_id}",
    response={200: PromptOut, **ERRORS},
    url_name="journal_prompt_update",
    summary="Change a journal prompt",
)
def prompt_update(request: HttpRequest, prompt_id: int, payload: PromptPatchIn) -> PromptOut:
    """Change `text` and/or `is_active` (hidden prompts are not offered)."""
    prompt = sharing.prompt_update(
        coach=require_coach(request),
        prompt_id=prompt_id,
        text=payload.text,
        is_active=payload.is_active,
    )
    return _prompt_out(prompt)


@router.delete(
    "/prompts/mine/{int:prompt_id}",
    response={204: None, **ERRORS},
    url_name="journal_prompt_delete",
    summary="Delete a journal prompt",
)
def prompt_delete(request: HttpRequest, prompt_id: int) -> Status[None]:
    """Entries that answered it keep their text."""
    sharing.prompt_delete(coach=require_coach(request), prompt_id=prompt_id)
    return Status(204, None)
