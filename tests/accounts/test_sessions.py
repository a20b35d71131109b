"""Signed-in devices (allauth.usersessions), idle and absolute session lifetimes, keep-alive,
and the offer to sign out other devices after a password change."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from loom.accounts.middleware import AUTH_AT, SEEN_AT
from loom.core.models import AuditLog
from tests.accounts.security_support import enable_totp, password_step
from tests.conftest import signed_in
from tests.world import PASSWORD

FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
KEEPALIVE = "/account/security/keepalive/"


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    # Rate-limit counters and used TOTP codes live in the cache: start clean, and leave
    # nothing behind for the next test in this process.
    cache.clear()
    yield
    cache.clear()


def _device(user, user_agent: str, ip: str = "198.51.100.1") -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    password_step(client, user)
    assert client.get("/home/").status_code == 302  # signed in; records the device
    return client


def _signed_in_page(client: Client, path: str = "/coach/") -> bool:
    return client.get(path).status_code == 200


# --- Device list -----------------------------------------------------------------------------------


def test_the_device_list_shows_each_signed_in_browser(world, django_assert_max_num_queries):
    laptop = _device(world.dana, FIREFOX)
    _device(world.dana, IPHONE, ip="203.0.113.5")
    _device(world.dana, FIREFOX, ip="203.0.113.6")
    _device(world.eli, FIREFOX)
    with django_assert_max_num_queries(14):
        response = laptop.get("/account/security/sessions/")
    assert response.status_code == 200
    sessions = response.context["sessions"]
    assert len(sessions) == 3
    assert sum(1 for s in sessions if s.current) == 1
    content = response.content.decode()
    assert "Firefox on Linux" in content
    assert "Safari on iOS" in content
    assert "203.0.113.5" in content
    assert "This device" in content


def test_the_query_count_of_the_device_list_does_not_grow_with_devices(world):
    laptop = _device(world.dana, FIREFOX)
    _device(world.dana, IPHONE)
    with CaptureQueriesContext(connection) as two_devices:
        laptop.get("/account/security/sessions/")
    for index in range(5):
        _device(world.dana, IPHONE, ip=f"203.0.113.{index + 10}")
    with CaptureQueriesContext(connection) as seven_devices:
        response = laptop.get("/account/security/sessions/")
    assert len(response.context["sessions"]) == 7
    assert len(seven_devices.captured_queries) == len(two_devices.captured_queries)


def test_sign_out_of_one_other_device(world):
    laptop = _device(world.dana, FIREFOX)
    phone = _device(world.dana, IPHONE)
    phone_session = UserSession.objects.get(session_key=phone.session.session_key)
    response = laptop.post(f"/account/security/sessions/{phone_session.pk}/end/")
    assert response.status_code == 302
    assert not _signed_in_page(phone)
    assert _signed_in_page(laptop)
    assert AuditLog.objects.filter(action="auth.session_ended", actor=world.dana).exists()


def test_sign_out_of_this_device(world):
    laptop = _device(world.dana, FIREFOX)
    own = UserSession.objects.get(session_key=laptop.session.session_key)
    response = laptop.post(f"/account/security/sessions/{own.pk}/end/")
    assert response["Location"] == "/accounts/login/"
    assert not _signed_in_page(laptop)


def test_another_users_device_is_not_found(world):
    laptop = _device(world.dana, FIREFOX)
    eli = _device(world.eli, FIREFOX)
    eli_session = UserSession.objects.get(session_key=eli.session.session_key)
    assert laptop.post(f"/account/security/sessions/{eli_session.pk}/end/").status_code == 404
    assert laptop.post("/account/security/sessions/999999/end/").status_code == 404
    assert _signed_in_page(eli)


def test_sign_out_everywhere_else(world):
    laptop = _device(world.dana, FIREFOX)
    phone = _device(world.dana, IPHONE)
    tablet = _device(world.dana, IPHONE, ip="203.0.113.7")
    eli = _device(world.eli, FIREFOX)
    response = laptop.post("/account/security/sessions/end-others/")
    assert response["Location"] == "/account/security/sessions/"
    assert _signed_in_page(laptop)
    assert not _signed_in_page(phone)
    assert not _signed_in_page(tablet)
    assert _signed_in_page(eli)
    entry = AuditLog.objects.get(action="auth.sessions_ended_others")
    assert entry.details == {"count": 2}


def test_session_actions_need_post(world):
    laptop = _device(world.dana, FIREFOX)
    assert laptop.get("/account/security/sessions/end-others/").status_code == 405
    assert Client().post("/account/security/sessions/end-others/").status_code == 302


def test_ended_sessions_disappear_from_the_list(world):
    laptop = _device(world.dana, FIREFOX)
    phone = _device(world.dana, IPHONE)
    Session.objects.filter(session_key=phone.session.session_key).delete()
    cache.clear()
    response = laptop.get("/account/security/sessions/")
    assert len(response.context["sessions"]) == 1


def test_allauths_device_page_uses_the_same_table(world):
    laptop = _device(world.dana, FIREFOX)
    response = laptop.get("/accounts/sessions/")
    assert response.status_code == 200
    assert b"/account/security/sessions/end-others/" not in response.content  # one device only
    _device(world.dana, IPHONE)
    assert b"/account/security/sessions/end-others/" in laptop.get("/accounts/sessions/").content


# --- Idle and absolute lifetime ---------------------------------------------------------------------


def test_an_idle_session_ends_after_two_hours(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        password_step(client, world.dana)
        clock.shift(timedelta(hours=1, minutes=59))
        assert _signed_in_page(client)
        clock.shift(timedelta(hours=2, seconds=1))
        response = client.get("/coach/clients/?q=a")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/coach/clients/%3Fq%3Da"
        page = client.get(response["Location"])
        assert b"signed out after a period of inactivity" in page.content
    assert AuditLog.objects.filter(action="auth.session_timeout", details__reason="idle").exists()
    assert AuditLog.objects.filter(action="auth.sign_out", actor=world.dana).exists()


def test_activity_keeps_a_session_alive(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        password_step(client, world.dana)
        for _ in range(5):
            clock.shift(timedelta(hours=1, minutes=30))
            assert _signed_in_page(client)


def test_remember_me_keeps_an_idle_session_for_days_but_not_past_fourteen(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        password_step(client, world.dana, remember=True)
        clock.shift(timedelta(days=3))
        assert _signed_in_page(client)
        for _ in range(10):
            clock.shift(timedelta(days=1))
            assert _signed_in_page(client)
        clock.shift(timedelta(days=1, seconds=1))  # 14 days and a second after sign-in
        assert not _signed_in_page(client)
    assert AuditLog.objects.filter(
        action="auth.session_timeout", details__reason="absolute"
    ).exists()


def test_the_admin_area_has_a_fifteen_minute_idle_limit(world):
    enable_totp(world.admin)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = signed_in(world.admin)
        assert _signed_in_page(client, "/admin-area/")
        clock.shift(timedelta(minutes=14))
        assert _signed_in_page(client, "/admin-area/")
        clock.shift(timedelta(minutes=15, seconds=30))
        response = client.get("/admin-area/")
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_a_session_with_damaged_clock_values_is_ended_not_crashed(world):
    client = signed_in(world.dana)
    session = client.session
    session[AUTH_AT] = "not a number"
    session.save()
    response = client.get("/coach/")
    assert response.status_code == 302


def test_a_session_signed_in_elsewhere_gets_its_clocks_started(world):
    client = signed_in(world.dana)
    session = client.session
    del session[AUTH_AT]
    session.save()
    assert _signed_in_page(client)
    assert AUTH_AT in client.session


# --- Keep-alive --------------------------------------------------------------------------------------


def test_keepalive_keeps_a_long_page_signed_in(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        password_step(client, world.dana)
        client.get("/coach/")
        for _ in range(3):
            clock.shift(timedelta(hours=1, minutes=50))
            response = client.post(KEEPALIVE, HTTP_ACCEPT="application/json")
            assert response.status_code == 200
            assert response.json() == {"signed_in": True, "idle_seconds": 2 * 60 * 60}
        clock.shift(timedelta(hours=1, minutes=50))
        assert _signed_in_page(client)
        assert client.session[SEEN_AT] == int(time.time())


def test_without_keepalive_the_same_page_times_out(world):
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        client = Client()
        password_step(client, world.dana)
        clock.shift(timedelta(hours=2, minutes=1))
        response = client.post(KEEPALIVE, HTTP_ACCEPT="application/json")
        assert response.status_code == 401
        assert response.json() == {"signed_in": False}
        assert response["HX-Redirect"] == "/accounts/login/"


def test_keepalive_answers_401_when_signed_out_and_refuses_get(world, client):
    assert client.post(KEEPALIVE).status_code == 401
    assert signed_in(world.dana).get(KEEPALIVE).status_code == 405


def test_keepalive_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.dana)
    assert client.post(KEEPALIVE).status_code == 403


def test_the_keepalive_script_is_on_pages_only_for_signed_in_people(world, client):
    assert b"keepalive.js" not in client.get("/").content
    page = signed_in(world.dana).get("/coach/")
    assert b"js/keepalive.js" in page.content
    assert b'data-url="/account/security/keepalive/"' in page.content


# --- After a password change ---------------------------------------------------------------------------


def test_a_password_change_offers_to_sign_out_other_devices(transactional_db, world):
    cache.clear()
    laptop = _device(world.dana, FIREFOX)
    phone = _device(world.dana, IPHONE)
    new_password = "a brand new passphrase 42"
    response = laptop.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": new_password, "password2": new_password},
    )
    assert response.status_code == 302
    assert response["Location"] == "/account/security/changed/"
    page = laptop.get("/account/security/changed/")
    assert page.status_code == 200
    assert b"/account/security/sessions/end-others/" in page.content
    laptop.post("/account/security/sessions/end-others/")
    assert not _signed_in_page(phone)
    assert _signed_in_page(laptop)
    assert AuditLog.objects.filter(action="auth.password_changed", actor=world.dana).exists()


def test_device_activity_is_recorded_once_a_minute_not_on_every_request(world):
    browser = signed_in(world.dana)
    browser.get("/coach/")
    row = UserSession.objects.get(user=world.dana)
    first_seen = row.last_seen_at
    browser.get("/coach/")
    row.refresh_from_db()
    assert row.last_seen_at == first_seen
    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        browser.get("/coach/")
    row.refresh_from_db()
    assert row.last_seen_at > first_seen
    browser.get("/coach/", REMOTE_ADDR="203.0.113.9")
    row.refresh_from_db()
    assert row.ip == "203.0.113.9"
