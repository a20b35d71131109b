"""What a coach's clients do with the library: the numbers behind the analytics pages,
the CSV export and ``GET /api/v1/resources/analytics``.

Every read is scoped to the coach (``coach=coach`` on every table) and takes a fixed
number of queries whatever the size of the library. Each query is one indexed pass over
the coach's rows (views in the period grouped by resource or client, the live shares,
the progress rows); the figures are then put together in Python. Correlated subqueries
per resource were tried first: with "a share of the resource *or* of a collection
holding it" no index applies, and a 1,000-resource library took seconds on SQLite.

Definitions (docs/resources.md repeats them for coaches):

* **period**: the last 7, 30 or 90 days ending now, or all time. Day buckets are
  calendar days in the coach's time zone.
* **views**: openings of a resource by clients in the period (``ResourceView`` rows;
  re-openings within the dedupe window are already one row). **Unique viewers**: the
  clients behind those views.
* **shared with**: clients who can open the resource *now* (a live share of it or of a
  collection holding it, not expired, the client still active on the roster).
* **completion rate**: of the clients who can open it now, the share who have completed
  it (at any time). A client who completed it but no longer has access counts in
  neither number. It is a state, so it does not change with the period.
* **average watch share** (audio and video only): the mean ``watched_share`` over the
  clients with progress on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q
from django.db.models.functions import TruncDate, TruncMonth
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient, Role, User
from loom.accounts.timezones import zone_named
from loom.core.ids import object_id
from loom.resources.models import (
    Resource,
    ResourceKind,
    ResourceProgress,
    ResourceView,
    Share,
)

PERIODS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "all": None}
DEFAULT_PERIOD = "30"
MEDIA_KINDS = (ResourceKind.AUDIO, ResourceKind.VIDEO)


def _descending(name: str) -> Callable[[Any], tuple[bool, float]]:
    """Largest first, missing values (None) last."""

    def key(row: Any) -> tuple[bool, float]:
        value = getattr(row, name)
        return (value is None, -(value or 0))

    return key


def _by_title(row: Any) -> tuple[str, int]:
    return (row.title.casefold(), row.pk)


def _by_name(row: Any) -> tuple[str, int]:
    return (row.full_name.casefold(), row.pk)


# Sort keys of the tables: GET value -> the key of the primary order (ties by name).
RESOURCE_SORTS: dict[str, Callable[[Any], Any] | None] = {
    "views": _descending("views_count"),
    "viewers": _descending("viewers_count"),
    "shared": _descending("shared_count"),
    "completion": _descending("completion_rate"),
    "watch": _descending("average_watch"),
    "title": None,
}
DEFAULT_RESOURCE_SORT = "views"
CLIENT_SORTS: dict[str, Callable[[Any], Any] | None] = {
    "name": None,
    "shared": _descending("shared_count"),
    "opened": _descending("opened_count"),
    "completed": _descending("completed_count"),
    "last_opened": lambda row: (
        row.last_opened is None,
        -row.last_opened.timestamp() if row.last_opened else 0,
    ),
}
DEFAULT_CLIENT_SORT = "name"


def _sorted(
    rows: list[Any], key: Callable[[Any], Any] | None, tie: Callable[[Any], Any]
) -> list[Any]:
    rows.sort(key=tie)  # stable: the primary sort keeps this order among equals
    if key is not None:
        rows.sort(key=key)
    return rows


@dataclass(frozen=True)
class Period:
    """A reporting window ending ``end``; ``start`` is None for all time."""

    key: str
    days: int | None
    start: datetime | None
    end: datetime
    zone: ZoneInfo

    @property
    def is_all_time(self) -> bool:
        return self.start is None

    def holds(self, moment: datetime | None) -> bool:
        return (
            moment is not None
            and moment <= self.end
            and (self.start is None or moment > self.start)
        )


def period_for(coach: User, key: Any, *, now: datetime | None = None) -> Period:
    """The period a GET parameter names; anything unknown is the default (30 days)."""
    key = key if isinstance(key, str) and key in PERIODS else DEFAULT_PERIOD
    days = PERIODS[key]
    end = now or timezone.now()
    start = end - timedelta(days=days) if days is not None else None
    return Period(key=key, days=days, start=start, end=end, zone=zone_named(coach.timezone))


def _in_period(period: Period, field: str) -> Q:
    if period.start is None:
        return Q(**{f"{field}__lte": period.end})
    return Q(**{f"{field}__gt": period.start, f"{field}__lte": period.end})


def _access_pairs(
    coach: User, now: datetime, *, client_id: int | None = None, resource_id: int | None = None
) -> set[tuple[int, int]]:
    """``(client_id, resource_id)`` for every client of ``coach`` who may open one of
    their resources now — the rule of ``selectors.shared_resources_for_client``: a live
    share of the resource or of a collection holding it, the client active. Three queries."""
    active = set(
        CoachClient.objects.filter(coach=coach, status=CoachClient.Status.ACTIVE).values_list(
            "client_id", flat=True
        )
    )
    live = Share.objects.filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now), coach=coach)
    if client_id is not None:
        live = live.filter(client_id=client_id)
    direct = live.filter(resource__isnull=False)
    through = live.filter(collection__isnull=False, collection__items__isnull=False)
    if resource_id is not None:
        direct = direct.filter(resource_id=resource_id)
        through = through.filter(collection__items__resource_id=resource_id)
    rows = [
        *direct.values_list("client_id", "resource_id"),
        *through.values_list("client_id", "collection__items__resource_id"),
    ]
    return {(client, resource) for client, resource in rows if client in active}


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


# --- Per resource ------------------------------------------------------------------------------


def _with_resource_figures(
    coach: User, period: Period, resources: list[Resource], *, resource_id: int | None = None
) -> list[Resource]:
    """Set ``views_count``, ``viewers_count``, ``shared_count``, ``completed_count``,
    ``completion_rate`` (0–1, None when shared with nobody) and ``average_watch`` (0–1,
    audio/video with progress only) on each resource. Five queries."""
    pairs = _access_pairs(coach, period.end, resource_id=resource_id)
    views = ResourceView.objects.filter(_in_period(period, "viewed_at"), coach=coach)
    progress = ResourceProgress.objects.filter(coach=coach)
    if resource_id is not None:
        views = views.filter(resource_id=resource_id)
        progress = progress.filter(resource_id=resource_id)
    seen = {
        row["resource_id"]: (row["views"], row["viewers"])
        for row in views.values("resource_id").annotate(
            views=Count("pk"), viewers=Count("client_id", distinct=True)
        )
    }
    shared: dict[int, int] = defaultdict(int)
    for _client, resource_pk in pairs:
        shared[resource_pk] += 1
    completed: dict[int, int] = defaultdict(int)
    watched: dict[int, list[float]] = defaultdict(list)
    for client, resource_pk, completed_at, share in progress.values_list(
        "client_id", "resource_id", "completed_at", "watched_share"
    ):
        watched[resource_pk].append(share)
        if completed_at is not None and (client, resource_pk) in pairs:
            completed[resource_pk] += 1
    for resource in resources:
        views_count, viewers_count = seen.get(resource.pk, (0, 0))
        with_access = shared.get(resource.pk, 0)
        resource.views_count = views_count  # type: ignore[attr-defined]
        resource.viewers_count = viewers_count  # type: ignore[attr-defined]
        resource.shared_count = with_access  # type: ignore[attr-defined]
        resource.completed_count = completed.get(resource.pk, 0)  # type: ignore[attr-defined]
        resource.completion_rate = (  # type: ignore[attr-defined]
            completed.get(resource.pk, 0) / with_access if with_access else None
        )
        resource.average_watch = (  # type: ignore[attr-defined]
            _mean(watched.get(resource.pk, [])) if resource.kind in MEDIA_KINDS else None
        )
    return resources


def resource_stats(
    coach: User, period: Period, *, sort: str = DEFAULT_RESOURCE_SORT
) -> list[Resource]:
    """Every resource of ``coach`` with its figures (see ``_with_resource_figures``),
    sorted by ``sort`` (one of ``RESOURCE_SORTS``; ties by title). Six queries."""
    resources = list(
        Resource.objects.filter(coach=coach)
        .select_related("category")
        .only("pk", "coach_id", "title", "kind", "category__id", "category__name")
    )
    rows = _with_resource_figures(coach, period, resources)
    key = RESOURCE_SORTS.get(sort, RESOURCE_SORTS[DEFAULT_RESOURCE_SORT])
    return _sorted(rows, key, _by_title)


def get_resource_stats(coach: User, resource_id: Any, period: Period) -> Resource:
    """One of ``coach``'s resources with the figures of ``resource_stats``, or 404."""
    pk = object_id(resource_id)
    resource = Resource.objects.filter(pk=pk, coach=coach).select_related("category").first()
    if resource is None:
        raise Http404
    return _with_resource_figures(coach, period, [resource], resource_id=pk)[0]


