"""Adversarial review: foreign ids, replays and the calendar feed token.

Each test acts as the wrong person (another coach, another client, another
attendee) or replays a request, and checks both the answer (404/409) and that
nothing was written.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
import time_machine
from django.test import Client

from loom.accounts.models import CoachClient, User
from loom.notifications.models import Notification
from loom.scheduling import group_services
from loom.scheduling import note_services as notes
from loom.scheduling.calendar_feed import (
    calendar_feed_create,
    calendar_feed_replace,
    calendar_feed_revoke,
)
from loom.scheduling.models import (
    ActionItem,
    AvailabilityOverride,
    OverrideKind,
    SeatStatus,
    Session,
    SessionSeat,
    SessionType,
    WaitlistEntry,
    WaitlistStatus,
)
from loom.scheduling.services import availability_override_add, session_book
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
SLOT = utc(2026, 6, 2, 14, 0)
LATER = utc(2026, 6, 3, 14, 0)
API = "/api/v1/scheduling"


@dataclass
class G:
    world: World
    kind: SessionType
    group: Session
    gil: User


@pytest.fixture
def g(world: World) -> Iterator[G]:
    with time_machine.travel(NOW, tick=False):
        hours(world.dana, days=range(5))
        hours(world.eli, days=range(5))
        kind = session_type(world.dana, name_en="Circle", capacity=2)
        group = group_services.group_session_create(
            actor=world.dana, session_type=kind, starts_at=SLOT
        )
        gil = ClientFactory(full_name="Gil Third", email="gil@example.com")
        CoachClient.objects.create(coach=world.dana, client=gil)
        yield G(world=world, kind=kind, group=group, gil=gil)


def post(client: Client, path: str, body: Any = None) -> Any:
    return client.post(path, {} if body is None else body, content_type="application/json")


# --- Setup objects of another coach --------------------------------------------------------


def test_another_coachs_type_and_override_are_404_and_unchanged(g: G) -> None:
    w = g.world
    override = availability_override_add(
        coach=w.dana,
        day=date(2026, 6, 10),
        kind=OverrideKind.UNAVAILABLE_DAY,
        start_time=None,
        end_time=None,
    )
    eli = signed_in(w.eli)
    base = f"/coach/scheduling/types/{g.kind.pk}"
    assert eli.get(f"{base}/").status_code == 404
    assert eli.post(f"{base}/", {"name_en": "Hacked", "duration_minutes": 30}).status_code == 404
    assert eli.post(f"{base}/deactivate/").status_code == 404
    assert (
        eli.post(f"/coach/scheduling/availability/overrides/{override.pk}/remove/").status_code
        == 404
    )
    assert (
        eli.put(
            f"{API}/session-types/{g.kind.pk}",
            {"name_en": "Hacked", "duration_minutes": 30},
            content_type="application/json",
        ).status_code
        == 404
    )
    assert post(eli, f"{API}/session-types/{g.kind.pk}/deactivate").status_code == 404
    assert eli.delete(f"{API}/availability/overrides/{override.pk}").status_code == 404
    g.kind.refresh_from_db()
    assert g.kind.name_en == "Circle" and g.kind.is_active
    assert AvailabilityOverride.objects.filter(pk=override.pk).exists()


# --- Groups: another coach's client, another attendee's seat, replays ----------------------


def test_another_coachs_client_cannot_reach_or_join_a_group(g: G) -> None:
    maya = signed_in(g.world.maya)
    assert maya.get(f"/client/groups/{g.group.pk}/").status_code == 404
    assert maya.post(f"/client/groups/{g.group.pk}/seat/").status_code == 404
    assert post(maya, f"{API}/groups/{g.group.pk}/seat").status_code == 404
    assert maya.get(f"{API}/groups/{g.group.pk}").status_code == 404
    assert not SessionSeat.objects.exists()


def test_an_attendee_cannot_release_another_attendees_seat(g: G) -> None:
    w = g.world
    seat = group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    group_services.seat_take(actor=w.noa, session=g.group, now=NOW)
    noa = signed_in(w.noa)
    assert noa.post(f"/client/groups/seats/{seat.pk}/release/").status_code == 404
    assert post(noa, f"{API}/groups/seats/{seat.pk}/release").status_code == 404
    seat.refresh_from_db()
    assert seat.status == SeatStatus.TAKEN


def test_taking_a_seat_twice_keeps_one_seat(g: G) -> None:
    w = g.world
    avi = signed_in(w.avi)
    assert post(avi, f"{API}/groups/{g.group.pk}/seat").status_code == 201
    assert post(avi, f"{API}/groups/{g.group.pk}/seat").status_code == 409
    assert avi.post(f"/client/groups/{g.group.pk}/seat/").status_code in (302, 400, 409)
    assert SessionSeat.objects.filter(client=w.avi).count() == 1
    g.group.refresh_from_db()
    assert g.group.sequence == 1


def test_accepting_an_offer_twice_keeps_one_seat(g: G) -> None:
    w = g.world
    seat = group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    group_services.seat_take(actor=w.noa, session=g.group, now=NOW)
    group_services.waitlist_join(actor=g.gil, session=g.group, now=NOW)
    group_services.seat_release(actor=w.avi, seat=seat, now=NOW)
    gil = signed_in(g.gil)
    assert post(gil, f"{API}/groups/{g.group.pk}/waitlist/accept").status_code == 201
    assert post(gil, f"{API}/groups/{g.group.pk}/waitlist/accept").status_code in (404, 409)
    assert SessionSeat.objects.filter(client=g.gil, status=SeatStatus.TAKEN).count() == 1
    assert WaitlistEntry.objects.get(client=g.gil).status == WaitlistStatus.ACCEPTED


def test_an_offer_cannot_be_accepted_by_someone_else(g: G) -> None:
    w = g.world
    seat = group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    group_services.seat_take(actor=w.noa, session=g.group, now=NOW)
    group_services.waitlist_join(actor=g.gil, session=g.group, now=NOW)
    group_services.seat_release(actor=w.avi, seat=seat, now=NOW)
    # Avi gave up the seat; the offer is Gil's, so Avi may not take it back.
    avi = signed_in(w.avi)
    assert post(avi, f"{API}/groups/{g.group.pk}/waitlist/accept").status_code in (404, 409)
    assert post(avi, f"{API}/groups/{g.group.pk}/seat").status_code == 409
    assert SessionSeat.objects.filter(session=g.group, status=SeatStatus.TAKEN).count() == 1


def test_an_attendee_cannot_touch_another_attendees_action_item(g: G) -> None:
    w = g.world
    group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    group_services.seat_take(actor=w.noa, session=g.group, now=NOW)
    items = notes.action_item_create(
        actor=w.dana, session=g.group, title="Homework", client_ids=[w.avi.pk]
    )
    (item,) = items
    noa = signed_in(w.noa)
    base = f"{API}/sessions/{g.group.pk}/action-items"
    assert post(noa, f"{base}/{item.pk}/done", {"done": True}).status_code == 404
    assert noa.get(base).json() == []
    assert post(noa, f"/sessions/{g.group.pk}/notes/items/{item.pk}/done/").status_code == 404
    item.refresh_from_db()
    assert item.completed_at is None
    # The coach cannot aim an item at someone outside the session.
    response = post(signed_in(w.dana), base, {"title": "x", "client_ids": [w.maya.pk]})
    assert response.status_code == 422
    assert ActionItem.objects.count() == 1


def test_a_client_never_gets_the_private_note(g: G) -> None:
    w = g.world
    with time_machine.travel(NOW, tick=False):
        session = session_book(
            actor=w.avi,
            coach=w.dana,
            client=w.avi,
            session_type=session_type(w.dana),
            starts_at=LATER,
        )
    notes.private_note_save(actor=w.dana, session=session, body="SECRET-NOTE")
    avi = signed_in(w.avi)
    response = avi.get(f"{API}/sessions/{session.pk}/private-note")
    assert response.status_code == 403 and b"SECRET-NOTE" not in response.content
    response = avi.put(
        f"{API}/sessions/{session.pk}/private-note",
        {"body": "mine"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert signed_in(w.dana).get(f"{API}/sessions/{session.pk}/private-note").json() == {
        "body": "SECRET-NOTE"
    }


# --- Calendar feed token -------------------------------------------------------------------


def _token(url: str) -> str:
    return url.rsplit("/", 1)[-1].removesuffix(".ics")


def test_feed_tokens_revoked_replaced_or_malformed_are_404(g: G) -> None:
    w = g.world
    old = _token(calendar_feed_create(user=w.avi).url)
    anonymous = Client()
    assert anonymous.get(f"/calendar/feed/{old}.ics").status_code == 200
    new = _token(calendar_feed_replace(user=w.avi).url)
    assert anonymous.get(f"/calendar/feed/{old}.ics").status_code == 404
    assert anonymous.get(f"/calendar/feed/{new}.ics").status_code == 200
    for bad in (new[:-1], new + "A", new.upper(), "%00" + new[1:], "x" * 500, "..%2F..%2Fetc"):
        assert anonymous.get(f"/calendar/feed/{bad}.ics").status_code == 404, bad
    calendar_feed_revoke(user=w.avi)
    assert anonymous.get(f"/calendar/feed/{new}.ics").status_code == 404
    # The feed is no sign-in: the token opens nothing else.
    assert anonymous.get("/client/sessions/").status_code in (302, 403)


def test_feed_lists_only_the_owners_sessions_and_no_other_attendee(g: G) -> None:
    w = g.world
    group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    group_services.seat_take(actor=w.noa, session=g.group, now=NOW)
    with time_machine.travel(NOW, tick=False):
        session_book(
            actor=w.noa,
            coach=w.dana,
            client=w.noa,
            session_type=session_type(w.dana),
            starts_at=LATER,
        )
    token = _token(calendar_feed_create(user=w.avi).url)
    with time_machine.travel(NOW, tick=False):
        body = Client().get(f"/calendar/feed/{token}.ics").content.decode()
    assert body.count("BEGIN:VEVENT") == 1
    assert "Noa" not in body and "noa@example.com" not in body


# --- Notifications -------------------------------------------------------------------------


def test_another_persons_notification_cannot_be_marked_read(g: G) -> None:
    w = g.world
    notice = Notification.objects.create(user=w.avi, kind="x", title="Hi", source="probe:1")
    response = signed_in(w.noa).post(f"/notifications/{notice.pk}/read/")
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_coach_book_page_does_not_preselect_another_coachs_client(g: G) -> None:
    w = g.world
    response = signed_in(w.dana).get(f"/coach/sessions/new/?client={w.maya.pk}")
    assert response.status_code in (200, 404)
    assert "Maya" not in response.content.decode()


def test_hostile_override_times_do_not_crash(g: G) -> None:
    w = g.world
    dana = signed_in(w.dana)
    for body in (
        {"date": "2026-06-10", "kind": "extra", "start": "25:00", "end": "26:00"},
        {"date": "2026-06-10", "kind": "extra", "start": "17:00", "end": "09:00"},
        {"date": "2026-06-10", "kind": "nonsense"},
        {"date": "10000-01-01", "kind": "unavailable_day"},
    ):
        response = post(dana, f"{API}/availability/overrides", body)
        assert 400 <= response.status_code < 500, (body, response.content)
    assert not AvailabilityOverride.objects.exists()
    # The far ends of the calendar are stored (the API takes any date) but break nothing.
    for day in ("9999-12-31", "0001-01-01"):
        body = {"date": day, "kind": "extra", "start": "23:00", "end": "23:59"}
        assert post(dana, f"{API}/availability/overrides", body).status_code < 500
    with time_machine.travel(NOW, tick=False):
        one = session_type(w.dana)
        assert dana.get("/coach/scheduling/availability/").status_code == 200
        assert dana.get(f"{API}/session-types/{one.pk}/slots").status_code == 200
        assert dana.get("/coach/sessions/calendar/?week=9999-12-27").status_code == 200
        avi = signed_in(w.avi)
        assert avi.get(f"/client/sessions/book/?type={one.pk}&from=9999-12-31").status_code == 200


def test_an_expired_offer_goes_down_the_line_even_before_the_expiry_job(g: G) -> None:
    w = g.world
    tal = ClientFactory(full_name="Tal Fourth", email="tal@example.com")
    CoachClient.objects.create(coach=w.dana, client=tal)
    seat = group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    group_services.seat_take(actor=w.noa, session=g.group, now=NOW)
    group_services.waitlist_join(actor=g.gil, session=g.group, now=NOW)
    group_services.waitlist_join(actor=tal, session=g.group, now=NOW)
    group_services.seat_release(actor=w.avi, seat=seat, now=NOW)
    assert WaitlistEntry.objects.get(client=g.gil).status == WaitlistStatus.OFFERED
    later = utc(2026, 6, 2, 1, 0)  # Gil's offer ran out at midnight; no job has run
    with time_machine.travel(later, tick=False):
        # Avi, no longer waiting, cannot take the seat past Tal.
        assert post(signed_in(w.avi), f"{API}/groups/{g.group.pk}/seat").status_code == 409
        assert post(signed_in(tal), f"{API}/groups/{g.group.pk}/waitlist/accept").status_code == 201
        assert (
            post(signed_in(g.gil), f"{API}/groups/{g.group.pk}/waitlist/accept").status_code == 409
        )
    taken = SessionSeat.objects.filter(session=g.group, status=SeatStatus.TAKEN)
    assert sorted(taken.values_list("client__full_name", flat=True)) == ["Noa Peretz", "Tal Fourth"]


def test_a_summary_sent_without_share_stays_a_draft(g: G) -> None:
    w = g.world
    with time_machine.travel(NOW, tick=False):
        session = session_book(
            actor=w.avi,
            coach=w.dana,
            client=w.avi,
            session_type=session_type(w.dana),
            starts_at=LATER,
        )
    path = f"{API}/sessions/{session.pk}/summary"
    dana = signed_in(w.dana)
    response = dana.put(path, {"body": "DRAFT-THOUGHTS"}, content_type="application/json")
    assert response.status_code == 200 and response.json()["shared_at"] is None
    assert signed_in(w.avi).get(path).json() == {"body": "", "shared_at": None}


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https:evil.example",
        " //evil.example",
        "javascript:alert(1)",
        "http://testserver@evil.example/",
    ],
)
def test_next_never_leaves_the_site(g: G, target: str) -> None:
    from tests.scheduling.notes_support import one_to_one

    w = g.world
    session = one_to_one(w.dana, w.avi)
    avi = signed_in(w.avi)
    response = avi.post(
        f"/sessions/{session.pk}/notes/reflection/", {"refl-body": "Thoughts", "next": target}
    )
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/") and not location.startswith(("//", "/\\")), location
    dana = signed_in(w.dana)
    response = dana.post(
        f"/sessions/{session.pk}/notes/private/", {"private-body": "Mine", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"].startswith("/") and "evil" not in response["Location"]
    group_services.seat_take(actor=w.avi, session=g.group, now=NOW)
    seat = SessionSeat.objects.get(client=w.avi, session=g.group)
    with time_machine.travel(NOW, tick=False):
        response = avi.post(f"/client/groups/seats/{seat.pk}/release/", {"next": target})
    assert response.status_code == 302
    assert response["Location"].startswith("/") and "evil" not in response["Location"]


def test_a_client_cannot_use_coach_only_note_forms(g: G) -> None:
    from tests.scheduling.notes_support import one_to_one

    w = g.world
    session = one_to_one(w.dana, w.avi)
    (item,) = notes.action_item_create(actor=w.dana, session=session, title="Read")
    avi = signed_in(w.avi)
    base = f"/sessions/{session.pk}/notes"
    assert avi.post(f"{base}/private/", {"private-body": "x"}).status_code in (403, 404)
    assert avi.post(f"{base}/summary/", {"summary-body": "x", "action": "share"}).status_code in (
        403,
        404,
    )
    assert avi.get(f"{base}/items/{item.pk}/").status_code in (403, 404)
    assert avi.post(f"{base}/items/{item.pk}/", {"edit-title": "Mine"}).status_code in (403, 404)
    assert avi.post(f"{base}/items/{item.pk}/delete/").status_code in (403, 404)
    assert avi.post(f"{base}/items/", {"item-title": "Mine"}).status_code in (403, 404)
    item.refresh_from_db()
    assert item.title == "Read" and ActionItem.objects.count() == 1
    from loom.scheduling.models import SessionPrivateNote, SessionSummary

    assert not SessionPrivateNote.objects.exists() and not SessionSummary.objects.exists()


HUGE = "9" * 30


def test_huge_ids_are_404_not_500(g: G) -> None:
    w = g.world
    dana, avi = signed_in(w.dana), signed_in(w.avi)
    dana.raise_request_exception = avi.raise_request_exception = False
    for who, method, path in (
        (dana, "get", f"/coach/sessions/{HUGE}/"),
        (dana, "post", f"/coach/sessions/{HUGE}/approve/"),
        (dana, "get", f"/coach/scheduling/types/{HUGE}/"),
        (dana, "post", f"/coach/scheduling/availability/overrides/{HUGE}/remove/"),
        (avi, "get", f"/client/sessions/{HUGE}/"),
        (avi, "get", f"/client/groups/{HUGE}/"),
        (avi, "post", f"/client/groups/{HUGE}/seat/"),
        (avi, "post", f"/client/groups/seats/{HUGE}/release/"),
        (avi, "get", f"/sessions/{HUGE}/"),
        (avi, "get", f"/sessions/{HUGE}/calendar.ics"),
        (avi, "get", f"/sessions/{HUGE}/notes/"),
        (avi, "get", f"/sessions/{g.group.pk}/notes/files/{HUGE}/"),
        (avi, "post", f"/notifications/{HUGE}/read/"),
        (avi, "get", f"{API}/sessions/{HUGE}"),
        (avi, "get", f"{API}/groups/{HUGE}"),
        (avi, "post", f"{API}/groups/seats/{HUGE}/release"),
        (avi, "get", f"{API}/sessions/{HUGE}/summary"),
        (dana, "delete", f"{API}/availability/overrides/{HUGE}"),
        (dana, "post", f"{API}/session-types/{HUGE}/deactivate"),
    ):
        response = getattr(who, method)(path)
        assert response.status_code in (400, 404, 422), (path, response.status_code)
