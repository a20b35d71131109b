"""Who is told what, where and when: the preferences matrix, quiet hours and digests.

The matrix has a cell per kind (``loom.core.notices.KINDS``) × channel
(``CHANNELS``). A ``ChannelChoice`` row stores a cell that differs from ``DEFAULTS``;
no row means the default. Two cells live elsewhere so that the scheduling pages and
this one can never disagree: email and text message for ``session_reminder`` are
``ReminderPreferences.email_reminders`` / ``sms_reminders``. Quiet hours are the
reminder preferences' ``quiet_start``/``quiet_end`` too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db import transaction

from loom.accounts.models import Role, User
from loom.core.notices import CHANNELS, DIGEST_CATEGORY, KINDS, SMS_KINDS
from loom.notifications.models import ChannelChoice, DigestFrequency, NotificationSettings
from loom.scheduling.models import ReminderPreferences

REMINDER = "session_reminder"

_EMAIL_ON = frozenset(
    {
        "session_booked",
        "session_approved",
        "session_rescheduled",
        "session_cancelled",
        "session_reminder",
        "session_followup",
        "resource_shared",
        "invitation_accepted",
        "message_new",
        "announcement",
        "journal_shared",
        "journal_comment",
        "goal_proposed",
        "goal_completed",
        "crisis_alert",
    }
)
_PUSH_ON = frozenset(
    {
        "message_new",
        "session_reminder",
        "session_cancelled",
        "session_rescheduled",
        "crisis_alert",
    }
)

# Every cell's value when the person never chose. In-app is on for everything; SMS is
# off (reminders only, after opting in with a verified phone).
DEFAULTS: dict[tuple[str, str], bool] = {
    (kind, channel): (
        channel == "in_app"
        or (channel == "email" and kind in _EMAIL_ON)
        or (channel == "push" and kind in _PUSH_ON)
    )
    for kind in KINDS
    for channel in CHANNELS
}

# Kinds that never concern a role: coaches share resources, clients do not invite.
_NOT_FOR_ROLE: dict[str, frozenset[str]] = {
    Role.COACH: frozenset({"resource_shared", "goal_proposed"}),
    Role.CLIENT: frozenset({"invitation_accepted", "journal_shared", "crisis_alert"}),
}


def kinds_for(user: User) -> list[str]:
    """The kinds the person's preferences page offers, in ``KINDS`` order."""
    hidden = _NOT_FOR_ROLE.get(user.role, frozenset())
    return [kind for kind in KINDS if kind not in hidden]


def channels_for(kind: str) -> tuple[str, ...]:
    return CHANNELS if kind in SMS_KINDS else tuple(c for c in CHANNELS if c != "sms")


def phone_verified(user: User) -> bool:
    return bool(user.phone_verified_at and user.phone)


@dataclass(frozen=True)
class Preferences:
    """Everything the dispatcher needs to decide about one person, read once."""

    user: User
    choices: dict[tuple[str, str], bool]
    reminders: ReminderPreferences
    settings: NotificationSettings

    def enabled(self, kind: str, channel: str) -> bool:
        if kind == REMINDER and channel == "email":
            return bool(self.reminders.email_reminders)
        if kind == REMINDER and channel == "sms":
            return bool(self.reminders.sms_reminders)
        if channel == "sms" and kind not in SMS_KINDS:
            return False
        return self.choices.get((kind, channel), DEFAULTS.get((kind, channel), False))

    def sms_possible(self, kind: str) -> bool:
        return kind in SMS_KINDS and self.enabled(kind, "sms") and phone_verified(self.user)

    def digest_frequency(self, kind: str) -> str:
        category = DIGEST_CATEGORY.get(kind)
        if category == "messages":
            return str(self.settings.messages_digest)
        if category == "activity":
            return str(self.settings.activity_digest)
        return DigestFrequency.IMMEDIATE

    def matrix(self, kinds: Iterable[str]) -> dict[str, dict[str, bool]]:
        return {kind: {ch: self.enabled(kind, ch) for ch in channels_for(kind)} for kind in kinds}

    @property
    def zone(self) -> ZoneInfo:
        return zone_of(self.user.timezone)

    def quiet_until(self, moment: datetime) -> datetime | None:
        return quiet_end_after(
            moment,
            quiet_start=self.reminders.quiet_start,
            quiet_end=self.reminders.quiet_end,
            zone=self.zone,
        )


