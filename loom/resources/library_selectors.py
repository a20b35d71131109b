"""Reading a coach's own library: the list with search, filters and sorts, its
collections and categories. Everything is scoped to the coach passed in.

Search on PostgreSQL is full-text over ``search_text`` with the ``simple`` configuration
(no stemming: titles are in English and Hebrew). The expression is written exactly as
the GIN index of migration ``0002`` (``to_tsvector('simple'::regconfig, search_text)``)
so the planner can use it; the last word matches as a prefix (``breat`` finds
"breathing") because people search while typing. SQLite has no such index: each word
must appear in ``search_text`` (stored lowercased), ignoring case.
"""

from __future__ import annotations

import re
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
)
from django.utils import timezone

from loom.accounts.models import User
from loom.core.ids import parse_object_id
from loom.resources.models import (
    Category,
    Collection,
    CollectionItem,
    Resource,
    ResourceVersion,
    Share,
    Tag,
)

SORTS = ("newest", "oldest", "title", "title_desc", "shared", "relevance")
# At most this many words of a search are used (a pasted paragraph is not a query).
SEARCH_WORDS_MAX = 8

_WORD = re.compile(r"\w+")


class SubqueryCount(Subquery):
    """``COUNT(DISTINCT …)`` of the single column a subquery selects."""

    template = "(SELECT COUNT(DISTINCT _counted.%(column)s) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()

    def __init__(self, queryset: QuerySet[Any], column: str) -> None:
        super().__init__(queryset.values(column), column=column)


def search_words(q: str) -> list[str]:
    """The words of a search, lowercased; punctuation and operators dropped."""
    return _WORD.findall((q or "").lower())[:SEARCH_WORDS_MAX]


def tsquery_text(words: list[str]) -> str:
    """A ``to_tsquery`` input: every word required, the last one as a prefix. Words are
    ``\\w+`` only, so they carry no tsquery operators; quoting keeps them lexemes."""
    quoted = [f"'{word}'" for word in words]
    quoted[-1] += ":*"
    return " & ".join(quoted)


class SimpleVector(Func):
    """``to_tsvector('simple'::regconfig, <column>)``: the GIN index's expression."""

    template = "to_tsvector('simple'::regconfig, %(expressions)s)"
    output_field = TextField()


class SimpleQuery(Func):
    template = "to_tsquery('simple'::regconfig, %(expressions)s)"
    output_field = TextField()


class Matches(Func):
    arg_joiner = " @@ "
    template = "(%(expressions)s)"
    output_field = BooleanField()


class Rank(Func):
    function = "ts_rank"
    output_field = FloatField()


def search_resources(queryset: QuerySet[Resource], words: list[str]) -> QuerySet[Resource]:
    if connection.vendor == "postgresql":
        vector = SimpleVector(F("search_text"))
        query = SimpleQuery(Value(tsquery_text(words)))
        return queryset.filter(Matches(vector, query)).annotate(rank=Rank(vector, query))
    for word in words:
        queryset = queryset.filter(search_text__icontains=word)
    return queryset


class _BareSubquery(Subquery):
    """A subquery without its parentheses, to be one arm of a ``UNION`` (SQLite refuses
    parenthesised arms)."""

    template = "%(subquery)s"


class UnionCount(Func):
    """How many distinct rows several one-column subqueries give together."""

    arg_joiner = " UNION "
    template = "(SELECT COUNT(*) FROM (%(expressions)s) _counted)"
    output_field = IntegerField()

    def __init__(self, *querysets: QuerySet[Any]) -> None:
        super().__init__(*(_BareSubquery(queryset.order_by()) for queryset in querysets))


def shared_with_count(now: Any = None) -> UnionCount:
    """How many clients hold an unexpired share reaching the outer resource, directly
    or through a collection that holds it. Two arms joined by ``UNION`` rather than one
    ``OR``: each arm can use its own index (shares by resource; the resource's items, then
    their collections' shares), where an ``OR`` would scan every share per resource."""
    live = Q(expires_at__isnull=True) | Q(expires_at__gt=now or timezone.now())
    direct = Share.objects.filter(live, resource_id=OuterRef("pk")).values("client_id")
    # A join from the resource's items (few) to their collections' shares.
    through_collection = Share.objects.filter(
        live, collection__items__resource_id=OuterRef("pk")
    ).values("client_id")
    return UnionCount(direct, through_collection)


