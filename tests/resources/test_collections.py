"""Collections: services and pages (collection_services.py, views_library.py)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.core.errors import NotFound
from loom.resources.collection_services import (
    collection_add,
    collection_create,
    collection_move,
    collection_remove,
)
from loom.resources.models import Collection, CollectionItem, Resource
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db


def order(collection: Collection) -> list[str]:
    return [
        item.resource.title
        for item in CollectionItem.objects.filter(collection=collection).select_related("resource")
    ]


def positions(collection: Collection) -> list[int]:
    return list(
        CollectionItem.objects.filter(collection=collection).values_list("position", flat=True)
    )


def test_add_move_and_remove_keep_positions_dense(world):
    a, b, c, d = (make_resource(world.dana, title=t) for t in "ABCD")
    collection = collection_create(coach=world.dana, title="Kit")
    assert (
        collection_add(coach=world.dana, collection_id=collection.pk, resource_ids=[a.pk, b.pk])
        == 2
    )
    assert (
        collection_add(
            coach=world.dana, collection_id=collection.pk, resource_ids=[str(b.pk), c.pk, d.pk]
        )
        == 2
    )
    assert order(collection) == ["A", "B", "C", "D"]
    collection_move(coach=world.dana, collection_id=collection.pk, resource_id=c.pk, direction="up")
    assert order(collection) == ["A", "C", "B", "D"]
    collection_move(coach=world.dana, collection_id=collection.pk, resource_id=a.pk, direction="up")
    assert order(collection) == ["A", "C", "B", "D"]
    collection_move(coach=world.dana, collection_id=collection.pk, resource_id=a.pk, position=99)
    assert order(collection) == ["C", "B", "D", "A"]
    collection_remove(coach=world.dana, collection_id=collection.pk, resource_id=b.pk)
    assert order(collection) == ["C", "D", "A"]
    assert positions(collection) == [0, 1, 2]
    assert Resource.objects.filter(pk=b.pk).exists()


def test_foreign_ids_are_not_found_and_add_nothing(world):
    mine = make_resource(world.dana, title="Mine")
    theirs = make_resource(world.eli, title="Theirs")
    collection = collection_create(coach=world.dana, title="Kit")
    with pytest.raises(NotFound):
        collection_add(
            coach=world.dana, collection_id=collection.pk, resource_ids=[mine.pk, theirs.pk]
        )
    with pytest.raises(NotFound):
        collection_add(coach=world.dana, collection_id=collection.pk, resource_ids=["x"])
    with pytest.raises(NotFound):
        collection_add(coach=world.eli, collection_id=collection.pk, resource_ids=[theirs.pk])
    with pytest.raises(NotFound):
        collection_remove(coach=world.dana, collection_id=collection.pk, resource_id=mine.pk)
    assert order(collection) == []


def test_the_collection_pages(world):
    a = make_resource(world.dana, title="Alpha")
    b = make_resource(world.dana, title="Beta")
    make_resource(world.dana, title="Gamma")
    client = signed_in(world.dana)
    response = client.post(
        reverse("resources_library:collection_new"), {"title": "Starter kit", "description": "Hi"}
    )
    collection = Collection.objects.get(coach=world.dana)
    assert response["Location"] == reverse(
        "resources_library:collection_detail", args=[collection.pk]
    )
    add = reverse("resources_library:collection_add", args=[collection.pk])
    assert client.post(add, {"resources": [b.pk, a.pk]}).status_code == 302
    assert order(collection) == ["Beta", "Alpha"]
    detail = client.get(reverse("resources_library:collection_detail", args=[collection.pk]))
    body = detail.content.decode()
    assert detail.status_code == 200
    # The picker offers only what is not in the collection yet.
    assert f'id="pick-{a.pk}"' not in body
    assert "Gamma" in body
    searched = client.get(
        reverse("resources_library:collection_detail", args=[collection.pk]) + "?q=zzz"
    ).content.decode()
    assert "No resource outside this collection matches" in searched
    move = reverse("resources_library:collection_move", args=[collection.pk, a.pk])
    assert client.post(move, {"direction": "up"}).status_code == 302
    assert order(collection) == ["Alpha", "Beta"]
    assert client.post(move, {"direction": "sideways"}).status_code == 302
    assert order(collection) == ["Alpha", "Beta"]
    remove = reverse("resources_library:collection_remove", args=[collection.pk, a.pk])
    assert client.post(remove).status_code == 302
    assert order(collection) == ["Beta"]
    assert client.post(remove).status_code == 404
    listing = client.get(reverse("resources_library:collections")).content.decode()
    assert "Starter kit" in listing and "1 resource" in listing


def test_adding_a_foreign_resource_through_the_page_is_a_404(world):
    theirs = make_resource(world.eli)
    collection = make_collection(world.dana)
    client = signed_in(world.dana)
    response = client.post(
        reverse("resources_library:collection_add", args=[collection.pk]),
        {"resources": [theirs.pk]},
    )
    assert response.status_code == 404
    assert not collection.items.exists()


def test_another_coachs_collection_is_a_404(world):
    collection = make_collection(world.eli, make_resource(world.eli))
    client = signed_in(world.dana)
    for name in ("collection_detail", "collection_edit", "collection_delete"):
        assert (
            client.get(reverse(f"resources_library:{name}", args=[collection.pk])).status_code
            == 404
        )
    assert (
        client.post(
            reverse("resources_library:collection_delete", args=[collection.pk])
        ).status_code
        == 404
    )
    assert Collection.objects.filter(pk=collection.pk).exists()


def test_collection_form_refuses_bad_input(world):
    client = signed_in(world.dana)
    url = reverse("resources_library:collection_new")
    assert client.post(url, {"title": ""}).status_code == 400
    assert client.post(url, {"title": "x" * 201}).status_code == 400
    assert not Collection.objects.exists()
    client.post(url, {"title": "<img src=x onerror=alert(1)>"})
    body = client.get(reverse("resources_library:collections")).content.decode()
    assert "<img src=x onerror" not in body


def test_editing_a_collection_sets_and_removes_the_cover(world):
    collection = make_collection(world.dana, title="Kit")
    client = signed_in(world.dana)
    url = reverse("resources_library:collection_edit", args=[collection.pk])
    cover = SimpleUploadedFile("cover.png", media.png_bytes(), content_type="image/png")
    response = client.post(url, {"title": "Kit 2", "description": "", "cover": cover})
    assert response.status_code == 302, response.content.decode()[:2000]
    collection.refresh_from_db()
    assert collection.title == "Kit 2"
    assert collection.cover and collection.cover_content_type == "image/png"
    response = client.post(url, {"title": "Kit 2", "description": "", "remove_cover": "on"})
    assert response.status_code == 302
    collection.refresh_from_db()
    assert not collection.cover


def test_a_refused_cover_leaves_the_collection_unchanged(world):
    collection = make_collection(world.dana, title="Kit")
    client = signed_in(world.dana)
    fake = SimpleUploadedFile(
        "cover.png", b"<html><script>x</script></html>", content_type="image/png"
    )
    response = client.post(
        reverse("resources_library:collection_edit", args=[collection.pk]),
        {"title": "Changed", "description": "", "cover": fake},
    )
    assert response.status_code == 400
    collection.refresh_from_db()
    assert collection.title == "Kit"
    assert not collection.cover


def test_deleting_a_collection_keeps_its_resources(world):
    resource = make_resource(world.dana)
    collection = make_collection(world.dana, resource)
    share(collection, world.avi)
    client = signed_in(world.dana)
    url = reverse("resources_library:collection_delete", args=[collection.pk])
    assert "shared with 1 client" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert not Collection.objects.filter(pk=collection.pk).exists()
    assert Resource.objects.filter(pk=resource.pk).exists()


def test_collection_pages_query_counts_are_constant(world):
    """The collections list and a collection's page: the same queries for 5 and 40
    resources (and for 1 and 8 collections)."""
    client = signed_in(world.dana)
    counts: dict[str, list[int]] = {"list": [], "detail": []}
    collection = make_collection(world.dana, title="Main")
    share(collection, world.avi)
    made = 0
    for count in (5, 40):
        resources = [
            make_resource(world.dana, kind="link", title=f"R{n}") for n in range(made, count)
        ]
        made = count
        collection_add(
            coach=world.dana,
            collection_id=collection.pk,
            resource_ids=[r.pk for r in resources[: len(resources) // 2]],
        )
        for n in range(len(resources) // 5):
            make_collection(world.dana, resources[n], title=f"C{count}-{n}")
        for name, url in (
            ("list", reverse("resources_library:collections")),
            ("detail", reverse("resources_library:collection_detail", args=[collection.pk])),
        ):
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts[name].append(len(queries))
    assert counts["list"][0] == counts["list"][1], counts
    assert counts["detail"][0] == counts["detail"][1], counts
