"""The client's progress pages: dashboard, trends, sharing choices (en and he)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.core.models import AuditLog
from loom.journal.days import local_today
from loom.resources.models import ResourceProgress
from loom.wellbeing.models import Goal, SharingPreference
from tests.conftest import signed_in
from tests.resources.factories import make_resource
from tests.resources.factories import share as share_resource
from tests.wellbeing.progress_factories import checkin, completed_session, entry, goal

DASHBOARD = reverse("wellbeing_progress:dashboard")
TRENDS = reverse("wellbeing_progress:trends")
SHARING = reverse("wellbeing_progress:sharing")


def _html(response) -> str:
    return response.content.decode()


def page_has_no_chart(html: str) -> bool:
    return 'role="img"' not in html and "check-ins in this period," not in html


def _fill(client, days: int = 10) -> None:
    today = local_today(client)
    for offset in range(days):
        checkin(client, today - timedelta(days=offset), mood=5 + offset % 4, hour=8 + offset % 12)


def test_dashboard_shows_mood_streaks_goals_sessions_and_resources(world) -> None:
    avi = world.avi
    today = local_today(avi)
    _fill(avi, 5)
    entry(avi, today)
    entry(avi, today - timedelta(days=1))
    goal(avi, "Run 5 km", progress=50, milestones=(True, False))
    goal(avi, "Old goal", status=Goal.Status.COMPLETED)
    completed_session(world.dana, avi, timezone.now() - timedelta(days=3))
    completed_session(world.dana, avi, timezone.now() - timedelta(days=120))
    resource = make_resource(world.dana)
    share_resource(resource, avi)
    ResourceProgress.objects.create(
        coach=world.dana, client=avi, resource=resource, completed_at=timezone.now()
    )

    page = signed_in(avi).get(DASHBOARD)
    html = _html(page)
    assert page.status_code == 200
    assert html.count("<h1") == 1 and "Your progress" in html
    assert 'role="img"' in html and "Show as table" in html
    assert "5 check-ins in this period" in html
    assert "Run 5 km" in html and "Old goal" not in html
    assert "1 of 2 milestones done" in html
    assert 'aria-current="page"' in html
    # Check-in streak 5 days, journal streak 2.
    assert "5 days" in html and "2 days" in html
    data = page.context["data"]
    assert (data.sessions_attended, data.resources_completed) == (1, 1)
    assert "Sessions attended in the last 90 days" in html and "Resources completed" in html


def test_dashboard_without_data_invites_a_check_in(world) -> None:
    html = _html(signed_in(world.avi).get(DASHBOARD))
    assert reverse("wellbeing_checkins:new") in html
    assert "No active goals yet." in html
    assert 'role="img"' not in html


def test_dashboard_in_hebrew_is_rtl(world) -> None:
    _fill(world.noa, 4)
    page = signed_in(world.noa).get(DASHBOARD)
    html = _html(page)
    assert page.status_code == 200
    assert 'dir="rtl"' in html and 'lang="he"' in html


@pytest.mark.parametrize("raw", ["90", "30", "7", "abc", "", "99999999999999999999"])
def test_dashboard_range_is_one_of_the_offered_ones(world, raw) -> None:
    page = signed_in(world.avi).get(DASHBOARD, {"range": raw})
    assert page.status_code == 200
    expected = 90 if raw == "90" else 30
    assert page.context["data"].range_days == expected


def test_dashboard_query_count_does_not_grow_with_data(world) -> None:
    avi = world.avi
    browser = signed_in(avi)
    browser.get(DASHBOARD)
    with CaptureQueriesContext(connection) as few:
        browser.get(DASHBOARD)
    _fill(avi, 60)
    for index in range(5):
        goal(avi, f"Goal {index}", milestones=(True, False, True))
        entry(avi, local_today(avi) - timedelta(days=index))
    with CaptureQueriesContext(connection) as many:
        assert browser.get(DASHBOARD, {"range": 90}).status_code == 200
    assert len(many) == len(few)


def test_trends_show_patterns_and_the_empty_insight_text(world) -> None:
    _fill(world.avi, 5)
    page = signed_in(world.avi).get(TRENDS)
    html = _html(page)
    assert page.status_code == 200
    assert "What goes together" in html
    assert "Insights appear once you have at least 3 days with and 3 days without a factor." in html
    assert "Average mood by weekday" in html and "Average mood by time of day" in html
    assert html.count('role="img"') == 3


def test_trends_show_an_insight_with_enough_days(world) -> None:
    avi = world.avi
    today = local_today(avi)
    for offset in range(4):
        checkin(avi, today - timedelta(days=offset), mood=8, sleep=8)
        checkin(avi, today - timedelta(days=offset + 4), mood=4, sleep=5)
    html = _html(signed_in(avi).get(TRENDS))
    assert "On days with 7+ hours of sleep your mood averaged 8.0, and 4.0 on other days." in html
    assert "This shows things that go together, not what causes what." in html


def test_trends_query_count_is_constant(world) -> None:
    browser = signed_in(world.avi)
    browser.get(TRENDS)
    _fill(world.avi, 8)
    with CaptureQueriesContext(connection) as few:
        browser.get(TRENDS)
    _fill(world.avi, 80)
    with CaptureQueriesContext(connection) as many:
        browser.get(TRENDS, {"range": 365})
    assert len(many) == len(few)


def test_trends_in_hebrew(world) -> None:
    _fill(world.noa, 8)
    html = _html(signed_in(world.noa).get(TRENDS))
    assert 'lang="he"' in html


def test_sharing_page_saves_choices_and_audits(world) -> None:
    browser = signed_in(world.avi)
    page = browser.get(SHARING)
    html = _html(page)
    assert "Share my check-in moods with my coach" in html
    assert "Share my goals with my coach" in html
    assert "Never your notes" in html
    response = browser.post(SHARING, {"share_checkins": "on", "share_goals": "on"})
    assert response.status_code == 302
    pref = SharingPreference.objects.get(client=world.avi)
    assert (pref.share_checkins, pref.share_goals) == (True, True)
    row = AuditLog.objects.get(action="wellbeing.sharing_changed")
    assert row.actor_id == world.avi.pk
    assert row.details == {
        "before": {"share_checkins": False, "share_goals": True},
        "after": {"share_checkins": True, "share_goals": True},
    }
    # The same choices again: nothing new is recorded.
    browser.post(SHARING, {"share_checkins": "on", "share_goals": "on"})
    assert AuditLog.objects.filter(action="wellbeing.sharing_changed").count() == 1
    # Both off (unchecked boxes are absent from the form).
    browser.post(SHARING, {})
    pref.refresh_from_db()
    assert (pref.share_checkins, pref.share_goals) == (False, False)


def test_sharing_page_in_hebrew(world) -> None:
    html = _html(signed_in(world.noa).get(SHARING))
    assert 'lang="he"' in html and "<h1" in html


@pytest.mark.parametrize("url", [DASHBOARD, TRENDS, SHARING])
def test_coaches_and_admins_are_sent_home(world, url) -> None:
    assert signed_in(world.dana).get(url).status_code == 302
    assert signed_in(world.admin).get(url).status_code == 302


def test_pages_never_show_another_clients_data(world) -> None:
    goal(world.noa, "Noa's private goal")
    _fill(world.noa, 5)
    html = _html(signed_in(world.avi).get(DASHBOARD))
    assert "Noa&#x27;s private goal" not in html and "Noa's private goal" not in html
    assert page_has_no_chart(html)
