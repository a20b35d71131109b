"""The resources API (/api/v1/resources/): list, detail, upload, share and progress.

Thin: each operation parses, calls one service or selector, and returns a schema. The
access rules are the HTML pages' (``selectors.get_resource_for_user`` and friends): a
resource, collection, share or client that is not the caller's is a 404 problem, an
operation of the other role a 403. Refusals are problem-details documents (see
``config.api``): 422 for invalid input, 413 for a file over its limit.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile
from ninja.security import SessionAuth

from loom.accounts.models import Role, User
from loom.accounts.permissions import request_user, require_coach
from loom.core.errors import DomainError, Forbidden, NotFound
from loom.core.uploads import limit_uploads, upload_had_too_many_files, upload_was_too_large
from loom.resources import (
    analytics_selectors,
    client_selectors,
    file_services,
    library_selectors,
    library_services,
    progress_services,
    sharing_services,
)
from loom.resources.files import resource_upload_policy
from loom.resources.models import (
    Collection,
    CollectionItem,
    Resource,
    ResourceKind,
    Share,
    Tag,
)
from loom.resources.schemas import (
    AnalyticsOut,
    AnalyticsQuery,
    AnalyticsResourceOut,
    AnalyticsTotalsOut,
    CategoryOut,
    CollectionDetailOut,
    CollectionOut,
    CompleteIn,
    LinkIn,
    PartyOut,
    ProblemOut,
    ProgressIn,
    ProgressOut,
    ProgressStateOut,
    ResourceOut,
    ResourcePageOut,
    ResourcePatchIn,
    ResourceQuery,
    ShareIn,
    ShareOut,
)
from loom.resources.selectors import get_collection_for_user, get_resource_for_user

router = Router(tags=["resources"])

MEDIA_KINDS = (ResourceKind.AUDIO, ResourceKind.VIDEO)

# The 4xx answers every signed-in operation can give, for the OpenAPI document.
ERRORS: dict[int, Any] = {401: ProblemOut, 403: ProblemOut, 404: ProblemOut, 422: ProblemOut}


class PayloadTooLarge(DomainError):
    status = 413
    title = "Payload too large"
    code = "too_large"


class UploadSessionAuth(SessionAuth):
    """Session auth for the upload: bounds the request's files *before* the CSRF check
    reads the multipart body, so an oversize file is never buffered whole."""

    def __call__(self, request: HttpRequest) -> Any:
        limit_uploads(request, max_bytes=resource_upload_policy().largest, max_files=1)
        return super().__call__(request)


def _is_coach(user: User) -> bool:
    return user.role == Role.COACH


def _require_client(request: HttpRequest) -> User:
    user = request_user(request)
    if user.role != Role.CLIENT:
        raise Forbidden(_("Only clients have progress on a resource."))
    return user


def _tags_prefetch() -> Prefetch[Any]:
    return Prefetch("tags", queryset=Tag.objects.order_by("name", "id"))


def _percent(share: float | None) -> int | None:
    return None if share is None else round(share * 100)


def _resource_out(resource: Resource, *, owner: bool) -> ResourceOut:
    """A resource as its coach (``owner``) or a client with access sees it: the row comes
    from ``library_for_coach`` or ``client_library`` with their annotations."""
    progress = None
    if not owner and getattr(resource, "first_viewed_at", None) is not None:
        progress = ProgressOut(
            first_viewed_at=resource.first_viewed_at,  # type: ignore[attr-defined]
            last_viewed_at=resource.last_viewed_at,  # type: ignore[attr-defined]
            completed_at=resource.completed_at,  # type: ignore[attr-defined]
            watched_percent=_percent(resource.watched_share)  # type: ignore[attr-defined]
            if resource.kind in MEDIA_KINDS
            else None,
        )
    elif not owner and getattr(resource, "completed_at", None) is not None:
        progress = ProgressOut(
            first_viewed_at=None,
            last_viewed_at=None,
            completed_at=resource.completed_at,  # type: ignore[attr-defined]
            watched_percent=None,
        )
    category = resource.category
    return ResourceOut(
        id=resource.pk,
        kind=resource.kind,  # type: ignore[arg-type]
        title=resource.title,
        description=resource.description,
        category=CategoryOut(id=category.pk, name=category.name) if category else None,
        tags=[tag.name for tag in resource.tags.all()],
        url=resource.url,
        file_url=None if resource.is_link else reverse("resources_files:file", args=[resource.pk]),
        file_kind=resource.file_kind,
        content_type=resource.content_type,
        size_bytes=resource.size_bytes,
        original_name=resource.original_name,
        duration_seconds=resource.duration_seconds,
        version=resource.version,
        created_at=resource.created_at,
        updated_at=resource.updated_at,
        can_download=True if owner else bool(getattr(resource, "can_download", False)),
        shared_count=getattr(resource, "shared_count", 0) if owner else None,
        progress=progress,
    )


def _client_library(client: User, query: ResourceQuery | None = None) -> QuerySet[Resource]:
    params = {}
    if query is not None:
        params = {
            "q": query.q,
            "kind": query.kind or "",
            "status": query.status or "",
            "collection": str(query.collection or ""),
        }
    filters = client_selectors.parse_filters(client, params)
    return (
        client_selectors.client_library(client, filters)
        .select_related("category")
        .prefetch_related(_tags_prefetch())
    )


def _annotated(user: User, resource_id: int) -> tuple[Resource, bool]:
    """The resource with the annotations its answer needs, after the access check."""
    access = get_resource_for_user(user, resource_id)
    if access.is_owner:
        queryset = library_selectors.library_for_coach(user)
    else:
        queryset = _client_library(user)
    resource = queryset.filter(pk=access.resource.pk).first()
    if resource is None:  # access ended between the two reads
        raise NotFound(_("That resource does not exist."))
    return resource, access.is_owner


def _page(rows: Iterable[Any], page_size: int) -> tuple[list[Any], bool]:
    """One read of ``page_size + 1`` rows: the extra row only says whether more follow."""
    items = list(rows)
    return items[:page_size], len(items) > page_size


# --- Resources ---------------------------------------------------------------------------------


@router.get(
    "/",
    response={200: ResourcePageOut, **ERRORS},
    url_name="resources_list",
    summary="List resources",
)
def resource_list(request: HttpRequest, query: Query[ResourceQuery]) -> ResourcePageOut:
    """A coach: their own library, filtered (`q`, `kind`, `category`, `tag`,
    `collection`) and sorted. A client: what is shared with them now, newest share
    first, with their progress (`q`, `kind`, `collection`, `status`). Paged with
    `page`/`page_size`; a constant number of queries whatever the page size."""
    user = request_user(request)
    offset = (query.page - 1) * query.page_size
    if _is_coach(user):
        queryset = library_selectors.library_for_coach(
            user,
            q=query.q,
            kind=query.kind or "",
            category=query.category,
            tag=query.tag,
            collection=query.collection,
            sort=query.sort,
        )
    elif user.role == Role.CLIENT:
        queryset = _client_library(user, query)
    else:
        queryset = Resource.objects.none()
    rows, has_next = _page(queryset[offset : offset + query.page_size + 1], query.page_size)
    owner = _is_coach(user)
    return ResourcePageOut(
        items=[_resource_out(row, owner=owner) for row in rows],
        page=query.page,
        page_size=query.page_size,
        has_next=has_next,
    )


@router.get(
    "/{int:resource_id}",
    response={200: ResourceOut, **ERRORS},
    url_name="resources_detail",
    summary="One resource",
)
def resource_detail(request: HttpRequest, resource_id: int) -> ResourceOut:
    """The coach's own resource, or one shared with the client now (with their
    progress). Anything else is a 404."""
    resource, owner = _annotated(request_user(request), resource_id)
    return _resource_out(resource, owner=owner)


@router.post(
    "/files",
    response={201: ResourceOut, 400: ProblemOut, 413: ProblemOut, **ERRORS},
    url_name="resources_upload",
    summary="Upload a file",
    auth=UploadSessionAuth(csrf=True),
)
def resource_upload(
    request: HttpRequest,
    file: File[UploadedFile | None] = None,
    title: Form[str] = "",
    description: Form[str] = "",
    category_id: Form[int | None] = None,
    tags: Form[str] = "",
) -> Status[ResourceOut]:
    """Coaches: one file per request (`multipart/form-data`, field `file`), checked by
    its content (PDF, office documents, images, audio, video, text). `tags` is a
    comma-separated list. A file over its kind's limit is a 413; refused content a 422
    with the reason under `errors.file`."""
    coach = require_coach(request)
    too_many = upload_had_too_many_files(request)
    if too_many is not None:
        raise DomainError(too_many.messages[0], code="too_many_files")
    too_large = upload_was_too_large(request)
    if too_large is not None:
        raise PayloadTooLarge(too_large.messages[0])
    if file is None:
        raise ValidationError({"file": [_("Choose a file to upload.")]})
    try:
        resource = file_services.resource_create_from_upload(
            coach=coach,
            upload=file,
            title=title,
            description=description,
            category=category_id,
            tags=library_services.parse_tag_names(tags),
        )
    except ValidationError as exc:
        refusal = getattr(exc, "error_dict", {}).get("file", [])
        if any(getattr(error, "code", "") == "too_large" for error in refusal):
            raise PayloadTooLarge(refusal[0].messages[0]) from None
        raise
    row, _owner = _annotated(coach, resource.pk)
    return Status(201, _resource_out(row, owner=True))


@router.post(
    "/links",
    response={201: ResourceOut, **ERRORS},
    url_name="resources_link_create",
    summary="Add a web link",
)
def link_create(request: HttpRequest, payload: LinkIn) -> Status[ResourceOut]:
    """Coaches: add an http(s) address to the library."""
    coach = require_coach(request)
    resource = library_services.link_create(
        coach=coach,
        url=payload.url,
        title=payload.title,
        description=payload.description,
        category=payload.category_id,
        tags=payload.tags,
    )
    row, _owner = _annotated(coach, resource.pk)
    return Status(201, _resource_out(row, owner=True))


@router.patch(
    "/{int:resource_id}",
    response={200: ResourceOut, **ERRORS},
    url_name="resources_update",
    summary="Change a resource",
)
def resource_update(
    request: HttpRequest, resource_id: int, payload: ResourcePatchIn
) -> ResourceOut:
    """Coaches: change the title, description, category (`null` removes it), tags or a
    link's address. Fields not sent stay as they are."""
    coach = require_coach(request)
    current = (
        library_selectors.library_for_coach(coach)
        .filter(pk=get_resource_for_user(coach, resource_id).resource.pk, coach=coach)
        .first()
    )
    if current is None:
        raise NotFound(_("That resource does not exist."))
    sent = payload.model_fields_set
    library_services.resource_update(
        coach=coach,
        resource_id=current.pk,
        title=payload.title if payload.title is not None else current.title,
        description=(
            payload.description if payload.description is not None else current.description
        ),
        category_id=payload.category_id if "category_id" in sent else current.category_id,
        tags=payload.tags if payload.tags is not None else [t.name for t in current.tags.all()],
        url=payload.url,
    )
    row, _owner = _annotated(coach, current.pk)
    return _resource_out(row, owner=True)


