"""loom/resources/file_services.py and files.py: create, replace, captions, covers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from loom.core.audit import AuditLog
from loom.core.errors import NotFound
from loom.core.uploads import GIF, MP4, PDF
from loom.resources import file_services
from loom.resources.files import (
    cover_upload_policy,
    resource_kind_for,
    resource_upload_policy,
)
from loom.resources.models import Resource, ResourceKind, ResourceProgress, ResourceVersion
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import make_collection, share

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


def stored_files(root: Path) -> set[str]:
    return {str(path.relative_to(root)) for path in root.rglob("*") if path.is_file()}


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def create(coach: Any, name: str = "Breathing.webm", data: bytes | None = None) -> Resource:
    return file_services.resource_create_from_upload(
        coach=coach, upload=upload(name, data if data is not None else media.webm_bytes())
    )


def test_policies_and_kinds(settings: Any) -> None:
    policy = resource_upload_policy()
    assert policy.max_bytes == {
        "document": 50 * 1024 * 1024,
        "image": 20 * 1024 * 1024,
        "audio": 200 * 1024 * 1024,
        "video": 1024 * 1024 * 1024,
    }
    assert PDF in policy.kinds and MP4 in policy.kinds
    assert PDF not in cover_upload_policy().kinds and GIF in cover_upload_policy().kinds
    settings.LOOM_RESOURCE_MAX_VIDEO_BYTES = 5
    assert resource_upload_policy().max_bytes["video"] == 5
    assert resource_kind_for("docx") == ResourceKind.DOCUMENT
    assert resource_kind_for("m4a") == ResourceKind.AUDIO
    assert resource_kind_for("webm") == ResourceKind.VIDEO
    assert resource_kind_for("text") == ResourceKind.TEXT


def test_create_sets_everything_from_the_content(world: Any) -> None:
    resource = create(world.dana, "Breathing ‮gpj.webm")
    assert resource.kind == ResourceKind.VIDEO
    assert resource.file_kind == "webm"
    assert resource.content_type == "video/webm"
    assert resource.original_name == "Breathing gpj.webm"
    assert resource.title == "Breathing gpj"
    # Stored under a random name, not the one uploaded.
    assert "Breathing" not in resource.file.name


def test_a_title_too_long_from_a_file_name_is_cut(world: Any) -> None:
    resource = create(world.dana, "x" * 110 + ".pdf", media.pdf_bytes())
    assert resource.title == "x" * 110


def test_a_refused_create_stores_nothing(world: Any, storage: Path) -> None:
    with pytest.raises(ValidationError) as caught:
        file_services.resource_create_from_upload(
            coach=world.dana, upload=upload("a.pdf", media.pdf_bytes()), title="x" * 500
        )
    assert "title" in caught.value.message_dict
    assert not Resource.objects.exists()
    assert stored_files(storage) == set()


def test_a_failure_after_the_file_is_stored_deletes_it(
    world: Any, storage: Path, monkeypatch: Any
) -> None:
    def broken(resource: Resource) -> str:
        raise RuntimeError("search index down")

    monkeypatch.setattr(file_services.library_services, "refresh_search_text", broken)
    with pytest.raises(RuntimeError):
        create(world.dana)
    assert not Resource.objects.exists()
    assert stored_files(storage) == set()


def test_a_failed_batch_leaves_nothing(world: Any, storage: Path, monkeypatch: Any) -> None:
    real = file_services.library_services.refresh_search_text
    calls = []

    def fails_second_time(resource: Resource) -> str:
        calls.append(resource.pk)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(resource)

    monkeypatch.setattr(file_services.library_services, "refresh_search_text", fails_second_time)
    with pytest.raises(RuntimeError):
        file_services.resources_create_from_uploads(
            coach=world.dana,
            uploads=[upload("a.pdf", media.pdf_bytes()), upload("b.pdf", media.pdf_bytes())],
        )
    assert not Resource.objects.exists()
    assert stored_files(storage) == set()


def test_replace_keeps_shares_and_progress_and_versions_the_old_file(world: Any) -> None:
    resource = create(world.dana, "Talk.webm", media.webm_bytes(1))
    old_name = resource.file.name
    share(resource, world.avi)
    ResourceProgress.objects.create(
        coach=world.dana, client=world.avi, resource=resource, watched_share=0.5
    )
    new = media.webm_bytes(2)
    replaced = file_services.resource_replace_file(
        coach=world.dana, resource_id=resource.pk, upload=upload("Talk v2.webm", new)
    )
    assert replaced.version == 2
    assert replaced.original_name == "Talk v2.webm"
    assert replaced.size_bytes == len(new)
    assert replaced.file.name != old_name
    earlier = ResourceVersion.objects.get(resource=resource)
    assert (earlier.version, earlier.file.name, earlier.original_name) == (1, old_name, "Talk.webm")
    assert resource.shares.count() == 1
    assert ResourceProgress.objects.get(resource=resource).watched_share == 0.5
    audit = AuditLog.objects.get(action="resources.file_replaced")
    assert audit.target_id == str(resource.pk)
    assert audit.details["version"] == 2


def test_replace_refuses_another_kind_and_changes_nothing(world: Any, storage: Path) -> None:
    resource = create(world.dana)
    before = stored_files(storage)
    with pytest.raises(ValidationError) as caught:
        file_services.resource_replace_file(
            coach=world.dana, resource_id=resource.pk, upload=upload("a.pdf", media.pdf_bytes())
        )
    error = caught.value.error_dict["file"][0]
    assert error.code == "kind_mismatch"
    assert "video" in error.messages[0] and "document" in error.messages[0]
    resource.refresh_from_db()
    assert resource.version == 1
    assert not ResourceVersion.objects.exists()
    assert stored_files(storage) == before


def test_replace_of_someone_elses_resource_is_not_found(world: Any) -> None:
    resource = create(world.dana)
    with pytest.raises(NotFound):
        file_services.resource_replace_file(
            coach=world.eli, resource_id=resource.pk, upload=upload("b.webm", media.webm_bytes())
        )


def test_captions_are_set_replaced_and_removed(
    world: Any, storage: Path, django_capture_on_commit_callbacks: Any
) -> None:
    resource = create(world.dana)
    file_services.resource_set_captions(
        coach=world.dana,
        resource_id=resource.pk,
        upload=upload("c.vtt", media.vtt_text()),
        language="he",
    )
    resource.refresh_from_db()
    first = resource.captions.name
    assert resource.captions_language == "he"
    with django_capture_on_commit_callbacks(execute=True):
        file_services.resource_set_captions(
            coach=world.dana,
            resource_id=resource.pk,
            upload=upload("c.vtt", media.vtt_text(((0, 2, "שלום"),))),
            language="en",
        )
    resource.refresh_from_db()
    assert resource.captions.name != first
    assert first not in stored_files(storage)
    with django_capture_on_commit_callbacks(execute=True):
        file_services.resource_remove_captions(coach=world.dana, resource_id=resource.pk)
    resource.refresh_from_db()
    assert not resource.captions and resource.captions_language == ""
    assert not any(name.endswith(".vtt") for name in stored_files(storage))


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"NOT VTT\n", "not_captions"),
        (b"WEBVTTX\n", "not_captions"),
        (b"WEBVTT\n\x00", "not_captions"),
        (b"WEBVTT\n\xff\xfe", "not_captions"),
        (b"", "empty"),
        (b"WEBVTT\n" + b"a" * (1024 * 1024), "too_large"),
    ],
)
def test_bad_captions_are_refused(world: Any, data: bytes, code: str) -> None:
    resource = create(world.dana)
    with pytest.raises(ValidationError) as caught:
        file_services.resource_set_captions(
            coach=world.dana, resource_id=resource.pk, upload=upload("c.vtt", data), language="en"
        )
    assert caught.value.error_dict["file"][0].code == code


def test_captions_only_for_audio_and_video_and_with_a_language(world: Any) -> None:
    document = create(world.dana, "a.pdf", media.pdf_bytes())
    with pytest.raises(ValidationError) as caught:
        file_services.resource_set_captions(
            coach=world.dana,
            resource_id=document.pk,
            upload=upload("c.vtt", media.vtt_text()),
            language="en",
        )
    assert caught.value.error_dict["file"][0].code == "not_media"
    video = create(world.dana)
    with pytest.raises(ValidationError) as caught:
        file_services.resource_set_captions(
            coach=world.dana,
            resource_id=video.pk,
            upload=upload("c.vtt", media.vtt_text()),
            language="<b>",
        )
    assert "language" in caught.value.message_dict


def test_collection_covers_are_images(
    world: Any, storage: Path, django_capture_on_commit_callbacks: Any
) -> None:
    collection = make_collection(world.dana)
    file_services.collection_set_cover(
        coach=world.dana, collection_id=collection.pk, upload=upload("c.png", media.png_bytes())
    )
    collection.refresh_from_db()
    assert collection.cover_content_type == "image/png"
    with pytest.raises(ValidationError):
        file_services.collection_set_cover(
            coach=world.dana, collection_id=collection.pk, upload=upload("c.pdf", media.pdf_bytes())
        )
    with pytest.raises(NotFound):
        file_services.collection_set_cover(
            coach=world.eli, collection_id=collection.pk, upload=upload("c.png", media.png_bytes())
        )
    with django_capture_on_commit_callbacks(execute=True):
        file_services.collection_remove_cover(coach=world.dana, collection_id=collection.pk)
    collection.refresh_from_db()
    assert not collection.cover
    assert not any("covers" in name for name in stored_files(storage))


# --- Pages -------------------------------------------------------------------------------------


def test_the_replace_page_replaces_and_lists_versions(world: Any) -> None:
    resource = create(world.dana, "Plan.pdf", media.pdf_bytes("one"))
    client = signed_in(world.dana)
    url = reverse("resources_files:replace", args=[resource.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, {"file": upload("Plan 2.pdf", media.pdf_bytes("two"))})
    assert response.status_code == 302
    page = client.get(url)
    assert "Plan.pdf" in page.content.decode()
    assert reverse("resources_files:version_file", args=[resource.pk, 1]) in page.content.decode()
    wrong = client.post(url, {"file": upload("clip.webm", media.webm_bytes())})
    assert wrong.status_code == 400
    assert "must be one too" in wrong.content.decode()


def test_the_captions_page_adds_and_removes(world: Any) -> None:
    resource = create(world.dana)
    client = signed_in(world.dana)
    url = reverse("resources_files:captions", args=[resource.pk])
    assert client.get(url).status_code == 200
    added = client.post(url, {"file": upload("c.vtt", media.vtt_text()), "language": "en"})
    assert added.status_code == 302
    resource.refresh_from_db()
    assert resource.captions
    bad = client.post(url, {"file": upload("c.vtt", b"nope"), "language": "en"})
    assert bad.status_code == 400
    assert "WebVTT" in bad.content.decode()
    removed = client.post(url, {"remove": "1"})
    assert removed.status_code == 302
    resource.refresh_from_db()
    assert not resource.captions
    document = create(world.dana, "a.pdf", media.pdf_bytes())
    assert client.get(reverse("resources_files:captions", args=[document.pk])).status_code == 404
