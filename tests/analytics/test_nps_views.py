"""The NPS survey on pages, its answer and dismiss endpoints, and the admin results page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from loom.accounts.safety import SESSION_KEY as CRISIS_PANEL_KEY
from loom.analytics.context_processors import nps_survey, survey_panel_for
from loom.analytics.models import NpsResponse
from loom.analytics.tables import table_for
from loom.analytics.tables_nps import DISTRIBUTION_KEY, SEGMENTS_KEY
from loom.core.context import system_context
from loom.scheduling.models import Session, SessionStatus
from tests.accounts.security_support import enable_totp
from tests.analytics.test_nps_support import NOW, completed_session, joined_long_ago, response
from tests.conftest import signed_in
from tests.factories import ClientFactory
from tests.world import World

pytestmark = pytest.mark.django_db

ANSWER = "/nps/answer/"
DISMISS = "/nps/dismiss/"
ADMIN = "/admin-area/analytics/nps/"
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture(autouse=True)
def _at_now() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def admin(world: World) -> Client:
    """The world's admin, signed in, with the second factor the admin area requires."""
    enable_totp(world.admin)
    return signed_in(world.admin)


@pytest.fixture
def avi_session(world: World) -> Session:
    return completed_session(world.dana, world.avi)


def _rows(user: Any) -> list[NpsResponse]:
    with system_context():
        return list(NpsResponse.objects.filter(user=user))


def _answer(session: Session, **data: Any) -> dict[str, Any]:
    return {"trigger": "session", "session": session.pk, "next": "/client/", **data}


# --- The panel on pages ------------------------------------------------------------------------


