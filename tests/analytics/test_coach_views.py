"""The coach analytics page: who may open it, what it shows on the hand-built practice,
bad input, constant query counts, no text anyone wrote, and the registered tables."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from loom.accounts.models import CoachClient, Role
from loom.analytics.tables import table_for
from loom.analytics.tables_coach import clean_params
from loom.messaging.services import conversation_for_pair
from loom.scheduling.models import SessionStatus
from loom.wellbeing.models import SharingPreference
from tests.analytics.test_coach_support import (
    NOW,
    SECRET,
    activity,
    build_practice,
    falling_moods,
    make_session,
    message,
    ny,
)
from tests.conftest import signed_in
from tests.world import make_user

pytestmark = pytest.mark.django_db

COACH_TABLES = (
    "coach_session_totals",
    "coach_sessions_per_week",
    "coach_attention",
    "coach_client_engagement",
)
URL = "/coach/analytics/"
QUERIES_MAX = 22


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def test_the_url_is_named() -> None:
    assert reverse("analytics_coach:dashboard") == URL


@pytest.mark.usefixtures("frozen")
def test_dana_sees_her_practice(db) -> None:
    practice = build_practice()
    response = signed_in(practice.world.dana).get(URL, {"range": "4"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Avi Mizrahi" in html and "Noa Peretz" in html
    # Not Eli's client, not the archived one.
    assert "Maya Friedman" not in html and "Zed Archived" not in html
    assert 'role="img"' in html  # the charts
    assert 'id="ca-weekly-table"' in html and "<caption>" in html
    assert reverse("coach:client", args=[practice.world.noa.pk]) in html
    assert "No activity for 50 days" in html
    assert "Mood trend falling in shared check-ins" in html
    assert "Message waiting for your reply for 3 days" in html
    assert "Missed 1 session in this range" in html
    # Every table can be exported.
    for key in COACH_TABLES:
        assert f'value="{key}"' in html
    assert reverse("resources_analytics:overview") in html
    assert 'aria-current="page"' in html  # the chosen preset


@pytest.mark.usefixtures("frozen")
def test_no_text_a_client_wrote_is_on_the_page_or_in_an_export(db) -> None:
    practice = build_practice()
    dana = practice.world.dana
    html = signed_in(dana).get(URL, {"range": "52"}).content.decode()
    assert SECRET not in html
    for key in COACH_TABLES:
        table = table_for(key)
        assert table is not None
        cells = [cell for row in table.rows(dana, {"range": "52"}) for cell in row]
        assert cells and not any(SECRET in str(cell) for cell in cells)


@pytest.mark.usefixtures("frozen")
def test_checkin_figures_only_for_clients_who_share(db) -> None:
    practice = build_practice()
    html = signed_in(practice.world.dana).get(URL, {"range": "4"}).content.decode()
    table = html[html.index('id="ca-engagement-table"') :]
    noa_row = table[table.index("Noa Peretz</a>") :].split("</tr>", 1)[0]
    assert noa_row.count("Not shared") == 2
    avi_row = table[table.index("Avi Mizrahi</a>") :].split("</tr>", 1)[0]
    assert "3 days" in avi_row and "Not shared" not in avi_row


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "query",
    [
        {"range": "custom", "start": "2026-03-01", "end": "2026-02-01"},
        {"range": "custom", "start": "2020-01-01", "end": "2026-11-01"},
        {"range": "custom", "start": "2026-11-01", "end": "2027-01-01"},
        {"range": "custom", "start": "not-a-date", "end": "2026-11-01"},
        {"range": "custom"},
        {"range": "9999"},
        {"range": "4", "attention": "abc"},
        {"range": "4", "attention": "100000000000000000000000"},
        {"start": "2026-11-01"},
        {"range": "custom", "start": "0000-00-00", "end": "9999-99-99"},
    ],
)
def test_bad_input_shows_errors_and_the_default_range(db, query: dict[str, str]) -> None:
    practice = build_practice()
    response = signed_in(practice.world.dana).get(URL, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "That range cannot be shown" in html
    assert "Avi Mizrahi" in html  # the default range still shows


def test_a_null_byte_is_refused_before_the_page(world) -> None:
    response = signed_in(world.dana).get(URL, {"range": "\x00"})
    assert response.status_code == 400


@pytest.mark.usefixtures("frozen")
@pytest.mark.parametrize(
    "query",
    [
        {"sort": "<script>alert(1)</script>"},
        {"sort": "-" * 500},
        {"page": "abc"},
        {"page": "999999999999999999999999"},
        {"page": "-1"},
        {"range": "4", "sort": "-activity", "page": "2"},
    ],
)
def test_odd_sorts_and_pages_fall_back_quietly(db, query: dict[str, str]) -> None:
    practice = build_practice()
    response = signed_in(practice.world.dana).get(URL, query)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "That range cannot be shown" not in html


@pytest.mark.usefixtures("frozen")
def test_sort_links_toggle_and_mark_the_sorted_column(db) -> None:
    practice = build_practice()
    html = (
        signed_in(practice.world.dana)
        .get(URL, {"range": "4", "sort": "-activity"})
        .content.decode()
    )
    assert 'aria-sort="descending"' in html
    assert "sort=activity" in html  # clicking again sorts ascending
    table = html[html.index('id="ca-engagement-table"') :]
    assert table.index("Avi Mizrahi") < table.index("Noa Peretz")
    html = (
        signed_in(practice.world.dana).get(URL, {"range": "4", "sort": "activity"}).content.decode()
    )
    table = html[html.index('id="ca-engagement-table"') :]
    assert table.index("Noa Peretz") < table.index("Avi Mizrahi")


def test_other_roles_go_home_and_visitors_sign_in(world) -> None:
    for person, home in ((world.avi, "client:home"), (world.admin, "admin_area:home")):
        response = signed_in(person).get(URL)
        assert response.status_code == 302
        assert response["Location"] == reverse(home)
    response = signed_in(world.dana).post(URL)
    assert response.status_code == 405
    from django.test import Client

    anonymous = Client().get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]


def test_a_coach_with_no_clients_sees_empty_states(world) -> None:
    html = signed_in(world.eli).get(URL).content.decode()
    assert "Maya Friedman" in html
    lonely = make_user("lonely@example.com", role=Role.COACH, full_name="Lonely Coach")
    response = signed_in(lonely).get(URL)
    assert response.status_code == 200
    assert "No active clients" in response.content.decode()


# --- Query counts ------------------------------------------------------------------------


def _grow(coach, first: int, count: int) -> None:
    """``count`` more clients, each with sessions, activity, shared check-ins, messages."""
    for index in range(first, first + count):
        client = make_user(
            f"grow{coach.pk}-{index}@example.com",
            role=Role.CLIENT,
            full_name=f"Client {index:02d}",
            tz="Asia/Jerusalem",
        )
        CoachClient.objects.create(coach=coach, client=client)
        make_session(coach, client, ny(11, 3, 8) + timedelta(hours=index % 12, days=index // 12))
        make_session(
            coach,
            client,
            ny(11, 9, 8) + timedelta(hours=index % 12, days=index // 12),
            SessionStatus.NO_SHOW,
        )
        activity(client, NOW - timedelta(days=index))
        SharingPreference.objects.create(client=client, share_checkins=index % 2 == 0)
        falling_moods(client)
        conversation = conversation_for_pair(coach=coach, client=client)
        message(conversation, client, NOW - timedelta(days=3))


def _queries(coach) -> int:
    client = signed_in(coach)
    client.get(URL, {"range": "4"})  # warm the session and caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"range": "4", "sort": "-messages"})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.usefixtures("frozen")
def test_the_query_count_does_not_grow_with_the_practice(
    world, django_assert_max_num_queries
) -> None:
    dana = world.dana
    _grow(dana, 0, 1)  # 3 clients
    small = _queries(dana)
    _grow(dana, 1, 27)  # 30 clients
    large = _queries(dana)
    assert small == large
    browser = signed_in(dana)
    browser.get(URL)
    # 16 for the page's figures (measured: 19 in all); the rest is the user, the
    # navigation's counts and the realtime stream, with room for the page-view event.
    with django_assert_max_num_queries(QUERIES_MAX):
        browser.get(URL, {"range": "52", "sort": "name"})


# --- The registered tables ---------------------------------------------------------------


@pytest.mark.usefixtures("frozen")
def test_tables_are_for_coaches_and_scoped_to_the_viewer(db) -> None:
    practice = build_practice()
    world = practice.world
    engagement = table_for("coach_client_engagement")
    assert engagement is not None and engagement.audience == "coach"
    names = [row[0] for row in engagement.rows(world.eli, {"range": "4"})]
    assert names == ["Maya Friedman"]
    names = [row[0] for row in engagement.rows(world.dana, {"range": "4", "sort": "-name"})]
    assert names == ["Noa Peretz", "Avi Mizrahi"]
    # A client or the admin asking gets nothing, whatever the parameters.
    for person in (world.avi, world.admin):
        for key in COACH_TABLES:
            table = table_for(key)
            assert table is not None and table.audience == "coach"
            assert list(table.rows(person, {"range": "4"})) == []
    weekly = table_for("coach_sessions_per_week")
    assert weekly is not None
    rows = list(weekly.rows(world.dana, {"range": "4"}))
    assert [len(row) for row in rows] == [len(weekly.columns)] * 4
    assert rows[0][1:] == (2, 1, 1, 0, 1, 4, 50.0)
    totals = table_for("coach_session_totals")
    assert totals is not None
    dana_totals = list(totals.rows(world.dana, {"range": "4"}))
    assert [row[0] for row in dana_totals] == [
        "Completed sessions",
        "Completion rate",
        "Cancelled by clients",
        "Cancelled by you",
        "No-shows",
    ]
    # The same figures as the page's totals table, Dana's sessions only.
    page = signed_in(world.dana).get(URL, {"range": "4"}).content.decode()
    assert f'value="{totals.key}"' in page
    assert dana_totals[0][1] == sum(row[1] for row in rows)
    assert dana_totals[4][1] == sum(row[5] for row in rows)
    assert dana_totals[0][1:] != next(iter(totals.rows(world.eli, {"range": "4"})))[1:]
    attention = table_for("coach_attention")
    assert attention is not None
    assert ("Noa Peretz", "No activity for 50 days") in list(
        attention.rows(world.dana, {"range": "4"})
    )


def test_clean_params_keeps_only_the_pages_own_short_values() -> None:
    query = {
        "range": "custom",
        "start": "2026-01-01",
        "end": "2026-02-01",
        "attention": "7",
        "sort": "-name",
        "coach": "42",
        "page": "3",
        "range_x": "1",
    }
    assert clean_params(query) == {
        "range": "custom",
        "start": "2026-01-01",
        "end": "2026-02-01",
        "attention": "7",
        "sort": "-name",
    }
    assert clean_params({"range": "x" * 100}) == {}


@pytest.mark.usefixtures("frozen")
def test_bad_export_params_give_the_default_range(db) -> None:
    practice = build_practice()
    weekly = table_for("coach_sessions_per_week")
    assert weekly is not None
    rows = list(weekly.rows(practice.world.dana, {"range": "custom", "start": "2027-01-01"}))
    assert len(rows) == 12


@pytest.mark.usefixtures("frozen")
def test_an_export_from_the_page_holds_only_the_requesters_practice(
    db, django_capture_on_commit_callbacks
) -> None:
    from loom.analytics.models import Export, ExportStatus

    practice = build_practice()
    dana = practice.world.dana
    browser = signed_in(dana)
    with django_capture_on_commit_callbacks(execute=True):
        response = browser.post(
            reverse("analytics_exports:new"),
            {
                "table": "coach_client_engagement",
                "format": "csv",
                "q.range": "4",
                "q.sort": "-name",
                "q.attention": "14",
            },
        )
    assert response.status_code == 302
    export = Export.objects.get(requested_by=dana)
    assert export.status == ExportStatus.READY
    assert export.params == {"range": "4", "sort": "-name", "attention": "14"}
    with export.file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Client,Last activity,Sessions completed")
    assert [line.split(",")[0] for line in lines[1:]] == ["Noa Peretz", "Avi Mizrahi"]
    assert "Maya" not in text and "Zed" not in text and SECRET not in text


@pytest.mark.usefixtures("frozen")
def test_engagement_is_paginated_and_keeps_the_sort(world) -> None:
    for index in range(52):
        client = make_user(
            f"page{index}@example.com", role=Role.CLIENT, full_name=f"Paged {index:02d}"
        )
        CoachClient.objects.create(coach=world.dana, client=client)
    browser = signed_in(world.dana)
    first = browser.get(URL, {"range": "4", "sort": "-name"}).content.decode()
    table = first[
        first.index('id="ca-engagement-table"') : first.index(
            "</table>", first.index('id="ca-engagement-table"')
        )
    ]
    assert table.count('<th scope="row"') == 50
    assert "page=2" in first and "sort=-name" in first
    second = browser.get(URL, {"range": "4", "sort": "-name", "page": "2"}).content.decode()
    table = second[
        second.index('id="ca-engagement-table"') : second.index(
            "</table>", second.index('id="ca-engagement-table"')
        )
    ]
    # 54 clients by name, Z to A: the last page holds the four at the start of the alphabet.
    assert table.count('<th scope="row"') == 4
    assert "Avi Mizrahi" in table and "Paged 00" in table
