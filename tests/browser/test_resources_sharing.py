"""Sharing in a real browser, in English and Hebrew at 375 pixels: the share form's client
filter, removing access through the confirmation dialog, homework on the coach's and the
client's session pages, and the roster's Resources tab. Every page passes ``check_page``
(lang/dir, one h1, no browser errors, axe-core 0 violations).

With ``LOOM_SHOTS_DIR`` set, each page is also saved there as a screenshot.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from loom.resources.models import SessionHomework, Share
from loom.scheduling.models import Session, SessionType
from tests.browser.support import check_page, exact, submit, t
from tests.resources.factories import make_resource, share
from tests.world import World

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def viewport() -> str:
    return "375"


def _sign_in(page: Page, user: object, origin: str) -> None:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": origin}]
    )


SHOTS_DIR = os.environ.get("LOOM_SHOTS_DIR", "")


def _visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status < 400, path
    check_page(page)
    if SHOTS_DIR:
        language = page.locator("html").get_attribute("lang")
        name = path.strip("/").replace("/", "-")
        target = Path(SHOTS_DIR) / f"sharing-{name}-{language}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(target), full_page=True)


@pytest.mark.parametrize("language", ["en", "he"])
def test_share_remove_homework_and_roster(open_page, server_url, language) -> None:
    world = World.build()
    for person in (world.dana, world.avi):
        person.language = language
        person.save(update_fields=["language"])
    resource = make_resource(world.dana, title="Breathing basics")
    share(resource, world.avi, can_download=False)
    start = timezone.now() + timedelta(days=1)
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=SessionType.objects.create(
            coach=world.dana, name_en="Coaching", duration_minutes=60
        ),
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status="scheduled",
    )
    homework = make_resource(world.dana, title="Values worksheet")

    page = open_page(language=language)
    _sign_in(page, world.dana, server_url)

    # The share form: the filter narrows the client list; share with Noa.
    _visit(page, reverse("resources_sharing:share_resource", args=[resource.pk]))
    page.get_by_role("searchbox", name=exact(t(language, "Find a client"))).fill("noa")
    expect(page.get_by_role("checkbox", name=exact("Avi Mizrahi"))).to_be_hidden()
    page.get_by_role("checkbox", name=exact("Noa Peretz")).check()
    submit(page, "Share", language=language)
    assert page.url.endswith(reverse("resources_library:detail", args=[resource.pk]))
    assert Share.objects.filter(client=world.noa, resource=resource).exists()

    # Remove Avi's access through the dialog.
    page.get_by_role("link", name=exact(f"{t(language, 'Remove')} Avi Mizrahi")).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    with page.expect_navigation():
        dialog.get_by_role("button", name=exact(t(language, "Remove access"))).click()
    check_page(page)
    assert not Share.objects.filter(client=world.avi, resource=resource).exists()

    # Homework on the coach's session page.
    _visit(page, reverse("scheduling_coach:detail", args=[session.pk]))
    page.get_by_role(
        "combobox", name=exact(t(language, "Give a resource as homework"))
    ).select_option(str(homework.pk))
    submit(page, "Add homework", language=language)
    check_page(page)
    assert SessionHomework.objects.filter(session=session, resource=homework).exists()

    # The roster's Resources tab.
    _visit(page, reverse("coach:client_tab", args=[world.avi.pk, "resources"]))
    expect(page.get_by_role("link", name=exact("Values worksheet"))).to_be_visible()

    # The client sees the homework on their session page.
    client_page = open_page(language=language)
    _sign_in(client_page, world.avi, server_url)
    _visit(client_page, reverse("scheduling_client:detail", args=[session.pk]))
    expect(client_page.get_by_role("link", name=exact("Values worksheet"))).to_have_attribute(
        "href", reverse("resources_client:detail", args=[homework.pk])
    )