@dataclass(frozen=True)
class Totals:
    views: int
    viewers: int
    completions: int
    resources: int
    active_clients: int


def totals(coach: User, period: Period) -> Totals:
    """The summary line of the overview: four queries."""
    seen = ResourceView.objects.filter(_in_period(period, "viewed_at"), coach=coach).aggregate(
        views=Count("pk"), viewers=Count("client_id", distinct=True)
    )
    return Totals(
        views=seen["views"],
        viewers=seen["viewers"],
        completions=ResourceProgress.objects.filter(
            _in_period(period, "completed_at"), coach=coach
        ).count(),
        resources=Resource.objects.filter(coach=coach).count(),
        active_clients=CoachClient.objects.filter(
            coach=coach, status=CoachClient.Status.ACTIVE
        ).count(),
    )


@dataclass(frozen=True)
class Bucket:
    """Views on one day (or month, for all time) in the coach's zone."""

    day: date
    views: int


def views_over_time(resource: Resource, period: Period) -> list[Bucket]:
    """Views of ``resource`` per day of the period (per month for all time), with the
    empty days too, oldest first. One query."""
    monthly = period.is_all_time
    trunc = (
        TruncMonth("viewed_at", tzinfo=period.zone)
        if monthly
        else TruncDate("viewed_at", tzinfo=period.zone)
    )
    rows = (
        ResourceView.objects.filter(
            _in_period(period, "viewed_at"), coach_id=resource.coach_id, resource=resource
        )
        .annotate(bucket=trunc)
        .values("bucket")
        .annotate(n=Count("pk"))
        .order_by("bucket")
    )
    counts: dict[date, int] = {}
    for row in rows:
        bucket = row["bucket"]
        day = bucket.date() if isinstance(bucket, datetime) else bucket
        counts[day] = counts.get(day, 0) + row["n"]
    last = period.end.astimezone(period.zone).date()
    if monthly:
        first = min(counts, default=last).replace(day=1)
        buckets: list[Bucket] = []
        month = first
        while month <= last:
            buckets.append(Bucket(day=month, views=counts.get(month, 0)))
            month = (month + timedelta(days=32)).replace(day=1)
        return buckets
    assert period.start is not None
    first = period.start.astimezone(period.zone).date() + timedelta(days=1)
    days = (first + timedelta(days=offset) for offset in range((last - first).days + 1))
    return [Bucket(day=day, views=counts.get(day, 0)) for day in days]


