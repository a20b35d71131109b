"""The header's bell counts live, over the real socket, and "mark all as read" clears it.

A client (Avi in English at 1280 px, Noa in Hebrew at 375 px) has two tabs open: the
home page and the notification list. Their coach Dana shares a resource with them (the sharing service, as her own request would run it): the bell on
both tabs shows one unread notice without a reload. "Mark all as read" on the list tab
clears the count there and, live, on the home tab.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from loom.core.context import acting_as
from loom.notifications.models import Notification
from loom.resources.sharing_services import share_resources
from tests.browser.asgi_server import AsgiServer
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import (
    assert_no_reload,
    badge_pattern,
    mark_no_reload,
    open_as,
    speak,
    wait_connected,
)
from tests.browser.support import check_page, submit
from tests.resources.factories import make_resource
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    return asgi_server_url


def _bell(page: Page) -> Locator:
    return page.locator('[data-nav-badge="notifications"]').first


@pytest.mark.parametrize(
    ("language", "viewport", "client_name"), [("en", "1280", "avi"), ("he", "375", "noa")]
)
def test_bell_counts_live_and_mark_all_read_clears_it(
    open_page: PageOpener,
    server_url: str,
    asgi_server: AsgiServer,
    language: str,
    client_name: str,
) -> None:
    world = World.build()
    client = speak(getattr(world, client_name), language)
    speak(world.dana, language)
    resource = make_resource(world.dana, title="Breathing basics")

    home = open_as(open_page, client, server_url, "/home/")
    check_page(home)
    listing = open_as(open_page, client, server_url, "/notifications/")
    check_page(listing)
    for page in (home, listing):
        wait_connected(page)
        mark_no_reload(page)
        expect(_bell(page).locator(".nav-count")).to_have_count(0)

    def share() -> None:
        with acting_as(world.dana.pk):
            share_resources(coach=world.dana, resource_ids=[resource.pk], client_ids=[client.pk])

    asgi_server.call(share)
    assert Notification.objects.filter(user=client, read_at__isnull=True).count() == 1

    one_unread = badge_pattern(language, "Notifications", 1)
    for page in (home, listing):
        expect(_bell(page)).to_have_attribute("aria-label", one_unread)
        expect(_bell(page).locator(".nav-count")).to_have_text("1")
        assert_no_reload(page)

    # The list tab shows the notice once reloaded; mark all as read there.
    listing.reload()
    check_page(listing)
    wait_connected(listing)
    submit(listing, "Mark all as read")
    check_page(listing)
    expect(_bell(listing).locator(".nav-count")).to_have_count(0)
    assert not Notification.objects.filter(user=client, read_at__isnull=True).exists()
    # The other tab heard it over its socket.
    expect(_bell(home).locator(".nav-count")).to_have_count(0)
    expect(_bell(home)).not_to_have_attribute("aria-label", one_unread)
    assert_no_reload(home)
    check_page(home)
