"""Quiet hours: a non-urgent email, push or text waits until they end, in the person's zone."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine

from loom.core.models import OutboxMessage
from loom.notifications.dispatch import EMAIL_CHANNEL
from loom.notifications.models import Notification, NotificationDelivery
from loom.notifications.preferences import quiet_end_after
from loom.scheduling.models import ReminderPreferences
from tests.notifications.conftest import Send, make_notice
from tests.smtp import SmtpServer
from tests.world import World

NEW_YORK = ZoneInfo("America/New_York")
JERUSALEM = ZoneInfo("Asia/Jerusalem")
NIGHT = {"quiet_start": time(22, 0), "quiet_end": time(7, 0)}


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("zone", "moment", "ends"),
    [
        # New York springs forward on 8 March 2026: 07:00 that morning is 11:00 UTC, not 12:00.
        (NEW_YORK, utc(2026, 3, 8, 4, 0), utc(2026, 3, 8, 11, 0)),
        # Jerusalem does on 27 March; New York, already on summer time, does not move.
        (JERUSALEM, utc(2026, 3, 26, 21, 0), utc(2026, 3, 27, 4, 0)),
        (NEW_YORK, utc(2026, 3, 27, 3, 0), utc(2026, 3, 27, 11, 0)),
        # New York falls back on 1 November: 07:00 is 12:00 UTC.
        (NEW_YORK, utc(2026, 11, 1, 3, 0), utc(2026, 11, 1, 12, 0)),
        # Jerusalem falls back on 25 October.
        (JERUSALEM, utc(2026, 10, 24, 20, 0), utc(2026, 10, 25, 5, 0)),
        # After midnight, still inside: ends the same morning.
        (JERUSALEM, utc(2026, 6, 1, 0, 30), utc(2026, 6, 1, 4, 0)),
    ],
)
def test_quiet_hours_end_on_the_persons_calendar_across_daylight_saving(
    zone: ZoneInfo, moment: datetime, ends: datetime
) -> None:
    assert quiet_end_after(moment, zone=zone, **NIGHT) == ends


def test_outside_quiet_hours_or_without_them_nothing_waits() -> None:
    assert quiet_end_after(utc(2026, 6, 1, 12, 0), zone=NEW_YORK, **NIGHT) is None
    assert (
        quiet_end_after(utc(2026, 6, 1, 3, 0), zone=NEW_YORK, quiet_start=None, quiet_end=None)
        is None
    )
    day = {"quiet_start": time(13, 0), "quiet_end": time(14, 0)}
    assert quiet_end_after(utc(2026, 6, 1, 17, 30), zone=NEW_YORK, **day) == utc(2026, 6, 1, 18, 0)
    assert quiet_end_after(utc(2026, 6, 1, 18, 0), zone=NEW_YORK, **day) is None


def test_an_end_the_clocks_skip_is_never_early() -> None:
    # 02:30 does not exist in New York on 8 March 2026 (02:00 EST → 03:00 EDT at 07:00 UTC).
    ends = quiet_end_after(
        utc(2026, 3, 8, 5, 0), zone=NEW_YORK, quiet_start=time(23, 0), quiet_end=time(2, 30)
    )
    assert ends is not None and ends >= utc(2026, 3, 8, 7, 0)
    assert ends.astimezone(NEW_YORK).time() >= time(3, 0)


@pytest.mark.django_db
def test_a_notice_in_quiet_hours_waits_for_the_morning_and_an_urgent_one_does_not(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    ReminderPreferences.objects.create(user=world.dana, **NIGHT)
    # 23:00 on Saturday 7 March 2026 in New York; the clocks spring forward that night.
    with time_machine.travel(utc(2026, 3, 8, 4, 0), tick=False):
        send(make_notice(world.dana, source="quiet"))
        send(make_notice(world.dana, "session_cancelled", source="urgent", urgent=True))
    waiting = OutboxMessage.objects.get(dedupe_key="quiet:email")
    assert waiting.channel == EMAIL_CHANNEL
    assert waiting.status == OutboxMessage.Status.PENDING
    assert waiting.available_at == utc(2026, 3, 8, 11, 0)
    delivery = NotificationDelivery.objects.get(
        notification=Notification.objects.get(source="quiet"), channel="email"
    )
    assert (delivery.state, delivery.reason) == ("waiting", "quiet_hours")
    assert OutboxMessage.objects.get(dedupe_key="urgent:email").status == OutboxMessage.Status.SENT
    [urgent] = mail_via_smtp.wait_for(1)
    assert urgent["Subject"].startswith("session_cancelled")
    # In-app is never held back.
    assert Notification.objects.get(source="quiet").listed
