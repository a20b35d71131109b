"""Adversarial review of group sessions: attendees never learn about each other.

A group session of Dana's with Avi and Noa in it. Whatever one attendee adds to the
session (a file) must not tell the other attendee who they are: not the uploader's
name on the notes panel, not their user id in the API, not the file itself.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from loom.core.models import OutboxMessage
from loom.scheduling import note_services as services
from loom.scheduling.models import SessionAttachment
from tests.conftest import signed_in
from tests.scheduling.notes_support import group, pdf_bytes, upload
from tests.world import World


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _everything(payload: dict[str, Any]) -> str:
    """An email's subject, bodies and decoded attachments, unfolded, as one text."""
    parts = [str(payload.get(key, "")) for key in ("subject", "text", "html")]
    for attachment in payload.get("attachments", []):
        parts.append(base64.b64decode(attachment["content"]).decode("utf-8", "replace"))
    return "\n".join(parts).replace("\r\n ", "")


def _group_with_avis_file(world: World) -> tuple[Any, SessionAttachment, SessionAttachment]:
    session = group(world.dana, [world.avi, world.noa])
    avis = services.attachment_add(
        actor=world.avi, session=session, upload=upload("my-notes.pdf", pdf_bytes())
    )
    danas = services.attachment_add(
        actor=world.dana, session=session, upload=upload("handout.pdf", pdf_bytes())
    )
    return session, avis, danas


def test_another_attendee_sees_neither_the_uploader_nor_their_file_on_the_page(
    world: World,
) -> None:
    session, _avis, _danas = _group_with_avis_file(world)
    page = signed_in(world.noa).get(f"/sessions/{session.pk}/notes/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "handout.pdf" in text  # the coach's file is for everyone
    assert "Avi" not in text and "avi@example.com" not in text
    assert "my-notes.pdf" not in text
    # The uploader and the coach still see it.
    assert (
        "my-notes.pdf"
        in signed_in(world.avi).get(f"/sessions/{session.pk}/notes/").content.decode()
    )
    coach_page = signed_in(world.dana).get(f"/sessions/{session.pk}/notes/").content.decode()
    assert "my-notes.pdf" in coach_page


def test_another_attendee_cannot_download_the_file_by_id(world: World) -> None:
    session, avis, danas = _group_with_avis_file(world)
    noa = signed_in(world.noa)
    assert noa.get(f"/sessions/{session.pk}/notes/files/{avis.pk}/").status_code == 404
    assert noa.get(f"/sessions/{session.pk}/notes/files/{danas.pk}/").status_code == 200
    assert (
        signed_in(world.dana).get(f"/sessions/{session.pk}/notes/files/{avis.pk}/").status_code
        == 200
    )


def test_api_lists_no_other_attendee_or_their_id(world: World) -> None:
    session, avis, danas = _group_with_avis_file(world)
    response = signed_in(world.noa).get(f"/api/v1/scheduling/sessions/{session.pk}/attachments")
    assert response.status_code == 200
    rows = response.json()
    assert [row["id"] for row in rows] == [danas.pk]
    assert all(row["uploaded_by_id"] != world.avi.pk for row in rows)
    coach_rows = (
        signed_in(world.dana).get(f"/api/v1/scheduling/sessions/{session.pk}/attachments").json()
    )
    assert {row["id"] for row in coach_rows} == {avis.pk, danas.pk}


def test_another_attendee_cannot_remove_the_file(world: World) -> None:
    session, avis, _danas = _group_with_avis_file(world)
    response = signed_in(world.noa).post(f"/sessions/{session.pk}/notes/files/{avis.pk}/delete/")
    assert response.status_code == 404  # not 403: the file does not exist for Noa
    assert SessionAttachment.objects.filter(pk=avis.pk).exists()


# --- A released seat keeps no way into the group's video room ------------------------------


def test_a_released_seat_holder_gets_no_meeting_link_from_calendar_files(world: World) -> None:
    import time_machine
    from django.test import Client

    from loom.scheduling import group_services
    from loom.scheduling.calendar_feed import calendar_feed_create
    from tests.scheduling.support import hours, session_type, utc

    now = utc(2026, 6, 1, 12, 0)
    with time_machine.travel(now, tick=False):
        hours(world.dana, days=range(5))
        kind = session_type(world.dana, name_en="Circle", capacity=3, location_kind="video")
        session = group_services.group_session_create(
            actor=world.dana, session_type=kind, starts_at=utc(2026, 6, 2, 14, 0)
        )
        assert session.meeting_url
        seat = group_services.seat_take(actor=world.avi, session=session)
        group_services.seat_take(actor=world.noa, session=session)
        avi = signed_in(world.avi)
        ics = avi.get(f"/sessions/{session.pk}/calendar.ics")
        assert ics.status_code == 200 and session.meeting_url in ics.content.decode()
        before = set(OutboxMessage.objects.values_list("pk", flat=True))
        group_services.seat_release(actor=world.avi, seat=seat)
        released = [
            message
            for message in OutboxMessage.objects.exclude(pk__in=before)
            if message.recipient == world.avi.email
        ]
        assert len(released) == 1
        assert session.meeting_url not in _everything(released[0].payload)
        token = calendar_feed_create(user=world.avi).url.rsplit("/", 1)[-1]
        feed = Client().get(f"/calendar/feed/{token}").content.decode()
        assert "BEGIN:VEVENT" in feed and "STATUS:CANCELLED" in feed
        assert session.meeting_url not in feed.replace("\r\n ", "")
        ics = avi.get(f"/sessions/{session.pk}/calendar.ics")
        assert session.meeting_url not in ics.content.decode().replace("\r\n ", "")
        assert "STATUS:CANCELLED" in ics.content.decode()
        # Noa, still seated, keeps it.
        noas = signed_in(world.noa).get(f"/sessions/{session.pk}/calendar.ics").content.decode()
        assert session.meeting_url in noas.replace("\r\n ", "")


def test_one_attendee_cannot_use_up_the_groups_file_limit(world: World, monkeypatch: Any) -> None:
    from loom.core.errors import Conflict

    monkeypatch.setattr(services, "ATTACHMENTS_PER_SESSION_MAX", 2)
    session = group(world.dana, [world.avi, world.noa])
    for name in ("a.pdf", "b.pdf"):
        services.attachment_add(actor=world.avi, session=session, upload=upload(name, pdf_bytes()))
    with pytest.raises(Conflict):
        services.attachment_add(
            actor=world.avi, session=session, upload=upload("c.pdf", pdf_bytes())
        )
    services.attachment_add(actor=world.noa, session=session, upload=upload("n.pdf", pdf_bytes()))
    services.attachment_add(
        actor=world.dana, session=session, upload=upload("handout.pdf", pdf_bytes())
    )
    assert SessionAttachment.objects.filter(session=session).count() == 4