@router.delete(
    "/{int:resource_id}",
    response={204: None, **ERRORS},
    url_name="resources_delete",
    summary="Delete a resource",
)
def resource_delete(request: HttpRequest, resource_id: int) -> Status[None]:
    """Coaches: delete the resource with its shares, progress and earlier versions."""
    library_services.resource_delete(coach=require_coach(request), resource_id=resource_id)
    return Status(204, None)


# --- Sharing -----------------------------------------------------------------------------------


def _share_out(share: Share) -> ShareOut:
    return ShareOut(
        id=share.pk,
        client=PartyOut(id=share.client.pk, full_name=share.client.full_name),
        resource_id=share.resource_id,
        collection_id=share.collection_id,
        can_download=share.can_download,
        expires_at=share.expires_at,
        source=share.source,  # type: ignore[arg-type]
        created_at=share.created_at,
    )


def _shares(shares: list[Share]) -> list[ShareOut]:
    ids = [share.pk for share in shares]
    rows = Share.objects.filter(pk__in=ids).select_related("client").order_by("client__full_name")
    return [_share_out(share) for share in rows]


@router.get(
    "/{int:resource_id}/shares",
    response={200: list[ShareOut], **ERRORS},
    url_name="resources_shares",
    summary="Who a resource is shared with",
)
def resource_shares(request: HttpRequest, resource_id: int) -> list[ShareOut]:
    """Coaches: the shares of the resource, and of the collections that hold it
    (those carry `collection_id`). Expired shares are listed with their `expires_at`."""
    coach = require_coach(request)
    resource = get_resource_for_user(coach, resource_id).resource
    through_collection = CollectionItem.objects.filter(
        collection_id=OuterRef("collection_id"), resource=resource
    )
    listed = (
        Share.objects.filter(coach=coach)
        .filter(Q(resource=resource) | Exists(through_collection))
        .select_related("client")
        .order_by("client__full_name", "pk")
    )
    return [_share_out(share) for share in listed]


