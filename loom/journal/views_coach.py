"""Pages of journal sharing: the client's share/unshare/comment actions, the coach's
view of a shared entry (audited), its audio, and the coach's journal prompts.

Thin: each view parses a form, calls one service or selector and renders or
redirects. A client's action on an entry that is not theirs, a coach's look at an
entry not shared with them (or from an archived client), a foreign prompt or comment:
all 404. The role gate runs before the method check (a client's GET of a coach URL
goes home; a coach's GET of a POST-only URL is a 405).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loom.accounts.models import User
from loom.accounts.permissions import client_required, coach_required
from loom.accounts.safety import crisis_flash
from loom.core.errors import DomainError, NotFound
from loom.core.markdown import render_markdown
from loom.core.notices import notices_seen
from loom.journal import sharing
from loom.journal.audio import audio_response
from loom.journal.forms_coach import CommentForm, PromptEditForm, PromptForm, ShareForm
from loom.journal.models import Prompt
from loom.journal.selectors_coach import (
    entry_choices,
    prompt_text,
    shared_entry_for_coach,
)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _first_error(form: ShareForm | CommentForm | PromptForm | PromptEditForm) -> str:
    for errors in form.errors.values():
        return str(errors[0])
    return _("Please check the form.")


def _client_entry(entry_id: int, anchor: str = "") -> str:
    return reverse("journal:entry", args=[entry_id]) + anchor


# --- The client's actions (from their entry page) ---------------------------------------------


@client_required
@require_POST
def share(request: HttpRequest, entry_id: int) -> HttpResponse:
    client = _user(request)
    form = ShareForm(request.POST, coaches=sharing.active_coaches_of(client))
    if not form.is_valid():
        # Not one of the client's coaches (or none chosen). The entry must still be
        # theirs: a foreign id stays a 404 whatever the form holds.
        try:
            sharing.own_entry(client, entry_id)
        except NotFound:
            raise Http404 from None
        messages.error(request, _("Choose one of your coaches to share with."))
        return redirect(_client_entry(entry_id, "#share"))
    try:
        entry = sharing.entry_share(
            author=client, entry_id=entry_id, coach_id=form.cleaned_data["coach"]
        )
    except NotFound as exc:
        if exc.code == "entry_not_found":
            raise Http404 from None
        messages.error(request, str(exc))
        return redirect(_client_entry(entry_id, "#share"))
    assert entry.shared_with is not None
    messages.success(
        request,
        _("Shared with %(coach)s.") % {"coach": entry.shared_with.display_name},
    )
    return redirect(_client_entry(entry.pk, "#share"))


@client_required
@require_POST
def unshare(request: HttpRequest, entry_id: int) -> HttpResponse:
    try:
        entry = sharing.entry_unshare(author=_user(request), entry_id=entry_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("The entry is private again. Your coach can no longer open it."))
    return redirect(_client_entry(entry.pk, "#share"))


@client_required
@require_POST
def comment_add(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _comment_add(request, entry_id, back=_client_entry(entry_id, "#comments"))


@client_required
@require_POST
def comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    try:
        comment = sharing.comment_delete(author=_user(request), comment_id=comment_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Comment deleted."))
    return redirect(_client_entry(comment.entry_id, "#comments"))


def _comment_add(request: HttpRequest, entry_id: int, *, back: str) -> HttpResponse:
    form = CommentForm(request.POST)
    if not form.is_valid():
        # The entry must still be the caller's to comment on: a foreign id stays a 404
        # even with an empty form.
        try:
            sharing.entry_for_commenter(_user(request), entry_id)
        except NotFound:
            raise Http404 from None
        messages.error(request, _first_error(form))
        return redirect(back)
    try:
        saved = sharing.comment_add(
            author=_user(request), entry_id=entry_id, body=form.cleaned_data["body"]
        )
    except NotFound:
        raise Http404 from None
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    crisis_flash(request, saved.crisis)
    messages.success(request, _("Comment posted."))
    return redirect(back)


# --- The coach's view of a shared entry ---------------------------------------------------------


@coach_required
@require_GET
def entry(request: HttpRequest, entry_id: int) -> HttpResponse:
    coach = _user(request)
    shared = shared_entry_for_coach(coach, entry_id)
    # Opening the entry is seeing what the notices were about.
    notices_seen(user_id=coach.pk, source_prefix=f"journal-shared:{shared.pk}:")
    notices_seen(user_id=coach.pk, source_prefix=f"journal-comment:{shared.pk}:")
    return TemplateResponse(
        request,
        "journal/coach_entry.html",
        {
            "entry": shared,
            "client": shared.author,
            "body_html": render_markdown(shared.body) if shared.body else "",
            "choices": entry_choices(shared),
            "prompt_text": prompt_text(shared),
            "back_url": reverse("coach:client_tab", args=[shared.author_id, "journal"]),
        },
    )


@coach_required
@require_POST
def coach_comment_add(request: HttpRequest, entry_id: int) -> HttpResponse:
    return _comment_add(
        request, entry_id, back=reverse("journal_coach:entry", args=[entry_id]) + "#comments"
    )


@coach_required
@require_POST
def coach_comment_delete(request: HttpRequest, comment_id: int) -> HttpResponse:
    try:
        comment = sharing.comment_delete(author=_user(request), comment_id=comment_id)
    except NotFound:
        raise Http404 from None
    messages.success(request, _("Comment deleted."))
    return redirect(reverse("journal_coach:entry", args=[comment.entry_id]) + "#comments")


@coach_required
@require_http_methods(["GET", "HEAD"])
def audio(request: HttpRequest, entry_id: int) -> HttpResponse:
    shared = shared_entry_for_coach(_user(request), entry_id, action="journal.entry_audio_played")
    if not shared.audio:
        raise Http404
    return audio_response(request, shared)


# --- The coach's prompts ------------------------------------------------------------------------


def _prompts_url() -> str:
    return reverse("journal_coach:prompts")


@coach_required
@require_http_methods(["GET", "POST"])
def prompts(request: HttpRequest) -> HttpResponse:
    coach = _user(request)
    form = PromptForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            sharing.prompt_create(coach=coach, text=form.cleaned_data["text"])
        except DomainError as exc:
            form.add_error("text", str(exc))
        else:
            messages.success(request, _("Prompt added. Your clients can choose it now."))
            return redirect(_prompts_url())
    rows = list(
        Prompt.objects.filter(coach_id=coach.pk).order_by("-is_active", "-created_at", "-id")
    )
    return TemplateResponse(
        request,
        "journal/coach_prompts.html",
        {"form": form, "prompts": rows},
        status=400 if form.errors else 200,
    )


def _own_prompt(request: HttpRequest, prompt_id: int) -> Prompt:
    try:
        return sharing.own_prompt(_user(request), prompt_id)
    except NotFound:
        raise Http404 from None


@coach_required
@require_http_methods(["GET", "POST"])
def prompt_edit(request: HttpRequest, prompt_id: int) -> HttpResponse:
    prompt = _own_prompt(request, prompt_id)
    form = PromptEditForm(
        request.POST if request.method == "POST" else None,
        initial={"text": prompt.text, "is_active": prompt.is_active},
    )
    if request.method == "POST" and form.is_valid():
        try:
            sharing.prompt_update(
                coach=_user(request),
                prompt_id=prompt.pk,
                text=form.cleaned_data["text"],
                is_active=form.cleaned_data["is_active"],
            )
        except NotFound:
            raise Http404 from None
        except DomainError as exc:
            form.add_error("text", str(exc))
        else:
            messages.success(request, _("Prompt saved."))
            return redirect(_prompts_url())
    return TemplateResponse(
        request,
        "journal/coach_prompt_edit.html",
        {"form": form, "prompt": prompt},
        status=400 if form.errors else 200,
    )


@coach_required
@require_POST
def prompt_toggle(request: HttpRequest, prompt_id: int) -> HttpResponse:
    prompt = _own_prompt(request, prompt_id)
    # The form says which state it asks for, so a double submit or a replay is a no-op
    # instead of flipping the prompt back; a bare POST still toggles.
    wanted = request.POST.get("active")
    is_active = wanted == "1" if wanted in ("0", "1") else not prompt.is_active
    changed = sharing.prompt_update(coach=_user(request), prompt_id=prompt.pk, is_active=is_active)
    if changed.is_active:
        messages.success(request, _("Your clients see this prompt again."))
    else:
        messages.success(
            request, _("Prompt hidden from your clients. Entries that answered it keep it.")
        )
    return redirect(_prompts_url())


@coach_required
@require_http_methods(["GET", "POST"])
def prompt_delete(request: HttpRequest, prompt_id: int) -> HttpResponse:
    prompt = _own_prompt(request, prompt_id)
    if request.method == "POST":
        try:
            sharing.prompt_delete(coach=_user(request), prompt_id=prompt.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("Prompt deleted."))
        return redirect(_prompts_url())
    return TemplateResponse(
        request, "journal/coach_prompt_delete.html", {"prompt": prompt, "back_url": _prompts_url()}
    )
