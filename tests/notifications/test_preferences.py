"""The preferences page: the matrix per role, quiet hours, summaries, saved through services."""

from __future__ import annotations

from datetime import time

import pytest

from loom.notifications.models import ChannelChoice, NotificationSettings
from loom.notifications.preferences import preferences_for
from loom.scheduling.models import ReminderPreferences
from tests.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db


def test_the_matrix_shows_the_kinds_of_the_persons_role_with_labelled_cells(world: World) -> None:
    client_html = signed_in(world.avi).get("/account/notifications/").content.decode()
    coach_html = signed_in(world.dana).get("/account/notifications/").content.decode()
    assert "Email for Session booked" in client_html
    assert "Push for New message" in client_html
    assert "Email for Resource shared with you" in client_html
    assert "Invitation accepted" not in client_html
    assert "Email for Invitation accepted" in coach_html
    assert "Resource shared with you" not in coach_html
    # Text messages are offered for reminders only.
    assert 'name="session_reminder__sms"' in client_html
    assert 'name="session_booked__sms"' not in client_html
    # Defaults are shown checked.
    booked_email = client_html[client_html.index('name="session_booked__email"') :][:120]
    assert "checked" in booked_email
    assert 'href="/messages/settings/"' in client_html


def test_saving_the_matrix_stores_only_what_differs_and_reminders_with_scheduling(
    world: World,
) -> None:
    browser = signed_in(world.avi)
    form = browser.get("/account/notifications/").context["form"]
    data = {name: "on" for name, value in form.initial.items() if value is True}
    data.pop("session_booked__email")
    data.pop("session_reminder__email")
    data["message_new__push"] = ""
    data.update(
        {
            "quiet_start": "21:30",
            "quiet_end": "06:45",
            "messages_digest": "daily",
            "activity_digest": "hourly",
            "daily_digest_hour": "18",
        }
    )
    data = {key: value for key, value in data.items() if value}
    response = browser.post("/account/notifications/", data)
    assert response.status_code == 302
    assert set(
        ChannelChoice.objects.filter(user=world.avi).values_list("kind", "channel", "enabled")
    ) == {("session_booked", "email", False), ("message_new", "push", False)}
    reminders = ReminderPreferences.objects.get(user=world.avi)
    assert not reminders.email_reminders
    assert (reminders.quiet_start, reminders.quiet_end) == (time(21, 30), time(6, 45))
    digest = NotificationSettings.objects.get(user=world.avi)
    assert (digest.messages_digest, digest.activity_digest, digest.daily_digest_hour) == (
        "daily",
        "hourly",
        18,
    )
    prefs = preferences_for(world.avi)
    assert not prefs.enabled("session_booked", "email")
    assert not prefs.enabled("session_reminder", "email")
    assert prefs.enabled("session_cancelled", "email")
    # Turning a cell back to its default removes the row.
    data["session_booked__email"] = "on"
    browser.post("/account/notifications/", data)
    assert not ChannelChoice.objects.filter(user=world.avi, kind="session_booked").exists()


def test_an_unknown_summary_frequency_is_a_field_error(world: World) -> None:
    response = signed_in(world.avi).post(
        "/account/notifications/", {"messages_digest": "weekly", "daily_digest_hour": "99"}
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "messages_digest" in errors and "daily_digest_hour" in errors
    assert not NotificationSettings.objects.exists()


def test_preferences_page_reads_with_a_fixed_number_of_queries(
    world: World, django_assert_max_num_queries: object
) -> None:
    browser = signed_in(world.avi)
    browser.get("/account/notifications/")
    with django_assert_max_num_queries(14):  # type: ignore[operator]
        assert browser.get("/account/notifications/").status_code == 200
