"""Files of the library: the upload, replace and captions pages of a coach, and the views
that deliver stored files after the access check (docs/resources.md).

Upload pages bound the request before anything parses it (``limit_uploads``: size per
file and number of files), so CSRF is checked inside the view, right after. A file
over its limit is a 413, every other refusal a 400; nothing is stored then. The
upload page answers ``Accept: application/json`` (its script sends one file per
request to show progress) with JSON, and plain form posts with pages.

Delivery (``file``, ``captions_file``, ``cover``, ``version_file``) reads the object
through the selectors — someone else's id is a 404 — and streams it with byte ranges
(``loom.core.media``). Views of a resource are recorded by the client's page, not here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods

from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.core.errors import PROBLEM_CONTENT_TYPE, DomainError
from loom.core.media import ranged_file_response
from loom.core.uploads import limit_uploads, upload_had_too_many_files, upload_was_too_large
from loom.resources import file_services, library_services
from loom.resources.files import (
    CAPTIONS_CONTENT_TYPE,
    CAPTIONS_MAX_BYTES,
    OFFICE_FILE_KINDS,
    max_files_per_upload,
    resource_upload_policy,
)
from loom.resources.forms_files import CaptionsForm, ReplaceForm, UploadForm
from loom.resources.models import ResourceKind, ResourceVersion
from loom.resources.selectors import (
    get_collection_for_user,
    get_own_resource,
    get_resource_for_user,
)

TOO_LARGE = "too_large"


def _user(request: HttpRequest) -> User:
    """The signed-in person (``login_required`` has run): a coach or a client."""
    return request.user  # type: ignore[return-value]


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def _status_for(error: ValidationError) -> int:
    codes = {item.code for items in error.error_dict.values() for item in items}
    return 413 if TOO_LARGE in codes else 400


def _problem(status: int, errors: dict[str, list[str]], codes: list[str]) -> JsonResponse:
    detail = " ".join(message for messages_ in errors.values() for message in messages_)
    title = _("The file is too large.") if status == 413 else _("The upload was refused.")
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": codes[0] if codes else "invalid",
        "errors": errors,
    }
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


def _refusal(
    request: HttpRequest,
    *,
    form: Any,
    error: ValidationError,
    template: str,
    context: dict[str, Any],
    file_field: str,
) -> HttpResponse:
    """Show ``error`` on ``form`` (page) or as problem JSON; 413 when a file is too large."""
    status = _status_for(error)
    form.is_valid()
    for field, items in error.error_dict.items():
        target = file_field if field == "file" else field
        form.errors.pop(target, None)
        form.add_error(target if target in form.fields else None, items)
    if _wants_json(request):
        errors = {
            (file_field if field == "file" else field): [
                str(message) for item in items for message in item.messages
            ]
            for field, items in error.error_dict.items()
        }
        codes = [item.code or "invalid" for items in error.error_dict.values() for item in items]
        return _problem(status, errors, codes)
    return TemplateResponse(request, template, {**context, "form": form}, status=status)


def _request_refusal(request: HttpRequest, file_field: str) -> ValidationError | None:
    """What ``limit_uploads`` stopped: too many files (400) or a file too large (413)."""
    refusal = upload_had_too_many_files(request) or upload_was_too_large(request)
    return ValidationError({"file": [refusal]}) if refusal is not None else None


# --- Upload --------------------------------------------------------------------------------


@csrf_exempt  # checked by csrf_protect below, once the upload limits are in place
@require_http_methods(["GET", "HEAD", "POST"])
def upload(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # Before anything reads request.POST: an oversize file or a file too many stops
        # the parsing as it arrives.
        limit_uploads(
            request,
            max_bytes=resource_upload_policy().largest,
            max_files=max_files_per_upload(),
        )
    return _upload(request)


def _upload_context() -> dict[str, Any]:
    return {"max_files": max_files_per_upload()}


@csrf_protect
@coach_required
def _upload(request: HttpRequest) -> HttpResponse:
    coach = _user(request)
    template = "resources/upload.html"
    if request.method != "POST":
        return TemplateResponse(request, template, {**_upload_context(), "form": UploadForm(coach)})
    form = UploadForm(coach, request.POST, request.FILES)
    stopped = _request_refusal(request, "files")
    if stopped is not None:
        return _refusal(
            request,
            form=form,
            error=stopped,
            template=template,
            context=_upload_context(),
            file_field="files",
        )
    if not form.is_valid():
        if _wants_json(request):
            errors = {field: [str(item) for item in items] for field, items in form.errors.items()}
            return _problem(400, errors, [])
        return TemplateResponse(request, template, {**_upload_context(), "form": form}, status=400)
    try:
        created = file_services.resources_create_from_uploads(
            coach=coach,
            uploads=form.cleaned_data["files"],
            category=form.cleaned_data["category"] or None,
            tags=library_services.parse_tag_names(form.cleaned_data["tags"]),
        )
    except ValidationError as exc:
        return _refusal(
            request,
            form=form,
            error=exc,
            template=template,
            context=_upload_context(),
            file_field="files",
        )
    if _wants_json(request):
        rows = [
            {
                "id": resource.pk,
                "title": resource.title,
                "url": reverse("resources_library:detail", args=[resource.pk]),
            }
            for resource in created
        ]
        return JsonResponse({"resource": rows[0], "resources": rows}, status=201)
    if len(created) == 1:
        messages.success(
            request, _("“%(title)s” was added to your library.") % {"title": created[0].title}
        )
        return redirect("resources_library:detail", created[0].pk)
    messages.success(
        request,
        _("%(count)d files were added to your library.") % {"count": len(created)},
    )
    return redirect("resources_library:library")


# --- Replace -------------------------------------------------------------------------------


@csrf_exempt  # checked by csrf_protect below, once the upload limits are in place
@require_http_methods(["GET", "HEAD", "POST"])
def replace(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        limit_uploads(request, max_bytes=resource_upload_policy().largest, max_files=1)
    return _replace(request, pk)


def _replace_context(coach: User, pk: int) -> dict[str, Any]:
    resource = get_own_resource(coach, pk)
    if resource.is_link:
        raise Http404
    versions = list(ResourceVersion.objects.filter(resource=resource).order_by("-version"))
    return {"resource": resource, "versions": versions}


@csrf_protect
@coach_required
def _replace(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _user(request)
    context = _replace_context(coach, pk)
    template = "resources/replace.html"
    if request.method != "POST":
        return TemplateResponse(request, template, {**context, "form": ReplaceForm()})
    form = ReplaceForm(request.POST, request.FILES)
    stopped = _request_refusal(request, "file")
    if stopped is not None:
        return _refusal(
            request, form=form, error=stopped, template=template, context=context, file_field="file"
        )
    if not form.is_valid():
        return TemplateResponse(request, template, {**context, "form": form}, status=400)
    try:
        resource = file_services.resource_replace_file(
            coach=coach, resource_id=pk, upload=form.cleaned_data["file"]
        )
    except ValidationError as exc:
        return _refusal(
            request, form=form, error=exc, template=template, context=context, file_field="file"
        )
    except DomainError as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("The file was replaced. This is version %(version)d.") % {"version": resource.version},
    )
    return redirect("resources_library:detail", resource.pk)


# --- Captions ------------------------------------------------------------------------------


@csrf_exempt  # checked by csrf_protect below, once the upload limits are in place
@require_http_methods(["GET", "HEAD", "POST"])
def captions(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        limit_uploads(request, max_bytes=CAPTIONS_MAX_BYTES, max_files=1)
    return _captions(request, pk)


def _captions_context(coach: User, pk: int) -> dict[str, Any]:
    resource = get_own_resource(coach, pk)
    if resource.kind not in (ResourceKind.AUDIO, ResourceKind.VIDEO):
        raise Http404
    return {"resource": resource}


@csrf_protect
@coach_required
def _captions(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _user(request)
    context = _captions_context(coach, pk)
    template = "resources/captions.html"
    initial = {"language": context["resource"].captions_language or coach.language}
    if request.method != "POST":
        return TemplateResponse(
            request, template, {**context, "form": CaptionsForm(initial=initial)}
        )
    if "remove" in request.POST:
        file_services.resource_remove_captions(coach=coach, resource_id=pk)
        messages.success(request, _("The captions were removed."))
        return redirect("resources_library:detail", pk)
    form = CaptionsForm(request.POST, request.FILES, initial=initial)
    stopped = _request_refusal(request, "file")
    if stopped is not None:
        return _refusal(
            request, form=form, error=stopped, template=template, context=context, file_field="file"
        )
    if not form.is_valid():
        return TemplateResponse(request, template, {**context, "form": form}, status=400)
    try:
        file_services.resource_set_captions(
            coach=coach,
            resource_id=pk,
            upload=form.cleaned_data["file"],
            language=form.cleaned_data["language"],
        )
    except ValidationError as exc:
        return _refusal(
            request, form=form, error=exc, template=template, context=context, file_field="file"
        )
    messages.success(request, _("The captions were added."))
    return redirect("resources_library:detail", pk)


# --- Delivery ------------------------------------------------------------------------------


def _download_refused(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "resources/upload_download_refused.html",
        {
            "message": _(
                "Your coach shared this to view in Loom only, so it can't be downloaded. "
                "Ask your coach if you need a copy."
            )
        },
        status=403,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def file(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    """A resource's file, for its coach or a client it is shared with.

    ``?download=1`` asks for an attachment; office files are always attachments. Both
    need a share that allows downloading (403 otherwise, with the reason).
    """
    access = get_resource_for_user(_user(request), pk)
    resource = access.resource
    if resource.is_link or not resource.file:
        raise Http404
    attachment = request.GET.get("download") == "1" or resource.file_kind in OFFICE_FILE_KINDS
    if attachment and not access.can_download:
        return _download_refused(request)
    return ranged_file_response(
        request,
        storage=resource.file.storage,
        name=str(resource.file.name),
        size=resource.size_bytes,
        content_type=resource.content_type or "application/octet-stream",
        filename=resource.original_name or resource.title,
        attachment=attachment,
    )


@login_required
@require_http_methods(["GET", "HEAD"])
def captions_file(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    resource = get_resource_for_user(_user(request), pk).resource
    if not resource.captions:
        raise Http404
    storage, name = resource.captions.storage, str(resource.captions.name)
    return ranged_file_response(
        request,
        storage=storage,
        name=name,
        size=storage.size(name),
        content_type=CAPTIONS_CONTENT_TYPE,
        filename=f"{resource.original_name.rpartition('.')[0] or 'captions'}.vtt",
        attachment=False,
    )


_COVER_EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/webp": "webp",
}


@login_required
@require_http_methods(["GET", "HEAD"])
def cover(request: HttpRequest, pk: int) -> HttpResponse | StreamingHttpResponse:
    collection = get_collection_for_user(_user(request), pk).collection
    if not collection.cover:
        raise Http404
    storage, name = collection.cover.storage, str(collection.cover.name)
    content_type = collection.cover_content_type or "application/octet-stream"
    return ranged_file_response(
        request,
        storage=storage,
        name=name,
        size=storage.size(name),
        content_type=content_type,
        filename=f"cover.{_COVER_EXTENSIONS.get(content_type, 'bin')}",
        attachment=False,
    )


# coach_required is typed for HttpResponse; it returns whatever the view returns.
@coach_required  # type: ignore[arg-type]
@require_http_methods(["GET", "HEAD"])
def version_file(
    request: HttpRequest, pk: int, version: int
) -> HttpResponse | StreamingHttpResponse:
    """An earlier file of a resource, for its coach only (always a download)."""
    resource = get_own_resource(_user(request), pk)
    earlier = ResourceVersion.objects.filter(resource=resource, version=version).first()
    if earlier is None:
        raise Http404
    return ranged_file_response(
        request,
        storage=earlier.file.storage,
        name=str(earlier.file.name),
        size=earlier.size_bytes,
        content_type=earlier.content_type or "application/octet-stream",
        filename=earlier.original_name,
        attachment=True,
    )
