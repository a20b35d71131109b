"""The client's practice journal pages: list, new, one entry, edit, delete, audio, intention.

Thin: each view parses, calls one service or selector, and renders. Every entry is read
through ``entry_for_author`` with the signed-in client, so anyone else's entry is a 404.
Every page works without JavaScript (``static/js/journal.js`` and ``body-map.js`` only
add the slider, the recorder and the clickable body figure).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import BadRequest, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.models import User
from loom.accounts.permissions import client_required
from loom.accounts.safety import crisis_flash
from loom.core.markdown import render_markdown
from loom.core.uploads import limit_uploads, upload_had_too_many_files, upload_was_too_large
from loom.journal import selectors, services, stats
from loom.journal.audio import audio_response
from loom.journal.days import local_today
from loom.journal.forms import EntryForm, IntentionForm, add_service_errors
from loom.journal.models import AUDIO_MAX_BYTES, Entry
from loom.journal.vocabulary import BODY_ZONES, EMOTIONS, PRACTICES, SENSATIONS

_EMOTION_LABELS = {emotion.key: emotion.label for emotion in EMOTIONS}


def _client(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _labels(keys: list[str], vocabulary: dict[str, Any]) -> list[str]:
    return [str(vocabulary[key]) for key in keys if key in vocabulary]


def _crisis(request: HttpRequest, saved: services.EntrySaved) -> None:
    if saved.crisis is not None:
        crisis_flash(request, saved.crisis)


@client_required
@require_http_methods(["GET", "HEAD"])
def entry_list(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    today = local_today(client)
    filters = selectors.parse_filters(request.GET)
    try:
        page = selectors.entries_page(client, cursor=request.GET.get("cursor"), filters=filters)
    except ValidationError as exc:
        raise BadRequest(exc.messages[0]) from exc
    intention = selectors.today_intention(client, today)
    prompts = selectors.prompts_for(client)
    older_url = ""
    if page.next_cursor:
        older_url = "?" + urlencode({**filters.as_query(), "cursor": page.next_cursor})
    return TemplateResponse(
        request,
        "journal/list.html",
        {
            "page": page,
            "rows": [
                {
                    "entry": entry,
                    "excerpt": selectors.excerpt(entry),
                    "emotions": _labels(entry.emotions, _EMOTION_LABELS)[:3],
                }
                for entry in page.items
            ],
            "filters": filters,
            "older_url": older_url,
            "is_first_page": not request.GET.get("cursor"),
            "stats": stats.journal_stats(client, today=today),
            "intention": intention,
            "intention_form": IntentionForm(initial={"text": intention.text if intention else ""}),
            "prompt_of_the_day": selectors.prompt_of_the_day(client, today, prompts),
            "emotion_choices": [(e.key, e.label) for e in EMOTIONS],
            "zone_choices": list(BODY_ZONES.items()),
            "today": today,
        },
    )


def _form_context(form: EntryForm, prompts: list[selectors.PromptChoice]) -> dict[str, Any]:
    return {
        "form": form,
        "zones": list(BODY_ZONES.items()),
        "prompt_texts": [(choice.field_value, choice.text) for choice in prompts],
        "prompt_texts_json": {choice.field_value: choice.text for choice in prompts},
        "audio_max_mb": AUDIO_MAX_BYTES // 2**20,
    }


def _upload_refusal(request: HttpRequest) -> ValidationError | None:
    return upload_was_too_large(request) or upload_had_too_many_files(request)


def _limited(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Bound the upload before anything reads ``request.POST`` (the CSRF check would), so an
    oversize audio file stops being read as it arrives; CSRF is then checked by the view."""
    inner = csrf_protect(view)

    @wraps(view)
    @csrf_exempt
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method == "POST":
            limit_uploads(request, max_bytes=AUDIO_MAX_BYTES, max_files=1)
        return inner(request, *args, **kwargs)

    return wrapper


