"""Every role's sign-in, MFA step and ``next=`` redirect ends on a page, never in a loop.

The system Loom replaces had a sign-in redirect loop; each case signs in through the
real pages and counts the redirects the browser follows.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from playwright.sync_api import Page, Response, expect

from tests.browser.conftest import PageOpener
from tests.browser.support import activate_totp, check_page, exact, sign_in, t, visit_and_check
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser

OTHER_AREA_MESSAGE = "That page is not part of your account. Here is your home page."

# name: (who, language of their browser, first URL, where they end, shown a "not yours" message)
CASES = {
    "coach-next-to-own-page": (
        "dana",
        "en",
        "/accounts/login/?next=/coach/clients/",
        "/coach/clients/",
        False,
    ),
    "coach-opens-own-area-signed-out": ("dana", "en", "/coach/", "/coach/", False),
    "coach-next-offsite-is-ignored": (
        "dana",
        "en",
        "/accounts/login/?next=https://example.org/",
        "/coach/",
        False,
    ),
    "client-next-to-coach-area": ("avi", "en", "/accounts/login/?next=/coach/", "/client/", True),
    "client-opens-own-area-signed-out": ("noa", "he", "/client/", "/client/", False),
    "admin-with-mfa-next-to-admin-area": (
        "admin",
        "en",
        "/accounts/login/?next=/admin-area/",
        "/admin-area/",
        False,
    ),
    "coach-with-mfa-next-to-admin-area": (
        "eli",
        "he",
        "/accounts/login/?next=/admin-area/",
        "/coach/",
        True,
    ),
    "client-next-to-home-dispatcher": (
        "maya",
        "en",
        "/accounts/login/?next=/home/",
        "/client/",
        False,
    ),
}
WITH_TOTP = {"admin", "eli"}
MAX_REDIRECTS = 4


@pytest.mark.parametrize("viewport", ["1280"])
@pytest.mark.parametrize(
    ("who", "language", "start", "end", "told"), list(CASES.values()), ids=list(CASES)
)
def test_sign_in_ends_on_a_page(
    open_page: PageOpener, who: str, language: str, start: str, end: str, told: bool
) -> None:
    world = World.build()
    user = getattr(world, who)
    secret = None
    if who in WITH_TOTP:
        secret = generate_totp_secret()
        TOTP.activate(user, secret)
    page = open_page(language=language)
    redirects: list[str] = []

    def count_redirect(response: Response) -> None:
        if response.request.resource_type == "document" and 300 <= response.status < 400:
            redirects.append(
                f"{response.status} {response.url} -> {response.headers.get('location')}"
            )

    page.on("response", count_redirect)
    first = page.goto(start)
    assert first is not None and first.status == 200, f"{start} did not end on a page"
    check_page(page)
    sign_in(page, email=user.email, password=PASSWORD, totp_secret=secret)

    assert urlsplit(page.url).path == end, f"ended on {page.url}; redirects: {redirects}"
    assert len(redirects) <= MAX_REDIRECTS, "too many redirects:\n" + "\n".join(redirects)
    # Signed in, pages speak the account's language.
    check_page(page, language=user.language)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if told:
        expect(page.get_by_text(exact(t(user.language, OTHER_AREA_MESSAGE)))).to_be_visible()
    # Reloading the final page stays there: no redirect back into sign-in.
    reloaded = page.reload()
    assert reloaded is not None and reloaded.status == 200
    assert urlsplit(page.url).path == end


@pytest.mark.parametrize("viewport", ["375"])
def test_admin_without_mfa_is_sent_to_set_it_up_and_then_reaches_the_admin_area(page: Page) -> None:
    admin = World.build().admin
    visit_and_check(page, "/accounts/login/?next=/admin-area/")
    sign_in(page, email=admin.email, password=PASSWORD)
    # Admins must use MFA: the admin area sends them to set it up, keeping where they were going.
    check_page(page)
    assert urlsplit(page.url).path == "/account/security/mfa/", page.url
    with page.expect_navigation():
        page.get_by_role("link", name=exact(t("en", "Set up an authenticator app"))).click()
    check_page(page)
    activate_totp(page, password=PASSWORD)
    check_page(page)
    response = page.goto("/admin-area/")
    assert response is not None and response.status == 200
    assert urlsplit(page.url).path == "/admin-area/"
    check_page(page)
