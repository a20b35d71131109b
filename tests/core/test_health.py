"""Liveness, readiness and the (non-public) Prometheus endpoint."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from tests.conftest import signed_in

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


@override_settings(REDIS_URL="")
def test_readyz_reports_the_database(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


@override_settings(REDIS_URL="redis://127.0.0.1:1/0")
def test_readyz_is_unavailable_when_redis_cannot_be_reached(client):
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["redis"].startswith("error:")


@pytest.mark.redis
@override_settings(REDIS_URL="redis://127.0.0.1:6379/0")
def test_readyz_checks_a_reachable_redis(client):
    response = client.get("/readyz")
    if response.status_code == 503:
        pytest.skip("no Redis on 127.0.0.1:6379")
    assert response.json()["checks"] == {"database": "ok", "redis": "ok"}


def test_metrics_is_not_found_for_anonymous_and_non_admin_users(world):
    assert Client().get("/metrics").status_code == 404
    for person in (world.dana, world.eli, world.avi, world.maya):
        assert signed_in(person).get("/metrics").status_code == 404


@override_settings(LOOM_METRICS_TOKEN="s3cret-token-for-prometheus")
def test_metrics_accepts_the_bearer_token_only(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert (
        client.get("/metrics", HTTP_AUTHORIZATION="s3cret-token-for-prometheus").status_code == 404
    )
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token-for-prometheus")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def test_metrics_without_a_configured_token_refuses_an_empty_bearer(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_histogram_carries_the_route_name(world):
    admin = signed_in(world.admin)
    admin.get("/healthz")
    signed_in(world.dana).get("/coach/")
    Client().get("/no-such-page/")
    body = admin.get("/metrics").content.decode()
    assert (
        'loom_http_request_duration_seconds_bucket{le="0.005",method="GET",route="healthz"}' in body
    )
    assert 'loom_http_request_duration_seconds_count{method="GET",route="coach:home"}' in body
    # Unmatched paths share one label, so scanners cannot blow up the series count.
    assert 'route="unresolved"' in body
    assert "/no-such-page/" not in body
    assert 'loom_http_responses_total{method="GET",route="unresolved",status="4xx"}' in body
