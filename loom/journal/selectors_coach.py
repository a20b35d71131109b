"""Reads of shared journal entries for the coach, and of comment threads for either side.

A coach reads an entry only while it is shared with them AND its author is on their
active roster (the same rule as the row-level-security policy of journal 0002, so
both layers agree; SQLite deployments have only this one). Anything else is a 404.

Every opening of a client's shared journal writes an audit row in the same
transaction (DESIGN.md rule 3): ``journal.entry_viewed`` for one entry (page, API,
audio) and ``journal.shared_list_viewed`` for the list on the client's Journal tab.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import CoachClient, User
from loom.core.audit import audit_record
from loom.core.errors import DomainError
from loom.core.ids import parse_object_id
from loom.core.markdown import render_markdown
from loom.journal import vocabulary
from loom.journal.models import Comment, Entry
from loom.journal.selectors import excerpt as body_excerpt

PAGE_MAX = 50
EXCERPT_CHARS = 140


@dataclass
class Page:
    items: list[Entry]
    next_cursor: str | None = None


@dataclass
class ChoiceGroup:
    label: Promise
    items: list[Promise] = field(default_factory=list)


# --- Cursors ---------------------------------------------------------------------------------


def cursor_encode(entry: Entry) -> str:
    raw = f"{entry.written_on.isoformat()}:{entry.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def cursor_decode(cursor: str | None) -> tuple[date, int] | None:
    """``(written_on, id)`` of the last row seen, or None for the first page.

    A cursor that is not one of ours is a ``DomainError`` (400), never a 500.
    """
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        day_text, _sep, id_text = (
            base64.urlsafe_b64decode(padded.encode("ascii")).decode().partition(":")
        )
        day = date.fromisoformat(day_text)
        pk = parse_object_id(id_text)
    except (ValueError, UnicodeError, binascii.Error):
        pk = None
    if pk is None:
        raise DomainError(str(_("That page link is not valid.")), code="invalid_cursor")
    return day, pk


# --- Access ----------------------------------------------------------------------------------


def _on_roster(coach_id: int) -> Exists:
    return Exists(
        CoachClient.objects.filter(
            coach_id=coach_id, client_id=OuterRef("author_id"), status=CoachClient.Status.ACTIVE
        )
    )


def shared_with_coach(coach: User) -> QuerySet[Entry]:
    """Every entry ``coach`` may read now (shared with them, author on their active roster)."""
    if not getattr(coach, "is_authenticated", False):
        return Entry.objects.none()
    return Entry.objects.filter(_on_roster(coach.pk), shared_with_id=coach.pk)


def coach_visible_comments(coach_id: int, *, entry_author: Any, shared_at: Any) -> Q:
    """The comments of a shared entry its coach may read: their own, and the client's
    written since the entry was shared with them. A client may move an entry from one
    coach to another; the first coach's words, and the replies written to them, are
    not the second coach's to read."""
    return Q(author_id=coach_id) | Q(author_id=entry_author, created_at__gte=shared_at)


