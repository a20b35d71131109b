"""Exports pages: your exports, asking for one, one export's status, the download.

Thin views over ``loom.analytics.exports``. Only coaches and admins reach them (clients
have no dashboards to export); every export is its requester's alone, so anyone else's
id is a 404, as are unknown, expired or not-ready downloads.

The list and detail pages poll their status region with HTMX while an export is on its
way (the region is ``aria-live="polite"``; focus never moves) and answer the poll with
286 once nothing is left to wait for, which stops it. Without JavaScript a plain
"Refresh" link does the same.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language, gettext
from django.views.decorators.http import require_GET, require_POST

from loom.accounts.mfa_policy import mfa_required_for, mfa_setup_url
from loom.accounts.models import Role
from loom.accounts.permissions import role_required
from loom.accounts.sms_mfa import user_has_second_factor
from loom.analytics.exports import (
    ACTIVE_STATUSES,
    export_download_recorded,
    export_open_for_download,
    export_request,
    export_rows,
    exports_of,
    get_export_for_user,
    params_from_post,
)
from loom.core.errors import DomainError, NotFound
from loom.core.media import ranged_file_response


def second_factor_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """The admin area's (and, when required, the coach pages') second-factor gate.

    ``MfaPolicyMiddleware`` gates ``/admin-area/`` and ``/coach/`` only; ``/exports/``
    serves the same tables (admin KPIs, recent errors, a coach's clients) as files, so
    without this an admin who never set up a second factor could read the admin
    dashboards through an export.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = request.user
        if mfa_required_for(user) and not user_has_second_factor(user):
            # The middleware's own words (already translated).
            messages.warning(
                request,
                gettext("Your account needs two-step verification. Set it up to continue."),
            )
            next_url = request.get_full_path() if request.method == "GET" else ""
            return HttpResponseRedirect(mfa_setup_url(next_url))
        return view(request, *args, **kwargs)

    return wrapper


_role_required = role_required(Role.COACH, Role.ADMIN)


def exporter_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Coaches and admins, past the second-factor gate their own pages have."""
    return _role_required(second_factor_required(view))


# htmx stops polling an element when the answer has this status (and still swaps it).
HTMX_STOP_POLLING = 286


def _is_poll(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true" and request.GET.get("poll") == "1"


@exporter_required
@require_GET
def export_list(request: HttpRequest) -> HttpResponse:
    rows = export_rows(exports_of(request.user))  # type: ignore[arg-type]
    active = any(row.active for row in rows)
    context = {
        "rows": rows,
        "active": active,
        "retention_hours": settings.ANALYTICS_EXPORT_RETENTION_HOURS,
    }
    if _is_poll(request):
        response = render(request, "analytics/exports/list.html#status", context)
        if not active:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "analytics/exports/list.html", context)


@exporter_required
@require_POST
def export_new(request: HttpRequest) -> HttpResponse:
    try:
        export = export_request(
            user=request.user,  # type: ignore[arg-type]
            table_key=request.POST.get("table", ""),
            query=params_from_post(request.POST),
            fmt=request.POST.get("format", ""),
            language=get_language(),
        )
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    except DomainError as exc:
        status = 429 if exc.code == "too_many_exports" else 400
        return render(
            request, "analytics/exports/refused.html", {"message": str(exc)}, status=status
        )
    return redirect("analytics_exports:detail", export_id=export.pk)


@exporter_required
@require_GET
def export_detail(request: HttpRequest, export_id: uuid.UUID) -> HttpResponse:
    try:
        export = get_export_for_user(request.user, export_id)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    row = export_rows([export], now=timezone.now())[0]
    context = {"row": row, "active": export.status in ACTIVE_STATUSES}
    if _is_poll(request):
        response = render(request, "analytics/exports/detail.html#status", context)
        if not context["active"]:
            response.status_code = HTMX_STOP_POLLING
        return response
    return render(request, "analytics/exports/detail.html", context)


@exporter_required
@require_GET
def export_download(request: HttpRequest, export_id: uuid.UUID) -> HttpResponseBase:
    try:
        download = export_open_for_download(user=request.user, export_id=export_id, audit=False)
    except NotFound as exc:
        raise Http404(str(exc)) from exc
    # Streams in chunks (in a worker thread under ASGI), never the whole file in
    # memory; answers byte ranges so a broken download can resume.
    response = ranged_file_response(
        request,
        storage=default_storage,
        name=download.name,
        size=download.size,
        content_type=download.content_type,
        filename=download.filename,
        attachment=True,
    )
    # The title slugged for the ASCII name (a Hebrew title has no ASCII letters).
    response["Content-Disposition"] = download.content_disposition
    # A personal file: no cache, shared or private, keeps a copy.
    response["Cache-Control"] = "no-store"
    # Audited only when bytes are really sent: not for a 304 (the client has it), a 416
    # (a range past the end) or a file that vanished (the prune: a 404 above).
    if response.status_code in (200, 206):
        export_download_recorded(
            user=request.user, download=download, partial=response.status_code == 206
        )
    return response
