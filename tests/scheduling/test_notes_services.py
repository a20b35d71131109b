"""Notes services and selectors: who may write what, bad input, what each party reads."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from loom.core.errors import DomainError, Forbidden, NotFound
from loom.scheduling import note_services as services
from loom.scheduling.models import (
    ActionItem,
    ClientSessionReflection,
    SessionAttachment,
    SessionPrivateNote,
    SessionSeat,
    SessionSummary,
)
from loom.scheduling.note_selectors import (
    action_items_for,
    get_session_for_party,
    notes_panel_for,
    open_action_items_for,
    private_note_for,
    summaries_for,
)
from tests.scheduling.notes_support import MARKER, group, one_to_one, pdf_bytes, upload
from tests.world import World


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


# --- Private note --------------------------------------------------------------------------


def test_coach_saves_and_replaces_the_private_note(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body="first")
    services.private_note_save(actor=world.dana, session=session, body=f"  {MARKER}\r\nline 2 ")
    assert SessionPrivateNote.objects.count() == 1
    assert private_note_for(world.dana, session) == f"{MARKER}\nline 2"


def test_client_cannot_write_or_read_the_private_note(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body=MARKER)
    with pytest.raises(Forbidden):
        services.private_note_save(actor=world.avi, session=session, body="mine")
    assert private_note_for(world.avi, session) == ""
    assert notes_panel_for(world.avi, session).private_note == ""


def test_private_note_is_encrypted_at_rest(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.private_note_save(actor=world.dana, session=session, body=MARKER)
    services.summary_save(actor=world.dana, session=session, body=MARKER + "S", share=True)
    services.reflection_save(actor=world.avi, session=session, body=MARKER + "R")
    services.action_item_create(
        actor=world.dana, session=session, title="Walk", details=MARKER + "D"
    )
    with connection.cursor() as cursor:
        for table, column in (
            ("scheduling_sessionprivatenote", "body"),
            ("scheduling_sessionsummary", "body"),
            ("scheduling_clientsessionreflection", "reflection"),
            ("scheduling_actionitem", "details"),
        ):
            cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608
            (raw,) = cursor.fetchone()
            assert MARKER not in str(raw), table
            assert raw, table


def test_private_note_length_and_control_characters(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(ValidationError) as caught:
        services.private_note_save(
            actor=world.dana, session=session, body="x" * (services.PRIVATE_NOTE_MAX + 1)
        )
    assert caught.value.error_dict["body"][0].code == "max_length"
    with pytest.raises(ValidationError):
        services.private_note_save(actor=world.dana, session=session, body="a\x00b")
    with pytest.raises(ValidationError):
        services.private_note_save(actor=world.dana, session=session, body=["not", "text"])
    services.private_note_save(
        actor=world.dana, session=session, body="x" * services.PRIVATE_NOTE_MAX
    )


def test_another_coach_cannot_touch_the_session(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(Http404):
        get_session_for_party(world.eli, session.pk)
    with pytest.raises(Http404):
        get_session_for_party(world.maya, session.pk)
    with pytest.raises(Http404):
        get_session_for_party(world.admin, session.pk)
    with pytest.raises(Forbidden):
        services.private_note_save(actor=world.eli, session=session, body="x")
    with pytest.raises(Http404):
        notes_panel_for(world.noa, session)


# --- Summary -------------------------------------------------------------------------------


def test_summary_draft_then_shared_and_stays_shared(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    services.summary_save(actor=world.dana, session=session, body="draft", share=False)
    assert summaries_for(world.avi, [session.pk]) == {}
    assert summaries_for(world.dana, [session.pk]) == {session.pk: "draft"}
    first = services.summary_save(actor=world.dana, session=session, body="v1", share=True)
    assert first.shared_at is not None
    later = services.summary_save(actor=world.dana, session=session, body="v2", share=False)
    assert later.shared_at == first.shared_at
    assert summaries_for(world.avi, [session.pk, "junk", None]) == {session.pk: "v2"}
    assert summaries_for(world.noa, [session.pk]) == {}


def test_client_writing_a_summary_is_refused(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(Forbidden):
        services.summary_save(actor=world.avi, session=session, body="mine", share=True)
    assert not SessionSummary.objects.exists()


def test_sharing_an_empty_summary_is_refused(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(ValidationError):
        services.summary_save(actor=world.dana, session=session, body="   ", share=True)


def test_summary_of_a_cancelled_session_is_refused(world: World) -> None:
    session = one_to_one(world.dana, world.avi, status="cancelled")
    with pytest.raises(DomainError) as caught:
        services.summary_save(actor=world.dana, session=session, body="x", share=True)
    assert caught.value.code == "session_closed"


def test_summaries_for_is_one_query(world: World, django_assert_num_queries: Any) -> None:
    sessions = [one_to_one(world.dana, world.avi) for _ in range(4)]
    for session in sessions:
        services.summary_save(actor=world.dana, session=session, body="s", share=True)
    with django_assert_num_queries(1):
        assert len(summaries_for(world.avi, [s.pk for s in sessions])) == 4


# --- Action items --------------------------------------------------------------------------


def test_action_items_lifecycle(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    (item,) = services.action_item_create(
        actor=world.dana, session=session, title="Journal daily", due_on=timezone.localdate()
    )
    assert item.client == world.avi
    services.action_item_update(
        actor=world.dana, session=session, item_id=item.pk, title="Journal", details="5 min"
    )
    item.refresh_from_db()
    assert (item.title, item.details, item.due_on) == ("Journal", "5 min", None)
    services.action_item_set_done(actor=world.avi, session=session, item_id=item.pk, done=True)
    item.refresh_from_db()
    assert item.completed_at is not None
    services.action_item_set_done(actor=world.avi, session=session, item_id=item.pk, done=False)
    item.refresh_from_db()
    assert item.completed_at is None
    services.action_item_delete(actor=world.dana, session=session, item_id=item.pk)
    assert not ActionItem.objects.exists()


def test_action_item_bad_input(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    day_before = services.session_local_date(session) - timedelta(days=1)
    cases: list[dict[str, Any]] = [
        {"title": ""},
        {"title": "x" * 201},
        {"title": "two\nlines"},
        {"title": "ok", "details": "d" * (services.DETAILS_MAX + 1)},
        {"title": "ok", "due_on": day_before},
        {"title": "ok", "due_on": "2026-13-40"},
        {"title": "ok", "due_on": date(9999, 1, 1)},
        {"title": "ok", "client_ids": [world.noa.pk]},
        {"title": "ok", "client_ids": ["abc"]},
    ]
    for case in cases:
        with pytest.raises(ValidationError):
            services.action_item_create(actor=world.dana, session=session, **case)
    assert not ActionItem.objects.exists()


def test_client_cannot_create_edit_or_delete_items(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    (item,) = services.action_item_create(actor=world.dana, session=session, title="T")
    with pytest.raises(Forbidden):
        services.action_item_create(actor=world.avi, session=session, title="Mine")
    with pytest.raises(Forbidden):
        services.action_item_update(actor=world.avi, session=session, item_id=item.pk, title="X")
    with pytest.raises(Forbidden):
        services.action_item_delete(actor=world.avi, session=session, item_id=item.pk)
    # The coach cannot tick it off for the client.
    with pytest.raises(NotFound):
        services.action_item_set_done(actor=world.dana, session=session, item_id=item.pk, done=True)


def test_foreign_item_ids_are_not_found(world: World) -> None:
    mine = one_to_one(world.dana, world.avi)
    other = one_to_one(world.dana, world.noa)
    (foreign,) = services.action_item_create(actor=world.dana, session=other, title="Noa's")
    with pytest.raises(NotFound):
        services.action_item_update(actor=world.dana, session=mine, item_id=foreign.pk, title="X")
    with pytest.raises(NotFound):
        services.action_item_set_done(actor=world.avi, session=mine, item_id=foreign.pk, done=True)
    with pytest.raises(NotFound):
        services.action_item_delete(actor=world.dana, session=mine, item_id="x")


def test_group_items_go_to_each_seat_holder_or_the_chosen_ones(world: World) -> None:
    session = group(world.dana, [world.avi, world.noa])
    items = services.action_item_create(actor=world.dana, session=session, title="Everyone")
    assert {item.client_id for item in items} == {world.avi.pk, world.noa.pk}
    (only,) = services.action_item_create(
        actor=world.dana, session=session, title="Avi only", client_ids=[world.avi.pk]
    )
    assert only.client == world.avi
    assert [i.title for i in action_items_for(world.noa, [session.pk])[session.pk]] == ["Everyone"]
    assert len(action_items_for(world.dana, [session.pk])[session.pk]) == 3
    # Noa cannot tick Avi's item.
    with pytest.raises(NotFound):
        services.action_item_set_done(actor=world.noa, session=session, item_id=only.pk, done=True)


def test_open_action_items_due_soonest_then_undated(
    world: World, django_assert_num_queries: Any
) -> None:
    session = one_to_one(world.dana, world.avi)
    today = services.session_local_date(session)
    make = services.action_item_create
    make(actor=world.dana, session=session, title="undated")
    make(actor=world.dana, session=session, title="later", due_on=today + timedelta(days=9))
    make(actor=world.dana, session=session, title="soon", due_on=today + timedelta(days=1))
    (done,) = make(actor=world.dana, session=session, title="done", due_on=today)
    services.action_item_set_done(actor=world.avi, session=session, item_id=done.pk, done=True)
    with django_assert_num_queries(1):
        items = open_action_items_for(world.avi)
        titles = [(i.title, i.session.pk, i.coach.display_name) for i in items]
    assert [t[0] for t in titles] == ["soon", "later", "undated"]
    assert open_action_items_for(world.avi, limit=1)[0].title == "soon"
    assert open_action_items_for(world.noa) == []


def test_action_items_for_is_one_query(world: World, django_assert_num_queries: Any) -> None:
    sessions = [one_to_one(world.dana, world.avi) for _ in range(3)]
    for session in sessions:
        services.action_item_create(actor=world.dana, session=session, title="a")
    with django_assert_num_queries(1):
        found = action_items_for(world.avi, [s.pk for s in sessions])
        names = [item.client.display_name for items in found.values() for item in items]
    assert len(names) == 3


# --- Preparation and reflection ------------------------------------------------------------


def test_preparation_until_start_reflection_after(world: World) -> None:
    future = one_to_one(world.dana, world.avi, starts_at=timezone.now() + timedelta(days=1))
    services.preparation_save(actor=world.avi, session=future, body="Talk about work")
    with pytest.raises(DomainError) as caught:
        services.reflection_save(actor=world.avi, session=future, body="too early")
    assert caught.value.code == "reflection_not_open"
    past = one_to_one(world.dana, world.avi)
    with pytest.raises(DomainError) as caught:
        services.preparation_save(actor=world.avi, session=past, body="too late")
    assert caught.value.code == "preparation_closed"
    services.reflection_save(actor=world.avi, session=past, body="Learned a lot")
    assert ClientSessionReflection.objects.get(session=past).reflection == "Learned a lot"


def test_coach_writing_a_reflection_is_refused(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(Forbidden):
        services.reflection_save(actor=world.dana, session=session, body="x")
    future = one_to_one(world.dana, world.avi, starts_at=timezone.now() + timedelta(days=1))
    with pytest.raises(Forbidden):
        services.preparation_save(actor=world.dana, session=future, body="x")
    with pytest.raises(ValidationError):
        services.preparation_save(
            actor=world.avi, session=future, body="x" * (services.PREPARATION_MAX + 1)
        )


def test_coach_reads_every_attendees_reflection_client_only_their_own(world: World) -> None:
    session = group(world.dana, [world.avi, world.noa])
    services.reflection_save(actor=world.avi, session=session, body="avi")
    services.reflection_save(actor=world.noa, session=session, body="noa")
    assert {r.reflection for r in notes_panel_for(world.dana, session).reflections} == {
        "avi",
        "noa",
    }
    panel = notes_panel_for(world.avi, session)
    assert [r.reflection for r in panel.reflections] == ["avi"]
    assert panel.own_reflection is not None


# --- Attachments ---------------------------------------------------------------------------


def test_parties_add_files_uploader_removes(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    session = one_to_one(world.dana, world.avi)
    mine = services.attachment_add(
        actor=world.avi, session=session, upload=upload("plan\u202e.pdf", pdf_bytes())
    )
    assert (mine.original_name, mine.content_type) == ("plan.pdf", "application/pdf")
    assert str(mine.file.name).startswith(f"sessions/{session.pk}/")
    assert "plan" not in str(mine.file.name)
    path = Path(mine.file.path)
    assert path.read_bytes() == pdf_bytes()
    with pytest.raises(Forbidden):
        services.attachment_delete(actor=world.dana, session=session, attachment_id=mine.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.attachment_delete(actor=world.avi, session=session, attachment_id=mine.pk)
    assert not SessionAttachment.objects.exists()
    assert not path.exists()


def test_hostile_upload_stores_nothing(world: World, tmp_path: Any) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(ValidationError) as caught:
        services.attachment_add(
            actor=world.avi, session=session, upload=upload("invoice.pdf", b"MZ" + b"\x00" * 99)
        )
    assert "file" in caught.value.error_dict
    assert not SessionAttachment.objects.exists()
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_non_party_and_closed_sessions_take_no_files(world: World) -> None:
    session = one_to_one(world.dana, world.avi)
    with pytest.raises(Forbidden):
        services.attachment_add(
            actor=world.noa, session=session, upload=upload("a.pdf", pdf_bytes())
        )
    closed = one_to_one(world.dana, world.avi, status="declined")
    with pytest.raises(DomainError):
        services.attachment_add(
            actor=world.avi, session=closed, upload=upload("a.pdf", pdf_bytes())
        )


def test_file_count_per_session_is_bounded(world: World, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "ATTACHMENTS_PER_SESSION_MAX", 2)
    session = one_to_one(world.dana, world.avi)
    for _ in range(2):
        services.attachment_add(
            actor=world.avi, session=session, upload=upload("a.pdf", pdf_bytes())
        )
    with pytest.raises(DomainError) as caught:
        services.attachment_add(
            actor=world.avi, session=session, upload=upload("a.pdf", pdf_bytes())
        )
    assert caught.value.code == "too_many_files"
    assert SessionAttachment.objects.count() == 2


def test_released_seat_ends_access_to_the_sessions_notes(world: World) -> None:
    session = group(world.dana, [world.avi, world.noa])
    services.summary_save(actor=world.dana, session=session, body="For the group", share=True)
    assert summaries_for(world.noa, [session.pk]) == {session.pk: "For the group"}
    SessionSeat.objects.filter(session=session, client=world.noa).update(status="cancelled")
    assert summaries_for(world.noa, [session.pk]) == {}
    with pytest.raises(Http404):
        get_session_for_party(world.noa, session.pk)
    with pytest.raises(Forbidden):
        services.reflection_save(actor=world.noa, session=session, body="x")
