"""Recording product events in both buffers, flushing Redis exactly once, and pruning."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from loom.accounts.models import User
from loom.analytics import events
from loom.analytics.events import (
    buffer_key,
    event_record,
    events_backlog,
    events_flush,
    events_prune,
    redis_client,
    redis_reset,
)
from loom.analytics.models import Event, EventName, RollupRun, RollupState
from tests.factories import ClientFactory
from tests.world import World

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_buffer(settings: Any, redis_url: str) -> Iterator[Any]:
    """The Redis buffer on a key of this test's own; removed afterwards."""
    settings.REDIS_URL = redis_url
    settings.ANALYTICS_EVENT_BUFFER = "redis"
    settings.ANALYTICS_EVENT_BUFFER_KEY = f"test:events:{uuid.uuid4().hex}"
    redis_reset()
    client = redis_client()
    key = buffer_key()
    yield client
    client.delete(key, f"{key}:processing", f"{key}:seq")
    redis_reset()


def _columns() -> set[str]:
    return {field.column for field in Event._meta.concrete_fields}


# --- What an event holds ---------------------------------------------------------------------


def test_an_event_holds_only_who_what_when_and_route() -> None:
    # The privacy promise: no column could carry text, a title or the id of a thing.
    assert _columns() == {"id", "user_id", "role", "name", "route", "occurred_at"}


def test_unknown_event_names_are_refused(world: World) -> None:
    with pytest.raises(ValueError):
        event_record(user=world.avi, name="journal_text")


def test_anonymous_user_records_nothing(django_capture_on_commit_callbacks: Any) -> None:
    from django.contrib.auth.models import AnonymousUser

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        event_record(user=AnonymousUser(), name=EventName.SIGN_IN)  # type: ignore[arg-type]
    assert callbacks == []
    assert not Event.objects.exists()


# --- Database buffer -------------------------------------------------------------------------


def test_database_buffer_writes_one_row_after_commit(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True):
        event_record(user=world.avi, name=EventName.PAGE_VIEW, route="journal:list", at=at)
        assert not Event.objects.exists()  # not before the commit
    (event,) = Event.objects.all()
    assert (event.user_id, event.role, event.name, event.route, event.occurred_at) == (
        world.avi.pk,
        "client",
        "page_view",
        "journal:list",
        at,
    )


