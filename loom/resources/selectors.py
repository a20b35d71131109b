"""Who may read which resource: the access rules every page, file and API call uses.

A coach reads their own library. A client reads a resource while a *live share*
gives it to them: a share of the resource itself, or of a collection that holds it,
that has not expired, from a coach whose active client they are. Anything else is
``Http404`` — a resource that exists but is not yours looks exactly like one that
does not. The PostgreSQL policies of ``0002_row_level_security`` say the same.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient, User
from loom.core.ids import object_id
from loom.resources.models import Collection, CollectionItem, Resource, Share


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


def live_shares(client: User, *, now: datetime | None = None) -> QuerySet[Share]:
    """The shares that give ``client`` access now (unexpired, coach link active)."""
    active_link = CoachClient.objects.filter(
        coach_id=OuterRef("coach_id"), client_id=client.pk, status=CoachClient.Status.ACTIVE
    )
    return Share.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=_now(now)),
        Exists(active_link),
        client_id=client.pk,
    )


def _shares_of_resource(client: User, now: datetime | None) -> QuerySet[Share]:
    """Live shares of ``client`` reaching the resource ``OuterRef("pk")``.

    Only rows of the resource's own coach count: another coach's share or collection
    item pointing at it gives nothing (see migration 0003)."""
    in_collection = CollectionItem.objects.filter(
        resource_id=OuterRef(OuterRef("pk")),
        collection_id=OuterRef("collection_id"),
        coach_id=OuterRef(OuterRef("coach_id")),
    )
    return live_shares(client, now=now).filter(
        Q(resource_id=OuterRef("pk")) | Exists(in_collection), coach_id=OuterRef("coach_id")
    )


def shared_resources_for_client(client: User, *, now: datetime | None = None) -> QuerySet[Resource]:
    """Every resource ``client`` may read now, annotated with ``can_download``."""
    reaching = _shares_of_resource(client, now)
    return Resource.objects.filter(Exists(reaching)).annotate(
        can_download=Exists(reaching.filter(can_download=True))
    )


def shared_collections_for_client(
    client: User, *, now: datetime | None = None
) -> QuerySet[Collection]:
    """Every collection shared with ``client`` now, annotated with ``can_download``."""
    reaching = live_shares(client, now=now).filter(
        collection_id=OuterRef("pk"), coach_id=OuterRef("coach_id")
    )
    return Collection.objects.filter(Exists(reaching)).annotate(
        can_download=Exists(reaching.filter(can_download=True))
    )


@dataclass(frozen=True)
class ResourceAccess:
    """A resource as ``user`` may use it: the coach owns it, a client has it shared."""

    resource: Resource
    is_owner: bool
    can_download: bool


def get_resource_for_user(
    user: User, resource_id: Any, *, now: datetime | None = None
) -> ResourceAccess:
    """The resource with what ``user`` may do with it, or ``Http404``."""
    pk = object_id(resource_id)
    if not user.is_authenticated:
        raise Http404
    resource = (
        Resource.objects.select_related("coach", "category").filter(pk=pk, coach=user).first()
    )
    if resource is not None:
        return ResourceAccess(resource=resource, is_owner=True, can_download=True)
    shared = (
        shared_resources_for_client(user, now=now)
        .select_related("coach", "category")
        .filter(pk=pk)
        .first()
    )
    if shared is None:
        raise Http404
    return ResourceAccess(
        resource=shared, is_owner=False, can_download=bool(getattr(shared, "can_download", False))
    )


def _owned_row[Owned: (Resource, Collection)](
    queryset: QuerySet[Owned], coach: User, row_id: Any, *, for_update: bool
) -> Owned:
    """The row of ``queryset`` with ``row_id`` that ``coach`` owns, or ``Http404``."""
    pk = object_id(row_id)
    if not coach.is_authenticated:
        raise Http404
    queryset = queryset.filter(pk=pk, coach=coach)
    if for_update:
        queryset = queryset.select_for_update()
    row = queryset.first()
    if row is None:
        raise Http404
    return row


def get_own_resource(coach: User, resource_id: Any, *, for_update: bool = False) -> Resource:
    """One of ``coach``'s resources (for changes), or ``Http404``."""
    return _owned_row(Resource.objects.all(), coach, resource_id, for_update=for_update)


@dataclass(frozen=True)
class CollectionAccess:
    collection: Collection
    is_owner: bool
    can_download: bool


def get_collection_for_user(
    user: User, collection_id: Any, *, now: datetime | None = None
) -> CollectionAccess:
    """The collection with what ``user`` may do with it, or ``Http404``."""
    pk = object_id(collection_id)
    if not user.is_authenticated:
        raise Http404
    collection = Collection.objects.filter(pk=pk, coach=user).first()
    if collection is not None:
        return CollectionAccess(collection=collection, is_owner=True, can_download=True)
    shared = shared_collections_for_client(user, now=now).filter(pk=pk).first()
    if shared is None:
        raise Http404
    return CollectionAccess(
        collection=shared,
        is_owner=False,
        can_download=bool(getattr(shared, "can_download", False)),
    )


def get_own_collection(coach: User, collection_id: Any, *, for_update: bool = False) -> Collection:
    """One of ``coach``'s collections (for changes), or ``Http404``."""
    return _owned_row(Collection.objects.all(), coach, collection_id, for_update=for_update)
