"""Sharing services: who may share what with whom, re-sharing, un-sharing, auto-share flags."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.core.errors import DomainError, Forbidden, NotFound
from loom.core.models import AuditLog, OutboxMessage
from loom.resources import sharing_services as services
from loom.resources.models import Share, ShareSource
from loom.resources.selectors import get_collection_for_user, get_resource_for_user
from tests.resources.factories import make_collection, make_resource, share
from tests.scheduling.told import Told

pytestmark = pytest.mark.django_db


def _notices() -> list[OutboxMessage]:
    """The notices queued (one per client told; the email rides in each)."""
    return list(OutboxMessage.objects.filter(channel="notice").order_by("id"))


def _emails() -> list[Told]:
    return [
        Told(row=row, payload=row.payload["email"], notice=row.payload)
        for row in _notices()
        if row.payload.get("email")
    ]


def test_sharing_with_chosen_clients_writes_one_row_each_and_audits(world):
    resource = make_resource(world.dana, title="Breathing basics")
    shares = services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk, world.noa.pk]
    )
    assert {s.client_id for s in shares} == {world.avi.pk, world.noa.pk}
    assert all(s.source == ShareSource.CHOSEN and s.can_download for s in shares)
    assert get_resource_for_user(world.avi, resource.pk).resource == resource
    audit = AuditLog.objects.get(action="resource.shared")
    assert audit.actor_id == world.dana.pk
    assert set(audit.details["client_ids"]) == {world.avi.pk, world.noa.pk}
    assert {m.row.recipient for m in _emails()} == {str(world.avi.pk), str(world.noa.pk)}
    assert len(_notices()) == 2
    assert {m.notice["kind"] for m in _emails() if m.notice} == {"resource_shared"}


def test_resharing_updates_the_row_and_tells_nobody_again(world):
    resource = make_resource(world.dana)
    services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
    )
    later = timezone.now() + timedelta(days=3)
    services.share_resources(
        coach=world.dana,
        resource_ids=[resource.pk],
        client_ids=[world.avi.pk],
        can_download=False,
        expires_at=later,
    )
    row = Share.objects.get()
    assert (row.can_download, row.expires_at) == (False, later)
    assert len(_emails()) == 1 and len(_notices()) == 1
    assert not get_resource_for_user(world.avi, resource.pk).can_download


def test_resharing_an_expired_share_opens_it_again_and_tells_the_client(world):
    resource = make_resource(world.dana)
    share(resource, world.avi, expires_at=timezone.now() - timedelta(days=1))
    with pytest.raises(Http404):
        get_resource_for_user(world.avi, resource.pk)
    services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
    )
    assert Share.objects.get().expires_at is None
    assert get_resource_for_user(world.avi, resource.pk)
    assert len(_emails()) == 1


def test_a_resource_already_reached_through_a_collection_is_not_news(world):
    resource = make_resource(world.dana)
    share(make_collection(world.dana, resource), world.avi)
    services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
    )
    assert Share.objects.filter(resource=resource).count() == 1
    assert _emails() == [] and _notices() == []


def test_all_clients_means_every_active_client_now(world):
    CoachClient.objects.filter(coach=world.dana, client=world.noa).update(
        status=CoachClient.Status.ARCHIVED
    )
    resource = make_resource(world.dana)
    shares = services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], all_clients=True
    )
    assert [s.client_id for s in shares] == [world.avi.pk]
    assert shares[0].source == ShareSource.ALL


def test_all_clients_without_clients_is_refused(world):
    resource = make_resource(world.eli)
    CoachClient.objects.filter(coach=world.eli).delete()
    with pytest.raises(DomainError, match="no current clients"):
        services.share_resources(coach=world.eli, resource_ids=[resource.pk], all_clients=True)


@pytest.mark.parametrize("who", ["maya", "archived_noa", "dana", "missing", "garbage"])
def test_anyone_off_the_active_roster_refuses_the_whole_request(world, who):
    if who == "archived_noa":
        CoachClient.objects.filter(coach=world.dana, client=world.noa).update(
            status=CoachClient.Status.ARCHIVED
        )
    other = {
        "maya": world.maya.pk,
        "archived_noa": world.noa.pk,
        "dana": world.dana.pk,
        "missing": 999_999,
        "garbage": "1; DROP TABLE",
    }[who]
    resource = make_resource(world.dana)
    with pytest.raises(DomainError):
        services.share_resources(
            coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk, other]
        )
    assert not Share.objects.exists()
    assert _emails() == [] and not AuditLog.objects.filter(action="resource.shared").exists()


def test_foreign_or_missing_resources_are_not_found_and_nothing_is_written(world):
    mine = make_resource(world.dana)
    elis = make_resource(world.eli)
    for ids in ([elis.pk], [mine.pk, elis.pk], [mine.pk, 10**9]):
        with pytest.raises(NotFound):
            services.share_resources(coach=world.dana, resource_ids=ids, client_ids=[world.avi.pk])
    with pytest.raises(DomainError):
        services.share_resources(coach=world.dana, resource_ids=[], client_ids=[world.avi.pk])
    with pytest.raises(DomainError):
        services.share_resources(coach=world.dana, resource_ids=["x"], client_ids=[world.avi.pk])
    assert not Share.objects.exists()


def test_only_coaches_share(world):
    resource = make_resource(world.dana)
    with pytest.raises(Forbidden):
        services.share_resources(
            coach=world.avi, resource_ids=[resource.pk], client_ids=[world.avi.pk]
        )


def test_expiry_must_be_in_the_future(world):
    resource = make_resource(world.dana)
    for moment in (timezone.now() - timedelta(seconds=1), timezone.now()):
        with pytest.raises(DomainError, match="future"):
            services.share_resources(
                coach=world.dana,
                resource_ids=[resource.pk],
                client_ids=[world.avi.pk],
                expires_at=moment,
                now=moment,
            )
    assert not Share.objects.exists()


def test_several_resources_at_once_make_one_notice_listing_them(world):
    first = make_resource(world.dana, title="One")
    second = make_resource(world.dana, title="Two")
    services.share_resources(
        coach=world.dana, resource_ids=[first.pk, second.pk, first.pk], client_ids=[world.avi.pk]
    )
    assert Share.objects.count() == 2
    [email] = _emails()
    [notice] = _notices()
    assert notice.payload["kind"] == "resource_shared"
    assert notice.payload["title"] == email.payload["subject"]
    assert "2 resources" in email.payload["subject"]
    assert "One" in email.payload["text"] and "Two" in email.payload["text"]
    assert notice.payload["url"] == "/client/resources/"
    assert "“One”" in notice.payload["body"] and "“Two”" in notice.payload["body"]


def test_sharing_a_collection_gives_its_resources_and_foreign_ids_are_not_found(world):
    inside = make_resource(world.dana)
    collection = make_collection(world.dana, inside, title="Calm kit")
    services.share_collection(
        coach=world.dana, collection_id=collection.pk, client_ids=[world.avi.pk], can_download=False
    )
    assert get_collection_for_user(world.avi, collection.pk).collection == collection
    assert not get_resource_for_user(world.avi, inside.pk).can_download
    [notice] = _notices()
    assert notice.payload["url"] == f"/client/resources/collections/{collection.pk}/"
    with pytest.raises(NotFound):
        services.share_collection(
            coach=world.eli, collection_id=collection.pk, client_ids=[world.maya.pk]
        )
    with pytest.raises(NotFound):
        services.share_collection(coach=world.dana, collection_id="abc", client_ids=[world.avi.pk])


def test_unsharing_ends_access_at_once_and_is_audited(world):
    resource = make_resource(world.dana)
    [row] = services.share_resources(
        coach=world.dana, resource_ids=[resource.pk], client_ids=[world.avi.pk]
    )
    with pytest.raises(NotFound):
        services.unshare(coach=world.eli, share_id=row.pk)
    with pytest.raises(NotFound):
        services.unshare(coach=world.dana, share_id="nope")
    removed = services.unshare(coach=world.dana, share_id=row.pk)
    assert removed.pk == row.pk
    assert not Share.objects.exists()
    with pytest.raises(Http404):
        get_resource_for_user(world.avi, resource.pk)
    assert AuditLog.objects.filter(action="resource.unshared", actor=world.dana).count() == 1


def test_unshare_client_by_resource_or_collection(world):
    resource = make_resource(world.dana)
    collection = make_collection(world.dana, resource)
    share(resource, world.avi)
    share(collection, world.avi)
    services.unshare_client(coach=world.dana, resource_id=resource.pk, client_id=world.avi.pk)
    assert get_resource_for_user(world.avi, resource.pk)  # still through the collection
    services.unshare_client(coach=world.dana, collection_id=collection.pk, client_id=world.avi.pk)
    with pytest.raises(Http404):
        get_resource_for_user(world.avi, resource.pk)
    with pytest.raises(NotFound):
        services.unshare_client(coach=world.dana, resource_id=resource.pk, client_id=world.avi.pk)
    with pytest.raises(NotFound):
        services.unshare_client(coach=world.eli, resource_id=resource.pk, client_id=world.avi.pk)
    with pytest.raises(DomainError):
        services.unshare_client(coach=world.dana, client_id=world.avi.pk)


def test_set_auto_share_changes_only_own_items(world):
    resource = make_resource(world.dana)
    collection = make_collection(world.dana)
    services.set_auto_share(coach=world.dana, resource_id=resource.pk, enabled=True)
    services.set_auto_share(coach=world.dana, collection_id=collection.pk, enabled=True)
    resource.refresh_from_db()
    collection.refresh_from_db()
    assert resource.auto_share and collection.auto_share
    with pytest.raises(NotFound):
        services.set_auto_share(coach=world.eli, resource_id=resource.pk, enabled=False)
    resource.refresh_from_db()
    assert resource.auto_share
    assert AuditLog.objects.filter(action="resource.auto_share_on").count() == 1