def test_the_panel_shows_on_a_clients_page_after_a_completed_session(
    world: World, avi_session: Session
) -> None:
    page = signed_in(world.avi).get(reverse("client:home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="nps-survey"' in html and 'aria-labelledby="nps-title"' in html
    assert "Thinking of your session on Nov. 20, 2026" in html
    assert "how likely are you to recommend Loom to a friend or colleague?" in html
    assert html.count('type="radio" name="score"') == 11
    assert re.search(r"<legend[^>]*>Your score from 0 to 10</legend>", html)
    assert 'aria-describedby="nps-end-low nps-end-high"' in html
    assert 'id="nps-end-low">0: Not at all likely' in html
    assert 'id="nps-end-high">10: Extremely likely' in html
    assert '<label for="nps-comment"' in html and 'maxlength="1000"' in html
    assert f'name="session" value="{avi_session.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'formaction="/nps/dismiss/"' in html


def test_the_monthly_panel_asks_without_a_session(world: World) -> None:
    joined_long_ago(world.dana)
    html = signed_in(world.dana).get(reverse("coach:home")).content.decode()
    assert "How likely are you to recommend Loom to a friend or colleague?" in html
    assert 'name="trigger" value="monthly"' in html
    assert 'name="session"' not in html


def test_the_panel_is_in_the_persons_language(world: World) -> None:
    completed_session(world.dana, world.noa)
    html = signed_in(world.noa).get(reverse("client:home")).content.decode()
    assert 'lang="he"' in html and 'id="nps-survey"' in html


def test_nobody_else_sees_a_panel(world: World, avi_session: Session) -> None:
    for person, home in ((world.noa, "client:home"), (world.admin, "admin_area:home")):
        html = signed_in(person).get(reverse(home)).content.decode()
        assert "nps-survey" not in html


@pytest.mark.parametrize(
    "path",
    ["/support/crisis/", "/account/safety/"],
)
def test_no_panel_on_onboarding_and_crisis_pages(
    world: World, avi_session: Session, path: str
) -> None:
    page = signed_in(world.avi).get(path, follow=True)
    assert "nps-survey" not in page.content.decode()


def test_no_panel_while_the_crisis_panel_is_waiting(world: World, avi_session: Session) -> None:
    client = signed_in(world.avi)
    session = client.session
    session[CRISIS_PANEL_KEY] = {"severity": "concern"}
    session.save()
    html = client.get(reverse("client:home")).content.decode()
    assert "crisis-panel" in html
    assert "nps-survey" not in html


def test_the_processor_reads_nothing_until_the_template_asks(
    world: World, avi_session: Session, django_assert_num_queries: Any
) -> None:
    request = RequestFactory().get("/client/")
    request.user = world.avi
    request.session = {}  # type: ignore[assignment]
    with django_assert_num_queries(0):
        lazy = nps_survey(request)["nps_survey"]
    request.resolver_match = resolve("/client/")
    with django_assert_num_queries(2):
        panel = lazy()
    assert panel is not None and panel.offer.session_id == avi_session.pk
    with django_assert_num_queries(0):
        assert lazy() is panel


def test_at_most_one_query_per_page_with_nothing_due_then_none(
    world: World, django_assert_num_queries: Any
) -> None:
    request = RequestFactory().get("/client/")
    request.user = world.maya
    request.resolver_match = resolve("/client/")
    with django_assert_num_queries(1):
        assert survey_panel_for(request) is None
    with django_assert_num_queries(0):
        assert survey_panel_for(request) is None


def test_pages_do_not_query_the_survey_once_cached(world: World) -> None:
    client = signed_in(world.maya)
    client.get(reverse("client:home"))
    with CaptureQueriesContext(connection) as queries:
        client.get(reverse("client:home"))
    assert not [q for q in queries.captured_queries if "analytics_npsresponse" in q["sql"]]


@pytest.mark.parametrize(
    "path", ["/onboarding/client/profile/", "/support/crisis/", "/nps/answer/", "/client/"]
)
def test_quiet_pages_by_namespace(world: World, avi_session: Session, path: str) -> None:
    request = RequestFactory().get(path)
    request.user = world.avi
    request.resolver_match = resolve(path)
    shown = survey_panel_for(request) is not None
    assert shown == (path == "/client/")
    post = RequestFactory().post("/client/")
    post.user = world.avi
    post.resolver_match = resolve("/client/")
    assert survey_panel_for(post) is None  # a form re-shown with errors keeps its page


def test_anonymous_visitors_get_no_survey() -> None:
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    assert nps_survey(request) == {"nps_survey": None}


# --- Answering without JavaScript ---------------------------------------------------------------


def test_answering_goes_back_to_the_page_with_a_thank_you(
    world: World, avi_session: Session
) -> None:
    client = signed_in(world.avi)
    page = client.post(ANSWER, _answer(avi_session, score="9", comment="Good", next="/journal/"))
    assert page.status_code == 302 and page["Location"] == "/journal/"
    (row,) = _rows(world.avi)
    assert (row.score, row.comment, row.trigger, row.session_id) == (
        9,
        "Good",
        "session",
        avi_session.pk,
    )
    home = client.get(reverse("client:home")).content.decode()
    assert "Thank you for your answer." in home
    assert "nps-survey" not in home  # never shown twice


def test_dismissing_closes_the_survey_for_the_month(world: World, avi_session: Session) -> None:
    client = signed_in(world.avi)
    page = client.post(DISMISS, {"trigger": "session", "session": avi_session.pk, "next": "/"})
    assert page.status_code == 302
    (row,) = _rows(world.avi)
    assert row.score is None and row.dismissed_at is not None
    assert "nps-survey" not in client.get(reverse("client:home")).content.decode()


@pytest.mark.parametrize(
    "target",
    ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", "", "http:/\\evil"],
)
def test_next_must_be_a_path_on_this_site(world: World, avi_session: Session, target: str) -> None:
    page = signed_in(world.avi).post(ANSWER, _answer(avi_session, score="8", next=target))
    assert page.status_code == 302 and page["Location"] == reverse("client:home")


def test_a_replayed_answer_says_so_and_changes_nothing(world: World, avi_session: Session) -> None:
    client = signed_in(world.avi)
    client.post(ANSWER, _answer(avi_session, score="9"))
    again = client.post(ANSWER, _answer(avi_session, score="1"), follow=True)
    assert "already answered or closed this month" in again.content.decode()
    assert [row.score for row in _rows(world.avi)] == [9]


# --- With htmx ------------------------------------------------------------------------------------


def test_with_htmx_the_panel_becomes_a_thank_you_in_place(
    world: World, avi_session: Session
) -> None:
    page = signed_in(world.avi).post(ANSWER, _answer(avi_session, score="9"), **HTMX)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="nps-survey"' in html and 'role="status"' in html
    assert "Thank you for your answer." in html
    assert "<html" not in html


def test_with_htmx_a_dismissal_is_acknowledged_in_place(world: World, avi_session: Session) -> None:
    page = signed_in(world.avi).post(
        DISMISS, {"trigger": "session", "session": avi_session.pk}, **HTMX
    )
    assert page.status_code == 200 and 'role="status"' in page.content.decode()


def test_with_htmx_errors_come_back_in_the_panel(world: World, avi_session: Session) -> None:
    page = signed_in(world.avi).post(ANSWER, _answer(avi_session, score="11"), **HTMX)
    html = page.content.decode()
    assert page.status_code == 400
    assert "data-nps-panel" in html and "Choose a score from 0 to 10." in html
    assert 'id="nps-score-errors"' in html
    assert _rows(world.avi) == []


# --- Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("score", ["11", "-1", "abc", "", "9.5", "0x9", "٩"])
def test_bad_scores_get_the_form_again_with_an_error(
    world: World, avi_session: Session, score: str
) -> None:
    page = signed_in(world.avi).post(ANSWER, _answer(avi_session, score=score, comment="kept"))
    html = page.content.decode()
    assert page.status_code == 400
    assert "Choose a score from 0 to 10." in html
    assert "<h1>Your feedback</h1>" in html
    assert html.count('id="nps-survey"') == 1  # the page's own, not a second one
    assert ">kept</textarea>" in html
    assert _rows(world.avi) == []


def test_an_overlong_comment_is_refused(world: World, avi_session: Session) -> None:
    page = signed_in(world.avi).post(ANSWER, _answer(avi_session, score="7", comment="x" * 1001))
    assert page.status_code == 400
    assert "Keep the comment to 1000 characters or fewer (it has 1001)." in page.content.decode()
    assert _rows(world.avi) == []


def test_another_clients_session_is_a_404(world: World, avi_session: Session) -> None:
    mayas = completed_session(world.eli, world.maya)
    page = signed_in(world.avi).post(
        ANSWER, {"trigger": "session", "session": mayas.pk, "score": "9"}
    )
    assert page.status_code == 404
    page = signed_in(world.avi).post(DISMISS, {"trigger": "session", "session": mayas.pk})
    assert page.status_code == 404
    with system_context():
        assert not NpsResponse.objects.exists()


def test_a_session_not_completed_is_refused(world: World, avi_session: Session) -> None:
    open_session = completed_session(world.dana, world.avi, status=SessionStatus.SCHEDULED)
    page = signed_in(world.avi).post(
        ANSWER, {"trigger": "session", "session": open_session.pk, "score": "9"}
    )
    assert page.status_code == 400
    assert "That session was not completed in the last 7 days." in page.content.decode()
    assert _rows(world.avi) == []


@pytest.mark.parametrize(
    "data",
    [
        {"trigger": "session", "session": "abc", "score": "9"},
        {"trigger": "weekly", "score": "9"},
        {"trigger": "", "score": "9"},
        {"score": "9"},
        {"trigger": "session", "session": "99999999999999999999999", "score": "9"},
    ],
)
def test_garbled_surveys_are_refused(
    world: World, avi_session: Session, data: dict[str, str]
) -> None:
    page = signed_in(world.avi).post(ANSWER, data)
    assert page.status_code == 400
    page = signed_in(world.avi).post(DISMISS, data)
    assert page.status_code == 400
    assert _rows(world.avi) == []


def test_a_survey_not_open_now_is_refused_with_a_message(world: World) -> None:
    # Maya: no session, joined today: nothing is open for her.
    page = signed_in(world.maya).post(ANSWER, {"trigger": "monthly", "score": "9"})
    html = page.content.decode()
    assert page.status_code == 400
    assert "This survey is not open for you right now." in html
    assert 'id="nps-survey"' not in html


def test_hostile_markup_is_kept_as_text_and_shown_escaped(
    world: World, admin: Client, avi_session: Session
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    signed_in(world.avi).post(ANSWER, _answer(avi_session, score="2", comment=hostile))
    assert _rows(world.avi)[0].comment == hostile
    html = admin.get(ADMIN).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html
    assert "<img src=x" not in html
    # Shown back on the error page escaped too.
    page = signed_in(world.maya).post(
        ANSWER, {"trigger": "monthly", "score": "x", "comment": hostile}
    )
    assert "<script>alert" not in page.content.decode()


def test_posts_need_the_csrf_token(world: World, avi_session: Session) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.avi)
    assert client.post(ANSWER, _answer(avi_session, score="9")).status_code == 403
    assert client.post(DISMISS, _answer(avi_session)).status_code == 403
    assert _rows(world.avi) == []


def test_get_is_not_allowed_and_admins_are_sent_home(world: World) -> None:
    assert signed_in(world.avi).get(ANSWER).status_code == 405
    joined_long_ago(world.admin)
    page = signed_in(world.admin).post(ANSWER, {"trigger": "monthly", "score": "9"})
    assert page.status_code == 302 and page["Location"] == reverse("admin_area:home")
    assert Client().post(ANSWER, {"score": "9"}).status_code == 302  # to sign in
    with system_context():
        assert not NpsResponse.objects.exists()


# --- The admin page ------------------------------------------------------------------------------


def _hand_built(world: World) -> None:
    """Within 30 days: Dana 10 and Eli 6 (coaches, monthly), Avi 9 and Noa 7 (clients,
    after a session), Maya 8 (client, monthly), one dismissal. 40 days ago: a 0."""
    response(world.dana, period="2026-11", score=10, trigger="monthly")
    response(world.eli, period="2026-11", score=6, trigger="monthly")
    response(world.avi, period="2026-11", score=9, trigger="session", comment="Loved it")
    response(world.noa, period="2026-11", score=7, trigger="session")
    response(world.maya, period="2026-11", score=8, trigger="monthly")
    quiet = ClientFactory(language="he")
    response(quiet, period="2026-11", score=None)
    old = ClientFactory(full_name="Old Timer")
    response(old, period="2026-10", score=0, at=NOW - timedelta(days=40), comment="Too slow")


def _cells(html: str, table_id: str) -> list[list[str]]:
    table = html.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table, flags=re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", cell).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, flags=re.S)
        ]
        for row in rows
    ]


