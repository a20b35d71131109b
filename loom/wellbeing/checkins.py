"""Writes of emotion check-ins: record, update, delete (the client's own only).

Every function is atomic and acts as the client (row-level security applies). Bad input
raises ``ValidationError`` keyed by field and writes nothing; a check-in that is not the
client's is ``NotFound``.

Time: a check-in stores the moment (UTC), the zone the client was in and the local date
and hour that gives. The zone is the client's profile zone at the time of the save.
An edit keeps the row's zone: a check-in made in Tel Aviv and edited after a flight to
New York still happened in Tel Aviv, so a changed time is read as a Tel Aviv wall-clock
time and the local date is recomputed in that zone, never in the client's new one.

Safety: the free texts are scanned (``loom.accounts.safety.safety_check``) inside the
transaction that saved them; the outcome is returned so the caller can show support.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import Role
from loom.accounts.safety import CrisisOutcome, safety_check
from loom.core.audit import audit_record
from loom.core.errors import Forbidden
from loom.journal.days import local_day_of, local_today, zone_of
from loom.journal.vocabulary import EMOTION_KEYS, SENSATIONS
from loom.wellbeing.models import EMOTIONS_MAX, SENSATIONS_MAX, TEXT_MAX, CheckIn
from loom.wellbeing.selectors_checkins import checkin_for_client
from loom.wellbeing.vocabulary import COPING_STRATEGIES

# How far back a check-in may be dated: a week covers "I forgot to log yesterday"
# without turning the check-in into a diary of the past (the journal is for that).
BACKDATE_DAYS = 7
TEXT_FIELDS = ("trigger", "thoughts", "behaviour", "note")


@dataclass(frozen=True)
class CheckInSaved:
    checkin: CheckIn
    # Set when the texts suggested a crisis: the caller shows the support panel.
    crisis: CrisisOutcome | None


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


# --- Validation -----------------------------------------------------------------------------


def _whole(value: Any, low: int, high: int, field: str, message: str) -> int:
    # bool is an int in Python; True is not a mood of 1.
    if isinstance(value, bool):
        raise ValidationError({field: [message]})
    if isinstance(value, str):
        value = value.strip()
        if not value.lstrip("-").isdigit():
            raise ValidationError({field: [message]})
    try:
        number = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: [message]}) from None
    if isinstance(value, float) and value != number:
        raise ValidationError({field: [message]})
    if not low <= number <= high:
        raise ValidationError({field: [message]})
    return number


def _mood(value: Any, field: str) -> int:
    return _whole(value, 1, 10, field, _("Choose a number from 1 to 10."))


def clean_emotions(pairs: Iterable[Any]) -> list[dict[str, Any]]:
    """``[(key, intensity), …]`` (or dicts with ``emotion``/``intensity``) as stored."""
    cleaned: list[dict[str, Any]] = []
    seen: set[str] = set()
    for pair in pairs or ():
        if isinstance(pair, dict):
            key, intensity = pair.get("emotion"), pair.get("intensity")
        else:
            try:
                key, intensity = pair
            except (TypeError, ValueError):
                raise ValidationError({"emotions": [_("That is not an emotion.")]}) from None
        if not isinstance(key, str) or key not in EMOTION_KEYS:
            raise ValidationError({"emotions": [_("Choose emotions from the list.")]})
        if key in seen:
            raise ValidationError({"emotions": [_("Name each emotion once.")]})
        seen.add(key)
        level = _whole(
            intensity, 1, 10, "emotions", _("Choose an intensity from 1 to 10 for each emotion.")
        )
        cleaned.append({"emotion": key, "intensity": level})
    if len(cleaned) > EMOTIONS_MAX:
        raise ValidationError(
            {"emotions": [_("Choose at most %(max)d emotions.") % {"max": EMOTIONS_MAX}]}
        )
    return cleaned


def clean_sensations(keys: Iterable[Any]) -> list[str]:
    cleaned: list[str] = []
    for key in keys or ():
        if not isinstance(key, str) or key not in SENSATIONS:
            raise ValidationError({"sensations": [_("Choose sensations from the list.")]})
        if key not in cleaned:
            cleaned.append(key)
    if len(cleaned) > SENSATIONS_MAX:
        raise ValidationError(
            {"sensations": [_("Choose at most %(max)d sensations.") % {"max": SENSATIONS_MAX}]}
        )
    return cleaned


def _text(value: Any, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError({field: [_("Enter text.")]})
    # NUL cannot be stored in PostgreSQL text and has no place in a note.
    text = value.replace("\x00", "").strip()
    if len(text) > TEXT_MAX:
        raise ValidationError(
            {field: [_("Keep this under %(max)d characters.") % {"max": TEXT_MAX}]}
        )
    return text


def _coping(strategy: Any, helped: Any) -> tuple[str, int | None]:
    strategy = strategy or ""
    if not isinstance(strategy, str) or (strategy and strategy not in COPING_STRATEGIES):
        raise ValidationError({"coping_strategy": [_("Choose a coping strategy from the list.")]})
    if helped in (None, ""):
        return strategy, None
    if not strategy:
        raise ValidationError(
            {"coping_helped": [_("Say how much it helped only when you name a strategy.")]}
        )
    return strategy, _whole(helped, 1, 5, "coping_helped", _("Choose a number from 1 to 5."))


def _sleep(value: Any) -> Decimal | None:
    if value in (None, ""):
        return None
    message = _("Enter hours of sleep from 0 to 24, in half hours.")
    if isinstance(value, bool):
        raise ValidationError({"sleep_hours": [message]})
    try:
        hours = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError({"sleep_hours": [message]}) from None
    if not hours.is_finite() or not 0 <= hours <= 24 or (hours * 2) % 1 != 0:
        raise ValidationError({"sleep_hours": [message]})
    return hours.quantize(Decimal("0.1"))


def _aware(value: Any, tz_name: str) -> dt.datetime:
    """``value`` as an aware datetime; a naive one is a wall-clock time in ``tz_name``
    (what a form's datetime-local field gives)."""
    if not isinstance(value, dt.datetime):
        raise ValidationError({"occurred_at": [_("Enter a date and time.")]})
    if timezone.is_naive(value):
        value = value.replace(tzinfo=zone_of(tz_name))
    return value


def _moment(value: Any, *, tz_name: str, now: dt.datetime) -> dt.datetime:
    """An aware moment not in the future and at most ``BACKDATE_DAYS`` back."""
    value = _aware(value, tz_name)
    if value > now:
        raise ValidationError({"occurred_at": [_("A check-in cannot be in the future.")]})
    if value < now - dt.timedelta(days=BACKDATE_DAYS):
        raise ValidationError(
            {
                "occurred_at": [
                    _("A check-in can be dated at most %(days)d days back.")
                    % {"days": BACKDATE_DAYS}
                ]
            }
        )
    return value


def _place(checkin: CheckIn, moment: dt.datetime, tz_name: str, *, today: dt.date) -> None:
    local = moment.astimezone(zone_of(tz_name))
    if local.date() > today:
        # Cannot happen for a moment in the past read in the same zone as "today";
        # kept as the rule the brief states, in case the two zones ever differ.
        raise ValidationError({"occurred_at": [_("A check-in cannot be in the future.")]})
    checkin.occurred_at = moment
    checkin.timezone = tz_name
    checkin.local_date = local_day_of(tz_name, moment)
    checkin.local_hour = local.hour


def _require_client(client: Any) -> None:
    if getattr(client, "role", None) != Role.CLIENT:
        raise Forbidden(_("Only clients keep check-ins."))


def _scan(client: Any, checkin: CheckIn) -> CrisisOutcome | None:
    text = "\n".join(getattr(checkin, field) for field in TEXT_FIELDS if getattr(checkin, field))
    if not text.strip():
        return None
    return safety_check(client=client, text=text, source="checkin", source_id=checkin.pk)


# --- Services ------------------------------------------------------------------------------


@transaction.atomic
def checkin_record(
    *,
    client: Any,
    pleasantness: Any,
    energy: Any,
    emotions: Sequence[Any] = (),
    sensations: Sequence[Any] = (),
    trigger: str = "",
    thoughts: str = "",
    behaviour: str = "",
    coping_strategy: str = "",
    coping_helped: Any = None,
    sleep_hours: Any = None,
    note: str = "",
    occurred_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> CheckInSaved:
    """Record a check-in for ``client`` (clients only) and scan its texts for crisis
    language. ``occurred_at`` defaults to now; it may be up to a week back."""
    _require_client(client)
    now = now or timezone.now()
    tz_name = client.timezone or "UTC"
    checkin = CheckIn(client=client, created_at=now, updated_at=now)
    checkin.pleasantness = _mood(pleasantness, "pleasantness")
    checkin.energy = _mood(energy, "energy")
    checkin.emotions = clean_emotions(emotions)
    checkin.sensations = clean_sensations(sensations)
    checkin.trigger = _text(trigger, "trigger")
    checkin.thoughts = _text(thoughts, "thoughts")
    checkin.behaviour = _text(behaviour, "behaviour")
    checkin.note = _text(note, "note")
    checkin.coping_strategy, checkin.coping_helped = _coping(coping_strategy, coping_helped)
    checkin.sleep_hours = _sleep(sleep_hours)
    moment = now if occurred_at is None else _moment(occurred_at, tz_name=tz_name, now=now)
    _place(checkin, moment, tz_name, today=local_today(client, now=now))
    checkin.save()
    return CheckInSaved(checkin=checkin, crisis=_scan(client, checkin))


@transaction.atomic
def checkin_update(
    *,
    client: Any,
    checkin_id: Any,
    pleasantness: Any = UNSET,
    energy: Any = UNSET,
    emotions: Any = UNSET,
    sensations: Any = UNSET,
    trigger: Any = UNSET,
    thoughts: Any = UNSET,
    behaviour: Any = UNSET,
    coping_strategy: Any = UNSET,
    coping_helped: Any = UNSET,
    sleep_hours: Any = UNSET,
    note: Any = UNSET,
    occurred_at: Any = UNSET,
    now: dt.datetime | None = None,
) -> CheckInSaved:
    """Change the client's own check-in; only the fields given change.

    A changed time keeps the row's zone (see the module docstring)."""
    _require_client(client)
    now = now or timezone.now()
    checkin = checkin_for_client(client, checkin_id)
    # Lock so two edits from two devices apply one after the other.
    checkin = CheckIn.objects.select_for_update().get(pk=checkin.pk)
    if pleasantness is not UNSET:
        checkin.pleasantness = _mood(pleasantness, "pleasantness")
    if energy is not UNSET:
        checkin.energy = _mood(energy, "energy")
    if emotions is not UNSET:
        checkin.emotions = clean_emotions(emotions or ())
    if sensations is not UNSET:
        checkin.sensations = clean_sensations(sensations or ())
    for field, value in (
        ("trigger", trigger),
        ("thoughts", thoughts),
        ("behaviour", behaviour),
        ("note", note),
    ):
        if value is not UNSET:
            setattr(checkin, field, _text(value, field))
    if coping_strategy is not UNSET or coping_helped is not UNSET:
        strategy = checkin.coping_strategy if coping_strategy is UNSET else coping_strategy
        helped = checkin.coping_helped if coping_helped is UNSET else coping_helped
        if coping_strategy is not UNSET and not coping_strategy and coping_helped is UNSET:
            helped = None  # clearing the strategy clears how much it helped
        checkin.coping_strategy, checkin.coping_helped = _coping(strategy, helped)
    if sleep_hours is not UNSET:
        checkin.sleep_hours = _sleep(sleep_hours)
    # Only a changed time is checked against the week's window: an unchanged time
    # sent back with the rest of an old check-in is no back-dating.
    if (
        occurred_at is not UNSET
        and occurred_at is not None
        and _aware(occurred_at, checkin.timezone) != checkin.occurred_at
    ):
        moment = _moment(occurred_at, tz_name=checkin.timezone, now=now)
        _place(checkin, moment, checkin.timezone, today=local_day_of(checkin.timezone, now))
    checkin.updated_at = now
    checkin.save()
    return CheckInSaved(checkin=checkin, crisis=_scan(client, checkin))


@transaction.atomic
def checkin_delete(*, client: Any, checkin_id: Any) -> None:
    """Delete the client's own check-in for good (the audit row holds no content)."""
    _require_client(client)
    checkin = checkin_for_client(client, checkin_id)
    audit_record(
        action="wellbeing.checkin_deleted",
        actor=client,
        target=checkin,
        details={"local_date": checkin.local_date.isoformat()},
    )
    checkin.delete()
