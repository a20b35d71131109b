"""Unsubscribe: the List-Unsubscribe header of a real email, the one-click POST, the page."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.test import Client

from loom.core.models import OutboxMessage
from loom.notifications.dispatch import EMAIL_CHANNEL
from loom.notifications.models import ChannelChoice, Notification, NotificationDelivery
from loom.notifications.tokens import SALT, unsubscribe_token
from tests.notifications.conftest import Send, make_notice
from tests.smtp import SmtpServer
from tests.world import World

pytestmark = pytest.mark.django_db


def _path(header: str) -> str:
    assert header.startswith("<") and header.endswith(">")
    return urlsplit(header[1:-1]).path


def test_one_click_unsubscribe_from_the_header_stops_the_next_email(
    world: World, send: Send, mail_via_smtp: SmtpServer
) -> None:
    send(make_notice(world.avi, source="first"))
    [message] = mail_via_smtp.wait_for(1)
    path = _path(message["List-Unsubscribe"])
    # A mail client posts on its own: no cookies, no CSRF token.
    response = Client(enforce_csrf_checks=True).post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert (
        ChannelChoice.objects.get(user=world.avi, kind="session_booked", channel="email").enabled
        is False
    )

    send(make_notice(world.avi, source="second"))
    second = Notification.objects.get(source="second")
    delivery = NotificationDelivery.objects.get(notification=second, channel="email")
    assert (delivery.state, delivery.reason) == ("skipped", "preference")
    assert OutboxMessage.objects.filter(channel=EMAIL_CHANNEL).count() == 1
    assert len(mail_via_smtp.messages) == 1
    # Other kinds still come.
    send(make_notice(world.avi, "session_cancelled", source="third"))
    mail_via_smtp.wait_for(2)


def test_the_link_asks_first_and_the_button_turns_emails_off(world: World) -> None:
    token = unsubscribe_token(user_id=world.noa.pk, scope="session_booked")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/notifications/unsubscribe/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Session booked" in html and "<button" in html
    # A mail scanner that only follows links changes nothing.
    assert not ChannelChoice.objects.exists()
    done = browser.post(f"/notifications/unsubscribe/{token}/")
    assert done.status_code == 200
    assert "Emails turned off" in done.content.decode()
    assert ChannelChoice.objects.get(user=world.noa).enabled is False


def test_a_digest_link_turns_off_every_kind_of_its_category(world: World) -> None:
    token = unsubscribe_token(user_id=world.dana.pk, scope="digest:activity")
    Client().post(f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"})
    assert set(ChannelChoice.objects.filter(user=world.dana).values_list("kind", "enabled")) == {
        ("resource_shared", False),
        ("invitation_accepted", False),
        ("journal_shared", False),
        ("journal_comment", False),
        ("goal_completed", False),
    }


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        signing.dumps({"u": 1, "s": "session_booked"}, salt="another-salt"),
        signing.dumps({"u": 1, "s": "no_such_kind"}, salt=SALT),
        signing.dumps({"u": "x"}, salt=SALT),
        "a" * 3000,
    ],
    # Signed values carry a timestamp: ids of their own keep xdist workers in agreement.
    ids=["nonsense", "other-salt", "unknown-kind", "no-fields", "very-long"],
)
def test_a_forged_or_broken_link_is_a_400_page_and_changes_nothing(
    world: World, token: str
) -> None:
    for method in ("get", "post"):
        response = getattr(Client(), method)(f"/notifications/unsubscribe/{token}/")
        assert response.status_code == 400
        assert "This link does not work" in response.content.decode()
    assert not ChannelChoice.objects.exists()


def test_a_token_for_a_person_who_is_gone_is_a_400(world: World) -> None:
    token = unsubscribe_token(user_id=999999, scope="session_booked")
    assert Client().post(f"/notifications/unsubscribe/{token}/").status_code == 400


def test_a_tampered_user_id_breaks_the_signature(world: World) -> None:
    token = unsubscribe_token(user_id=world.avi.pk, scope="session_booked")
    payload, rest = token.split(":", 1)
    other = unsubscribe_token(user_id=world.noa.pk, scope="session_booked").split(":", 1)[0]
    assert Client().post(f"/notifications/unsubscribe/{other}:{rest}/").status_code == 400
    assert payload != other


def test_the_page_is_in_hebrew_for_a_hebrew_browser(world: World) -> None:
    token = unsubscribe_token(user_id=world.noa.pk, scope="message_new")
    html = Client(headers={"accept-language": "he"}).get(f"/notifications/unsubscribe/{token}/")
    assert 'dir="rtl"' in html.content.decode()