def test_the_admin_page_counts_a_hand_built_set(world: World, admin: Client) -> None:
    _hand_built(world)
    html = admin.get(ADMIN + "?range=30").content.decode()
    segments = _cells(html, "nps-segments-table")
    # Header, then: segment, group, answers, promoters, passives, detractors, NPS (the
    # columns of the nps_segments export).
    assert segments[1] == ["All", "Everyone", "5", "2", "2", "1", "20"]  # 40 % − 20 %
    assert segments[2][0] == "Role"
    by_group = {row[1]: row[2:] for row in segments[2:] if len(row) == 7}
    assert by_group["Coaches"] == ["2", "1", "0", "1", "0"]
    assert by_group["Clients"] == ["3", "1", "2", "0", "33"]
    assert by_group["After a session"] == ["2", "1", "1", "0", "50"]
    assert by_group["Monthly"] == ["3", "1", "1", "1", "0"]
    assert by_group["English"] == ["3", "2", "1", "0", "67"]
    assert by_group["Hebrew"] == ["2", "0", "1", "1", "-50"]
    distribution = _cells(html, "nps-distribution-table")[1:]
    assert [row[:2] for row in distribution] == [
        [str(score), "1" if score in (6, 7, 8, 9, 10) else "0"] for score in range(11)
    ]
    assert distribution[9] == ["9", "1", "20%", "Promoter (9–10)"]
    assert re.search(r"<dt>Closed without answering</dt><dd>1</dd>", html)
    # The comment, with role and language but no name; the old one is outside the range.
    comments = _cells(html, "nps-comments-table")
    assert comments[1][1:] == ["9", "Client", "English", "After a session", "Loved it"]
    assert "Too slow" not in html and "Avi" not in html.split('id="nps-comments-table"')[1]


