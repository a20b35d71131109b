"""Sharing tells the client in Loom and by email, through the outbox, in their language."""

from __future__ import annotations

import pytest
from django.db import transaction

from loom.accounts import services as accounts_services
from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.models import OutboxMessage
from loom.core.outbox import outbox_drain
from loom.notifications.models import ChannelChoice, Notification
from loom.resources import sharing_services as services
from loom.resources.models import Share, ShareSource
from loom.resources.selectors import get_collection_for_user, shared_resources_for_client
from tests.resources.factories import make_collection, make_resource

pytestmark = pytest.mark.django_db

BASE = "https://loom.example.org"


def _drain() -> None:
    with system_context():
        outbox_drain()


@pytest.fixture(autouse=True)
def _base_url(settings):
    settings.LOOM_BASE_URL = BASE


def test_a_share_sends_one_email_and_one_notice_in_english(world, mail_via_smtp):
    resource = make_resource(world.dana, title="Breathing basics")
    services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
    )
    # Nothing is sent inside the request: the outbox holds it until the worker drains.
    assert mail_via_smtp.messages == []
    _drain()
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "avi@example.com"
    assert message["Subject"] == "Dana Levi shared “Breathing basics” with you"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    url = f"{BASE}/client/resources/{resource.pk}/"
    assert "Breathing basics" in text and url in text
    assert f'href="{url}"' in html and 'lang="en"' in html
    with system_context():
        notice = Notification.objects.get(user=world.avi)
    assert notice.kind == "resource_shared"
    assert notice.title == "Dana Levi shared “Breathing basics” with you"
    assert notice.url == f"/client/resources/{resource.pk}/"


def test_a_hebrew_client_gets_the_email_in_hebrew(world, mail_via_smtp):
    collection = make_collection(world.dana, make_resource(world.dana), title="ערכת רוגע")
    services.share_collection(
        coach=world.dana, collection_id=collection.pk, client_ids=[world.noa.pk]
    )
    _drain()
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "noa@example.com"
    assert "ערכת רוגע" in message["Subject"]
    html = message.get_body(("html",)).get_content()
    assert 'lang="he"' in html and 'dir="rtl"' in html
    assert f"{BASE}/client/resources/collections/{collection.pk}/" in html
    # The greeting comes from the Hebrew catalogue.
    assert "Noa Peretz" in html
    assert message["Content-Language"] == "he"
    [notice] = OutboxMessage.objects.filter(channel="notice")
    assert notice.payload["kind"] == "resource_shared"
    assert notice.payload["source"].startswith(f"resources-shared:{world.noa.pk}:")
    # The in-app words are Hebrew too.
    with system_context():
        assert "ערכת רוגע" in Notification.objects.get(user=world.noa).title


def test_hostile_titles_are_escaped_in_the_html_email(world, mail_via_smtp):
    resource = make_resource(world.dana, title="<script>alert(1)</script>")
    services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
    )
    _drain()
    [message] = mail_via_smtp.wait_for(1)
    html = message.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_a_rolled_back_share_sends_nothing(world, mail_via_smtp):
    resource = make_resource(world.dana)
    with pytest.raises(RuntimeError), transaction.atomic():
        services.share_resources(
            coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
        )
        raise RuntimeError
    _drain()
    assert not OutboxMessage.objects.exists() and mail_via_smtp.messages == []


def test_sharing_again_sends_nothing_new(world, mail_via_smtp):
    resource = make_resource(world.dana)
    for _ in range(3):
        services.share_resources(
            coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
        )
    _drain()
    assert len(mail_via_smtp.wait_for(1)) == 1
    with system_context():
        assert Notification.objects.filter(user=world.avi).count() == 1


def _join_dana(email: str):
    dana = User.objects.get(email="dana@example.com")
    sent = accounts_services.invitation_create(coach=dana, email=email, full_name="Lior")
    return accounts_services.invitation_accept(
        token=sent.token, full_name="Lior", password="meadow copper violin", accepted_terms=True
    )


def test_auto_share_on_joining_gives_access_at_once_with_one_welcome(world, mail_via_smtp):
    marked = make_resource(world.dana, title="Welcome letter", auto_share=True)
    make_resource(world.dana, title="Private draft")
    collection = make_collection(world.dana, make_resource(world.dana, title="Inside"))
    collection.auto_share = True
    collection.save()
    _drain()
    mail_via_smtp.messages.clear()

    lior = _join_dana("lior@example.com")
    titles = {r.title for r in shared_resources_for_client(lior)}
    assert titles == {"Welcome letter", "Inside"}
    assert get_collection_for_user(lior, collection.pk)
    assert set(Share.objects.filter(client=lior).values_list("source", flat=True)) == {
        ShareSource.AUTO
    }
    _drain()
    welcome = [m for m in mail_via_smtp.wait_for(1) if m["To"] == "lior@example.com"]
    shared = [m for m in welcome if "shared" in m["Subject"]]
    assert len(shared) == 1
    assert shared[0]["Subject"] == "Welcome! Dana Levi shared 2 items with you"
    text = shared[0].get_body(("plain",)).get_content()
    assert "Welcome letter" in text and collection.title in text and "Private draft" not in text
    with system_context():
        [notice] = Notification.objects.filter(user=lior, kind="resource_shared")
    assert notice.url == "/client/resources/"
    assert marked.pk in {r.pk for r in shared_resources_for_client(lior)}


def test_joining_a_coach_with_nothing_marked_sends_no_welcome(world):
    make_resource(world.dana)
    lior = _join_dana("lior@example.com")
    assert not Share.objects.filter(client=lior).exists()
    assert not OutboxMessage.objects.filter(
        channel="notice", dedupe_key__startswith="notice:resources-shared:"
    ).exists()


def test_email_turned_off_for_shares_leaves_only_the_notice_in_loom(world, mail_via_smtp):
    ChannelChoice.objects.create(
        user=world.avi, kind="resource_shared", channel="email", enabled=False
    )
    resource = make_resource(world.dana, title="Breathing basics")
    services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk, world.noa.pk]
    )
    _drain()
    # Noa's email arrives (the drain did send); Avi's never does.
    [message] = mail_via_smtp.wait_for(1)
    assert message["To"] == "noa@example.com"
    _drain()
    assert [m["To"] for m in mail_via_smtp.messages] == ["noa@example.com"]
    with system_context():
        [notice] = Notification.objects.filter(user=world.avi)
    assert notice.kind == "resource_shared"
    assert notice.title == "Dana Levi shared “Breathing basics” with you"
