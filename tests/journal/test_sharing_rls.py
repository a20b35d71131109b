"""Row-level security of shared journal entries and comments, proven with raw SQL as the
application role (``raw_as``): the policies of journal 0002 alone decide.

A coach reads an entry only while it is shared with them and the client is on their
active roster; un-sharing or archiving closes it at once; comments follow the entry.
"""

from __future__ import annotations

import pytest

from loom.journal import sharing
from tests.journal.sharing_world import archive, make_entry
from tests.security.conftest import app_role, raw_as, rows  # noqa: F401 - app_role is a fixture
from tests.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]

ENTRY = "SELECT count(*) FROM journal_entry WHERE id = %s"
COMMENTS = "SELECT count(*) FROM journal_comment WHERE entry_id = %s"


def _sees(user_id: int | None, entry_id: int) -> tuple[int, int]:
    with raw_as(user_id) as cursor:
        return rows(cursor, ENTRY, [entry_id])[0], rows(cursor, COMMENTS, [entry_id])[0]


def test_coach_selects_a_shared_entry_and_its_comments(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.comment_add(author=world.dana, entry_id=entry.pk, body="hello")
    assert _sees(world.dana.pk, entry.pk) == (1, 1)
    assert _sees(world.avi.pk, entry.pk) == (1, 1)
    for outsider in (world.eli, world.noa, world.maya, world.admin):
        assert _sees(outsider.pk, entry.pk) == (0, 0), outsider.email
    assert _sees(None, entry.pk) == (0, 0)


def test_coach_sees_nothing_of_a_private_entry(world: World) -> None:
    entry = make_entry(world.avi)
    assert _sees(world.dana.pk, entry.pk) == (0, 0)
    assert _sees(world.avi.pk, entry.pk) == (1, 0)


def test_unshare_closes_the_entry_to_the_coach(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.comment_add(author=world.dana, entry_id=entry.pk, body="hello")
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    assert _sees(world.dana.pk, entry.pk) == (0, 0)
    # The client keeps the thread.
    assert _sees(world.avi.pk, entry.pk) == (1, 1)


def test_archiving_the_client_closes_the_entry(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    archive(world, world.dana, world.avi)
    assert _sees(world.dana.pk, entry.pk) == (0, 0)


def test_coach_cannot_write_the_entry_or_comment_after_unshare(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    with raw_as(world.dana.pk) as cursor:
        cursor.execute("UPDATE journal_entry SET mood = 1 WHERE id = %s", [entry.pk])
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM journal_entry WHERE id = %s", [entry.pk])
        assert cursor.rowcount == 0
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    with raw_as(world.dana.pk) as cursor, pytest.raises(Exception, match="row-level security"):
        cursor.execute(
            "INSERT INTO journal_comment (entry_id, author_id, body, created_at) "
            "VALUES (%s, %s, 'x', now())",
            [entry.pk, world.dana.pk],
        )


def test_another_coach_cannot_comment_on_a_shared_entry(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    with raw_as(world.eli.pk) as cursor, pytest.raises(Exception, match="row-level security"):
        cursor.execute(
            "INSERT INTO journal_comment (entry_id, author_id, body, created_at) "
            "VALUES (%s, %s, 'x', now())",
            [entry.pk, world.eli.pk],
        )


def test_sharing_flow_works_as_the_application_role(transactional_db: None) -> None:
    """The real services, selectors and pages, run as the application role with RLS in force."""
    from django.http import Http404

    from loom.core.context import acting_as
    from loom.journal.models import Comment
    from loom.journal.selectors_coach import shared_entries_for_coach, shared_entry_for_coach
    from tests.conftest import signed_in
    from tests.security.conftest import APP_ROLE, application_connections

    world = World.build()
    entry = make_entry(world.avi)
    with application_connections(APP_ROLE):
        with acting_as(world.avi.pk):
            sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
        with acting_as(world.dana.pk):
            assert [e.pk for e in shared_entries_for_coach(world.dana, world.avi.pk).items] == [
                entry.pk
            ]
            assert shared_entry_for_coach(world.dana, entry.pk).pk == entry.pk
            sharing.comment_add(author=world.dana, entry_id=entry.pk, body="From Dana")
        with acting_as(world.avi.pk):
            sharing.comment_add(author=world.avi, entry_id=entry.pk, body="From Avi")
        page = signed_in(world.dana).get(f"/coach/journal/{entry.pk}/")
        assert page.status_code == 200 and "From Avi" in page.content.decode()
        with acting_as(world.avi.pk):
            sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
        assert signed_in(world.dana).get(f"/coach/journal/{entry.pk}/").status_code == 404
        with acting_as(world.dana.pk), pytest.raises(Http404):
            shared_entry_for_coach(world.dana, entry.pk)
        with acting_as(world.avi.pk):
            assert Comment.objects.filter(entry_id=entry.pk).count() == 2
