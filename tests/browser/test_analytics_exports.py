"""Exports in a real browser, in English (1280 px) and Hebrew (375 px).

A coach on their analytics page presses "Download Excel" under the client engagement
table (the button's accessible name carries the table's title), lands on the export's
page, which says it is being prepared and polls its status region; the worker builds
the file; the page shows the Download link by itself, announces it politely and leaves
focus where it was. The download is the requester's table in their language
(right-to-left sheet in Hebrew). The list of exports, opened from the account menu,
shows it ready. Every page visited
passes ``check_page`` (lang/dir, one h1, no browser errors, axe-core: 0 WCAG 2.1 A/AA
violations) and does not scroll sideways.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.urls import reverse
from django.utils import translation
from playwright.sync_api import Page, expect

from loom.analytics.exports import export_run
from loom.analytics.models import Export, ExportStatus
from loom.core.context import system_context
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import containing, exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    checked,
    main,
    speak,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser

TABLE_TITLE = "Client engagement"


def _button_name(language: str, action: str, title: str) -> str:
    """The accessible name of an export button: "Download Excel of Client engagement"."""
    of = t(language, "of %(title)s") % {"title": t(language, title)}
    return f"{t(language, action)} {of}"


def _status(language: str, label: str) -> str:
    """An export status as the page words it (the labels carry a message context)."""
    with translation.override(language):
        return translation.pgettext("export status", label)


def _wait_for_export(page: Page) -> Export:
    page.wait_for_url("**/exports/*/")
    export_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    return Export.objects.get(pk=export_id)


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_request_an_export_see_it_become_ready_and_download_it(
    open_page: PageOpener,
    server_url: str,
    language: str,
    viewport: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.MEDIA_ROOT = tmp_path
    # The worker is this test: the export waits, queued, until the test builds it.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    world = World.build()
    coach = speak(world.dana, language)

    page = open_as(open_page, coach, server_url, reverse("analytics_coach:dashboard"))
    checked(page)
    excel = main(page).get_by_role(
        "button", name=exact(_button_name(language, "Download Excel", TABLE_TITLE))
    )
    expect(excel).to_be_visible()
    expect(
        main(page).get_by_role(
            "button", name=exact(_button_name(language, "Download CSV", TABLE_TITLE))
        )
    ).to_be_visible()
    excel.click()

    # The export's page: being prepared, polling, with a plain Refresh link as well.
    export = _wait_for_export(page)
    assert export.status == ExportStatus.QUEUED
    assert (export.requested_by_id, export.format, export.language) == (
        coach.pk,
        "xlsx",
        language,
    )
    checked(page)
    status = page.locator("#export-status")
    expect(status).to_contain_text(_status(language, "Waiting"))
    expect(status.get_by_role("link", name=exact(t(language, "Refresh")))).to_be_visible()
    back = page.get_by_role("link", name=exact(t(language, "All your exports")))
    back.focus()

    with system_context():
        assert export_run(export_id=export.pk) == ExportStatus.READY

    download_name = containing(t(language, "Download"))
    link = status.get_by_role("link", name=download_name)
    expect(link).to_be_visible()
    expect(page.locator("#export-announcer")).to_have_text(
        t(language, "Your export is ready to download.")
    )
    # The update did not move focus.
    assert page.evaluate("() => document.activeElement.textContent.trim()") == t(
        language, "All your exports"
    )
    checked(page)

    with page.expect_download() as caught:
        link.click()
    download = caught.value
    assert download.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active
    assert bool(sheet.sheet_view.rightToLeft) == (language == "he")
    assert sheet["A1"].value == t(language, "Client")
    names = sorted(str(sheet.cell(row=row, column=1).value) for row in (2, 3))
    assert names == sorted([world.avi.display_name, world.noa.display_name])
    assert sheet.max_row == 3  # Dana's two clients, nobody else's

    # The list of exports, from the account menu: the same export, ready, with its own
    # Download link.
    account = page.get_by_role("button", name=containing(t(language, "Account menu")))
    if not account.is_visible():  # folded behind "Menu" on narrow screens
        page.get_by_role("button", name=exact(t(language, "Menu"))).click()
    account.click()
    with page.expect_navigation():
        page.get_by_role("menuitem", name=exact(t(language, "Exports"))).click()
    assert page.url.endswith(reverse("analytics_exports:list"))
    checked(page)
    row = main(page).locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(_status(language, "Ready"))
    expect(row.get_by_role("link", name=download_name)).to_be_visible()


@pytest.mark.parametrize(("language", "viewport"), [("en", "1280")], ids=["en-1280"])
def test_a_csv_export_built_at_once_downloads_from_the_list(
    open_page: PageOpener,
    server_url: str,
    language: str,
    viewport: str,
    settings: Any,
    tmp_path: Path,
) -> None:
    """With the worker quick enough (the immediate backend), the page shows it ready."""
    settings.MEDIA_ROOT = tmp_path
    world = World.build()
    page = open_as(open_page, world.dana, server_url, reverse("analytics_coach:dashboard"))
    main(page).get_by_role(
        "button", name=exact(_button_name(language, "Download CSV", TABLE_TITLE))
    ).click()
    export = _wait_for_export(page)
    assert export.status == ExportStatus.READY
    checked(page)
    expect(page.locator("#export-status")).not_to_have_attribute("hx-get", containing("poll"))
    visit(page, reverse("analytics_exports:list"))
    with page.expect_download() as caught:
        main(page).get_by_role("link", name=containing(t(language, "Download"))).click()
    text = Path(caught.value.path()).read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows[0][0] == "Client"
    assert sorted(row[0] for row in rows[1:]) == ["Avi Mizrahi", "Noa Peretz"]
