"""Per-person realtime streams (DESIGN.md rule 6): the database is the truth, Redis a doorbell.

Every event a person should see live — a message in one of their conversations, a
reaction, a read receipt, a new notification — is appended to their stream as a
``UserEvent`` with the next number of *their* sequence, in the same transaction as the
change. Only after that transaction commits is the person's channel-layer group rung
(``stream.<user id>``); a socket that hears the bell reads its events from the database,
in order, after the last number it sent. Hence:

* nothing is pushed that was rolled back, and nothing committed is lost when a bell is
  lost (Redis restarting, a process dying): the next bell, the socket's periodic check
  or a reconnect with ``last_seq`` brings it;
* a client that comes back sends the last number it saw and gets everything after it,
  or, when it is too far behind (more than ``LOOM_REALTIME_REPLAY_LIMIT`` events, or
  older ones already pruned), a ``resync`` answer telling it to refetch its screen;
* numbers are gap-free per person: the stream row is locked while events are appended,
  so two transactions adding to one person's stream take turns.

Ephemeral signals (typing) are not stored: they go straight to the group and carry the
person's current sequence number so the client can tell where they fall.

Appending writes other people's streams (a message reaches both sides), so it runs in
the system context; what is appended is decided by the calling service, which has
already checked that the acting person may do it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from loom.core.context import system_context
from loom.core.logging import get_logger
from loom.core.models import UserEvent, UserStream

logger = get_logger(__name__)

DOORBELL = "stream.doorbell"
SIGNAL = "stream.signal"


def stream_group(user_id: int) -> str:
    """The channel-layer group every socket of ``user_id`` joins."""
    return f"stream.{int(user_id)}"


def replay_limit() -> int:
    return int(getattr(settings, "LOOM_REALTIME_REPLAY_LIMIT", 1000))


@dataclass(frozen=True)
class StreamEvent:
    user_id: int
    kind: str
    data: dict[str, Any]


def _next_numbers(user_id: int, count: int) -> int:
    """Reserve ``count`` numbers in ``user_id``'s stream; returns the last one.

    An upsert, so a person's first event creates their stream row; the row stays
    locked until the transaction ends, which orders concurrent appenders.
    """
    table = UserStream._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (user_id, last_seq) VALUES (%s, %s) "  # noqa: S608 - fixed table name
            f"ON CONFLICT (user_id) DO UPDATE SET last_seq = {table}.last_seq + EXCLUDED.last_seq "
            "RETURNING last_seq",
            [user_id, count],
        )
        row = cursor.fetchone()
    return int(row[0])


def events_append(events: Iterable[StreamEvent]) -> dict[int, list[int]]:
    """Append ``events`` to their people's streams inside the caller's transaction.

    Returns the numbers given, per person. The people's sockets are rung once the
    transaction commits (or at once without one). People are locked in id order so
    two transactions touching the same two streams cannot deadlock.
    """
    by_user: dict[int, list[StreamEvent]] = defaultdict(list)
    for event in events:
        by_user[int(event.user_id)].append(event)
    if not by_user:
        return {}
    numbers: dict[int, list[int]] = {}
    rows: list[UserEvent] = []
    now = timezone.now()
    with system_context(), transaction.atomic():
        for user_id in sorted(by_user):
            pending = by_user[user_id]
            last = _next_numbers(user_id, len(pending))
            first = last - len(pending) + 1
            numbers[user_id] = list(range(first, last + 1))
            rows.extend(
                UserEvent(user_id=user_id, seq=first + i, kind=e.kind, data=e.data, created_at=now)
                for i, e in enumerate(pending)
            )
        UserEvent.objects.bulk_create(rows)
    last_numbers = {user_id: seqs[-1] for user_id, seqs in numbers.items()}
    transaction.on_commit(lambda: ring(last_numbers))
    return numbers


def event_append(user_id: int, kind: str, data: dict[str, Any]) -> int:
    """Append one event; returns its number in the person's stream."""
    return events_append([StreamEvent(user_id, kind, data)])[int(user_id)][0]


