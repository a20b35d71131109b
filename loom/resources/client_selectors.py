"""The client's side of the library: what their coach shared, with their own progress.

Everything starts from ``shared_resources_for_client`` / ``shared_collections_for_client``
(loom/resources/selectors.py), so a client sees exactly what live shares give them.
Progress, the share date and the collection counts are subquery annotations on one
query, so a list costs the same number of queries whatever its length.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    DateTimeField,
    Exists,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from loom.accounts.models import User
from loom.resources.library_selectors import search_resources, search_words
from loom.resources.models import (
    TITLE_MAX,
    Collection,
    CollectionItem,
    Resource,
    ResourceKind,
    ResourceProgress,
)
from loom.resources.selectors import (
    live_shares,
    shared_collections_for_client,
    shared_resources_for_client,
)

STATUS_NEW = "new"
STATUS_IN_PROGRESS = "in_progress"
STATUS_COMPLETED = "completed"
STATUSES = (STATUS_NEW, STATUS_IN_PROGRESS, STATUS_COMPLETED)
HOME_CARD_ROWS = 3


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def new_since(now: datetime | None = None) -> datetime:
    return _now(now) - timedelta(days=settings.LOOM_RESOURCE_NEW_DAYS)


def _progress_of(client: User, resource_ref: str) -> QuerySet[ResourceProgress]:
    return ResourceProgress.objects.filter(client_id=client.pk, resource_id=OuterRef(resource_ref))


def with_progress(queryset: QuerySet[Any], client: User, *, resource_ref: str = "pk") -> Any:
    """``queryset`` annotated with the client's progress on the resource ``resource_ref``:
    ``first_viewed_at``, ``last_viewed_at``, ``completed_at``, ``watched_share`` (None when never opened)."""
    progress = _progress_of(client, resource_ref)
    return queryset.annotate(
        first_viewed_at=Subquery(progress.values("first_viewed_at")[:1]),
        last_viewed_at=Subquery(progress.values("last_viewed_at")[:1]),
        completed_at=Subquery(progress.values("completed_at")[:1]),
        watched_share=Subquery(progress.values("watched_share")[:1], output_field=FloatField()),
    )


def _latest_share(client: User, now: datetime | None, resource_ref: str) -> Subquery:
    """When the resource ``resource_ref`` was last given to the client (directly or in
    a collection), among the shares that are live now."""
    in_collection = CollectionItem.objects.filter(
        resource_id=OuterRef(OuterRef(resource_ref)), collection_id=OuterRef("collection_id")
    )
    reaching = live_shares(client, now=now).filter(
        Q(resource_id=OuterRef(resource_ref)) | Exists(in_collection)
    )
    return Subquery(
        reaching.values("client_id").annotate(latest=Max("created_at")).values("latest")[:1],
        output_field=DateTimeField(),
    )


def _status_filter(status: str, now: datetime | None) -> Q:
    if status == STATUS_NEW:
        return Q(shared_at__gte=new_since(now), first_viewed_at__isnull=True)
    if status == STATUS_IN_PROGRESS:
        return Q(first_viewed_at__isnull=False, completed_at__isnull=True)
    if status == STATUS_COMPLETED:
        return Q(completed_at__isnull=False)
    return Q()


@dataclass(frozen=True)
class LibraryFilters:
    """The client library's filters, each already checked (unknown values are dropped)."""

    q: str = ""
    kind: str = ""
    collection: Collection | None = None
    status: str = ""

    @property
    def active(self) -> bool:
        return bool(self.q or self.kind or self.collection or self.status)


def parse_filters(client: User, params: Any, *, now: datetime | None = None) -> LibraryFilters:
    """The filters of the library's GET form; a value that is not one of the choices, or
    a collection that is not shared with the client, is ignored."""
    kind = params.get("kind", "")
    status = params.get("status", "")
    collection = None
    raw_collection = params.get("collection", "")
    if raw_collection.isdecimal() and len(raw_collection) < 19:
        collection = (
            shared_collections_for_client(client, now=now).filter(pk=int(raw_collection)).first()
        )
    return LibraryFilters(
        q=" ".join(params.get("q", "").split())[:TITLE_MAX],
        kind=kind if kind in ResourceKind.values else "",
        collection=collection,
        status=status if status in STATUSES else "",
    )


def client_library(
    client: User, filters: LibraryFilters | None = None, *, now: datetime | None = None
) -> QuerySet[Resource]:
    """The resources shared with ``client``, newest share first, each annotated with
    ``can_download``, ``shared_at``, ``is_new`` and the client's progress."""
    filters = filters or LibraryFilters()
    queryset = with_progress(shared_resources_for_client(client, now=now), client).annotate(
        shared_at=_latest_share(client, now, "pk")
    )
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.collection is not None:
        queryset = queryset.filter(collection_items__collection=filters.collection)
    if filters.status:
        queryset = queryset.filter(_status_filter(filters.status, now))
    words = search_words(filters.q)
    if words:
        # The coach's library search (full-text on PostgreSQL), over the same search_text.
        queryset = search_resources(queryset, words)
    return queryset.select_related("coach").order_by("-shared_at", "-pk")


def is_new(resource: Any, *, now: datetime | None = None) -> bool:
    """Shared within ``LOOM_RESOURCE_NEW_DAYS`` and never opened."""
    shared_at = getattr(resource, "shared_at", None)
    return (
        shared_at is not None
        and shared_at >= new_since(now)
        and getattr(resource, "first_viewed_at", None) is None
    )


def client_collections(client: User, *, now: datetime | None = None) -> QuerySet[Collection]:
    """The collections shared with ``client``, with ``item_count`` and ``completed_count``
    (how many of their resources the client has completed)."""
    items = CollectionItem.objects.filter(collection_id=OuterRef("pk")).values("collection_id")
    done = items.filter(
        Exists(
            ResourceProgress.objects.filter(
                client_id=client.pk, resource_id=OuterRef("resource_id"), completed_at__isnull=False
            )
        )
    )
    counted = Count("pk")
    return (
        shared_collections_for_client(client, now=now)
        .annotate(
            item_count=Coalesce(
                Subquery(items.annotate(n=counted).values("n")[:1], output_field=IntegerField()),
                Value(0),
            ),
            completed_count=Coalesce(
                Subquery(done.annotate(n=counted).values("n")[:1], output_field=IntegerField()),
                Value(0),
            ),
        )
        .order_by("title", "pk")
    )


def collection_items_for_client(client: User, collection: Collection) -> QuerySet[CollectionItem]:
    """The items of a collection shared with ``client`` (from ``get_collection_for_user``),
    in order, each with its resource and the client's progress on it."""
    return with_progress(
        CollectionItem.objects.filter(collection=collection).select_related("resource"),
        client,
        resource_ref="resource_id",
    ).order_by("position", "pk")


@dataclass(frozen=True)
class HomeCard:
    new: list[Resource]
    unfinished: list[Resource]

    def __bool__(self) -> bool:
        return bool(self.new or self.unfinished)


def client_home_card(client: User, *, now: datetime | None = None) -> HomeCard:
    """Up to three new resources and three opened but unfinished ones (two queries)."""
    base = client_library(client, now=now)
    new = list(base.filter(_status_filter(STATUS_NEW, now))[:HOME_CARD_ROWS])
    recently_opened = (F("last_viewed_at").desc(), "-pk")
    unfinished = list(
        base.filter(_status_filter(STATUS_IN_PROGRESS, now)).order_by(*recently_opened)[
            :HOME_CARD_ROWS
        ]
    )
    return HomeCard(new=new, unfinished=unfinished)
