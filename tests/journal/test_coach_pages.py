"""The coach's side of the journal: the client's Journal tab, a shared entry (audited on
every opening), its audio, comments, and the coach's prompts pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.core.crypto import encrypt_bytes
from loom.journal import sharing
from loom.journal.models import Comment, Entry, Prompt
from tests.conftest import signed_in
from tests.journal.sharing_world import SECRET, archive, audits, make_entry
from tests.world import World

pytestmark = pytest.mark.django_db

AUDIO = b"ID3\x03\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 200


def _tab(client_id: int) -> str:
    return reverse("coach:client_tab", args=[client_id, "journal"])


def _entry_url(entry: Entry) -> str:
    return reverse("journal_coach:entry", args=[entry.pk])


# --- The Journal tab -----------------------------------------------------------------------


def test_tab_lists_only_entries_shared_with_this_coach(world: World) -> None:
    shared = make_entry(world.avi, shared_with=world.dana, title="Shared one")
    make_entry(world.avi, title="Private one")
    sharing.comment_add(author=world.dana, entry_id=shared.pk, body="hi")
    response = signed_in(world.dana).get(_tab(world.avi.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Shared one" in html and "Private one" not in html
    assert _entry_url(shared) in html
    assert "1 comment" in html and "Mood 6/10" in html
    [row] = audits("journal.shared_list_viewed")
    assert row.actor_id == world.dana.pk and row.details["entry_ids"] == [shared.pk]


def test_tab_empty_state(world: World) -> None:
    make_entry(world.avi)
    html = signed_in(world.dana).get(_tab(world.avi.pk)).content.decode()
    assert "No shared journal entries yet" in html
    assert "Entries your client chooses to share will appear here." in html
    assert audits("journal.shared_list_viewed") == []


def test_tab_of_archived_client_shows_nothing(world: World) -> None:
    make_entry(world.avi, shared_with=world.dana, title="Shared one")
    archive(world, world.dana, world.avi)
    response = signed_in(world.dana).get(_tab(world.avi.pk))
    html = response.content.decode()
    assert "Shared one" not in html
    assert "hidden while the client is archived" in html


def test_tab_pages_with_a_cursor_and_constant_queries(world: World) -> None:
    start = dt.date(2026, 1, 1)
    for i in range(45):
        make_entry(
            world.avi,
            shared_with=world.dana,
            title=f"Day {i}",
            written_on=start + dt.timedelta(days=i),
        )
    browser = signed_in(world.dana)
    seen: list[str] = []
    counts: list[int] = []
    url = _tab(world.avi.pk)
    browser.get(url)  # the first request of a session loads more (session, user)
    while url:
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(url)
        counts.append(len(queries))
        page = response.context["rows"]
        seen += [row["entry"].title for row in page]
        url = response.context["older_url"]
    assert seen == [f"Day {i}" for i in range(44, -1, -1)]
    assert len(counts) == 3 and len(set(counts)) == 1, counts


def test_tab_with_a_bad_cursor_shows_the_first_page(world: World) -> None:
    make_entry(world.avi, shared_with=world.dana, title="Shared one")
    for cursor in ("%%%", "bm90LWEtZGF0ZToz", "MjAyNi0wMS0wMTotNQ", "A" * 300):
        response = signed_in(world.dana).get(_tab(world.avi.pk), {"cursor": cursor})
        assert response.status_code == 200
        assert "That page link is not valid" in response.content.decode()


def test_tab_hebrew(world: World) -> None:
    make_entry(world.maya, shared_with=world.eli, title="רשומה")
    html = signed_in(world.eli).get(_tab(world.maya.pk)).content.decode()
    assert 'dir="rtl"' in html and "רשומה" in html


# --- A shared entry ------------------------------------------------------------------------


def test_coach_reads_a_shared_entry_and_every_opening_is_audited(world: World) -> None:
    entry = make_entry(world.noa, shared_with=world.dana)
    browser = signed_in(world.dana)
    for _ in range(2):
        response = browser.get(_entry_url(entry))
        assert response.status_code == 200
    html = response.content.decode()
    assert SECRET in html and "<strong>tension</strong>" in html
    assert "<h1>Journal entry</h1>" in html and "Shared by Noa Peretz" in html
    for label in ("Calm", "Anxious", "Chest", "Shoulders", "Tension", "Breathing practice"):
        assert label in html
    rows = audits("journal.entry_viewed")
    assert len(rows) == 2
    assert {(row.actor_id, row.target_id) for row in rows} == {(world.dana.pk, str(entry.pk))}


@pytest.mark.parametrize("state", ["private", "unshared", "archived", "other_coach"])
def test_coach_cannot_open_an_entry_not_shared_with_them(world: World, state: str) -> None:
    entry = make_entry(world.avi, shared_with=None if state == "private" else world.dana)
    coach = world.eli if state == "other_coach" else world.dana
    if state == "unshared":
        sharing.entry_unshare(author=world.avi, entry_id=entry.pk)
    if state == "archived":
        archive(world, world.dana, world.avi)
    browser = signed_in(coach)
    assert browser.get(_entry_url(entry)).status_code == 404
    assert browser.get(reverse("journal_coach:audio", args=[entry.pk])).status_code == 404
    assert audits("journal.entry_viewed") == []


def test_hostile_markup_in_an_entry_is_inert(world: World) -> None:
    entry = make_entry(
        world.avi,
        shared_with=world.dana,
        title="<script>alert(1)</script>",
        body='<img src=x onerror=alert(1)> [x](javascript:alert(1)) <iframe src="//evil">',
    )
    html = signed_in(world.dana).get(_entry_url(entry)).content.decode()
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert 'href="javascript' not in html and "<iframe" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_coach_plays_the_audio_note_and_it_is_audited(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    entry.audio.save("a.bin", ContentFile(encrypt_bytes(AUDIO)), save=False)
    entry.audio_content_type = "audio/mpeg"
    entry.audio_size = len(AUDIO)
    entry.save()
    browser = signed_in(world.dana)
    assert (
        f'src="/coach/journal/{entry.pk}/audio/"' in browser.get(_entry_url(entry)).content.decode()
    )
    response = browser.get(reverse("journal_coach:audio", args=[entry.pk]))
    assert response.status_code == 200 and response.content == AUDIO
    assert response["Content-Type"] == "audio/mpeg"
    assert "no-store" in response["Cache-Control"]
    ranged = browser.get(reverse("journal_coach:audio", args=[entry.pk]), HTTP_RANGE="bytes=0-9")
    assert ranged.status_code == 206 and ranged.content == AUDIO[:10]
    assert len(audits("journal.entry_audio_played")) == 2


def test_entry_without_audio_has_no_audio_route(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    response = signed_in(world.dana).get(reverse("journal_coach:audio", args=[entry.pk]))
    assert response.status_code == 404


def test_coach_comments_from_the_entry_page(world: World) -> None:
    entry = make_entry(world.avi, shared_with=world.dana)
    browser = signed_in(world.dana)
    url = reverse("journal_coach:coach_comment_add", args=[entry.pk])
    response = browser.post(url, {"body": "What did you *notice* next?"})
    assert response.status_code == 302 and response["Location"].endswith(
        f"{_entry_url(entry)}#comments"
    )
    html = browser.get(_entry_url(entry)).content.decode()
    assert "<em>notice</em>" in html and "Post comment" in html and "Add a comment" in html
    # An empty comment is refused with a message and writes nothing.
    response = browser.post(url, {"body": "   "}, follow=True)
    assert Comment.objects.count() == 1
    # Eli cannot post to Dana's client's entry.
    assert signed_in(world.eli).post(url, {"body": "hi"}).status_code == 404
    comment = Comment.objects.get()
    delete = reverse("journal_coach:coach_comment_delete", args=[comment.pk])
    assert signed_in(world.eli).post(delete).status_code == 404
    assert browser.post(delete).status_code == 302
    assert not Comment.objects.exists()


def test_opening_the_entry_marks_its_notices_seen(world: World) -> None:
    from loom.notifications.models import Notification

    entry = make_entry(world.avi)
    sharing.entry_share(author=world.avi, entry_id=entry.pk, coach_id=world.dana.pk)
    from loom.core.outbox import outbox_drain

    outbox_drain()
    unread = Notification.objects.filter(user=world.dana, read_at__isnull=True)
    assert unread.filter(kind="journal_shared").count() == 1
    signed_in(world.dana).get(_entry_url(entry))
    assert not unread.filter(kind="journal_shared").exists()


# --- Prompts -------------------------------------------------------------------------------


def test_prompts_page_adds_edits_hides_and_deletes(world: World) -> None:
    browser = signed_in(world.dana)
    url = reverse("journal_coach:prompts")
    page = browser.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<h1>Journal prompts</h1>" in html and "New prompt" in html and "Add prompt" in html
    assert browser.post(url, {"text": "Where do you hold today?"}).status_code == 302
    prompt = Prompt.objects.get(coach=world.dana)
    assert browser.post(url, {"text": ""}).status_code == 400
    assert browser.post(url, {"text": "x" * 501}).status_code == 400
    edit = reverse("journal_coach:prompt_edit", args=[prompt.pk])
    assert browser.get(edit).status_code == 200
    assert (
        browser.post(edit, {"text": "Where do you hold it?", "is_active": "on"}).status_code == 302
    )
    prompt.refresh_from_db()
    assert prompt.text == "Where do you hold it?" and prompt.is_active
    browser.post(reverse("journal_coach:prompt_toggle", args=[prompt.pk]))
    prompt.refresh_from_db()
    assert not prompt.is_active
    assert "Hidden" in browser.get(url).content.decode()
    delete = reverse("journal_coach:prompt_delete", args=[prompt.pk])
    assert "Delete prompt?" in browser.get(delete).content.decode()
    assert browser.post(delete).status_code == 302
    assert not Prompt.objects.exists()


def test_prompts_page_query_count_is_constant(world: World) -> None:
    browser = signed_in(world.dana)
    url = reverse("journal_coach:prompts")
    sharing.prompt_create(coach=world.dana, text="one")
    browser.get(url)
    with CaptureQueriesContext(connection) as few:
        browser.get(url)
    for i in range(20):
        sharing.prompt_create(coach=world.dana, text=f"prompt {i}")
    with CaptureQueriesContext(connection) as many:
        browser.get(url)
    assert len(few) == len(many)


def test_other_coach_cannot_touch_a_prompt(world: World) -> None:
    prompt = sharing.prompt_create(coach=world.dana, text="Dana's")
    browser = signed_in(world.eli)
    for name in ("prompt_edit", "prompt_delete", "prompt_toggle"):
        assert (
            browser.post(
                reverse(f"journal_coach:{name}", args=[prompt.pk]), {"text": "x"}
            ).status_code
            == 404
        )
    prompt.refresh_from_db()
    assert prompt.text == "Dana's" and prompt.is_active


def test_prompts_page_hebrew(world: World) -> None:
    html = signed_in(world.eli).get(reverse("journal_coach:prompts")).content.decode()
    assert 'dir="rtl"' in html
