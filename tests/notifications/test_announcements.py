"""Announcements: an admin writes one; everyone in the audience is told in their language."""

from __future__ import annotations

from typing import Any

import pytest

from loom.core.models import AuditLog
from loom.notifications.announcements import announcement_deliver
from loom.notifications.models import Announcement, Notification
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in
from tests.smtp import SmtpServer
from tests.world import World

pytestmark = pytest.mark.django_db

FORM = {
    "audience": "clients",
    "title_en": "Loom is down for maintenance on Sunday",
    "body_en": "From 02:00 to 03:00.",
    "title_he": "לום לא יהיה זמין ביום ראשון",
    "body_he": "בין 02:00 ל-03:00.",
}


def test_an_admin_sends_an_announcement_to_every_client_in_their_language(
    world: World, mail_via_smtp: SmtpServer, django_capture_on_commit_callbacks: Any
) -> None:
    enable_totp(world.admin)
    admin = signed_in(world.admin)
    with django_capture_on_commit_callbacks(execute=True):
        response = admin.post("/admin-area/announcements/", FORM)
    assert response.status_code == 302
    announcement = Announcement.objects.get()
    assert announcement.sent_at is not None and announcement.recipients == 3
    assert AuditLog.objects.filter(
        action="announcement.create", actor=world.admin, target_id=str(announcement.pk)
    ).exists()
    titles = dict(Notification.objects.values_list("user__email", "title"))
    assert titles == {
        "avi@example.com": FORM["title_en"],
        "maya@example.com": FORM["title_en"],
        "noa@example.com": FORM["title_he"],
    }
    messages = {m["To"]: m for m in mail_via_smtp.wait_for(3)}
    assert set(messages) == {"avi@example.com", "maya@example.com", "noa@example.com"}
    assert messages["noa@example.com"]["Subject"] == FORM["title_he"]
    assert messages["noa@example.com"]["Content-Language"] == "he"
    assert "List-Unsubscribe" in messages["avi@example.com"]
    page = admin.get("/admin-area/announcements/").content.decode()
    assert FORM["title_en"] in page and "Sent to 3 people" in page


def test_sending_twice_tells_nobody_twice(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    announcement = Announcement.objects.create(
        author=world.admin, audience="coaches", title_en="Hi", title_he="שלום"
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert announcement_deliver(announcement_id=announcement.pk) == 2
        assert announcement_deliver(announcement_id=announcement.pk) == 2
    assert Notification.objects.filter(kind="announcement").count() == 2


def test_a_title_in_each_language_is_required(world: World) -> None:
    enable_totp(world.admin)
    response = signed_in(world.admin).post(
        "/admin-area/announcements/", {**FORM, "title_he": "", "audience": "robots"}
    )
    assert response.status_code == 400
    assert {"title_he", "audience"} <= set(response.context["form"].errors)
    assert not Announcement.objects.exists()


def test_only_admins_reach_the_announcements_page(world: World) -> None:
    for person in (world.dana, world.avi):
        response = signed_in(person).post("/admin-area/announcements/", FORM)
        assert response.status_code in (302, 403)
    assert not Announcement.objects.exists()
