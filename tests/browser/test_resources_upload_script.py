"""The upload page's script in Chromium: one request per file, progress, refusals shown.

Chromium is the browser tier's (``tests/browser/conftest.py``); the live server is
pytest-django's.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import Browser, Page, expect

from loom.accounts.models import Role
from loom.resources.models import Resource
from tests.browser.support import check_page, watch_page
from tests.resources import media
from tests.world import make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def coach_page(
    browser: Browser, asgi_server_url: str, settings: Any, tmp_path: Path
) -> Iterator[Page]:
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    coach = make_user("upload.coach@example.com", role=Role.COACH, full_name="Upload Coach")
    login = Client()
    login.force_login(coach)
    context = browser.new_context(base_url=asgi_server_url, viewport={"width": 375, "height": 812})
    context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": login.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": asgi_server_url,
            }
        ]
    )
    page = context.new_page()
    watch_page(page, language="en")
    yield page
    context.close()


def test_files_upload_one_by_one_with_progress_and_refusals(
    coach_page: Page, tmp_path: Path
) -> None:
    page = coach_page
    video = tmp_path / "Breathing.webm"
    video.write_bytes(media.webm_bytes(min_bytes=2_000_000))
    fake = tmp_path / "report.pdf"
    fake.write_bytes(media.html_page())
    page.goto("/coach/resources/upload/")
    check_page(page, language="en")
    page.get_by_label("Files").set_input_files([str(video), str(fake)])
    page.get_by_role("button", name="Upload", exact=True).click()
    summary = page.locator("[data-upload-summary]")
    expect(summary).to_have_text("1 of 2 files uploaded.")
    expect(page.get_by_label("Breathing.webm")).to_have_attribute("value", "100")
    expect(page.get_by_role("link", name="Open the resource")).to_have_count(1)
    expect(page.locator(".upload-item.is-failed .upload-status")).to_contain_text(
        "Not uploaded: report.pdf: Web pages, SVG and XML files can't be uploaded."
    )
    resource = Resource.objects.get()
    assert resource.title == "Breathing" and resource.size_bytes == 2_000_000
    page.get_by_role("link", name="Open the resource").click()
    page.wait_for_url(f"**/coach/resources/{resource.pk}/")
    # (Not check_page: the refused file's 400 is, rightly, in this page's console log.)
    expect(page.locator("h1")).to_contain_text("Breathing")
    # The padded WebM plays: Chromium reads its length through the file view's ranges.
    page.wait_for_function(
        "() => { const v = document.querySelector('video'); return v && v.readyState >= 1; }"
    )
    duration, error = page.evaluate(
        "() => { const v = document.querySelector('video'); return [v.duration, v.error]; }"
    )
    assert error is None and 0.9 < duration < 1.2


def test_choosing_too_many_files_is_stopped_before_sending(
    coach_page: Page, tmp_path: Path
) -> None:
    page = coach_page
    paths = []
    for index in range(settings.LOOM_RESOURCE_MAX_FILES_PER_UPLOAD + 1):
        path = tmp_path / f"Sheet {index}.pdf"
        path.write_bytes(media.pdf_bytes())
        paths.append(str(path))
    page.goto("/coach/resources/upload/")
    page.get_by_label("Files").set_input_files(paths)
    page.get_by_role("button", name="Upload", exact=True).click()
    expect(page.locator("[data-upload-summary]")).to_have_text(
        "You can upload up to 10 files at once."
    )
    assert not Resource.objects.exists()