def zone_of(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def preferences_for(user: User) -> Preferences:
    """The person's choices (defaults where they never chose). Three queries."""
    choices = {
        (row.kind, row.channel): row.enabled
        for row in ChannelChoice.objects.filter(user=user).only("kind", "channel", "enabled")
    }
    reminders = ReminderPreferences.objects.filter(user=user).first() or ReminderPreferences(
        user=user
    )
    digest = NotificationSettings.objects.filter(user=user).first() or NotificationSettings(
        user=user
    )
    return Preferences(user=user, choices=choices, reminders=reminders, settings=digest)


def local_instant(day: Any, at: time, zone: ZoneInfo) -> datetime:
    """The instant the wall clock in ``zone`` first reads ``at`` on ``day``.

    In a fall-back overlap that is the first reading. In a spring-forward gap the time
    never shows; the instant is the one it would have been by the clock before the
    change, which lies after the jump, so nothing waiting for it comes early.
    """
    first = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    utc = ZoneInfo("UTC")
    readings = (first.astimezone(utc), first.replace(fold=1).astimezone(utc))
    exists = first.astimezone(utc).astimezone(zone).replace(tzinfo=None) == first.replace(
        tzinfo=None
    )
    return min(readings) if exists else max(readings)


def quiet_end_after(
    moment: datetime, *, quiet_start: time | None, quiet_end: time | None, zone: ZoneInfo
) -> datetime | None:
    """When the quiet period ``moment`` falls in ends, or ``None`` when it falls in none.

    Quiet hours run from ``quiet_start`` (included) to ``quiet_end`` (excluded), in the
    person's wall-clock time, across midnight when the end is earlier. The end is
    found on the calendar in ``zone``, so it is right on the nights clocks change.
    """
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return None
    local = moment.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    day = local.date()
    if quiet_start < quiet_end:
        if quiet_start <= wall < quiet_end:
            return local_instant(day, quiet_end, zone)
        return None
    if wall >= quiet_start:
        return local_instant(day + timedelta(days=1), quiet_end, zone)
    if wall < quiet_end:
        return local_instant(day, quiet_end, zone)
    return None


@transaction.atomic
def channel_choice_set(*, user: User, kind: str, channel: str, enabled: bool) -> None:
    """Set one cell of the person's matrix (reminder email/SMS live with reminders)."""
    if kind not in KINDS or channel not in channels_for(kind):
        raise ValueError(f"No preference cell {kind}/{channel}.")
    if kind == REMINDER and channel in ("email", "sms"):
        from loom.scheduling.reminders import reminders_replan_for_user

        row = ReminderPreferences.objects.select_for_update().filter(user=user).first()
        row = row or ReminderPreferences(user=user)
        field = "email_reminders" if channel == "email" else "sms_reminders"
        if getattr(row, field) == enabled:
            return
        setattr(row, field, enabled)
        row.save()
        reminders_replan_for_user(user)
        return
    if DEFAULTS[(kind, channel)] == enabled:
        ChannelChoice.objects.filter(user=user, kind=kind, channel=channel).delete()
    else:
        ChannelChoice.objects.update_or_create(
            user=user, kind=kind, channel=channel, defaults={"enabled": enabled}
        )


@transaction.atomic
def notification_preferences_update(
    *,
    user: User,
    cells: dict[tuple[str, str], bool],
    quiet_start: time | None,
    quiet_end: time | None,
    messages_digest: str,
    activity_digest: str,
    daily_digest_hour: int,
) -> None:
    """Save the whole preferences page: matrix cells, quiet hours and summaries.

    Quiet hours and the reminder email/SMS cells go through the scheduling service,
    which checks them and re-plans the person's reminders. Raises ``ValidationError``
    and changes nothing when any of it is refused.
    """
    from loom.scheduling.reminders import reminder_preferences_for, reminder_preferences_update

    current = reminder_preferences_for(user)
    reminder_preferences_update(
        user=user,
        quiet_start=quiet_start,
        quiet_end=quiet_end,
        email_reminders=cells.get((REMINDER, "email"), current.email_reminders),
        sms_reminders=cells.get((REMINDER, "sms"), current.sms_reminders) and phone_verified(user),
    )
    for (kind, channel), enabled in cells.items():
        if kind == REMINDER and channel in ("email", "sms"):
            continue
        channel_choice_set(user=user, kind=kind, channel=channel, enabled=enabled)
    frequencies = set(DigestFrequency.values)
    if messages_digest not in frequencies or activity_digest not in frequencies:
        raise ValueError("Unknown summary frequency.")
    NotificationSettings.objects.update_or_create(
        user=user,
        defaults={
            "messages_digest": messages_digest,
            "activity_digest": activity_digest,
            "daily_digest_hour": min(max(int(daily_digest_hour), 0), 23),
        },
    )
