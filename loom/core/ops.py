"""A short memory of the web traffic for the operations dashboard: per route, per minute,
how many responses of each status class and how long they took, plus the latest 5xx.

Prometheus (``/metrics``) keeps counters since the process started, which a dashboard
cannot turn into "the last 15 minutes" without a Prometheus server. This store keeps the
same figures bucketed by minute, so the dashboard can read the last 15 minutes, hour and
24 hours directly:

* per minute, a hash of counters: ``c|<route>|<status class>`` (responses) and
  ``b|<route>|<bucket index>`` (latency histogram, the Prometheus buckets; index
  ``len(LATENCY_BUCKETS)`` is "slower than the last bound");
* the same counters per hour, so a 24-hour window reads 24 hours and at most 59 minutes
  instead of 1,440 minutes;
* the latest ``RECENT_ERRORS_MAX`` 5xx responses: time, route name, status, request id
  and exception class — never the path (it holds ids), the query string or any body.

Two stores: Redis when ``REDIS_URL`` is set (every process writes the same keys; one
pipelined round trip per request: two ``HINCRBY`` pairs and their ``EXPIRE``), and a
bounded ring in process memory otherwise (each process sees only its own requests, fine
for one development server). A store failure never fails a request: the figures are
dropped and the store is skipped for a few seconds.

p95 is computed from the buckets the way Prometheus' ``histogram_quantile`` does
(linear inside the bucket that holds the 95th percentile), and reported with the
bucket's upper bound: "about 180 ms, at most 250 ms".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

# The Prometheus histogram's buckets (seconds); loom.core.metrics uses this tuple too.
LATENCY_BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
STATUS_CLASSES = ("1xx", "2xx", "3xx", "4xx", "5xx")
# Minute hashes must outlive the 24-hour window by the hour that the window's oldest
# part reads minute by minute; hour hashes by a whole hour more.
MINUTE_TTL_SECONDS = 25 * 3600
HOUR_TTL_SECONDS = 26 * 3600
RECENT_ERRORS_MAX = 50
ROUTE_MAX = 80
EXCEPTION_MAX = 80
REQUEST_ID_MAX = 64
# After a Redis failure the store is skipped for this long, so an outage costs each
# request nothing rather than a connection timeout.
REDIS_BACKOFF_SECONDS = 5.0
REDIS_TIMEOUT_SECONDS = 0.25
# Writes happen inside every request: a pipelined write takes well under a millisecond,
# so a short timeout bounds what a hung Redis can cost a request (once per back-off).
# The dashboard's reads (up to 144 hashes) get the longer timeout above.
REDIS_WRITE_TIMEOUT_SECONDS = 0.05
REDIS_CONNECT_TIMEOUT_SECONDS = 0.1
# A write slower than this (a Redis that answers, but slowly: swapping, a long command
# from someone else) also skips the store for REDIS_BACKOFF_SECONDS, so a slow store
# costs one request in five seconds per process this much, not every request.
SLOW_WRITE_SECONDS = 0.05
DEFAULT_KEY_PREFIX = "loom:ops"
# Memory store: whole minutes kept (25 h) and hours kept (26 h).
MEMORY_MINUTES = MINUTE_TTL_SECONDS // 60
MEMORY_HOURS = HOUR_TTL_SECONDS // 3600

WINDOWS: dict[str, int] = {"15m": 15, "1h": 60, "24h": 24 * 60}  # minutes


def _printable(text: str, limit: int) -> str:
    return "".join(ch for ch in str(text or "") if ch.isprintable() and ch != "|")[:limit]


def bucket_index(seconds: float) -> int:
    """The histogram bucket of a duration: the first bound it does not exceed."""
    for index, bound in enumerate(LATENCY_BUCKETS):
        if seconds <= bound:
            return index
    return len(LATENCY_BUCKETS)


def status_class(status: int) -> str:
    return f"{min(max(status // 100, 1), 5)}xx"


@dataclass(frozen=True)
class Observation:
    """One response, as the store keeps it (already stripped of anything identifying)."""

    route: str
    status: int
    seconds: float
    at: float  # epoch seconds
    request_id: str = ""
    exception: str = ""

    @property
    def minute(self) -> int:
        return int(self.at // 60)

    @property
    def hour(self) -> int:
        return int(self.at // 3600)

    def fields(self) -> tuple[str, str]:
        return (
            f"c|{self.route}|{status_class(self.status)}",
            f"b|{self.route}|{bucket_index(self.seconds)}",
        )

    def error_record(self) -> dict[str, Any]:
        return {
            "at": round(self.at, 3),
            "route": self.route,
            "status": self.status,
            "request_id": self.request_id,
            "exception": self.exception,
        }


def observation(
    *,
    route: str,
    status: int,
    seconds: float,
    at: float | None = None,
    request_id: str = "",
    exception: str = "",
) -> Observation:
    """An ``Observation`` with its text fields cleaned and bounded (a route is a URL name;
    ``|`` separates the counters' field names, so it never appears inside one)."""
    return Observation(
        route=_printable(route, ROUTE_MAX) or "unnamed",
        status=int(status),
        seconds=max(float(seconds), 0.0),
        at=time.time() if at is None else float(at),
        request_id=_printable(request_id, REQUEST_ID_MAX),
        exception=_printable(exception, EXCEPTION_MAX),
    )


@dataclass(frozen=True)
class ErrorRecord:
    at: datetime
    route: str
    status: int
    request_id: str
    exception: str


def _error_from(data: Mapping[str, Any]) -> ErrorRecord | None:
    try:
        return ErrorRecord(
            at=datetime.fromtimestamp(float(data["at"]), tz=UTC),
            route=str(data.get("route", "")),
            status=int(data.get("status", 0)),
            request_id=str(data.get("request_id", "")),
            exception=str(data.get("exception", "")),
        )
    except (KeyError, TypeError, ValueError):
        return None


class OpsStore(Protocol):
    def record(self, item: Observation) -> None: ...

    def read(
        self, minutes: Iterable[int], hours: Iterable[int]
    ) -> tuple[dict[int, Counter[str]], dict[int, Counter[str]]]: ...

    def recent_errors(self) -> list[ErrorRecord]: ...

    def clear(self) -> None: ...


class MemoryOpsStore:
    """A bounded ring in this process: ``MEMORY_MINUTES`` minute counters and
    ``MEMORY_HOURS`` hour counters, the oldest dropped as new ones start."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._minutes: dict[int, Counter[str]] = {}
        self._hours: dict[int, Counter[str]] = {}
        self._errors: deque[dict[str, Any]] = deque(maxlen=RECENT_ERRORS_MAX)

    def record(self, item: Observation) -> None:
        fields = item.fields()
        with self._lock:
            minute = self._minutes.get(item.minute)
            if minute is None:
                minute = self._minutes[item.minute] = Counter()
                self._prune(self._minutes, item.minute - MEMORY_MINUTES)
            hour = self._hours.get(item.hour)
            if hour is None:
                hour = self._hours[item.hour] = Counter()
                self._prune(self._hours, item.hour - MEMORY_HOURS)
            for name in fields:
                minute[name] += 1
                hour[name] += 1
            if item.status >= 500:
                self._errors.appendleft(item.error_record())

    @staticmethod
    def _prune(slots: dict[int, Counter[str]], oldest: int) -> None:
        for key in [key for key in slots if key <= oldest]:
            del slots[key]

    def read(
        self, minutes: Iterable[int], hours: Iterable[int]
    ) -> tuple[dict[int, Counter[str]], dict[int, Counter[str]]]:
        with self._lock:
            return (
                {m: Counter(self._minutes[m]) for m in minutes if m in self._minutes},
                {h: Counter(self._hours[h]) for h in hours if h in self._hours},
            )

    def recent_errors(self) -> list[ErrorRecord]:
        with self._lock:
            records = list(self._errors)
        return [r for r in (_error_from(data) for data in records) if r is not None]

    def clear(self) -> None:
        with self._lock:
            self._minutes.clear()
            self._hours.clear()
            self._errors.clear()


class RedisOpsStore:
    """Counters in Redis hashes shared by every process, expiring on their own."""

    def __init__(self, url: str, *, prefix: str = DEFAULT_KEY_PREFIX) -> None:
        self.url = url
        self.prefix = prefix
        self._client: Any = None
        self._writer: Any = None
        self._lock = threading.Lock()

    def client(self, *, write: bool = False) -> Any:
        """The reading client, or with ``write`` the one with the short timeout that
        requests use."""
        import redis

        with self._lock:
            if self._client is None:
                self._client = redis.Redis.from_url(
                    self.url,
                    socket_timeout=REDIS_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
                )
                self._writer = redis.Redis.from_url(
                    self.url,
                    socket_timeout=REDIS_WRITE_TIMEOUT_SECONDS,
                    socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS,
                )
            return self._writer if write else self._client

    def minute_key(self, minute: int) -> str:
        return f"{self.prefix}:m:{minute}"

    def hour_key(self, hour: int) -> str:
        return f"{self.prefix}:h:{hour}"

    @property
    def errors_key(self) -> str:
        return f"{self.prefix}:errors"

    def record(self, item: Observation) -> None:
        count_field, bucket_field = item.fields()
        minute_key = self.minute_key(item.minute)
        hour_key = self.hour_key(item.hour)
        # One round trip; no MULTI: a lost increment on a crash does not matter here.
        pipe = self.client(write=True).pipeline(transaction=False)
        pipe.hincrby(minute_key, count_field, 1)
        pipe.hincrby(minute_key, bucket_field, 1)
        pipe.expire(minute_key, MINUTE_TTL_SECONDS)
        pipe.hincrby(hour_key, count_field, 1)
        pipe.hincrby(hour_key, bucket_field, 1)
        pipe.expire(hour_key, HOUR_TTL_SECONDS)
        if item.status >= 500:
            pipe.lpush(self.errors_key, json.dumps(item.error_record()))
            pipe.ltrim(self.errors_key, 0, RECENT_ERRORS_MAX - 1)
            pipe.expire(self.errors_key, MINUTE_TTL_SECONDS)
        pipe.execute()

    def read(
        self, minutes: Iterable[int], hours: Iterable[int]
    ) -> tuple[dict[int, Counter[str]], dict[int, Counter[str]]]:
        minute_list = list(minutes)
        hour_list = list(hours)
        pipe = self.client().pipeline(transaction=False)
        for minute in minute_list:
            pipe.hgetall(self.minute_key(minute))
        for hour in hour_list:
            pipe.hgetall(self.hour_key(hour))
        results = pipe.execute()

        def counter(raw: Mapping[bytes, bytes]) -> Counter[str]:
            return Counter({k.decode(): int(v) for k, v in raw.items()})

        by_minute = {m: counter(r) for m, r in zip(minute_list, results, strict=False) if r}
        by_hour = {
            h: counter(r) for h, r in zip(hour_list, results[len(minute_list) :], strict=True) if r
        }
        return by_minute, by_hour

    def recent_errors(self) -> list[ErrorRecord]:
        records = []
        for raw in self.client().lrange(self.errors_key, 0, RECENT_ERRORS_MAX - 1):
            try:
                data = json.loads(raw)
            except ValueError:
                continue
            if isinstance(data, dict) and (record := _error_from(data)) is not None:
                records.append(record)
        return records

    def clear(self) -> None:
        client = self.client()
        keys = list(client.scan_iter(match=f"{self.prefix}:*", count=500))
        if keys:
            client.delete(*keys)


# --- The process's store ------------------------------------------------------------------


class _Holder:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._store: OpsStore | None = None
        self._config: tuple[str, str, str] = ("", "", "")
        self._down_until = 0.0

    def get(self) -> OpsStore:
        kind = str(getattr(settings, "LOOM_OPS_METRICS_STORE", "auto") or "auto").lower()
        url = str(getattr(settings, "REDIS_URL", "") or "")
        prefix = str(getattr(settings, "LOOM_OPS_METRICS_KEY", "") or DEFAULT_KEY_PREFIX)
        config = (kind, url, prefix)
        with self._lock:
            if self._store is None or config != self._config:
                use_redis = kind == "redis" or (kind == "auto" and bool(url))
                self._store = RedisOpsStore(url, prefix=prefix) if use_redis else MemoryOpsStore()
                self._config = config
                self._down_until = 0.0
            return self._store

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + REDIS_BACKOFF_SECONDS

    def reset(self) -> None:
        with self._lock:
            self._store = None
            self._config = ("", "", "")
            self._down_until = 0.0


_holder = _Holder()


def ops_store() -> OpsStore:
    """This process's store: Redis with ``REDIS_URL`` (unless ``LOOM_OPS_METRICS_STORE``
    is ``"memory"``), process memory otherwise."""
    return _holder.get()


def ops_store_reset() -> None:
    """Forget the store (tests that change the settings)."""
    _holder.reset()


def ops_record(item: Observation) -> None:
    """Count one response. Never raises: the dashboard's figures are not worth a failed
    request, so a store error drops them and skips the store for a few seconds."""
    if _holder.is_down():
        return
    started = time.monotonic()
    try:
        ops_store().record(item)
    except Exception:  # a Redis outage, a bad URL: logged once per back-off
        _holder.mark_down()
        logger.warning("ops metrics store unavailable; figures dropped", exc_info=True)
        return
    elapsed = time.monotonic() - started
    if elapsed > SLOW_WRITE_SECONDS:
        _holder.mark_down()
        logger.warning(
            "ops metrics store slow (%.0f ms for one write); skipped for %.0f s",
            elapsed * 1000,
            REDIS_BACKOFF_SECONDS,
        )


def ops_recent_errors() -> list[ErrorRecord] | None:
    """The latest 5xx, or ``None`` when the store cannot be read (the dashboard says so
    rather than failing)."""
    if _holder.is_down():
        return None
    try:
        return ops_store().recent_errors()
    except Exception:
        _holder.mark_down()
        logger.warning("ops metrics store unavailable; recent errors not shown", exc_info=True)
        return None


# --- Reading windows ----------------------------------------------------------------------


@dataclass(frozen=True)
class Percentile:
    """A latency percentile from histogram buckets: ``estimate`` (linear inside the
    bucket) and ``bound``, the bucket's upper bound (``None`` above the last bound, where
    ``estimate`` is that last bound: "more than 10 s")."""

    estimate: float
    bound: float | None


def percentile(buckets: Mapping[int, int], quantile: float = 0.95) -> Percentile | None:
    """The ``quantile`` of the durations counted in ``buckets`` (index → count), or
    ``None`` when there are none. Like Prometheus' ``histogram_quantile``: the lowest
    bucket starts at 0 and the rank falls linearly inside its bucket."""
    total = sum(count for count in buckets.values() if count > 0)
    if total <= 0:
        return None
    rank = quantile * total
    cumulative = 0
    for index in range(len(LATENCY_BUCKETS) + 1):
        count = max(buckets.get(index, 0), 0)
        if count and cumulative + count >= rank:
            if index == len(LATENCY_BUCKETS):
                return Percentile(LATENCY_BUCKETS[-1], None)
            lower = LATENCY_BUCKETS[index - 1] if index else 0.0
            upper = LATENCY_BUCKETS[index]
            return Percentile(lower + (upper - lower) * (rank - cumulative) / count, upper)
        cumulative += count
    return Percentile(LATENCY_BUCKETS[-1], None)  # unreachable: total > 0


@dataclass(frozen=True)
class RouteFigures:
    route: str
    requests: int
    by_class: dict[str, int]
    buckets: dict[int, int]

    @property
    def errors(self) -> int:
        return self.by_class.get("5xx", 0)

    @property
    def error_rate(self) -> float | None:
        """5xx ÷ all responses, as a percentage (``None`` with no responses)."""
        return self.errors / self.requests * 100 if self.requests else None

    @property
    def p95(self) -> Percentile | None:
        return percentile(self.buckets)


@dataclass(frozen=True)
class WindowFigures:
    window: str
    minutes: int
    total: RouteFigures
    routes: list[RouteFigures]
    # False when the store could not be read: the figures are empty, not zero traffic.
    available: bool = True


def summarize(window: str, minutes: int, counters: Iterable[Mapping[str, int]]) -> WindowFigures:
    """Add up counter hashes into per-route figures (busiest route first) and a total."""
    classes: dict[str, Counter[str]] = {}
    buckets: dict[str, Counter[int]] = {}
    for counter in counters:
        for name, count in counter.items():
            kind, _sep, rest = name.partition("|")
            route, _sep, tail = rest.rpartition("|")
            if not route:
                continue
            if kind == "c":
                classes.setdefault(route, Counter())[tail] += int(count)
            elif kind == "b" and tail.isdigit():
                buckets.setdefault(route, Counter())[int(tail)] += int(count)
    routes = []
    all_classes: Counter[str] = Counter()
    all_buckets: Counter[int] = Counter()
    for route in set(classes) | set(buckets):
        route_classes = classes.get(route, Counter())
        route_buckets = buckets.get(route, Counter())
        all_classes.update(route_classes)
        all_buckets.update(route_buckets)
        routes.append(
            RouteFigures(
                route, sum(route_classes.values()), dict(route_classes), dict(route_buckets)
            )
        )
    routes.sort(key=lambda r: (-r.requests, r.route))
    total = RouteFigures("", sum(all_classes.values()), dict(all_classes), dict(all_buckets))
    return WindowFigures(window, minutes, total, routes)


def window_slots(now: float, minutes: int) -> tuple[list[int], list[int]]:
    """Which minute and hour counters make up the ``minutes`` ending at ``now`` (the
    current minute included): whole hours where the window covers them, minutes for the
    partial hour at its start. Exact to the minute."""
    current_minute = int(now // 60)
    first = current_minute - minutes + 1
    if minutes < 60:
        return list(range(first, current_minute + 1)), []
    first_full_hour = -(-first // 60)  # the first hour starting at or after ``first``
    lead = list(range(first, first_full_hour * 60))
    hours = list(range(first_full_hour, current_minute // 60 + 1))
    return lead, hours


def ops_windows(
    *, now: float | None = None, store: OpsStore | None = None
) -> dict[str, WindowFigures]:
    """The figures of each window in ``WINDOWS`` (one read of the store). A store that
    cannot be read (Redis down or slow) gives empty windows marked ``available=False``:
    the operations page must still show the outbox and the loops during an outage."""
    now = time.time() if now is None else now
    plans = {name: window_slots(now, minutes) for name, minutes in WINDOWS.items()}
    all_minutes = sorted({m for minutes, _h in plans.values() for m in minutes})
    all_hours = sorted({h for _m, hours in plans.values() for h in hours})
    try:
        if store is None and _holder.is_down():
            raise ConnectionError("ops metrics store skipped after a failure")
        by_minute, by_hour = (store or ops_store()).read(all_minutes, all_hours)
    except Exception:
        if store is None:
            _holder.mark_down()
        logger.warning("ops metrics store unavailable; windows not shown", exc_info=True)
        return {
            name: WindowFigures(name, WINDOWS[name], summarize(name, 0, []).total, [], False)
            for name in plans
        }
    result = {}
    for name, (minutes, hours) in plans.items():
        counters = [by_minute[m] for m in minutes if m in by_minute]
        counters += [by_hour[h] for h in hours if h in by_hour]
        result[name] = summarize(name, WINDOWS[name], counters)
    return result
