"""Booking settings: the service's reminder offsets and meeting link, the page, the API."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from loom.core.audit import AuditLog
from loom.core.errors import Forbidden
from loom.scheduling.models import CoachSchedulingSettings
from loom.scheduling.services import scheduling_settings_update
from tests.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db

URL = "/coach/scheduling/settings/"
API = "/api/v1/scheduling/settings"


def _row(world: World) -> CoachSchedulingSettings:
    return CoachSchedulingSettings.objects.get(coach=world.dana)


# --- The service ------------------------------------------------------------------------


def test_reminder_offsets_are_stored_largest_first(world: World) -> None:
    row = scheduling_settings_update(coach=world.dana, reminder_offsets_minutes=[60, 2880, 15])
    assert row.reminder_offsets_minutes == [2880, 60, 15]
    assert _row(world).reminder_offsets_minutes == [2880, 60, 15]


def test_an_empty_list_turns_reminders_off(world: World) -> None:
    scheduling_settings_update(coach=world.dana, reminder_offsets_minutes=[])
    assert _row(world).reminder_offsets_minutes == []


@pytest.mark.parametrize(
    ("offsets", "message"),
    [
        ([1440, 60, 30, 15], "at most 3 reminders"),
        ([60, 60], "different time"),
        ([4], "from 5 to 20160"),
        ([60 * 24 * 14 + 1], "from 5 to 20160"),
        ([True], "from 5 to 20160"),
        (["60"], "from 5 to 20160"),
        ("60", "Choose when reminders go out"),
    ],
)
def test_bad_reminder_offsets_are_refused_and_nothing_changes(
    world: World, offsets: Any, message: str
) -> None:
    scheduling_settings_update(coach=world.dana, cancellation_cutoff_hours=12)
    with pytest.raises(ValidationError) as caught:
        scheduling_settings_update(
            coach=world.dana, cancellation_cutoff_hours=48, reminder_offsets_minutes=offsets
        )
    assert message in caught.value.message_dict["reminder_offsets_minutes"][0]
    row = _row(world)
    assert row.cancellation_cutoff_hours == 12
    assert row.reminder_offsets_minutes == [1440, 60]


@pytest.mark.parametrize(
    "url",
    [
        "http://meet.example.com/dana",
        "javascript:alert(1)",
        "https://",
        "https://exa mple.com/room",
        "ftp://example.com/room",
        "https://example.com/" + "a" * 490,
    ],
)
def test_a_meeting_link_must_be_https_and_short(world: World, url: str) -> None:
    with pytest.raises(ValidationError) as caught:
        scheduling_settings_update(coach=world.dana, own_meeting_url=url)
    assert "own_meeting_url" in caught.value.error_dict
    assert not CoachSchedulingSettings.objects.filter(coach=world.dana).exists()


def test_a_meeting_link_is_kept_and_can_be_cleared(world: World) -> None:
    scheduling_settings_update(coach=world.dana, own_meeting_url="  https://zoom.us/j/123  ")
    assert _row(world).own_meeting_url == "https://zoom.us/j/123"
    scheduling_settings_update(coach=world.dana, own_meeting_url="")
    assert _row(world).own_meeting_url == ""


def test_only_the_values_given_change_and_the_change_is_audited(world: World) -> None:
    scheduling_settings_update(
        coach=world.dana,
        cancellation_cutoff_hours=6,
        reminder_offsets_minutes=[30],
        own_meeting_url="https://meet.example.com/dana",
    )
    scheduling_settings_update(coach=world.dana, cancellation_cutoff_hours=8)
    row = _row(world)
    assert (row.cancellation_cutoff_hours, row.reminder_offsets_minutes, row.own_meeting_url) == (
        8,
        [30],
        "https://meet.example.com/dana",
    )
    assert AuditLog.objects.filter(action="scheduling.settings_updated").count() == 2


def test_only_a_coach_changes_scheduling_settings(world: World) -> None:
    with pytest.raises(Forbidden):
        scheduling_settings_update(coach=world.avi, reminder_offsets_minutes=[60])


# --- The page ---------------------------------------------------------------------------


def _form(**overrides: Any) -> dict[str, Any]:
    data = {
        "cancellation_cutoff_hours": "24",
        "reminder_1_amount": "1",
        "reminder_1_unit": "days",
        "reminder_2_amount": "1",
        "reminder_2_unit": "hours",
        "reminder_3_amount": "",
        "reminder_3_unit": "minutes",
        "own_meeting_url": "",
    }
    data.update(overrides)
    return data


def test_settings_page_shows_the_defaults_and_explains_the_policy(world: World) -> None:
    response = signed_in(world.dana).get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="cancellation_cutoff_hours"' in html and 'value="24"' in html
    # 24 h and 1 h before, shown as "1 days" and "1 hours".
    assert response.context["form"].initial["reminder_1_unit"] == "days"
    assert response.context["form"].initial["reminder_2_unit"] == "hours"
    assert "late cancellation" in html
    assert "Changes you make yourself are never late" in html


def test_settings_page_in_hebrew(world: World) -> None:
    response = signed_in(world.eli).get(URL)
    assert response.status_code == 200
    assert '<html lang="he" dir="rtl">' in response.content.decode()


def test_saving_the_settings_form(world: World) -> None:
    response = signed_in(world.dana).post(
        URL,
        _form(
            cancellation_cutoff_hours="12",
            reminder_1_amount="2",
            reminder_1_unit="days",
            reminder_2_amount="",
            reminder_3_amount="30",
            reminder_3_unit="minutes",
            own_meeting_url="https://meet.example.com/dana",
        ),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("scheduling_setup:settings")
    row = _row(world)
    assert row.cancellation_cutoff_hours == 12
    assert row.reminder_offsets_minutes == [2880, 30]
    assert row.own_meeting_url == "https://meet.example.com/dana"


def test_no_reminders_at_all(world: World) -> None:
    response = signed_in(world.dana).post(
        URL, _form(reminder_1_amount="", reminder_2_amount="", reminder_3_amount="")
    )
    assert response.status_code == 302
    assert _row(world).reminder_offsets_minutes == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"reminder_2_amount": "24", "reminder_2_unit": "hours"}, "reminder_2_amount"),
        ({"reminder_3_amount": "2", "reminder_3_unit": "minutes"}, "reminder_3_amount"),
        ({"reminder_1_amount": "15", "reminder_1_unit": "days"}, "reminder_1_amount"),
        ({"reminder_1_amount": "-1"}, "reminder_1_amount"),
        ({"reminder_1_unit": "weeks"}, "reminder_1_unit"),
        ({"cancellation_cutoff_hours": "337"}, "cancellation_cutoff_hours"),
        ({"cancellation_cutoff_hours": ""}, "cancellation_cutoff_hours"),
        ({"own_meeting_url": "http://meet.example.com/dana"}, "own_meeting_url"),
        ({"own_meeting_url": "https://example.com/" + "a" * 500}, "own_meeting_url"),
    ],
)
def test_bad_settings_are_refused_and_nothing_is_saved(
    world: World, overrides: dict[str, str], field: str
) -> None:
    response = signed_in(world.dana).post(URL, _form(**overrides))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert 'aria-invalid="true"' in response.content.decode()
    assert not CoachSchedulingSettings.objects.filter(coach=world.dana).exists()


# --- The API ----------------------------------------------------------------------------


def test_api_reads_the_defaults_then_replaces_the_settings(world: World) -> None:
    client = signed_in(world.dana)
    assert client.get(API).json() == {
        "cancellation_cutoff_hours": 24,
        "reminder_offsets_minutes": [1440, 60],
        "own_meeting_url": "",
    }
    body = {
        "cancellation_cutoff_hours": 2,
        "reminder_offsets_minutes": [10, 120],
        "own_meeting_url": "https://zoom.us/j/1",
    }
    response = client.put(API, body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {**body, "reminder_offsets_minutes": [120, 10]}
    assert client.get(API).json()["reminder_offsets_minutes"] == [120, 10]


@pytest.mark.parametrize(
    "body",
    [
        {"cancellation_cutoff_hours": 24, "reminder_offsets_minutes": [60, 60]},
        {"cancellation_cutoff_hours": 24, "reminder_offsets_minutes": [1, 2, 3, 4]},
        {"cancellation_cutoff_hours": 24, "reminder_offsets_minutes": [1]},
        {"cancellation_cutoff_hours": -1, "reminder_offsets_minutes": []},
        {
            "cancellation_cutoff_hours": 24,
            "reminder_offsets_minutes": [],
            "own_meeting_url": "http://x.example.com",
        },
        {"reminder_offsets_minutes": []},
        {"cancellation_cutoff_hours": 24, "reminder_offsets_minutes": "60"},
    ],
)
def test_api_refuses_bad_settings_with_a_problem(world: World, body: dict[str, Any]) -> None:
    response = signed_in(world.dana).put(API, body, content_type="application/json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"].startswith("application/problem+json")
    assert not CoachSchedulingSettings.objects.filter(coach=world.dana).exists()


def test_api_settings_are_for_coaches(world: World) -> None:
    client = signed_in(world.avi)
    assert client.get(API).status_code == 403
    body = {"cancellation_cutoff_hours": 1, "reminder_offsets_minutes": []}
    assert client.put(API, body, content_type="application/json").status_code == 403