def _group_send(group: str, message: dict[str, Any]) -> None:
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(group, message)
    except Exception as exc:  # The bell is a hint: sockets also check on their own.
        logger.warning("realtime.doorbell_failed", group=group, error=str(exc))


def ring(last_numbers: dict[int, int]) -> None:
    """Tell each person's sockets that their stream has grown to the given number."""
    for user_id, seq in last_numbers.items():
        _group_send(stream_group(user_id), {"type": DOORBELL, "seq": seq})


def signal_send(user_ids: Sequence[int], data: dict[str, Any]) -> None:
    """Send an ephemeral signal (not stored, not replayed) to people's open sockets."""
    for user_id in user_ids:
        _group_send(stream_group(user_id), {"type": SIGNAL, "data": data})


# --- Reading ----------------------------------------------------------------------------


@dataclass
class Replay:
    """What a socket or a poll gets after ``after``: events in order, or a resync."""

    last_seq: int
    events: list[dict[str, Any]] = field(default_factory=list)
    resync: bool = False

    def frames(self) -> list[dict[str, Any]]:
        if self.resync:
            return [{"type": "resync", "seq": self.last_seq}]
        return self.events


def event_frame(seq: int, kind: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": "event", "seq": seq, "kind": kind, "data": data}


def stream_position(user_id: int) -> int:
    """The last number handed out in the person's stream (0 before the first event)."""
    value = UserStream.objects.filter(user_id=user_id).values_list("last_seq", flat=True).first()
    return int(value or 0)


def events_after(*, user_id: int, after: int, limit: int | None = None) -> Replay:
    """The person's events numbered above ``after`` (two queries).

    A resync is answered when the client is more than ``limit`` events behind, when the
    event right after ``after`` has been pruned, or when ``after`` is beyond the stream's
    end (the client remembers a stream that no longer exists).
    """
    limit = replay_limit() if limit is None else limit
    last_seq = stream_position(user_id)
    after = max(0, int(after))
    if after > last_seq or last_seq - after > limit:
        return Replay(last_seq=last_seq, resync=after != last_seq)
    if after == last_seq:
        return Replay(last_seq=last_seq)
    rows = list(
        UserEvent.objects.filter(user_id=user_id, seq__gt=after, seq__lte=last_seq)
        .order_by("seq")
        .values_list("seq", "kind", "data")[:limit]
    )
    if not rows or rows[0][0] != after + 1:
        return Replay(last_seq=last_seq, resync=True)
    return Replay(last_seq=rows[-1][0], events=[event_frame(*row) for row in rows])


# --- Presence and housekeeping ----------------------------------------------------------


def presence_touch(user_id: int) -> None:
    """Record that the person is active in Loom now (sockets call it, throttled)."""
    with system_context():
        updated = UserStream.objects.filter(user_id=user_id).update(last_active_at=timezone.now())
        if not updated:
            UserStream.objects.get_or_create(
                user_id=user_id, defaults={"last_active_at": timezone.now()}
            )


def is_active(user_id: int, *, within: timedelta | None = None) -> bool:
    """Whether the person showed activity in Loom within ``within`` (default 2 minutes)."""
    within = within or timedelta(seconds=int(getattr(settings, "LOOM_PRESENCE_SECONDS", 120)))
    with system_context():
        return UserStream.objects.filter(
            user_id=user_id, last_active_at__gte=timezone.now() - within
        ).exists()


def events_prune(*, older_than: timedelta | None = None) -> int:
    """Delete events older than the retention period; a client that far behind resyncs."""
    days = int(getattr(settings, "LOOM_REALTIME_RETENTION_DAYS", 14))
    cutoff = timezone.now() - (older_than or timedelta(days=days))
    with system_context():
        deleted, _ = UserEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted
