"""The link in every scheduling email: /sessions/<id>/?v=<sequence>, and what it says later."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
import time_machine
from django.urls import reverse

from loom.accounts.models import User
from loom.scheduling.models import BookingMode, Session
from loom.scheduling.services import (
    session_approve,
    session_book,
    session_cancel,
    session_decline,
    session_reschedule,
)
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.scheduling.told import Told, emails_to
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)
WEDNESDAY_10 = utc(2026, 6, 3, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def dana(world: World, clock: Any) -> World:
    hours(world.dana, "09:00", "17:00", days=range(5))
    return world


def _book(world: World, **fields: Any) -> Session:
    return session_book(
        actor=fields.pop("actor", world.avi),
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana, **fields),
        starts_at=TUESDAY_10,
    )


def _emails_to(user: User) -> list[Told]:
    return emails_to(user)


def _link_path(message: Told) -> str:
    """The session link in an email's text, as a path with its query."""
    [line] = [line for line in message.payload["text"].splitlines() if "/sessions/" in line]
    url = urlsplit(line.strip())
    return f"{url.path}?{url.query}"


def _follow(user: User, path: str) -> Any:
    return signed_in(user).get(path)


# --- The emails ----------------------------------------------------------------------------


def test_every_email_links_to_the_session_with_its_sequence_and_meeting_url(
    dana: World, settings: Any
) -> None:
    session = _book(dana)
    for user in (dana.avi, dana.dana):
        [message] = _emails_to(user)
        expected = f"{settings.LOOM_BASE_URL}/sessions/{session.pk}/?v={session.sequence}"
        assert expected in message.payload["text"]
        assert f'href="{expected.replace("&", "&amp;")}"' in message.payload["html"]
        assert "/home/" not in message.payload["text"]
        # The meeting link is in the text, the HTML and the calendar file.
        assert session.meeting_url in message.payload["text"]
        assert f'href="{session.meeting_url}"' in message.payload["html"]
        [attachment] = message.payload["attachments"]
        calendar = icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))
        [event] = calendar.walk("VEVENT")
        assert str(event["LOCATION"]) == session.meeting_url
        assert str(event["URL"]) == session.meeting_url
        assert session.meeting_url in str(event["DESCRIPTION"])


def test_cancellation_email_has_no_meeting_link(dana: World) -> None:
    session = _book(dana)
    session_cancel(actor=dana.dana, session=session, reason="Ill")
    cancelled = _emails_to(dana.avi)[-1]
    assert session.meeting_url not in cancelled.payload["text"]
    assert session.meeting_url not in cancelled.payload["html"]
    assert f"/sessions/{session.pk}/?v=1" in cancelled.payload["text"]


# --- The link, later ------------------------------------------------------------------------


def test_current_link_redirects_each_party_to_their_own_session_page(dana: World) -> None:
    session = _book(dana)
    path = _link_path(_emails_to(dana.avi)[0])
    response = _follow(dana.avi, path)
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_client:detail", args=[session.pk])
    response = _follow(dana.dana, _link_path(_emails_to(dana.dana)[0]))
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_coach:detail", args=[session.pk])
    # No version, or a bad one: just the session page.
    for query in ("", "?v=", "?v=abc", "?v=-1", "?v=99999999999999999999"):
        response = _follow(dana.avi, f"/sessions/{session.pk}/{query}")
        assert response.status_code == 302, query


