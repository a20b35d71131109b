"""The media player's progress reports in a real browser (static/js/media-progress.js).

Playing a short video to its end reports the played ranges and flips the live status to
"Completed"; dragging the playhead to the end without playing reports nothing. The
pages' accessibility (axe, 375 px, keyboard) is covered by tests/browser/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import Browser, Page, expect

from loom.resources.models import ResourceProgress
from tests.resources import media
from tests.resources.factories import share
from tests.resources.test_progress import make_video
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture
def client_page(browser: Browser, asgi_server_url: str) -> Iterator[Any]:
    assert os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE") == "true"
    world = World.build()
    video = make_video(world.dana, title="Short stretch", content=media.webm_bytes(seconds=3))
    share(video, world.avi)
    session = Client()
    session.force_login(world.avi)
    context = browser.new_context(base_url=asgi_server_url)
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": session.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server_url,
            }
        ]
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(reverse("resources_client:detail", args=[video.pk]))
    page.wait_for_function("() => document.querySelector('video').readyState >= 1")
    yield page, world, video
    context.close()
    assert not errors


def test_playing_to_the_end_reports_and_completes(client_page: tuple[Page, World, Any]) -> None:
    page, world, video = client_page
    status = page.locator("[data-media-status]")
    with page.expect_response(lambda response: "/progress/" in response.url) as answered:
        page.evaluate(
            "() => { const v = document.querySelector('video'); v.muted = true; v.play(); }"
        )
    assert answered.value.status == 200
    expect(status).to_have_text("Completed", timeout=15_000)
    progress = ResourceProgress.objects.get(client=world.avi, resource=video)
    assert progress.completed_at is not None
    assert progress.watched_share >= 0.9
    video.refresh_from_db()
    assert video.duration_seconds == 3


def test_seeking_to_the_end_reports_nothing(client_page: tuple[Page, World, Any]) -> None:
    page, world, video = client_page
    reports: list[str] = []
    page.on(
        "request",
        lambda request: reports.append(request.url) if "/progress/" in request.url else None,
    )
    page.evaluate(
        "() => { const v = document.querySelector('video'); v.currentTime = v.duration; }"
    )
    page.wait_for_function("() => document.querySelector('video').seeking === false")
    page.evaluate("() => window.dispatchEvent(new Event('pagehide'))")
    page.wait_for_timeout(500)
    assert reports == []
    assert not ResourceProgress.objects.filter(
        client=world.avi, resource=video, watched_share__gt=0
    ).exists()