def _comment_count(coach_id: int) -> Coalesce:
    counts = (
        Comment.objects.filter(
            coach_visible_comments(
                coach_id, entry_author=OuterRef("author_id"), shared_at=OuterRef("shared_at")
            ),
            entry_id=OuterRef("pk"),
        )
        .order_by()
        .values("entry_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def shared_entries_for_coach(
    coach: User,
    client_id: Any,
    *,
    cursor: str | None = None,
    limit: int = 20,
    audit: bool = True,
) -> Page:
    """One page of ``client_id``'s entries shared with ``coach``, newest day first.

    Keyset pagination on (written_on, id): one query for the page (comment counts in
    a subquery) and one audit row, whatever the page size or the journal's length.
    A client who is not on the coach's active roster has no shared entries here.
    """
    limit = max(1, min(int(limit), PAGE_MAX))
    after = cursor_decode(cursor)
    client_pk = parse_object_id(client_id)
    if client_pk is None:
        return Page(items=[])
    rows = shared_with_coach(coach).filter(author_id=client_pk)
    if after is not None:
        day, pk = after
        rows = rows.filter(Q(written_on__lt=day) | Q(written_on=day, id__lt=pk))
    items: list[Entry] = list(
        rows.annotate(comment_count=_comment_count(coach.pk)).order_by("-written_on", "-id")[
            : limit + 1
        ]
    )
    more = len(items) > limit
    items = items[:limit]
    if audit and items:
        with transaction.atomic():
            audit_record(
                action="journal.shared_list_viewed",
                actor=coach,
                target=User(pk=client_pk),
                details={"client_id": client_pk, "entry_ids": [entry.pk for entry in items]},
            )
    return Page(items=items, next_cursor=cursor_encode(items[-1]) if more else None)


def shared_entry_for_coach(
    coach: User, entry_id: Any, *, action: str = "journal.entry_viewed"
) -> Entry:
    """The entry, if shared with ``coach`` by a client on their active roster — else 404.

    Each call writes an audit row ``action`` (actor: the coach; target: the entry) in
    the same transaction: every opening is recorded, page and API alike.
    """
    pk = parse_object_id(entry_id)
    entry = (
        shared_with_coach(coach).select_related("author", "prompt").filter(pk=pk).first()
        if pk
        else None
    )
    if entry is None:
        raise Http404
    with transaction.atomic():
        audit_record(
            action=action, actor=coach, target=entry, details={"client_id": entry.author_id}
        )
    return entry


def coach_shared_counts(coach: User, client_ids: list[int]) -> dict[int, int]:
    """How many entries each of ``client_ids`` shares with ``coach`` now (one query)."""
    counts = (
        shared_with_coach(coach)
        .filter(author_id__in=client_ids)
        .order_by()
        .values("author_id")
        .annotate(n=Count("pk"))
    )
    return {row["author_id"]: row["n"] for row in counts}


# --- Comments --------------------------------------------------------------------------------


@dataclass
class CommentRow:
    comment: Comment
    html: str
    mine: bool


def comments_of(entry: Entry, viewer: User) -> list[CommentRow]:
    """The entry's comments ``viewer`` may read, oldest first, rendered (one query): all
    of them for the author, the current thread for the coach (``coach_visible_comments``).
    The caller has already checked that ``viewer`` may read ``entry``."""
    rows = Comment.objects.filter(entry=entry)
    if viewer.pk != entry.author_id:
        if entry.shared_with_id != viewer.pk or entry.shared_at is None:
            return []
        rows = rows.filter(
            coach_visible_comments(
                viewer.pk, entry_author=entry.author_id, shared_at=entry.shared_at
            )
        )
    return [
        CommentRow(
            comment=comment, html=render_markdown(comment.body), mine=comment.author_id == viewer.pk
        )
        for comment in rows.select_related("author").order_by("created_at", "id")
    ]


# --- Display helpers -------------------------------------------------------------------------


def excerpt(entry: Entry, chars: int = EXCERPT_CHARS) -> str:
    """The title, or the beginning of the text as plain text."""
    return entry.title or body_excerpt(entry, chars=chars)


_EMOTION_LABELS = {emotion.key: emotion.label for emotion in vocabulary.EMOTIONS}


def _labels(keys: Any, labels: dict[str, Promise]) -> list[Promise]:
    # Unknown keys (a vocabulary word retired later) are skipped, never shown raw.
    return [labels[key] for key in keys or () if key in labels]


def entry_choices(entry: Entry) -> list[ChoiceGroup]:
    """The entry's chosen words, grouped and in the viewer's language; empty groups left out."""
    groups = [
        ChoiceGroup(_("Emotions"), _labels(entry.emotions, _EMOTION_LABELS)),
        ChoiceGroup(_("Sensations"), _labels(entry.sensations, vocabulary.SENSATIONS)),
        ChoiceGroup(_("Where in the body"), _labels(entry.body_areas, vocabulary.BODY_ZONES)),
        ChoiceGroup(_("Practices"), _labels(entry.practices, vocabulary.PRACTICES)),
    ]
    return [group for group in groups if group.items]


def prompt_text(entry: Entry) -> str | Promise:
    """The prompt the entry answers, if any (a built-in one in the viewer's language)."""
    if entry.prompt_id and entry.prompt is not None:
        return entry.prompt.text
    return vocabulary.BUILTIN_PROMPTS.get(entry.builtin_prompt, "")