def test_the_range_changes_the_figures(world: World, admin: Client) -> None:
    _hand_built(world)
    html = admin.get(ADMIN + "?range=90").content.decode()
    assert _cells(html, "nps-segments-table")[1] == ["All", "Everyone", "6", "2", "2", "2", "0"]
    assert "Too slow" in html
    default = admin.get(ADMIN).content.decode()
    assert 'aria-current="page">Last 90 days' in default


def test_an_empty_range_has_no_score(world: World, admin: Client) -> None:
    html = admin.get(ADMIN).content.decode()
    assert "No answers yet" in html
    assert _cells(html, "nps-segments-table")[1] == ["All", "Everyone", "0", "0", "0", "0", "–"]


@pytest.mark.parametrize("bad", ["7", "abc", "-30", "30.0", "1e3"])
def test_a_bad_range_is_a_400_with_a_message(world: World, admin: Client, bad: str) -> None:
    page = admin.get(ADMIN, {"range": bad})
    assert page.status_code == 400
    assert "Choose a range of 30, 90 or 365 days." in page.content.decode()


def test_coaches_and_clients_cannot_open_the_admin_page(world: World) -> None:
    _hand_built(world)
    for person, home in ((world.dana, "coach:home"), (world.avi, "client:home")):
        page = signed_in(person).get(ADMIN)
        assert page.status_code == 302 and page["Location"] == reverse(home)
    assert Client().get(ADMIN).status_code == 302