def library_for_coach(
    coach: User,
    *,
    q: str = "",
    kind: str = "",
    category: Any = None,
    tag: Any = None,
    collection: Any = None,
    sort: str = "newest",
) -> QuerySet[Resource]:
    """``coach``'s resources, filtered and sorted, with ``category`` joined, tags
    prefetched and ``shared_count``/``collection_count`` annotated: the same few
    queries whatever the number of rows. Filters take ids (or objects); an id of
    something that is not the coach's matches nothing."""
    queryset: QuerySet[Resource] = (
        Resource.objects.filter(coach=coach)
        .select_related("category")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name", "id")))
        .annotate(
            shared_count=shared_with_count(),
            collection_count=SubqueryCount(
                CollectionItem.objects.filter(resource_id=OuterRef("pk")), "collection_id"
            ),
        )
    )
    if kind:
        queryset = queryset.filter(kind=kind)
    if category is not None:
        queryset = queryset.filter(category_id=_id(category), category__coach=coach)
    if tag is not None:
        queryset = queryset.filter(
            Exists(
                Tag.objects.filter(pk=_id(tag), coach=coach, resource_tags__resource=OuterRef("pk"))
            )
        )
    if collection is not None:
        queryset = queryset.filter(
            Exists(
                CollectionItem.objects.filter(
                    collection_id=_id(collection), coach=coach, resource_id=OuterRef("pk")
                )
            )
        )
    words = search_words(q)
    if words:
        queryset = search_resources(queryset, words)
    return queryset.order_by(*_ordering(sort, searching=bool(words)))


def _id(value: Any) -> int:
    """An object's or a raw id; anything that is not a valid id becomes 0, which
    matches nothing (rather than a database error for an out-of-range number)."""
    return parse_object_id(getattr(value, "pk", value)) or 0


def _ordering(sort: str, *, searching: bool) -> list[Any]:
    if sort == "relevance" and searching:
        if connection.vendor == "postgresql":
            return [F("rank").desc(), "-created_at", "-id"]
        return ["-created_at", "-id"]
    orderings: dict[str, list[Any]] = {
        "oldest": ["created_at", "id"],
        "title": ["title", "id"],
        "title_desc": ["-title", "-id"],
        "shared": [F("shared_count").desc(), "-created_at", "-id"],
    }
    return orderings.get(sort, ["-created_at", "-id"])


def categories_for_coach(coach: User) -> QuerySet[Category]:
    """The coach's categories in their order, with how many resources each holds."""
    return (
        Category.objects.filter(coach=coach)
        .annotate(resource_count=Count("resources"))
        .order_by("position", "name", "id")
    )


def tags_for_coach(coach: User) -> QuerySet[Tag]:
    return Tag.objects.filter(coach=coach).order_by("name", "id")


def collections_for_coach(coach: User) -> QuerySet[Collection]:
    """The coach's collections with how many resources and live shares each has."""
    now = timezone.now()
    return (
        Collection.objects.filter(coach=coach)
        .annotate(
            item_count=SubqueryCount(
                CollectionItem.objects.filter(collection_id=OuterRef("pk")), "resource_id"
            ),
            shared_count=SubqueryCount(
                Share.objects.filter(
                    Q(expires_at__isnull=True) | Q(expires_at__gt=now),
                    collection_id=OuterRef("pk"),
                ),
                "client_id",
            ),
        )
        .order_by("title", "id")
    )


def collection_items(collection: Collection) -> QuerySet[CollectionItem]:
    """The collection's items in order, each with its resource and category."""
    return (
        CollectionItem.objects.filter(collection=collection)
        .select_related("resource", "resource__category")
        .order_by("position", "id")
    )


def resources_not_in(coach: User, collection: Collection, *, q: str = "") -> QuerySet[Resource]:
    """The coach's resources that the collection does not hold yet (the "add" picker)."""
    queryset = (
        Resource.objects.filter(coach=coach)
        .exclude(collection_items__collection=collection)
        .only("pk", "title", "kind", "coach_id")
    )
    words = search_words(q)
    if words:
        queryset = search_resources(queryset, words)
    return queryset.order_by("title", "id")


def collections_of(resource: Resource) -> QuerySet[Collection]:
    return Collection.objects.filter(items__resource=resource, coach_id=resource.coach_id).order_by(
        "title", "id"
    )


def versions_of(resource: Resource) -> QuerySet[ResourceVersion]:
    return ResourceVersion.objects.filter(resource=resource, coach_id=resource.coach_id).order_by(
        "-version"
    )
