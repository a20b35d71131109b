"""The durable outbox (DESIGN.md rule 5): side effects written with the change, sent after.

Flow:

* ``outbox_enqueue`` writes an ``OutboxMessage`` row inside the caller's transaction
  (a rolled-back change therefore sends nothing) and, once that transaction commits,
  nudges the worker by enqueueing ``loom.core.tasks.deliver_outbox_message``.
* Delivery claims due rows — ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, a
  conditional ``UPDATE`` per row elsewhere — marks them ``sending`` with a lease
  (``locked_until``) and commits before talking to the outside world, so no lock is
  held during a slow SMTP exchange.
* Success marks the row ``sent`` and strips secrets from its payload. Failure either
  schedules a retry with full-jitter exponential backoff or, after ``max_attempts``
  (or a permanent error), makes the row a dead letter that admins can see and retry.
* A worker that dies mid-send leaves a row in ``sending`` whose lease runs out; the
  next drain claims it again. A message may therefore be delivered twice in that
  narrow window (at-least-once); email carries a stable Message-ID so clients fold
  the duplicate.

Channels are pluggable: apps register a deliverer per channel at ``ready()`` time with
``outbox_register_channel`` (core registers "email"; accounts registers "sms"; later
issues add "push" and "ws"). Core itself never imports another Loom app.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from loom.core.audit import audit_record
from loom.core.errors import Conflict
from loom.core.logging import get_logger
from loom.core.models import OutboxMessage

logger = get_logger(__name__)

Status = OutboxMessage.Status
Deliverer = Callable[[OutboxMessage], None]
Summarizer = Callable[[dict[str, Any]], dict[str, Any]]

# Longest error text kept on a row; SMTP servers can answer with whole essays.
_MAX_ERROR_CHARS = 2000


class OutboxPermanentError(Exception):
    """Raised by a deliverer when retrying cannot help (e.g. the address is refused).

    The message becomes a dead letter at once instead of using up its attempts.
    """


@dataclass(frozen=True)
class OutboxChannel:
    name: str
    deliver: Deliverer
    # What may be kept (and shown to admins) once the message is sent: a subject, never
    # a body that may hold a sign-in link or an SMS code.
    summarize: Summarizer


def _no_summary(payload: dict[str, Any]) -> dict[str, Any]:
    return {}


_CHANNELS: dict[str, OutboxChannel] = {}


def outbox_register_channel(
    name: str, *, deliver: Deliverer, summarize: Summarizer | None = None
) -> None:
    """Make ``name`` deliverable. Call from an ``AppConfig.ready()``; re-registering replaces."""
    _CHANNELS[name] = OutboxChannel(name=name, deliver=deliver, summarize=summarize or _no_summary)


def outbox_unregister_channel(name: str) -> None:
    _CHANNELS.pop(name, None)


def outbox_channel(name: str) -> OutboxChannel | None:
    return _CHANNELS.get(name)


def outbox_channels() -> list[str]:
    return sorted(_CHANNELS)


# --- Enqueueing -------------------------------------------------------------------------


def outbox_enqueue(
    *,
    channel: str,
    recipient: str,
    payload: dict[str, Any],
    dedupe_key: str | None = None,
    available_at: datetime | None = None,
) -> OutboxMessage:
    """Record a message to deliver once the surrounding transaction commits.

    Call it inside the business transaction. With a ``dedupe_key`` the call is
    idempotent: a second call with the same key returns the first row unchanged.
    Without a surrounding transaction the row is committed on its own.
    """
    if channel not in _CHANNELS:
        raise ValueError(
            f"No outbox channel {channel!r} is registered (have: {outbox_channels()})."
        )
    if not recipient or len(recipient) > OutboxMessage._meta.get_field("recipient").max_length:  # type: ignore[operator]
        raise ValueError("An outbox recipient must be 1 to 320 characters.")
    if dedupe_key is not None and not dedupe_key:
        raise ValueError("A dedupe key must not be empty; pass None for no key.")

    with transaction.atomic():
        if dedupe_key is not None:
            existing = OutboxMessage.objects.filter(dedupe_key=dedupe_key).first()
            if existing is not None:
                return existing
        try:
            # A savepoint of its own: a concurrent insert of the same key must not
            # poison the caller's transaction.
            with transaction.atomic():
                message = OutboxMessage.objects.create(
                    channel=channel,
                    recipient=recipient,
                    payload=payload,
                    dedupe_key=dedupe_key,
                    max_attempts=settings.LOOM_OUTBOX_MAX_ATTEMPTS,
                    available_at=available_at or timezone.now(),
                )
        except IntegrityError:
            if dedupe_key is None:
                raise
            return OutboxMessage.objects.get(dedupe_key=dedupe_key)
        if message.available_at > timezone.now():
            # Not due yet: book the drain for its time instead of a nudge that would skip it.
            transaction.on_commit(partial(_schedule_quietly, message.available_at), robust=True)
        else:
            transaction.on_commit(partial(_nudge, message.pk), robust=True)
    return message


def _nudge(message_id: int) -> None:
    # Imported late: tasks import this module.
    from loom.core.tasks import deliver_outbox_message

    deliver_outbox_message.enqueue(message_id)


def _schedule_quietly(at: datetime) -> None:
    try:
        schedule_drain(at)
    except Exception:
        # The row is durable; the operator loop or the next drain will find it.
        logger.exception("outbox.schedule_failed", at=at.isoformat())


def schedule_drain(at: datetime) -> bool:
    """Ask the task backend to drain the outbox at ``at``. False if it cannot defer.

    django-tasks-db has no periodic scheduler, so every retry books its own drain.
    Backends without ``run_after`` (the immediate one in tests) are skipped; there the
    test, or ``loom outbox_drain --loop``, drives retries.
    """
    from loom.core.tasks import drain_outbox

    if not drain_outbox.get_backend().supports_defer:
        return False
    drain_outbox.using(run_after=at).enqueue()
    return True


# --- Claiming and delivering ---------------------------------------------------------------


def _lease() -> timedelta:
    return timedelta(seconds=settings.LOOM_OUTBOX_LEASE_SECONDS)


def _due(now: datetime) -> Q:
    """Pending rows whose time has come, and sending rows whose worker vanished."""
    return (
        Q(status=Status.PENDING, available_at__lte=now)
        | Q(status=Status.SENDING, locked_until__lte=now)
    ) & Q(attempts__lt=F("max_attempts"))


def _bury_abandoned(now: datetime) -> int:
    """Rows whose final attempt's worker vanished become dead letters, not retries."""
    return OutboxMessage.objects.filter(
        status=Status.SENDING, locked_until__lte=now, attempts__gte=F("max_attempts")
    ).update(
        status=Status.DEAD,
        locked_until=None,
        last_error="The worker stopped during the final attempt (lease expired).",
    )


