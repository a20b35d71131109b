"""The resource library's whole story in a browser, in English and in Hebrew.

Coach Dana signs in, opens her library, uploads a 20 MB WebM video and a PDF through
the upload page (the browser's own file chooser and upload progress), files both in a
new collection and shares it with one client. The client opens Resources, the
collection and the video, plays it and seeks (the file answers 206 Partial Content),
opens the PDF in the pdf.js viewer and marks it complete. The coach's analytics show
the views and the completion. The coach un-shares the collection; the client's page
and the file are then 404. Every page visited passes ``check_page`` (lang/dir, one h1,
no browser errors, axe-core 0 violations).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, Response, expect

from loom.resources.models import Collection, Resource, ResourceProgress, ResourceView, Share
from tests.browser.conftest import PageOpener
from tests.browser.support import (
    axe_check,
    check_page,
    containing,
    exact,
    fill,
    page_language,
    sign_in,
    submit,
    t,
    visit_and_check,
)
from tests.resources import media
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

VIDEO_BYTES = 20 * 1024 * 1024
VIDEO_SECONDS = 20
TITLES = {
    "en": {"video": "Morning stretch", "pdf": "Breathing worksheet", "collection": "Week one"},
    "he": {"video": "מתיחות בוקר", "pdf": "דף נשימה", "collection": "שבוע ראשון"},
}
UPLOAD_TIMEOUT_MS = 60_000


def _unfold_header(page: Page, wanted: Locator) -> None:
    """On narrow screens the navigation and account tools are folded behind "Menu"."""
    if not wanted.is_visible():
        page.get_by_role("button", name=exact(t(page_language(page), "Menu"))).click()


def _open_section(page: Page, name: str) -> None:
    """Follows a link of the main navigation."""
    language = page_language(page)
    navigation = page.get_by_role("navigation", name=exact(t(language, "Main")))
    link = navigation.get_by_role("link", name=exact(t(language, name)))
    _unfold_header(page, link)
    with page.expect_navigation():
        link.click()
    check_page(page)


def _follow(page: Page, name: str, *, translate: bool = True) -> None:
    """Clicks the link called ``name`` (a msgid unless ``translate`` is off)."""
    label = t(page_language(page), name) if translate else name
    with page.expect_navigation():
        page.get_by_role("link", name=exact(label)).first.click()
    check_page(page)


def _wait_for(condition: object, what: str, *, seconds: float = 15) -> None:
    """Polls ``condition()`` (a database check) until it is true."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}", pytrace=False)
        time.sleep(0.1)


def _coach_uploads(coach: Page, titles: dict[str, str], folder: Path) -> tuple[Resource, Resource]:
    language = page_language(coach)
    _open_section(coach, "Library")
    _follow(coach, "Upload files")
    chooser = coach.get_by_label(t(language, "Files"))
    # From files on disk: Playwright then streams them instead of inlining 20 MB.
    video_file = folder / f"{titles['video']}.webm"
    video_file.write_bytes(media.webm_bytes(seconds=VIDEO_SECONDS, min_bytes=VIDEO_BYTES))
    pdf_file = folder / f"{titles['pdf']}.pdf"
    pdf_file.write_bytes(media.pdf_bytes())
    chooser.set_input_files([video_file, pdf_file], timeout=UPLOAD_TIMEOUT_MS)
    coach.get_by_role("button", name=exact(t(language, "Upload"))).click()
    # Each file gets a progress bar labelled with its name; both end full, each with a
    # link to its new resource.
    results = coach.locator("[data-upload-list]")
    for name in (f"{titles['video']}.webm", f"{titles['pdf']}.pdf"):
        bar = results.get_by_role("progressbar", name=exact(name))
        expect(bar).to_have_js_property("value", 100, timeout=UPLOAD_TIMEOUT_MS)
    summary = t(language, "{done} of {total} files uploaded.").format(done=2, total=2)
    expect(coach.locator("[data-upload-summary]")).to_have_text(summary, timeout=UPLOAD_TIMEOUT_MS)
    expect(results.get_by_role("link", name=exact(t(language, "Open the resource")))).to_have_count(
        2
    )
    axe_check(coach)
    video = Resource.objects.get(coach__email="dana@example.com", title=titles["video"])
    pdf = Resource.objects.get(coach__email="dana@example.com", title=titles["pdf"])
    assert (video.kind, video.file_kind, video.size_bytes) == ("video", "webm", VIDEO_BYTES)
    assert (pdf.kind, pdf.file_kind) == ("document", "pdf")
    return video, pdf


