"""Reads of the practice journal, always scoped to the client who asks.

``entries_page`` pages with a keyset (``written_on`` then ``id``, both descending), not
an offset: a page costs the same however far back the client reads, and an entry
written while they page does not shift the next page. The cursor is opaque to callers
(base64 of ``"<date>:<id>"``); a cursor that does not decode is a ``ValidationError``
(the page and the API answer 400).
"""

from __future__ import annotations

import base64
import binascii
import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.http import Http404
from django.utils.html import strip_tags
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, User
from loom.core.ids import parse_object_id
from loom.core.markdown import render_markdown
from loom.journal.models import Entry, Intention, Prompt
from loom.journal.vocabulary import BODY_ZONES, BUILTIN_PROMPTS, EMOTION_KEYS

PAGE_SIZE = 20
PAGE_MAX = 100
EXCERPT_CHARS = 140
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


# --- Filters and cursors -------------------------------------------------------------------


@dataclass(frozen=True)
class EntryFilters:
    emotion: str = ""
    zone: str = ""
    shared: bool = False
    month: date | None = None  # the first day of the month

    @property
    def active(self) -> bool:
        return bool(self.emotion or self.zone or self.shared or self.month)

    def as_query(self) -> dict[str, str]:
        """The filters as query-string pairs (for "Older entries" links)."""
        pairs: dict[str, str] = {}
        if self.emotion:
            pairs["emotion"] = self.emotion
        if self.zone:
            pairs["zone"] = self.zone
        if self.shared:
            pairs["shared"] = "1"
        if self.month:
            pairs["month"] = self.month.strftime("%Y-%m")
        return pairs


def parse_filters(data: Any) -> EntryFilters:
    """Filters from a query string; unknown values are ignored rather than refused (a
    stale bookmark still opens the journal)."""
    emotion = str(data.get("emotion") or "")
    zone = str(data.get("zone") or "")
    month: date | None = None
    match = _MONTH.match(str(data.get("month") or ""))
    if match:
        year, number = int(match.group(1)), int(match.group(2))
        if 1 <= year <= 9999 and 1 <= number <= 12:
            month = date(year, number, 1)
    return EntryFilters(
        emotion=emotion if emotion in EMOTION_KEYS else "",
        zone=zone if zone in BODY_ZONES else "",
        shared=str(data.get("shared") or "") in ("1", "true", "on"),
        month=month,
    )


def cursor_encode(entry: Entry) -> str:
    raw = f"{entry.written_on.isoformat()}:{entry.pk}".encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def cursor_decode(cursor: str) -> tuple[date, int]:
    """``(written_on, id)`` of a cursor; ``ValidationError`` when it is not one of ours."""
    refused = ValidationError(_("That page link is not valid."), code="bad_cursor")
    if not isinstance(cursor, str) or not 0 < len(cursor) <= 64:
        raise refused
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        day_text, _sep, id_text = raw.partition(":")
        day = date.fromisoformat(day_text)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise refused from None
    pk = parse_object_id(id_text) if id_text.isdigit() else None
    if pk is None:
        raise refused
    return day, pk


# --- Entries -------------------------------------------------------------------------------


@dataclass
class Page:
    items: list[Entry]
    next_cursor: str | None = None
    filters: EntryFilters = field(default_factory=EntryFilters)


def _filtered(author: User, filters: EntryFilters) -> QuerySet[Entry]:
    rows = Entry.objects.filter(author_id=author.pk)
    # Keys are plain identifiers, so the quoted key is found in the JSON text exactly;
    # the same lookup works on SQLite and PostgreSQL (JSON array containment does not).
    if filters.emotion:
        rows = rows.annotate(_emotions=Cast("emotions", TextField())).filter(
            _emotions__contains=f'"{filters.emotion}"'
        )
    if filters.zone:
        rows = rows.annotate(_zones=Cast("body_areas", TextField())).filter(
            _zones__contains=f'"{filters.zone}"'
        )
    if filters.shared:
        rows = rows.filter(shared_with__isnull=False)
    if filters.month:
        start = filters.month
        end = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        rows = rows.filter(written_on__gte=start, written_on__lt=end)
    return rows


