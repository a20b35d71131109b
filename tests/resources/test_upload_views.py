"""The upload page (resources_files:upload): JSON for the script, pages without it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loom.resources.models import Category, Resource, ResourceKind
from tests.conftest import signed_in
from tests.resources import media

pytestmark = pytest.mark.django_db

URL = "/coach/resources/upload/"


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


def stored_files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def test_the_url_is_named() -> None:
    assert reverse("resources_files:upload") == URL


def test_the_page_offers_a_multi_file_input_with_the_policy_hint(world: Any) -> None:
    Category.objects.create(coach=world.dana, name="Meditations")
    Category.objects.create(coach=world.eli, name="Eli's own")
    page = signed_in(world.dana).get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="file"' in html and "multiple" in html
    assert ".webm" in html and ".pdf" in html
    assert "Meditations" in html and "Eli&#x27;s own" not in html
    assert "resource-upload.js" in html
    assert "Up to 10 files at once" in html


@pytest.mark.parametrize(
    ("name", "build", "kind", "file_kind"),
    [
        ("Worksheet.pdf", media.pdf_bytes, ResourceKind.DOCUMENT, "pdf"),
        ("Letter.docx", media.docx_bytes, ResourceKind.DOCUMENT, "docx"),
        ("Photo.png", media.png_bytes, ResourceKind.IMAGE, "png"),
        ("Talk.mp3", media.mp3_bytes, ResourceKind.AUDIO, "mp3"),
        ("Talk.m4a", media.m4a_bytes, ResourceKind.AUDIO, "m4a"),
        ("Talk.wav", media.wav_bytes, ResourceKind.AUDIO, "wav"),
        ("Talk.ogg", media.ogg_bytes, ResourceKind.AUDIO, "ogg"),
        ("Clip.mp4", media.mp4_bytes, ResourceKind.VIDEO, "mp4"),
        ("Clip.webm", media.webm_bytes, ResourceKind.VIDEO, "webm"),
        ("Notes.md", media.text_bytes, ResourceKind.TEXT, "text"),
    ],
)
def test_json_upload_creates_a_resource_of_the_right_kind(
    world: Any, name: str, build: Any, kind: str, file_kind: str
) -> None:
    data = build()
    response = signed_in(world.dana).post(
        URL, {"files": upload(name, data)}, headers={"accept": "application/json"}
    )
    assert response.status_code == 201, response.content
    body = response.json()["resource"]
    resource = Resource.objects.get(pk=body["id"])
    assert body["url"] == reverse("resources_library:detail", args=[resource.pk])
    assert body["title"] == name.rsplit(".", 1)[0] == resource.title
    assert (resource.kind, resource.file_kind, resource.size_bytes) == (kind, file_kind, len(data))
    assert resource.original_name == name
    assert resource.coach == world.dana
    with resource.file.open("rb") as handle:
        assert handle.read() == data


def test_category_and_tags_are_applied_and_searchable(world: Any) -> None:
    category = Category.objects.create(coach=world.dana, name="Meditations")
    response = signed_in(world.dana).post(
        URL,
        {
            "files": upload("Body scan.mp3", media.mp3_bytes()),
            "category": str(category.pk),
            "tags": "sleep, calm ,Sleep",
        },
        headers={"accept": "application/json"},
    )
    assert response.status_code == 201
    resource = Resource.objects.get(pk=response.json()["resource"]["id"])
    assert resource.category == category
    assert sorted(tag.name for tag in resource.tags.all()) == ["calm", "sleep"]
    assert "body scan" in resource.search_text and "meditations" in resource.search_text


def test_someone_elses_category_is_refused(world: Any, storage: Path) -> None:
    foreign = Category.objects.create(coach=world.eli, name="Eli's")
    response = signed_in(world.dana).post(
        URL, {"files": upload("a.pdf", media.pdf_bytes()), "category": str(foreign.pk)}
    )
    assert response.status_code == 400
    assert not Resource.objects.exists()
    assert stored_files(storage) == []


def test_a_form_post_with_one_file_goes_to_the_new_resource(world: Any) -> None:
    response = signed_in(world.dana).post(URL, {"files": upload("Plan.pdf", media.pdf_bytes())})
    resource = Resource.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("resources_library:detail", args=[resource.pk])


def test_a_form_post_with_several_files_goes_to_the_library(world: Any) -> None:
    files = [upload("One.pdf", media.pdf_bytes()), upload("Two.png", media.png_bytes())]
    response = signed_in(world.dana).post(URL, {"files": files})
    assert response.status_code == 302
    assert response["Location"] == reverse("resources_library:library")
    assert sorted(Resource.objects.values_list("title", flat=True)) == ["One", "Two"]


def test_one_refused_file_refuses_the_whole_form_post(world: Any, storage: Path) -> None:
    files = [upload("One.pdf", media.pdf_bytes()), upload("evil.pdf", media.html_page())]
    response = signed_in(world.dana).post(URL, {"files": files})
    assert response.status_code == 400
    html = response.content.decode()
    assert "evil.pdf" in html and "Web pages" in html
    assert not Resource.objects.exists()
    assert stored_files(storage) == []


def test_no_file_is_a_form_error(world: Any) -> None:
    response = signed_in(world.dana).post(URL, {})
    assert response.status_code == 400
    assert "This field is required" in response.content.decode()
    json_response = signed_in(world.dana).post(URL, {}, headers={"accept": "application/json"})
    assert json_response.status_code == 400
    assert json_response["Content-Type"] == "application/problem+json"
    assert "files" in json_response.json()["errors"]


def test_refusals_come_back_as_problem_json(world: Any) -> None:
    response = signed_in(world.dana).post(
        URL,
        {"files": upload("song.mp3", media.pdf_bytes())},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["code"] == "extension_mismatch"
    assert "Rename it to end in .pdf" in body["detail"]


def test_a_file_one_byte_over_its_limit_is_413(world: Any, settings: Any, storage: Path) -> None:
    data = media.pdf_bytes()
    settings.LOOM_RESOURCE_MAX_DOCUMENT_BYTES = len(data) - 1
    client = signed_in(world.dana)
    response = client.post(
        URL, {"files": upload("Plan.pdf", data)}, headers={"accept": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert "too large" in response.json()["detail"]
    page = client.post(URL, {"files": upload("Plan.pdf", data)})
    assert page.status_code == 413
    assert "The file is too large" in page.content.decode()
    settings.LOOM_RESOURCE_MAX_DOCUMENT_BYTES = len(data)
    assert client.post(URL, {"files": upload("Plan.pdf", data)}).status_code == 302


def test_a_file_over_the_largest_limit_is_stopped_while_it_arrives(
    world: Any, settings: Any, storage: Path
) -> None:
    settings.LOOM_RESOURCE_MAX_VIDEO_BYTES = 20_000
    settings.LOOM_RESOURCE_MAX_AUDIO_BYTES = 20_000
    settings.LOOM_RESOURCE_MAX_DOCUMENT_BYTES = 20_000
    settings.LOOM_RESOURCE_MAX_IMAGE_BYTES = 20_000
    response = signed_in(world.dana).post(
        URL,
        {"files": upload("Clip.webm", media.webm_bytes(min_bytes=20_001))},
        headers={"accept": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "too_large"
    assert stored_files(storage) == []


def test_more_files_than_allowed_is_400_with_the_count(
    world: Any, settings: Any, storage: Path
) -> None:
    settings.LOOM_RESOURCE_MAX_FILES_PER_UPLOAD = 10
    files = [upload(f"F{index}.pdf", media.pdf_bytes()) for index in range(11)]
    response = signed_in(world.dana).post(URL, {"files": files})
    assert response.status_code == 400
    assert "You can upload up to 10 files at once." in response.content.decode()
    assert not Resource.objects.exists()
    assert stored_files(storage) == []
    json_response = signed_in(world.dana).post(
        URL,
        {"files": [upload(f"G{index}.pdf", media.pdf_bytes()) for index in range(3)]},
        headers={"accept": "application/json"},
    )
    assert json_response.status_code == 201


def test_a_forged_post_is_refused_by_csrf(world: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dana)
    response = client.post(URL, {"files": upload("Plan.pdf", media.pdf_bytes())})
    assert response.status_code == 403
    assert not Resource.objects.exists()


def test_clients_cannot_upload(world: Any) -> None:
    response = signed_in(world.avi).post(URL, {"files": upload("Plan.pdf", media.pdf_bytes())})
    assert response.status_code == 302
    assert not Resource.objects.exists()


def test_the_page_is_in_hebrew_for_a_hebrew_coach(world: Any) -> None:
    page = signed_in(world.eli).get(URL)
    assert page.status_code == 200
    assert 'dir="rtl"' in page.content.decode()