@router.post(
    "/{int:resource_id}/shares",
    response={201: list[ShareOut], 400: ProblemOut, **ERRORS},
    url_name="resources_share",
    summary="Share a resource",
)
def resource_share(
    request: HttpRequest, resource_id: int, payload: ShareIn
) -> Status[list[ShareOut]]:
    """Coaches: share with chosen clients (`client_ids`) or with every current client
    (`all_clients`). Sharing again updates `can_download` and `expires_at`. Clients who
    gain access are notified (in-app and email)."""
    shares = sharing_services.share_resources(
        coach=require_coach(request),
        resource_ids=[resource_id],
        client_ids=payload.client_ids,
        all_clients=payload.all_clients,
        can_download=payload.can_download,
        expires_at=payload.expires_at,
    )
    return Status(201, _shares(shares))


@router.delete(
    "/shares/{int:share_id}",
    response={204: None, **ERRORS},
    url_name="resources_unshare",
    summary="Remove a share",
)
def unshare(request: HttpRequest, share_id: int) -> Status[None]:
    """Coaches: the client loses access at once."""
    sharing_services.unshare(coach=require_coach(request), share_id=share_id)
    return Status(204, None)


# --- Progress ----------------------------------------------------------------------------------


@router.get(
    "/{int:resource_id}/progress",
    response={200: ProgressOut, **ERRORS},
    url_name="resources_progress",
    summary="My progress on a resource",
)
def progress_get(request: HttpRequest, resource_id: int) -> ProgressOut:
    """Clients: their own progress on a resource shared with them (coaches read their
    clients' progress in `GET /resources/analytics`)."""
    client = _require_client(request)
    resource, _owner = _annotated(client, resource_id)
    return ProgressOut(
        first_viewed_at=resource.first_viewed_at,  # type: ignore[attr-defined]
        last_viewed_at=resource.last_viewed_at,  # type: ignore[attr-defined]
        completed_at=resource.completed_at,  # type: ignore[attr-defined]
        watched_percent=_percent(resource.watched_share)  # type: ignore[attr-defined]
        if resource.kind in MEDIA_KINDS
        else None,
    )


