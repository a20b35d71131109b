"""JSON log lines, each carrying the id of the request that caused it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from django.test import Client

from loom.core.context import request_id_var
from loom.core.logging import JsonFormatter, get_logger

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.core.urls_errors")]


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged at INFO and above, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(previous)


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("path", "status", "logger", "event_start"),
    [
        ("/no-such-page/", 404, "django.request", "Not Found: /no-such-page/"),
        ("/test-errors/403/", 403, "django.request", "Forbidden (Permission denied)"),
        ("/test-errors/500/", 500, "django.request", "Internal Server Error: /test-errors/500/"),
    ],
)
def test_django_request_log_lines_carry_the_request_id(json_log, path, status, logger, event_start):
    response = Client(raise_request_exception=False).get(path)
    assert response.status_code == status
    lines = _lines(json_log)
    [line] = [entry for entry in lines if entry.get("logger") == logger]
    assert str(line["event"]).startswith(event_start)
    assert line["request_id"] == response["X-Request-ID"]
    assert all(entry.get("request_id") == response["X-Request-ID"] for entry in lines), lines


def test_csrf_refusal_log_line_carries_the_request_id(json_log):
    response = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x@example.com"})
    assert response.status_code == 403
    lines = _lines(json_log)
    assert lines, "the refusal is logged"
    assert all(entry.get("request_id") == response["X-Request-ID"] for entry in lines), lines


def test_a_well_formed_incoming_request_id_is_kept_and_a_bad_one_replaced(json_log):
    kept = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="edge-proxy-1234abcd")
    assert kept["X-Request-ID"] == "edge-proxy-1234abcd"
    replaced = Client().get("/no-such-page/", HTTP_X_REQUEST_ID="bad id\nwith newline")
    assert replaced["X-Request-ID"] != "bad id\nwith newline"
    assert len(replaced["X-Request-ID"]) == 32
    ids = [entry["request_id"] for entry in _lines(json_log)]
    assert ids == ["edge-proxy-1234abcd", replaced["X-Request-ID"]]


def test_lines_after_the_response_carry_no_stale_request_id(json_log):
    Client().get("/no-such-page/")
    assert request_id_var.get() == ""
    get_logger("loom.test").info("between.requests")
    last = _lines(json_log)[-1]
    assert last["event"] == "between.requests"
    assert "request_id" not in last


def test_structlog_lines_are_json_with_level_logger_and_timestamp(json_log):
    get_logger("loom.test").warning("outbox.retry_scheduled", message_id=7)
    [line] = _lines(json_log)
    assert line["event"] == "outbox.retry_scheduled"
    assert line["message_id"] == 7
    assert line["level"] == "warning"
    assert line["logger"] == "loom.test"
    assert str(line["timestamp"]).endswith("Z")
