"""Product events: recorded cheaply in the request path, written in batches by the worker.

What an event holds is fixed by ``Event``: who (and in which role), what (an
``EventName``), when, and for page views the route's *name* (``journal:entry``). Never
the content, a title, a path with ids, or the id of the thing acted on.

Two buffers (``ANALYTICS_EVENT_BUFFER``):

* ``"redis"`` (or ``"auto"`` with ``REDIS_URL``): one ``RPUSH`` of a compact JSON
  record onto a list; ``events_flush`` (the ``analytics_flush --loop`` worker) moves
  them into the database in batches.
* ``"database"`` (or ``"auto"`` without Redis): one ``INSERT`` per event, as the system.

Every event is recorded after the surrounding transaction commits
(``transaction.on_commit``): a rolled-back booking records nothing. A failing buffer
never breaks the request: the event is dropped, logged and counted
(``loom_analytics_events_dropped_total``).

Flushing is exactly-once (see ``events_flush``): a batch is moved, atomically in Redis,
from the list to a "processing" key tagged with a batch number; the rows and the batch
number are committed together in one database transaction; only then is the processing
key deleted. A crash before the commit leaves the batch to be inserted by the next
flush; a crash after it leaves a batch number the database already has, which the next
flush discards. Flushers are serialised by a row lock, so two workers are safe.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from prometheus_client import Counter

from loom.accounts.models import User
from loom.analytics.models import Event, EventName, RollupRun, RollupState
from loom.core.context import system_context

logger = logging.getLogger(__name__)

DROPPED = Counter(
    "loom_analytics_events_dropped_total",
    "Product events not recorded, by reason (buffer down, malformed record).",
    ["reason"],
)
FLUSHED = Counter("loom_analytics_events_flushed_total", "Product events written by the flusher.")

DEFAULT_BUFFER_KEY = "loom:analytics:events"
FLUSH_JOB = "events_flush"
PRUNE_CHUNK = 10_000
ROUTE_MAX = 80
# After a Redis failure, events are dropped without trying Redis for this long, so an
# outage costs each request nothing rather than a connection timeout.
REDIS_BACKOFF_SECONDS = 5.0
# Short timeouts: a slow Redis must not hold a request (the event is dropped instead).
REDIS_TIMEOUT_SECONDS = 0.25
# The flusher moves a whole batch per call and is not in a request: a busy moment must
# not make it give up (its loop exits on an error).
WORKER_REDIS_TIMEOUT_SECONDS = 10.0
# Records the Redis list may hold (~60 bytes each) before new events are dropped
# (``buffer_full``): with the flusher stopped, the list would otherwise grow until Redis
# runs out of memory, and the cache, sessions and realtime layer share that Redis.
# ``ANALYTICS_EVENT_BUFFER_MAX`` overrides it.
DEFAULT_BUFFER_MAX = 1_000_000
# Bounds a buffered record must respect to be written (anything else is dropped as
# malformed, so one bad record can never block the batches behind it).
_AT_MS_MAX = 253_402_300_800_000  # 10000-01-01: Python's datetime ends before it
_BIGINT_MAX = 2**63 - 1

_ROLES = frozenset({"coach", "client", "admin"})
_VALID_NAMES = frozenset(EventName.values)


# --- Configuration -------------------------------------------------------------------------

BUFFERS = ("auto", "redis", "database")


@register(Tags.compatibility)
def check_buffer_setting(**kwargs: Any) -> list[CheckMessage]:
    """``ANALYTICS_EVENT_BUFFER`` must name a buffer; Redis needs ``REDIS_URL``."""
    configured = str(getattr(settings, "ANALYTICS_EVENT_BUFFER", "auto") or "auto").lower()
    if configured not in BUFFERS:
        return [
            Error(
                f"ANALYTICS_EVENT_BUFFER is {configured!r}; use one of {', '.join(BUFFERS)}.",
                id="analytics.E001",
            )
        ]
    if configured == "redis" and not getattr(settings, "REDIS_URL", ""):
        return [
            Warning(
                "ANALYTICS_EVENT_BUFFER is 'redis' but REDIS_URL is not set: every product "
                "event will be dropped.",
                hint="Set REDIS_URL, or ANALYTICS_EVENT_BUFFER=auto.",
                id="analytics.W001",
            )
        ]
    return []


def buffer_kind() -> str:
    """``"redis"`` or ``"database"``, from ``ANALYTICS_EVENT_BUFFER`` and ``REDIS_URL``
    (an unknown value is refused by the system check and treated as ``auto``)."""
    configured = str(getattr(settings, "ANALYTICS_EVENT_BUFFER", "auto") or "auto").lower()
    if configured in ("redis", "database"):
        return configured
    return "redis" if getattr(settings, "REDIS_URL", "") else "database"


def buffer_key() -> str:
    """The Redis list's key. The braces make every key of the buffer one Redis Cluster
    hash slot, which the flush script needs."""
    prefix = str(getattr(settings, "ANALYTICS_EVENT_BUFFER_KEY", "") or DEFAULT_BUFFER_KEY)
    return f"{{{prefix}}}"


def _keys() -> tuple[str, str, str]:
    key = buffer_key()
    return key, f"{key}:processing", f"{key}:seq"


class _RedisHolder:
    """One Redis client per process (redis-py pools its connections and is thread-safe),
    rebuilt when the URL changes (tests) and skipped for a while after a failure."""

    def __init__(self, timeout: float) -> None:
        self._timeout = timeout
        self._lock = threading.Lock()
        self._client: Any = None
        self._url = ""
        self._down_until = 0.0

    def client(self) -> Any:
        import redis

        url = str(getattr(settings, "REDIS_URL", "") or "")
        if not url:
            raise redis.ConnectionError("REDIS_URL is not set")
        with self._lock:
            if self._client is None or url != self._url:
                self._client = redis.Redis.from_url(
                    url,
                    socket_timeout=self._timeout,
                    socket_connect_timeout=self._timeout,
                )
                self._url = url
                self._down_until = 0.0
            return self._client

    def is_down(self) -> bool:
        return time.monotonic() < self._down_until

    def mark_down(self) -> None:
        self._down_until = time.monotonic() + REDIS_BACKOFF_SECONDS

    def reset(self) -> None:
        with self._lock:
            self._client = None
            self._url = ""
            self._down_until = 0.0


# The request path's client (short timeouts, back-off) and the workers' (flush, backlog).
_redis = _RedisHolder(REDIS_TIMEOUT_SECONDS)
_worker_redis = _RedisHolder(WORKER_REDIS_TIMEOUT_SECONDS)


def redis_client() -> Any:
    """The workers' Redis client (flush, backlog, tests): longer timeouts, no back-off."""
    return _worker_redis.client()


