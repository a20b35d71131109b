"""The operations dashboard's metrics window (loom.core.ops): p95 from histogram buckets,
the minute/hour windows, the memory and Redis stores, and the recent errors."""

from __future__ import annotations

import random
import uuid
from collections import Counter

import pytest
from django.test import Client

from loom.core import ops
from loom.core.metrics import REQUEST_LATENCY
from loom.core.ops import (
    LATENCY_BUCKETS,
    MemoryOpsStore,
    Percentile,
    RedisOpsStore,
    observation,
    ops_windows,
    percentile,
    window_slots,
)

# 2026-11-20 10:30:20 UTC, mid-hour so every window has a leading partial hour.
NOW = 1_795_170_620.0


@pytest.fixture
def memory_store(settings):
    settings.LOOM_OPS_METRICS_STORE = "memory"
    ops.ops_store_reset()
    store = ops.ops_store()
    store.clear()
    yield store
    store.clear()
    ops.ops_store_reset()


@pytest.fixture
def redis_store(redis_url):
    store = RedisOpsStore(redis_url, prefix=f"loom-test-ops-{uuid.uuid4().hex}")
    yield store
    store.clear()


# --- p95 from buckets ---------------------------------------------------------------------


def test_buckets_are_the_prometheus_histograms():
    assert tuple(REQUEST_LATENCY._upper_bounds[:-1]) == tuple(float(b) for b in LATENCY_BUCKETS)


def test_p95_interpolates_inside_the_bucket_that_holds_it():
    # 90 responses in (25 ms, 50 ms] and 10 in (100 ms, 250 ms]: rank 95 is the 5th of
    # the 10 slow ones, halfway through its bucket: 100 + 150 × 5/10 = 175 ms.
    buckets = {ops.bucket_index(0.04): 90, ops.bucket_index(0.2): 10}
    result = percentile(buckets)
    assert result == Percentile(pytest.approx(0.175), 0.25)


def test_p95_of_a_uniform_bucket_spread():
    # 20 responses in each of the first five buckets (≤5, ≤10, ≤25, ≤50, ≤100 ms):
    # rank 95 is the 15th of 20 in (50, 100]: 50 + 50 × 15/20 = 87.5 ms.
    buckets = dict.fromkeys(range(5), 20)
    assert percentile(buckets) == Percentile(pytest.approx(0.0875), 0.1)


def test_p95_in_the_first_bucket_starts_from_zero():
    assert percentile({0: 100}) == Percentile(pytest.approx(0.00475), 0.005)


def test_p95_above_the_last_bound_is_reported_as_more_than_it():
    assert percentile({len(LATENCY_BUCKETS): 3}) == Percentile(10, None)


def test_p95_with_no_responses_is_none():
    assert percentile({}) is None
    assert percentile({0: 0}) is None


def test_bucket_edges_belong_to_the_lower_bucket():
    assert ops.bucket_index(0.005) == 0
    assert ops.bucket_index(0.0050001) == 1
    assert ops.bucket_index(10) == len(LATENCY_BUCKETS) - 1
    assert ops.bucket_index(10.5) == len(LATENCY_BUCKETS)


# --- windows ------------------------------------------------------------------------------