def _coach_files_them_in_a_collection(coach: Page, titles: dict[str, str]) -> Collection:
    _follow(coach, "Collections")
    _follow(coach, "New collection")
    fill(coach, "Title", titles["collection"])
    submit(coach, "Create collection")
    check_page(coach)
    expect(coach.get_by_role("heading", level=1)).to_have_text(exact(titles["collection"]))
    # The picker lists each resource as "<title> (<kind>)".
    for title in (titles["video"], titles["pdf"]):
        coach.get_by_role("checkbox", name=containing(title)).check()
    submit(coach, "Add to collection")
    check_page(coach)
    collection = Collection.objects.get(title=titles["collection"])
    assert set(collection.items.values_list("resource__title", flat=True)) == {
        titles["video"],
        titles["pdf"],
    }
    items = coach.locator("ol.library-collection-items > li")
    expect(items).to_have_count(2)
    return collection


def _coach_shares(coach: Page, collection: Collection, client_name: str) -> None:
    language = page_language(coach)
    _follow(coach, "Share")
    coach.get_by_role("radio", name=exact(t(language, "Chosen clients"))).check()
    coach.get_by_role("checkbox", name=exact(client_name)).check()
    submit(coach, "Share")
    check_page(coach)
    shares = Share.objects.filter(collection=collection)
    assert [share.client.display_name for share in shares] == [client_name]
    shared_with = coach.get_by_role("region", name=exact(t(language, "Shared with")))
    expect(shared_with.get_by_role("link", name=exact(client_name))).to_be_visible()


def _wait_for_media(page: Page, condition: str) -> None:
    """Waits until ``condition`` (JS over ``media``) holds for the page's video; a
    playback error fails at once, with the browser's message."""
    script = (
        "() => { const media = document.querySelector('video');"
        f" if (media.error) {{ return 'error: ' + media.error.message; }} return {condition}; }}"
    )
    outcome = page.wait_for_function(script).json_value()
    assert outcome is True, f"the video did not play: {outcome}"


def _client_watches_and_seeks(client: Page, titles: dict[str, str], video: Resource) -> None:
    language = page_language(client)
    file_url = f"/resources/{video.pk}/file/"
    answers: list[Response] = []
    client.on("response", lambda response: answers.append(response))
    _follow(client, titles["video"], translate=False)
    player = client.locator("video")
    expect(player).to_be_visible()
    # Muted, as a page may only start sound after a gesture; the test's play() is none.
    player.evaluate("(media) => { media.muted = true; return media.play(); }")
    _wait_for_media(client, "media.currentTime > 0.5")
    # Seek with the player's own "Forward 10 seconds" button, from the keyboard.
    client.get_by_role("button", name=exact(t(language, "Forward 10 seconds"))).focus()
    client.keyboard.press("Enter")
    _wait_for_media(client, "media.currentTime > 10.5")
    player.evaluate("(media) => media.pause()")
    partial = [
        answer for answer in answers if answer.url.endswith(file_url) and answer.status == 206
    ]
    assert partial, "no 206 answer for the video file: " + ", ".join(
        f"{answer.status} {answer.url}" for answer in answers if file_url in answer.url
    )
    assert partial[0].headers["content-range"].startswith("bytes ")
    # The pause sent what was played; the seek's gap is not counted as watched.
    _wait_for(
        lambda: ResourceProgress.objects.filter(resource=video, watched_share__gt=0).exists(),
        "the video's progress report",
    )
    progress = ResourceProgress.objects.get(resource=video)
    assert 0 < progress.watched_share < 0.9
    assert progress.completed_at is None
    check_page(client)


