"""R1's review of the wellbeing, journal and crisis row-level security (raw SQL as the
application role): what each party may read and write, and what they may not forge."""

from __future__ import annotations

import pytest
from django.utils import timezone

from loom.accounts.models import CoachClient, CrisisSignal
from loom.journal.models import Intention, Prompt
from loom.wellbeing.models import SharingPreference
from tests.security.conftest import app_role, raw_as, rows  # noqa: F401 - app_role is a fixture
from tests.wellbeing.checkins_factory import record
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]
DENIED = "row-level security"
CHECKINS = "SELECT id FROM wellbeing_checkin WHERE client_id = %s"


def _share_checkins(client: object, value: bool) -> None:
    SharingPreference.objects.update_or_create(client=client, defaults={"share_checkins": value})


def test_checkins_reach_a_coach_only_when_shared_and_on_the_active_roster(world: World) -> None:
    checkin = record(world.avi, note="my secret note")
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, CHECKINS, [world.avi.pk]) == []
    _share_checkins(world.avi, True)
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, CHECKINS, [world.avi.pk]) == [checkin.pk]
    for outsider in (world.eli, world.noa, world.maya, world.admin):
        with raw_as(outsider.pk) as cursor:
            assert rows(cursor, CHECKINS, [world.avi.pk]) == [], outsider.email
    with raw_as(None) as cursor:
        assert rows(cursor, CHECKINS, [world.avi.pk]) == []
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED
    )
    with raw_as(world.dana.pk) as cursor:
        assert rows(cursor, CHECKINS, [world.avi.pk]) == []


def test_the_note_is_not_plaintext_in_the_table(world: World) -> None:
    checkin = record(world.avi, note="my secret note")
    with raw_as(world.avi.pk) as cursor:
        [note] = rows(cursor, "SELECT note FROM wellbeing_checkin WHERE id = %s", [checkin.pk])
    assert "secret" not in note and note.startswith("enc1:")


def test_a_sharing_coach_cannot_change_or_delete_checkins_or_the_choice(world: World) -> None:
    checkin = record(world.avi)
    _share_checkins(world.avi, True)
    with raw_as(world.dana.pk) as cursor:
        cursor.execute("UPDATE wellbeing_checkin SET pleasantness = 1 WHERE id = %s", [checkin.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM wellbeing_checkin WHERE id = %s", [checkin.pk])
        assert cursor.rowcount == 0
        cursor.execute(
            "UPDATE wellbeing_sharingpreference SET share_goals = true, share_checkins = true "
            "WHERE client_id = %s",
            [world.avi.pk],
        )
        assert cursor.rowcount == 0
    with raw_as(world.dana.pk) as cursor, pytest.raises(Exception, match=DENIED):
        cursor.execute(
            "INSERT INTO wellbeing_checkin (client_id, occurred_at, timezone, local_date, "
            "local_hour, created_at, updated_at, pleasantness, energy, emotions, sensations, "
            "trigger, thoughts, behaviour, coping_strategy, note) VALUES (%s, now(), 'UTC', "
            "current_date, 1, now(), now(), 5, 5, '[]', '[]', '', '', '', '', '')",
            [world.avi.pk],
        )


def test_a_client_cannot_write_checkins_for_someone_else(world: World) -> None:
    with raw_as(world.avi.pk) as cursor, pytest.raises(Exception, match=DENIED):
        cursor.execute(
            "INSERT INTO wellbeing_checkin (client_id, occurred_at, timezone, local_date, "
            "local_hour, created_at, updated_at, pleasantness, energy, emotions, sensations, "
            "trigger, thoughts, behaviour, coping_strategy, note) VALUES (%s, now(), 'UTC', "
            "current_date, 1, now(), now(), 5, 5, '[]', '[]', '', '', '', '', '')",
            [world.noa.pk],
        )


def test_crisis_signals_are_read_by_admins_only_and_forged_by_nobody(world: World) -> None:
    signal = CrisisSignal.objects.create(
        client=world.avi, source="journal_entry", source_id=1, severity="concern"
    )
    query = "SELECT id FROM accounts_crisissignal"
    for user in (world.avi, world.dana, world.noa, world.eli):
        with raw_as(user.pk) as cursor:
            assert rows(cursor, query) == [], user.email
    with raw_as(world.admin.pk) as cursor:
        assert rows(cursor, query) == [signal.pk]
    # The client cannot hide a signal (delete/update) nor forge one.
    with raw_as(world.avi.pk) as cursor:
        cursor.execute("DELETE FROM accounts_crisissignal WHERE id = %s", [signal.pk])
        assert cursor.rowcount == 0
        cursor.execute("UPDATE accounts_crisissignal SET severity = 'concern'")
        assert cursor.rowcount == 0
    with raw_as(world.avi.pk) as cursor, pytest.raises(Exception, match=DENIED):
        cursor.execute(
            "INSERT INTO accounts_crisissignal (client_id, source, source_id, severity, "
            "matched, language, detected_at, coaches_notified, consent) VALUES "
            "(%s, 'journal_entry', 2, 'imminent', '[]', 'en', now(), 0, false)",
            [world.avi.pk],
        )


def test_prompts_reach_active_clients_and_intentions_only_their_owner(world: World) -> None:
    prompt = Prompt.objects.create(coach=world.dana, text="Where do you feel it?")
    Intention.objects.create(client=world.avi, day=timezone.localdate(), text="Be kind")
    prompts = "SELECT id FROM journal_prompt"
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, prompts) == [prompt.pk]
    with raw_as(world.maya.pk) as cursor:
        assert rows(cursor, prompts) == []
    with raw_as(world.avi.pk) as cursor:
        cursor.execute("UPDATE journal_prompt SET text = 'x' WHERE id = %s", [prompt.pk])
        assert cursor.rowcount == 0
    for user in (world.dana, world.noa, world.admin):
        with raw_as(user.pk) as cursor:
            assert rows(cursor, "SELECT id FROM journal_intention") == [], user.email
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED
    )
    with raw_as(world.avi.pk) as cursor:
        assert rows(cursor, prompts) == []
