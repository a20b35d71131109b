"""Journal writes: every rule, and every refusal changes nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.core.errors import Forbidden
from loom.core.models import AuditLog
from loom.journal import services
from loom.journal.days import local_today
from loom.journal.models import (
    BODY_MAX,
    CHOICES_MAX,
    INTENTION_MAX,
    TITLE_MAX,
    Entry,
    Intention,
    Prompt,
)
from tests.journal.journal_helpers import entry
from tests.world import World


def _refused(world: World, field: str | None = None, **fields: Any) -> ValidationError:
    before = Entry.objects.count()
    with pytest.raises(ValidationError) as caught:
        services.entry_create(author=world.avi, **fields)
    assert Entry.objects.count() == before
    if field is not None:
        assert field in caught.value.message_dict, caught.value
    return caught.value


def test_entry_defaults_to_the_authors_local_today(world: World) -> None:
    saved = services.entry_create(author=world.avi, title="Morning", body="Tight *chest*.")
    assert saved.crisis is None
    found = Entry.objects.get()
    assert found.written_on == local_today(world.avi)
    assert (found.title, found.body, found.author_id) == ("Morning", "Tight *chest*.", world.avi.pk)


def test_text_is_stored_encrypted(world: World) -> None:
    entry(world.avi, body="a very private sentence")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM journal_entry")
        (raw,) = cursor.fetchone()
    assert raw.startswith("enc1:") and "private" not in raw


def test_choices_are_deduplicated_in_order(world: World) -> None:
    saved = entry(
        world.avi,
        emotions=["calm", "sad", "calm"],
        body_areas=["chest", "chest", "throat"],
        sensations=["tension"],
        practices=["breathing", "breathing"],
    )
    assert saved.emotions == ["calm", "sad"]
    assert saved.body_areas == ["chest", "throat"]
    assert saved.practices == ["breathing"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("emotions", ["calm", "not-a-feeling"]),
        ("body_areas", ["tail"]),
        ("sensations", [1]),
        ("practices", "breathing"),
        ("emotions", [{"key": "calm"}]),
    ],
)
def test_keys_outside_the_vocabulary_are_refused(world: World, field: str, value: Any) -> None:
    _refused(world, field, **{field: value})


def test_too_many_choices_are_refused(world: World) -> None:
    # Duplicates are dropped first; more distinct keys than the cap cannot exist in the
    # vocabulary, so the cap is checked on what remains.
    from loom.journal.vocabulary import EMOTIONS

    keys = [e.key for e in EMOTIONS]
    assert len(keys) <= CHOICES_MAX
    saved = entry(world.avi, emotions=keys * 50)
    assert saved.emotions == keys


@pytest.mark.parametrize("value", [0, 11, -1, 1000, "x", True, 2.5, 10**30])
def test_mood_and_energy_are_1_to_10(world: World, value: Any) -> None:
    _refused(world, "mood", mood=value)
    _refused(world, "energy", energy=value)


def test_mood_bounds_are_kept(world: World) -> None:
    assert entry(world.avi, mood=1, energy=10, body="").mood == 1


def test_future_and_too_old_dates_are_refused(world: World) -> None:
    today = local_today(world.avi)
    _refused(world, "written_on", written_on=today + timedelta(days=1))
    _refused(world, "written_on", written_on=today - timedelta(days=400))
    _refused(world, "written_on", written_on="2026-02-30")
    _refused(world, "written_on", written_on="yesterday")
    assert entry(world.avi, written_on=today - timedelta(days=30)).written_on == today - timedelta(
        days=30
    )


def test_future_is_the_authors_future_not_the_servers(world: World, settings: Any) -> None:
    # Avi lives in Jerusalem, Maya (here) in New York: at 23:30 UTC Avi is already on
    # tomorrow, Maya still on today.
    import time_machine

    world.maya.timezone = "America/New_York"
    world.maya.save(update_fields=["timezone"])

    with time_machine.travel("2026-06-10 23:30:00+00:00", tick=False):
        tomorrow_in_jerusalem = timezone.now().date() + timedelta(days=1)
        assert (
            entry(world.avi, written_on=tomorrow_in_jerusalem).written_on == tomorrow_in_jerusalem
        )
        with pytest.raises(ValidationError):
            services.entry_create(author=world.maya, body="x", written_on=tomorrow_in_jerusalem)


def test_oversized_text_is_refused(world: World) -> None:
    _refused(world, "title", title="t" * (TITLE_MAX + 1))
    _refused(world, "body", body="b" * (BODY_MAX + 1))
    _refused(world, "body", body="null \x00 byte")
    _refused(world, "body", body="half a pair \ud800")
    assert entry(world.avi, title="t" * TITLE_MAX).title == "t" * TITLE_MAX


def test_an_empty_entry_is_refused(world: World) -> None:
    error = _refused(world, body="   ", title="")
    assert error.code == "empty"


def test_only_clients_write(world: World) -> None:
    for person in (world.dana, world.admin):
        with pytest.raises(Forbidden):
            services.entry_create(author=person, body="hi")
        with pytest.raises(Forbidden):
            services.intention_set(client=person, text="hi")
    assert not Entry.objects.exists()


def test_builtin_prompt_must_exist(world: World) -> None:
    assert entry(world.avi, builtin_prompt="breath").builtin_prompt == "breath"
    _refused(world, "builtin_prompt", builtin_prompt="made_up")


def test_coach_prompt_must_belong_to_an_active_coach(world: World) -> None:
    danas = Prompt.objects.create(coach=world.dana, text="What did your shoulders say?")
    elis = Prompt.objects.create(coach=world.eli, text="Eli's prompt")
    retired = Prompt.objects.create(coach=world.dana, text="Old", is_active=False)
    assert entry(world.avi, prompt_id=danas.pk).prompt_id == danas.pk
    for foreign in (elis.pk, retired.pk, 10**12, "abc", -3):
        error = _refused(world, "prompt_id", prompt_id=foreign)
        assert "not found" in " ".join(error.message_dict["prompt_id"])
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED
    )
    _refused(world, "prompt_id", prompt_id=danas.pk)


def test_an_entry_keeps_a_prompt_its_coach_retired(world: World) -> None:
    prompt = Prompt.objects.create(coach=world.dana, text="Breathe")
    saved = entry(world.avi, prompt_id=prompt.pk)
    Prompt.objects.filter(pk=prompt.pk).update(is_active=False)
    updated = services.entry_update(
        author=world.avi, entry_id=saved.pk, body="again", prompt_id=prompt.pk
    )
    assert updated.entry.prompt_id == prompt.pk


def test_update_changes_only_given_fields(world: World) -> None:
    saved = entry(world.avi, title="One", body="first", mood=4, emotions=["calm"])
    before = saved.updated_at
    updated = services.entry_update(author=world.avi, entry_id=saved.pk, body="second").entry
    updated.refresh_from_db()
    assert (updated.title, updated.body, updated.mood, updated.emotions) == (
        "One",
        "second",
        4,
        ["calm"],
    )
    assert updated.updated_at >= before


def test_update_of_someone_elses_entry_is_not_found(world: World) -> None:
    saved = entry(world.noa, body="Noa's")
    for value in (saved.pk, 10**12, "x"):
        with pytest.raises(Entry.DoesNotExist):
            services.entry_update(author=world.avi, entry_id=value, body="mine now")
        with pytest.raises(Entry.DoesNotExist):
            services.entry_delete(author=world.avi, entry_id=value)
    saved.refresh_from_db()
    assert saved.body == "Noa's"


def test_refused_update_changes_nothing(world: World) -> None:
    saved = entry(world.avi, title="Keep", body="keep", mood=5)
    with pytest.raises(ValidationError):
        services.entry_update(author=world.avi, entry_id=saved.pk, title="Changed", mood=42)
    saved.refresh_from_db()
    assert (saved.title, saved.mood) == ("Keep", 5)
    with pytest.raises(ValidationError):
        services.entry_update(author=world.avi, entry_id=saved.pk, title="", body="", mood=None)
    saved.refresh_from_db()
    assert saved.title == "Keep"


def test_delete_is_for_good_and_audited_without_text(world: World) -> None:
    saved = entry(world.avi, body="secret words")
    services.entry_delete(author=world.avi, entry_id=saved.pk)
    assert not Entry.objects.exists()
    audit = AuditLog.objects.get(action="journal.entry_deleted")
    assert audit.actor_id == world.avi.pk
    assert "secret" not in str(audit.details)


def test_intention_is_one_per_local_day_and_clears(world: World) -> None:
    first = services.intention_set(client=world.avi, text="  Be gentle  ")
    assert first is not None and first.text == "Be gentle"
    second = services.intention_set(client=world.avi, text="Breathe")
    assert second is not None and second.pk == first.pk
    assert Intention.objects.get().text == "Breathe"
    assert Intention.objects.get().day == local_today(world.avi)
    assert services.intention_set(client=world.avi, text="") is None
    assert not Intention.objects.exists()


def test_intention_length_is_bounded(world: World) -> None:
    with pytest.raises(ValidationError):
        services.intention_set(client=world.avi, text="x" * (INTENTION_MAX + 1))
    assert not Intention.objects.exists()


def test_crisis_text_returns_an_outcome(world: World) -> None:
    saved = services.entry_create(author=world.avi, body="I want to kill myself tonight.")
    assert saved.crisis is not None
    assert saved.crisis.lines
    calm = services.entry_create(author=world.avi, body="I am killing it at work.")
    assert calm.crisis is None


def test_crisis_is_checked_again_on_edit(world: World) -> None:
    saved = entry(world.avi, body="A fine day.")
    updated = services.entry_update(
        author=world.avi, entry_id=saved.pk, body="I want to end my life."
    )
    assert updated.crisis is not None
