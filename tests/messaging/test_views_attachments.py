"""Attachments: the upload endpoint (JSON, problem documents) and the authorizing download."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings

from loom.messaging.models import Attachment
from tests.conftest import signed_in
from tests.messaging.factories import png_bytes, send, talks, upload
from tests.world import World


def _upload(browser: Client, conversation_id: int, name: str, content: bytes) -> object:
    return browser.post(
        f"/messages/{conversation_id}/attachments/",
        {"file": SimpleUploadedFile(name, content)},
        HTTP_ACCEPT="application/json",
    )


def test_image_upload_answers_the_attachment_dict(world: World) -> None:
    chats = talks(world)
    response = _upload(signed_in(world.avi), chats.dana_avi.pk, "sunrise.png", png_bytes(8, 5))
    assert response.status_code == 201
    body = response.json()
    attachment = Attachment.objects.get()
    assert body == {
        "id": attachment.pk,
        "name": "sunrise.png",
        "kind": "image",
        "size": attachment.size,
        "url": f"/messages/attachments/{attachment.pk}/",
        "width": 8,
        "height": 5,
    }


def test_bad_uploads_are_problems_and_store_nothing(world: World) -> None:
    chats = talks(world)
    browser = signed_in(world.avi)
    disguised = _upload(browser, chats.dana_avi.pk, "photo.png", b"<script>alert(1)</script>")
    assert disguised.status_code == 400
    assert disguised["Content-Type"] == "application/problem+json"
    assert disguised.json()["detail"]
    empty = browser.post(
        f"/messages/{chats.dana_avi.pk}/attachments/", {}, HTTP_ACCEPT="application/json"
    )
    assert empty.status_code == 400
    with override_settings(LOOM_MESSAGE_MAX_ATTACHMENT_BYTES=1024):
        big = _upload(browser, chats.dana_avi.pk, "big.png", png_bytes(400, 400) + b"\0" * 4096)
    assert big.status_code == 413 and big.json()["status"] == 413
    assert not Attachment.objects.exists()


def test_upload_to_someone_elses_conversation_is_a_404(world: World) -> None:
    chats = talks(world)
    response = _upload(signed_in(world.maya), chats.dana_avi.pk, "x.png", png_bytes())
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_upload_needs_the_csrf_token(world: World) -> None:
    chats = talks(world)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.avi)
    response = _upload(browser, chats.dana_avi.pk, "x.png", png_bytes())
    assert response.status_code == 403
    assert not Attachment.objects.exists()


def test_attachments_are_served_to_the_two_people_only(world: World) -> None:
    chats = talks(world)
    image = upload(world.avi, chats.dana_avi, "scan.png")
    # Not sent yet: only its uploader may fetch it.
    assert signed_in(world.avi).get(f"/messages/attachments/{image.pk}/").status_code == 200
    assert signed_in(world.dana).get(f"/messages/attachments/{image.pk}/").status_code == 404
    send(world.avi, chats.dana_avi, "", attachment_ids=[image.pk])
    response = signed_in(world.dana).get(f"/messages/attachments/{image.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline")
    assert b"".join(response.streaming_content) == png_bytes()  # type: ignore[attr-defined]
    for person in (world.eli, world.maya, world.noa):
        assert signed_in(person).get(f"/messages/attachments/{image.pk}/").status_code == 404


def test_documents_download_as_attachments(world: World) -> None:
    chats = talks(world)
    pdf = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
    document = upload(world.dana, chats.dana_avi, "plan.pdf", pdf)
    send(world.dana, chats.dana_avi, "Your plan", attachment_ids=[document.pk])
    response = signed_in(world.avi).get(f"/messages/attachments/{document.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