def redis_reset() -> None:
    """Forget the clients and any back-off (tests that change ``REDIS_URL``)."""
    _redis.reset()
    _worker_redis.reset()


def buffer_max() -> int:
    return max(int(getattr(settings, "ANALYTICS_EVENT_BUFFER_MAX", DEFAULT_BUFFER_MAX)), 1)


# --- Recording -----------------------------------------------------------------------------


def _cached_role(user: Any) -> str:
    """The user's role if it is known without a query, else ``""`` (the writer fills it)."""
    role = getattr(user, "__dict__", {}).get("role", "")
    return role if role in _ROLES else ""


def _clean_route(route: str) -> str:
    # A URL name never has these; anything else here is a caller's mistake, not content.
    return "".join(ch for ch in str(route or "") if ch.isprintable())[:ROUTE_MAX]


def event_record(
    *,
    user: User | int,
    name: EventName | str,
    route: str = "",
    at: datetime | None = None,
    role: str = "",
    once_per_transaction: bool = False,
) -> None:
    """Record that ``user`` did ``name`` (at ``at``, default now) once the current
    transaction commits; at once outside a transaction.

    ``route`` is a URL *name* (``journal:entry``), only for page views. ``role`` may be
    given when the caller knows it; otherwise it is taken from a loaded ``user`` or, when
    written, from the user's row. ``once_per_transaction`` keeps one event of this user
    and name per transaction (sharing a resource with all clients is one action, though
    it writes a row per client). A buffer failure never raises (the event is dropped and
    counted); only a name that is not an ``EventName`` does (``ValueError``), as that is a
    programming error.
    """
    if name not in _VALID_NAMES:
        raise ValueError(f"Unknown event: {name!r}")
    user_id = user if isinstance(user, int) else user.pk
    if not user_id:
        return
    role = role if role in _ROLES else ("" if isinstance(user, int) else _cached_role(user))
    when = at or timezone.now()
    record = _Record(
        at_ms=int(when.timestamp() * 1000),
        user_id=int(user_id),
        role=role,
        name=str(name),
        route=_clean_route(route),
    )
    if once_per_transaction and _pending(record.key):
        return
    transaction.on_commit(_Pending(record), robust=True)


