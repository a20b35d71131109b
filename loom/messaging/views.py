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
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from loom.accounts.models import Role, User
from loom.accounts.permissions import role_required
from loom.core.errors import PROBLEM_CONTENT_TYPE, DomainError, NotFound
from loom.core.media import ranged_file_response
from loom.core.realtime import stream_position
from loom.core.uploads import limit_uploads, upload_had_too_many_files, upload_was_too_large
from loom.messaging import selectors, services
from loom.messaging.forms import MessagingSettingsForm, SearchForm, SendForm
from loom.messaging.models import Attachment, Conversation, Message

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


# --- What the templates and the script are given ----------------------------------------------


@dataclass(frozen=True)
class ConversationRow:
    """One line of the inbox."""

    pk: int
    other: User
    name: str
    preview: str
    at: datetime | None
    unread: int
    read_only: bool


def _conversation_rows(conversations: list[Conversation]) -> list[ConversationRow]:
    return [
        ConversationRow(
            pk=chat.pk,
            other=chat.other,  # type: ignore[attr-defined]
            name=chat.other.display_name,  # type: ignore[attr-defined]
            preview=chat.preview,  # type: ignore[attr-defined]
            at=chat.last_message_at,
            unread=int(chat.unread),  # type: ignore[attr-defined]
            read_only=bool(chat.read_only),  # type: ignore[attr-defined]
        )
        for chat in conversations
    ]


@dataclass(frozen=True)
class MessageView:
    """A message as the server-rendered page shows it (the script renders the same dict)."""

    message: Message
    data: dict[str, Any]
    own: bool
    sender_name: str
    first_unread: bool
    body_html: SafeString


def _message_views(
    user: User, chat: Conversation, page: list[Message], *, last_read: int
) -> list[MessageView]:
    names = {chat.coach_id: chat.coach.display_name, chat.client_id: chat.client.display_name}
    views: list[MessageView] = []
    divider_placed = False
    for message in page:
        data = selectors.message_dict(message)
        first_unread = (
            not divider_placed and message.pk > last_read and message.sender_id != user.pk
        )
        divider_placed = divider_placed or first_unread
        views.append(
            MessageView(
                message=message,
                data=data,
                own=message.sender_id == user.pk,
                sender_name=names.get(message.sender_id, ""),
                first_unread=first_unread,
                # Rendered from markdown and cleaned with an allowlist when it was stored.
                body_html=mark_safe(data["body_html"]),  # noqa: S308
            )
        )
    return views