def test_old_link_after_a_reschedule_says_where_the_session_moved(dana: World) -> None:
    session = _book(dana)
    old_path = _link_path(_emails_to(dana.avi)[0])
    session_reschedule(actor=dana.dana, session=session, starts_at=WEDNESDAY_10, reason="")
    response = _follow(dana.avi, old_path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "This session moved to" in html
    # Avi is in Jerusalem: 17:00 on Wednesday, with Dana's New York time alongside.
    assert "Wednesday, June 3, 2026" in html
    assert "(Asia/Jerusalem)" in html
    assert "(America/New_York)" in html
    assert reverse("scheduling_client:detail", args=[session.pk]) in html
    assert "no-store" in response["Cache-Control"]
    # The email about the move links to the current session page.
    new_path = _link_path(_emails_to(dana.avi)[-1])
    assert new_path.endswith("?v=1")
    assert _follow(dana.avi, new_path).status_code == 302


def test_approval_alone_is_not_a_move(dana: World) -> None:
    session = _book(dana, booking_mode=BookingMode.REQUEST)
    request_path = _link_path(_emails_to(dana.avi)[0])
    session_approve(actor=dana.dana, session=session)
    assert _follow(dana.avi, request_path).status_code == 302
    session_reschedule(actor=dana.dana, session=session, starts_at=WEDNESDAY_10)
    # Sent at 0; approved (1), then moved (2): the old link now reports the move.
    assert "This session moved to" in _follow(dana.avi, request_path).content.decode()
    approved_path = f"/sessions/{session.pk}/?v=1"
    assert "This session moved to" in _follow(dana.avi, approved_path).content.decode()


def test_link_to_a_cancelled_session_offers_to_book_again(dana: World) -> None:
    session = _book(dana)
    path = _link_path(_emails_to(dana.avi)[0])
    session_cancel(actor=dana.avi, session=session, reason="")
    for user, book_url in (
        (dana.avi, reverse("scheduling_client:book") + f"?type={session.session_type_id}"),
        (dana.dana, reverse("scheduling_coach:book") + f"?client={dana.avi.pk}"),
    ):
        response = _follow(user, path)
        assert response.status_code == 200
        html = response.content.decode()
        assert "This session was cancelled" in html
        assert f'href="{book_url.replace("&", "&amp;")}"' in html


def test_link_to_a_declined_request_offers_to_book_again(dana: World) -> None:
    session = _book(dana, booking_mode=BookingMode.REQUEST)
    session_decline(actor=dana.dana, session=session, reason="Fully booked")
    response = _follow(dana.avi, f"/sessions/{session.pk}/?v=0")
    assert "This session was cancelled" in response.content.decode()


def test_link_is_a_404_for_anyone_but_the_parties(dana: World) -> None:
    session = _book(dana)
    for outsider in (dana.eli, dana.maya, dana.noa, dana.admin):
        assert _follow(outsider, f"/sessions/{session.pk}/?v=0").status_code == 404
    assert _follow(dana.avi, "/sessions/2000000000/?v=0").status_code == 404
    response = signed_in(dana.avi).post(f"/sessions/{session.pk}/")
    assert response.status_code == 405


def test_link_asks_a_signed_out_visitor_to_sign_in_and_come_back(dana: World) -> None:
    from django.test import Client

    session = _book(dana)
    response = Client().get(f"/sessions/{session.pk}/?v=0")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert f"/sessions/{session.pk}/" in response["Location"]


def test_moved_page_in_hebrew_is_right_to_left(dana: World) -> None:
    session = session_book(
        actor=dana.noa,
        coach=dana.dana,
        client=dana.noa,
        session_type=session_type(dana.dana),
        starts_at=TUESDAY_10,
    )
    session_reschedule(actor=dana.dana, session=session, starts_at=WEDNESDAY_10)
    response = _follow(dana.noa, f"/sessions/{session.pk}/?v=0")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'lang="he" dir="rtl"' in html
    assert "17:00" in html  # Jerusalem time, 24-hour clock


def _group(world: World) -> Session:
    from loom.scheduling.models import SessionSeat, SessionType

    kind = SessionType.objects.create(
        coach=world.dana, name_en="Circle", duration_minutes=60, capacity=6
    )
    group = Session.objects.create(
        coach=world.dana,
        client=None,
        capacity=6,
        session_type=kind,
        starts_at=TUESDAY_10,
        ends_at=WEDNESDAY_10,
        coach_timezone=world.dana.timezone,
        meeting_url="https://meet.jit.si/Loom-grouproomxxxxxxxxxxxxx",
    )
    SessionSeat.objects.create(session=group, client=world.avi)
    SessionSeat.objects.create(
        session=group, client=world.noa, status="cancelled", cancelled_at=NOW
    )
    return group


def test_group_link_sends_seat_holders_to_the_group_page(dana: World) -> None:
    group = _group(dana)
    response = _follow(dana.avi, f"/sessions/{group.pk}/?v=0")
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_groups:client_detail", args=[group.pk])
    response = _follow(dana.dana, f"/sessions/{group.pk}/?v=0")
    assert response["Location"] == reverse("scheduling_coach:detail", args=[group.pk])
    # Noa gave up her seat: the link says so (in English, which she reads here) and
    # points to the other groups.
    dana.noa.language = "en"
    dana.noa.save(update_fields=["language"])
    response = _follow(dana.noa, f"/sessions/{group.pk}/?v=0")
    assert response.status_code == 200
    html = response.content.decode()
    assert "You no longer have a seat in this session." in html
    assert reverse("scheduling_groups:client_list") in html
    # Maya (another coach's client) has nothing to do with it.
    assert _follow(dana.maya, f"/sessions/{group.pk}/?v=0").status_code == 404


def test_group_panel_shows_the_room_to_seat_holders_only(dana: World) -> None:
    from django.template import Context, Template
    from django.test import RequestFactory

    group = _group(dana)

    def panel(user: User) -> str:
        request = RequestFactory().get("/")
        request.user = user
        template = Template("{% load session_calendar %}{% session_calendar_links session %}")
        return template.render(Context({"request": request, "session": group}))

    assert group.meeting_url in panel(dana.avi)
    assert group.meeting_url in panel(dana.dana)
    assert group.meeting_url not in panel(dana.noa)
    assert "Add to calendar" not in panel(dana.noa)
    assert panel(dana.maya).strip() == ""


def test_group_link_counts_seat_changes_after_a_move(dana: World) -> None:
    from loom.scheduling.models import SessionEvent

    group = _group(dana)
    # Dana moved the session (sequence 1), then Avi took his seat (sequence 2).
    SessionEvent.objects.create(
        session=group,
        actor=dana.dana,
        occurred_at=NOW,
        kind="rescheduled",
        old_starts_at=TUESDAY_10,
        new_starts_at=TUESDAY_10,
    )
    SessionEvent.objects.create(
        session=group, actor=dana.avi, occurred_at=NOW + timedelta(minutes=1), kind="seat_taken"
    )
    Session.objects.filter(pk=group.pk).update(sequence=2)
    for seen, moved in ((0, True), (1, False), (2, False)):
        response = _follow(dana.avi, f"/sessions/{group.pk}/?v={seen}")
        assert (response.status_code == 200) is moved, seen
        if moved:
            assert "This session moved to" in response.content.decode()