class _Pending:
    """The write of one record, waiting in the transaction's on-commit list (where a
    rollback of the transaction or of its savepoint discards it)."""

    __slots__ = ("key", "record")

    def __init__(self, record: _Record) -> None:
        self.record = record
        self.key = record.key

    def __call__(self) -> None:
        _write(self.record)


def _pending(key: tuple[int, str]) -> bool:
    """Whether the open transaction already holds an event of this user and name."""
    if not connection.in_atomic_block:
        return False
    # Django keeps (savepoint ids, callback, robust) per registered callback.
    pending: list[tuple[Any, ...]] = list(connection.run_on_commit)
    return any(isinstance(item[1], _Pending) and item[1].key == key for item in pending)


@dataclass(frozen=True, slots=True)
class _Record:
    at_ms: int
    user_id: int
    role: str
    name: str
    route: str

    @property
    def key(self) -> tuple[int, str]:
        return (self.user_id, self.name)

    def dumps(self) -> str:
        return json.dumps(
            [self.at_ms, self.user_id, self.role, self.name, self.route], separators=(",", ":")
        )

    @classmethod
    def loads(cls, raw: bytes | str) -> _Record | None:
        try:
            at_ms, user_id, role, name, route = json.loads(raw)
        except (ValueError, TypeError):
            return None
        if not (
            isinstance(at_ms, int)
            and 0 <= at_ms < _AT_MS_MAX
            and isinstance(user_id, int)
            and 0 < user_id <= _BIGINT_MAX
            and isinstance(role, str)
            and name in _VALID_NAMES
            and isinstance(route, str)
            and route.isprintable()
        ):
            return None
        return cls(at_ms, user_id, role if role in _ROLES else "", name, route[:ROUTE_MAX])

    @property
    def occurred_at(self) -> datetime:
        return datetime.fromtimestamp(self.at_ms / 1000, tz=UTC)


def _write(record: _Record) -> None:
    try:
        if buffer_kind() == "redis":
            _push(record)
        else:
            _insert(record)
    except Exception:
        # An event is never worth a failed request: drop it, say so, count it.
        DROPPED.labels("buffer_error").inc()
        logger.warning("analytics event dropped", exc_info=True, extra={"event": record.name})


