"""Review findings on the event pipeline: poison records, a second flusher's late clean-up,
a full buffer, the flusher's Redis timeout and which responses count as page views."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import ResolverMatch

from loom.analytics import events
from loom.analytics.events import buffer_key, event_record, events_flush, redis_client, redis_reset
from loom.analytics.middleware import page_view_route
from loom.analytics.models import Event, EventName
from tests.world import World

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def redis_buffer(settings: Any, redis_url: str) -> Iterator[Any]:
    settings.REDIS_URL = redis_url
    settings.ANALYTICS_EVENT_BUFFER = "redis"
    settings.ANALYTICS_EVENT_BUFFER_KEY = f"test:events:{uuid.uuid4().hex}"
    redis_reset()
    client = redis_client()
    key = buffer_key()
    yield client
    client.delete(key, f"{key}:processing", f"{key}:seq")
    redis_reset()


def _record(user_id: int, seconds: int = 0, **overrides: Any) -> str:
    at = int((START + timedelta(seconds=seconds)).timestamp() * 1000)
    fields = {"at": at, "user": user_id, "role": "client", "name": "page_view", "route": "home"}
    fields.update(overrides)
    return events._Record(
        fields["at"], fields["user"], fields["role"], fields["name"], fields["route"]
    ).dumps()


# --- A poison record must not stop the pipeline ----------------------------------------------


@pytest.mark.parametrize(
    "poison",
    [
        {"at": 10**16},  # a time past year 9999: Python cannot make a datetime of it
        {"at": -(10**15)},  # before year 1
        {"user": 2**63},  # beyond PostgreSQL's bigint (a guard: Django drops it from IN)
        {"route": "journal:\x00entry"},  # PostgreSQL text cannot hold NUL
    ],
)
def test_a_poison_record_is_skipped_not_retried_forever(
    world: World, redis_buffer: Any, poison: dict[str, Any]
) -> None:
    key = buffer_key()
    redis_buffer.rpush(key, _record(world.avi.pk, 1), _record(world.avi.pk, 2, **poison))
    redis_buffer.rpush(key, _record(world.avi.pk, 3))
    # Before: the batch failed on every round and blocked everything behind it.
    assert events_flush() == 2
    assert not redis_buffer.exists(f"{key}:processing")
    assert Event.objects.count() == 2


def test_a_batch_the_database_refuses_is_written_row_by_row(
    world: World, redis_buffer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Whatever slips past the record checks and makes PostgreSQL refuse the batch costs
    # that record only, not the batch and everything queued behind it.
    original = events._Record.loads

    def sneaky(raw: bytes | str) -> events._Record | None:
        record = original(raw)
        if record is not None and record.route == "bad":
            return events._Record(record.at_ms, record.user_id, record.role, record.name, "\x00")
        return record

    monkeypatch.setattr(events._Record, "loads", staticmethod(sneaky))
    key = buffer_key()
    redis_buffer.rpush(
        key,
        _record(world.avi.pk, 1),
        _record(world.avi.pk, 2, route="bad"),
        _record(world.avi.pk, 3),
    )
    assert events_flush() == 2
    assert not redis_buffer.exists(f"{key}:processing")
    assert sorted(Event.objects.values_list("route", flat=True)) == ["home", "home"]


# --- Two flushers: a late clean-up must not delete the other's batch ------------------------


class _LateCleanup:
    """A Redis client whose calls after taking the batch (the clean-up) wait until
    ``release()``: the flusher paused between its commit and its clean-up."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._taken = False
        self.deferred: list[Callable[[], Any]] = []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self._client, name)
        if name not in ("eval", "evalsha", "delete"):
            return real

        def call(*args: Any, **kwargs: Any) -> Any:
            if not self._taken:
                self._taken = True
                return real(*args, **kwargs)
            self.deferred.append(lambda: real(*args, **kwargs))
            return 1

        return call

    def release(self) -> None:
        for call in self.deferred:
            call()


