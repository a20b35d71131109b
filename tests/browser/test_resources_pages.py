"""Every page of the resource library, for the coach and for a client, in English and
Hebrew, at 1280 and 375 pixels wide.

Each page: loads (no error status), passes ``check_page`` (lang/dir, one h1, no browser
errors, axe-core 0 violations), has no horizontal scrolling at 375, and its skip link
moves focus to the main content. A run visits every page and reports every problem at
once. The keyboard tests check that the PDF viewer's Previous / Next and the media
player's skip buttons are reachable with Tab and work with Enter and Space.

The library is built directly with ``tests.resources.factories`` (no services), and
people are signed in with a session cookie, to keep the run fast.

With ``LOOM_SHOTS_DIR`` set, the main pages are also saved there as screenshots.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from loom.accounts.models import User
from loom.resources.models import (
    Category,
    Collection,
    Resource,
    ResourceKind,
    ResourceProgress,
    ResourceTag,
    ResourceVersion,
    ResourceView,
    Tag,
)
from tests.browser.conftest import PageOpener
from tests.browser.support import (
    assert_skip_link_leads_to_main,
    check_page,
    exact,
    t,
)
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share
from tests.world import World

pytestmark = pytest.mark.browser

SHOTS_DIR = os.environ.get("LOOM_SHOTS_DIR", "")
# English on a phone and Hebrew on a desktop; the flow test (test_resources_flow.py)
# covers the other two pairs on the main pages, which keeps the browser tier's time down.
LANGUAGES_AND_WIDTHS = [("en", "375"), ("he", "1280")]
IDS = [f"{language}-w{width}" for language, width in LANGUAGES_AND_WIDTHS]
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
# A long address without spaces: what a pasted link looks like, and what overflows
# narrow screens when nothing lets it wrap.
LONG_URL = (
    "https://example.com/articles/sleep-and-stress/how-a-steady-evening-routine-helps"
    "?utm_source=newsletter&utm_medium=email&utm_campaign=november-breathing-series"
)


def multi_page_pdf(pages: int = 3) -> bytes:
    """A PDF of ``pages`` pages ("Page 1" ... on each), with a correct xref table."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>"]
    kids = " ".join(f"{3 + index * 2} 0 R" for index in range(pages))
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font = 3 + pages * 2
    for index in range(pages):
        stream = f"BT /F1 24 Tf 72 720 Td (Page {index + 1}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {4 + index * 2} 0 R >>".encode()
        )
        objects.append(
            b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream"
        )
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(f"{number} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for offset in offsets:
        out.write(f"{offset:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


@dataclass
class Library:
    """Dana's library, shared with Avi, with some progress (so analytics has data)."""

    world: World
    pdf: Resource
    video: Resource
    audio: Resource
    image: Resource
    text: Resource
    link: Resource
    office: Resource
    collection: Collection


def build_library(world: World, *, language: str) -> Library:
    dana, avi = world.dana, world.avi
    for person in (dana, avi):
        person.language = language
        person.save(update_fields=["language"])
    category = Category.objects.create(coach=dana, name="Worksheets")
    tag = Tag.objects.create(coach=dana, name="breathing")
    pdf = make_resource(
        dana,
        title="Breathing worksheet",
        description="Four counts in, four out.\n<script>alert('x')</script>",
        content=multi_page_pdf(3),
        category=category,
    )
    ResourceTag.objects.create(coach=dana, resource=pdf, tag=tag)
    earlier = ResourceVersion(
        coach=dana,
        resource=pdf,
        version=1,
        file_kind="pdf",
        content_type="application/pdf",
        size_bytes=len(media.pdf_bytes()),
        original_name="Breathing worksheet (old).pdf",
    )
    earlier.file.save("old", ContentFile(media.pdf_bytes()), save=False)
    earlier.save()
    Resource.objects.filter(pk=pdf.pk).update(version=2)
    video = make_resource(
        dana,
        kind=ResourceKind.VIDEO,
        title="Morning stretch",
        content=media.webm_bytes(seconds=30),
        file_kind="webm",
        content_type="video/webm",
        duration_seconds=30,
    )
    video.captions.save(
        "captions.vtt", ContentFile(media.vtt_text(((0.0, 5.0, "Stand tall"),))), save=False
    )
    video.captions_language = "en"
    video.save()
    audio = make_resource(
        dana,
        kind=ResourceKind.AUDIO,
        title="מדיטציית ערב",  # a Hebrew title in an English library
        content=media.mp3_bytes(seconds=2),
        file_kind="mp3",
        content_type="audio/mpeg",
    )
    image = make_resource(dana, kind=ResourceKind.IMAGE, title="Calm lake")
    text = make_resource(dana, kind=ResourceKind.TEXT, title="Journal prompts")
    link = make_resource(dana, kind=ResourceKind.LINK, title="Sleep and stress", url=LONG_URL)
    office = make_resource(
        dana,
        title="Goals planner",
        content=media.docx_bytes(),
        file_kind="docx",
        content_type=DOCX_TYPE,
    )
    collection = make_collection(dana, pdf, video, image, title="Starter kit")
    collection.description = "Start here: a worksheet, a video and a picture."
    collection.cover.save("cover", ContentFile(media.png_bytes(320, 180)), save=False)
    collection.cover_content_type = "image/png"
    collection.save()
    share(collection, avi)
    for resource in (audio, text, link):
        share(resource, avi)
    share(office, avi, can_download=False)
    share(pdf, world.noa)
    now = timezone.now()
    ResourceProgress.objects.create(
        coach=dana,
        client=avi,
        resource=pdf,
        first_viewed_at=now - timedelta(days=3),
        last_viewed_at=now - timedelta(days=1),
        view_count=2,
        completed_at=now - timedelta(days=1),
    )
    ResourceProgress.objects.create(
        coach=dana,
        client=avi,
        resource=video,
        first_viewed_at=now - timedelta(days=2),
        last_viewed_at=now - timedelta(days=2),
        view_count=1,
        played=[[0, 15]],
        watched_share=0.5,
        position_seconds=15,
    )
    for days, resource in ((3, pdf), (1, pdf), (2, video)):
        ResourceView.objects.create(
            coach=dana, client=avi, resource=resource, viewed_at=now - timedelta(days=days)
        )
    return Library(
        world=world,
        pdf=pdf,
        video=video,
        audio=audio,
        image=image,
        text=text,
        link=link,
        office=office,
        collection=collection,
    )


# (what the page is, URL name, the arguments from the library, saved as a screenshot)
Route = tuple[str, str, Callable[[Library], tuple[Any, ...]], bool]

COACH_PAGES: list[Route] = [
    ("library", "resources_library:library", lambda lib: (), True),
    ("upload", "resources_files:upload", lambda lib: (), True),
    ("link form", "resources_library:link_new", lambda lib: (), False),
    ("resource pdf", "resources_library:detail", lambda lib: (lib.pdf.pk,), True),
    ("resource video", "resources_library:detail", lambda lib: (lib.video.pk,), True),
    ("resource link", "resources_library:detail", lambda lib: (lib.link.pk,), False),
    ("edit", "resources_library:edit", lambda lib: (lib.pdf.pk,), False),
    ("delete", "resources_library:delete", lambda lib: (lib.pdf.pk,), False),
    ("replace", "resources_files:replace", lambda lib: (lib.pdf.pk,), False),
    ("captions", "resources_files:captions", lambda lib: (lib.video.pk,), False),
    ("categories", "resources_library:categories", lambda lib: (), False),
    ("collections", "resources_library:collections", lambda lib: (), False),
    ("collection new", "resources_library:collection_new", lambda lib: (), False),
    (
        "collection",
        "resources_library:collection_detail",
        lambda lib: (lib.collection.pk,),
        True,
    ),
    (
        "collection edit",
        "resources_library:collection_edit",
        lambda lib: (lib.collection.pk,),
        False,
    ),
    ("share resource", "resources_sharing:share_resource", lambda lib: (lib.pdf.pk,), False),
    (
        "share collection",
        "resources_sharing:share_collection",
        lambda lib: (lib.collection.pk,),
        True,
    ),
    ("analytics", "resources_analytics:overview", lambda lib: (), True),
    ("analytics clients", "resources_analytics:clients", lambda lib: (), False),
    ("analytics client", "resources_analytics:client", lambda lib: (lib.world.avi.pk,), False),
    ("analytics resource", "resources_analytics:resource", lambda lib: (lib.video.pk,), True),
]

CLIENT_PAGES: list[Route] = [
    ("library", "resources_client:library", lambda lib: (), True),
    ("collection", "resources_client:collection", lambda lib: (lib.collection.pk,), True),
    ("pdf", "resources_client:detail", lambda lib: (lib.pdf.pk,), True),
    ("video", "resources_client:detail", lambda lib: (lib.video.pk,), True),
    ("audio", "resources_client:detail", lambda lib: (lib.audio.pk,), False),
    ("image", "resources_client:detail", lambda lib: (lib.image.pk,), False),
    ("text", "resources_client:detail", lambda lib: (lib.text.pk,), False),
    ("link", "resources_client:detail", lambda lib: (lib.link.pk,), True),
    ("office", "resources_client:detail", lambda lib: (lib.office.pk,), False),
]


def sign_in_with_cookie(page: Page, user: User, server_url: str) -> None:
    """Signs ``user`` in to ``page``'s browser with a fresh session (no sign-in pages)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": server_url}]
    )


def _no_horizontal_scrolling(page: Page) -> None:
    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth,"
        " client: document.documentElement.clientWidth})"
    )
    if widths["scroll"] > widths["client"]:
        wide = page.evaluate(
            """() => {
                const limit = document.documentElement.clientWidth;
                return [...document.querySelectorAll('body *')]
                    .filter((element) => element.getBoundingClientRect().right > limit + 1
                        || element.getBoundingClientRect().left < -1)
                    .slice(-3)
                    .map((element) => element.outerHTML.slice(0, 160));
            }"""
        )
        raise AssertionError(
            f"scrolls sideways: {widths['scroll']}px of content in {widths['client']}px;"
            f" overflowing (innermost last): {wide}"
        )


def _check_routes(
    open_page: PageOpener,
    server_url: str,
    user: User,
    library: Library,
    routes: list[Route],
    *,
    role: str,
    language: str,
    viewport: str,
) -> None:
    """Visits every route in its own browser tab; fails once, listing every problem."""
    problems: list[str] = []
    for name, url_name, arguments, screenshot in routes:
        try:
            path = reverse(url_name, args=arguments(library))
        except NoReverseMatch:
            problems.append(f"{name}: no URL named {url_name} yet")
            continue
        page = open_page()
        sign_in_with_cookie(page, user, server_url)
        try:
            response = page.goto(path)
            assert response is not None, "no response"
            assert response.status < 400, f"answered {response.status}"
            check_page(page)
            if viewport == "375":
                _no_horizontal_scrolling(page)
            if SHOTS_DIR and screenshot:
                target = (
                    Path(SHOTS_DIR) / f"{role}-{name.replace(' ', '-')}-{language}-{viewport}.png"
                )
                target.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(target), full_page=True)
            assert_skip_link_leads_to_main(page)
        except (AssertionError, pytest.fail.Exception) as problem:
            problems.append(f"{name} ({path}): {str(problem).strip()}")
        finally:
            page.close()
    if problems:
        pytest.fail(
            f"{len(problems)} of {len(routes)} {role} pages ({language}, {viewport}px) failed:\n"
            + "\n\n".join(problems),
            pytrace=False,
        )


@pytest.mark.parametrize(("language", "viewport"), LANGUAGES_AND_WIDTHS, ids=IDS)
def test_coach_pages(open_page: PageOpener, server_url: str, language: str, viewport: str) -> None:
    library = build_library(World.build(), language=language)
    _check_routes(
        open_page,
        server_url,
        library.world.dana,
        library,
        COACH_PAGES,
        role="coach",
        language=language,
        viewport=viewport,
    )


@pytest.mark.parametrize(("language", "viewport"), LANGUAGES_AND_WIDTHS, ids=IDS)
def test_client_pages(open_page: PageOpener, server_url: str, language: str, viewport: str) -> None:
    library = build_library(World.build(), language=language)
    _check_routes(
        open_page,
        server_url,
        library.world.avi,
        library,
        CLIENT_PAGES,
        role="client",
        language=language,
        viewport=viewport,
    )


def _tab_to(page: Page, name: str, *, key: str = "Tab", limit: int = 80) -> None:
    """Presses ``key`` (Tab or Shift+Tab) until the button called ``name`` has focus."""
    target = page.get_by_role("button", name=exact(name))
    for _ in range(limit):
        page.keyboard.press(key)
        if target.evaluate("(button) => button === document.activeElement"):
            return
    pytest.fail(f"{page.url}: {limit} presses of {key} never reached the {name!r} button")


@pytest.mark.parametrize(
    ("language", "viewport"), [("en", "1280"), ("he", "375")], ids=["en-w1280", "he-w375"]
)
def test_pdf_viewer_pages_with_the_keyboard(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    library = build_library(World.build(), language=language)
    page = open_page()
    sign_in_with_cookie(page, library.world.avi, server_url)
    page.goto(reverse("resources_client:detail", args=(library.pdf.pk,)))
    page_of = t(language, "Page %(page)s of %(pages)s")
    status = page.locator("[data-pdf-status]")
    expect(status).to_have_text(page_of % {"page": 1, "pages": 3})
    next_page, previous_page = t(language, "Next page"), t(language, "Previous page")

    _tab_to(page, next_page)
    page.keyboard.press("Enter")
    expect(status).to_have_text(page_of % {"page": 2, "pages": 3})
    page.keyboard.press("Space")
    expect(status).to_have_text(page_of % {"page": 3, "pages": 3})
    # On the last page "Next" is disabled; Shift+Tab goes back to "Previous".
    _tab_to(page, previous_page, key="Shift+Tab")
    page.keyboard.press("Space")
    expect(status).to_have_text(page_of % {"page": 2, "pages": 3})
    check_page(page)


@pytest.mark.parametrize(
    ("language", "viewport"), [("en", "1280"), ("he", "375")], ids=["en-w1280", "he-w375"]
)
def test_media_skip_buttons_work_with_the_keyboard(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    library = build_library(World.build(), language=language)
    page = open_page()
    sign_in_with_cookie(page, library.world.avi, server_url)
    page.goto(reverse("resources_client:detail", args=(library.video.pk,)))
    video = page.locator("video")
    # The skip buttons need the length: wait for the metadata.
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")

    def position() -> float:
        return float(video.evaluate("(media) => media.currentTime"))

    _tab_to(page, t(language, "Forward 10 seconds"))
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('video').currentTime >= 9.9")
    page.keyboard.press("Space")
    page.wait_for_function("() => document.querySelector('video').currentTime >= 19.9")
    _tab_to(page, t(language, "Back 10 seconds"), key="Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('video').currentTime < 10.1")
    assert 9.5 <= position() <= 10.5
    check_page(page)
