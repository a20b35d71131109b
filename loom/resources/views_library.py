"""The coach's library pages: the list with search and filters, a resource's page,
links, editing and deleting, categories and collections.

Every page is under ``/coach/resources/`` and for coaches only (others go to their own
home). An id that is not the coach's is a 404. Views parse, call one service or
selector and render.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.forms import apply_service_error, form_data, form_files
from loom.accounts.models import User
from loom.accounts.permissions import coach_required
from loom.core.errors import DomainError, NotFound
from loom.core.uploads import limit_uploads, upload_had_too_many_files, upload_was_too_large
from loom.resources import collection_services, file_services, library_selectors, library_services
from loom.resources.files import cover_upload_policy
from loom.resources.forms_library import (
    CategoryForm,
    CollectionEditForm,
    CollectionForm,
    LibraryFilterForm,
    MoveForm,
    ResourceForm,
)
from loom.resources.selectors import (
    ResourceAccess,
    get_own_collection,
    get_own_resource,
)

PAGE_SIZE = 50
PICKER_SIZE = 100


def _coach(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _status(form: Any) -> int:
    return 400 if form.errors else 200


# --- The library ---------------------------------------------------------------------------


@coach_required
@require_http_methods(["GET"])
def library(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    form = LibraryFilterForm(request.GET or None, coach=coach)
    filters = form.filters() if request.GET else {"sort": "newest"}
    queryset = library_selectors.library_for_coach(coach, **filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return TemplateResponse(
        request,
        "resources/library.html",
        {
            "form": form,
            "page_obj": page,
            "resources": page.object_list,
            "is_filtered": bool(request.GET) and form.is_filtered,
            "active": "library",
        },
    )


def _resource_form_page(
    request: HttpRequest, template: str, form: ResourceForm, **context: Any
) -> HttpResponse:
    return TemplateResponse(
        request, template, {"form": form, "active": "library", **context}, status=_status(form)
    )


@coach_required
@require_http_methods(["GET", "POST"])
def link_new(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    form = ResourceForm(form_data(request), coach=coach)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            resource = library_services.link_create(
                coach=coach,
                url=data["url"],
                title=data["title"],
                description=data["description"],
                category=data["category"] or None,
                tags=library_services.parse_tag_names(data["tags"]),
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” was added.") % {"title": resource.title})
            return redirect("resources_library:detail", resource.pk)
    return _resource_form_page(request, "resources/link_form.html", form)


@coach_required
@require_http_methods(["GET"])
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    resource = (
        library_selectors.library_for_coach(_coach(request))
        .select_related("coach")
        .filter(pk=get_own_resource(_coach(request), pk).pk)
        .get()
    )
    return TemplateResponse(
        request,
        "resources/resource_detail.html",
        {
            "resource": resource,
            "access": ResourceAccess(resource=resource, is_owner=True, can_download=True),
            "collections": library_selectors.collections_of(resource),
            "versions": library_selectors.versions_of(resource),
            "active": "library",
        },
    )


@coach_required
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    resource = get_own_resource(coach, pk)
    form = ResourceForm(form_data(request), coach=coach, resource=resource)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            updated = library_services.resource_update(
                coach=coach,
                resource_id=resource.pk,
                title=data["title"],
                description=data["description"],
                category_id=data["category"] or None,
                tags=library_services.parse_tag_names(data["tags"]),
                url=data.get("url"),
            )
        except NotFound:
            raise Http404 from None
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” was saved.") % {"title": updated.title})
            return redirect("resources_library:detail", updated.pk)
    return _resource_form_page(request, "resources/resource_form.html", form, resource=resource)


@coach_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    resource = get_own_resource(coach, pk)
    if request.method == "POST":
        try:
            title = library_services.resource_delete(coach=coach, resource_id=resource.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("“%(title)s” was deleted.") % {"title": title})
        return redirect("resources_library:library")
    return TemplateResponse(
        request,
        "resources/resource_delete.html",
        {
            "resource": resource,
            "impact": library_services.resource_delete_impact(resource),
            "active": "library",
        },
    )


# --- Categories ----------------------------------------------------------------------------


@coach_required
@require_http_methods(["GET", "POST"])
def categories(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    form = CategoryForm(form_data(request), prefix="new")
    if request.method == "POST" and form.is_valid():
        try:
            category = library_services.category_create(coach=coach, name=form.cleaned_data["name"])
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(name)s” was added.") % {"name": category.name})
            return redirect("resources_library:categories")
    return TemplateResponse(
        request,
        "resources/categories.html",
        {
            "form": form,
            "categories": list(library_selectors.categories_for_coach(coach)),
            "active": "categories",
        },
        status=_status(form),
    )


def _own_category(coach: User, pk: int) -> Any:
    category = library_selectors.categories_for_coach(coach).filter(pk=pk).first()
    if category is None:
        raise Http404
    return category


@coach_required
@require_http_methods(["GET", "POST"])
def category_rename(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    category = _own_category(coach, pk)
    form = CategoryForm(form_data(request), initial={"name": category.name})
    if request.method == "POST" and form.is_valid():
        try:
            renamed = library_services.category_rename(
                coach=coach, category_id=category.pk, name=form.cleaned_data["name"]
            )
        except NotFound:
            raise Http404 from None
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("The category is now “%(name)s”.") % {"name": renamed.name})
            return redirect("resources_library:categories")
    return TemplateResponse(
        request,
        "resources/categories_rename.html",
        {"form": form, "category": category, "active": "categories"},
        status=_status(form),
    )


@coach_required
@require_http_methods(["GET", "POST"])
def category_delete(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    category = _own_category(coach, pk)
    if request.method == "POST":
        try:
            name = library_services.category_delete(coach=coach, category_id=category.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("“%(name)s” was deleted.") % {"name": name})
        return redirect("resources_library:categories")
    return TemplateResponse(
        request,
        "resources/categories_delete.html",
        {"category": category, "active": "categories"},
    )


@coach_required
@require_POST
def category_move(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    category = _own_category(coach, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to move it up or down."))
        return redirect("resources_library:categories")
    try:
        library_services.category_move(
            coach=coach, category_id=category.pk, direction=form.cleaned_data["direction"]
        )
    except NotFound:
        raise Http404 from None
    return redirect(reverse("resources_library:categories") + f"#category-{category.pk}")


# --- Collections ---------------------------------------------------------------------------


@coach_required
@require_http_methods(["GET"])
def collections(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "resources/collections.html",
        {
            "collections": list(library_selectors.collections_for_coach(_coach(request))),
            "active": "collections",
        },
    )


@coach_required
@require_http_methods(["GET", "POST"])
def collection_new(request: HttpRequest) -> HttpResponse:
    coach = _coach(request)
    form = CollectionForm(form_data(request))
    if request.method == "POST" and form.is_valid():
        try:
            collection = collection_services.collection_create(
                coach=coach,
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
            )
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(
                request,
                _("“%(title)s” was created. Add resources to it.") % {"title": collection.title},
            )
            return redirect("resources_library:collection_detail", collection.pk)
    return TemplateResponse(
        request,
        "resources/collection_form.html",
        {"form": form, "collection": None, "active": "collections"},
        status=_status(form),
    )


@coach_required
@require_http_methods(["GET"])
def collection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    collection = (
        library_selectors.collections_for_coach(coach)
        .filter(pk=get_own_collection(coach, pk).pk)
        .get()
    )
    q = request.GET.get("q", "")[:200]
    items = list(library_selectors.collection_items(collection))
    candidates = list(library_selectors.resources_not_in(coach, collection, q=q)[: PICKER_SIZE + 1])
    return TemplateResponse(
        request,
        "resources/collection_detail.html",
        {
            "collection": collection,
            "items": items,
            "candidates": candidates[:PICKER_SIZE],
            "more_candidates": len(candidates) > PICKER_SIZE,
            "q": q,
            "active": "collections",
        },
    )


@csrf_exempt  # checked by csrf_protect below, once the upload limit is in place
@require_http_methods(["GET", "POST"])
def collection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method == "POST":
        # Before anything reads request.POST: an oversize cover is skipped as it arrives.
        limit_uploads(request, max_bytes=cover_upload_policy().largest, max_files=1)
    return _collection_edit(request, pk)


@csrf_protect
@coach_required
def _collection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    collection = get_own_collection(coach, pk)
    form = CollectionEditForm(
        form_data(request),
        form_files(request),
        initial={"title": collection.title, "description": collection.description},
        accept=cover_upload_policy().accept_attribute,
    )
    refused = upload_was_too_large(request) or upload_had_too_many_files(request)
    if refused is not None:
        form.is_valid()
        form.add_error("cover", refused)
    if request.method == "POST" and form.is_valid():
        try:
            updated = _save_collection(coach, collection, form.cleaned_data)
        except NotFound:
            raise Http404 from None
        except (ValidationError, DomainError) as exc:
            apply_service_error(form, exc)
        else:
            messages.success(request, _("“%(title)s” was saved.") % {"title": updated.title})
            return redirect("resources_library:collection_detail", updated.pk)
    return TemplateResponse(
        request,
        "resources/collection_form.html",
        {"form": form, "collection": collection, "active": "collections"},
        status=_status(form),
    )


@transaction.atomic
def _save_collection(coach: User, collection: Any, data: dict[str, Any]) -> Any:
    """Text and cover together: a refused cover leaves the text unsaved too."""
    updated = collection_services.collection_update(
        coach=coach,
        collection_id=collection.pk,
        title=data["title"],
        description=data["description"],
    )
    if data.get("cover"):
        try:
            file_services.collection_set_cover(
                coach=coach, collection_id=collection.pk, upload=data["cover"]
            )
        except ValidationError as exc:
            raise ValidationError({"cover": exc.messages}) from None
    elif data.get("remove_cover") and collection.cover:
        file_services.collection_remove_cover(coach=coach, collection_id=collection.pk)
    return updated


@coach_required
@require_http_methods(["GET", "POST"])
def collection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    collection = (
        library_selectors.collections_for_coach(coach)
        .filter(pk=get_own_collection(coach, pk).pk)
        .get()
    )
    if request.method == "POST":
        try:
            title = collection_services.collection_delete(coach=coach, collection_id=collection.pk)
        except NotFound:
            raise Http404 from None
        messages.success(request, _("“%(title)s” was deleted.") % {"title": title})
        return redirect("resources_library:collections")
    return TemplateResponse(
        request,
        "resources/collection_delete.html",
        {"collection": collection, "active": "collections"},
    )


def _collection_page(pk: int, anchor: str = "") -> HttpResponse:
    return redirect(reverse("resources_library:collection_detail", args=[pk]) + anchor)


@coach_required
@require_POST
def collection_add(request: HttpRequest, pk: int) -> HttpResponse:
    coach = _coach(request)
    collection = get_own_collection(coach, pk)
    chosen = request.POST.getlist("resources")
    if not chosen:
        messages.error(request, _("Choose at least one resource to add."))
        return _collection_page(collection.pk, "#add")
    try:
        added = collection_services.collection_add(
            coach=coach, collection_id=collection.pk, resource_ids=chosen
        )
    except NotFound:
        raise Http404 from None
    messages.success(
        request,
        ngettext(
            "Added %(count)d resource to the collection.",
            "Added %(count)d resources to the collection.",
            added,
        )
        % {"count": added}
        if added
        else _("Those resources were already in the collection."),
    )
    return _collection_page(collection.pk, "#items")


@coach_required
@require_POST
def collection_move(request: HttpRequest, pk: int, resource_id: int) -> HttpResponse:
    coach = _coach(request)
    collection = get_own_collection(coach, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose whether to move it up or down."))
        return _collection_page(collection.pk, "#items")
    try:
        collection_services.collection_move(
            coach=coach,
            collection_id=collection.pk,
            resource_id=resource_id,
            direction=form.cleaned_data["direction"],
        )
    except NotFound:
        raise Http404 from None
    return _collection_page(collection.pk, f"#item-{resource_id}")


@coach_required
@require_POST
def collection_remove(request: HttpRequest, pk: int, resource_id: int) -> HttpResponse:
    coach = _coach(request)
    collection = get_own_collection(coach, pk)
    try:
        resource = collection_services.collection_remove(
            coach=coach, collection_id=collection.pk, resource_id=resource_id
        )
    except NotFound:
        raise Http404 from None
    messages.success(
        request,
        _("“%(title)s” was taken out of the collection. It is still in your library.")
        % {"title": resource.title},
    )
    return _collection_page(collection.pk, "#items")
