"""Library search, filters and sorts (loom/resources/library_selectors.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from loom.resources.library_selectors import (
    library_for_coach,
    search_resources,
    search_words,
    tsquery_text,
)
from loom.resources.library_services import link_create, refresh_search_text, resource_update
from loom.resources.models import Category, Resource, ResourceKind
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db


def titles(queryset) -> list[str]:
    return [resource.title for resource in queryset]


def test_search_text_holds_title_description_tags_and_category(world):
    category = Category.objects.create(coach=world.dana, name="Calm Practices")
    resource = link_create(
        coach=world.dana,
        url="https://example.com/a",
        title="Box BREATHING",
        description="Four  counts",
        category=category.pk,
        tags=["Evening", "נשימה"],
    )
    resource.refresh_from_db()
    assert resource.search_text == "box breathing four counts evening נשימה calm practices"


def test_search_matches_title_description_tags_and_category_words(world):
    calm = Category.objects.create(coach=world.dana, name="Calm")
    link_create(
        coach=world.dana, url="https://example.com/1", title="Box breathing", tags=["sleep"]
    )
    link_create(
        coach=world.dana, url="https://example.com/2", title="Walk", description="Morning walk"
    )
    link_create(coach=world.dana, url="https://example.com/3", title="Body scan", category=calm.pk)
    assert titles(library_for_coach(world.dana, q="breathing")) == ["Box breathing"]
    assert titles(library_for_coach(world.dana, q="SLEEP")) == ["Box breathing"]
    assert titles(library_for_coach(world.dana, q="morning")) == ["Walk"]
    assert titles(library_for_coach(world.dana, q="calm")) == ["Body scan"]
    # Every word must match.
    assert titles(library_for_coach(world.dana, q="box walk")) == []


def test_the_last_word_matches_as_a_prefix(world):
    link_create(coach=world.dana, url="https://example.com/1", title="Box breathing")
    assert titles(library_for_coach(world.dana, q="box breat")) == ["Box breathing"]


def test_hebrew_words_match(world):
    link_create(coach=world.dana, url="https://example.com/1", title="תרגיל נשימה לערב")
    link_create(coach=world.dana, url="https://example.com/2", title="Walk")
    assert titles(library_for_coach(world.dana, q="נשימה")) == ["תרגיל נשימה לערב"]
    assert titles(library_for_coach(world.dana, q="תרג")) == ["תרגיל נשימה לערב"]


def test_search_never_reaches_another_coachs_library(world):
    link_create(coach=world.eli, url="https://example.com/1", title="Breathing")
    assert titles(library_for_coach(world.dana, q="breathing")) == []


def test_operators_and_quotes_in_a_search_are_plain_text(world):
    link_create(coach=world.dana, url="https://example.com/1", title="Breathing")
    for hostile in ["'", "breathing & !", "breathing:* | x", "(((", "\\", "' OR 1=1 --", "<b>"]:
        list(library_for_coach(world.dana, q=hostile))
    assert titles(library_for_coach(world.dana, q="!breathing!")) == ["Breathing"]
    assert search_words("  ") == []
    assert tsquery_text(["a", "b"]) == "'a' & 'b':*"


def test_renaming_a_category_or_changing_tags_updates_the_search(world):
    from loom.resources.library_services import category_rename

    category = Category.objects.create(coach=world.dana, name="Old")
    resource = link_create(
        coach=world.dana, url="https://example.com/1", title="Thing", category=category.pk
    )
    category_rename(coach=world.dana, category_id=category.pk, name="Gratitude")
    assert titles(library_for_coach(world.dana, q="gratitude")) == ["Thing"]
    resource_update(
        coach=world.dana,
        resource_id=resource.pk,
        title="Thing",
        description="",
        category_id=None,
        tags=["journaling"],
    )
    assert titles(library_for_coach(world.dana, q="gratitude")) == []
    assert titles(library_for_coach(world.dana, q="journal")) == ["Thing"]


def test_refresh_search_text_for_an_uploaded_file(world):
    resource = make_resource(world.dana, title="Values Worksheet", description="")
    Resource.objects.filter(pk=resource.pk).update(search_text="")
    resource.refresh_from_db()
    assert refresh_search_text(resource) == "values worksheet"
    assert titles(library_for_coach(world.dana, q="worksheet")) == ["Values Worksheet"]


def test_filters_by_kind_category_tag_and_collection(world):
    calm = Category.objects.create(coach=world.dana, name="Calm")
    link = link_create(
        coach=world.dana, url="https://example.com/1", title="Link", category=calm.pk, tags=["x"]
    )
    pdf = make_resource(world.dana, title="Pdf")
    make_collection(world.dana, pdf, title="Kit")
    collection = pdf.collections.get()
    tag = link.tags.get()
    assert titles(library_for_coach(world.dana, kind=ResourceKind.LINK)) == ["Link"]
    assert titles(library_for_coach(world.dana, category=calm.pk)) == ["Link"]
    assert titles(library_for_coach(world.dana, tag=tag.pk)) == ["Link"]
    assert titles(library_for_coach(world.dana, collection=collection.pk)) == ["Pdf"]
    # Someone else's ids match nothing.
    assert titles(library_for_coach(world.eli, collection=collection.pk)) == []
    assert titles(library_for_coach(world.eli, tag=tag.pk)) == []


def test_sorts_and_annotations(world):
    now = timezone.now()
    first = make_resource(world.dana, title="Beta")
    second = make_resource(world.dana, title="alpha")
    third = make_resource(world.dana, title="Gamma")
    for offset, resource in enumerate((first, second, third)):
        Resource.objects.filter(pk=resource.pk).update(created_at=now + timedelta(minutes=offset))
    share(third, world.avi)
    share(third, world.noa, expires_at=now - timedelta(days=1))  # expired: not counted
    share(make_collection(world.dana, second, third), world.noa)
    assert titles(library_for_coach(world.dana)) == ["Gamma", "alpha", "Beta"]
    assert titles(library_for_coach(world.dana, sort="oldest")) == ["Beta", "alpha", "Gamma"]
    assert titles(library_for_coach(world.dana, sort="shared")) == ["Gamma", "alpha", "Beta"]
    rows = {r.title: r for r in library_for_coach(world.dana)}
    assert rows["Gamma"].shared_count == 2
    assert rows["alpha"].shared_count == 1
    assert rows["Beta"].shared_count == 0
    assert rows["Gamma"].collection_count == 1
    by_title = titles(library_for_coach(world.dana, sort="title"))
    assert sorted(by_title, key=str.lower) == sorted(["alpha", "Beta", "Gamma"], key=str.lower)
    assert titles(library_for_coach(world.dana, sort="title_desc")) == list(reversed(by_title))


@pytest.mark.postgres
def test_relevance_ranks_better_matches_first(world):
    link_create(
        coach=world.dana, url="https://example.com/1", title="Walk", description="breathing"
    )
    link_create(
        coach=world.dana,
        url="https://example.com/2",
        title="Breathing breathing",
        description="breathing",
    )
    assert titles(library_for_coach(world.dana, q="breathing", sort="relevance"))[0] == (
        "Breathing breathing"
    )


@pytest.mark.postgres
def test_postgres_search_can_use_the_gin_index(world):
    """The search expression is the index's expression: with sequential scans off the
    planner answers the bare search from the GIN index (in the library list it may
    prefer the coach index when that is more selective)."""
    link_create(coach=world.dana, url="https://example.com/1", title="Breathing")
    queryset = search_resources(Resource.objects.all(), search_words("breat"))
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        plan = queryset.explain()
    assert "resource_search" in plan, plan
    assert [r.title for r in queryset] == ["Breathing"]


def test_malformed_filter_ids_match_nothing(world):
    make_resource(world.dana, title="Mine")
    for bad in (2**70, -1, "abc", None.__class__):
        assert titles(library_for_coach(world.dana, category=bad)) == []
        assert titles(library_for_coach(world.dana, tag=bad)) == []
        assert titles(library_for_coach(world.dana, collection=bad)) == []
