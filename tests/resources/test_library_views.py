"""The coach's library pages (loom/resources/views_library.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.resources.library_services import link_create
from loom.resources.models import Category, Collection, Resource, ResourceTag, Tag
from tests.conftest import signed_in
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db

LIBRARY = reverse("resources_library:library")


def _many(world, start: int, count: int) -> None:
    calm, _ = Category.objects.get_or_create(coach=world.dana, name="Calm")
    collection, _ = Collection.objects.get_or_create(coach=world.dana, title="Kit")
    for number in range(start, start + count):
        resource = link_create(
            coach=world.dana,
            url=f"https://example.com/{number}",
            title=f"Item {number}",
            category=calm.pk,
            tags=["sleep", f"t{number % 3}"],
        )
        collection.items.create(coach=world.dana, resource=resource, position=number)
        share(resource, world.avi)


def test_the_library_lists_the_coachs_resources_only(world):
    make_resource(world.dana, title="Dana’s worksheet")
    make_resource(world.eli, title="Eli’s worksheet")
    response = signed_in(world.dana).get(LIBRARY)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Dana’s worksheet" in body
    assert "Eli’s worksheet" not in body
    assert 'dir="auto"' in body


def test_clients_and_admins_go_home(world):
    assert signed_in(world.avi).get(LIBRARY).status_code == 302
    assert signed_in(world.admin).get(LIBRARY).status_code == 302


def test_the_empty_library_says_how_to_start(world):
    body = signed_in(world.dana).get(LIBRARY).content.decode()
    assert "Your library is empty" in body


@pytest.mark.parametrize("query", ["", "?q=item&sort=shared", "?sort=title&kind=link"])
def test_the_library_page_query_count_is_constant(world, query):
    """The same number of queries for 5 and for 50 resources on the page."""
    client = signed_in(world.dana)
    counts = []
    for start, count in ((0, 5), (5, 45)):
        _many(world, start, count)
        client.get(LIBRARY)  # warm the session and the notification count cache
        with CaptureQueriesContext(connection) as queries:
            response = client.get(LIBRARY + query)
        assert response.status_code == 200
        assert response.content.decode().count('class="card library-card"') == start + count
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 16, counts


def test_the_list_shows_filters_and_counts(world):
    calm = Category.objects.create(coach=world.dana, name="Calm")
    resource = link_create(
        coach=world.dana,
        url="https://example.com/x",
        title="Breathing",
        category=calm.pk,
        tags=["sleep"],
    )
    share(resource, world.avi)
    share(resource, world.noa)
    link_create(coach=world.dana, url="https://example.com/y", title="Walk")
    client = signed_in(world.dana)
    body = client.get(LIBRARY + f"?category={calm.pk}").content.decode()
    assert "Breathing" in body and "Walk" not in body
    assert "2 clients" in body
    tag = Tag.objects.get(coach=world.dana, name="sleep")
    body = client.get(LIBRARY + f"?tag={tag.pk}&kind=link&sort=title").content.decode()
    assert "Breathing" in body and "Walk" not in body


def test_a_foreign_or_malformed_filter_is_an_error_not_a_crash(world):
    other = Category.objects.create(coach=world.eli, name="Eli’s")
    make_resource(world.dana, title="Mine")
    client = signed_in(world.dana)
    for query in (
        f"?category={other.pk}",
        "?category=abc",
        "?tag=99999999999999999999",
        "?collection=-1",
        "?sort=evil",
        "?kind=exe",
        "?q=" + "x" * 500,
        "?page=zzz",
    ):
        response = client.get(LIBRARY + query)
        assert response.status_code == 200, query
        assert "Mine" in response.content.decode(), query


def test_hostile_titles_are_escaped(world):
    link_create(coach=world.dana, url="https://example.com/x", title="<script>alert(1)</script>")
    body = signed_in(world.dana).get(LIBRARY).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body


def test_pagination_is_fifty_per_page(world):
    for number in range(51):
        Resource.objects.create(
            coach=world.dana, kind="link", url="https://example.com/", title=f"R{number}"
        )
    client = signed_in(world.dana)
    first = client.get(LIBRARY).content.decode()
    assert first.count('class="card library-card"') == 50
    second = client.get(LIBRARY + "?page=2").content.decode()
    assert second.count('class="card library-card"') == 1


# --- Links ---------------------------------------------------------------------------------


def test_a_coach_adds_a_link(world):
    calm = Category.objects.create(coach=world.dana, name="Calm")
    response = signed_in(world.dana).post(
        reverse("resources_library:link_new"),
        {
            "url": "https://example.com/article",
            "title": "  Good   article ",
            "description": "Read this",
            "category": str(calm.pk),
            "tags": "reading, Reading , evening",
        },
    )
    resource = Resource.objects.get(coach=world.dana)
    assert response.status_code == 302
    assert response["Location"] == reverse("resources_library:detail", args=[resource.pk])
    assert resource.title == "Good article"
    assert resource.kind == "link"
    assert sorted(t.name for t in resource.tags.all()) == ["evening", "reading"]
    assert ResourceTag.objects.filter(resource=resource, coach=world.dana).count() == 2


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,<b>x</b>",
        "ftp://example.com/file",
        "https://user:secret@example.com/",
        "https://exa mple.com/",
        "https://example.com/\x00",
        "//example.com/",
        "https://" + "a" * 2000 + ".com",
        "",
    ],
)
def test_unsafe_link_addresses_are_refused(world, url):
    response = signed_in(world.dana).post(
        reverse("resources_library:link_new"), {"url": url, "title": "Bad"}
    )
    assert response.status_code == 400
    assert not Resource.objects.exists()


def test_link_form_refuses_overlong_fields_and_foreign_categories(world):
    foreign = Category.objects.create(coach=world.eli, name="Eli")
    client = signed_in(world.dana)
    url = reverse("resources_library:link_new")
    for data in (
        {"url": "https://example.com", "title": "x" * 201},
        {"url": "https://example.com", "title": "ok", "description": "d" * 4001},
        {"url": "https://example.com", "title": "ok", "category": str(foreign.pk)},
        {"url": "https://example.com", "title": "ok", "tags": "x" * 41},
        {"url": "https://example.com", "title": "ok", "tags": ",".join(f"t{n}" for n in range(13))},
    ):
        response = client.post(url, data)
        assert response.status_code == 400, data
    assert not Resource.objects.exists()


# --- Detail, edit, delete ------------------------------------------------------------------


def test_the_detail_page_shows_metadata_collections_and_versions(world):
    resource = make_resource(world.dana, title="Values worksheet")
    make_collection(world.dana, resource, title="Starter kit")
    resource.versions.create(
        coach=world.dana,
        version=1,
        file="resources/x/old",
        file_kind="pdf",
        content_type="application/pdf",
        size_bytes=10,
        original_name="old-values.pdf",
    )
    response = signed_in(world.dana).get(reverse("resources_library:detail", args=[resource.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Starter kit" in body
    assert "old-values.pdf" in body
    assert reverse("resources_files:version_file", args=[resource.pk, 1]) in body
    assert reverse("resources_library:edit", args=[resource.pk]) in body


def test_another_coachs_resource_is_a_404_everywhere(world):
    resource = make_resource(world.eli)
    client = signed_in(world.dana)
    for name in ("detail", "edit", "delete"):
        assert (
            client.get(reverse(f"resources_library:{name}", args=[resource.pk])).status_code == 404
        )
    assert client.post(reverse("resources_library:delete", args=[resource.pk])).status_code == 404
    assert Resource.objects.filter(pk=resource.pk).exists()


def test_a_coach_edits_a_resource(world):
    resource = make_resource(world.dana, title="Old")
    response = signed_in(world.dana).post(
        reverse("resources_library:edit", args=[resource.pk]),
        {"title": "New", "description": "Fresh", "category": "", "tags": "a, b"},
    )
    assert response.status_code == 302
    resource.refresh_from_db()
    assert resource.title == "New"
    assert resource.search_text == "new fresh a b"


def test_editing_with_bad_input_changes_nothing(world):
    resource = make_resource(world.dana, title="Old")
    response = signed_in(world.dana).post(
        reverse("resources_library:edit", args=[resource.pk]),
        {"title": "", "description": "x", "tags": "a"},
    )
    assert response.status_code == 400
    resource.refresh_from_db()
    assert resource.title == "Old"
    assert not resource.tags.exists()


def test_deleting_a_resource_removes_its_file_after_commit(
    world, django_capture_on_commit_callbacks
):
    resource = make_resource(world.dana, title="Doomed")
    share(resource, world.avi)
    storage, name = resource.file.storage, resource.file.name
    client = signed_in(world.dana)
    confirm = client.get(reverse("resources_library:delete", args=[resource.pk]))
    assert "1 share" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("resources_library:delete", args=[resource.pk]))
    assert response.status_code == 302
    assert not Resource.objects.filter(pk=resource.pk).exists()
    assert not storage.exists(name)


# --- Categories ----------------------------------------------------------------------------


def test_categories_are_created_renamed_moved_and_deleted(world):
    client = signed_in(world.dana)
    url = reverse("resources_library:categories")
    assert client.post(url, {"new-name": "Worksheets"}).status_code == 302
    assert client.post(url, {"new-name": "Meditations"}).status_code == 302
    duplicate = client.post(url, {"new-name": "  WORKSHEETS "})
    assert duplicate.status_code == 400
    assert "already have a category" in duplicate.content.decode()
    sheets, meditations = Category.objects.filter(coach=world.dana).order_by("position")
    assert (
        client.post(
            reverse("resources_library:category_move", args=[meditations.pk]), {"direction": "up"}
        ).status_code
        == 302
    )
    assert list(
        Category.objects.filter(coach=world.dana)
        .order_by("position")
        .values_list("name", flat=True)
    ) == ["Meditations", "Worksheets"]
    rename = reverse("resources_library:category_rename", args=[sheets.pk])
    assert client.post(rename, {"name": "meditations"}).status_code == 400
    assert client.post(rename, {"name": "Handouts"}).status_code == 302
    resource = link_create(
        coach=world.dana, url="https://example.com", title="T", category=sheets.pk
    )
    delete = reverse("resources_library:category_delete", args=[sheets.pk])
    assert "stays in your library" in client.get(delete).content.decode()
    assert client.post(delete).status_code == 302
    resource.refresh_from_db()
    assert resource.category is None
    assert resource.search_text == "t"


def test_another_coachs_category_is_a_404(world):
    foreign = Category.objects.create(coach=world.eli, name="Eli")
    client = signed_in(world.dana)
    for name in ("category_rename", "category_delete", "category_move"):
        url = reverse(f"resources_library:{name}", args=[foreign.pk])
        assert client.post(url, {"name": "x", "direction": "up"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.name == "Eli"


def test_categories_page_query_count_is_constant(world, django_assert_max_num_queries):
    for number in range(30):
        Category.objects.create(coach=world.dana, name=f"C{number}", position=number)
    client = signed_in(world.dana)
    client.get(reverse("resources_library:categories"))
    with django_assert_max_num_queries(10):
        assert client.get(reverse("resources_library:categories")).status_code == 200


def test_the_detail_page_shows_shares_expiry_aware(world):
    resource = make_resource(world.dana, title="Shared one")
    share(resource, world.avi, expires_at=timezone.now() + timedelta(days=3))
    body = (
        signed_in(world.dana)
        .get(reverse("resources_library:detail", args=[resource.pk]))
        .content.decode()
    )
    assert "Avi" in body
