"""The client's side of sharing, on their entry page: the share panel, un-sharing, and
the comment thread (kept read-only after un-sharing)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.accounts.models import CoachClient
from loom.journal import sharing
from loom.journal.models import Comment, Entry
from tests.conftest import signed_in
from tests.journal.sharing_world import archive, audits, make_entry, notices
from tests.world import World

pytestmark = pytest.mark.django_db


def _page(entry: Entry) -> str:
    return reverse("journal:entry", args=[entry.pk])


def test_private_entry_offers_sharing_with_the_one_coach(world: World) -> None:
    entry = make_entry(world.avi)
    html = signed_in(world.avi).get(_page(entry)).content.decode()
    assert "Share with coach" in html and "Your coach: Dana Levi" in html
    assert f'type="hidden" name="coach" value="{world.dana.pk}"' in html
    assert "will see the text" in html
    assert 'id="comments"' not in html  # no thread on a private entry


def test_several_coaches_get_a_select(world: World) -> None:
    CoachClient.objects.create(coach=world.eli, client=world.avi)
    entry = make_entry(world.avi)
    html = signed_in(world.avi).get(_page(entry)).content.decode()
    assert "<select" in html and "Eli Cohen" in html and "Dana Levi" in html
    assert 'for="id_coach"' in html


def test_client_without_coach_cannot_share(world: World) -> None:
    archive(world, world.dana, world.avi)
    entry = make_entry(world.avi)
    browser = signed_in(world.avi)
    html = browser.get(_page(entry)).content.decode()
    assert "Share with coach" not in html
    response = browser.post(
        reverse("journal_coach:share", args=[entry.pk]), {"coach": world.dana.pk}
    )
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.shared_with_id is None


def test_share_then_stop_sharing_from_the_page(world: World) -> None:
    entry = make_entry(world.avi)
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("journal_coach:share", args=[entry.pk]), {"coach": world.dana.pk}
    )
    assert response.status_code == 302 and response["Location"] == _page(entry) + "#share"
    entry.refresh_from_db()
    assert entry.shared_with_id == world.dana.pk
    html = browser.get(_page(entry)).content.decode()
    assert "Shared with Dana Levi on" in html and "Stop sharing" in html
    assert "Add a comment" in html and "Post comment" in html
    assert len(notices(world.dana, "journal_shared")) == 1
    response = browser.post(reverse("journal_coach:unshare", args=[entry.pk]))
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.shared_with_id is None
    # Replayed: still fine, nothing more audited.
    browser.post(reverse("journal_coach:unshare", args=[entry.pk]))
    assert len(audits("journal.entry_unshared")) == 1


def test_share_with_a_foreign_coach_changes_nothing(world: World) -> None:
    entry = make_entry(world.avi)
    browser = signed_in(world.avi)
    for coach in (world.eli.pk, "abc", ""):
        response = browser.post(reverse("journal_coach:share", args=[entry.pk]), {"coach": coach})
        assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.shared_with_id is None and audits("journal.entry_shared") == []


def test_someone_elses_entry_is_404_for_every_action(world: World) -> None:
    entry = make_entry(world.noa, shared_with=world.dana)
    browser = signed_in(world.avi)
    for name in ("share", "unshare", "comment_add"):
        url = reverse(f"journal_coach:{name}", args=[entry.pk])
        assert browser.post(url, {"coach": world.dana.pk, "body": "x"}).status_code == 404
    comment = sharing.comment_add(author=world.noa, entry_id=entry.pk, body="mine").comment
    assert (
        browser.post(reverse("journal_coach:comment_delete", args=[comment.pk])).status_code == 404
    )
    entry.refresh_from_db()
    assert entry.shared_with_id == world.dana.pk and Comment.objects.count() == 1


def test_comments_on_the_page_and_read_only_after_unsharing(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    sharing.comment_add(author=world.dana, entry_id=entry.pk, body="How was the **breath**?")
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("journal_coach:comment_add", args=[entry.pk]), {"body": "Easier"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#comments")
    html = browser.get(_page(entry)).content.decode()
    assert "<strong>breath</strong>" in html and "Easier" in html and "Dana Levi" in html
    sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    html = browser.get(_page(entry)).content.decode()
    assert "<strong>breath</strong>" in html and "read-only" in html
    assert "Post comment" not in html
    response = browser.post(reverse("journal_coach:comment_add", args=[entry.pk]), {"body": "more"})
    assert response.status_code == 302 and Comment.objects.count() == 2


def test_thread_query_count_is_constant(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    browser = signed_in(world.avi)
    browser.get(_page(entry))
    with CaptureQueriesContext(connection) as few:
        browser.get(_page(entry))
    for i in range(15):
        sharing.comment_add(
            author=world.dana if i % 2 else world.avi, entry_id=entry.pk, body=f"c{i}"
        )
    with CaptureQueriesContext(connection) as many:
        browser.get(_page(entry))
    assert len(few) == len(many)


def test_crisis_words_in_a_comment_show_the_support_panel(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    browser = signed_in(world.avi)
    response = browser.post(
        reverse("journal_coach:comment_add", args=[entry.pk]),
        {"body": "I want to kill myself"},
        follow=True,
    )
    assert response.status_code == 200
    assert "face this alone" in response.content.decode()


def test_oversized_comment_is_refused_with_a_message(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    response = signed_in(world.avi).post(
        reverse("journal_coach:comment_add", args=[entry.pk]), {"body": "x" * 4001}, follow=True
    )
    assert response.status_code == 200 and not Comment.objects.exists()
    assert "4000" in response.content.decode() or "4,000" in response.content.decode()


def test_hebrew_share_panel(world: World) -> None:
    entry = make_entry(world.noa)
    html = signed_in(world.noa).get(_page(entry)).content.decode()
    assert 'dir="rtl"' in html and f'action="/journal/{entry.pk}/share/"' in html
