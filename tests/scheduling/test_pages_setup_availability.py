"""The availability page: weekly hours, date changes and the slot preview."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, time
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loom.scheduling.models import AvailabilityOverride, WeeklyAvailability
from loom.scheduling.services import availability_override_add
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

pytestmark = pytest.mark.django_db

URL = "/coach/scheduling/availability/"
OVERRIDES = "/coach/scheduling/availability/overrides/"
# Monday 2026-06-01, 08:00 in New York (Dana's zone).
NOW = utc(2026, 6, 1, 12, 0)


@pytest.fixture
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _week(**days: list[tuple[str, str]]) -> dict[str, list[str]]:
    """POST data: ``day0=[("09:00", "12:00")]`` → ``day0-start``/``day0-end`` lists."""
    data: dict[str, list[str]] = {}
    for key, rows in days.items():
        data[f"{key}-start"] = [start for start, _end in rows]
        data[f"{key}-end"] = [end for _start, end in rows]
    return data


def _saved(world: World) -> list[tuple[int, time, time]]:
    return list(
        WeeklyAvailability.objects.filter(coach=world.dana)
        .order_by("weekday", "start_time")
        .values_list("weekday", "start_time", "end_time")
    )


# --- Weekly hours -------------------------------------------------------------------------


def test_page_shows_the_coachs_zone_and_a_link_to_change_it(world: World, frozen: None) -> None:
    response = signed_in(world.dana).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "America/New_York" in html
    assert 'href="/account/"' in html
    # Without JavaScript: seven days of real time inputs, with empty rows to type into.
    assert html.count('type="time"') >= 7 * 3 * 2
    assert html.count('name="day0-start"') == 3


def test_saved_hours_fill_the_rows(world: World, frozen: None) -> None:
    hours(world.dana, "09:00", "12:00", days=[0])
    html = signed_in(world.dana).get(URL).content.decode()
    assert 'name="day0-start" id="day0-start-1" value="09:00"' in html
    assert 'name="day0-end" id="day0-end-1" value="12:00"' in html


def test_saving_several_ranges_a_day(world: World, frozen: None) -> None:
    hours(world.dana, "08:00", "20:00", days=[6])
    data = _week(
        day0=[("09:00", "12:00"), ("13:00", "17:00"), ("", "")],
        day2=[("", ""), ("10:00", "11:30")],
    )
    response = signed_in(world.dana).post(URL, data)
    assert response.status_code == 302
    assert _saved(world) == [
        (0, time(9), time(12)),
        (0, time(13), time(17)),
        (2, time(10), time(11, 30)),
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("09:00", "12:00"), ("11:00", "14:00")], "Two ranges on this day overlap."),
        ([("12:00", "09:00")], "Each range must end after it starts."),
        ([("09:00", "09:00")], "Each range must end after it starts."),
        ([("09:00", "")], "Enter both a start and an end time."),
        ([("9 o'clock", "12:00")], "Enter a time such as 09:00."),
        ([("25:00", "26:00")], "Enter a time such as 09:00."),
        ([("09:00+02:00", "12:00")], "Enter a time such as 09:00."),
    ],
)
def test_bad_hours_are_refused_and_nothing_is_written(
    world: World, frozen: None, rows: list[tuple[str, str]], message: str
) -> None:
    hours(world.dana, "09:00", "17:00", days=[1])
    before = _saved(world)
    response = signed_in(world.dana).post(URL, _week(day0=[("08:00", "09:00")], day3=rows))
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'role="alert"' in html
    assert _saved(world) == before


def test_overlap_shows_the_services_own_message(world: World, frozen: None) -> None:
    response = signed_in(world.dana).post(URL, _week(day4=[("09:00", "12:00"), ("11:00", "13:00")]))
    assert response.status_code == 400
    html = response.content.decode()
    # The service's refusal, and the day it concerns.
    assert "Two ranges on the same day overlap." in html
    assert "Two ranges on this day overlap." in html
    assert not WeeklyAvailability.objects.exists()


def test_too_many_rows_on_one_day_are_refused(world: World, frozen: None) -> None:
    rows = [(f"{h:02d}:00", f"{h:02d}:30") for h in range(25)]
    response = signed_in(world.dana).post(URL, _week(day0=rows))
    assert response.status_code == 400
    assert not WeeklyAvailability.objects.exists()


def test_copy_monday_to_weekdays_fills_the_form_without_saving(world: World, frozen: None) -> None:
    data = _week(day0=[("09:00", "12:00"), ("13:00", "17:00")], day5=[("10:00", "12:00")])
    response = signed_in(world.dana).post(URL, {**data, "action": "copy_monday"})
    assert response.status_code == 200
    weekly = response.context["weekly"]
    for day in weekly.days[:5]:
        filled = [(row.start, row.end) for row in day.rows if row.start]
        assert filled == [("09:00", "12:00"), ("13:00", "17:00")], day.weekday
    assert [(row.start, row.end) for row in weekly.days[5].rows if row.start] == [
        ("10:00", "12:00")
    ]
    assert not WeeklyAvailability.objects.exists()


def test_saving_keeps_the_chosen_preview(world: World, frozen: None) -> None:
    kind = session_type(world.dana)
    response = signed_in(world.dana).post(
        URL, {**_week(day0=[("09:00", "17:00")]), "preview_type": str(kind.pk)}
    )
    assert response.status_code == 302
    assert response["Location"] == f"{URL}?preview_type={kind.pk}"


# --- Date changes -------------------------------------------------------------------------


def _override(**fields: Any) -> dict[str, str]:
    data = {
        "override-date": "2026-06-10",
        "override-kind": "extra",
        "override-start_time": "18:00",
        "override-end_time": "20:00",
    }
    data.update({f"override-{name}": value for name, value in fields.items()})
    return data


def test_adding_each_kind_of_date_change(world: World, frozen: None) -> None:
    client = signed_in(world.dana)
    assert client.post(OVERRIDES, _override()).status_code == 302
    assert (
        client.post(
            OVERRIDES,
            _override(date="2026-06-11", kind="unavailable_day", start_time="", end_time=""),
        ).status_code
        == 302
    )
    assert (
        client.post(OVERRIDES, _override(date="2026-06-12", kind="unavailable_range")).status_code
        == 302
    )
    assert list(
        AvailabilityOverride.objects.order_by("date").values_list(
            "date", "kind", "start_time", "end_time"
        )
    ) == [
        (date(2026, 6, 10), "extra", time(18), time(20)),
        (date(2026, 6, 11), "unavailable_day", None, None),
        (date(2026, 6, 12), "unavailable_range", time(18), time(20)),
    ]
    html = client.get(URL).content.decode()
    assert "Extra hours" in html and "Unavailable all day" in html


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"kind": "unavailable_day"}, "start_time"),
        ({"kind": "unavailable_day", "start_time": "", "end_time": "20:00"}, "start_time"),
        ({"kind": "extra", "start_time": "", "end_time": ""}, "start_time"),
        ({"kind": "unavailable_range", "end_time": ""}, "end_time"),
        ({"start_time": "20:00", "end_time": "18:00"}, "end_time"),
        ({"date": "2026-05-31"}, "date"),
        ({"date": "2029-01-01"}, "date"),
        ({"date": "2026-02-30"}, "date"),
        ({"date": "99999-01-01"}, "date"),
        ({"kind": "holiday"}, "kind"),
        ({"start_time": "7pm"}, "start_time"),
    ],
)
def test_bad_date_changes_are_refused(
    world: World, frozen: None, fields: dict[str, str], field: str
) -> None:
    response = signed_in(world.dana).post(OVERRIDES, _override(**fields))
    assert response.status_code == 400
    assert response.context["override_form"].errors[field]
    assert not AvailabilityOverride.objects.exists()


def test_overlapping_extra_hours_on_one_date_are_refused(world: World, frozen: None) -> None:
    availability_override_add(
        coach=world.dana,
        day=date(2026, 6, 10),
        kind="extra",
        start_time=time(19),
        end_time=time(21),
    )
    response = signed_in(world.dana).post(OVERRIDES, _override())
    assert response.status_code == 400
    assert "overlap" in response.content.decode()
    assert AvailabilityOverride.objects.count() == 1


def test_removing_a_date_change(world: World, frozen: None) -> None:
    mine = availability_override_add(
        coach=world.dana, day=date(2026, 6, 10), kind="unavailable_day"
    )
    response = signed_in(world.dana).post(f"{OVERRIDES}{mine.pk}/remove/")
    assert response.status_code == 302
    assert not AvailabilityOverride.objects.exists()


def test_another_coachs_date_change_is_not_found(world: World, frozen: None) -> None:
    elis = availability_override_add(coach=world.eli, day=date(2026, 6, 10), kind="unavailable_day")
    client = signed_in(world.dana)
    assert client.post(f"{OVERRIDES}{elis.pk}/remove/").status_code == 404
    assert client.post(f"{OVERRIDES}999999/remove/").status_code == 404
    assert AvailabilityOverride.objects.filter(pk=elis.pk).exists()


def test_past_date_changes_are_not_listed(world: World, frozen: None) -> None:
    AvailabilityOverride.objects.create(
        coach=world.dana, date=date(2026, 5, 20), kind="unavailable_day"
    )
    AvailabilityOverride.objects.create(
        coach=world.dana, date=date(2026, 6, 3), kind="unavailable_day"
    )
    response = signed_in(world.dana).get(URL)
    assert [o.date for o in response.context["overrides"]] == [date(2026, 6, 3)]


# --- Slot preview -------------------------------------------------------------------------


def test_preview_shows_the_next_seven_days_in_the_coachs_zone(world: World, frozen: None) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    kind = session_type(world.dana, name_en="Hour")
    response = signed_in(world.dana).get(URL)
    preview = response.context["preview"]
    assert preview.session_type == kind
    assert [day.day for day in preview.days] == [date(2026, 6, d) for d in range(1, 8)]
    monday, tuesday = preview.days[0], preview.days[1]
    # 08:00 now plus 4 hours' notice: Monday's first time is 12:00, the last 16:00.
    assert (monday.slots[0].hour, monday.slots[0].minute) == (12, 0)
    assert (monday.slots[-1].hour, monday.slots[-1].minute) == (16, 0)
    assert (tuesday.slots[0].hour, tuesday.slots[0].minute) == (9, 0)
    assert str(tuesday.slots[0].tzinfo) == "America/New_York"
    assert preview.days[5].slots == [] and preview.days[6].slots == []
    html = response.content.decode()
    assert "09:00" in html and "No bookable times" in html


def test_preview_follows_a_date_change_and_another_type(world: World, frozen: None) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    session_type(world.dana, name_en="A first")
    longer = session_type(world.dana, name_en="B long", duration_minutes=240)
    availability_override_add(coach=world.dana, day=date(2026, 6, 2), kind="unavailable_day")
    response = signed_in(world.dana).get(URL, {"preview_type": longer.pk})
    preview = response.context["preview"]
    assert preview.session_type == longer
    assert preview.days[1].slots == []  # Tuesday is off
    wednesday = preview.days[2].slots
    assert (wednesday[0].hour, wednesday[-1].hour) == (9, 13)


def test_preview_of_another_coachs_type_is_not_found(world: World, frozen: None) -> None:
    elis = session_type(world.eli)
    client = signed_in(world.dana)
    assert client.get(URL, {"preview_type": elis.pk}).status_code == 404
    assert client.get(URL, {"preview_type": "nope"}).status_code == 404


def test_without_types_the_page_invites_to_add_one(world: World, frozen: None) -> None:
    html = signed_in(world.dana).get(URL).content.decode()
    assert "Add a session type to see the times clients could book." in html


def test_page_query_count_does_not_grow_with_hours_and_changes(world: World, frozen: None) -> None:
    session_type(world.dana)
    client = signed_in(world.dana)
    hours(world.dana, "09:00", "10:00", days=[0])
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    hours(world.dana, "09:00", "17:00", days=range(7))
    for day in range(10, 20):
        availability_override_add(coach=world.dana, day=date(2026, 6, day), kind="unavailable_day")
    with CaptureQueriesContext(connection) as many:
        client.get(URL)
    assert len(many) == len(few)


def test_availability_page_in_hebrew(world: World, frozen: None) -> None:
    hours(world.eli, "09:00", "17:00", days=range(5))
    session_type(world.eli, name_en="Session", name_he="פגישה")
    response = signed_in(world.eli).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="he" dir="rtl">' in html
    assert "Asia/Jerusalem" in html
    # Eli in Jerusalem (UTC+3): 15:00 now plus 4 hours' notice, first time 19:00 is past
    # his hours, so Monday is empty and Tuesday starts at 09:00.
    preview = response.context["preview"]
    assert preview.days[0].slots == []
    assert (preview.days[1].slots[0].hour, preview.days[1].slots[0].minute) == (9, 0)


def test_a_time_zone_that_no_longer_resolves_is_explained_not_a_crash(
    world: World, frozen: None
) -> None:
    session_type(world.dana)
    type(world.dana).objects.filter(pk=world.dana.pk).update(timezone="Mars/Olympus_Mons")
    client = signed_in(world.dana)
    response = client.get(URL)
    assert response.status_code == 200
    assert "time zone is not set correctly" in response.content.decode()
    assert response.context["preview"] is None
    added = client.post(OVERRIDES, _override(kind="unavailable_day", start_time="", end_time=""))
    assert added.status_code == 302
