"""The coach's Progress tab and the roster's wellbeing summaries: only what the client
shared or the coach owns, and a constant number of queries for the whole roster."""

from __future__ import annotations

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from loom.accounts import services as account_services
from loom.journal.days import local_today
from loom.wellbeing import progress
from loom.wellbeing.models import Goal
from tests.conftest import signed_in
from tests.factories import ClientFactory, CoachClientFactory
from tests.wellbeing.progress_factories import action_item, checkin, entry, goal, share


def _tab(world, client=None):
    client = client or world.noa
    return signed_in(world.dana).get(reverse("coach:client_tab", args=[client.pk, "progress"]))


def _html(response) -> str:
    return response.content.decode()


def _moods(client, values) -> None:
    today = local_today(client)
    for offset, mood in enumerate(values):
        checkin(client, today - timedelta(days=offset), mood=mood)


def test_nothing_shared_says_so(world) -> None:
    share(world.noa, checkins=False, goals=False)
    _moods(world.noa, [3, 4, 5])
    goal(world.noa, "Noa's own goal")
    html = _html(_tab(world))
    assert "Noa Peretz has not shared check-ins with you." in html
    assert "Noa Peretz has not shared goals with you." in html
    assert "Noa&#x27;s own goal" not in html
    assert 'role="img"' not in html
    assert reverse("wellbeing_goals:propose", args=[world.noa.pk]) in html


def test_default_shares_goals_but_not_checkins(world) -> None:
    _moods(world.avi, [6, 7, 8])
    goal(world.avi, "Sleep by eleven", progress=40, milestones=(True, False, False))
    html = _html(_tab(world, world.avi))
    assert "has not shared check-ins with you" in html
    assert "Sleep by eleven" in html and "1 of 3 milestones done" in html


def test_shared_checkins_show_the_trend_chart_and_last_check_in(world) -> None:
    share(world.noa, checkins=True)
    _moods(world.noa, [8, 8, 8, 8, 8, 8, 8] + [5] * 14)
    html = _html(_tab(world))
    assert 'role="img"' in html and "Show as table" in html
    assert "Last check-in" in html
    assert "Mood rising" in html
    assert "has not shared check-ins" not in html


def test_turning_sharing_off_hides_it_again(world) -> None:
    share(world.noa, checkins=True, goals=True)
    _moods(world.noa, [6, 6, 6])
    goal(world.noa, "Shared goal")
    assert "Shared goal" in _html(_tab(world))
    share(world.noa, checkins=False, goals=False)
    html = _html(_tab(world))
    assert "Shared goal" not in html
    assert 'role="img"' not in html
    assert "has not shared check-ins with you" in html


def test_the_coach_sees_their_own_proposals_even_without_goal_sharing(world) -> None:
    share(world.noa, goals=False)
    goal(world.noa, "Dana's idea", status=Goal.Status.PROPOSED, proposed_by=world.dana)
    goal(world.noa, "Eli's idea", status=Goal.Status.PROPOSED, proposed_by=world.eli)
    goal(world.noa, "Private", status=Goal.Status.ACTIVE)
    data = progress.coach_client_progress(world.dana, world.noa.pk)
    assert [item.goal.title for item in data.goals] == ["Dana's idea"]


def test_open_action_items_are_the_coachs_own_and_entries_only_counted(world) -> None:
    action_item(world.dana, world.noa, "Walk after lunch")
    action_item(world.dana, world.noa, "Done already", done=True)
    day = local_today(world.noa)
    entry(world.noa, day, shared_with=world.dana)
    entry(world.noa, day)  # private
    html = _html(_tab(world))
    assert "Walk after lunch" in html and "Done already" not in html
    assert "shared 1 journal entry with you" in html
    assert "private words" not in html


def test_other_coaches_and_archived_clients(world) -> None:
    share(world.noa, checkins=True)
    _moods(world.noa, [5, 5, 5])
    import pytest
    from django.http import Http404

    with pytest.raises(Http404):
        progress.coach_client_progress(world.eli, world.noa.pk)
    with pytest.raises(Http404):
        progress.coach_client_progress(world.dana, "not-a-number")
    account_services.client_archive(coach=world.dana, client_id=world.noa.pk)
    data = progress.coach_client_progress(world.dana, world.noa.pk)
    assert data.archived and data.points == [] and data.goals == []
    assert "is archived" in _html(_tab(world))


