"""What a coach's clients do with the library: the numbers behind the analytics pages,
the CSV export and ``GET /api/v1/resources/analytics``.

Every read is scoped to the coach (``coach=coach`` on every table) and runs in a
constant number of queries whatever the size of the library: the per-row figures are
correlated subqueries, never a query per row.

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

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import (
    Avg,
    Case,
    Count,
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
    When,
)
from django.db.models.expressions import Expression
from django.db.models.functions import Cast, Coalesce, NullIf, TruncDate, TruncMonth
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient, Role, User
from loom.accounts.timezones import zone_named
from loom.resources.models import (
    CollectionItem,
    Resource,
    ResourceKind,
    ResourceProgress,
    ResourceView,
    Share,
)

PERIODS: dict[str, int | None] = {"7": 7, "30": 30, "90": 90, "all": None}
DEFAULT_PERIOD = "30"
MEDIA_KINDS = (ResourceKind.AUDIO, ResourceKind.VIDEO)

# Sort keys of the per-resource table: GET value -> ordering.
RESOURCE_SORTS: dict[str, tuple[Any, ...]] = {
    "views": (F("views_count").desc(), "title", "pk"),
    "viewers": (F("viewers_count").desc(), "title", "pk"),
    "shared": (F("shared_count").desc(), "title", "pk"),
    "completion": (F("completion_rate").desc(nulls_last=True), "title", "pk"),
    "watch": (F("average_watch").desc(nulls_last=True), "title", "pk"),
    "title": ("title", "pk"),
}
DEFAULT_RESOURCE_SORT = "views"
CLIENT_SORTS: dict[str, tuple[Any, ...]] = {
    "name": ("full_name", "pk"),
    "shared": (F("shared_count").desc(), "full_name", "pk"),
    "opened": (F("opened_count").desc(), "full_name", "pk"),
    "completed": (F("completed_count").desc(), "full_name", "pk"),
    "last_opened": (F("last_opened").desc(nulls_last=True), "full_name", "pk"),
}
DEFAULT_CLIENT_SORT = "name"


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


def _count(queryset: QuerySet[Any], expression: Expression) -> Coalesce:
    """``COUNT`` of one correlated subquery (0 when it finds nothing)."""
    counted = (
        queryset.order_by()
        .annotate(_one=Value(1, output_field=IntegerField()))
        .values("_one")
        .annotate(n=expression)
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _live_share_filter(now: datetime) -> Q:
    active_link = CoachClient.objects.filter(
        coach_id=OuterRef("coach_id"),
        client_id=OuterRef("client_id"),
        status=CoachClient.Status.ACTIVE,
    )
    return (Q(expires_at__isnull=True) | Q(expires_at__gt=now)) & Q(Exists(active_link))


def _access_exists(*, client: Any, resource: Any, now: datetime) -> Exists:
    """True when the client ``client`` may open the resource ``resource`` now.

    Both are expressions as seen from inside the ``Share`` subquery (``OuterRef(...)``);
    the same rule as ``selectors.shared_resources_for_client``.
    """
    # One level deeper inside the collection-item subquery; a plain id stays as it is.
    resource_in_item = OuterRef(resource) if isinstance(resource, OuterRef) else resource
    through_collection = CollectionItem.objects.filter(
        collection_id=OuterRef("collection_id"), resource_id=resource_in_item
    )
    return Exists(
        Share.objects.filter(_live_share_filter(now), client_id=client).filter(
            Q(resource_id=resource) | Exists(through_collection)
        )
    )


# --- Per resource ------------------------------------------------------------------------------


def resource_stats(
    coach: User, period: Period, *, sort: str = DEFAULT_RESOURCE_SORT
) -> QuerySet[Resource]:
    """Every resource of ``coach`` with ``views_count``, ``viewers_count``,
    ``shared_count``, ``completed_count``, ``completion_rate`` (0–1 or None when shared
    with nobody) and ``average_watch`` (0–1, audio/video with progress only). One query."""
    views = ResourceView.objects.filter(_in_period(period, "viewed_at"), resource_id=OuterRef("pk"))
    shares = Share.objects.filter(_live_share_filter(period.end), coach_id=OuterRef("coach_id"))
    reaching = shares.filter(
        Q(resource_id=OuterRef("pk")) | Q(collection__items__resource_id=OuterRef("pk"))
    )
    completed = ResourceProgress.objects.filter(
        resource_id=OuterRef("pk"), completed_at__isnull=False
    ).filter(
        _access_exists(
            client=OuterRef("client_id"), resource=OuterRef("resource_id"), now=period.end
        )
    )
    watch = (
        ResourceProgress.objects.filter(resource_id=OuterRef("pk"))
        .order_by()
        .annotate(_one=Value(1, output_field=IntegerField()))
        .values("_one")
        .annotate(mean=Avg("watched_share"))
        .values("mean")
    )
    queryset = (
        Resource.objects.filter(coach=coach)
        .select_related("category")
        .annotate(
            views_count=_count(views, Count("pk")),
            viewers_count=_count(views, Count("client_id", distinct=True)),
            shared_count=_count(reaching, Count("client_id", distinct=True)),
            completed_count=_count(completed, Count("pk")),
        )
        .annotate(
            completion_rate=Cast(F("completed_count"), FloatField())
            / NullIf(Cast(F("shared_count"), FloatField()), Value(0.0)),
            average_watch=Case(
                When(kind__in=MEDIA_KINDS, then=Subquery(watch, output_field=FloatField())),
                default=None,
                output_field=FloatField(),
            ),
        )
    )
    return queryset.order_by(*RESOURCE_SORTS.get(sort, RESOURCE_SORTS[DEFAULT_RESOURCE_SORT]))


def get_resource_stats(coach: User, resource_id: Any, period: Period) -> Resource:
    """One of ``coach``'s resources with the figures of ``resource_stats``, or 404."""
    try:
        pk = int(resource_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    resource = resource_stats(coach, period).filter(pk=pk).first()
    if resource is None:
        raise Http404
    return resource


@dataclass(frozen=True)
class Totals:
    views: int
    viewers: int
    completions: int
    resources: int
    active_clients: int


def totals(coach: User, period: Period) -> Totals:
    """The summary line of the overview: three queries."""
    seen = ResourceView.objects.filter(_in_period(period, "viewed_at"), coach=coach).aggregate(
        views=Count("pk"), viewers=Count("client_id", distinct=True)
    )
    completions = ResourceProgress.objects.filter(
        _in_period(period, "completed_at"), coach=coach
    ).count()
    counts = User.objects.filter(pk=coach.pk).aggregate(
        resources=Count("resources", distinct=True),
        active_clients=Count(
            "client_links",
            filter=Q(client_links__status=CoachClient.Status.ACTIVE),
            distinct=True,
        ),
    )
    return Totals(
        views=seen["views"],
        viewers=seen["viewers"],
        completions=completions,
        resources=counts["resources"],
        active_clients=counts["active_clients"],
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
    return [
        Bucket(
            day=first + timedelta(days=offset), views=counts.get(first + timedelta(days=offset), 0)
        )
        for offset in range((last - first).days + 1)
    ]


@dataclass(frozen=True)
class ViewerRow:
    client: User
    has_access: bool
    views_in_period: int
    progress: ResourceProgress | None


def viewers(resource: Resource, period: Period) -> list[ViewerRow]:
    """The clients with progress on ``resource`` or access to it now, with their
    progress and views in the period; most recently opened first. Three queries."""
    coach_id = resource.coach_id
    progress = {
        row.client_id: row
        for row in ResourceProgress.objects.filter(coach_id=coach_id, resource=resource)
    }
    views = dict(
        ResourceView.objects.filter(
            _in_period(period, "viewed_at"), coach_id=coach_id, resource=resource
        )
        .values("client_id")
        .annotate(n=Count("pk"))
        .values_list("client_id", "n")
    )
    with_access = _access_exists(client=OuterRef("pk"), resource=resource.pk, now=period.end)
    clients = (
        User.objects.filter(coach_links__coach_id=coach_id, role=Role.CLIENT)
        .filter(Q(pk__in=list(progress)) | Q(with_access))
        .annotate(has_access=with_access)
        .distinct()
    )
    rows = [
        ViewerRow(
            client=client,
            has_access=bool(client.has_access),
            views_in_period=views.get(client.pk, 0),
            progress=progress.get(client.pk),
        )
        for client in clients
    ]
    rows.sort(key=_latest_first)
    return rows


def _latest_first(row: ViewerRow) -> tuple[float, str, int]:
    opened = row.progress.last_viewed_at if row.progress else None
    return (
        -opened.timestamp() if opened else float("inf"),
        row.client.full_name.lower(),
        row.client.pk,
    )


# --- Per client --------------------------------------------------------------------------------


def _active_clients(coach: User) -> QuerySet[User]:
    return User.objects.filter(
        coach_links__coach=coach,
        coach_links__status=CoachClient.Status.ACTIVE,
        role=Role.CLIENT,
    )


def client_stats(coach: User, period: Period, *, sort: str = DEFAULT_CLIENT_SORT) -> QuerySet[User]:
    """The coach's active clients with ``shared_count`` (resources they can open now),
    ``opened_count`` (distinct resources opened in the period), ``completed_count``
    (completed in the period), ``last_opened`` (ever) and ``average_watch`` (mean over
    their audio/video progress). One query."""
    accessible = Resource.objects.filter(coach_id=coach.pk).filter(
        _access_exists(client=OuterRef(OuterRef("pk")), resource=OuterRef("pk"), now=period.end)
    )
    opened = ResourceView.objects.filter(
        _in_period(period, "viewed_at"), coach_id=coach.pk, client_id=OuterRef("pk")
    )
    completed = ResourceProgress.objects.filter(
        _in_period(period, "completed_at"), coach_id=coach.pk, client_id=OuterRef("pk")
    )
    progress = ResourceProgress.objects.filter(
        coach_id=coach.pk, client_id=OuterRef("pk")
    ).order_by()
    last_opened = (
        progress.annotate(_one=Value(1, output_field=IntegerField()))
        .values("_one")
        .annotate(latest=Max("last_viewed_at"))
        .values("latest")
    )
    watch = (
        progress.filter(resource__kind__in=MEDIA_KINDS)
        .annotate(_one=Value(1, output_field=IntegerField()))
        .values("_one")
        .annotate(mean=Avg("watched_share"))
        .values("mean")
    )
    queryset = _active_clients(coach).annotate(
        shared_count=_count(accessible, Count("pk")),
        opened_count=_count(opened, Count("resource_id", distinct=True)),
        completed_count=_count(completed, Count("pk")),
        last_opened=Subquery(last_opened),
        average_watch=Subquery(watch, output_field=FloatField()),
    )
    return queryset.order_by(*CLIENT_SORTS.get(sort, CLIENT_SORTS[DEFAULT_CLIENT_SORT]))


def get_client_stats(coach: User, client_id: Any, period: Period) -> User:
    """One active client of ``coach`` with the figures of ``client_stats``, or 404."""
    try:
        pk = int(client_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < 2**63:
        raise Http404
    client = client_stats(coach, period).filter(pk=pk).first()
    if client is None:
        raise Http404
    return client


def client_resources(coach: User, client: User, period: Period) -> QuerySet[Resource]:
    """The coach's resources the client can open now or has progress on, with
    ``has_access``, the client's progress fields (``first_viewed``, ``last_viewed``,
    ``times_opened``, ``watched``, ``completed_at_``) and ``views_in_period``. One query."""
    mine = ResourceProgress.objects.filter(
        coach_id=coach.pk, client_id=client.pk, resource_id=OuterRef("pk")
    )
    with_access = _access_exists(client=client.pk, resource=OuterRef("pk"), now=period.end)
    views = ResourceView.objects.filter(
        _in_period(period, "viewed_at"), client_id=client.pk, resource_id=OuterRef("pk")
    )
    return (
        Resource.objects.filter(coach=coach)
        .filter(Q(with_access) | Q(Exists(mine)))
        .annotate(
            has_access=with_access,
            first_viewed=Subquery(mine.values("first_viewed_at")[:1]),
            last_viewed=Subquery(mine.values("last_viewed_at")[:1]),
            times_opened=Coalesce(Subquery(mine.values("view_count")[:1]), Value(0)),
            watched=Subquery(mine.values("watched_share")[:1], output_field=FloatField()),
            completed_at_=Subquery(mine.values("completed_at")[:1]),
            views_in_period=_count(views, Count("pk")),
        )
        .order_by(F("last_viewed").desc(nulls_last=True), "title", "pk")
    )
