"""The "Shared with" card of a coach's resource page names shared collections too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import signed_in
from tests.resources.factories import make_collection, make_resource, share

pytestmark = pytest.mark.django_db


def _card(world, resource) -> str:
    response = signed_in(world.dana).get(reverse("resources_library:detail", args=[resource.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('data-testid="shares"') :]


def test_a_resource_shared_only_through_a_collection_says_so(world):
    resource = make_resource(world.dana, title="Breathing")
    share(make_collection(world.dana, resource, title="Starter kit"), world.avi)
    card = _card(world, resource)
    assert "Not shared with anyone yet." not in card
    assert "Not shared on its own." in card
    assert "Starter kit" in card and "1 client" in card


def test_a_resource_shared_nowhere_says_nobody_has_it(world):
    resource = make_resource(world.dana, title="Breathing")
    make_collection(world.dana, resource, title="Unshared kit")
    card = _card(world, resource)
    assert "Not shared with anyone yet." in card
    assert "Unshared kit" not in card
