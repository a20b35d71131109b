"""Reminder choices and in-app notifications in a real browser, English and Hebrew.

Axe reports no violation on either page at
phone and desktop widths; the header's unread count follows "mark all as read".
"""

from __future__ import annotations

import re
from datetime import time

import pytest
from playwright.sync_api import expect

from loom.notifications.services import notification_create
from loom.scheduling.models import ReminderPreferences
from tests.browser.conftest import PageOpener
from tests.browser.support import check_page, exact, sign_in, submit, t, visit_and_check
from tests.world import PASSWORD, World

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("language", "viewport", "who"), [("en", "1280", "avi"), ("he", "375", "noa")]
)
def test_person_sets_quiet_hours_and_reads_notifications(
    open_page: PageOpener, server_url: str, language: str, who: str
) -> None:
    world = World.build()
    person = getattr(world, who)
    for index in (1, 2):
        notification_create(
            user_id=person.pk,
            kind="session_reminder",
            title=f"Reminder {index}",
            body="Wednesday 17:00",
            url="/home/",
            source=f"browser:{index}",
        )
    page = open_page()
    visit_and_check(page, "/accounts/login/?next=/account/notifications/")
    sign_in(page, email=person.email, password=PASSWORD)
    expect(page).to_have_url(re.compile(r"/account/notifications/$"))
    check_page(page)
    # The text-message switch is off and disabled, with the way to turn it on.
    sms = page.get_by_role(
        "checkbox",
        name=exact(
            t(language, "Text message for %(kind)s") % {"kind": t(language, "Session reminder")}
        ),
    )
    expect(sms).to_be_disabled()
    expect(page.locator('a[href="/account/security/sms/"]')).to_be_visible()

    page.get_by_label(t(language, "Quiet hours from")).fill("22:00")
    page.get_by_label(t(language, "Quiet hours until")).fill("07:00")
    submit(page, "Save notification choices")
    check_page(page)
    prefs = ReminderPreferences.objects.get(user=person)
    assert (prefs.quiet_start, prefs.quiet_end) == (time(22), time(7))

    # The header counts the two unread notices; the list marks them; all read clears it.
    nav = page.get_by_role("navigation", name=t(language, "Main"))
    toggle = page.get_by_role("button", name=t(language, "Menu"))
    if toggle.is_visible():
        toggle.click()
    link = nav.get_by_role("link", name=re.compile(re.escape(t(language, "Notifications"))))
    expect(link).to_contain_text("2")
    with page.expect_navigation():
        link.click()
    check_page(page)
    expect(page.get_by_role("link", name=exact("Reminder 2"))).to_be_visible()
    submit(page, "Mark all as read")
    check_page(page)
    expect(page.locator(".nav-count")).to_have_count(0)
