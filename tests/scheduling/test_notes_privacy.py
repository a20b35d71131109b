"""The coach's private note never reaches a client: pages, API, files, emails, RLS.

A session carries a private note with a marker string, and everything a client can
be shown about it (a shared summary, an action item, a reflection, a file). Then
every URL of the project that can be built for that session is fetched as the
client — pages and API alike — and every queued email and outbox message is read:
the marker must appear nowhere. The same walk as the coach proves the walk reaches
the note at all (so the test can fail).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.http import Http404
from django.test import Client

from loom.core.models import OutboxMessage
from loom.core.notices import notice_send
from loom.scheduling import note_services as services
from loom.scheduling import reminder_emails
from loom.scheduling.models import Session, SessionPrivateNote
from loom.scheduling.services import session_cancel, session_complete
from tests.conftest import signed_in
from tests.scheduling.notes_support import MARKER, one_to_one, pdf_bytes, upload
from tests.security.conftest import raw_as, rows
from tests.security.matrix import build_path, url_patterns
from tests.world import World


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _session_with_everything(world: World) -> dict[str, Any]:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body=f"Secret {MARKER}")
    services.summary_save(actor=world.dana, session=session, body="Shared summary", share=True)
    (item,) = services.action_item_create(actor=world.dana, session=session, title="Homework")
    services.reflection_save(actor=world.avi, session=session, body="My reflection")
    file = services.attachment_add(
        actor=world.dana, session=session, upload=upload("notes.pdf", pdf_bytes())
    )
    return {
        "session": session,
        "session_id": session.pk,
        "item_id": item.pk,
        "attachment_id": file.pk,
        "client_id": world.avi.pk,
        "user_id": world.avi.pk,
        "coach_id": world.dana.pk,
    }


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        content = b"".join(response.streaming_content)
    else:
        content = response.content
    return content.decode("utf-8", errors="replace")


def _walk(client: Client, args: dict[str, Any]) -> dict[str, str]:
    """GET every URL pattern that can be built from ``args``: path → body.

    A page that fails (a 500) shows nothing, so it cannot leak; it is not this test's
    concern and does not stop the walk.
    """
    client.raise_request_exception = False
    seen: dict[str, str] = {}
    for pattern in url_patterns():
        try:
            path = build_path(pattern.route, args)
        except KeyError:
            continue  # needs an id this session has no part in
        if path in seen or path.startswith(("/django-admin/", "/accounts/")):
            continue
        if path.startswith("/api/"):
            response = client.get(path, HTTP_ACCEPT="application/json")
        else:
            response = client.get(path, follow=True)
        seen[path] = _body(response)
    return seen


def test_no_page_or_api_response_shows_a_client_the_private_note(world: World) -> None:
    args = _session_with_everything(world)
    as_client = _walk(signed_in(world.avi), args)
    session_paths = [path for path in as_client if f"/{args['session_id']}/" in path + "/"]
    assert len(session_paths) >= 8, session_paths
    leaks = [path for path, body in as_client.items() if MARKER in body]
    assert not leaks, f"The private note reached the client at {leaks}"
    # The client did see what is theirs (the walk really read the session's pages).
    assert any("Shared summary" in body for body in as_client.values())
    assert any("Homework" in body for body in as_client.values())
    # And the same walk as the coach does find the note: the check can fail.
    as_coach = _walk(signed_in(world.dana), args)
    assert any(MARKER in body for body in as_coach.values())


def test_emails_and_outbox_never_carry_the_private_note(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    args = _session_with_everything(world)
    session: Session = args["session"]
    with django_capture_on_commit_callbacks(execute=True):
        session_complete(actor=world.dana, session=session)
    other = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=other, body=MARKER)
    with django_capture_on_commit_callbacks(execute=True):
        session_cancel(actor=world.dana, session=other, reason="Sorry")
    texts = [str(message.payload) + message.recipient for message in OutboxMessage.objects.all()]
    for message in mail.outbox:
        texts.append(str(message.subject) + str(message.body))
        texts += [str(content) for content, _type in getattr(message, "alternatives", [])]
    # The follow-up after a session (the reminders helper's) is rendered when it comes
    # due; send it now, as its deliverer would.
    sent_before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        notice_send(reminder_emails.followup_notice(session, world.avi))
    assert len(mail.outbox) == sent_before + 1
    followup = mail.outbox[-1]
    texts.append(str(followup.subject) + str(followup.body))
    texts += [str(content) for content, _type in getattr(followup, "alternatives", [])]
    assert texts, "no email was queued at all; the check would prove nothing"
    assert any("Shared summary" in text for text in texts)  # the follow-up was rendered
    assert not [text for text in texts if MARKER in text]


@pytest.mark.postgres
def test_client_reads_no_private_note_under_row_level_security(app_role: str, world: World) -> None:
    args = _session_with_everything(world)
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM scheduling_sessionprivatenote") == [0]
        # What is his to read is there.
        assert rows(cursor, "SELECT count(*) FROM scheduling_sessionsummary") == [1]
        assert rows(cursor, "SELECT count(*) FROM scheduling_actionitem") == [1]
        cursor.execute("UPDATE scheduling_sessionprivatenote SET body = 'x'")
        assert cursor.rowcount == 0
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM scheduling_sessionprivatenote") == [1]
    with raw_as(world.eli.pk) as cursor:
        assert rows(cursor, "SELECT count(*) FROM scheduling_sessionprivatenote") == [0]
        assert rows(cursor, "SELECT count(*) FROM scheduling_actionitem") == [0]
        assert rows(cursor, "SELECT count(*) FROM scheduling_sessionattachment") == [0]
    assert SessionPrivateNote.objects.filter(session_id=args["session_id"]).exists()


@pytest.mark.postgres
def test_notes_flow_works_as_the_application_role(
    app_role: str, transactional_db: None, settings: Any
) -> None:
    """The real services and selectors, run as the application role with RLS in force."""
    from loom.core.context import acting_as
    from loom.scheduling.note_selectors import (
        get_session_for_party,
        notes_panel_for,
        open_action_items_for,
        private_note_for,
    )
    from tests.scheduling.notes_support import group
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    session = one_to_one(world.dana, world.avi)
    seats = group(world.dana, [world.avi, world.noa])
    with application_connections(APP_ROLE):
        with acting_as(world.dana.pk):
            services.private_note_save(actor=world.dana, session=session, body=MARKER)
            services.summary_save(actor=world.dana, session=session, body="S", share=True)
            (item,) = services.action_item_create(actor=world.dana, session=session, title="T")
            group_items = services.action_item_create(actor=world.dana, session=seats, title="G")
            assert len(group_items) == 2
            assert private_note_for(world.dana, session) == MARKER
        with acting_as(world.avi.pk):
            mine = get_session_for_party(world.avi, session.pk)
            services.action_item_set_done(actor=world.avi, session=mine, item_id=item.pk, done=True)
            services.reflection_save(actor=world.avi, session=mine, body="R")
            services.attachment_add(
                actor=world.avi, session=mine, upload=upload("a.pdf", pdf_bytes())
            )
            panel = notes_panel_for(world.avi, mine)
            assert panel.private_note == "" and panel.summary is not None
            assert not SessionPrivateNote.objects.exists()
            assert [i.title for i in open_action_items_for(world.avi)] == ["G"]
            in_group = get_session_for_party(world.avi, seats.pk)
            services.reflection_save(actor=world.avi, session=in_group, body="group R")
            assert len(notes_panel_for(world.avi, in_group).action_items) == 1
        with acting_as(world.noa.pk), pytest.raises(Http404):
            get_session_for_party(world.noa, session.pk)
        with acting_as(world.dana.pk):
            panel = notes_panel_for(world.dana, session)
            assert panel.private_note == MARKER
            assert [r.reflection for r in panel.reflections] == ["R"]
            assert len(panel.attachments) == 1
            assert {r.reflection for r in notes_panel_for(world.dana, seats).reflections} == {
                "group R"
            }
