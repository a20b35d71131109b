"""The coach's roster: list, search, filter, pages, archive and restore, client detail."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loom.accounts import services
from loom.accounts.models import ClientProfile, CoachClient
from loom.accounts.selectors import get_client_for_coach
from loom.core.models import AuditLog
from tests.conftest import signed_in
from tests.factories import ClientFactory, CoachClientFactory, InvitationFactory

pytestmark = pytest.mark.django_db


def _names(response) -> str:
    return response.content.decode()


def test_roster_shows_the_coachs_clients_and_open_invitations_only(world):
    InvitationFactory(coach=world.dana, email="pending@example.com", full_name="Pending Person")
    InvitationFactory(coach=world.eli, email="elis-invitee@example.com", full_name="Eli Invitee")
    page = signed_in(world.dana).get("/coach/clients/")
    html = _names(page)
    assert page.status_code == 200
    assert "Avi Mizrahi" in html and "Noa Peretz" in html
    assert "Pending Person" in html
    assert "Maya Friedman" not in html
    assert "Eli Invitee" not in html
    assert f'href="/coach/clients/{world.avi.pk}/"' in html
    assert 'data-label="Name"' in html


def test_roster_search_matches_name_or_email(world):
    dana = signed_in(world.dana)
    by_name = _names(dana.get("/coach/clients/", {"q": "mizra"}))
    assert "Avi Mizrahi" in by_name and "Noa Peretz" not in by_name
    by_email = _names(dana.get("/coach/clients/", {"q": "NOA@"}))
    assert "Noa Peretz" in by_email and "Avi Mizrahi" not in by_email
    nothing = _names(dana.get("/coach/clients/", {"q": "zzz"}))
    assert "No clients match" in nothing


def test_roster_status_filter(world):
    InvitationFactory(coach=world.dana, email="pending@example.com", full_name="Pending Person")
    services.client_archive(coach=world.dana, client_id=world.noa.pk)
    dana = signed_in(world.dana)
    invited = _names(dana.get("/coach/clients/", {"status": "invited"}))
    assert "Pending Person" in invited and "Avi Mizrahi" not in invited
    active = _names(dana.get("/coach/clients/", {"status": "active"}))
    assert "Avi Mizrahi" in active and "Noa Peretz" not in active and "Pending Person" not in active
    archived = _names(dana.get("/coach/clients/", {"status": "archived"}))
    assert "Noa Peretz" in archived and "Avi Mizrahi" not in archived


def test_bad_filter_input_shows_the_whole_roster(world):
    dana = signed_in(world.dana)
    for params in (
        {"q": "x" * 10_000},
        {"status": "deleted"},
        {"page": "-3"},
        {"page": "abc"},
    ):
        response = dana.get("/coach/clients/", params)
        assert response.status_code == 200, params
        assert "Avi Mizrahi" in _names(response), params
    # A NUL character in the address is refused for every page (InputEncodingMiddleware).
    assert dana.get("/coach/clients/", {"q": "a\x00b"}).status_code == 400


def test_roster_pages(world):
    for n in range(30):
        CoachClientFactory(coach=world.dana, client=ClientFactory(full_name=f"Zed Client {n:02d}"))
    dana = signed_in(world.dana)
    first = _names(dana.get("/coach/clients/"))
    second = _names(dana.get("/coach/clients/", {"page": 2}))
    assert "Avi Mizrahi" in first and "Avi Mizrahi" not in second
    assert "Zed Client 29" in second
    assert 'aria-label="Pagination"' in first


def _roster_queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/coach/clients/", params or {})
    assert response.status_code == 200
    return len(queries)


def test_roster_query_count_does_not_grow_with_the_roster(world, django_assert_max_num_queries):
    dana = signed_in(world.dana)
    dana.get("/coach/clients/")  # the first request of a session also writes the session
    small = _roster_queries(dana)
    for n in range(20):
        CoachClientFactory(coach=world.dana, client=ClientFactory(full_name=f"Client {n:02d}"))
        InvitationFactory(coach=world.dana)
    services.client_archive(coach=world.dana, client_id=world.noa.pk)
    assert _roster_queries(dana) == small
    assert _roster_queries(dana, {"status": "archived"}) == small
    assert _roster_queries(dana, {"q": "client", "page": 2}) == small
    with django_assert_max_num_queries(12):
        dana.get("/coach/clients/")


def test_clients_and_other_roles_are_sent_home_from_the_roster(world):
    response = signed_in(world.avi).get("/coach/clients/")
    assert response.status_code == 302
    assert response["Location"] == "/client/"
    assert signed_in(world.admin).get("/coach/clients/")["Location"] == "/admin-area/"
    assert signed_in(world.avi).get(f"/coach/clients/{world.noa.pk}/")["Location"] == "/client/"


# --- Archive and restore ----------------------------------------------------------------------


def test_archive_asks_for_confirmation_then_archives_and_restore_brings_back(world):
    dana = signed_in(world.dana)
    confirm = dana.get(f"/coach/clients/{world.avi.pk}/archive/")
    assert confirm.status_code == 200
    assert "Archive Avi Mizrahi?" in _names(confirm)
    assert CoachClient.objects.get(coach=world.dana, client=world.avi).status == "active"

    done = dana.post(f"/coach/clients/{world.avi.pk}/archive/")
    assert done["Location"] == f"/coach/clients/{world.avi.pk}/"
    link = CoachClient.objects.get(coach=world.dana, client=world.avi)
    assert link.status == "archived" and link.archived_at is not None
    assert AuditLog.objects.filter(action="roster.client_archived", actor=world.dana).count() == 1
    # Archiving again is harmless and not audited twice.
    dana.post(f"/coach/clients/{world.avi.pk}/archive/")
    assert AuditLog.objects.filter(action="roster.client_archived").count() == 1
    assert "Restore client" in _names(dana.get(f"/coach/clients/{world.avi.pk}/"))

    dana.post(f"/coach/clients/{world.avi.pk}/restore/")
    link.refresh_from_db()
    assert link.status == "active" and link.archived_at is None
    assert AuditLog.objects.filter(action="roster.client_restored").count() == 1


def test_a_coach_cannot_archive_or_open_another_coachs_client(world):
    dana = signed_in(world.dana)
    for url in (
        f"/coach/clients/{world.maya.pk}/",
        f"/coach/clients/{world.maya.pk}/sessions/",
        f"/coach/clients/{world.maya.pk}/archive/",
        f"/coach/clients/{world.eli.pk}/",
        f"/coach/clients/{world.dana.pk}/",
        "/coach/clients/999999/",
    ):
        assert dana.get(url).status_code == 404, url
    assert dana.post(f"/coach/clients/{world.maya.pk}/archive/").status_code == 404
    assert CoachClient.objects.get(client=world.maya).status == "active"
    assert not AuditLog.objects.filter(action__startswith="roster.").exists()


def test_get_client_for_coach_refuses_foreign_and_malformed_ids(world):
    from django.http import Http404

    assert get_client_for_coach(world.dana, world.avi.pk).client == world.avi
    for client_id in (world.maya.pk, "abc", None, -1, 10**12):
        with pytest.raises(Http404):
            get_client_for_coach(world.dana, client_id)


def test_archive_and_restore_need_post_to_change_anything(world):
    dana = signed_in(world.dana)
    dana.get(f"/coach/clients/{world.avi.pk}/archive/")
    dana.get(f"/coach/clients/{world.avi.pk}/restore/")
    assert CoachClient.objects.get(coach=world.dana, client=world.avi).status == "active"
    assert dana.get(f"/coach/clients/invitations/{1}/resend/").status_code == 405


# --- Client detail ------------------------------------------------------------------------------


def test_client_overview_shows_profile_and_intake(world):
    ClientProfile.objects.filter(user=world.avi).update()
    profile = ClientProfile.objects.get(user=world.avi)
    profile.goals = "Run a marathon without injuries."
    profile.reason = "A friend recommended coaching."
    profile.save()
    page = signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/")
    html = _names(page)
    assert page.status_code == 200
    assert "Run a marathon without injuries." in html
    assert "A friend recommended coaching." in html
    assert "Asia/Jerusalem" in html
    for tab in ("Overview", "Sessions", "Journal", "Resources", "Messages", "Progress"):
        assert tab in html
    assert 'id="client-panel-overview"' in html
    assert 'aria-current="page"' in html


def test_messages_tab_links_to_the_conversation(world):
    from loom.messaging.services import conversation_for_pair

    empty = signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/messages/")
    assert empty.status_code == 200
    assert "No messages yet" in _names(empty)
    conversation = conversation_for_pair(coach=world.dana, client=world.avi)
    page = signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/messages/")
    assert page.status_code == 200
    assert f'href="/messages/{conversation.pk}/"' in page.content.decode()
    assert 'id="client-panel-messages"' in _names(page)


def test_progress_tab_shows_what_the_client_shares(world):
    # The wellbeing app fills the tab (tests/wellbeing/test_progress_coach.py covers it).
    page = signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/progress/")
    assert page.status_code == 200
    assert 'id="client-panel-progress"' in _names(page)
    assert "has not shared check-ins with you" in _names(page)


def test_unknown_tabs_are_not_found(world):
    assert signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/billing/").status_code == 404


def test_client_detail_query_count_is_small(world, django_assert_max_num_queries):
    dana = signed_in(world.dana)
    dana.get("/coach/")  # the first request of a session records the device
    with django_assert_max_num_queries(12):
        assert dana.get(f"/coach/clients/{world.avi.pk}/").status_code == 200


def test_intake_is_hidden_while_a_client_is_archived(world):
    profile = ClientProfile.objects.get(user=world.avi)
    profile.goals = "Private goal text."
    profile.save()
    services.client_archive(coach=world.dana, client_id=world.avi.pk)
    html = _names(signed_in(world.dana).get(f"/coach/clients/{world.avi.pk}/"))
    assert "Private goal text." not in html
    assert "hidden while the client is archived" in html
