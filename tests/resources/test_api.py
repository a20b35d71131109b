"""The resources JSON API: roles, access, upload limits, sharing, progress, OpenAPI."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.utils import timezone

from loom.resources.models import (
    Category,
    Resource,
    ResourceKind,
    ResourceProgress,
    Share,
)
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share
from tests.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/resources/"


def post_json(client: Client, url: str, body: Any) -> Any:
    return client.post(url, data=json.dumps(body), content_type="application/json")


def patch_json(client: Client, url: str, body: Any) -> Any:
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def is_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    return dict(body)


def video(world: World, title: str = "Body scan") -> Resource:
    return make_resource(
        world.dana,
        kind=ResourceKind.VIDEO,
        title=title,
        content=media.webm_bytes(),
        file_kind="webm",
        content_type="video/webm",
    )


# --- List and detail ---------------------------------------------------------------------------


def test_coach_lists_own_library_with_filters(world: World) -> None:
    make_resource(world.dana, title="Breathing worksheet")
    make_resource(world.dana, kind=ResourceKind.LINK, title="Article")
    make_resource(world.eli, title="Eli's own")
    client = signed_in(world.dana)
    body = client.get(API).json()
    assert {item["title"] for item in body["items"]} == {"Breathing worksheet", "Article"}
    assert body["has_next"] is False
    links = client.get(API, {"kind": "link"}).json()["items"]
    assert [item["title"] for item in links] == ["Article"]
    assert links[0]["file_url"] is None and links[0]["shared_count"] == 0
    found = client.get(API, {"q": "breathing"}).json()["items"]
    assert [item["title"] for item in found] == ["Breathing worksheet"]
    paged = client.get(API, {"page_size": 1, "sort": "title"}).json()
    assert [item["title"] for item in paged["items"]] == ["Article"] and paged["has_next"]


def test_client_lists_only_what_is_shared(world: World) -> None:
    shared = make_resource(world.dana, title="Shared")
    make_resource(world.dana, title="Not shared")
    in_kit = make_resource(world.dana, title="In a kit")
    share(shared, world.avi, can_download=False)
    share(make_collection(world.dana, in_kit), world.avi)
    ResourceProgress.objects.create(
        coach=world.dana,
        client=world.avi,
        resource=shared,
        first_viewed_at=timezone.now(),
        last_viewed_at=timezone.now(),
        view_count=1,
    )
    items = {item["title"]: item for item in signed_in(world.avi).get(API).json()["items"]}
    assert set(items) == {"Shared", "In a kit"}
    assert items["Shared"]["can_download"] is False
    assert items["Shared"]["progress"]["first_viewed_at"] is not None
    assert items["Shared"]["shared_count"] is None
    assert items["In a kit"]["progress"] is None
    assert signed_in(world.maya).get(API).json()["items"] == []
    assert signed_in(world.admin).get(API).json()["items"] == []


def test_list_query_count_is_constant(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    def add(count: int) -> None:
        category = Category.objects.create(coach=world.dana, name=f"C{Category.objects.count()}")
        for index in range(count):
            resource = make_resource(world.dana, title=f"R{index}", category=category)
            share(resource, world.avi)

    add(3)
    clients = {who.pk: signed_in(who) for who in (world.dana, world.avi)}
    counts = {}
    for pk, client in clients.items():
        client.get(API)  # the session's first request records it
        with django_assert_max_num_queries(20) as captured:
            assert client.get(API, {"page_size": 100}).status_code == 200
        counts[pk] = len(captured)
    add(40)
    for pk, client in clients.items():
        with django_assert_max_num_queries(counts[pk]):
            body = client.get(API, {"page_size": 100}).json()
        assert len(body["items"]) == 43


def test_detail_access(world: World) -> None:
    resource = make_resource(world.dana, title="Worksheet")
    share(resource, world.avi)
    url = f"{API}{resource.pk}"
    assert signed_in(world.dana).get(url).json()["title"] == "Worksheet"
    assert signed_in(world.avi).get(url).json()["can_download"] is True
    for outsider in (world.eli, world.maya, world.noa, world.admin):
        is_problem(signed_in(outsider).get(url), 404)
    is_problem(Client().get(url), 401)
    assert signed_in(world.dana).get(f"{API}99999999999999999999").status_code == 404


def test_bad_list_input_is_422(world: World) -> None:
    client = signed_in(world.dana)
    for params in (
        {"page": 0},
        {"page": 10**6},
        {"page_size": 1000},
        {"kind": "exe"},
        {"sort": "random"},
        {"q": "x" * 1000},
        {"category": "abc"},
    ):
        is_problem(client.get(API, params), 422)


# --- Upload ------------------------------------------------------------------------------------


def test_upload_a_pdf(world: World) -> None:
    category = Category.objects.create(coach=world.dana, name="Worksheets")
    upload = SimpleUploadedFile("plan.pdf", media.pdf_bytes(), content_type="application/pdf")
    response = signed_in(world.dana).post(
        f"{API}files",
        {"file": upload, "tags": "sleep, calm", "category_id": category.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["title"] == "plan" and body["kind"] == "document"
    assert body["category"] == {"id": category.pk, "name": "Worksheets"}
    assert sorted(body["tags"]) == ["calm", "sleep"]
    assert body["file_url"] == f"/resources/{body['id']}/file/"


def test_upload_refusals(world: World) -> None:
    client = signed_in(world.dana)
    html = SimpleUploadedFile("cv.pdf", b"<html><script>alert(1)</script></html>")
    body = is_problem(client.post(f"{API}files", {"file": html}), 422)
    assert "file" in body["errors"]
    is_problem(client.post(f"{API}files", {}), 422)
    two = [
        SimpleUploadedFile("a.pdf", media.pdf_bytes()),
        SimpleUploadedFile("b.pdf", media.pdf_bytes()),
    ]
    is_problem(client.post(f"{API}files", {"file": two}), 400)
    pdf = SimpleUploadedFile("plan.pdf", media.pdf_bytes())
    is_problem(signed_in(world.avi).post(f"{API}files", {"file": pdf}), 403)
    assert not Resource.objects.exists()


def test_upload_one_byte_over_the_limit_is_413(world: World) -> None:
    data = media.pdf_bytes()
    client = signed_in(world.dana)
    with override_settings(LOOM_RESOURCE_MAX_DOCUMENT_BYTES=len(data) - 1):
        response = client.post(f"{API}files", {"file": SimpleUploadedFile("a.pdf", data)})
    body = is_problem(response, 413)
    assert "too large" in body["detail"]
    assert not Resource.objects.exists()
    with override_settings(LOOM_RESOURCE_MAX_DOCUMENT_BYTES=len(data)):
        response = client.post(f"{API}files", {"file": SimpleUploadedFile("a.pdf", data)})
    assert response.status_code == 201


def test_upload_needs_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dana)
    pdf = SimpleUploadedFile("plan.pdf", media.pdf_bytes())
    assert client.post(f"{API}files", {"file": pdf}).status_code == 403
    assert not Resource.objects.exists()


# --- Links, changes, deletion ------------------------------------------------------------------


def test_link_create_and_refusals(world: World) -> None:
    client = signed_in(world.dana)
    response = post_json(
        client, f"{API}links", {"url": "https://example.com/a", "title": "Read", "tags": ["x"]}
    )
    assert response.status_code == 201
    assert response.json()["url"] == "https://example.com/a"
    for body in (
        {"url": "javascript:alert(1)", "title": "Bad"},
        {"url": "https://example.com", "title": "x" * 201},
        {"url": "https://example.com", "title": "ok", "tags": ["y" * 41]},
        {"url": "https://example.com", "title": "ok", "category_id": 999999},
        {"title": "no url"},
    ):
        is_problem(post_json(client, f"{API}links", body), 422)
    is_problem(
        post_json(signed_in(world.avi), f"{API}links", {"url": "https://e.com", "title": "t"}), 403
    )
    assert Resource.objects.count() == 1


def test_patch_changes_only_what_is_sent(world: World) -> None:
    category = Category.objects.create(coach=world.dana, name="Sleep")
    resource = make_resource(world.dana, title="Old", category=category)
    url = f"{API}{resource.pk}"
    client = signed_in(world.dana)
    body = patch_json(client, url, {"title": "New", "tags": ["calm"]}).json()
    assert (body["title"], body["category"]["id"], body["tags"]) == ("New", category.pk, ["calm"])
    body = patch_json(client, url, {"category_id": None}).json()
    assert (body["title"], body["category"], body["tags"]) == ("New", None, ["calm"])
    is_problem(patch_json(client, url, {"title": ""}), 422)
    is_problem(patch_json(signed_in(world.eli), url, {"title": "Mine"}), 404)
    share(resource, world.avi)
    is_problem(patch_json(signed_in(world.avi), url, {"title": "Mine"}), 403)
    elis_category = Category.objects.create(coach=world.eli, name="Eli's")
    is_problem(patch_json(client, url, {"category_id": elis_category.pk}), 422)
    resource.refresh_from_db()
    assert resource.title == "New"


def test_delete(world: World) -> None:
    resource = make_resource(world.dana)
    url = f"{API}{resource.pk}"
    is_problem(signed_in(world.eli).delete(url), 404)
    assert signed_in(world.dana).delete(url).status_code == 204
    is_problem(signed_in(world.dana).get(url), 404)


# --- Sharing -----------------------------------------------------------------------------------


def test_share_list_and_unshare(world: World) -> None:
    resource = make_resource(world.dana, title="Worksheet")
    client = signed_in(world.dana)
    later = (timezone.now() + timedelta(days=3)).isoformat()
    response = post_json(
        client,
        f"{API}{resource.pk}/shares",
        {"client_ids": [world.avi.pk], "can_download": False, "expires_at": later},
    )
    assert response.status_code == 201, response.content
    [created] = response.json()
    assert created["client"]["full_name"] == "Avi Mizrahi" and created["can_download"] is False
    assert signed_in(world.avi).get(f"{API}{resource.pk}").status_code == 200

    kit = make_collection(world.dana, resource)
    share(kit, world.noa)
    listed = client.get(f"{API}{resource.pk}/shares").json()
    assert {(row["client"]["id"], row["collection_id"]) for row in listed} == {
        (world.avi.pk, None),
        (world.noa.pk, kit.pk),
    }
    is_problem(
        post_json(client, f"{API}{resource.pk}/shares", {"client_ids": [world.maya.pk]}), 400
    )
    is_problem(post_json(client, f"{API}{resource.pk}/shares", {"client_ids": []}), 400)
    past = (timezone.now() - timedelta(days=1)).isoformat()
    is_problem(
        post_json(
            client, f"{API}{resource.pk}/shares", {"client_ids": [world.avi.pk], "expires_at": past}
        ),
        400,
    )
    is_problem(signed_in(world.eli).get(f"{API}{resource.pk}/shares"), 404)
    is_problem(signed_in(world.eli).delete(f"{API}shares/{created['id']}"), 404)
    assert client.delete(f"{API}shares/{created['id']}").status_code == 204
    is_problem(signed_in(world.avi).get(f"{API}{resource.pk}"), 404)


def test_share_all_clients_and_collections(world: World) -> None:
    resource = make_resource(world.dana)
    kit = make_collection(world.dana, resource)
    client = signed_in(world.dana)
    response = post_json(client, f"{API}collections/{kit.pk}/shares", {"all_clients": True})
    assert response.status_code == 201
    assert {row["client"]["id"] for row in response.json()} == {world.avi.pk, world.noa.pk}
    assert Share.objects.filter(collection=kit).count() == 2
    listed = signed_in(world.avi).get(f"{API}collections/").json()
    assert [(row["id"], row["item_count"], row["auto_share"]) for row in listed] == [
        (kit.pk, 1, None)
    ]
    detail = signed_in(world.avi).get(f"{API}collections/{kit.pk}").json()
    assert [item["id"] for item in detail["items"]] == [resource.pk]
    coach_view = client.get(f"{API}collections/{kit.pk}").json()
    assert coach_view["shared_count"] == 2 and coach_view["auto_share"] is False
    is_problem(signed_in(world.maya).get(f"{API}collections/{kit.pk}"), 404)
    is_problem(
        post_json(signed_in(world.eli), f"{API}collections/{kit.pk}/shares", {"all_clients": True}),
        404,
    )


# --- Progress ----------------------------------------------------------------------------------


def test_progress_report_and_complete(world: World) -> None:
    clip = video(world)
    share(clip, world.avi)
    client = signed_in(world.avi)
    url = f"{API}{clip.pk}/progress"
    state = post_json(client, url, {"played": [[0, 50]], "position": 50, "duration": 100}).json()
    assert state == {"watched_percent": 50, "completed": False, "position": 50.0}
    state = post_json(client, url, {"played": [[40, 95]], "position": 95, "duration": 100}).json()
    assert state["watched_percent"] == 95 and state["completed"] is True
    assert client.get(url).json()["watched_percent"] == 95
    undone = post_json(client, f"{API}{clip.pk}/complete", {"complete": False}).json()
    assert undone["completed"] is False

    for bad in (
        {"played": [[50, 10]], "position": 0, "duration": 100},
        {"played": [[0, 1e9]], "position": 0, "duration": 100},
        {"played": [[0, 1]], "position": 0, "duration": 0},
    ):
        is_problem(post_json(client, url, bad), 400)
    is_problem(
        post_json(client, url, {"played": [[0, 1]] * 201, "position": 0, "duration": 9}), 422
    )
    is_problem(post_json(client, url, {"played": "x", "position": 0, "duration": 9}), 422)
    is_problem(
        post_json(signed_in(world.dana), url, {"played": [], "position": 0, "duration": 9}), 403
    )
    is_problem(
        post_json(signed_in(world.maya), url, {"played": [], "position": 0, "duration": 9}), 404
    )


def test_progress_of_a_resource_not_shared_is_404(world: World) -> None:
    clip = video(world)
    client = signed_in(world.avi)
    is_problem(client.get(f"{API}{clip.pk}/progress"), 404)
    is_problem(post_json(client, f"{API}{clip.pk}/complete", {"complete": True}), 404)
    assert not ResourceProgress.objects.exists()


def test_document_progress_is_marked_not_played(world: World) -> None:
    document = make_resource(world.dana)
    share(document, world.avi)
    client = signed_in(world.avi)
    is_problem(
        post_json(
            client,
            f"{API}{document.pk}/progress",
            {"played": [[0, 1]], "position": 1, "duration": 2},
        ),
        400,
    )
    assert post_json(client, f"{API}{document.pk}/complete", {}).json()["completed"] is True
    progress = client.get(f"{API}{document.pk}/progress").json()
    assert progress["completed_at"] is not None and progress["watched_percent"] is None


# --- Analytics ---------------------------------------------------------------------------------


def test_analytics(world: World) -> None:
    resource = make_resource(world.dana, title="Worksheet")
    share(resource, world.avi)
    ResourceProgress.objects.create(
        coach=world.dana, client=world.avi, resource=resource, completed_at=timezone.now()
    )
    body = signed_in(world.dana).get(f"{API}analytics", {"period": "7"}).json()
    assert body["period"] == "7" and body["timezone"] == "America/New_York"
    assert body["totals"]["completions"] == 1
    [row] = body["resources"]
    assert (row["shared_with"], row["completed"], row["completion_rate"]) == (1, 1, 1.0)
    is_problem(signed_in(world.avi).get(f"{API}analytics"), 403)
    is_problem(signed_in(world.dana).get(f"{API}analytics", {"period": "365"}), 422)


def test_openapi_documents_every_operation(world: World) -> None:
    document = signed_in(world.dana).get("/api/v1/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        if path.startswith("/api/v1/resources/")
        for method, operation in methods.items()
    ]
    assert len(operations) == 16
    for path, method, operation in operations:
        where = f"{method.upper()} {path}"
        assert operation.get("summary"), where
        assert operation.get("description"), where
        assert any(code.startswith("4") for code in operation["responses"]), where


def test_analytics_query_count_is_constant(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world.dana)
    client.get(f"{API}analytics")

    def add(count: int) -> None:
        for index in range(count):
            resource = make_resource(world.dana, title=f"R{index}")
            share(resource, world.avi)
            ResourceProgress.objects.create(
                coach=world.dana, client=world.avi, resource=resource, completed_at=timezone.now()
            )

    add(2)
    with django_assert_max_num_queries(30) as captured:
        assert client.get(f"{API}analytics").status_code == 200
    add(25)
    with django_assert_max_num_queries(len(captured)):
        body = client.get(f"{API}analytics").json()
    assert len(body["resources"]) == 27
    assert {row["completion_rate"] for row in body["resources"]} == {1.0}
