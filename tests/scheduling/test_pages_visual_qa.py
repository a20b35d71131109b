"""Regressions found in the visual QA pass of the scheduling pages.

- The coach's booking page: step one is a GET form; submitting it as a browser does (the
  names of its own controls) must reach step two, the slot grid.
- A session that is over offers no "Join the video call".
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

import pytest
import time_machine
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from loom.scheduling.models import SessionStatus
from loom.scheduling.services import session_book
from tests.conftest import signed_in
from tests.scheduling.support import hours, session_type, utc
from tests.world import World

# Monday 2026-06-01, 08:00 in New York (Dana's zone).
NOW = utc(2026, 6, 1, 12, 0)
TUESDAY_10 = utc(2026, 6, 2, 14, 0)


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


class _StepOneForm(HTMLParser):
    """The names of the select controls inside the step-one form (class sc-book-choice)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.selects: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "form" and "sc-book-choice" in (values.get("class") or ""):
            self.inside = True
        elif tag == "select" and self.inside and values.get("name"):
            self.selects.append(str(values["name"]))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


def test_coach_booking_step_one_as_submitted_reaches_the_slot_grid(
    world: World, clock: Any
) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    kind = session_type(world.dana)
    coach = signed_in(world.dana)
    page = coach.get(reverse("scheduling_coach:book"))
    assert page.status_code == 200
    form = _StepOneForm()
    form.feed(page.content.decode())
    assert len(form.selects) == 2, form.selects
    client_name, type_name = form.selects
    # What the browser sends when the coach picks Avi and the type, then "Show free times".
    query = urlencode({client_name: world.avi.pk, type_name: kind.pk})
    response = coach.get(reverse("scheduling_coach:book") + "?" + query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="book-step-2"' in html, "step one did not lead to the slot grid"
    # The chosen type stays selected, and its option says the minutes in words.
    assert re.search(rf'<option value="{kind.pk}" selected>[^<]*\(60 min\)</option>', html)


def test_no_join_button_once_the_session_is_over(world: World, clock: Any) -> None:
    hours(world.dana, "09:00", "17:00", days=range(5))
    session = session_book(
        actor=world.dana,
        coach=world.dana,
        client=world.avi,
        session_type=session_type(world.dana),
        starts_at=TUESDAY_10,
    )
    template = Template("{% load session_calendar %}{% session_calendar_links session %}")

    def panel() -> str:
        request = RequestFactory().get("/")
        request.user = world.avi
        return template.render(Context({"request": request, "session": session}))

    assert "Join the video call" in panel()
    for status in (SessionStatus.COMPLETED, SessionStatus.NO_SHOW):
        session.status = status
        html = panel()
        assert "Join the video call" not in html, status
        assert "This session has ended" in html, status
