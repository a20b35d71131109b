"""Sharing on other pages: who has a resource or collection, session homework, and what
one client has (with their progress) on the coach's roster page.

    {% load resources_sharing %}
    {% resource_shares resource %}          coach: who has it, since, until, download, Remove
    {% collection_shares collection %}      the same for a collection
    {% session_homework session request.user %}   coach: list + add form; client: their list
    {% client_shared_resources request.user client %}  roster page: the client's resources

Each tag renders nothing for someone it is not meant for (another coach, a client on
a coach tag); the lists take a constant number of queries.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils import timezone

from loom.accounts.models import CoachClient, Role, User
from loom.accounts.timezones import zone_named
from loom.resources.models import (
    Collection,
    Resource,
    ResourceKind,
    ResourceProgress,
    SessionHomework,
    Share,
)
from loom.resources.selectors import shared_collections_for_client, shared_resources_for_client

register = template.Library()

_MEDIA = {ResourceKind.AUDIO, ResourceKind.VIDEO}


def _viewer(context: template.Context) -> Any:
    request = context.get("request")
    return getattr(request, "user", None)


def _is_coach(user: Any) -> bool:
    return user is not None and user.is_authenticated and user.role == Role.COACH


def last_day(expires_at: datetime | None, zone: Any) -> Any:
    """The last day of access in ``zone``: access ends at the start of the next day."""
    if expires_at is None:
        return None
    return (expires_at - timedelta(microseconds=1)).astimezone(zone).date()


def _share_rows(shares: QuerySet[Share], coach: User) -> list[dict[str, Any]]:
    now = timezone.now()
    zone = zone_named(coach.timezone)
    active = CoachClient.objects.filter(
        coach_id=coach.pk, client_id=OuterRef("client_id"), status=CoachClient.Status.ACTIVE
    )
    return [
        {
            "share": share,
            "until": last_day(share.expires_at, zone),
            "expired": share.expires_at is not None and share.expires_at <= now,
            "on_roster": share.on_roster,
        }
        for share in shares.select_related("client")
        .annotate(on_roster=Exists(active))
        .order_by("client__full_name", "client__email", "id")
    ]


def _shared_collections_holding(resource: Resource) -> list[Collection]:
    """The coach's shared collections that hold ``resource``: clients reach it through
    them as well, so the resource page names them next to its own shares."""
    return list(
        Collection.objects.filter(coach_id=resource.coach_id, items__resource=resource)
        .annotate(clients=Count("shares__client", distinct=True))
        .filter(clients__gt=0)
        .order_by("title", "id")
    )


def _shares_context(
    context: template.Context, target: Resource | Collection, *, is_collection: bool
) -> dict[str, Any]:
    user = _viewer(context)
    if not _is_coach(user) or target.coach_id != user.pk:
        return {"show": False}
    field = "collection" if is_collection else "resource"
    shares = Share.objects.filter(coach=user, **{field: target})
    request = context.get("request")
    return {
        "show": True,
        "target": target,
        "is_collection": is_collection,
        "rows": _share_rows(shares, user),
        "via_collections": (
            _shared_collections_holding(target) if isinstance(target, Resource) else []
        ),
        "next": request.get_full_path() if request is not None else "",
    }


@register.inclusion_tag("resources/_shares.html", takes_context=True)
def resource_shares(context: template.Context, resource: Resource) -> dict[str, Any]:
    return _shares_context(context, resource, is_collection=False)


@register.inclusion_tag("resources/_shares.html", takes_context=True)
def collection_shares(context: template.Context, collection: Collection) -> dict[str, Any]:
    return _shares_context(context, collection, is_collection=True)


@register.inclusion_tag("resources/_homework.html", takes_context=True)
def session_homework(context: template.Context, session: Any, user: Any) -> dict[str, Any]:
    """The coach gets the list with Remove buttons and an add form; the session's client
    gets the homework they can still open, linked to their resource pages."""
    if user is None or not user.is_authenticated or session is None:
        return {"show": False}
    request = context.get("request")
    base = {"show": True, "session": session, "next": request.get_full_path() if request else ""}
    if user.pk == session.coach_id and user.role == Role.COACH:
        if session.client_id is None:
            return {**base, "as_coach": True, "group": True}
        homework = list(
            SessionHomework.objects.filter(session=session, coach=user)
            .select_related("resource")
            .order_by("created_at", "id")
        )
        choices = list(
            Resource.objects.filter(coach=user)
            .exclude(pk__in=[item.resource_id for item in homework])
            .order_by("title", "id")
            .only("id", "title")
        )
        return {**base, "as_coach": True, "homework": homework, "choices": choices}
    if session.client_id is not None and user.pk == session.client_id:
        readable = shared_resources_for_client(user).filter(coach_id=session.coach_id)
        homework = list(
            SessionHomework.objects.filter(
                session=session, client=user, resource__in=readable.values("pk")
            )
            .select_related("resource")
            .order_by("created_at", "id")
        )
        return {**base, "as_coach": False, "homework": homework}
    return {"show": False}


@register.inclusion_tag("resources/_shares_of_client.html", takes_context=True)
def client_shared_resources(context: template.Context, coach: Any, client: User) -> dict[str, Any]:
    """What ``client`` can open from ``coach``'s library now, with their progress.

    Three queries whatever the number of resources: the resources, the client's
    progress on them, and the shared collections.
    """
    if not _is_coach(coach):
        return {"show": False}
    on_roster = CoachClient.objects.filter(
        coach=coach, client=client, status=CoachClient.Status.ACTIVE
    ).exists()
    if not on_roster:
        return {"show": True, "archived": True, "client": client}
    resources = list(
        shared_resources_for_client(client).filter(coach=coach).order_by("title", "id")
    )
    progress = {
        row.resource_id: row
        for row in ResourceProgress.objects.filter(
            coach=coach, client=client, resource_id__in=[resource.pk for resource in resources]
        )
    }
    rows = []
    opened = completed = 0
    for resource in resources:
        record = progress.get(resource.pk)
        opened += bool(record is not None and record.first_viewed_at)
        completed += bool(record is not None and record.completed_at)
        rows.append(
            {
                "resource": resource,
                "progress": record,
                "watched_percent": round(record.watched_share * 100)
                if record is not None and resource.kind in _MEDIA
                else None,
            }
        )
    collections = list(
        shared_collections_for_client(client).filter(coach=coach).order_by("title", "id")
    )
    return {
        "show": True,
        "archived": False,
        "client": client,
        "rows": rows,
        "collections": collections,
        "opened": opened,
        "completed": completed,
    }