def test_the_admin_page_queries_do_not_grow_with_the_answers(
    world: World, admin: Client, django_assert_max_num_queries: Any
) -> None:
    admin.get(ADMIN)  # warm the session and the caches
    with CaptureQueriesContext(connection) as few:
        admin.get(ADMIN)
    _hand_built(world)
    for index in range(30):
        person = ClientFactory(language="he" if index % 2 else "en")
        response(person, period="2026-11", score=index % 11, comment=f"Comment {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin.get(ADMIN)
    assert page.status_code == 200


def test_the_registered_tables_match_the_page(world: World) -> None:
    _hand_built(world)
    segments = table_for(SEGMENTS_KEY)
    distribution = table_for(DISTRIBUTION_KEY)
    assert segments is not None and distribution is not None
    assert segments.audience == distribution.audience == "admin"
    params = segments.clean_params({"range": "30"})
    assert params == {"range": 30}
    assert segments.clean_params({"range": "nonsense"}) == {"range": 90}
    rows = [list(row) for row in segments.rows(world.admin, params)]
    assert rows[0] == ["All", "Everyone", 5, 2, 2, 1, 20.0]
    assert ["Language", "Hebrew", 2, 0, 1, 1, -50.0] in rows
    shares = [list(row) for row in distribution.rows(world.admin, params)]
    assert shares[10] == [10, 1, 20.0, "Promoter (9–10)"]
    # The rows are for admins only, whoever asks.
    from loom.core.errors import Forbidden

    with pytest.raises(Forbidden):
        list(segments.rows(world.dana, params))


def test_the_segments_export_matches_the_page(
    world: World, settings: Any, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import csv
    import io

    from django.core.files.storage import default_storage

    from loom.analytics.exports import export_request

    settings.MEDIA_ROOT = tmp_path
    _hand_built(world)
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=world.admin, table_key=SEGMENTS_KEY, query={"range": "30"}, fmt="csv"
        )
    export.refresh_from_db()
    assert export.status == "ready", export.error
    with default_storage.open(export.file.name, "rb") as handle:
        rows = list(csv.reader(io.StringIO(handle.read().decode("utf-8-sig"))))
    assert rows[0] == ["Segment", "Group", "Answers", "Promoters", "Passives", "Detractors", "NPS"]
    assert rows[1] == ["All", "Everyone", "5", "2", "2", "1", "20"]
    assert ["Language", "Hebrew", "2", "0", "1", "1", "-50"] in rows
    # No comment text is ever in an export.
    assert "Loved it" not in str(rows)
