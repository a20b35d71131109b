"""Generated bad input for the resources API: every answer is a success or a problem
document with a 4xx status, never a server error (the test client re-raises those).
(A NUL anywhere in the address is refused by the middleware with a 400 problem.)"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loom.resources.models import ResourceKind
from tests.conftest import signed_in
from tests.resources import media
from tests.resources.factories import make_resource, share
from tests.world import World

pytestmark = pytest.mark.django_db

API = "/api/v1/resources/"
FUZZ = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
query_values = (
    st.text(max_size=30) | st.integers().map(str) | st.sampled_from(["", "0", "-1", "1e9"])
)


def assert_answer(response: Any, allowed: set[int]) -> None:
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["status"] == response.status_code


@FUZZ
@given(
    params=st.dictionaries(
        st.sampled_from(
            ["q", "kind", "category", "tag", "collection", "status", "sort", "page", "page_size"]
        ),
        query_values,
    )
)
def test_list_query(world: World, params: dict[str, str]) -> None:
    for user in (world.dana, world.avi):
        assert_answer(signed_in(user).get(API, params), {200, 400, 422})


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "url": json_values | st.sampled_from(["https://example.com/x", "javascript:x", ""]),
            "title": json_values,
            "description": json_values,
            "category_id": json_values,
            "tags": json_values,
        },
    )
)
def test_link_body(world: World, body: dict[str, Any]) -> None:
    response = signed_in(world.dana).post(
        f"{API}links", data=json.dumps(body), content_type="application/json"
    )
    assert_answer(response, {201, 400, 422})


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {},
        optional={"played": json_values, "position": json_values, "duration": json_values},
    )
)
def test_progress_body(world: World, body: dict[str, Any]) -> None:
    clip = make_resource(
        world.dana,
        kind=ResourceKind.VIDEO,
        content=media.webm_bytes(),
        file_kind="webm",
        content_type="video/webm",
    )
    share(clip, world.avi)
    response = signed_in(world.avi).post(
        f"{API}{clip.pk}/progress", data=json.dumps(body), content_type="application/json"
    )
    assert_answer(response, {200, 400, 422})


@FUZZ
@given(
    body=st.fixed_dictionaries(
        {},
        optional={
            "client_ids": json_values,
            "all_clients": json_values,
            "can_download": json_values,
            "expires_at": json_values | st.sampled_from(["2999-01-01T00:00:00Z", "2000-01-01"]),
        },
    )
)
def test_share_body(world: World, body: dict[str, Any]) -> None:
    resource = make_resource(world.dana)
    response = signed_in(world.dana).post(
        f"{API}{resource.pk}/shares", data=json.dumps(body), content_type="application/json"
    )
    assert_answer(response, {201, 400, 404, 422})


@FUZZ
@given(period=query_values, sort=query_values, page=query_values)
def test_analytics_query(world: World, period: str, sort: str, page: str) -> None:
    response = signed_in(world.dana).get(
        f"{API}analytics", {"period": period, "sort": sort, "page": page}
    )
    assert_answer(response, {200, 400, 422})
