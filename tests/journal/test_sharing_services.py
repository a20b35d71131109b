"""Sharing a journal entry, un-sharing, comments and coach prompts: the services' rules.

Every refusal changes nothing (no share, no audit row, no notice); notices name the
person in the recipient's language and never carry the entry's or comment's words.
"""

from __future__ import annotations

import json

import pytest
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.core.errors import DomainError, Forbidden, NotFound
from loom.core.models import AuditLog, OutboxMessage
from loom.journal import sharing
from loom.journal.models import COMMENT_MAX, PROMPT_MAX, Comment, Entry, Prompt
from tests.journal.sharing_world import SECRET, archive, audits, make_entry, notices
from tests.world import World

pytestmark = pytest.mark.django_db


def _nothing_written(entry: Entry) -> None:
    entry.refresh_from_db()
    assert entry.shared_with_id is None and entry.shared_at is None
    assert not AuditLog.objects.filter(action__startswith="journal.").exists()
    assert not OutboxMessage.objects.filter(channel="notice").exists()


# --- Sharing -------------------------------------------------------------------------------


def test_client_shares_entry_with_active_coach(world: World) -> None:
    entry = make_entry(world.noa)
    shared = sharing.entry_share(author=world.noa, entry_id=entry.pk, coach_id=world.dana.pk)
    entry.refresh_from_db()
    assert entry.shared_with_id == world.dana.pk and entry.shared_at is not None
    assert shared.pk == entry.pk
    [row] = audits("journal.entry_shared")
    assert row.actor_id == world.noa.pk and row.target_id == str(entry.pk)
    assert row.details["coach_id"] == world.dana.pk


def test_share_notice_goes_to_coach_in_coach_language_without_text(world: World) -> None:
    # Noa writes in Hebrew; Dana reads English.
    entry = make_entry(world.noa)
    sharing.entry_share(author=world.noa, entry_id=entry.pk, coach_id=world.dana.pk)
    [notice] = notices(world.dana)
    assert notice["kind"] == "journal_shared"
    assert notice["title"] == "Noa Peretz shared a journal entry with you"
    assert notice["url"] == f"/coach/journal/{entry.pk}/"
    assert notices(world.noa) == []
    payload = json.dumps(notice, ensure_ascii=False)
    assert SECRET not in payload and "Evening practice" not in payload and "tension" not in payload


def test_share_notice_in_hebrew_for_hebrew_coach(world: World) -> None:
    entry = make_entry(world.maya)
    sharing.entry_share(author=world.maya, entry_id=entry.pk, coach_id=world.eli.pk)
    [notice] = notices(world.eli, "journal_shared")
    # Eli reads Hebrew: the words come from the catalog (the name stays as written).
    assert "Maya Friedman" in notice["title"]
    assert notice["email"]["subject"]
    assert SECRET not in json.dumps(notice, ensure_ascii=False)


def test_sharing_with_a_foreign_coach_is_not_found_and_changes_nothing(world: World) -> None:
    entry = make_entry(world.avi)
    for coach_id in (world.eli.pk, world.maya.pk, world.avi.pk, 0, -3, "x", None, 10**12):
        with pytest.raises(NotFound):
            sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=coach_id)
    _nothing_written(entry)


def test_sharing_with_archived_coach_is_not_found(world: World) -> None:
    entry = make_entry(world.avi)
    archive(world, world.dana, world.avi)
    with pytest.raises(NotFound):
        sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    _nothing_written(entry)


def test_nobody_shares_someone_elses_entry(world: World) -> None:
    entry = make_entry(world.avi)
    for user in (world.noa, world.dana, world.maya):
        with pytest.raises(NotFound):
            sharing.entry_share(author=user, entry_id=entry.pk, coach_id=world.dana.pk)
    with pytest.raises(NotFound):
        sharing.entry_share(author=world.avi, entry_id="nope", coach_id=world.dana.pk)
    _nothing_written(entry)


def test_resharing_records_new_time_and_tells_the_coach_once(world: World) -> None:
    entry = make_entry(world.avi)
    first = sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    first_at = first.shared_at
    again = sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    assert again.shared_at is not None and first_at is not None and again.shared_at >= first_at
    assert len(notices(world.dana, "journal_shared")) == 1
    assert len(audits("journal.entry_shared")) == 2


def test_sharing_moves_to_another_active_coach(world: World) -> None:
    CoachClient.objects.create(coach=world.eli, client=world.avi)
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.eli.pk)
    entry.refresh_from_db()
    assert entry.shared_with_id == world.eli.pk
    assert len(notices(world.eli, "journal_shared")) == 1
    [row] = audits("journal.entry_shared")
    assert row.details["previous_coach_id"] == world.dana.pk


def test_unshare_clears_both_fields_and_is_audited(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.shared_with_id is None and entry.shared_at is None
    [row] = audits("journal.entry_unshared")
    assert row.details == {"coach_id": world.dana.pk}


def test_replayed_unshare_is_a_no_op(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    assert len(audits("journal.entry_unshared")) == 1


def test_only_the_author_unshares(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    for user in (world.dana, world.noa, world.eli):
        with pytest.raises(NotFound):
            sharing.entry_unshare(author=user, entry_id=entry.pk)
    entry.refresh_from_db()
    assert entry.shared_with_id == world.dana.pk


# --- Comments ------------------------------------------------------------------------------


def test_coach_and_author_comment_on_a_shared_entry_and_tell_each_other(world: World) -> None:
    entry = make_entry(world.noa, shared_with=world.dana)
    by_coach = sharing.comment_add(author=world.dana, entry_id=entry.pk, body="Lovely *noticing*")
    assert by_coach.crisis is None
    by_client = sharing.comment_add(author=world.noa, entry_id=entry.pk, body="  Thank you  ")
    assert by_client.comment.body == "Thank you"
    assert Comment.objects.filter(entry=entry).count() == 2
    [to_noa] = notices(world.noa, "journal_comment")
    [to_dana] = notices(world.dana, "journal_comment")
    assert to_noa["url"] == f"/journal/{entry.pk}/"
    assert to_dana["url"] == f"/coach/journal/{entry.pk}/"
    assert to_dana["title"] == "Noa Peretz commented on a journal entry"
    for notice in (to_noa, to_dana):
        text = json.dumps(notice, ensure_ascii=False)
        assert "noticing" not in text and "Thank you" not in text and SECRET not in text


def test_comment_is_stored_encrypted(world: World) -> None:
    from django.db import connection

    entry = make_entry(world.avi, shared_with=world.dana)
    saved = sharing.comment_add(author=world.dana, entry_id=entry.pk, body="Breathe into it")
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM journal_comment WHERE id = %s", [saved.comment.pk])
        [raw] = cursor.fetchone()
    assert "Breathe" not in raw


@pytest.mark.parametrize(
    "body",
    ["", "   ", "x" * (COMMENT_MAX + 1), "bad \x00 byte", "half \ud800 pair", 42, None, ["x"]],
)
def test_bad_comment_bodies_are_refused(world: World, body: object) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    with pytest.raises(DomainError):
        sharing.comment_add(author=world.dana, entry_id=entry.pk, body=body)
    assert not Comment.objects.exists()
    assert not OutboxMessage.objects.filter(channel="notice").exists()


def test_longest_comment_is_accepted(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.comment_add(author=world.dana, entry_id=entry.pk, body="x" * COMMENT_MAX)
    assert Comment.objects.count() == 1


def test_outsiders_cannot_comment(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    for user in (world.eli, world.noa, world.maya, world.admin):
        with pytest.raises(NotFound):
            sharing.comment_add(author=user, entry_id=entry.pk, body="hi")
    assert not Comment.objects.exists()


def test_comments_need_the_entry_shared(world: World) -> None:
    private = make_entry(world.avi)
    with pytest.raises(DomainError) as refused:
        sharing.comment_add(author=world.avi, entry_id=private.pk, body="hi")
    assert refused.value.code == "not_shared"
    with pytest.raises(NotFound):
        sharing.comment_add(author=world.dana, entry_id=private.pk, body="hi")
    assert not Comment.objects.exists()


def test_coach_cannot_comment_after_unshare_or_archive(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    archive(world, world.dana, world.avi)
    with pytest.raises(NotFound):
        sharing.comment_add(author=world.dana, entry_id=entry.pk, body="hi")
    other = make_entry(world.noa, shared_with=world.dana)
    sharing.entry_unshare(author=world.noa, entry_id=other.pk)
    with pytest.raises(NotFound):
        sharing.comment_add(author=world.dana, entry_id=other.pk, body="hi")


def test_client_comment_runs_the_safety_net(world: World) -> None:
    from loom.accounts.models import CrisisSignal

    entry = make_entry(world.avi, shared_with=world.dana)
    saved = sharing.comment_add(author=world.avi, entry_id=entry.pk, body="I want to kill myself")
    assert saved.crisis is not None
    [signal] = CrisisSignal.objects.all()
    assert signal.source == "journal_comment" and signal.source_id == saved.comment.pk


def test_coach_comment_skips_the_safety_net(world: World) -> None:
    from loom.accounts.models import CrisisSignal

    entry = make_entry(world.avi, shared_with=world.dana)
    saved = sharing.comment_add(
        author=world.dana, entry_id=entry.pk, body="If you ever want to kill yourself, call 988."
    )
    assert saved.crisis is None and not CrisisSignal.objects.exists()


def test_comment_delete_own_only(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    mine = sharing.comment_add(author=world.avi, entry_id=entry.pk, body="mine").comment
    theirs = sharing.comment_add(author=world.dana, entry_id=entry.pk, body="theirs").comment
    for user, comment in ((world.avi, theirs), (world.dana, mine), (world.eli, theirs)):
        with pytest.raises(NotFound):
            sharing.comment_delete(author=user, comment_id=comment.pk)
    sharing.comment_delete(author=world.avi, comment_id=mine.pk)
    assert list(Comment.objects.values_list("pk", flat=True)) == [theirs.pk]
    with pytest.raises(NotFound):
        sharing.comment_delete(author=world.avi, comment_id=mine.pk)


def test_client_keeps_and_may_delete_comments_after_unshare_coach_may_not(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    mine = sharing.comment_add(author=world.avi, entry_id=entry.pk, body="mine").comment
    theirs = sharing.comment_add(author=world.dana, entry_id=entry.pk, body="theirs").comment
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    with pytest.raises(NotFound):
        sharing.comment_delete(author=world.dana, comment_id=theirs.pk)
    sharing.comment_delete(author=world.avi, comment_id=mine.pk)
    assert list(Comment.objects.values_list("pk", flat=True)) == [theirs.pk]


# --- Prompts -------------------------------------------------------------------------------


def test_prompt_lifecycle(world: World) -> None:
    prompt = sharing.prompt_create(coach=world.dana, text="  What did your feet feel?  ")
    assert prompt.text == "What did your feet feel?" and prompt.is_active
    sharing.prompt_update(coach=world.dana, prompt_id=prompt.pk, is_active=False)
    prompt.refresh_from_db()
    assert not prompt.is_active and prompt.text == "What did your feet feel?"
    sharing.prompt_update(coach=world.dana, prompt_id=prompt.pk, text="New words")
    prompt.refresh_from_db()
    assert prompt.text == "New words" and not prompt.is_active
    entry = make_entry(world.avi, prompt=prompt)
    sharing.prompt_delete(coach=world.dana, prompt_id=prompt.pk)
    entry.refresh_from_db()
    assert entry.prompt_id is None and entry.body
    assert not Prompt.objects.exists()


@pytest.mark.parametrize("text", ["", "  ", "x" * (PROMPT_MAX + 1), "a\x00b", None, 5])
def test_bad_prompt_text_is_refused(world: World, text: object) -> None:
    with pytest.raises(DomainError):
        sharing.prompt_create(coach=world.dana, text=text)
    assert not Prompt.objects.exists()


def test_only_coaches_own_prompts(world: World) -> None:
    with pytest.raises(Forbidden):
        sharing.prompt_create(coach=world.avi, text="hi")
    prompt = sharing.prompt_create(coach=world.dana, text="Dana's")
    with pytest.raises(NotFound):
        sharing.prompt_update(coach=world.eli, prompt_id=prompt.pk, text="Eli's now")
    with pytest.raises(NotFound):
        sharing.prompt_delete(coach=world.eli, prompt_id=prompt.pk)
    prompt.refresh_from_db()
    assert prompt.text == "Dana's"


def test_prompt_count_is_capped(world: World) -> None:
    Prompt.objects.bulk_create(
        [
            Prompt(coach=world.dana, text=f"p{i}", created_at=timezone.now())
            for i in range(sharing.PROMPTS_MAX_PER_COACH)
        ]
    )
    with pytest.raises(DomainError) as refused:
        sharing.prompt_create(coach=world.dana, text="one more")
    assert refused.value.code == "too_many"