def outbox_claim(
    *, limit: int = 50, message_ids: Iterable[int] | None = None, now: datetime | None = None
) -> list[OutboxMessage]:
    """Claim up to ``limit`` due messages for this worker and return them.

    Each claimed row is ``sending``, its ``attempts`` counts this attempt (so a message
    that crashes every worker still runs out of attempts) and ``locked_until`` is the
    lease; that exact value identifies this claim when the outcome is recorded.
    """
    now = now or timezone.now()
    lease_until = now + _lease()
    claim = {"status": Status.SENDING, "locked_until": lease_until, "attempts": F("attempts") + 1}
    candidates = OutboxMessage.objects.filter(_due(now))
    if message_ids is not None:
        candidates = candidates.filter(pk__in=list(message_ids))
    candidates = candidates.order_by("available_at", "id")

    if connection.features.has_select_for_update_skip_locked:
        with transaction.atomic():
            ids = list(
                candidates.select_for_update(skip_locked=True).values_list("pk", flat=True)[:limit]
            )
            OutboxMessage.objects.filter(pk__in=ids).update(**claim)
    else:
        # SQLite has no row locks: each row is claimed by an UPDATE that re-checks it is
        # still due, and only the worker whose UPDATE changed the row owns it.
        ids = []
        for pk in candidates.values_list("pk", flat=True)[:limit]:
            if OutboxMessage.objects.filter(_due(now), pk=pk).update(**claim) == 1:
                ids.append(pk)
    return list(OutboxMessage.objects.filter(pk__in=ids, locked_until=lease_until).order_by("id"))


def _backoff_seconds(attempts: int) -> float:
    """Full jitter: uniform in [0, min(cap, base * 2**(attempts - 1))]."""
    base = settings.LOOM_OUTBOX_BASE_DELAY_SECONDS
    cap = settings.LOOM_OUTBOX_MAX_DELAY_SECONDS
    exponent = min(max(attempts - 1, 0), 32)  # 2**32 seconds is past any sane cap
    return random.uniform(0, min(cap, base * 2**exponent))  # noqa: S311  (jitter, not secrecy)


@dataclass
class DeliveryOutcome:
    message_id: int
    status: str
    error: str = ""


def _claimed(message: OutboxMessage) -> Any:
    # The lease value written at claim time is this worker's token: if the lease ran
    # out and another worker re-claimed the row, our late outcome must not overwrite it.
    return OutboxMessage.objects.filter(
        pk=message.pk, status=Status.SENDING, locked_until=message.locked_until
    )


def outbox_deliver(message: OutboxMessage) -> DeliveryOutcome:
    """Deliver one claimed message and record the outcome. Never raises for send errors."""
    channel = _CHANNELS.get(message.channel)
    try:
        if channel is None:
            raise LookupError(
                f"No outbox channel {message.channel!r} is registered in this process."
            )
        channel.deliver(message)
    except Exception as exc:
        return _record_failure(message, exc)
    now = timezone.now()
    updated = _claimed(message).update(
        status=Status.SENT,
        sent_at=now,
        locked_until=None,
        last_error="",
        payload=channel.summarize(message.payload),
    )
    if not updated:
        logger.warning("outbox.lease_lost", message_id=message.pk, channel=message.channel)
    logger.info(
        "outbox.sent", message_id=message.pk, channel=message.channel, attempts=message.attempts
    )
    return DeliveryOutcome(message.pk, Status.SENT)


