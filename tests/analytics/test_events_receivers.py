"""Each receiver records its event once, for the person who acted, on create only — and
no event ever carries what anyone wrote."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client

from loom.analytics.events import _Pending
from loom.analytics.models import Event, EventName, NpsResponse
from loom.journal.services import entry_create, entry_update
from loom.journal.sharing import entry_share, entry_unshare
from loom.messaging.services import message_edit
from loom.resources.models import ShareSource
from loom.resources.progress_services import resource_view_record
from loom.resources.sharing_services import share_resources
from loom.scheduling.models import SessionEvent, SessionEventKind
from loom.scheduling.services import session_book, session_reschedule
from loom.wellbeing.checkins import checkin_record, checkin_update
from loom.wellbeing.goals import goal_create, goal_propose, goal_update
from tests.messaging.factories import send, talks
from tests.resources.factories import make_resource
from tests.scheduling.support import hours, session_type, utc
from tests.world import PASSWORD, World

pytestmark = pytest.mark.django_db

SECRET = "my-secret-words-7f3a"


def _commit_events() -> None:
    """Write the events waiting for a commit, as the commit would (the test's own
    transaction never commits); other on-commit work is left where it is."""
    pending = [item for item in connection.run_on_commit if isinstance(item[1], _Pending)]
    connection.run_on_commit = [
        item for item in connection.run_on_commit if not isinstance(item[1], _Pending)
    ]
    for _sids, func, _robust in pending:
        func()


def _recorded() -> Counter[tuple[int, str, str]]:
    _commit_events()
    return Counter(Event.objects.values_list("user_id", "role", "name"))


def test_sign_in_records_one_event(world: World) -> None:
    assert Client().login(email=world.avi.email, password=PASSWORD)
    assert _recorded() == {(world.avi.pk, "client", "sign_in"): 1}


def test_sign_in_through_the_allauth_form_records_one_event(world: World) -> None:
    response = Client().post("/accounts/login/", {"login": world.noa.email, "password": PASSWORD})
    assert response.status_code == 302
    assert _recorded()[(world.noa.pk, "client", "sign_in")] == 1
    assert sum(1 for key in _recorded() if key[2] == "sign_in") == 1


# --- Bookings ------------------------------------------------------------------------------


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(utc(2026, 6, 1, 12, 0), tick=False) as traveller:
        yield traveller


def test_booking_is_the_bookers(world: World, clock: Any) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    kind = session_type(world.dana)
    by_client = session_book(
        actor=world.avi,
        coach=world.dana,
        client=world.avi,
        session_type=kind,
        starts_at=utc(2026, 6, 2, 14, 0),
    )
    session_book(
        actor=world.dana,
        coach=world.dana,
        client=world.noa,
        session_type=kind,
        starts_at=utc(2026, 6, 3, 14, 0),
    )
    assert _recorded() == {
        (world.avi.pk, "client", "booking"): 1,
        (world.dana.pk, "coach", "booking"): 1,
    }
    # A change to the booking is not a new one.
    session_reschedule(actor=world.avi, session=by_client, starts_at=utc(2026, 6, 2, 16, 0))
    assert sum(_recorded().values()) == 2


def test_group_seat_taken_is_the_clients_booking(world: World, clock: Any) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    session = session_book(
        actor=world.dana,
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana),
        starts_at=utc(2026, 6, 2, 14, 0),
    )
    _commit_events()
    Event.objects.all().delete()
    # The history row the group services write when a seat is taken.
    SessionEvent.objects.create(
        session=session,
        actor_id=world.noa.pk,  # not loaded: the role comes from the user's row
        occurred_at=utc(2026, 6, 1, 12, 0),
        kind=SessionEventKind.SEAT_TAKEN,
    )
    SessionEvent.objects.create(
        session=session,
        actor=world.noa,
        occurred_at=utc(2026, 6, 1, 12, 0),
        kind=SessionEventKind.SEAT_RELEASED,
    )
    assert _recorded() == {(world.noa.pk, "client", "booking"): 1}


# --- Messages ------------------------------------------------------------------------------


def test_message_sent_once_and_not_on_edit(world: World) -> None:
    conversations = talks(world)
    message = send(world.avi, conversations.dana_avi, body=SECRET)
    send(world.dana, conversations.dana_avi, body="Reply")
    message_edit(user=world.avi, message_id=message.pk, body=f"{SECRET} edited")
    assert _recorded() == {
        (world.avi.pk, "client", "message_sent"): 1,
        (world.dana.pk, "coach", "message_sent"): 1,
    }


def test_replayed_message_records_nothing_more(world: World) -> None:
    conversation = talks(world).dana_avi
    client_id = uuid.uuid4()
    send(world.avi, conversation, body="Once", client_id=client_id)
    send(world.avi, conversation, body="Once", client_id=client_id)
    assert _recorded() == {(world.avi.pk, "client", "message_sent"): 1}


# --- Resources -----------------------------------------------------------------------------


def test_resource_uploaded_shared_and_opened(world: World) -> None:
    resource = make_resource(world.dana, title=SECRET)
    resource.title = "Renamed"
    resource.save()
    assert _recorded() == {(world.dana.pk, "coach", "resource_uploaded"): 1}

    # Sharing with every client writes a row per client: one action, one event.
    share_resources(coach=world.dana, resource_ids=[resource.pk], all_clients=True)
    # Sharing again changes nothing new.
    share_resources(coach=world.dana, resource_ids=[resource.pk], all_clients=True)
    assert _recorded()[(world.dana.pk, "coach", "resource_shared")] == 1

    resource_view_record(client=world.avi, resource=resource)
    resource_view_record(client=world.avi, resource=resource)  # a reload: the same opening
    assert _recorded()[(world.avi.pk, "client", "resource_opened")] == 1


def test_automatic_share_on_joining_is_not_the_coachs_action(world: World) -> None:
    resource = make_resource(world.dana)
    _commit_events()
    Event.objects.all().delete()
    share_resources(
        coach=world.dana,
        resource_ids=[resource.pk],
        client_ids=[world.avi.pk],
        source=ShareSource.AUTO,
    )
    assert not Event.objects.exists()


# --- Journal -------------------------------------------------------------------------------


def test_journal_entry_and_its_sharing(world: World) -> None:
    entry = entry_create(author=world.avi, title=SECRET, body=SECRET).entry
    entry_update(author=world.avi, entry_id=entry.pk, body=f"{SECRET} more")
    assert _recorded() == {(world.avi.pk, "client", "journal_entry"): 1}

    entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)  # a replay
    assert _recorded()[(world.avi.pk, "client", "journal_shared")] == 1
    entry_unshare(author=world.avi, entry_id=entry.pk)
    assert _recorded()[(world.avi.pk, "client", "journal_shared")] == 1
    entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    assert _recorded()[(world.avi.pk, "client", "journal_shared")] == 2


def test_sharing_a_freshly_loaded_entry_is_seen(world: World) -> None:
    from loom.journal.models import Entry

    entry = entry_create(author=world.avi, body="Hello").entry
    # Loaded without shared_at: the explicit write is the change.
    partial = Entry.objects.only("id", "author_id").get(pk=entry.pk)
    from django.utils import timezone

    partial.shared_with_id = world.dana.pk
    partial.shared_at = timezone.now()
    partial.save(update_fields=["shared_with", "shared_at"])
    assert _recorded()[(world.avi.pk, "client", "journal_shared")] == 1
    # A full save of the loaded, already shared entry is not a new share.
    full = Entry.objects.get(pk=entry.pk)
    full.save()
    assert _recorded()[(world.avi.pk, "client", "journal_shared")] == 1


# --- Wellbeing -----------------------------------------------------------------------------


def test_checkin_once_and_not_on_update(world: World) -> None:
    checkin = checkin_record(client=world.avi, pleasantness=6, energy=4, note=SECRET).checkin
    checkin_update(client=world.avi, checkin_id=checkin.pk, pleasantness=7)
    assert _recorded() == {(world.avi.pk, "client", "checkin"): 1}


def test_goal_created_by_the_client_not_a_coachs_proposal(world: World) -> None:
    goal = goal_create(client=world.avi, title=SECRET)
    goal_update(client=world.avi, goal_id=goal.pk, title=f"{SECRET} 2")
    goal_propose(coach=world.dana, client_id=world.noa.pk, title="Walk daily")
    assert _recorded() == {(world.avi.pk, "client", "goal_created"): 1}


# --- NPS -----------------------------------------------------------------------------------


def test_nps_answered_once_dismissal_records_nothing(world: World) -> None:
    from django.utils import timezone

    now = timezone.now()
    common = {"language": "en", "trigger": "monthly"}
    NpsResponse.objects.create(
        user=world.avi, role="client", period="2026-05", score=9, answered_at=now, **common
    )
    dismissed = NpsResponse.objects.create(
        user=world.dana, role="coach", period="2026-05", dismissed_at=now, **common
    )
    assert _recorded() == {(world.avi.pk, "client", "nps_answered"): 1}
    dismissed.comment = "later"
    dismissed.save()
    assert sum(_recorded().values()) == 1
    # Answered later (a dismissed survey answered after all): the moment it is set.
    dismissed.score = 3
    dismissed.answered_at = now
    dismissed.save(update_fields=["score", "answered_at"])
    assert _recorded()[(world.dana.pk, "coach", "nps_answered")] == 1


# --- Privacy -------------------------------------------------------------------------------


def test_no_event_holds_what_anyone_wrote(world: World, clock: Any) -> None:
    conversations = talks(world)
    send(world.avi, conversations.dana_avi, body=SECRET)
    entry = entry_create(author=world.avi, title=SECRET, body=SECRET).entry
    entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    checkin_record(client=world.avi, pleasantness=6, energy=4, note=SECRET, thoughts=SECRET)
    goal_create(client=world.avi, title=SECRET, why=SECRET)
    resource = make_resource(world.dana, title=SECRET, description=SECRET)
    share_resources(coach=world.dana, resource_ids=[resource.pk], all_clients=True)
    resource_view_record(client=world.avi, resource=resource)
    _commit_events()
    assert Event.objects.count() == 8
    ids = {str(pk) for pk in (entry.pk, resource.pk)}
    for row in Event.objects.values("user_id", "role", "name", "route", "occurred_at"):
        assert set(row) == {"user_id", "role", "name", "route", "occurred_at"}
        assert row["role"] in {"client", "coach"}
        assert row["name"] in EventName.values
        assert row["route"] == ""
        for value in row.values():
            assert SECRET not in str(value)
        assert row["route"] not in ids


def test_rows_loaded_from_fixtures_record_nothing(world: World) -> None:
    from django.db.models.signals import post_save

    from loom.wellbeing.models import CheckIn

    checkin = checkin_record(client=world.avi, pleasantness=6, energy=4).checkin
    _commit_events()
    Event.objects.all().delete()
    post_save.send(sender=CheckIn, instance=checkin, created=True, raw=True, update_fields=None)
    assert _recorded() == {}
