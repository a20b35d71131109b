"""The coach's session-type pages: list, create, edit, deactivate and reactivate."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.scheduling.forms_setup import contrast_ratio, readable_text_colour
from loom.scheduling.models import BookingMode, LocationKind, SessionType
from tests.conftest import signed_in
from tests.scheduling.support import session_type
from tests.world import World

pytestmark = pytest.mark.django_db

LIST = "/coach/scheduling/types/"
NEW = "/coach/scheduling/types/new/"


def _edit(type_id: int) -> str:
    return f"/coach/scheduling/types/{type_id}/"


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "name_en": "Deep dive",
        "name_he": "צלילה לעומק",
        "description_en": "Ninety minutes on one question.",
        "description_he": "תשעים דקות על שאלה אחת.",
        "duration_minutes": "90",
        "price": "150.00",
        "currency": "ils",
        "location_kind": "in_person",
        "address": "12 Herzl St, Tel Aviv",
        "buffer_before_minutes": "10",
        "buffer_after_minutes": "15",
        "notice_hours": "26",
        "notice_minutes": "30",
        "booking_horizon_days": "30",
        "max_sessions_per_day": "4",
        "max_sessions_per_week": "12",
        "booking_mode": "request",
        "capacity": "6",
        "colour": "#FACC15",
    }
    data.update(overrides)
    return data


def test_creating_a_session_type_with_every_field(world: World) -> None:
    response = signed_in(world.dana).post(NEW, _form())
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_setup:types")
    created = SessionType.objects.get(coach=world.dana)
    assert (created.name_en, created.name_he) == ("Deep dive", "צלילה לעומק")
    assert created.description_he == "תשעים דקות על שאלה אחת."
    assert created.duration_minutes == 90
    assert (created.price, created.currency) == (Decimal("150.00"), "ILS")
    assert (created.location_kind, created.address) == (
        LocationKind.IN_PERSON,
        "12 Herzl St, Tel Aviv",
    )
    assert (created.buffer_before_minutes, created.buffer_after_minutes) == (10, 15)
    assert created.minimum_notice_minutes == 26 * 60 + 30
    assert created.booking_horizon_days == 30
    assert (created.max_sessions_per_day, created.max_sessions_per_week) == (4, 12)
    assert created.booking_mode == BookingMode.REQUEST
    assert created.capacity == 6
    assert created.colour == "#facc15"
    assert created.is_active


def test_the_new_type_form_marks_hebrew_inputs_and_uses_a_colour_input(world: World) -> None:
    html = signed_in(world.dana).get(NEW).content.decode()
    assert 'name="name_he"' in html
    for name in ("name_he", "description_he"):
        tag = html[html.index(f'name="{name}"') - 200 : html.index(f'name="{name}"') + 200]
        assert 'dir="rtl"' in tag and 'lang="he"' in tag
    assert 'type="color"' in html


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name_en": "x" * 121}, "name_en"),
        ({"name_he": "א" * 121}, "name_he"),
        ({"name_en": ""}, "name_en"),
        ({"duration_minutes": "14"}, "duration_minutes"),
        ({"duration_minutes": "481"}, "duration_minutes"),
        ({"duration_minutes": "sixty"}, "duration_minutes"),
        ({"address": ""}, "address"),
        ({"address": "x" * 301}, "address"),
        ({"price": "-1"}, "price"),
        ({"price": "1e400"}, "price"),
        ({"currency": "US"}, "currency"),
        ({"currency": "U$D"}, "currency"),
        ({"buffer_before_minutes": "241"}, "buffer_before_minutes"),
        ({"notice_minutes": "60"}, "notice_minutes"),
        ({"notice_hours": "1440", "notice_minutes": "1"}, "notice_hours"),
        ({"booking_horizon_days": "0"}, "booking_horizon_days"),
        ({"booking_horizon_days": "366"}, "booking_horizon_days"),
        ({"max_sessions_per_day": "0"}, "max_sessions_per_day"),
        ({"booking_mode": "auction"}, "booking_mode"),
        ({"location_kind": "moon"}, "location_kind"),
        ({"capacity": "0"}, "capacity"),
        ({"capacity": "101"}, "capacity"),
        ({"colour": "red"}, "colour"),
        ({"colour": "#12345g"}, "colour"),
        ({"name_en": "Bad\x00name"}, "name_en"),
    ],
)
def test_bad_session_type_input_is_refused_and_nothing_is_created(
    world: World, overrides: dict[str, str], field: str
) -> None:
    response = signed_in(world.dana).post(NEW, _form(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not SessionType.objects.exists()


def test_video_sessions_need_no_address_and_keep_none(world: World) -> None:
    response = signed_in(world.dana).post(
        NEW, _form(location_kind="video", address="ignored street")
    )
    assert response.status_code == 302
    assert SessionType.objects.get().address == ""


def test_editing_a_session_type(world: World) -> None:
    kind = session_type(world.dana, name_en="Intro", minimum_notice_minutes=125)
    client = signed_in(world.dana)
    page = client.get(_edit(kind.pk))
    assert page.status_code == 200
    initial = page.context["form"].initial
    assert (initial["notice_hours"], initial["notice_minutes"]) == (2, 5)
    response = client.post(_edit(kind.pk), _form(name_en="Intro call", capacity="1"))
    assert response.status_code == 302
    kind.refresh_from_db()
    assert (kind.name_en, kind.capacity, kind.duration_minutes) == ("Intro call", 1, 90)


def test_bad_edit_changes_nothing(world: World) -> None:
    kind = session_type(world.dana, name_en="Intro")
    response = signed_in(world.dana).post(_edit(kind.pk), _form(duration_minutes="481"))
    assert response.status_code == 400
    kind.refresh_from_db()
    assert (kind.name_en, kind.duration_minutes) == ("Intro", 60)


def test_another_coachs_type_is_not_found(world: World) -> None:
    elis = session_type(world.eli, name_en="Eli's session")
    client = signed_in(world.dana)
    assert client.get(_edit(elis.pk)).status_code == 404
    assert client.post(_edit(elis.pk), _form()).status_code == 404
    assert client.post(f"{_edit(elis.pk)}deactivate/").status_code == 404
    assert client.post(f"{_edit(elis.pk)}reactivate/").status_code == 404
    assert client.get(_edit(999_999)).status_code == 404
    elis.refresh_from_db()
    assert (elis.name_en, elis.is_active) == ("Eli's session", True)


def test_deactivate_and_reactivate(world: World) -> None:
    kind = session_type(world.dana)
    client = signed_in(world.dana)
    assert client.post(f"{_edit(kind.pk)}deactivate/").status_code == 302
    kind.refresh_from_db()
    assert not kind.is_active
    html = client.get(LIST).content.decode()
    assert "Inactive" in html and "Reactivate" in html
    assert client.post(f"{_edit(kind.pk)}reactivate/").status_code == 302
    kind.refresh_from_db()
    assert kind.is_active
    assert client.get(f"{_edit(kind.pk)}deactivate/").status_code == 405


def test_list_shows_each_type_and_none_of_another_coachs(world: World) -> None:
    session_type(world.dana, name_en="Group circle", capacity=8, price=Decimal("40"))
    session_type(world.dana, name_en="One to one", colour="#1d4ed8")
    session_type(world.eli, name_en="Eli only")
    html = signed_in(world.dana).get(LIST).content.decode()
    assert "Group circle" in html and "One to one" in html and "Eli only" not in html
    assert "8 seats" in html and "One-to-one" in html
    assert 'fill="#1d4ed8"' in html


def test_list_has_an_empty_state(world: World) -> None:
    html = signed_in(world.dana).get(LIST).content.decode()
    assert "No session types yet" in html


def test_list_query_count_does_not_grow_with_types(world: World) -> None:
    client = signed_in(world.dana)
    session_type(world.dana, name_en="First")
    client.get(LIST)  # warm caches (sessions, the user) before counting
    with CaptureQueriesContext(connection) as few:
        assert client.get(LIST).status_code == 200
    for number in range(8):
        session_type(world.dana, name_en=f"Type {number}")
    with CaptureQueriesContext(connection) as many:
        assert client.get(LIST).status_code == 200
    assert len(many) == len(few)


@pytest.mark.parametrize("path", [LIST, NEW])
def test_type_pages_in_hebrew(world: World, path: str) -> None:
    session_type(world.eli, name_en="Session", name_he="פגישה")
    response = signed_in(world.eli).get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="he" dir="rtl">' in html
    if path == LIST:
        assert "פגישה" in html


def test_type_pages_are_for_coaches(world: World) -> None:
    response = signed_in(world.avi).get(LIST)
    assert response.status_code == 302
    assert response["Location"] != LIST


@pytest.mark.parametrize(
    "colour",
    ["#ffffff", "#000000", "#2563eb", "#facc15", "#ea580c", "#22c55e", "#7c3aed", "#777777"],
)
def test_text_on_a_type_colour_is_readable(colour: str) -> None:
    text = readable_text_colour(colour)
    assert contrast_ratio(colour, text) >= 4.5


def test_text_is_readable_on_every_grey() -> None:
    # Greys sweep the whole luminance range, where black and white are closest.
    for level in range(256):
        colour = f"#{level:02x}{level:02x}{level:02x}"
        assert contrast_ratio(colour, readable_text_colour(colour)) >= 4.5, colour
