"""Page views: one event per HTML page shown to a signed-in person, and nothing else."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import HttpResponse, StreamingHttpResponse
from django.test import Client, RequestFactory
from django.urls import resolve

from loom.analytics.events import _Pending
from loom.analytics.middleware import PageViewMiddleware, acting_role, page_view_route
from loom.analytics.models import Event
from tests.accounts.security_support import enable_totp
from tests.world import World

pytestmark = pytest.mark.django_db


def _page_views() -> list[tuple[int, str, str]]:
    pending = [item for item in connection.run_on_commit if isinstance(item[1], _Pending)]
    connection.run_on_commit = [
        item for item in connection.run_on_commit if not isinstance(item[1], _Pending)
    ]
    for _sids, func, _robust in pending:
        func()
    return list(
        Event.objects.filter(name="page_view")
        .order_by("id")
        .values_list("user_id", "role", "route")
    )


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize(
    ("who", "path", "route"),
    [
        ("avi", "/client/", "client:home"),
        ("dana", "/coach/", "coach:home"),
        ("admin", "/admin-area/", "admin_area:home"),
        ("avi", "/journal/", "journal:list"),
    ],
)
def test_a_page_records_its_route_name(world: World, who: str, path: str, route: str) -> None:
    user = getattr(world, who)
    if who == "admin":
        enable_totp(user)  # admins need two-step verification to reach their pages
    response = _signed_in(user).get(path)
    assert response.status_code == 200
    assert _page_views() == [(user.pk, user.role, route)]


def test_the_route_name_never_the_path_or_its_ids(world: World) -> None:
    from loom.journal.services import entry_create

    entry = entry_create(author=world.avi, body="Hello").entry
    response = _signed_in(world.avi).get(f"/journal/{entry.pk}/?q=secret")
    assert response.status_code == 200
    ((_user, _role, route),) = _page_views()
    assert route == resolve(f"/journal/{entry.pk}/").view_name
    assert str(entry.pk) not in route and "secret" not in route


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("post", "/client/", {}),  # not a GET
        ("get", "/client/", {"HX-Request": "true"}),  # an HTMX partial
        ("get", "/no-such-page/", {}),  # 404
        ("get", "/api/v1/openapi.json", {}),  # the API
        ("get", "/sw.js", {}),  # the service worker
        ("get", "/manifest.webmanifest", {}),
        ("get", "/healthz", {}),
        ("get", "/static/no-such-file.css", {}),
        ("get", "/account/security/keepalive/", {}),  # whatever it is, not a page
    ],
)
def test_not_a_page_view(world: World, method: str, path: str, headers: dict[str, str]) -> None:
    getattr(_signed_in(world.avi), method)(path, headers=headers)
    assert _page_views() == []


def test_anonymous_visitor_records_nothing(db: None) -> None:
    assert Client().get("/").status_code == 200
    assert _page_views() == []


def test_signing_in_records_no_page_view_for_the_form(world: World) -> None:
    Client().get("/accounts/login/")
    assert _page_views() == []


# --- The decision on its own (what a test client cannot easily produce) --------------------


def _request(path: str, **headers: str) -> Any:
    request = RequestFactory().get(path, headers=headers)
    request.resolver_match = resolve("/client/")
    return request


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (HttpResponse("<p>", content_type="text/html; charset=utf-8"), "client:home"),
        (HttpResponse("{}", content_type="application/json"), ""),
        (HttpResponse("<p>", status=204, content_type="text/html"), ""),
        (HttpResponse("<p>", status=302, content_type="text/html"), ""),
        (StreamingHttpResponse(iter(["x"]), content_type="text/html"), ""),
    ],
)
def test_only_successful_html(response: HttpResponse, expected: str) -> None:
    assert page_view_route(_request("/client/"), response) == expected


@pytest.mark.parametrize("path", ["/static/app.css", "/media-not-public/x.pdf", "/x/sw.js"])
def test_static_media_and_worker_paths_are_not_pages(path: str) -> None:
    html = HttpResponse("<p>", content_type="text/html")
    assert page_view_route(_request(path), html) == ""


def test_unnamed_routes_are_not_recorded() -> None:
    request = RequestFactory().get("/somewhere/")
    request.resolver_match = None
    assert page_view_route(request, HttpResponse("<p>", content_type="text/html")) == ""


def test_the_acting_role_is_known_only_inside_the_request(world: World) -> None:
    seen: list[str] = []

    def view(request: Any) -> HttpResponse:
        seen.append(acting_role(world.dana.pk))
        seen.append(acting_role(world.avi.pk))
        return HttpResponse("ok", content_type="text/plain")

    request = RequestFactory().get("/coach/")
    request.user = world.dana
    PageViewMiddleware(view)(request)
    assert seen == ["coach", ""]
    assert acting_role(world.dana.pk) == ""

    request.user = AnonymousUser()
    seen.clear()
    PageViewMiddleware(view)(request)
    assert seen == ["", ""]
