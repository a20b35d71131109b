"""The public pages in English and Hebrew, at phone and desktop widths."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.support import (
    assert_assets_loaded,
    assert_skip_link_leads_to_main,
    exact,
    t,
    visit_and_check,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("language", ["en", "he"])
@pytest.mark.parametrize("path", ["/", "/accounts/login/"], ids=["landing", "sign-in"])
def test_public_page_is_accessible_and_keyboard_reachable(
    page: Page, language: str, path: str
) -> None:
    visit_and_check(page, path, language=language)
    assert_assets_loaded(page)
    assert_skip_link_leads_to_main(page)


@pytest.mark.parametrize("viewport", ["375"])
def test_language_switcher_turns_the_landing_page_hebrew_and_back(page: Page) -> None:
    visit_and_check(page, "/", language="en")
    page.get_by_role("button", name=exact("עברית")).click()
    page.wait_for_url("**/")
    visit_and_check(page, "/accounts/login/", language="he")
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t("he", "Sign in to Loom")))
    page.get_by_role("button", name=exact("English")).click()
    page.wait_for_load_state("load")
    visit_and_check(page, "/", language="en")