def entries_page(
    author: User,
    *,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
    filters: EntryFilters | None = None,
) -> Page:
    """A page of ``author``'s entries, newest day first (one query)."""
    filters = filters or EntryFilters()
    limit = max(1, min(int(limit), PAGE_MAX))
    rows = _filtered(author, filters)
    if cursor:
        day, pk = cursor_decode(cursor)
        rows = rows.filter(Q(written_on__lt=day) | Q(written_on=day, id__lt=pk))
    found = list(rows.select_related("shared_with").order_by("-written_on", "-id")[: limit + 1])
    items = found[:limit]
    next_cursor = cursor_encode(items[-1]) if len(found) > limit else None
    return Page(items=items, next_cursor=next_cursor, filters=filters)


def entry_for_author(author: User, entry_id: Any) -> Entry:
    """``author``'s own entry ``entry_id``; ``Http404`` for anything else."""
    pk = parse_object_id(entry_id)
    entry = (
        Entry.objects.select_related("prompt", "shared_with")
        .filter(pk=pk, author_id=author.pk)
        .first()
        if pk is not None
        else None
    )
    if entry is None:
        raise Http404
    return entry


def excerpt(entry: Entry, *, chars: int = EXCERPT_CHARS) -> str:
    """The first ``chars`` characters of the entry's text as plain text (markdown removed).

    Only the beginning of the text is rendered: a list page shows twenty excerpts, and
    rendering whole entries to cut 140 characters was most of its time.
    """
    text = html.unescape(strip_tags(render_markdown(entry.body[: chars * 4])))
    text = " ".join(text.split())
    if len(text) > chars:
        return text[: chars - 1].rstrip() + "…"
    return text


# --- Prompts and intentions ----------------------------------------------------------------


@dataclass(frozen=True)
class PromptChoice:
    # A built-in key ("breath") or a coach prompt's id as text ("12").
    key: str
    text: str
    builtin: bool
    coach_name: str = ""

    @property
    def field_value(self) -> str:
        """The value of the form's prompt select: ``b:<key>`` or ``c:<id>``."""
        return f"b:{self.key}" if self.builtin else f"c:{self.key}"


def prompts_for(client: User) -> list[PromptChoice]:
    """Built-in prompts, then the active prompts of the client's active coaches (one query)."""
    choices = [
        PromptChoice(key=key, text=str(text), builtin=True) for key, text in BUILTIN_PROMPTS.items()
    ]
    coaches = CoachClient.objects.filter(
        client_id=client.pk, status=CoachClient.Status.ACTIVE
    ).values("coach_id")
    for prompt in (
        Prompt.objects.filter(coach_id__in=coaches, is_active=True)
        .select_related("coach")
        .order_by("coach_id", "created_at", "id")
    ):
        choices.append(
            PromptChoice(
                key=str(prompt.pk),
                text=prompt.text,
                builtin=False,
                coach_name=prompt.coach.display_name,
            )
        )
    return choices


def prompt_of_the_day(
    client: User, today: date, choices: list[PromptChoice] | None = None
) -> PromptChoice:
    """One prompt per day, the same all day, moving on each day (and different per client)."""
    choices = choices if choices is not None else prompts_for(client)
    return choices[(today.toordinal() + int(client.pk or 0)) % len(choices)]


def prompt_choice(choices: list[PromptChoice], value: str) -> PromptChoice | None:
    """The choice ``value`` names: a built-in key, a coach prompt id, or a form value."""
    for choice in choices:
        if value in (choice.field_value, choice.key):
            return choice
    return None


def entry_prompt_text(entry: Entry) -> str:
    if entry.builtin_prompt in BUILTIN_PROMPTS:
        return str(BUILTIN_PROMPTS[entry.builtin_prompt])
    if entry.prompt_id is not None and entry.prompt is not None:
        return entry.prompt.text
    return ""


def today_intention(client: User, today: date) -> Intention | None:
    return Intention.objects.filter(client_id=client.pk, day=today).first()


def recent_days(today: date, days: int) -> date:
    """The first day of the ``days`` local days that end with ``today``."""
    return today - timedelta(days=days - 1)