# KEYS: list. ARGV: record, most records the list may hold. 1 if pushed, 0 if full.
_PUSH = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1])
return 1
"""


def _push(record: _Record) -> None:
    if _redis.is_down():
        DROPPED.labels("buffer_down").inc()
        return
    try:
        pushed = _redis.client().eval(_PUSH, 1, _keys()[0], record.dumps(), buffer_max())
    except Exception:
        _redis.mark_down()
        raise
    if not pushed:
        # The flusher is behind or stopped (see the runbook); Redis itself is fine.
        DROPPED.labels("buffer_full").inc()
        logger.warning("analytics event dropped: the buffer is full")


def _insert(record: _Record) -> None:
    """One statement; the role comes from the user's row when not known, and a user
    deleted meanwhile inserts nothing."""
    event = Event._meta.db_table
    users = User._meta.db_table
    qn = connection.ops.quote_name
    with system_context(), connection.cursor() as cursor:
        if record.role:
            cursor.execute(
                f"INSERT INTO {qn(event)} (occurred_at, user_id, role, name, route) "  # noqa: S608
                f"SELECT %s, id, %s, %s, %s FROM {qn(users)} WHERE id = %s",
                [record.occurred_at, record.role, record.name, record.route, record.user_id],
            )
        else:
            cursor.execute(
                f"INSERT INTO {qn(event)} (occurred_at, user_id, role, name, route) "  # noqa: S608
                f"SELECT %s, id, role, %s, %s FROM {qn(users)} WHERE id = %s",
                [record.occurred_at, record.name, record.route, record.user_id],
            )


# --- Flushing ------------------------------------------------------------------------------

# KEYS: list, processing, seq. ARGV: batch size, the last batch number the database has.
# Returns the batch in flight if one is (a previous flush died), else moves up to
# ARGV[1] records from the list into a new processing batch with the next number.
# The number never falls to or below the database's (a Redis that lost its data starts
# counting again from 1, and those batches must not be taken for ones already written).
# The processing value is "<seq>\n<record>\n<record>…" (records never hold a newline).
_TAKE_BATCH = """
local current = redis.call('GET', KEYS[2])
if current then return current end
local n = tonumber(ARGV[1])
local items = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #items == 0 then return false end
redis.call('LTRIM', KEYS[1], #items, -1)
local seq = redis.call('INCR', KEYS[3])
local floor = tonumber(ARGV[2]) + 1
if seq < floor then
  seq = floor
  redis.call('SET', KEYS[3], seq)
end
local value = seq .. '\\n' .. table.concat(items, '\\n')
redis.call('SET', KEYS[2], value)
return value
"""


# KEYS: processing. ARGV: the batch number just finished. Deletes the batch only if it is
# still that one: a flusher that paused between its commit and this call must not delete
# a newer batch another flusher has taken meanwhile (and may yet die holding).
_FINISH_BATCH = """
local current = redis.call('GET', KEYS[1])
if current and string.sub(current, 1, #ARGV[1] + 1) == ARGV[1] .. '\\n' then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class _Refused(Exception):
    """The database refused the batch as a whole (a value it cannot store)."""


class FlushError(RuntimeError):
    """The flush could not finish a batch; it stays in Redis for the next try."""


def events_flush(*, batch: int = 5000, max_batches: int = 100) -> int:
    """Move buffered events from Redis into the database; returns how many were written.

    Up to ``max_batches`` batches of ``batch`` records, stopping at the first short one.
    Records of users deleted meanwhile, and malformed records, are skipped (and counted).
    With the database buffer there is nothing to flush (0).
    """
    if buffer_kind() != "redis":
        return 0
    if batch < 1:
        raise ValueError("batch must be at least 1")
    client = redis_client()
    written = 0
    for _ in range(max_batches):
        taken, inserted = _flush_one(client, batch)
        written += inserted
        if taken < batch:
            break
    return written


def events_backlog() -> int:
    """Records waiting in the Redis buffer (the operations runbook's first check)."""
    if buffer_kind() != "redis":
        return 0
    return int(redis_client().llen(_keys()[0]))


def _flush_one(client: Any, batch: int) -> tuple[int, int]:
    """One batch: (records taken from Redis, rows written)."""
    try:
        try:
            return _flush_batch(client, batch, careful=False)
        except IntegrityError:
            # A person deleted between reading the roles and the commit (the foreign key
            # is checked at commit): the batch is still in flight, and the second try
            # reads the roles again and skips them. Not worth stopping the loop for.
            logger.info("analytics: flush retried after a concurrent account deletion")
            return _flush_batch(client, batch, careful=False)
    except _Refused:
        # The batch's transaction is rolled back and the batch is still the one in
        # flight: write it again a row at a time, dropping only what is refused.
        return _flush_batch(client, batch, careful=True)


def _flush_batch(client: Any, batch: int, *, careful: bool) -> tuple[int, int]:
    keys = _keys()
    with system_context():
        with transaction.atomic():
            state = _lock_flush_state()
            raw = client.eval(_TAKE_BATCH, 3, *keys, batch, state.last_event_id)
            if raw is None:
                return 0, 0
            head, _, body = bytes(raw).partition(b"\n")
            seq = int(head)
            lines = body.split(b"\n") if body else []
            if seq <= state.last_event_id:
                # Committed by a flush that died before deleting the key: already in.
                inserted = 0
            else:
                inserted = _insert_batch(lines, careful=careful)
                state.last_event_id = seq
                state.updated_at = timezone.now()
                state.save(update_fields=["last_event_id", "updated_at"])
        # Only after the commit: a crash before this line leaves a batch number the
        # database already holds, so the next flush discards it instead of re-inserting.
        client.eval(_FINISH_BATCH, 1, keys[1], seq)
    FLUSHED.inc(inserted)
    return len(lines), inserted


def flush_job() -> str:
    """The ``RollupState`` row holding the last batch number written from this buffer
    (one per buffer key, so buffers sharing a database never mistake each other's)."""
    digest = hashlib.sha256(buffer_key().encode()).hexdigest()[:16]
    return f"{FLUSH_JOB}:{digest}"


def _lock_flush_state() -> RollupState:
    # The row lock serialises flushers (two workers, or a manual run beside the loop):
    # only the holder may take or finish the batch in flight.
    return RollupState.objects.select_for_update().get_or_create(job=flush_job())[0]


def _insert_batch(lines: Iterable[bytes], *, careful: bool = False) -> int:
    records = []
    for line in lines:
        record = _Record.loads(line)
        if record is None:
            DROPPED.labels("malformed").inc()
            logger.warning("analytics: malformed buffered event skipped")
            continue
        records.append(record)
    if not records:
        return 0
    roles = dict(User.objects.filter(pk__in={r.user_id for r in records}).values_list("pk", "role"))
    rows = [
        Event(
            occurred_at=r.occurred_at,
            user_id=r.user_id,
            role=r.role or roles[r.user_id],
            name=r.name,
            route=r.route,
        )
        for r in records
        if r.user_id in roles
    ]
    skipped = len(records) - len(rows)
    if skipped:
        DROPPED.labels("user_deleted").inc(skipped)
    if careful:
        return _insert_rows_one_by_one(rows)
    try:
        Event.objects.bulk_create(rows, batch_size=5000)
    except DataError as exc:
        # A value PostgreSQL cannot store that the record checks let through. Retried
        # forever, it would hold back every event behind it.
        raise _Refused from exc
    return len(rows)


def _insert_rows_one_by_one(rows: list[Event]) -> int:
    written = 0
    for row in rows:
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except DataError:
            DROPPED.labels("malformed").inc()
            logger.warning("analytics: buffered event refused by the database, skipped")
            continue
        written += 1
    return written


# --- Retention -----------------------------------------------------------------------------


def events_prune(*, now: datetime | None = None, chunk: int = PRUNE_CHUNK) -> int:
    """Delete events (and rollup runs) older than ``ANALYTICS_EVENT_RETENTION_DAYS``.

    In chunks of ``chunk`` rows, each its own short transaction, so a first prune of a
    large table neither holds long locks nor builds one huge transaction. Returns the
    number of events deleted. The rollups (daily activity, KPIs) stay.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(days=int(settings.ANALYTICS_EVENT_RETENTION_DAYS))
    deleted = 0
    with system_context():
        while True:
            ids = list(
                Event.objects.filter(occurred_at__lt=cutoff)
                .order_by("occurred_at")
                .values_list("pk", flat=True)[:chunk]
            )
            if not ids:
                break
            count, _ = Event.objects.filter(pk__in=ids).delete()
            deleted += count
            if len(ids) < chunk:
                break
        RollupRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted
