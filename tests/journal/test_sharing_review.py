"""Adversarial review (R1) of journal sharing: the holes found, each proven first.

* a coach deleting a prompt that a client's private entry answered must work under
  row-level security (the FK is cleared in the system context, not as the coach);
* a client's comment on an entry still shared with a coach they have left does not
  tell that coach anything (they can no longer open it);
* a client who moves an entry from one coach to another does not hand the first
  coach's comments (nor the replies written to them) to the second;
* deleting a coach's account must leave the entries shared with them private
  (``shared_with`` is SET_NULL; the share-pair constraint refused that).
"""

from __future__ import annotations

import pytest

from loom.journal import sharing
from loom.journal.models import Entry, Prompt
from tests.conftest import signed_in
from tests.journal.sharing_world import archive, make_entry, notices
from tests.security.conftest import app_role  # noqa: F401 - a fixture
from tests.world import World


def test_client_comment_does_not_notify_a_coach_they_have_left(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    archive(world, world.dana, world.avi)
    sharing.comment_add(author=world.avi, entry_id=entry.pk, body="Still thinking about it")
    assert notices(world.dana, "journal_comment") == []


@pytest.mark.postgres
@pytest.mark.usefixtures("app_role")
def test_coach_deletes_a_prompt_a_private_entry_answered_as_the_application_role(
    transactional_db: None,
) -> None:
    from loom.core.context import acting_as
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    prompt = Prompt.objects.create(coach=world.dana, text="What did your body say?")
    entry = make_entry(world.avi, prompt=prompt)
    with application_connections(APP_ROLE), acting_as(world.dana.pk):
        sharing.prompt_delete(coach=world.dana, prompt_id=prompt.pk)
    assert not Prompt.objects.filter(pk=prompt.pk).exists()
    assert Entry.objects.get(pk=entry.pk).prompt_id is None


def test_deleting_a_coach_account_leaves_the_clients_entries_private(world: World) -> None:
    """``shared_with`` is SET_NULL, but the share-pair constraint wants both fields null."""
    from loom.core.context import system_context

    entry = make_entry(world.avi, shared_with=world.dana)
    with system_context():
        world.dana.delete()
    entry = Entry.objects.get(pk=entry.pk)
    assert entry.shared_with_id is None


def _second_coach_for_avi(world: World) -> None:
    from loom.accounts.models import CoachClient

    CoachClient.objects.create(coach=world.eli, client=world.avi)


def test_moving_an_entry_to_another_coach_does_not_show_the_first_coachs_thread(
    world: World,
) -> None:
    from loom.journal.selectors_coach import comments_of, shared_entries_for_coach

    _second_coach_for_avi(world)
    entry = make_entry(world.avi)
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    sharing.comment_add(author=world.dana, entry_id=entry.pk, body="Dana's private advice")
    sharing.comment_add(author=world.avi, entry_id=entry.pk, body="Thanks Dana")
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.eli.pk)
    entry.refresh_from_db()
    assert [row.comment.body for row in comments_of(entry, world.eli)] == []
    page = signed_in(world.eli).get(f"/coach/journal/{entry.pk}/").content.decode()
    assert "private advice" not in page and "Thanks Dana" not in page
    api = signed_in(world.eli).get(f"/api/v1/journal/shared/{entry.pk}").json()
    assert api["comments"] == []
    [row] = shared_entries_for_coach(world.eli, world.avi.pk).items
    assert row.comment_count == 0  # type: ignore[attr-defined]
    # The thread from now on is theirs; the client still sees everything.
    sharing.comment_add(author=world.eli, entry_id=entry.pk, body="Eli here")
    sharing.comment_add(author=world.avi, entry_id=entry.pk, body="Hi Eli")
    assert [row.comment.body for row in comments_of(entry, world.eli)] == ["Eli here", "Hi Eli"]
    assert len(comments_of(entry, world.avi)) == 4


def test_a_replayed_share_keeps_the_coachs_thread(world: World) -> None:
    from loom.journal.selectors_coach import comments_of

    entry = make_entry(world.avi)
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    sharing.comment_add(author=world.avi, entry_id=entry.pk, body="First words")
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    entry.refresh_from_db()
    assert [row.comment.body for row in comments_of(entry, world.dana)] == ["First words"]


@pytest.mark.postgres
@pytest.mark.usefixtures("app_role")
def test_rls_second_coach_cannot_select_the_first_coachs_comments(world: World) -> None:
    from tests.security.conftest import raw_as, rows

    _second_coach_for_avi(world)
    entry = make_entry(world.avi)
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    sharing.comment_add(author=world.dana, entry_id=entry.pk, body="Dana's private advice")
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.eli.pk)
    with raw_as(world.eli.pk) as cursor:
        seen = rows(cursor, "SELECT count(*) FROM journal_comment WHERE entry_id = %s", [entry.pk])
    assert seen == [0]


def test_deleting_a_shared_entry_clears_the_coachs_pending_notices(world: World) -> None:
    from loom.core.outbox import outbox_drain
    from loom.journal.services import entry_delete
    from loom.notifications.models import Notification

    entry = make_entry(world.avi)
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    outbox_drain()
    unread = Notification.objects.filter(user=world.dana, read_at__isnull=True)
    assert unread.filter(kind="journal_shared").count() == 1
    entry_delete(author=world.avi, entry_id=entry.pk)
    assert not unread.filter(kind="journal_shared").exists()


def test_a_replayed_hide_prompt_click_keeps_it_hidden(world: World) -> None:
    """A double-submitted (or replayed) "Hide from clients" must not offer it again."""
    prompt = Prompt.objects.create(coach=world.dana, text="Where do you feel it?")
    client = signed_in(world.dana)
    page = client.get("/coach/journal/prompts/").content.decode()
    assert 'name="active" value="0"' in page
    for _ in range(2):
        client.post(f"/coach/journal/prompts/{prompt.pk}/toggle/", {"active": "0"})
    prompt.refresh_from_db()
    assert prompt.is_active is False
