"""Journal entries, prompts and intentions (/api/v1/journal/…).

Thin: each operation calls the same selector or service as the pages. Only clients keep
a journal: anyone else gets 403. An entry that is not the caller's is a 404 problem;
refused input a 422 problem naming the fields; a malformed cursor a 400. Audio notes are
uploaded on the pages only; here an entry says ``has_audio`` and where to play it.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import Query, Router, Status
from ninja.errors import HttpError

from loom.accounts.models import User
from loom.accounts.permissions import require_client
from loom.accounts.safety import CrisisOut
from loom.core.markdown import render_markdown
from loom.core.schemas import problem_responses
from loom.journal import selectors, services, stats
from loom.journal.days import local_today
from loom.journal.models import Entry
from loom.journal.schemas import (
    EntriesQuery,
    EntryIn,
    EntryOut,
    EntryPageOut,
    EntryPatch,
    EntrySavedOut,
    IntentionIn,
    IntentionOut,
    PromptOut,
    PromptsOut,
    StatsOut,
)
from loom.journal.vocabulary import BODY_ZONES, EMOTIONS, PRACTICES, SENSATIONS

router = Router(tags=["journal"])

ERRORS = problem_responses(400, 401, 403, 404, 422)


def _client(request: HttpRequest) -> User:
    return require_client(request, _("Only clients keep a practice journal."))


def entry_out(entry: Entry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "written_on": entry.written_on,
        "created_at": entry.created_at,
        "updated_at": entry.updated_at,
        "title": entry.title,
        "body": entry.body,
        "body_html": render_markdown(entry.body),
        "excerpt": selectors.excerpt(entry),
        "mood": entry.mood,
        "energy": entry.energy,
        "sensations": entry.sensations,
        "emotions": entry.emotions,
        "body_areas": entry.body_areas,
        "practices": entry.practices,
        "builtin_prompt": entry.builtin_prompt,
        "prompt_id": entry.prompt_id,
        "prompt_text": selectors.entry_prompt_text(entry),
        "has_audio": bool(entry.audio),
        "audio_url": reverse("journal:audio", args=[entry.pk]) if entry.audio else None,
        "audio_content_type": entry.audio_content_type,
        "is_shared": entry.is_shared,
        "shared_at": entry.shared_at,
        "url": reverse("journal:entry", args=[entry.pk]),
    }


def _saved(saved: services.EntrySaved) -> dict[str, Any]:
    entry = selectors.entry_for_author(saved.entry.author, saved.entry.pk)
    return {"entry": entry_out(entry), "crisis": CrisisOut.from_outcome(saved.crisis)}


@router.get(
    "/entries",
    response={200: EntryPageOut, **ERRORS},
    url_name="journal_entries",
    summary="List journal entries",
)
def entry_list(request: HttpRequest, query: Query[EntriesQuery]) -> dict[str, Any]:
    """The caller's entries, newest day first, `limit` per page. Pass `next_cursor` back as
    `cursor` for older ones; filters: `emotion`, `zone` (body zone key), `shared`, `month`."""
    client = _client(request)
    filters = selectors.parse_filters(
        {
            "emotion": query.emotion,
            "zone": query.zone,
            "shared": "1" if query.shared else "",
            "month": query.month,
        }
    )
    try:
        page = selectors.entries_page(
            client, cursor=query.cursor, limit=query.limit, filters=filters
        )
    except ValidationError as exc:
        raise HttpError(400, exc.messages[0]) from exc
    # Prompts are read for the page in one more query (constant whatever the page size).
    prompt_ids = {entry.prompt_id for entry in page.items if entry.prompt_id}
    if prompt_ids:
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(page.items, "prompt")
    return {"items": [entry_out(entry) for entry in page.items], "next_cursor": page.next_cursor}


@router.post(
    "/entries",
    response={201: EntrySavedOut, **ERRORS},
    url_name="journal_entry_create",
    summary="Write a journal entry",
)
def entry_create(request: HttpRequest, payload: EntryIn) -> Status[dict[str, Any]]:
    """A new entry. `crisis` is set when the text suggests the client may be in crisis:
    show its helplines at once."""
    saved = services.entry_create(author=_client(request), **payload.dict())
    return Status(201, _saved(saved))


@router.get(
    "/entries/{int:entry_id}",
    response={200: EntryOut, **ERRORS},
    url_name="journal_entry",
    summary="Read a journal entry",
)
def entry_detail(request: HttpRequest, entry_id: int) -> dict[str, Any]:
    return entry_out(selectors.entry_for_author(_client(request), entry_id))


@router.patch(
    "/entries/{int:entry_id}",
    response={200: EntrySavedOut, **ERRORS},
    url_name="journal_entry_update",
    summary="Change a journal entry",
)
def entry_update(request: HttpRequest, entry_id: int, payload: EntryPatch) -> dict[str, Any]:
    """Only the fields sent change (`null` clears `mood`, `energy` or the prompt);
    `remove_audio: true` deletes the audio note."""
    sent = payload.model_fields_set
    changes = {name: getattr(payload, name) for name in sent if name != "remove_audio"}
    for name in ("title", "body"):
        if name in changes and changes[name] is None:
            changes[name] = ""
    for name in ("sensations", "emotions", "body_areas", "practices"):
        if name in changes and changes[name] is None:
            changes[name] = []
    try:
        saved = services.entry_update(
            author=_client(request),
            entry_id=entry_id,
            remove_audio=payload.remove_audio,
            **changes,
        )
    except Entry.DoesNotExist:
        raise Http404 from None
    return _saved(saved)


@router.delete(
    "/entries/{int:entry_id}",
    response={204: None, **ERRORS},
    url_name="journal_entry_delete",
    summary="Delete a journal entry",
)
def entry_delete(request: HttpRequest, entry_id: int) -> Status[None]:
    """For good: the entry, its comments and its audio note."""
    try:
        services.entry_delete(author=_client(request), entry_id=entry_id)
    except Entry.DoesNotExist:
        raise Http404 from None
    return Status(204, None)


@router.get(
    "/stats",
    response={200: StatsOut, **ERRORS},
    url_name="journal_stats",
    summary="Journal streaks and counts",
)
def journal_stats(request: HttpRequest) -> dict[str, Any]:
    """Streaks count the client's local days; `average_mood` covers the last 30 days,
    `top_emotions` and `top_zones` the last 90."""
    client = _client(request)
    today = local_today(client)
    found = stats.journal_stats(client, today=today)
    return {"today": today, **found.__dict__}


@router.get(
    "/prompts",
    response={200: PromptsOut, **ERRORS},
    url_name="journal_prompts",
    summary="Prompts and the journal's vocabulary",
)
def prompts(request: HttpRequest) -> dict[str, Any]:
    """Built-in prompts and the active prompts of the client's coaches, today's prompt,
    and the keys (with labels in the caller's language) entries accept."""
    client = _client(request)
    choices = selectors.prompts_for(client)
    today = local_today(client)
    return {
        "prompts": [PromptOut(**choice.__dict__) for choice in choices],
        "prompt_of_the_day": PromptOut(
            **selectors.prompt_of_the_day(client, today, choices).__dict__
        ),
        "emotions": [
            {"key": e.key, "label": str(e.label), "quadrant": e.quadrant} for e in EMOTIONS
        ],
        "sensations": [{"key": k, "label": str(v)} for k, v in SENSATIONS.items()],
        "body_zones": [{"key": k, "label": str(v)} for k, v in BODY_ZONES.items()],
        "practices": [{"key": k, "label": str(v)} for k, v in PRACTICES.items()],
    }


@router.put(
    "/intention",
    response={200: IntentionOut, **ERRORS},
    url_name="journal_intention",
    summary="Set today's intention",
)
def intention_set(request: HttpRequest, payload: IntentionIn) -> dict[str, Any]:
    """Today is the client's local day. An empty `text` clears it."""
    client = _client(request)
    saved = services.intention_set(client=client, text=payload.text)
    return {"day": local_today(client), "text": saved.text if saved else ""}
