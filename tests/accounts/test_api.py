"""The accounts API: /me, the roster, invitations, archive and restore."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from loom.accounts.models import CoachClient, Invitation
from loom.core.models import AuditLog, OutboxMessage
from tests.conftest import signed_in
from tests.factories import ClientFactory, CoachClientFactory, InvitationFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def _post(client, url, body=None):
    return client.post(url, json.dumps(body or {}), content_type="application/json")


def _patch(client, body):
    return client.patch("/api/v1/me", json.dumps(body), content_type="application/json")


# --- /me ---------------------------------------------------------------------------------------


def test_me_returns_the_signed_in_user(world):
    body = signed_in(world.noa).get("/api/v1/me").json()
    assert body == {
        "id": world.noa.pk,
        "email": "noa@example.com",
        "full_name": "Noa Peretz",
        "role": "client",
        "language": "he",
        "timezone": "Asia/Jerusalem",
        "avatar_url": "",
    }


def test_me_can_be_updated_partially(world):
    response = _patch(signed_in(world.avi), {"timezone": "America/Chicago"})
    assert response.status_code == 200
    assert response.json()["timezone"] == "America/Chicago"
    world.avi.refresh_from_db()
    assert (world.avi.full_name, world.avi.language, world.avi.timezone) == (
        "Avi Mizrahi",
        "en",
        "America/Chicago",
    )
    response = _patch(signed_in(world.avi), {"full_name": "Avi M", "language": "he"})
    assert response.json()["language"] == "he"


@pytest.mark.parametrize(
    "body",
    [
        {"timezone": "Mars/Olympus"},
        {"timezone": ""},
        {"language": "fr"},
        {"full_name": "x" * 10_000},
        {"full_name": "nul\x00byte"},
        {"full_name": ""},
        {"full_name": 12},
    ],
)
def test_me_rejects_bad_values_with_problem_details_and_writes_nothing(world, body):
    response = _patch(signed_in(world.avi), body)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["status"] == 422
    world.avi.refresh_from_db()
    assert (world.avi.full_name, world.avi.language, world.avi.timezone) == (
        "Avi Mizrahi",
        "en",
        "Asia/Jerusalem",
    )


def test_me_rejects_malformed_json(world):
    response = signed_in(world.avi).patch(
        "/api/v1/me", "{not json", content_type="application/json"
    )
    assert 400 <= response.status_code < 500


def test_anonymous_callers_get_401(client):
    for method, url in (
        ("get", "/api/v1/me"),
        ("get", "/api/v1/coach/clients"),
        ("post", "/api/v1/coach/invitations"),
    ):
        response = getattr(client, method)(url)
        assert response.status_code == 401, url
        assert response["Content-Type"] == PROBLEM


# --- Roster ------------------------------------------------------------------------------------


def test_roster_lists_clients_and_invitations_with_filters(world):
    InvitationFactory(coach=world.dana, email="pending@example.com", full_name="Pending")
    dana = signed_in(world.dana)
    body = dana.get("/api/v1/coach/clients").json()
    assert body["count"] == 3
    assert [item["kind"] for item in body["items"]] == ["invitation", "client", "client"]
    assert {item["email"] for item in body["items"]} == {
        "pending@example.com",
        "avi@example.com",
        "noa@example.com",
    }
    assert dana.get("/api/v1/coach/clients?status=invited").json()["count"] == 1
    active = dana.get("/api/v1/coach/clients?status=active&q=noa").json()
    assert [item["id"] for item in active["items"]] == [world.noa.pk]


def test_roster_pages_and_validates_its_query(world):
    for _ in range(5):
        CoachClientFactory(coach=world.dana, client=ClientFactory())
    dana = signed_in(world.dana)
    page = dana.get("/api/v1/coach/clients?page=2&page_size=3").json()
    assert (page["count"], page["page"], page["pages"], len(page["items"])) == (7, 2, 3, 3)
    for query in ("status=deleted", "page=0", "page_size=1000", f"q={'x' * 200}", "page=abc"):
        response = dana.get(f"/api/v1/coach/clients?{query}")
        assert response.status_code == 422, query
        assert response["Content-Type"] == PROBLEM


def test_roster_query_count_is_constant(world, django_assert_max_num_queries):
    dana = signed_in(world.dana)
    dana.get("/api/v1/coach/clients")
    with CaptureQueriesContext(connection) as small:
        dana.get("/api/v1/coach/clients")
    for _ in range(15):
        CoachClientFactory(coach=world.dana, client=ClientFactory())
        InvitationFactory(coach=world.dana)
    with CaptureQueriesContext(connection) as large:
        body = dana.get("/api/v1/coach/clients?page_size=100").json()
    assert body["count"] == 32
    assert len(large) == len(small)
    with django_assert_max_num_queries(8):
        dana.get("/api/v1/coach/clients")


def test_coach_routes_are_forbidden_for_clients_and_admins(world):
    sent = InvitationFactory(coach=world.dana)
    for user in (world.avi, world.admin):
        caller = signed_in(user)
        for method, url in (
            ("get", "/api/v1/coach/clients"),
            ("post", "/api/v1/coach/invitations"),
            ("post", f"/api/v1/coach/invitations/{sent.pk}/resend"),
            ("post", f"/api/v1/coach/invitations/{sent.pk}/revoke"),
            ("post", f"/api/v1/coach/clients/{world.noa.pk}/archive"),
            ("post", f"/api/v1/coach/clients/{world.noa.pk}/restore"),
        ):
            if method == "get":
                response = caller.get(url)
            else:
                response = _post(caller, url, {"email": "x@example.com", "full_name": "X"})
            assert response.status_code == 403, (user, url)
            assert response["Content-Type"] == PROBLEM
    assert Invitation.objects.count() == 1
    assert CoachClient.objects.filter(status="archived").count() == 0


# --- Invitations -------------------------------------------------------------------------------


def test_invite_then_invite_again_resends(world):
    dana = signed_in(world.dana)
    created = _post(
        dana,
        "/api/v1/coach/invitations",
        {"email": "New@Example.com", "full_name": "New", "language": "he"},
    )
    assert created.status_code == 201
    body = created.json()
    assert (body["email"], body["language"], body["status"], body["sent_count"]) == (
        "new@example.com",
        "he",
        "invited",
        1,
    )
    again = _post(
        dana, "/api/v1/coach/invitations", {"email": "new@example.com", "full_name": "New"}
    )
    assert again.status_code == 200
    assert again.json()["resent"] is True
    assert again.json()["id"] == body["id"]
    assert OutboxMessage.objects.count() == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"email": "dana@example.com"}, 400),
        ({"email": "avi@example.com"}, 409),
        ({"email": "not-an-email"}, 422),
        ({"email": "a@example.com", "language": "xx"}, 422),
        ({"email": "a@example.com", "full_name": "x" * 10_000}, 422),
        ({"email": "a@example.com", "message": "m\x00"}, 422),
        ({"email": ("a" * 10_000) + "@example.com"}, 422),
        ({}, 422),
    ],
)
def test_bad_invitations_are_refused_with_problem_details(world, body, status):
    response = _post(signed_in(world.dana), "/api/v1/coach/invitations", body)
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    assert not Invitation.objects.exists()


def test_resend_and_revoke_own_invitation(world):
    invitation = InvitationFactory(coach=world.dana)
    dana = signed_in(world.dana)
    resent = _post(dana, f"/api/v1/coach/invitations/{invitation.pk}/resend")
    assert resent.status_code == 200
    assert resent.json()["sent_count"] == 2
    revoked = _post(dana, f"/api/v1/coach/invitations/{invitation.pk}/revoke")
    assert revoked.json()["status"] == "revoked"
    conflict = _post(dana, f"/api/v1/coach/invitations/{invitation.pk}/resend")
    assert conflict.status_code == 409
    assert conflict.json()["code"] == "invitation_revoked"


def test_resend_limit_answers_429(world):
    invitation = InvitationFactory(coach=world.dana, sends_in_window=5)
    response = _post(signed_in(world.dana), f"/api/v1/coach/invitations/{invitation.pk}/resend")
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited"


def test_foreign_and_unknown_ids_are_not_found(world):
    elis = InvitationFactory(coach=world.eli)
    dana = signed_in(world.dana)
    for url in (
        f"/api/v1/coach/invitations/{elis.pk}/resend",
        f"/api/v1/coach/invitations/{elis.pk}/revoke",
        "/api/v1/coach/invitations/999999/revoke",
        f"/api/v1/coach/clients/{world.maya.pk}/archive",
        f"/api/v1/coach/clients/{world.maya.pk}/restore",
        f"/api/v1/coach/clients/{world.eli.pk}/archive",
    ):
        response = _post(dana, url)
        assert response.status_code == 404, url
        assert response["Content-Type"] == PROBLEM
    elis.refresh_from_db()
    assert elis.revoked_at is None and elis.sent_count == 1
    assert CoachClient.objects.get(client=world.maya).status == "active"
    assert not AuditLog.objects.filter(
        action__in=["invitation.resent", "invitation.revoked", "roster.client_archived"]
    ).exists()
    assert _post(dana, "/api/v1/coach/clients/abc/archive").status_code == 422


def test_archive_and_restore(world):
    dana = signed_in(world.dana)
    archived = _post(dana, f"/api/v1/coach/clients/{world.avi.pk}/archive")
    assert archived.status_code == 200
    assert archived.json()["status"] == "archived"
    assert archived.json()["archived_at"]
    restored = _post(dana, f"/api/v1/coach/clients/{world.avi.pk}/restore")
    assert restored.json() == {"client_id": world.avi.pk, "status": "active", "archived_at": None}


def test_unsafe_api_calls_need_the_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world.dana)
    response = strict.post(
        "/api/v1/coach/invitations",
        json.dumps({"email": "x@example.com"}),
        content_type="application/json",
    )
    assert response.status_code in (401, 403)
    assert not Invitation.objects.exists()