def _client_reads_the_pdf(client: Page, titles: dict[str, str], pdf: Resource) -> None:
    language = page_language(client)
    page_of = t(language, "Page %(page)s of %(pages)s") % {"page": 1, "pages": 1}
    _follow(client, titles["pdf"], translate=False)
    expect(client.locator("[data-pdf-status]")).to_have_text(page_of)
    drawn = client.locator("[data-pdf-pages] canvas")
    expect(drawn).to_have_count(1)
    assert drawn.evaluate("(canvas) => canvas.width > 0 && canvas.height > 0")
    submit(client, "Mark as complete")
    check_page(client)
    expect(
        client.get_by_role("button", name=exact(t(language, "Mark as not complete")))
    ).to_be_visible()
    assert ResourceProgress.objects.get(resource=pdf).completed_at is not None


def _coach_sees_analytics(coach: Page, titles: dict[str, str]) -> None:
    language = page_language(coach)
    # The library's own "Analytics" (the site navigation's is the practice analytics).
    sections = coach.get_by_role("navigation", name=exact(t(language, "Library sections")))
    with coach.expect_navigation():
        sections.get_by_role("link", name=exact(t(language, "Analytics"))).click()
    check_page(coach)
    table = coach.get_by_role("region", name=exact(t(language, "Every resource")))
    # Columns after the title: views, unique viewers, shared with, completion rate.
    for title, completion in ((titles["video"], "0%"), (titles["pdf"], "100%")):
        row = table.get_by_role("row").filter(has=coach.get_by_role("link", name=exact(title)))
        expect(row).to_have_count(1)
        cells = row.get_by_role("cell")
        expect(cells.nth(0)).to_have_text(exact("1"))
        expect(cells.nth(1)).to_have_text(exact("1"))
        expect(cells.nth(2)).to_have_text(exact("1"))
        expect(cells.nth(3)).to_have_text(exact(completion))
    assert ResourceView.objects.count() == 2


def _coach_unshares(coach: Page, collection: Collection, client_name: str) -> None:
    language = page_language(coach)
    _follow(coach, "Collections")
    _follow(coach, collection.title, translate=False)
    shared_with = coach.get_by_role("region", name=exact(t(language, "Shared with")))
    row = shared_with.get_by_role("listitem").filter(has_text=client_name)
    row.get_by_role("link", name=containing(t(language, "Remove"))).click()
    dialog = coach.get_by_role("dialog")
    expect(dialog).to_be_visible()
    axe_check(coach)
    with coach.expect_navigation():
        dialog.get_by_role("button", name=exact(t(language, "Remove access"))).click()
    check_page(coach)
    assert not Share.objects.filter(collection=collection).exists()


@pytest.mark.parametrize(
    ("language", "viewport"), [("en", "1280"), ("he", "375")], ids=["en-w1280", "he-w375"]
)
def test_upload_collect_share_watch_complete_analyse_unshare(
    open_page: PageOpener, tmp_path: Path, language: str, viewport: str
) -> None:
    world = World.build()
    person = world.avi if language == "en" else world.noa
    for someone in (world.dana, person):
        someone.language = language
        someone.save(update_fields=["language"])
    titles = TITLES[language]

    coach = open_page()
    visit_and_check(coach, "/accounts/login/")
    sign_in(coach, email=world.dana.email, password=PASSWORD)
    check_page(coach)
    video, pdf = _coach_uploads(coach, titles, tmp_path)
    _follow(coach, "Library")
    collection = _coach_files_them_in_a_collection(coach, titles)
    _coach_shares(coach, collection, person.full_name)

    client = open_page()
    visit_and_check(client, "/accounts/login/")
    sign_in(client, email=person.email, password=PASSWORD)
    check_page(client)
    _open_section(client, "Resources")
    _follow(client, titles["collection"], translate=False)
    collection_page = client.url
    _client_watches_and_seeks(client, titles, video)
    client.goto(collection_page)
    check_page(client)
    _client_reads_the_pdf(client, titles, pdf)
    pdf_page = client.url

    _coach_sees_analytics(coach, titles)
    _coach_unshares(coach, collection, person.full_name)

    # Access ends at once: the page and the file are gone for the client.
    assert client.url == pdf_page
    gone = client.reload()
    assert gone is not None and gone.status == 404
    axe_check(client)
    file_answer = client.request.get(f"/resources/{pdf.pk}/file/")
    assert file_answer.status == 404
    video_answer = client.request.get(
        f"/resources/{video.pk}/file/", headers={"Range": "bytes=0-99"}
    )
    assert video_answer.status == 404
