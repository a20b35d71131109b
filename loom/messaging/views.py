"""The messaging pages: inbox, a conversation, search, attachments, edit history, settings.

The conversation page works without JavaScript (a plain form posts to ``send``, links
page back through older messages); ``static/js/chat.js`` enhances it with the live
stream. Every object is read through a selector that takes the signed-in person, so a
conversation, message or attachment of someone else is a 404.

The page's stream position is read *before* its messages, and the script resumes the
stream from there: whatever happens between the two reads is replayed, never missed
(applying a message the page already shows is harmless: it is replaced by id).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loom.accounts.models import Role, User
from loom.accounts.permissions import role_required
from loom.core.errors import PROBLEM_CONTENT_TYPE, DomainError, NotFound
from loom.core.media import ranged_file_response
from loom.core.realtime import stream_position
from loom.core.uploads import upload_had_too_many_files, upload_was_too_large
from loom.core.uploads import limit_uploads
from loom.messaging import selectors, services
from loom.messaging.forms import MessagingSettingsForm, SearchForm, SendForm
from loom.messaging.models import Attachment, Conversation, MessagingPreference, Participant
from loom.messaging.presenters import chat_config, conversation_rows, message_views

PAGE_SIZE = 50
HISTORY_MAX = 100

messaging_required = role_required(Role.COACH, Role.CLIENT)


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _conversation(user: User, conversation_id: int) -> Conversation:
    try:
        return selectors.get_conversation_for_user(user, conversation_id)
    except NotFound as exc:
        raise Http404 from exc


def _message_id(value: str | None) -> int | None:
    """A message id from the query string; anything else is no cursor at all."""
    if value is None or not value.isdigit() or len(value) > 18:
        return None
    number = int(value)
    return number if number > 0 else None


def _problem(status: int, title: str, detail: str = "", code: str = "invalid") -> JsonResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "code": code}
    if detail:
        body["detail"] = detail
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _page(user: User, conversation: Conversation, before: int | None) -> tuple[list[Any], bool]:
    """One page of messages, oldest first, and whether older ones exist."""
    rows = list(
        selectors.messages_page(
            user=user, conversation_id=conversation.pk, before=before, limit=PAGE_SIZE + 1
        )
    )
    has_more = len(rows) > PAGE_SIZE
    return list(reversed(rows[:PAGE_SIZE])), has_more


# --- Inbox ------------------------------------------------------------------------------------


@messaging_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    conversations = list(selectors.conversations_for(user))
    if user.role == Role.CLIENT and len(conversations) == 1:
        return redirect("messaging:conversation", conversations[0].pk)
    rows = conversation_rows(user, conversations)
    query = request.GET.get("q", "").strip()[:120]
    shown = [row for row in rows if query.casefold() in row.name.casefold()] if query else rows
    return TemplateResponse(
        request,
        "messaging/inbox.html",
        {"rows": shown, "total": len(rows), "query": query},
    )


@messaging_required
@require_GET
def unread(request: HttpRequest) -> HttpResponse:
    """The signed-in person's unread message count (the header badge refreshes from it)."""
    return JsonResponse({"unread": selectors.unread_total(_user(request))})


# --- A conversation ---------------------------------------------------------------------------