@dataclass(frozen=True)
class ViewerRow:
    client: User
    has_access: bool
    views_in_period: int
    progress: ResourceProgress | None


def _latest_first(row: ViewerRow) -> tuple[float, str, int]:
    opened = row.progress.last_viewed_at if row.progress else None
    return (
        -opened.timestamp() if opened else float("inf"),
        row.client.full_name.casefold(),
        row.client.pk,
    )


def viewers(resource: Resource, period: Period) -> list[ViewerRow]:
    """The clients with progress on ``resource`` or access to it now, with their
    progress and views in the period; most recently opened first. Six queries."""
    coach = resource.coach
    progress = {
        row.client_id: row
        for row in ResourceProgress.objects.filter(coach=coach, resource=resource)
    }
    views = dict(
        ResourceView.objects.filter(_in_period(period, "viewed_at"), coach=coach, resource=resource)
        .values("client_id")
        .annotate(n=Count("pk"))
        .values_list("client_id", "n")
    )
    with_access = {
        client for client, _ in _access_pairs(coach, period.end, resource_id=resource.pk)
    }
    clients = User.objects.filter(
        pk__in=with_access | set(progress), coach_links__coach=coach, role=Role.CLIENT
    )
    rows = [
        ViewerRow(
            client=client,
            has_access=client.pk in with_access,
            views_in_period=views.get(client.pk, 0),
            progress=progress.get(client.pk),
        )
        for client in clients
    ]
    rows.sort(key=_latest_first)
    return rows


# --- Per client --------------------------------------------------------------------------------


