"""Who may read which resource (loom/resources/selectors.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient
from loom.resources.selectors import (
    get_collection_for_user,
    get_own_resource,
    get_resource_for_user,
    shared_resources_for_client,
)
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db


def test_the_coach_reads_their_own_library(world):
    resource = make_resource(world.dana)
    access = get_resource_for_user(world.dana, resource.pk)
    assert access.is_owner and access.can_download
    with pytest.raises(Http404):
        get_resource_for_user(world.eli, resource.pk)
    with pytest.raises(Http404):
        get_own_resource(world.eli, resource.pk)


def test_a_client_reads_only_what_is_shared_with_them(world):
    shared = make_resource(world.dana, title="Shared")
    make_resource(world.dana, title="Not shared")
    share(shared, world.avi, can_download=False)
    assert [r.title for r in shared_resources_for_client(world.avi)] == ["Shared"]
    access = get_resource_for_user(world.avi, shared.pk)
    assert not access.is_owner and not access.can_download
    with pytest.raises(Http404):
        get_resource_for_user(world.noa, shared.pk)
    with pytest.raises(Http404):
        get_resource_for_user(world.maya, shared.pk)


def test_a_shared_collection_gives_its_resources(world):
    inside = make_resource(world.dana, title="Inside")
    make_resource(world.dana, title="Outside")
    collection = make_collection(world.dana, inside)
    share(collection, world.avi)
    assert [r.title for r in shared_resources_for_client(world.avi)] == ["Inside"]
    assert get_resource_for_user(world.avi, inside.pk).can_download
    assert get_collection_for_user(world.avi, collection.pk).collection == collection
    with pytest.raises(Http404):
        get_collection_for_user(world.noa, collection.pk)


def test_download_is_allowed_when_any_live_share_allows_it(world):
    resource = make_resource(world.dana)
    share(resource, world.avi, can_download=False)
    share(make_collection(world.dana, resource), world.avi, can_download=True)
    assert get_resource_for_user(world.avi, resource.pk).can_download


def test_an_expired_share_gives_nothing(world):
    resource = make_resource(world.dana)
    share(resource, world.avi, expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(Http404):
        get_resource_for_user(world.avi, resource.pk)


def test_an_archived_client_loses_access(world):
    resource = make_resource(world.dana)
    share(resource, world.avi)
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED
    )
    with pytest.raises(Http404):
        get_resource_for_user(world.avi, resource.pk)


@pytest.mark.parametrize("bad", ["x", "", None, -1, 0, 2**63, "1; DROP TABLE"])
def test_malformed_ids_are_not_found(world, bad):
    with pytest.raises(Http404):
        get_resource_for_user(world.dana, bad)
