"""Check-in services: what is stored, every refusal (which writes nothing), local days
across daylight-saving changes and travel, edits, deletion and the safety net."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError

from loom.accounts.models import CrisisSignal
from loom.core.context import acting_as
from loom.core.errors import Forbidden, NotFound
from loom.core.models import AuditLog
from loom.journal.vocabulary import EMOTIONS
from loom.wellbeing.checkins import checkin_delete, checkin_record, checkin_update
from loom.wellbeing.models import EMOTIONS_MAX, TEXT_MAX, CheckIn
from tests.wellbeing.checkins_factory import at, record
from tests.world import World

UTC = dt.UTC
NOW = dt.datetime(2026, 5, 6, 9, 0, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_record_stores_the_moment_the_zone_and_the_local_day(world: World) -> None:
    checkin = record(
        world.avi,
        pleasantness=7,
        energy=3,
        emotions=[("calm", 6), ("grateful", 4)],
        sensations=["warmth", "warmth", "grounded"],
        trigger="  A walk by the sea  ",
        coping_strategy="nature",
        coping_helped=4,
        sleep_hours="7.5",
        note="שקט",
        now=NOW,
    )
    checkin.refresh_from_db()
    assert checkin.client_id == world.avi.pk
    assert checkin.occurred_at == NOW
    assert checkin.timezone == "Asia/Jerusalem"
    assert checkin.local_date == dt.date(2026, 5, 6)
    assert checkin.local_hour == 12  # 09:00 UTC is 12:00 in Jerusalem (summer time)
    assert checkin.emotions == [
        {"emotion": "calm", "intensity": 6},
        {"emotion": "grateful", "intensity": 4},
    ]
    assert checkin.sensations == ["warmth", "grounded"]
    assert checkin.trigger == "A walk by the sea"
    assert checkin.note == "שקט"
    assert checkin.sleep_hours == Decimal("7.5")
    assert (checkin.coping_strategy, checkin.coping_helped) == ("nature", 4)


def test_a_quick_check_in_needs_only_the_meter(world: World) -> None:
    checkin = record(world.maya, pleasantness=1, energy=10)
    assert (checkin.pleasantness, checkin.energy, checkin.emotions) == (1, 10, [])
    assert checkin.timezone == "Europe/London"


def test_hostile_markup_is_stored_as_the_text_it_is(world: World) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    checkin = record(world.avi, note=hostile, trigger="a\x00b")
    checkin.refresh_from_db()
    assert checkin.note == hostile
    assert checkin.trigger == "ab"  # NUL cannot be stored in PostgreSQL text


def _eleven_emotions() -> list[tuple[str, int]]:
    return [(emotion.key, 5) for emotion in EMOTIONS[: EMOTIONS_MAX + 1]]


REFUSALS: list[tuple[str, dict[str, Any]]] = [
    ("pleasantness", {"pleasantness": 0}),
    ("pleasantness", {"pleasantness": 11}),
    ("pleasantness", {"pleasantness": "seven"}),
    ("pleasantness", {"pleasantness": True}),
    ("pleasantness", {"pleasantness": 5.5}),
    ("pleasantness", {"pleasantness": None}),
    ("energy", {"energy": 0}),
    ("energy", {"energy": -3}),
    ("energy", {"energy": 10**30}),
    ("emotions", {"emotions": [("calm", 0)]}),
    ("emotions", {"emotions": [("calm", 11)]}),
    ("emotions", {"emotions": [("smug", 5)]}),
    ("emotions", {"emotions": [("Calm", 5)]}),
    ("emotions", {"emotions": [("calm", 5), ("calm", 6)]}),
    ("emotions", {"emotions": ["calm"]}),
    ("emotions", {"emotions": _eleven_emotions()}),
    ("sensations", {"sensations": ["telepathy"]}),
    ("sensations", {"sensations": [7]}),
    ("coping_strategy", {"coping_strategy": "shouting"}),
    ("coping_helped", {"coping_helped": 3}),
    ("coping_helped", {"coping_strategy": "breathing", "coping_helped": 6}),
    ("coping_helped", {"coping_strategy": "breathing", "coping_helped": 0}),
    ("sleep_hours", {"sleep_hours": 25}),
    ("sleep_hours", {"sleep_hours": -1}),
    ("sleep_hours", {"sleep_hours": "7.3"}),
    ("sleep_hours", {"sleep_hours": "NaN"}),
    ("sleep_hours", {"sleep_hours": "Infinity"}),
    ("sleep_hours", {"sleep_hours": "lots"}),
    ("note", {"note": "x" * (TEXT_MAX + 1)}),
    ("trigger", {"trigger": 42}),
    ("occurred_at", {"occurred_at": NOW + dt.timedelta(minutes=1)}),
    ("occurred_at", {"occurred_at": NOW - dt.timedelta(days=7, minutes=1)}),
    ("occurred_at", {"occurred_at": "yesterday"}),
]


@pytest.mark.parametrize(("field", "bad"), REFUSALS)
def test_bad_input_is_refused_and_writes_nothing(
    world: World, field: str, bad: dict[str, Any]
) -> None:
    kwargs: dict[str, Any] = {"pleasantness": 5, "energy": 5, **bad}
    with pytest.raises(ValidationError) as refused, acting_as(world.avi.pk):
        checkin_record(client=world.avi, now=NOW, **kwargs)
    assert field in refused.value.message_dict
    assert not CheckIn.objects.exists()
    assert not CrisisSignal.objects.exists()


def test_text_at_the_limit_is_accepted(world: World) -> None:
    checkin = record(world.avi, note="x" * TEXT_MAX)
    assert len(checkin.note) == TEXT_MAX


def test_back_dating_up_to_a_week_is_allowed(world: World) -> None:
    week = NOW - dt.timedelta(days=7)
    checkin = record(world.avi, occurred_at=week, now=NOW)
    assert checkin.local_date == dt.date(2026, 4, 29)


def test_a_naive_time_is_read_in_the_clients_zone(world: World) -> None:
    checkin = record(world.avi, occurred_at=dt.datetime(2026, 5, 5, 23, 30), now=NOW)  # noqa: DTZ001
    assert checkin.occurred_at == utc(2026, 5, 5, 20, 30)
    assert (checkin.local_date, checkin.local_hour) == (dt.date(2026, 5, 5), 23)


def test_only_clients_check_in(world: World) -> None:
    for person in (world.dana, world.admin):
        with pytest.raises(Forbidden), acting_as(person.pk):
            checkin_record(client=person, pleasantness=5, energy=5)
    assert not CheckIn.objects.exists()


# --- The client's local day --------------------------------------------------------------


def test_jerusalem_is_already_tomorrow_while_utc_is_still_today(world: World) -> None:
    # 22:30 UTC on 10 March is 00:30 on 11 March in Jerusalem (UTC+2 in winter).
    now = utc(2026, 3, 10, 22, 30)
    checkin = record(world.avi, now=now)
    assert (checkin.local_date, checkin.local_hour) == (dt.date(2026, 3, 11), 0)
    # The client's 11 March has begun, but 23:00 that day is still in the future.
    with pytest.raises(ValidationError), acting_as(world.avi.pk):
        checkin_record(
            client=world.avi,
            pleasantness=5,
            energy=5,
            occurred_at=dt.datetime(2026, 3, 11, 23, 0),  # noqa: DTZ001
            now=now,
        )
    assert CheckIn.objects.count() == 1


@pytest.mark.parametrize(
    ("zone", "moment", "local_date", "local_hour"),
    [
        # New York springs forward at 02:00 EST on 8 March 2026: 01:59 EST, then 03:00 EDT.
        ("America/New_York", utc(2026, 3, 8, 6, 59), dt.date(2026, 3, 8), 1),
        ("America/New_York", utc(2026, 3, 8, 7, 0), dt.date(2026, 3, 8), 3),
        ("America/New_York", utc(2026, 3, 8, 4, 59), dt.date(2026, 3, 7), 23),
        # …and falls back at 02:00 EDT on 1 November: 01:30 happens twice.
        ("America/New_York", utc(2026, 11, 1, 5, 30), dt.date(2026, 11, 1), 1),
        ("America/New_York", utc(2026, 11, 1, 6, 30), dt.date(2026, 11, 1), 1),
        ("America/New_York", utc(2026, 11, 1, 3, 59), dt.date(2026, 10, 31), 23),
        ("America/New_York", utc(2026, 11, 2, 4, 59), dt.date(2026, 11, 1), 23),
        # Jerusalem springs forward at 02:00 on Friday 27 March 2026…
        ("Asia/Jerusalem", utc(2026, 3, 26, 23, 59), dt.date(2026, 3, 27), 1),
        ("Asia/Jerusalem", utc(2026, 3, 27, 0, 0), dt.date(2026, 3, 27), 3),
        ("Asia/Jerusalem", utc(2026, 3, 26, 21, 59), dt.date(2026, 3, 26), 23),
        # …and falls back at 02:00 on Sunday 25 October: 01:30 happens twice.
        ("Asia/Jerusalem", utc(2026, 10, 24, 22, 30), dt.date(2026, 10, 25), 1),
        ("Asia/Jerusalem", utc(2026, 10, 24, 23, 30), dt.date(2026, 10, 25), 1),
        ("Asia/Jerusalem", utc(2026, 10, 25, 21, 59), dt.date(2026, 10, 25), 23),
        ("Asia/Jerusalem", utc(2026, 10, 25, 22, 0), dt.date(2026, 10, 26), 0),
    ],
)
def test_local_day_and_hour_across_daylight_saving_changes(
    world: World, zone: str, moment: dt.datetime, local_date: dt.date, local_hour: int
) -> None:
    world.avi.timezone = zone
    world.avi.save(update_fields=["timezone"])
    checkin = at(world.avi, moment)
    checkin.refresh_from_db()
    assert (checkin.timezone, checkin.local_date, checkin.local_hour) == (
        zone,
        local_date,
        local_hour,
    )


def test_a_check_in_keeps_its_day_after_the_client_travels(world: World) -> None:
    # 23:30 in Jerusalem on 1 May; then Avi flies to New York.
    before = at(world.avi, utc(2026, 5, 1, 20, 30))
    world.avi.timezone = "America/New_York"
    world.avi.save(update_fields=["timezone"])
    after = at(world.avi, utc(2026, 5, 2, 2, 0))  # 22:00 on 1 May in New York
    before.refresh_from_db()
    assert (before.timezone, before.local_date, before.local_hour) == (
        "Asia/Jerusalem",
        dt.date(2026, 5, 1),
        23,
    )
    assert (after.timezone, after.local_date, after.local_hour) == (
        "America/New_York",
        dt.date(2026, 5, 1),
        22,
    )
    # Editing the first check-in's time reads the new wall-clock time where it was made.
    with acting_as(world.avi.pk):
        saved = checkin_update(
            client=world.avi,
            checkin_id=before.pk,
            occurred_at=dt.datetime(2026, 5, 1, 23, 45),  # noqa: DTZ001
            now=utc(2026, 5, 2, 3, 0),
        )
    edited = saved.checkin
    edited.refresh_from_db()
    assert edited.occurred_at == utc(2026, 5, 1, 20, 45)
    assert (edited.timezone, edited.local_date, edited.local_hour) == (
        "Asia/Jerusalem",
        dt.date(2026, 5, 1),
        23,
    )


# --- Edits ---------------------------------------------------------------------------------


def test_update_changes_only_what_is_given(world: World) -> None:
    checkin = record(world.avi, pleasantness=3, energy=8, emotions=[("anxious", 7)], note="n")
    with acting_as(world.avi.pk):
        checkin_update(client=world.avi, checkin_id=checkin.pk, pleasantness=6, note="")
    checkin.refresh_from_db()
    assert (checkin.pleasantness, checkin.energy) == (6, 8)
    assert checkin.emotions == [{"emotion": "anxious", "intensity": 7}]
    assert checkin.note == ""
    assert checkin.updated_at >= checkin.created_at


def test_an_old_check_in_can_be_edited_without_moving_its_time(world: World) -> None:
    old = at(world.avi, NOW - dt.timedelta(days=30))
    with acting_as(world.avi.pk):
        checkin_update(
            client=world.avi, checkin_id=old.pk, energy=2, occurred_at=old.occurred_at, now=NOW
        )
        with pytest.raises(ValidationError):
            checkin_update(
                client=world.avi,
                checkin_id=old.pk,
                occurred_at=old.occurred_at + dt.timedelta(hours=1),
                now=NOW,
            )
    old.refresh_from_db()
    assert old.energy == 2
    assert (
        old.local_date
        == (NOW - dt.timedelta(days=30)).astimezone(ZoneInfo("Asia/Jerusalem")).date()
    )


def test_a_refused_update_changes_nothing(world: World) -> None:
    checkin = record(world.avi, pleasantness=4, energy=4, note="kept")
    with pytest.raises(ValidationError), acting_as(world.avi.pk):
        checkin_update(client=world.avi, checkin_id=checkin.pk, note="changed", energy=12)
    checkin.refresh_from_db()
    assert (checkin.energy, checkin.note) == (4, "kept")


def test_clearing_the_strategy_clears_how_much_it_helped(world: World) -> None:
    checkin = record(world.avi, coping_strategy="breathing", coping_helped=5)
    with acting_as(world.avi.pk):
        checkin_update(client=world.avi, checkin_id=checkin.pk, coping_strategy="")
    checkin.refresh_from_db()
    assert (checkin.coping_strategy, checkin.coping_helped) == ("", None)


@pytest.mark.parametrize("checkin_id", ["abc", 0, -1, 2**70, None])
def test_update_of_a_bad_id_is_not_found(world: World, checkin_id: Any) -> None:
    with pytest.raises(NotFound), acting_as(world.avi.pk):
        checkin_update(client=world.avi, checkin_id=checkin_id, energy=3)


def test_no_one_else_can_edit_or_delete_a_check_in(world: World) -> None:
    checkin = record(world.avi, energy=4)
    for other in (world.noa, world.maya):
        with acting_as(other.pk):
            with pytest.raises(NotFound):
                checkin_update(client=other, checkin_id=checkin.pk, energy=9)
            with pytest.raises(NotFound):
                checkin_delete(client=other, checkin_id=checkin.pk)
    with pytest.raises(Forbidden), acting_as(world.dana.pk):
        checkin_update(client=world.dana, checkin_id=checkin.pk, energy=9)
    checkin.refresh_from_db()
    assert checkin.energy == 4


def test_delete_removes_it_for_good_with_an_audit_row_without_content(world: World) -> None:
    checkin = record(world.avi, note="private words")
    with acting_as(world.avi.pk):
        checkin_delete(client=world.avi, checkin_id=checkin.pk)
    assert not CheckIn.objects.filter(pk=checkin.pk).exists()
    row = AuditLog.objects.get(action="wellbeing.checkin_deleted")
    assert row.actor_id == world.avi.pk
    assert row.target_id == str(checkin.pk)
    assert "private" not in str(row.details)


# --- Safety ------------------------------------------------------------------------------


def test_crisis_words_in_a_check_in_return_the_support_outcome(world: World) -> None:
    with acting_as(world.avi.pk):
        saved = checkin_record(
            client=world.avi, pleasantness=1, energy=2, thoughts="I want to kill myself"
        )
    assert saved.crisis is not None
    assert saved.crisis.lines
    signal = CrisisSignal.objects.get()
    assert (signal.source, signal.source_id) == ("checkin", saved.checkin.pk)
    assert "kill" not in str(signal.matched)


def test_ordinary_words_and_no_text_raise_nothing(world: World) -> None:
    with acting_as(world.avi.pk):
        quiet = checkin_record(client=world.avi, pleasantness=3, energy=3, note="tired today")
        empty = checkin_record(client=world.avi, pleasantness=3, energy=3)
    assert quiet.crisis is None and empty.crisis is None
    assert not CrisisSignal.objects.exists()


def test_an_edit_that_adds_crisis_words_is_checked_too(world: World) -> None:
    checkin = record(world.noa, note="יום רגיל")
    with acting_as(world.noa.pk):
        saved = checkin_update(client=world.noa, checkin_id=checkin.pk, note="אני רוצה למות")
    assert saved.crisis is not None
    assert CrisisSignal.objects.filter(source="checkin", source_id=checkin.pk).count() == 1