def _with_client_figures(
    coach: User, period: Period, clients: list[User], *, client_id: int | None = None
) -> list[User]:
    """Set ``shared_count`` (resources they can open now), ``opened_count`` (distinct
    resources opened in the period), ``completed_count`` (completed in the period),
    ``last_opened`` (ever) and ``average_watch`` (mean over their audio/video progress)
    on each client. Five queries."""
    pairs = _access_pairs(coach, period.end, client_id=client_id)
    views = ResourceView.objects.filter(_in_period(period, "viewed_at"), coach=coach)
    progress = ResourceProgress.objects.filter(coach=coach)
    if client_id is not None:
        views = views.filter(client_id=client_id)
        progress = progress.filter(client_id=client_id)
    opened = dict(
        views.values("client_id")
        .annotate(n=Count("resource_id", distinct=True))
        .values_list("client_id", "n")
    )
    shared: dict[int, int] = defaultdict(int)
    for client, _resource in pairs:
        shared[client] += 1
    completed: dict[int, int] = defaultdict(int)
    last: dict[int, datetime] = {}
    watched: dict[int, list[float]] = defaultdict(list)
    for client, kind, completed_at, last_viewed, share in progress.values_list(
        "client_id", "resource__kind", "completed_at", "last_viewed_at", "watched_share"
    ):
        if period.holds(completed_at):
            completed[client] += 1
        if last_viewed is not None and (client not in last or last_viewed > last[client]):
            last[client] = last_viewed
        if kind in MEDIA_KINDS:
            watched[client].append(share)
    for person in clients:
        person.shared_count = shared.get(person.pk, 0)  # type: ignore[attr-defined]
        person.opened_count = opened.get(person.pk, 0)  # type: ignore[attr-defined]
        person.completed_count = completed.get(person.pk, 0)  # type: ignore[attr-defined]
        person.last_opened = last.get(person.pk)  # type: ignore[attr-defined]
        person.average_watch = _mean(watched.get(person.pk, []))  # type: ignore[attr-defined]
    return clients


def _active_clients(coach: User) -> Any:
    return User.objects.filter(
        coach_links__coach=coach,
        coach_links__status=CoachClient.Status.ACTIVE,
        role=Role.CLIENT,
    )


def client_stats(coach: User, period: Period, *, sort: str = DEFAULT_CLIENT_SORT) -> list[User]:
    """The coach's active clients with their figures (see ``_with_client_figures``),
    sorted by ``sort`` (one of ``CLIENT_SORTS``; ties by name). Six queries."""
    rows = _with_client_figures(coach, period, list(_active_clients(coach)))
    key = CLIENT_SORTS.get(sort, CLIENT_SORTS[DEFAULT_CLIENT_SORT])
    return _sorted(rows, key, _by_name)


def get_client_stats(coach: User, client_id: Any, period: Period) -> User:
    """One active client of ``coach`` with the figures of ``client_stats``, or 404."""
    pk = object_id(client_id)
    client = _active_clients(coach).filter(pk=pk).first()
    if client is None:
        raise Http404
    return _with_client_figures(coach, period, [client], client_id=pk)[0]


def client_resources(coach: User, client: User, period: Period) -> list[Resource]:
    """The coach's resources the client can open now or has progress on, with
    ``has_access``, the client's progress (``first_viewed``, ``last_viewed``,
    ``times_opened``, ``watched``, ``completed_at_``) and ``views_in_period``; most
    recently opened first. Six queries."""
    accessible = {
        resource for _client, resource in _access_pairs(coach, period.end, client_id=client.pk)
    }
    progress = {
        row.resource_id: row
        for row in ResourceProgress.objects.filter(coach=coach, client_id=client.pk)
    }
    views = dict(
        ResourceView.objects.filter(
            _in_period(period, "viewed_at"), coach=coach, client_id=client.pk
        )
        .values("resource_id")
        .annotate(n=Count("pk"))
        .values_list("resource_id", "n")
    )
    resources = list(Resource.objects.filter(coach=coach, pk__in=accessible | set(progress)))
    for resource in resources:
        mine = progress.get(resource.pk)
        resource.has_access = resource.pk in accessible  # type: ignore[attr-defined]
        resource.first_viewed = mine.first_viewed_at if mine else None  # type: ignore[attr-defined]
        resource.last_viewed = mine.last_viewed_at if mine else None  # type: ignore[attr-defined]
        resource.times_opened = mine.view_count if mine else 0  # type: ignore[attr-defined]
        resource.watched = mine.watched_share if mine else None  # type: ignore[attr-defined]
        resource.completed_at_ = mine.completed_at if mine else None  # type: ignore[attr-defined]
        resource.views_in_period = views.get(resource.pk, 0)  # type: ignore[attr-defined]
    return _sorted(resources, _opened_latest_first, _by_title)


def _opened_latest_first(row: Any) -> tuple[bool, float]:
    return (row.last_viewed is None, -row.last_viewed.timestamp() if row.last_viewed else 0)
