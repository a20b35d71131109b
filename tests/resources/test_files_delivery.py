"""Delivering stored files: access, byte ranges, headers (loom/core/media.py, views_files)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory
from django.urls import reverse

from loom.core.media import (
    ByteRange,
    Unsatisfiable,
    content_disposition,
    parse_range,
    ranged_file_response,
)
from loom.resources.models import ResourceKind, ResourceVersion
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def storage(settings: Any, tmp_path: Path) -> Path:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def video(coach: Any, data: bytes | None = None, **fields: Any) -> Any:
    return make_resource(
        coach,
        kind=ResourceKind.VIDEO,
        title="Breathing",
        content=data if data is not None else media.webm_bytes(min_bytes=300_000),
        file_kind="webm",
        content_type="video/webm",
        original_name="Breathing.webm",
        **fields,
    )


# --- Range parsing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=100-", ByteRange(100, 999)),
        ("bytes=-100", ByteRange(900, 999)),
        ("bytes=-5000", ByteRange(0, 999)),
        ("bytes=990-5000", ByteRange(990, 999)),
        ("bytes=0-0", ByteRange(0, 0)),
        ("", None),
        ("bytes=0-1,5-6", None),
        ("items=0-5", None),
        ("bytes=5-1", None),
        ("bytes=abc", None),
        ("bytes=-", None),
    ],
)
def test_ranges_are_parsed(header: str, expected: ByteRange | None) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_ranges_past_the_end_are_unsatisfiable(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 1000)


def test_content_disposition_has_an_ascii_fallback_and_the_utf8_name() -> None:
    value = content_disposition('דף "עבודה" ‮.pdf', attachment=True)
    assert value.startswith('attachment; filename="')
    assert "filename*=UTF-8''%D7%93%D7%A3" in value
    fallback = value.split('filename="')[1].split('"')[0]
    assert fallback.isascii() and '"' not in fallback and fallback.endswith(".pdf")
    assert content_disposition("Plan.pdf", attachment=False) == (
        "inline; filename=\"Plan.pdf\"; filename*=UTF-8''Plan.pdf"
    )


# --- The file view ---------------------------------------------------------------------------


def test_the_coach_gets_the_whole_file_with_safe_headers(world: Any) -> None:
    data = media.webm_bytes()
    resource = video(world.dana, data)
    response = signed_in(world.dana).get(reverse("resources_files:file", args=[resource.pk]))
    assert response.status_code == 200
    assert body(response) == data
    assert response["Content-Type"] == "video/webm"
    assert response["Content-Length"] == str(len(data))
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response["Cache-Control"] == "private, max-age=300"
    assert "Cookie" in response["Vary"]
    assert response["Content-Disposition"].startswith('inline; filename="Breathing.webm"')
    assert response["ETag"].startswith('"')


def test_a_range_is_served_as_206(world: Any) -> None:
    resource = video(world.dana)
    data = resource.file.open("rb").read()
    resource.file.close()
    client = signed_in(world.dana)
    url = reverse("resources_files:file", args=[resource.pk])
    response = client.get(url, headers={"range": "bytes=100000-200000"})
    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes 100000-200000/{len(data)}"
    assert response["Content-Length"] == "100001"
    assert body(response) == data[100000:200001]
    tail = client.get(url, headers={"range": "bytes=-10"})
    assert tail.status_code == 206 and body(tail) == data[-10:]


def test_an_unsatisfiable_range_is_416(world: Any) -> None:
    resource = video(world.dana)
    response = signed_in(world.dana).get(
        reverse("resources_files:file", args=[resource.pk]),
        headers={"range": f"bytes={resource.size_bytes}-"},
    )
    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{resource.size_bytes}"


def test_several_ranges_get_the_whole_file(world: Any) -> None:
    resource = video(world.dana)
    response = signed_in(world.dana).get(
        reverse("resources_files:file", args=[resource.pk]), headers={"range": "bytes=0-1,5-9"}
    )
    assert response.status_code == 200
    assert len(body(response)) == resource.size_bytes


def test_if_range_with_another_etag_sends_the_whole_file(world: Any) -> None:
    resource = video(world.dana)
    client = signed_in(world.dana)
    url = reverse("resources_files:file", args=[resource.pk])
    etag = client.get(url)["ETag"]
    same = client.get(url, headers={"range": "bytes=0-9", "if-range": etag})
    assert same.status_code == 206 and len(body(same)) == 10
    changed = client.get(url, headers={"range": "bytes=0-9", "if-range": '"something-else"'})
    assert changed.status_code == 200 and len(body(changed)) == resource.size_bytes
    cached = client.get(url, headers={"if-none-match": etag})
    assert cached.status_code == 304


def test_a_head_request_has_the_headers_and_no_body(world: Any) -> None:
    resource = video(world.dana)
    response = signed_in(world.dana).head(reverse("resources_files:file", args=[resource.pk]))
    assert response.status_code == 200
    assert response["Content-Length"] == str(resource.size_bytes)
    assert response.content == b""


def test_pdfs_get_no_sandbox_so_the_browser_viewer_works(world: Any) -> None:
    resource = make_resource(world.dana)
    response = signed_in(world.dana).get(reverse("resources_files:file", args=[resource.pk]))
    assert response.status_code == 200
    assert "Content-Security-Policy" not in response
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_client_with_a_share_gets_the_file_and_others_get_404(world: Any) -> None:
    resource = video(world.dana)
    share(resource, world.avi)
    url = reverse("resources_files:file", args=[resource.pk])
    assert signed_in(world.avi).get(url).status_code == 200
    for stranger in (world.noa, world.eli, world.maya, world.admin):
        assert signed_in(stranger).get(url).status_code == 404
    assert signed_in(world.dana).get("/resources/99999999/file/").status_code == 404


def test_a_view_only_share_may_play_but_not_download(world: Any) -> None:
    resource = video(world.dana)
    share(resource, world.avi, can_download=False)
    client = signed_in(world.avi)
    url = reverse("resources_files:file", args=[resource.pk])
    assert client.get(url).status_code == 200
    refused = client.get(url + "?download=1")
    assert refused.status_code == 403
    assert "so it can&#x27;t be downloaded" in refused.content.decode()


def test_a_download_is_an_attachment(world: Any) -> None:
    resource = video(world.dana)
    share(resource, world.avi)
    response = signed_in(world.avi).get(
        reverse("resources_files:file", args=[resource.pk]) + "?download=1"
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")


def test_office_files_are_always_attachments_and_need_download_rights(world: Any) -> None:
    resource = make_resource(
        world.dana,
        content=media.docx_bytes(),
        file_kind="docx",
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        original_name="Letter.docx",
    )
    share(resource, world.avi, can_download=False)
    share(resource, world.noa)
    url = reverse("resources_files:file", args=[resource.pk])
    assert signed_in(world.avi).get(url).status_code == 403
    allowed = signed_in(world.noa).get(url)
    assert allowed.status_code == 200
    assert allowed["Content-Disposition"].startswith("attachment;")


def test_a_file_missing_from_storage_is_404_not_a_broken_stream(world: Any) -> None:
    resource = video(world.dana)
    resource.file.storage.delete(resource.file.name)
    response = signed_in(world.dana).get(reverse("resources_files:file", args=[resource.pk]))
    assert response.status_code == 404


def test_a_link_has_no_file(world: Any) -> None:
    link = make_resource(world.dana, kind=ResourceKind.LINK)
    assert signed_in(world.dana).get(f"/resources/{link.pk}/file/").status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(world: Any, client: Any) -> None:
    resource = video(world.dana)
    response = client.get(reverse("resources_files:file", args=[resource.pk]))
    assert response.status_code == 302


def test_the_file_view_uses_a_constant_number_of_queries(
    world: Any, django_assert_max_num_queries: Any
) -> None:
    resource = video(world.dana)
    share(resource, world.avi)
    client = signed_in(world.avi)
    url = reverse("resources_files:file", args=[resource.pk])
    with django_assert_max_num_queries(12):
        body(client.get(url))


# --- Captions, covers, versions ----------------------------------------------------------------


def test_captions_are_served_as_text_vtt(world: Any) -> None:
    resource = video(world.dana)
    resource.captions.save("c", ContentFile(media.vtt_text()), save=False)
    resource.save()
    share(resource, world.avi)
    response = signed_in(world.avi).get(
        reverse("resources_files:captions_file", args=[resource.pk])
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/vtt; charset=utf-8"
    assert body(response).startswith(b"WEBVTT")
    plain = make_resource(world.dana)
    assert signed_in(world.dana).get(f"/resources/{plain.pk}/captions.vtt").status_code == 404


def test_a_shared_collection_cover_is_served(world: Any) -> None:
    collection = make_collection(world.dana)
    collection.cover.save("c", ContentFile(media.png_bytes()), save=False)
    collection.cover_content_type = "image/png"
    collection.save()
    url = reverse("resources_files:cover", args=[collection.pk])
    assert signed_in(world.avi).get(url).status_code == 404
    share(collection, world.avi)
    response = signed_in(world.avi).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert body(response) == media.png_bytes()


def test_earlier_versions_are_for_the_coach_only(world: Any) -> None:
    resource = make_resource(world.dana)
    earlier = ResourceVersion(
        coach=world.dana,
        resource=resource,
        version=1,
        file_kind="pdf",
        content_type="application/pdf",
        size_bytes=len(media.pdf_bytes("old")),
        original_name="Old.pdf",
    )
    earlier.file.save("old", ContentFile(media.pdf_bytes("old")), save=False)
    earlier.save()
    share(resource, world.avi)
    url = reverse("resources_files:version_file", args=[resource.pk, 1])
    response = signed_in(world.dana).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="Old.pdf"')
    assert body(response) == media.pdf_bytes("old")
    assert signed_in(world.eli).get(url).status_code == 404
    assert signed_in(world.dana).get(url.replace("/1/", "/7/")).status_code == 404


# --- Streaming ---------------------------------------------------------------------------------


def test_the_response_streams_in_64_kib_chunks(tmp_path: Path) -> None:
    from django.core.files.storage import FileSystemStorage

    storage = FileSystemStorage(location=str(tmp_path))
    name = storage.save("big", ContentFile(b"x" * (300 * 1024)))
    request = RequestFactory().get("/", headers={"range": "bytes=1000-"})
    response = ranged_file_response(
        request,
        storage=storage,
        name=name,
        size=300 * 1024,
        content_type="video/webm",
        filename="big.webm",
        attachment=False,
    )
    sizes = [len(chunk) for chunk in response.streaming_content]
    assert max(sizes) == 64 * 1024
    assert sum(sizes) == 300 * 1024 - 1000


def test_under_asgi_the_chunks_come_from_an_async_iterator(tmp_path: Path) -> None:
    import asyncio

    from django.core.files.storage import FileSystemStorage
    from django.test import AsyncRequestFactory

    storage = FileSystemStorage(location=str(tmp_path))
    name = storage.save("big", ContentFile(b"y" * (200 * 1024)))
    request = AsyncRequestFactory().get("/")
    response = ranged_file_response(
        request,
        storage=storage,
        name=name,
        size=200 * 1024,
        content_type="video/webm",
        filename="big.webm",
        attachment=False,
    )
    assert response.is_async

    async def collect() -> list[bytes]:
        return [chunk async for chunk in response]

    chunks = asyncio.run(collect())
    assert sum(len(chunk) for chunk in chunks) == 200 * 1024
    assert max(len(chunk) for chunk in chunks) == 64 * 1024