def test_a_late_cleanup_does_not_delete_the_next_batch_in_flight(
    world: World, redis_buffer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = buffer_key()
    redis_buffer.rpush(key, *[_record(world.avi.pk, i) for i in range(10)])
    # Flusher A writes batch 1 and commits, then pauses before its clean-up.
    slow = _LateCleanup(redis_buffer)
    assert events._flush_one(slow, 5) == (5, 5)
    # Flusher B discards batch 1 (already written), then takes batch 2 and dies mid-insert.
    assert events._flush_one(redis_buffer, 5) == (5, 0)
    original = Event.objects.bulk_create

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("flusher B killed")

    monkeypatch.setattr(Event.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        events._flush_one(redis_buffer, 5)
    monkeypatch.setattr(Event.objects, "bulk_create", original)
    # A wakes up and cleans up what it thinks is its batch.
    slow.release()
    # Batch 2 is still there for the next flush: nothing lost.
    assert events_flush(batch=5) == 5
    assert Event.objects.count() == 10


# --- A full buffer ---------------------------------------------------------------------------


def test_a_full_buffer_drops_new_events_instead_of_filling_redis(
    world: World, redis_buffer: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.ANALYTICS_EVENT_BUFFER_MAX = 3
    full = events.DROPPED.labels("buffer_full")
    before = full._value.get()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            event_record(user=world.avi, name=EventName.CHECKIN)
    assert redis_buffer.llen(buffer_key()) == 3
    assert full._value.get() == before + 2
    # A full buffer is not an outage: Redis is not skipped afterwards.
    assert not events._redis.is_down()


def test_the_flusher_waits_longer_for_redis_than_a_request(redis_buffer: Any) -> None:
    # A request drops its event after 0.25 s; the flusher moves 5,000 records in one
    # call and must not give up (and exit its loop) on a busy moment.
    request_timeout = events._redis.client().connection_pool.connection_kwargs["socket_timeout"]
    worker_timeout = redis_client().connection_pool.connection_kwargs["socket_timeout"]
    assert request_timeout == events.REDIS_TIMEOUT_SECONDS
    assert worker_timeout >= 5


# --- Which responses are page views ----------------------------------------------------------


def _request(match: ResolverMatch) -> Any:
    request = RequestFactory().get("/somewhere/")
    request.resolver_match = match
    return request


def test_an_unnamed_route_is_not_recorded_as_its_python_path() -> None:
    def view(request: Any) -> HttpResponse:
        return HttpResponse("<p>")

    match = ResolverMatch(view, (), {}, url_name=None, route="somewhere/")
    assert match.view_name  # Django falls back to the view's dotted path
    assert page_view_route(_request(match), HttpResponse("<p>", content_type="text/html")) == ""


def test_an_html_file_download_is_not_a_page_view() -> None:
    def view(request: Any) -> HttpResponse:
        return HttpResponse("<p>")

    match = ResolverMatch(view, (), {}, url_name="file", route="somewhere/")
    response = HttpResponse("<p>", content_type="text/html")
    response["Content-Disposition"] = 'attachment; filename="page.html"'
    assert page_view_route(_request(match), response) == ""
    inline = HttpResponse("<p>", content_type="text/html")
    assert page_view_route(_request(match), inline) == "file"


def test_a_person_deleted_during_the_flush_costs_a_retry_not_the_loop(
    world: World, redis_buffer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The foreign key is checked at commit: a person deleted after the roles were read
    # fails the commit. The batch is still in flight; a second try skips them.
    from django.db import IntegrityError

    from tests.factories import ClientFactory

    gone = ClientFactory()
    redis_buffer.rpush(buffer_key(), _record(world.avi.pk, 1), _record(gone.pk, 2))
    original = events._insert_batch
    calls = []

    def deleted_meanwhile(lines: Any, **kwargs: Any) -> int:
        calls.append(1)
        if len(calls) == 1:
            original(lines, **kwargs)
            raise IntegrityError("insert or update on table analytics_event violates FK")
        # The other transaction's deletion is visible now.
        gone.delete()
        return original(lines, **kwargs)

    monkeypatch.setattr(events, "_insert_batch", deleted_meanwhile)
    assert events_flush() == 1
    assert list(Event.objects.values_list("user_id", flat=True)) == [world.avi.pk]