@router.post(
    "/{int:resource_id}/progress",
    response={200: ProgressStateOut, 400: ProblemOut, **ERRORS},
    url_name="resources_progress_report",
    summary="Report played ranges",
)
def progress_report(
    request: HttpRequest, resource_id: int, payload: ProgressIn
) -> ProgressStateOut:
    """Clients, audio and video: the `[start, end]` second ranges played since the last
    report. They are merged with what was played before, so seeking to the end does
    not count as watching; the resource completes at the configured share (90 %)."""
    client = _require_client(request)
    state = progress_services.progress_report(
        client=client,
        resource_id=resource_id,
        played=[list(pair) for pair in payload.played],
        position=payload.position,
        duration=payload.duration,
    )
    return ProgressStateOut(**state.as_json())


@router.post(
    "/{int:resource_id}/complete",
    response={200: ProgressStateOut, **ERRORS},
    url_name="resources_complete",
    summary="Mark complete (or not)",
)
def progress_complete(
    request: HttpRequest, resource_id: int, payload: CompleteIn
) -> ProgressStateOut:
    """Clients: mark a resource complete (`complete: true`) or not complete again."""
    client = _require_client(request)
    state = progress_services.progress_set_complete(
        client=client, resource_id=resource_id, complete=payload.complete
    )
    return ProgressStateOut(**state.as_json())


# --- Collections -------------------------------------------------------------------------------


def _collection_out(collection: Collection, *, owner: bool, can_download: bool) -> dict[str, Any]:
    return {
        "id": collection.pk,
        "title": collection.title,
        "description": collection.description,
        "cover_url": reverse("resources_files:cover", args=[collection.pk])
        if collection.cover
        else None,
        "item_count": getattr(collection, "item_count", 0),
        "can_download": True if owner else can_download,
        "auto_share": collection.auto_share if owner else None,
        "shared_count": getattr(collection, "shared_count", 0) if owner else None,
        "completed_count": None if owner else getattr(collection, "completed_count", 0),
    }