@messaging_required
@require_GET
def conversation(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    chat = _conversation(user, conversation_id)
    before = _message_id(request.GET.get("before"))
    # Where "New messages" goes: read before this visit marks the conversation read.
    last_read = (
        Participant.objects.filter(conversation=chat, user=user)
        .values_list("last_read_message_id", flat=True)
        .first()
        or 0
    )
    seq = stream_position(user.pk)
    page, has_more = _page(user, chat, before)
    if before is None and page and page[-1].pk > last_read:
        # Opening the newest page is reading it; the script keeps it so while the tab is
        # visible. Without this, people without JavaScript would never read anything.
        services.conversation_mark_read(user=user, conversation_id=chat.pk, message_id=page[-1].pk)
    read_state = selectors.read_state(user=user, conversation=chat)
    views = message_views(user, chat, page, last_read=last_read)
    config = chat_config(
        user,
        chat,
        views,
        has_more=has_more,
        read_state=read_state,
        last_read=last_read,
        newest=before is None,
    )
    other = chat.client if chat.coach_id == user.pk else chat.coach
    return TemplateResponse(
        request,
        "messaging/conversation.html",
        {
            "chat": chat,
            "other": other,
            "message_views": views,
            "has_more": has_more,
            "older_cursor": page[0].pk if page else None,
            "newest": before is None,
            "chat_config": config,
            "stream_seq": seq,
            "form": SendForm(initial={"client_id": uuid.uuid4()}),
        },
    )


@messaging_required
@require_POST
def send(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    chat = _conversation(user, conversation_id)
    back = reverse("messaging:conversation", args=[chat.pk])
    form = SendForm(request.POST)
    if not form.is_valid():
        errors = [str(error) for field in form.errors.values() for error in field]
        messages.error(
            request, _("Your message was not sent: %(reason)s") % {"reason": " ".join(errors)}
        )
        return redirect(back)
    try:
        message, _created = services.message_send(
            user=user,
            conversation_id=chat.pk,
            client_id=form.cleaned_data["client_id"],
            body=form.cleaned_data["body"],
            reply_to_id=form.cleaned_data["reply_to"],
        )
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        messages.error(request, _("Your message was not sent: %(reason)s") % {"reason": str(exc)})
        return redirect(back)
    return redirect(f"{back}#message-{message.pk}")


@messaging_required
@require_GET
def history(request: HttpRequest, conversation_id: int) -> HttpResponse:
    """Older messages as JSON (``?before=<id>``; none: the newest page)."""
    user = _user(request)
    chat = _conversation(user, conversation_id)
    before = _message_id(request.GET.get("before"))
    seq = stream_position(user.pk)
    page, has_more = _page(user, chat, before)
    return JsonResponse(
        {
            "messages": [selectors.message_dict(message) for message in page],
            "has_more": has_more,
            "seq": seq,
            "read_state": _read_state_json(selectors.read_state(user=user, conversation=chat)),
        }
    )


def _read_state_json(state: Any) -> dict[str, Any] | None:
    if not state:
        return None
    message_id, at = state
    return {"message": message_id, "at": at.isoformat() if at else None}


@messaging_required
@require_GET
def search(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    chat = _conversation(user, conversation_id)
    form = SearchForm(request.GET or None)
    results: list[Any] = []
    if form.is_valid():
        results = list(
            selectors.messages_search(user=user, conversation_id=chat.pk, q=form.cleaned_data["q"])
        )
    other = chat.client if chat.coach_id == user.pk else chat.coach
    return TemplateResponse(
        request,
        "messaging/search.html",
        {
            "chat": chat,
            "other": other,
            "form": form,
            "searched": form.is_bound and form.is_valid(),
            "results": results,
        },
    )


@messaging_required
@require_GET
def edit_history(request: HttpRequest, message_id: int) -> HttpResponse:
    user = _user(request)
    try:
        message, edits = selectors.edit_history(user=user, message_id=message_id)
    except NotFound as exc:
        raise Http404 from exc
    return TemplateResponse(
        request,
        "messaging/edit_history.html",
        {"message": message, "edits": edits, "chat": message.conversation},
    )


# --- Attachments ------------------------------------------------------------------------------


def _attachment_limit() -> int:
    return int(settings.LOOM_MESSAGE_MAX_ATTACHMENT_BYTES)


@csrf_exempt  # checked by csrf_protect below, once the upload limit is in place
@require_POST
def attachment_upload(request: HttpRequest, conversation_id: int) -> HttpResponse:
    # Before anything reads request.POST: an oversize file stops the parsing as it arrives.
    limit_uploads(request, max_bytes=_attachment_limit(), max_files=1)
    return _attachment_upload(request, conversation_id)


@csrf_protect
@messaging_required
def _attachment_upload(request: HttpRequest, conversation_id: int) -> HttpResponse:
    user = _user(request)
    chat = _conversation(user, conversation_id)
    refusal = upload_had_too_many_files(request) or upload_was_too_large(request)
    if refusal is not None:
        return _upload_refused(refusal)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _problem(400, _("The upload was refused."), _("Choose a file to attach."))
    try:
        attachment = services.attachment_upload(
            user=user, conversation_id=chat.pk, uploaded=uploaded
        )
    except ValidationError as exc:
        return _upload_refused(exc)
    except NotFound as exc:
        raise Http404 from exc
    except DomainError as exc:
        return _problem(exc.status, _("The upload was refused."), str(exc), exc.code)
    return JsonResponse(_attachment_json(attachment), status=201)


def _upload_refused(error: ValidationError) -> JsonResponse:
    codes = [getattr(item, "code", None) or "invalid" for item in error.error_list]
    too_large = "too_large" in codes
    return _problem(
        413 if too_large else 400,
        _("The file is too large.") if too_large else _("The upload was refused."),
        " ".join(str(message) for message in error.messages),
        codes[0] if codes else "invalid",
    )


def _attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "name": attachment.name,
        "kind": attachment.kind,
        "size": attachment.size,
        "url": reverse("messaging:attachment", args=[attachment.pk]),
        "width": attachment.width,
        "height": attachment.height,
    }


def _attachment_for_user(user: User, attachment_id: int) -> Attachment:
    """An attachment of one of the person's conversations: sent with a message that still
    exists, or their own upload not sent yet. Anything else is a 404."""
    found = (
        Attachment.objects.filter(pk=attachment_id)
        .filter(Q(conversation__coach=user) | Q(conversation__client=user))
        .filter(
            Q(message__isnull=False, message__deleted_at__isnull=True)
            | Q(uploader=user, message__isnull=True)
        )
        .first()
    )
    if found is None:
        raise Http404
    return found


@messaging_required
@require_http_methods(["GET", "HEAD"])
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse:
    found = _attachment_for_user(_user(request), attachment_id)
    response = ranged_file_response(
        request,
        storage=found.file.storage,
        name=found.file.name,
        size=found.size,
        content_type=found.content_type,
        filename=found.name,
        attachment=found.kind != Attachment.Kind.IMAGE,
    )
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Settings ---------------------------------------------------------------------------------


@messaging_required
@require_http_methods(["GET", "HEAD", "POST"])
def messaging_settings(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    current = (
        MessagingPreference.objects.filter(user=user)
        .values_list("send_read_receipts", flat=True)
        .first()
    )
    initial = {"send_read_receipts": True if current is None else current}
    form = MessagingSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.messaging_preference_set(
            user=user, send_read_receipts=form.cleaned_data["send_read_receipts"]
        )
        messages.success(request, _("Your messaging settings were saved."))
        return redirect("messaging:settings")
    return TemplateResponse(
        request, "messaging/settings.html", {"form": form, "saved_at": timezone.now()}
    )