@pytest.mark.parametrize("now", [NOW, 1_795_168_800.0, 1_795_168_859.0, 1_795_172_399.0])
@pytest.mark.parametrize("minutes", [15, 60, 24 * 60])
def test_window_slots_cover_exactly_the_window(now, minutes):
    lead, hours = window_slots(now, minutes)
    covered = set(lead)
    current_minute = int(now // 60)
    for hour in hours:
        covered |= {m for m in range(hour * 60, hour * 60 + 60) if m <= current_minute}
    assert covered == set(range(current_minute - minutes + 1, current_minute + 1))
    assert len(lead) < 60 or minutes < 60
    assert not set(lead) & {m for h in hours for m in range(h * 60, h * 60 + 60)}


def _traffic(seed: int = 7) -> list[ops.Observation]:
    """Two days of made-up traffic ending at NOW, on three routes."""
    rng = random.Random(seed)
    items = []
    for _ in range(3000):
        at = NOW - rng.uniform(0, 2 * 86400)
        route = rng.choice(["journal:entry", "coach:home", "unresolved"])
        status = rng.choice([200, 200, 200, 302, 404, 500])
        items.append(observation(route=route, status=status, seconds=rng.expovariate(20), at=at))
    return items


def _expected(items, minutes):
    first = int(NOW // 60) - minutes + 1
    return [i for i in items if first <= i.minute <= int(NOW // 60)]


def test_memory_windows_count_the_last_15_minutes_hour_and_day():
    store = MemoryOpsStore()
    items = _traffic()
    for item in items:
        store.record(item)
    windows = ops_windows(now=NOW, store=store)
    for name, minutes in ops.WINDOWS.items():
        expected = _expected(items, minutes)
        figures = windows[name]
        assert figures.total.requests == len(expected)
        assert figures.total.errors == sum(1 for i in expected if i.status >= 500)
        per_route = Counter(i.route for i in expected)
        assert {r.route: r.requests for r in figures.routes} == dict(per_route)
        assert figures.routes == sorted(figures.routes, key=lambda r: (-r.requests, r.route))


def test_error_rate_is_5xx_over_all_responses():
    store = MemoryOpsStore()
    for status in (200, 200, 404, 500):
        store.record(observation(route="r", status=status, seconds=0.01, at=NOW))
    figures = ops_windows(now=NOW, store=store)["15m"]
    assert figures.total.error_rate == pytest.approx(25.0)
    assert figures.routes[0].by_class == {"2xx": 2, "4xx": 1, "5xx": 1}


def test_memory_store_is_bounded():
    store = MemoryOpsStore()
    for minute in range(ops.MEMORY_MINUTES + 200):
        store.record(observation(route="r", status=200, seconds=0.01, at=minute * 60.0))
    assert len(store._minutes) <= ops.MEMORY_MINUTES
    assert len(store._hours) <= ops.MEMORY_HOURS
    for _ in range(ops.RECENT_ERRORS_MAX + 20):
        store.record(observation(route="r", status=503, seconds=0.01, at=NOW))
    assert len(store.recent_errors()) == ops.RECENT_ERRORS_MAX


def test_redis_and_memory_stores_agree(redis_store):
    memory = MemoryOpsStore()
    items = _traffic(seed=11)
    for item in items:
        memory.record(item)
        redis_store.record(item)
    from_memory = ops_windows(now=NOW, store=memory)
    from_redis = ops_windows(now=NOW, store=redis_store)
    assert from_redis == from_memory
    assert from_redis["24h"].total.requests > from_redis["1h"].total.requests > 0
    assert redis_store.recent_errors() == memory.recent_errors()


def test_redis_keys_expire_after_25_hours(redis_store):
    item = observation(route="r", status=500, seconds=0.02, at=NOW)
    redis_store.record(item)
    client = redis_store.client()
    minute_ttl = client.ttl(redis_store.minute_key(item.minute))
    hour_ttl = client.ttl(redis_store.hour_key(item.hour))
    assert 25 * 3600 - 60 < minute_ttl <= 25 * 3600
    assert 26 * 3600 - 60 < hour_ttl <= 26 * 3600
    assert 0 < client.ttl(redis_store.errors_key) <= 25 * 3600


def test_redis_record_is_one_round_trip(redis_store, monkeypatch):
    client = redis_store.client(write=True)
    calls = []
    real_pipeline = client.pipeline

    def counting_pipeline(*args, **kwargs):
        pipe = real_pipeline(*args, **kwargs)
        real_execute = pipe.execute

        def execute(*a, **k):
            calls.append(len(pipe.command_stack))
            return real_execute(*a, **k)

        pipe.execute = execute
        return pipe

    with monkeypatch.context() as patch:
        patch.setattr(client, "pipeline", counting_pipeline)
        patch.setattr(client, "execute_command", lambda *a, **k: pytest.fail("unpipelined"))
        redis_store.record(observation(route="r", status=200, seconds=0.02, at=NOW))
        redis_store.record(observation(route="r", status=503, seconds=0.02, at=NOW))
    # Counts, buckets and expiry of the minute and the hour; a 5xx adds the error list.
    assert calls == [6, 9]


def test_recent_errors_keep_only_the_cap(redis_store):
    for n in range(ops.RECENT_ERRORS_MAX + 5):
        redis_store.record(observation(route=f"r{n}", status=500, seconds=0.1, at=NOW + n))
    records = redis_store.recent_errors()
    assert len(records) == ops.RECENT_ERRORS_MAX
    assert records[0].route == f"r{ops.RECENT_ERRORS_MAX + 4}"  # newest first


# --- the middleware -----------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.urls("tests.core.urls_errors")
def test_a_500_is_recorded_without_its_path_ids_or_query_string(memory_store):
    client = Client(raise_request_exception=False)
    response = client.get(
        "/test-errors/500/?email=dana%40example.com&token=s3cr3t",
        HTTP_X_REQUEST_ID="req-abcdef123",
    )
    assert response.status_code == 500
    [record] = memory_store.recent_errors()
    # The URL name (this test route has none, so Django's dotted view path), not the path.
    assert record.route == "tests.core.urls_errors.crash"
    assert record.status == 500
    assert record.request_id == "req-abcdef123"
    assert record.exception == "builtins.RuntimeError"
    text = repr(record)
    for secret in ("dana", "s3cr3t", "token", "?", "boom"):
        assert secret not in text
    figures = ops_windows(store=memory_store)["15m"]
    assert figures.total.errors == 1


@pytest.mark.django_db
def test_a_page_view_is_counted_under_its_route_name(memory_store, world):
    client = Client()
    client.force_login(world.dana)
    assert client.get("/coach/").status_code == 200
    figures = ops_windows(store=memory_store)["15m"]
    [route] = [r for r in figures.routes if r.route == "coach:home"]
    assert route.requests == 1
    assert route.by_class == {"2xx": 1}
    assert route.p95 is not None


@pytest.mark.django_db
def test_an_unreachable_redis_never_fails_a_request(settings, caplog):
    settings.LOOM_OPS_METRICS_STORE = "redis"
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    ops.ops_store_reset()
    try:
        assert Client().get("/healthz").status_code == 200
        assert Client().get("/healthz").status_code == 200
        # Logged once, then skipped during the back-off.
        assert sum("ops metrics store unavailable" in r.message for r in caplog.records) == 1
    finally:
        ops.ops_store_reset()


# --- review4: a slow store, known distributions, minute edges ------------------------------


class _SlowStore(MemoryOpsStore):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.calls = 0

    def record(self, item):
        import time

        self.calls += 1
        time.sleep(self.delay)
        super().record(item)


def test_a_slow_store_is_skipped_after_one_slow_write(monkeypatch, caplog):
    slow = _SlowStore(ops.SLOW_WRITE_SECONDS * 2)
    ops.ops_store_reset()
    monkeypatch.setattr(ops._holder, "get", lambda: slow)
    try:
        for _ in range(5):
            ops.ops_record(observation(route="coach:home", status=200, seconds=0.01))
        assert slow.calls == 1
        assert sum("ops metrics store slow" in r.message for r in caplog.records) == 1
    finally:
        ops.ops_store_reset()


def test_a_failing_read_gives_empty_windows_not_an_error():
    class Broken(MemoryOpsStore):
        def read(self, minutes, hours):
            raise ConnectionError("down")

    figures = ops_windows(now=NOW, store=Broken())
    assert set(figures) == set(ops.WINDOWS)
    assert all(not f.available and f.total.requests == 0 for f in figures.values())


@pytest.mark.parametrize("seed", range(5))
def test_p95_of_a_uniform_distribution_is_close_to_the_truth(seed):
    # Uniform in (0, 1 s]: the (0.5, 1] bucket holds half the samples spread evenly,
    # so linear interpolation inside it lands near the true 950 ms.
    rng = random.Random(seed)
    durations = [rng.uniform(0.0001, 1.0) for _ in range(20_000)]
    buckets = Counter(ops.bucket_index(d) for d in durations)
    result = percentile(buckets)
    assert result.bound == 1
    assert result.estimate == pytest.approx(0.95, abs=0.01)


def test_p95_of_a_constant_duration_stays_inside_its_bucket():
    result = percentile({ops.bucket_index(0.3): 1000})
    assert 0.25 < result.estimate <= 0.5 and result.bound == 0.5


def test_a_response_on_a_minute_edge_counts_in_the_window_it_ends_in(memory_store):
    edge = (NOW // 60) * 60  # the first instant of the current minute
    memory_store.record(observation(route="a", status=200, seconds=0.01, at=edge))
    memory_store.record(observation(route="a", status=200, seconds=0.01, at=edge - 0.001))
    # 15 minutes back from the current minute's start: the oldest counted minute.
    oldest = edge - 14 * 60
    memory_store.record(observation(route="a", status=200, seconds=0.01, at=oldest))
    memory_store.record(observation(route="a", status=200, seconds=0.01, at=oldest - 0.001))
    figures = ops_windows(now=edge, store=memory_store)
    assert figures["15m"].total.requests == 3
    assert figures["1h"].total.requests == 4
    assert figures["24h"].total.requests == 4


@pytest.mark.django_db
def test_a_made_up_method_does_not_add_prometheus_series(memory_store):
    method = f"X{uuid.uuid4().hex[:12].upper()}"
    Client().generic(method, "/healthz")
    labels = [
        sample.labels.get("method")
        for metric in REQUEST_LATENCY.collect()
        for sample in metric.samples
    ]
    assert method not in labels
    assert "other" in labels


def test_request_writes_use_the_short_redis_timeout():
    store = RedisOpsStore("redis://127.0.0.1:6379/12")
    writer = store.client(write=True).connection_pool.connection_kwargs
    reader = store.client().connection_pool.connection_kwargs
    assert writer["socket_timeout"] == ops.REDIS_WRITE_TIMEOUT_SECONDS <= 0.05
    assert writer["socket_connect_timeout"] <= 0.1
    assert reader["socket_timeout"] == ops.REDIS_TIMEOUT_SECONDS


def test_a_hung_redis_is_given_up_after_one_write(settings, monkeypatch):
    """A server that accepts the connection and never answers (a hung Redis): the first
    write times out (after REDIS_WRITE_TIMEOUT_SECONDS) and the next ones skip the store."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    port = server.getsockname()[1]
    held = []
    threading.Thread(target=lambda: held.append(server.accept()), daemon=True).start()
    settings.LOOM_OPS_METRICS_STORE = "redis"
    settings.REDIS_URL = f"redis://127.0.0.1:{port}/0"
    ops.ops_store_reset()
    try:
        ops.ops_record(observation(route="a", status=200, seconds=0.01))
        assert ops._holder.is_down()
        store = ops.ops_store()
        monkeypatch.setattr(store, "record", lambda item: pytest.fail("store not skipped"))
        for _ in range(100):
            ops.ops_record(observation(route="a", status=200, seconds=0.01))
    finally:
        ops.ops_store_reset()
        server.close()


def _record_in_child(store, route, count):
    for _ in range(count):
        store.record(observation(route=route, status=200, seconds=0.02))


def test_forked_processes_add_up_in_redis(redis_store):
    """Workers forked from a parent that already talked to Redis (gunicorn --preload)
    each write over their own connection, and the dashboard sees the sum."""
    import multiprocessing

    redis_store.record(observation(route="parent", status=200, seconds=0.02))
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(target=_record_in_child, args=(redis_store, f"child{n}", 25))
        for n in range(3)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(30)
        assert child.exitcode == 0
    figures = ops_windows(store=RedisOpsStore(redis_store.url, prefix=redis_store.prefix))
    routes = {r.route: r.requests for r in figures["15m"].routes}
    assert routes == {"parent": 1, "child0": 25, "child1": 25, "child2": 25}


@pytest.mark.django_db
def test_a_response_from_a_middleware_counts_under_its_page(memory_store):
    # Anonymous: the sign-in redirect; a non-UTF-8 query: the input check's 400. Both
    # answer before the view, yet belong to the KPI page; a path with no route is
    # "unresolved".
    Client().get("/admin-area/analytics/")
    Client().get("/admin-area/analytics/?week=%ff")
    Client().get("/no-such-page-at-all/")
    routes = {r.route: r.by_class for r in ops_windows(store=memory_store)["15m"].routes}
    assert routes.get("analytics_admin:kpis", {}).get("3xx") == 1, routes
    assert routes["analytics_admin:kpis"].get("4xx") == 1
    assert routes["unresolved"] == {"4xx": 1}
