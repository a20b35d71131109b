"""Admin-area pages for operations: the outbox (unsent and dead messages, retry)."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_POST

from loom.accounts.permissions import admin_required
from loom.core.errors import Conflict
from loom.core.models import OutboxMessage
from loom.core.outbox import ADMIN_FILTERS, outbox_messages_for_admin, outbox_retry

OUTBOX_PAGE_SIZE = 50


@admin_required
@require_GET
def outbox(request: HttpRequest) -> HttpResponse:
    """Messages that still need attention: waiting, being sent, or dead letters."""
    status_filter = request.GET.get("status", "attention")
    if status_filter not in ADMIN_FILTERS:
        status_filter = "attention"
    page = Paginator(
        outbox_messages_for_admin(status_filter=status_filter), OUTBOX_PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "web/admin/outbox.html",
        {"page_obj": page, "status_filter": status_filter, "Status": OutboxMessage.Status},
    )


@admin_required
@require_POST
def outbox_retry_message(request: HttpRequest, message_id: int) -> HttpResponse:
    """Give a dead letter a fresh set of attempts (audited)."""
    if not OutboxMessage.objects.filter(pk=message_id).exists():
        raise Http404
    try:
        outbox_retry(message_id=message_id, actor=request.user)
    except Conflict:
        messages.error(
            request, gettext("Only a dead letter can be retried; this message is not one.")
        )
    else:
        messages.success(request, gettext("The message will be sent again."))
    return redirect(f"{reverse('admin_area:outbox')}?status=dead")