def _record_failure(message: OutboxMessage, exc: Exception) -> DeliveryOutcome:
    error = f"{type(exc).__name__}: {exc}"[:_MAX_ERROR_CHARS]
    now = timezone.now()
    if isinstance(exc, OutboxPermanentError) or message.attempts >= message.max_attempts:
        _claimed(message).update(status=Status.DEAD, locked_until=None, last_error=error)
        logger.error(
            "outbox.dead",
            message_id=message.pk,
            channel=message.channel,
            attempts=message.attempts,
            error=error,
        )
        return DeliveryOutcome(message.pk, Status.DEAD, error)
    retry_at = now + timedelta(seconds=_backoff_seconds(message.attempts))
    updated = _claimed(message).update(
        status=Status.PENDING, locked_until=None, available_at=retry_at, last_error=error
    )
    logger.warning(
        "outbox.retry_scheduled",
        message_id=message.pk,
        channel=message.channel,
        attempts=message.attempts,
        retry_at=retry_at.isoformat(),
        error=error,
    )
    if updated:
        _schedule_quietly(retry_at)
    return DeliveryOutcome(message.pk, Status.PENDING, error)


def outbox_deliver_by_id(*, message_id: int) -> str:
    """Deliver one message if it is due and nobody else holds it. Safe to call twice."""
    claimed = outbox_claim(limit=1, message_ids=[message_id])
    if not claimed:
        return "skipped"
    return outbox_deliver(claimed[0]).status


@dataclass
class DrainResult:
    sent: int = 0
    retrying: int = 0
    dead: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "retrying": self.retrying, "dead": self.dead}


def outbox_drain(
    *, batch_size: int = 50, max_batches: int = 100, now: datetime | None = None
) -> DrainResult:
    """Deliver every message that is due now (bounded by ``batch_size * max_batches``)."""
    result = DrainResult()
    result.dead += _bury_abandoned(now or timezone.now())
    for _ in range(max_batches):
        claimed = outbox_claim(limit=batch_size, now=now)
        if not claimed:
            break
        for message in claimed:
            outcome = outbox_deliver(message)
            if outcome.status == Status.SENT:
                result.sent += 1
            elif outcome.status == Status.DEAD:
                result.dead += 1
            else:
                result.retrying += 1
    return result


def outbox_next_due_at() -> datetime | None:
    """When the next pending message (or expiring lease) becomes due, if any."""
    pending = (
        OutboxMessage.objects.filter(status=Status.PENDING)
        .order_by("available_at")
        .values_list("available_at", flat=True)
        .first()
    )
    lease = (
        OutboxMessage.objects.filter(status=Status.SENDING)
        .order_by("locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    candidates = [value for value in (pending, lease) if value is not None]
    return min(candidates) if candidates else None


# --- Dead letters --------------------------------------------------------------------------

#: What the admin outbox page can filter on; "attention" is everything not yet sent.
ADMIN_FILTERS = {
    "attention": (Status.PENDING, Status.SENDING, Status.DEAD),
    "pending": (Status.PENDING, Status.SENDING),
    "dead": (Status.DEAD,),
}


def outbox_messages_for_admin(*, status_filter: str = "attention") -> QuerySet[OutboxMessage]:
    """Unsent messages, newest first, without their bodies (which may hold codes or links).

    Each row is annotated with ``subject`` (emails only; other channels show none).
    """
    statuses = ADMIN_FILTERS.get(status_filter, ADMIN_FILTERS["attention"])
    return (
        OutboxMessage.objects.filter(status__in=statuses)
        .annotate(subject=KT("payload__subject"))
        .defer("payload")
        .order_by("-created_at", "-id")
    )


@transaction.atomic
def outbox_retry(*, message_id: int, actor: Any) -> OutboxMessage:
    """Give a dead letter a fresh set of attempts, now. Audited as an admin action."""
    now = timezone.now()
    updated = OutboxMessage.objects.filter(pk=message_id, status=Status.DEAD).update(
        status=Status.PENDING,
        attempts=0,
        available_at=now,
        locked_until=None,
        max_attempts=settings.LOOM_OUTBOX_MAX_ATTEMPTS,
    )
    if updated != 1:
        raise Conflict("Only a dead letter can be retried.", code="outbox_not_dead")
    message = OutboxMessage.objects.get(pk=message_id)
    audit_record(
        action="outbox.retry", actor=actor, target=message, details={"channel": message.channel}
    )
    transaction.on_commit(partial(_nudge, message.pk), robust=True)
    return message


def outbox_enqueue_email(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str,
    dedupe_key: str | None = None,
    time_zone: str | None = None,
    attachments: Sequence[tuple[str, bytes, str]] = (),
) -> OutboxMessage:
    """Shortcut to ``loom.core.email.email_enqueue`` (render now, send after commit).

    ``attachments`` are ``(filename, content, mimetype)`` triples, stored base64-encoded.
    """
    from loom.core.email import email_enqueue

    return email_enqueue(
        to=to,
        template=template,
        context=context,
        language=language,
        dedupe_key=dedupe_key,
        time_zone=time_zone,
        attachments=attachments,
    )