@_limited
@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_new(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    today = local_today(client)
    prompts = selectors.prompts_for(client)
    if request.method == "POST":
        form = EntryForm(request.POST, request.FILES, prompts=prompts, today=today)
        refusal = _upload_refusal(request)
        if refusal is not None:
            form.is_valid()
            form.add_error("audio", refusal)
        elif form.is_valid():
            try:
                saved = services.entry_create(author=client, **form.service_kwargs())
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _crisis(request, saved)
                messages.success(request, _("Your entry was saved."))
                return redirect("journal:entry", saved.entry.pk)
    else:
        chosen = selectors.prompt_choice(prompts, request.GET.get("prompt", ""))
        form = EntryForm(
            initial={"prompt": chosen.field_value if chosen else "", "written_on": today},
            prompts=prompts,
            today=today,
        )
    return TemplateResponse(
        request,
        "journal/form.html",
        {**_form_context(form, prompts), "editing": None},
        status=400 if request.method == "POST" else 200,
    )


@client_required
@require_http_methods(["GET", "HEAD"])
def entry_detail(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.entry_for_author(_client(request), entry_id)
    return TemplateResponse(
        request,
        "journal/entry.html",
        {
            "entry": entry,
            "body_html": render_markdown(entry.body),
            "prompt_text": selectors.entry_prompt_text(entry),
            "emotions": _labels(entry.emotions, _EMOTION_LABELS),
            "sensations": _labels(entry.sensations, SENSATIONS),
            "zones": _labels(entry.body_areas, BODY_ZONES),
            "practices": _labels(entry.practices, PRACTICES),
        },
    )


def _initial(entry: Entry) -> dict[str, Any]:
    prompt = ""
    if entry.builtin_prompt:
        prompt = f"b:{entry.builtin_prompt}"
    elif entry.prompt_id:
        prompt = f"c:{entry.prompt_id}"
    return {
        "title": entry.title,
        "body": entry.body,
        "mood": entry.mood,
        "energy": entry.energy,
        "emotions": entry.emotions,
        "sensations": entry.sensations,
        "body_areas": entry.body_areas,
        "practices": entry.practices,
        "written_on": entry.written_on,
        "prompt": prompt,
    }


def _with_entry_prompt(
    prompts: list[selectors.PromptChoice], entry: Entry
) -> list[selectors.PromptChoice]:
    """The choices, plus the coach prompt the entry answers if it is no longer offered."""
    if entry.prompt is not None and all(
        choice.builtin or choice.key != str(entry.prompt_id) for choice in prompts
    ):
        return [
            *prompts,
            selectors.PromptChoice(key=str(entry.prompt_id), text=entry.prompt.text, builtin=False),
        ]
    return prompts


@_limited
@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_edit(request: HttpRequest, entry_id: int) -> HttpResponse:
    client = _client(request)
    entry = selectors.entry_for_author(client, entry_id)
    today = local_today(client)
    prompts = _with_entry_prompt(selectors.prompts_for(client), entry)
    has_audio = bool(entry.audio)
    if request.method == "POST":
        form = EntryForm(
            request.POST, request.FILES, prompts=prompts, today=today, has_audio=has_audio
        )
        refusal = _upload_refusal(request)
        if refusal is not None:
            form.is_valid()
            form.add_error("audio", refusal)
        elif form.is_valid():
            try:
                saved = services.entry_update(
                    author=client,
                    entry_id=entry.pk,
                    remove_audio=bool(form.cleaned_data.get("remove_audio")),
                    **form.service_kwargs(),
                )
            except Entry.DoesNotExist:
                raise Http404 from None
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                _crisis(request, saved)
                messages.success(request, _("Your entry was saved."))
                return redirect("journal:entry", entry.pk)
    else:
        form = EntryForm(initial=_initial(entry), prompts=prompts, today=today, has_audio=has_audio)
    return TemplateResponse(
        request,
        "journal/form.html",
        {**_form_context(form, prompts), "editing": entry},
        status=400 if request.method == "POST" else 200,
    )


@client_required
@require_http_methods(["GET", "HEAD", "POST"])
def entry_delete(request: HttpRequest, entry_id: int) -> HttpResponse:
    client = _client(request)
    entry = selectors.entry_for_author(client, entry_id)
    if request.method == "POST":
        try:
            services.entry_delete(author=client, entry_id=entry.pk)
        except Entry.DoesNotExist:
            raise Http404 from None
        messages.success(request, _("The entry was deleted."))
        return redirect("journal:list")
    return TemplateResponse(request, "journal/delete.html", {"entry": entry})


@client_required
@require_http_methods(["GET", "HEAD"])
def entry_audio(request: HttpRequest, entry_id: int) -> HttpResponse:
    entry = selectors.entry_for_author(_client(request), entry_id)
    if not entry.audio:
        raise Http404
    return audio_response(request, entry)


@client_required
@require_POST
def intention(request: HttpRequest) -> HttpResponse:
    form = IntentionForm(request.POST)
    if form.is_valid():
        try:
            saved = services.intention_set(client=_client(request), text=form.cleaned_data["text"])
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                _("Today's intention was set.") if saved else _("Today's intention was cleared."),
            )
    else:
        messages.error(request, " ".join(str(error) for error in form.errors.get("text", [])))
    return redirect(reverse("journal:list"))
