"""Notes pages and the panel: forms, permissions, escaping, downloads, Hebrew."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from loom.scheduling import note_services as services
from loom.scheduling.models import ActionItem, SessionAttachment, SessionPrivateNote, SessionSummary
from tests.conftest import signed_in
from tests.scheduling.notes_support import (
    MARKER,
    group,
    one_to_one,
    pdf_bytes,
    png_bytes,
    upload,
    zip_bomb_docx,
)
from tests.world import World


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def url(name: str, session: Any, **kwargs: Any) -> str:
    return reverse(f"scheduling_notes:{name}", kwargs={"session_id": session.pk, **kwargs})


def test_coach_page_shows_every_part(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body=MARKER)
    services.reflection_save(actor=world.avi, session=session, body="Avi reflects")
    response = signed_in(world.dana).get(url("page", session))
    assert response.status_code == 200
    body = response.content.decode()
    assert MARKER in body
    assert "Only you can see this" in body
    assert "Avi reflects" in body
    assert 'name="summary-body"' in body
    assert 'name="item-title"' in body
    assert 'enctype="multipart/form-data"' in body


def test_client_page_never_shows_the_private_note(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body=MARKER)
    services.summary_save(actor=world.dana, session=session, body="Shared words", share=True)
    response = signed_in(world.avi).get(url("page", session))
    body = response.content.decode()
    assert response.status_code == 200
    assert MARKER not in body
    assert "Only you can see this" not in body
    assert "Shared words" in body
    assert 'name="refl-body"' in body
    assert 'name="private-body"' not in body


def test_summary_markup_is_shown_as_text(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    text = "Line one\n<script>alert('x')</script>\n<b>bold</b>"
    services.summary_save(actor=world.dana, session=session, body=text, share=True)
    body = signed_in(world.avi).get(url("page", session)).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in body
    assert "Line one<br>&lt;script&gt;" in body
    assert "<b>bold</b>" not in body


def test_coach_posts_note_summary_and_item(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    dana = signed_in(world.dana)
    page = url("page", session)
    response = dana.post(url("private_note", session), {"private-body": MARKER, "next": page})
    assert response.status_code == 302 and response["Location"] == page
    assert SessionPrivateNote.objects.get().body == MARKER
    dana.post(url("summary", session), {"summary-body": "Draft", "action": "draft"})
    assert SessionSummary.objects.get().shared_at is None
    dana.post(url("summary", session), {"summary-body": "Final", "action": "share"})
    assert SessionSummary.objects.get().shared_at is not None
    due = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = dana.post(
        url("item_add", session), {"item-title": "Walk", "item-due_on": due, "item-details": ""}
    )
    assert response.status_code == 302
    assert ActionItem.objects.get().client == world.avi


def test_offsite_next_is_ignored(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    response = signed_in(world.dana).post(
        url("private_note", session), {"private-body": "x", "next": "https://evil.example/"}
    )
    assert response["Location"] == url("page", session)


def test_form_errors_come_back_on_the_page(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    dana = signed_in(world.dana)
    response = dana.post(url("item_add", session), {"item-title": "x" * 201})
    assert response.status_code == 400
    assert "field-errors" in response.content.decode()
    before = (session.starts_at - timedelta(days=3)).date().isoformat()
    response = dana.post(url("item_add", session), {"item-title": "ok", "item-due_on": before})
    assert response.status_code == 400
    assert "can&#x27;t be before the session" in response.content.decode()
    response = dana.post(
        url("private_note", session), {"private-body": "x" * (services.PRIVATE_NOTE_MAX + 1)}
    )
    assert response.status_code == 400
    assert not ActionItem.objects.exists()
    assert not SessionPrivateNote.objects.exists()


def test_client_cannot_post_coach_forms_and_coach_cannot_post_client_forms(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    avi = signed_in(world.avi)
    assert avi.post(url("private_note", session), {"private-body": "x"}).status_code == 403
    assert (
        avi.post(url("summary", session), {"summary-body": "x", "action": "share"}).status_code
        == 403
    )
    assert avi.post(url("item_add", session), {"item-title": "x"}).status_code == 403
    dana = signed_in(world.dana)
    assert dana.post(url("reflection", session), {"refl-body": "x"}).status_code == 403
    assert dana.post(url("preparation", session), {"prep-body": "x"}).status_code == 403
    assert not SessionPrivateNote.objects.exists()
    assert not SessionSummary.objects.exists()


def test_non_parties_get_404_everywhere(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    (item,) = services.action_item_create(actor=world.dana, session=session, title="T")
    file = services.attachment_add(
        actor=world.avi, session=session, upload=upload("a.pdf", pdf_bytes())
    )
    for person in (world.eli, world.maya, world.noa, world.admin):
        client = signed_in(person)
        assert client.get(url("page", session)).status_code == 404
        assert client.get(url("attachment", session, attachment_id=file.pk)).status_code == 404
        assert (
            client.post(url("item_done", session, item_id=item.pk), {"done": "1"}).status_code
            == 404
        )
        assert client.post(url("private_note", session), {"private-body": "x"}).status_code == 404


def test_client_marks_item_done_and_undone(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    (item,) = services.action_item_create(actor=world.dana, session=session, title="T")
    avi = signed_in(world.avi)
    avi.post(url("item_done", session, item_id=item.pk), {"done": "1"})
    item.refresh_from_db()
    assert item.completed_at is not None
    avi.post(url("item_done", session, item_id=item.pk), {"done": "0"})
    item.refresh_from_db()
    assert item.completed_at is None
    assert (
        signed_in(world.dana)
        .post(url("item_done", session, item_id=item.pk), {"done": "1"})
        .status_code
        == 404
    )


def test_coach_edits_and_deletes_an_item(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    (item,) = services.action_item_create(actor=world.dana, session=session, title="T")
    dana = signed_in(world.dana)
    edit = url("item_edit", session, item_id=item.pk)
    assert dana.get(edit).status_code == 200
    assert signed_in(world.avi).get(edit).status_code == 403
    response = dana.post(edit, {"edit-title": "New", "edit-details": "more"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.title, item.details) == ("New", "more")
    assert dana.post(edit, {"edit-title": ""}).status_code == 400
    dana.post(url("item_delete", session, item_id=item.pk))
    assert not ActionItem.objects.exists()
    assert dana.get(edit).status_code == 404


def test_upload_download_and_delete(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    avi = signed_in(world.avi)
    response = avi.post(
        url("attachment_add", session), {"file-file": upload("Plan.pdf", pdf_bytes())}
    )
    assert response.status_code == 302
    file = SessionAttachment.objects.get()
    response = signed_in(world.dana).get(url("attachment", session, attachment_id=file.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="Plan.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    content = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert content == pdf_bytes()
    # Only the uploader removes it.
    assert (
        signed_in(world.dana)
        .post(url("attachment_delete", session, attachment_id=file.pk))
        .status_code
        == 403
    )
    assert avi.post(url("attachment_delete", session, attachment_id=file.pk)).status_code == 302
    assert not SessionAttachment.objects.exists()


def test_download_name_with_non_ascii_is_encoded(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    file = services.attachment_add(
        actor=world.avi, session=session, upload=upload('סיכום "x".pdf', pdf_bytes())
    )
    response = signed_in(world.avi).get(url("attachment", session, attachment_id=file.pk))
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert "\n" not in response["Content-Disposition"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("invoice.pdf", b"MZ\x90\x00" + b"\x00" * 64, "Programs and scripts"),
        ("page.html", b"<html><script>alert(1)</script></html>", "Web pages, SVG"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "Web pages, SVG"),
        ("photo.pdf", png_bytes(), "different type than its content"),
    ],
)
def test_hostile_uploads_are_refused_on_the_page(
    world: World, name: str, data: bytes, message: str
) -> None:
    session = one_to_one(world.dana, world.avi)
    response = signed_in(world.avi).post(
        url("attachment_add", session), {"file-file": upload(name, data)}
    )
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not SessionAttachment.objects.exists()


def test_zip_bomb_and_oversize_refused(world: World, settings: Any) -> None:
    settings.LOOM_UPLOAD_MAX_ZIP_UNCOMPRESSED_BYTES = 2 * 1024 * 1024
    settings.LOOM_UPLOAD_MAX_DOCUMENT_BYTES = 64 * 1024
    session = one_to_one(world.dana, world.avi)
    avi = signed_in(world.avi)
    response = avi.post(
        url("attachment_add", session), {"file-file": upload("b.docx", zip_bomb_docx(4))}
    )
    assert response.status_code == 400
    response = avi.post(
        url("attachment_add", session), {"file-file": upload("big.txt", b"a" * (64 * 1024 + 1))}
    )
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not SessionAttachment.objects.exists()


def test_group_session_panel_for_coach_and_seat_holder(world: World) -> None:
    session = group(world.dana, [world.avi, world.noa])
    services.action_item_create(actor=world.dana, session=session, title="Shared task")
    services.private_note_save(actor=world.dana, session=session, body=MARKER)
    body = signed_in(world.dana).get(url("page", session)).content.decode()
    assert 'name="item-clients"' in body
    assert body.count("<strong>Shared task</strong>") == 2
    body = signed_in(world.noa).get(url("page", session)).content.decode()
    assert body.count("<strong>Shared task</strong>") == 1
    assert MARKER not in body


def test_panel_tag_renders_nothing_for_strangers(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body=MARKER)
    template = Template("{% load session_notes %}{% session_notes_panel session %}")
    request = RequestFactory().get("/x/")
    for person, visible in ((world.dana, True), (world.avi, False), (world.eli, False)):
        request.user = person
        html = template.render(Context({"request": request, "session": session}))
        assert (MARKER in html) is visible
    request.user = world.eli
    assert template.render(Context({"request": request, "session": session})).strip() == ""


def test_hebrew_page_is_rtl_and_shows_times(world: World) -> None:
    session = one_to_one(world.eli, world.maya)
    client = signed_in(world.eli)
    response = client.get(url("page", session), HTTP_ACCEPT_LANGUAGE="he")
    body = response.content.decode()
    assert 'lang="he"' in body and 'dir="rtl"' in body
    assert "Asia/Jerusalem" in body
    maya = signed_in(world.maya).get(url("page", session)).content.decode()
    # Maya is in London: her time first, the coach's alongside.
    assert "Europe/London" in maya and "Asia/Jerusalem" in maya


def test_oversize_upload_is_skipped_as_it_arrives(world: World, settings: Any) -> None:
    settings.LOOM_UPLOAD_MAX_DOCUMENT_BYTES = 10 * 1024
    settings.LOOM_UPLOAD_MAX_IMAGE_BYTES = 10 * 1024
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # would otherwise spool to a temp file
    session = one_to_one(world.dana, world.avi)
    response = signed_in(world.avi).post(
        url("attachment_add", session), {"file-file": upload("big.pdf", b"%PDF-" + b"a" * 50_000)}
    )
    assert response.status_code == 400
    assert "The file is too large. Files can be up to 10 KB." in response.content.decode()
    assert not SessionAttachment.objects.exists()


def test_upload_limit_handler_stops_later_handlers() -> None:
    from django.core.files.uploadhandler import SkipFile

    from loom.core.uploads import UploadLimitHandler, upload_was_too_large

    request = RequestFactory().post("/")
    handler = UploadLimitHandler(request, max_bytes=100)
    assert handler.receive_data_chunk(b"a" * 60, 0) == b"a" * 60
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"a" * 60, 60)
    refusal = upload_was_too_large(request)
    assert refusal is not None and refusal.code == "too_large"


def test_upload_needs_the_csrf_token(world: World) -> None:
    from django.test import Client

    session = one_to_one(world.dana, world.avi)
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.avi)
    response = client.post(
        url("attachment_add", session), {"file-file": upload("a.pdf", pdf_bytes())}
    )
    assert response.status_code == 403
    assert not SessionAttachment.objects.exists()


@pytest.mark.parametrize("who", ["coach", "client"])
def test_notes_page_queries_do_not_grow_with_content(world: World, who: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    session = group(world.dana, [world.avi, world.noa])
    viewer = signed_in(world.dana if who == "coach" else world.avi)
    page = url("page", session)

    def add_content() -> None:
        services.action_item_create(actor=world.dana, session=session, title="Item")
        services.attachment_add(
            actor=world.avi, session=session, upload=upload("a.pdf", pdf_bytes())
        )

    add_content()
    viewer.get(page)  # the first request of a session touches the session store
    with CaptureQueriesContext(connection) as few:
        assert viewer.get(page).status_code == 200
    for _ in range(4):
        add_content()
    services.reflection_save(actor=world.noa, session=session, body="Noa")
    services.reflection_save(actor=world.avi, session=session, body="Avi")
    with CaptureQueriesContext(connection) as many:
        assert viewer.get(page).status_code == 200
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]


def test_cancelled_session_offers_only_the_private_note(world: World) -> None:
    session = one_to_one(world.dana, world.avi, status="cancelled")
    body = signed_in(world.dana).get(url("page", session)).content.decode()
    assert 'name="private-body"' in body
    assert 'name="summary-body"' not in body
    assert 'name="item-title"' not in body
    assert 'name="file-file"' not in body