@router.get(
    "/collections/",
    response={200: list[CollectionOut], **ERRORS},
    url_name="resources_collections",
    summary="List collections",
)
def collection_list(request: HttpRequest) -> list[CollectionOut]:
    """A coach: their collections with item and share counts. A client: the collections
    shared with them, with how many items they completed."""
    user = request_user(request)
    if _is_coach(user):
        return [
            CollectionOut(**_collection_out(row, owner=True, can_download=True))
            for row in library_selectors.collections_for_coach(user)
        ]
    if user.role == Role.CLIENT:
        return [
            CollectionOut(
                **_collection_out(
                    row, owner=False, can_download=bool(getattr(row, "can_download", False))
                )
            )
            for row in client_selectors.client_collections(user)
        ]
    return []


@router.get(
    "/collections/{int:collection_id}",
    response={200: CollectionDetailOut, **ERRORS},
    url_name="resources_collection",
    summary="One collection with its items",
)
def collection_detail(request: HttpRequest, collection_id: int) -> CollectionDetailOut:
    """The collection's resources in order (a client's with their progress)."""
    user = request_user(request)
    access = get_collection_for_user(user, collection_id)
    if access.is_owner:
        collection = library_selectors.collections_for_coach(user).get(pk=access.collection.pk)
        ids = [item.resource_id for item in library_selectors.collection_items(access.collection)]
        by_id = {
            row.pk: row for row in library_selectors.library_for_coach(user).filter(pk__in=ids)
        }
    else:
        collection = client_selectors.client_collections(user).get(pk=access.collection.pk)
        ids = [
            item.resource_id
            for item in client_selectors.collection_items_for_client(user, access.collection)
        ]
        by_id = {row.pk: row for row in _client_library(user).filter(pk__in=ids)}
    return CollectionDetailOut(
        **_collection_out(collection, owner=access.is_owner, can_download=access.can_download),
        items=[_resource_out(by_id[pk], owner=access.is_owner) for pk in ids if pk in by_id],
    )


@router.post(
    "/collections/{int:collection_id}/shares",
    response={201: list[ShareOut], 400: ProblemOut, **ERRORS},
    url_name="resources_collection_share",
    summary="Share a collection",
)
def collection_share(
    request: HttpRequest, collection_id: int, payload: ShareIn
) -> Status[list[ShareOut]]:
    """Coaches: share the collection, and so every resource in it, now and later added."""
    shares = sharing_services.share_collection(
        coach=require_coach(request),
        collection_id=collection_id,
        client_ids=payload.client_ids,
        all_clients=payload.all_clients,
        can_download=payload.can_download,
        expires_at=payload.expires_at,
    )
    return Status(201, _shares(shares))


# --- Analytics ---------------------------------------------------------------------------------


@router.get(
    "/analytics",
    response={200: AnalyticsOut, **ERRORS},
    url_name="resources_analytics",
    summary="Library analytics",
)
def analytics(request: HttpRequest, query: Query[AnalyticsQuery]) -> AnalyticsOut:
    """Coaches: per resource, over the last 7, 30 or 90 days or all time — views, unique
    viewers, clients it is shared with now, completion rate (completed ÷ clients who can
    open it now) and average watch share (audio and video) — with the period's totals."""
    coach = require_coach(request)
    period = analytics_selectors.period_for(coach, query.period)
    offset = (query.page - 1) * query.page_size
    rows, has_next = _page(
        analytics_selectors.resource_stats(coach, period, sort=query.sort)[
            offset : offset + query.page_size + 1
        ],
        query.page_size,
    )
    totals = analytics_selectors.totals(coach, period)
    return AnalyticsOut(
        period=period.key,  # type: ignore[arg-type]
        start=period.start,
        end=period.end,
        timezone=period.zone.key,
        totals=AnalyticsTotalsOut(
            views=totals.views,
            viewers=totals.viewers,
            completions=totals.completions,
            resources=totals.resources,
            active_clients=totals.active_clients,
        ),
        resources=[
            AnalyticsResourceOut(
                id=row.pk,
                title=row.title,
                kind=row.kind,
                views=row.views_count,
                unique_viewers=row.viewers_count,
                shared_with=row.shared_count,
                completed=row.completed_count,
                completion_rate=row.completion_rate,
                average_watch=row.average_watch,
            )
            for row in rows
        ],
        page=query.page,
        page_size=query.page_size,
        has_next=has_next,
    )