def test_progress_tab_in_hebrew_for_eli(world) -> None:
    share(world.maya, checkins=True)
    _moods(world.maya, [4, 5, 6])
    page = signed_in(world.eli).get(reverse("coach:client_tab", args=[world.maya.pk, "progress"]))
    assert page.status_code == 200
    assert 'lang="he"' in _html(page)


def test_progress_tab_query_count_is_constant(world) -> None:
    share(world.noa, checkins=True)
    dana = signed_in(world.dana)
    url = reverse("coach:client_tab", args=[world.noa.pk, "progress"])
    dana.get(url)
    _moods(world.noa, [5, 6])
    with CaptureQueriesContext(connection) as few:
        dana.get(url)
    _moods(world.noa, [5, 6, 7] * 10)
    for index in range(5):
        goal(world.noa, f"Goal {index}", milestones=(True, False))
        action_item(world.dana, world.noa, f"Item {index}")
    with CaptureQueriesContext(connection) as many:
        dana.get(url)
    assert len(many) == len(few)


# --- Roster -------------------------------------------------------------------------------------


def _roster(world):
    return signed_in(world.dana).get(reverse("coach:roster"))


def test_roster_shows_a_summary_per_client(world) -> None:
    share(world.noa, checkins=True)
    _moods(world.noa, [8] * 7 + [5] * 14)
    _moods(world.avi, [5] * 21)  # Avi does not share check-ins
    action_item(world.dana, world.avi, "Call a friend")
    action_item(world.dana, world.avi, "Stretch")
    html = _html(_roster(world))
    assert "Wellbeing" in html
    assert "Mood rising" in html
    assert "Check-ins not shared" in html
    assert "2 open action items" in html
    assert "0 open action items" in html


def test_roster_summaries_take_constant_queries(world) -> None:
    share(world.noa, checkins=True)
    _moods(world.noa, [6] * 5)
    dana = signed_in(world.dana)
    url = reverse("coach:roster")
    dana.get(url)
    with CaptureQueriesContext(connection) as one:
        dana.get(url)
    for index in range(9):
        client = ClientFactory(full_name=f"Client {index}")
        CoachClientFactory(coach=world.dana, client=client)
        share(client, checkins=True)
        _moods(client, [4, 5, 6, 7][: index % 4 + 1])
        action_item(world.dana, client, f"Task {index}")
    with CaptureQueriesContext(connection) as ten:
        assert dana.get(url).status_code == 200
    assert len(ten) == len(one)


def test_roster_summaries_leave_out_foreign_and_archived_clients(world) -> None:
    share(world.maya, checkins=True)
    share(world.noa, checkins=True)
    _moods(world.maya, [5, 5, 5])
    account_services.client_archive(coach=world.dana, client_id=world.noa.pk)
    summaries = progress.roster_summaries(world.dana, [world.avi.pk, world.noa.pk, world.maya.pk])
    assert set(summaries) == {world.avi.pk}
    assert progress.roster_summaries(world.avi, [world.noa.pk]) == {}


def test_roster_last_check_in_only_when_shared(world) -> None:
    _moods(world.avi, [5])
    summaries = progress.roster_summaries(world.dana, [world.avi.pk], now=timezone.now())
    assert summaries[world.avi.pk].last_checkin_at is None
    share(world.avi, checkins=True)
    summaries = progress.roster_summaries(world.dana, [world.avi.pk])
    assert summaries[world.avi.pk].last_checkin_at is not None


def test_the_tab_links_the_coachs_open_proposal_to_its_withdraw_page(world) -> None:
    mine = goal(world.noa, "Dana's idea", status=Goal.Status.PROPOSED, proposed_by=world.dana)
    accepted = goal(world.noa, "Taken on", status=Goal.Status.ACTIVE, proposed_by=world.dana)
    html = _html(_tab(world))
    assert reverse("wellbeing_goals:withdraw", args=[mine.pk]) in html
    assert reverse("wellbeing_goals:withdraw", args=[accepted.pk]) not in html
