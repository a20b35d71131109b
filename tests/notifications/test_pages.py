"""The in-app notification list, the header's unread count, and the reminder choices page."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from loom.core.context import system_context
from loom.core.models import OutboxMessage
from loom.core.outbox import outbox_drain, outbox_enqueue
from loom.notifications.models import Notification
from loom.notifications.services import notification_create
from loom.scheduling.models import ReminderPreferences
from tests.conftest import signed_in
from tests.world import World

pytestmark = pytest.mark.django_db


def _notice(user: Any, index: int, **fields: Any) -> Notification:
    return notification_create(
        user_id=user.pk,
        kind="notice",
        title=f"Notice {index}",
        body=f"Body {index}",
        url=fields.pop("url", f"/sessions/{index}/"),
        source=f"test:{user.pk}:{index}",
    )


def test_list_shows_the_persons_own_notices_newest_first_with_unread_marked(
    world: World,
) -> None:
    first = _notice(world.avi, 1)
    Notification.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - timedelta(hours=1), read_at=timezone.now()
    )
    _notice(world.avi, 2)
    _notice(world.maya, 3)
    html = signed_in(world.avi).get("/notifications/").content.decode()
    assert html.index("Notice 2") < html.index("Notice 1")
    assert "Notice 3" not in html
    assert html.count("Unread") == 1
    assert 'href="/sessions/2/"' in html
    assert "1 unread notification" in html


def test_mark_all_read_and_mark_one_read(world: World) -> None:
    one = _notice(world.avi, 1)
    _notice(world.avi, 2)
    other = _notice(world.maya, 3)
    browser = signed_in(world.avi)
    response = browser.post(f"/notifications/{one.pk}/read/")
    assert response.status_code == 302
    one.refresh_from_db()
    assert one.read_at is not None
    assert browser.post(f"/notifications/{other.pk}/read/").status_code == 404
    assert browser.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(user=world.avi, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_header_shows_the_unread_count_and_drops_it_when_read(world: World) -> None:
    browser = signed_in(world.avi)
    html = browser.get("/notifications/").content.decode()
    assert "Notifications" in html and "nav-count" not in html
    _notice(world.avi, 1)
    _notice(world.avi, 2)
    html = browser.get("/notifications/").content.decode()
    assert 'class="badge badge-info nav-count" aria-hidden="true">2</span>' in html
    assert "(2 unread)" in html
    browser.post("/notifications/read-all/")
    assert "nav-count" not in browser.get("/notifications/").content.decode()


def test_list_query_count_does_not_grow_with_notices(
    world: World, django_assert_max_num_queries: Any
) -> None:
    browser = signed_in(world.avi)
    browser.get("/notifications/")
    for index in range(3):
        _notice(world.avi, index)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        browser.get("/notifications/")
    for index in range(3, 40):
        _notice(world.avi, index)
    with CaptureQueriesContext(connection) as large:
        response = browser.get("/notifications/")
    assert response.status_code == 200
    assert len(large) == len(small)
    with django_assert_max_num_queries(10):
        browser.get("/notifications/?page=2")


def test_an_outside_link_is_never_kept(world: World) -> None:
    notice = _notice(world.avi, 1, url="https://evil.example/")
    assert notice.url == ""
    notice = _notice(world.avi, 2, url="//evil.example/")
    assert notice.url == ""


def test_in_app_delivery_creates_one_notice_even_when_delivered_twice(world: World) -> None:
    from loom.notifications.services import deliver_in_app

    message = outbox_enqueue(
        channel="in_app",
        recipient=str(world.avi.pk),
        payload={"user_id": world.avi.pk, "kind": "notice", "title": "Hello", "source": "x:1"},
        dedupe_key="x:1",
    )
    deliver_in_app(message)
    deliver_in_app(message)
    assert Notification.objects.filter(user=world.avi, title="Hello").count() == 1
    with system_context():
        outbox_drain()
    assert OutboxMessage.objects.get(pk=message.pk).status == "sent"
    assert Notification.objects.filter(user=world.avi, title="Hello").count() == 1


def test_a_rolled_back_change_creates_no_notice(world: World) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        outbox_enqueue(
            channel="in_app",
            recipient=str(world.avi.pk),
            payload={"user_id": world.avi.pk, "title": "Never", "source": "never"},
        )
        raise RuntimeError
    with system_context():
        outbox_drain()
    assert not Notification.objects.exists()


# --- Reminder choices --------------------------------------------------------------------------


def test_preferences_page_shows_the_zone_and_explains_disabled_text_messages(
    world: World,
) -> None:
    html = signed_in(world.avi).get("/account/notifications/").content.decode()
    assert "Asia/Jerusalem" in html
    assert 'href="/account/security/sms/"' in html
    name = 'name="session_reminder__sms"'
    assert name in html
    sms_input = html[html.index(name) - 200 : html.index(name) + 200]
    assert "disabled" in sms_input


def test_preferences_save_quiet_hours_and_channels(world: World) -> None:
    browser = signed_in(world.avi)
    response = browser.post(
        "/account/notifications/",
        {"quiet_start": "22:00", "quiet_end": "07:30", "session_reminder__email": "on"},
    )
    assert response.status_code == 302
    prefs = ReminderPreferences.objects.get(user=world.avi)
    assert (prefs.quiet_start, prefs.quiet_end) == (time(22), time(7, 30))
    assert prefs.email_reminders and not prefs.sms_reminders
    html = browser.get("/account/notifications/").content.decode()
    assert 'value="22:00"' in html and 'value="07:30"' in html


def test_text_messages_cannot_be_turned_on_without_a_verified_phone(world: World) -> None:
    browser = signed_in(world.avi)
    browser.post(
        "/account/notifications/",
        {"session_reminder__sms": "on", "session_reminder__email": "on"},
    )
    assert not ReminderPreferences.objects.get(user=world.avi).sms_reminders

    world.avi.phone = "+972501234567"
    world.avi.phone_verified_at = timezone.now()
    world.avi.save(update_fields=["phone", "phone_verified_at"])
    browser.post("/account/notifications/", {"session_reminder__sms": "on"})
    assert ReminderPreferences.objects.get(user=world.avi).sms_reminders


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"quiet_start": "25:99", "quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "x" * 5000, "quiet_end": "\x00"}, "quiet_start"),
    ],
)
def test_bad_quiet_hours_get_a_field_error_and_change_nothing(
    world: World, data: dict[str, str], field: str
) -> None:
    response = signed_in(world.avi).post("/account/notifications/", data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not ReminderPreferences.objects.filter(user=world.avi).exists()


def test_preferences_page_in_hebrew_is_right_to_left(world: World) -> None:
    html = signed_in(world.noa).get("/account/notifications/").content.decode()
    assert 'lang="he"' in html and 'dir="rtl"' in html
    html = signed_in(world.noa).get("/notifications/").content.decode()
    assert 'lang="he"' in html and 'dir="rtl"' in html
