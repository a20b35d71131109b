"""The Django admin lists every resources table read-only, without coach-written text."""

from __future__ import annotations

import pytest
from django.urls import reverse

from loom.resources.models import Category, Share
from tests.accounts.security_support import enable_totp
from tests.conftest import signed_in
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db

MODELS = (
    "resource",
    "resourceversion",
    "category",
    "tag",
    "resourcetag",
    "collection",
    "collectionitem",
    "share",
    "resourceprogress",
    "resourceview",
    "sessionhomework",
)


def test_every_resources_table_has_a_read_only_admin_list(world):
    resource = make_resource(
        world.dana, title="Admin worksheet", description="PRIVATE-DESCRIPTION-TEXT"
    )
    Category.objects.create(coach=world.dana, name="Sheets")
    share(make_collection(world.dana, resource), world.avi)
    enable_totp(world.admin)
    client = signed_in(world.admin)
    for model in MODELS:
        response = client.get(reverse(f"admin:resources_{model}_changelist"))
        assert response.status_code == 200, model
        assert "PRIVATE-DESCRIPTION-TEXT" not in response.content.decode()
    page = client.get(reverse("admin:resources_resource_change", args=[resource.pk]))
    assert page.status_code == 200
    assert "PRIVATE-DESCRIPTION-TEXT" not in page.content.decode()
    assert client.get(reverse("admin:resources_resource_add")).status_code == 403
    share_row = Share.objects.get()
    assert (
        client.post(
            reverse("admin:resources_share_delete", args=[share_row.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Share.objects.filter(pk=share_row.pk).exists()
