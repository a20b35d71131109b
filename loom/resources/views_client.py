"""The client's pages of the library: what their coach shared, one resource, one collection,
and the two writes a client makes (played ranges from the player, "mark as complete").

Every read goes through ``get_resource_for_user`` / ``get_collection_for_user``: a
resource that is not (or no longer) shared with the client is a 404. Opening a
resource's page records a view (``resource_view_record``); for a web link that is the
view too, since the page is where the client finds the link. Every page works without
JavaScript; the player's reports are the one JSON endpoint.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import BadRequest
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.models import User
from loom.accounts.permissions import client_required
from loom.core.errors import DomainError, problem_response
from loom.resources import client_selectors, progress_services
from loom.resources.models import Collection, CollectionItem, ResourceKind
from loom.resources.selectors import get_collection_for_user, get_resource_for_user

RESOURCES_PER_PAGE = 50
# A report holds at most 200 pairs of numbers: far less than this.
PROGRESS_BODY_MAX_BYTES = 32 * 1024


def _client(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _kind_choices() -> list[tuple[str, str]]:
    return [(value, str(label)) for value, label in ResourceKind.choices]


def _status_choices() -> list[tuple[str, str]]:
    return [
        (client_selectors.STATUS_NEW, _("New")),
        (client_selectors.STATUS_IN_PROGRESS, _("In progress")),
        (client_selectors.STATUS_COMPLETED, _("Completed")),
    ]


@client_required
@require_http_methods(["GET", "HEAD"])
def library(request: HttpRequest) -> HttpResponse:
    client = _client(request)
    filters = client_selectors.parse_filters(client, request.GET)
    page = Paginator(client_selectors.client_library(client, filters), RESOURCES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        {"resource": resource, "is_new": client_selectors.is_new(resource)}
        for resource in page.object_list
    ]
    collections = list(client_selectors.client_collections(client))
    return TemplateResponse(
        request,
        "resources/client_library.html",
        {
            "page_obj": page,
            "rows": rows,
            "collections": collections,
            "filters": filters,
            "kind_choices": _kind_choices(),
            "status_choices": _status_choices(),
        },
    )


def _collection_context(client: User, resource_id: int, raw: str | None) -> Collection | None:
    """The collection the client came from (``?collection=``), when it is shared with them
    and holds the resource; anything else is ignored."""
    if not raw:
        return None
    try:
        collection = get_collection_for_user(client, raw).collection
    except Http404:
        return None
    if not CollectionItem.objects.filter(collection=collection, resource_id=resource_id).exists():
        return None
    return collection


def _detail_url(resource_id: int, collection: Collection | None) -> str:
    url = reverse("resources_client:detail", args=[resource_id])
    return f"{url}?{urlencode({'collection': collection.pk})}" if collection else url


@client_required
@require_http_methods(["GET", "HEAD"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request)
    access = get_resource_for_user(client, pk)
    resource = access.resource
    collection = _collection_context(client, resource.pk, request.GET.get("collection"))
    # A HEAD request is no opening: only a page actually fetched counts as a view.
    progress = (
        progress_services.resource_view_record(client=client, resource=resource)
        if request.method == "GET"
        else None
    )
    is_media = resource.kind in progress_services.MEDIA_KINDS
    return TemplateResponse(
        request,
        "resources/client_detail.html",
        {
            "resource": resource,
            "access": access,
            "progress": progress,
            "collection": collection,
            "is_media": is_media,
            "complete_percent": settings.LOOM_RESOURCE_COMPLETE_PERCENT,
            "file_url": "" if resource.is_link else reverse("resources_files:file", args=[pk]),
            "captions_url": (
                reverse("resources_files:captions_file", args=[pk]) if resource.captions else ""
            ),
            "progress_url": reverse("resources_client:progress", args=[pk]) if is_media else None,
        },
    )


@client_required
@require_http_methods(["GET", "HEAD"])
def collection_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request)
    shared = get_collection_for_user(client, pk).collection
    items = list(client_selectors.collection_items_for_client(client, shared))
    return TemplateResponse(
        request,
        "resources/client_collection.html",
        {
            "collection": shared,
            "items": items,
            "completed_count": sum(1 for item in items if getattr(item, "completed_at", None)),
        },
    )


@client_required
@require_POST
def progress(request: HttpRequest, pk: int) -> HttpResponse:
    """The player's report: JSON ``{"played": [[start, end], ...], "position", "duration"}``
    → the client's state ``{"watched_percent", "completed", "position"}``."""
    client = _client(request)
    try:
        # Access first: someone else's id is a 404 whatever the body holds.
        get_resource_for_user(client, pk)
    except Http404:
        return problem_response(404, "Not found", _("This resource is not shared with you."))
    if request.content_type != "application/json":
        # A form post has had its body read already (CSRF looks for the token there).
        return problem_response(
            400, "Request refused", _("The progress report must be sent as JSON.")
        )
    if len(request.body) > PROGRESS_BODY_MAX_BYTES:
        return problem_response(400, "Request refused", _("The progress report is too large."))
    try:
        report: Any = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return problem_response(400, "Request refused", _("The progress report is not valid JSON."))
    if not isinstance(report, dict):
        return problem_response(400, "Request refused", _("The progress report is not valid."))
    try:
        state = progress_services.progress_report(
            client=client,
            resource_id=pk,
            played=report.get("played"),
            position=report.get("position", 0),
            duration=report.get("duration"),
        )
    except Http404:
        return problem_response(404, "Not found", _("This resource is not shared with you."))
    except DomainError as exc:
        return problem_response(exc.status, exc.title, str(exc))
    return JsonResponse(state.as_json())


@client_required
@require_POST
def complete(request: HttpRequest, pk: int) -> HttpResponse:
    client = _client(request)
    get_resource_for_user(client, pk)
    value = request.POST.get("complete", "")
    if value not in ("0", "1"):
        raise BadRequest(_("Choose whether the resource is complete."))
    try:
        progress_services.progress_set_complete(
            client=client, resource_id=pk, complete=value == "1"
        )
    except DomainError as exc:
        messages.error(request, str(exc))
    else:
        if value == "1":
            messages.success(request, _("Marked as complete."))
        else:
            messages.success(request, _("Marked as not complete."))
    collection = _collection_context(client, pk, request.POST.get("collection"))
    return redirect(_detail_url(pk, collection))