def test_database_buffer_reads_the_role_when_not_known(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        event_record(user=world.dana.pk, name=EventName.MESSAGE_SENT)
    assert Event.objects.get().role == "coach"


def test_database_buffer_is_one_statement(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        event_record(user=world.dana.pk, name=EventName.MESSAGE_SENT)
    with CaptureQueriesContext(connection) as queries:
        callbacks[0]()
    assert len(queries) == 1


def test_rolled_back_transaction_records_nothing(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        try:
            with transaction.atomic():
                event_record(user=world.avi, name=EventName.BOOKING)
                raise RuntimeError("booking failed")
        except RuntimeError:
            pass
    assert callbacks == []
    assert not Event.objects.exists()


def test_once_per_transaction_keeps_one_event(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(3):
            event_record(user=world.dana, name=EventName.RESOURCE_SHARED, once_per_transaction=True)
        event_record(user=world.eli, name=EventName.RESOURCE_SHARED, once_per_transaction=True)
    assert sorted(Event.objects.values_list("user_id", flat=True)) == sorted(
        [world.dana.pk, world.eli.pk]
    )


def test_deleted_user_records_nothing(django_capture_on_commit_callbacks: Any) -> None:
    gone = ClientFactory()
    pk = gone.pk
    gone.delete()
    with django_capture_on_commit_callbacks(execute=True):
        event_record(user=pk, name=EventName.CHECKIN)
    assert not Event.objects.exists()


def test_database_failure_drops_the_event_without_raising(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(record: Any) -> None:
        raise RuntimeError("database is down")

    monkeypatch.setattr(events, "_insert", broken)
    before = events.DROPPED.labels("buffer_error")._value.get()
    events._write(events._Record(0, world.avi.pk, "client", "checkin", ""))
    assert events.DROPPED.labels("buffer_error")._value.get() == before + 1


# --- Redis buffer ----------------------------------------------------------------------------


def test_redis_buffer_pushes_one_compact_record(
    world: World, redis_buffer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    with django_capture_on_commit_callbacks(execute=True), CaptureQueriesContext(connection) as q:
        event_record(user=world.avi, name=EventName.PAGE_VIEW, route="journal:list", at=at)
    assert len(q) == 0  # the request path never touches the database for an event
    (raw,) = redis_buffer.lrange(buffer_key(), 0, -1)
    assert (
        raw
        == f'[{int(at.timestamp() * 1000)},{world.avi.pk},"client","page_view","journal:list"]'.encode()
    )
    assert not Event.objects.exists()
    assert events_backlog() == 1


def test_redis_down_drops_and_counts_without_raising(
    world: World, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.REDIS_URL = "redis://127.0.0.1:1/1"  # nothing listens there
    settings.ANALYTICS_EVENT_BUFFER = "redis"
    redis_reset()
    error = events.DROPPED.labels("buffer_error")
    down = events.DROPPED.labels("buffer_down")
    before_error, before_down = error._value.get(), down._value.get()
    try:
        with django_capture_on_commit_callbacks(execute=True):
            event_record(user=world.avi, name=EventName.CHECKIN)
            event_record(user=world.avi, name=EventName.CHECKIN)
    finally:
        redis_reset()
    # The first failure marks Redis down; the second event is dropped without a try.
    assert error._value.get() == before_error + 1
    assert down._value.get() == before_down + 1


def test_auto_buffer_follows_redis_url(settings: Any) -> None:
    settings.ANALYTICS_EVENT_BUFFER = "auto"
    settings.REDIS_URL = ""
    assert events.buffer_kind() == "database"
    settings.REDIS_URL = "redis://127.0.0.1:6379/1"
    assert events.buffer_kind() == "redis"


def _push(client: Any, users: list[User], count: int, *, start: datetime) -> None:
    records = [
        events._Record(
            int((start + timedelta(seconds=i)).timestamp() * 1000),
            users[i % len(users)].pk,
            "",
            "page_view",
            "home",
        ).dumps()
        for i in range(count)
    ]
    client.rpush(buffer_key(), *records)


START = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def test_flush_writes_every_record_in_batches(world: World, redis_buffer: Any) -> None:
    people = [world.avi, world.dana, world.admin]
    _push(redis_buffer, people, 25, start=START)
    assert events_flush(batch=10) == 25
    assert Event.objects.count() == 25
    assert redis_buffer.llen(buffer_key()) == 0
    assert not redis_buffer.exists(f"{buffer_key()}:processing")
    roles = dict(Event.objects.values_list("user_id", "role").distinct())
    assert roles == {world.avi.pk: "client", world.dana.pk: "coach", world.admin.pk: "admin"}
    assert events_flush(batch=10) == 0


def test_flush_stops_after_max_batches(world: World, redis_buffer: Any) -> None:
    _push(redis_buffer, [world.avi], 25, start=START)
    assert events_flush(batch=10, max_batches=2) == 20
    assert redis_buffer.llen(buffer_key()) == 5


def test_flush_query_count_is_constant_per_batch(world: World, redis_buffer: Any) -> None:
    _push(redis_buffer, [world.avi, world.noa], 3, start=START)
    events_flush(batch=5)  # the first flush creates the state row
    _push(redis_buffer, [world.avi, world.noa], 5, start=START)
    with CaptureQueriesContext(connection) as small:
        assert events_flush(batch=5, max_batches=1) == 5
    _push(redis_buffer, [world.avi, world.noa], 500, start=START)
    with CaptureQueriesContext(connection) as large:
        assert events_flush(batch=500, max_batches=1) == 500
    # Per batch: savepoint, lock the state row, the users' roles, the insert, the state
    # update, release: the same for 5 records or 500.
    assert len(large) == len(small) <= 6


def test_flush_skips_users_deleted_meanwhile_and_malformed_records(
    world: World, redis_buffer: Any
) -> None:
    gone = ClientFactory()
    _push(redis_buffer, [world.avi, gone], 4, start=START)
    redis_buffer.rpush(buffer_key(), b"not json", b'[1,2,"client","made_up",""]')
    gone.delete()
    assert events_flush() == 2
    assert set(Event.objects.values_list("user_id", flat=True)) == {world.avi.pk}


def test_flush_failing_mid_insert_loses_nothing(
    world: World, redis_buffer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _push(redis_buffer, [world.avi], 12, start=START)
    original = Event.objects.bulk_create

    def crash(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("worker killed mid-insert")

    monkeypatch.setattr(Event.objects, "bulk_create", crash)
    with pytest.raises(RuntimeError):
        events_flush(batch=5)
    assert not Event.objects.exists()
    # The batch waits in the processing key; the rest is still on the list.
    assert redis_buffer.exists(f"{buffer_key()}:processing")
    assert redis_buffer.llen(buffer_key()) == 7
    monkeypatch.setattr(Event.objects, "bulk_create", original)
    assert events_flush(batch=5) == 12
    times = list(Event.objects.order_by("occurred_at").values_list("occurred_at", flat=True))
    assert times == [START + timedelta(seconds=i) for i in range(12)]


def test_flush_dying_after_commit_does_not_insert_twice(
    world: World, redis_buffer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _push(redis_buffer, [world.avi], 5, start=START)
    real_delete = redis_buffer.delete

    class DiesBeforeDelete:
        def __getattr__(self, name: str) -> Any:
            return getattr(redis_buffer, name)

        def eval(self, script: str, *args: Any) -> Any:
            if script == events._FINISH_BATCH:
                raise ConnectionError("worker killed before clearing the batch")
            return redis_buffer.eval(script, *args)

    monkeypatch.setattr(events, "redis_client", lambda: DiesBeforeDelete())
    with pytest.raises(ConnectionError):
        events_flush(batch=10)
    assert Event.objects.count() == 5  # committed
    monkeypatch.undo()
    assert redis_buffer.exists(f"{buffer_key()}:processing")
    # The next flush finds a batch number the database already has and discards it.
    assert events_flush(batch=10) == 0
    assert Event.objects.count() == 5
    assert not real_delete(f"{buffer_key()}:processing")  # already gone


def test_flush_after_redis_lost_its_counter_still_writes(world: World, redis_buffer: Any) -> None:
    _push(redis_buffer, [world.avi], 3, start=START)
    assert events_flush() == 3
    redis_buffer.delete(f"{buffer_key()}:seq")  # Redis restarted without its data
    _push(redis_buffer, [world.avi], 2, start=START + timedelta(hours=1))
    assert events_flush() == 2
    assert Event.objects.count() == 5
    assert RollupState.objects.get(job=events.flush_job()).last_event_id == 2


def test_flush_with_database_buffer_is_a_no_op(settings: Any) -> None:
    settings.ANALYTICS_EVENT_BUFFER = "database"
    assert events_flush() == 0
    assert events_backlog() == 0


def test_flush_refuses_a_zero_batch(redis_buffer: Any) -> None:
    with pytest.raises(ValueError):
        events_flush(batch=0)


# --- Retention -------------------------------------------------------------------------------


def test_prune_deletes_events_and_runs_past_retention(world: World, settings: Any) -> None:
    settings.ANALYTICS_EVENT_RETENTION_DAYS = 30
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    old = now - timedelta(days=30, seconds=1)
    kept = now - timedelta(days=29, hours=23)
    Event.objects.bulk_create(
        [Event(user=world.avi, role="client", name="checkin", occurred_at=old) for _ in range(7)]
        + [Event(user=world.avi, role="client", name="checkin", occurred_at=kept)]
    )
    RollupRun.objects.create(job="activity", started_at=old)
    RollupRun.objects.create(job="activity", started_at=kept)
    assert events_prune(now=now, chunk=3) == 7
    assert list(Event.objects.values_list("occurred_at", flat=True)) == [kept]
    assert list(RollupRun.objects.values_list("started_at", flat=True)) == [kept]
    assert events_prune(now=now) == 0


# --- Configuration ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("buffer", "redis", "ids"),
    [
        ("auto", "", []),
        ("database", "", []),
        ("redis", "redis://127.0.0.1:6379/1", []),
        ("redis", "", ["analytics.W001"]),
        ("kafka", "", ["analytics.E001"]),
    ],
)
def test_the_buffer_setting_is_checked(
    settings: Any, buffer: str, redis: str, ids: list[str]
) -> None:
    settings.ANALYTICS_EVENT_BUFFER = buffer
    settings.REDIS_URL = redis
    assert [message.id for message in events.check_buffer_setting()] == ids


def test_a_page_view_travels_through_redis_to_the_table(
    world: World, redis_buffer: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.noa)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.get("/client/").status_code == 200
    assert events_backlog() >= 1  # the page view (and the sign-in of force_login)
    assert not Event.objects.exists()
    events_flush()
    assert list(Event.objects.filter(name="page_view").values_list("user_id", "role", "route")) == [
        (world.noa.pk, "client", "client:home")
    ]