def _chat_labels() -> dict[str, str]:
    return {
        "message": _("Message"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "react": _("React"),
        "reply": _("Reply"),
        "edit": _("Edit"),
        "delete": _("Delete"),
        "save": _("Save"),
        "cancel": _("Cancel"),
        "retry": _("Retry"),
        "sending": _("Sending…"),
        "notSent": _("Not sent"),
        "deleted": _("Message deleted"),
        "edited": _("(edited)"),
        "seen": _("Seen %(time)s"),
        "typing": _("%(name)s is typing…"),
        "loadEarlier": _("Load earlier messages"),
        "newMessages": _("New messages"),
        "cancelReply": _("Cancel reply"),
        "replyingTo": _("Replying to %(name)s"),
        "editMessage": _("Edit message"),
        "messageFrom": _("%(name)s, %(time)s"),
        "reactionCount": _("%(name)s: %(count)s"),
        "reactions": _("Reactions"),
        "actions": _("Message actions"),
        "uploading": _("Uploading %(name)s…"),
        "remove": _("Remove %(name)s"),
        "notAttached": _("%(name)s was not attached: %(reason)s"),
        "attachments": _("Files to send"),
        "network": _("The connection was lost. Try again."),
        "unknownReason": _("Something went wrong."),
        "tooLong": _("The message is too long."),
        "editWindow": _("The time to edit this message has passed."),
        "deletedReason": _("The message was deleted."),
        "rate": _("You are sending too fast. Wait a moment."),
        "readOnly": _("This conversation is read-only."),
        "empty": _("No messages yet. Say hello!"),
        "tooLarge": _("The file is too large."),
    }


def _chat_config(
    user: User,
    chat: Conversation,
    views: list[MessageView],
    *,
    has_more: bool,
    read_state: dict[str, Any] | None,
    last_read: int,
    newest: bool,
    read_only: bool,
) -> dict[str, Any]:
    """Everything ``static/js/chat.js`` needs, as one JSON document in the page."""
    return {
        "conversation": chat.pk,
        "me": user.pk,
        "people": {
            str(chat.coach_id): chat.coach.display_name,
            str(chat.client_id): chat.client.display_name,
        },
        "messages": [view.data for view in views],
        "hasMore": has_more,
        "newest": newest,
        "readOnly": read_only,
        "readState": read_state,
        "lastRead": last_read,
        "editMinutes": int(settings.LOOM_MESSAGE_EDIT_MINUTES),
        "maxBytes": int(settings.LOOM_MESSAGE_MAX_ATTACHMENT_BYTES),
        "reactions": [
            {"emoji": emoji, "name": str(name)} for emoji, name in services.REACTION_EMOJI.items()
        ],
        "timeZone": user.timezone,
        "language": translation.get_language(),
        "urls": {
            "history": reverse("messaging:history", args=[chat.pk]),
            "upload": reverse("messaging:attachment_upload", args=[chat.pk]),
            "editHistory": reverse("messaging:edit_history", args=[0]),
        },
        "labels": _chat_labels(),
    }


# --- Inbox ------------------------------------------------------------------------------------


@messaging_required
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    conversations = list(selectors.conversations_for(user))
    if user.role == Role.CLIENT and len(conversations) == 1:
        return redirect("messaging:conversation", conversations[0].pk)
    rows = _conversation_rows(conversations)
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
    last_read = selectors.own_last_read(user=user, conversation=chat)
    seq = stream_position(user.pk)
    page, has_more = _page(user, chat, before)
    if before is None and page and page[-1].pk > last_read:
        # Opening the newest page is reading it; the script keeps it so while the tab is
        # visible. Without this, people without JavaScript would never read anything.
        services.conversation_mark_read(user=user, conversation_id=chat.pk, message_id=page[-1].pk)
    read_only = selectors.conversation_is_read_only(chat)
    views = _message_views(user, chat, page, last_read=last_read)
    config = _chat_config(
        user,
        chat,
        views,
        has_more=has_more,
        read_state=selectors.read_state(user=user, conversation=chat),
        last_read=last_read,
        newest=before is None,
        read_only=read_only,
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
            "read_only": read_only,
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
            "read_state": selectors.read_state(user=user, conversation=chat),
        }
    )


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
    uploaded = request.FILES.get("file")  # parses the body: the limits are known after
    refusal = upload_had_too_many_files(request) or upload_was_too_large(request)
    if refusal is not None:
        return _upload_refused(refusal)
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


@messaging_required  # type: ignore[arg-type]
@require_http_methods(["GET", "HEAD"])
def attachment(request: HttpRequest, attachment_id: int) -> HttpResponse | StreamingHttpResponse:
    found = _attachment_for_user(_user(request), attachment_id)
    response = ranged_file_response(
        request,
        storage=found.file.storage,
        name=str(found.file.name),
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
    initial = {"send_read_receipts": selectors.sends_read_receipts(user)}
    bound = request.POST if request.method == "POST" else None
    form = MessagingSettingsForm(bound, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.messaging_preference_set(
            user=user, send_read_receipts=form.cleaned_data["send_read_receipts"]
        )
        messages.success(request, _("Your messaging settings were saved."))
        return redirect("messaging:settings")
    return TemplateResponse(request, "messaging/settings.html", {"form": form})
