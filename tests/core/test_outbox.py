"""The durable outbox: written with the change, sent once after commit, retried, buried."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from loom.core import outbox
from loom.core.email import email_enqueue
from loom.core.models import OutboxMessage
from loom.core.outbox import (
    outbox_claim,
    outbox_drain,
    outbox_enqueue,
    outbox_next_due_at,
    outbox_retry,
)
from loom.core.tasks import deliver_outbox_message
from tests.smtp import SmtpServer

Status = OutboxMessage.Status
pytestmark = pytest.mark.django_db


def _email(to: str = "dana@example.com", *, dedupe_key: str | None = None) -> OutboxMessage:
    return email_enqueue(
        to=to,
        template="account/email/password_changed",
        context={"ip": "203.0.113.9", "user_agent": "Firefox", "timestamp": timezone.now()},
        language="en",
        dedupe_key=dedupe_key,
    )


def _closed_port_mailer() -> dict[str, object]:
    # A port nothing listens on: the connection is refused, a transient failure.
    with __import__("socket").socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return {
        "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2},
    }


def test_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        _email()
        raise RuntimeError("the business change failed")
    assert callbacks == []
    assert OutboxMessage.objects.count() == 0
    outbox_drain()
    assert mail.outbox == []


def test_committed_email_is_sent_once_after_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = _email()
        assert mail.outbox == [], "nothing leaves before the commit"
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["dana@example.com"]
    assert mail.outbox[0].subject == "Your password was changed"
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.sent_at is not None
    assert message.attempts == 1
    # The bodies (which may hold sign-in links) are gone once sent.
    assert set(message.payload) == {"subject", "language", "template"}

    # Running the worker again, or the same task twice, sends nothing more.
    assert outbox_drain().sent == 0
    deliver_outbox_message.enqueue(message.pk)
    assert len(mail.outbox) == 1


def test_enqueue_outside_a_transaction_commits_on_its_own(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _email()
    assert len(mail.outbox) == 1


def test_same_dedupe_key_enqueues_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = _email(dedupe_key="invitation:1:sent")
        second = _email(dedupe_key="invitation:1:sent")
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert len(mail.outbox) == 1
    # Still deduplicated after it was sent.
    third = _email(dedupe_key="invitation:1:sent")
    assert third.pk == first.pk
    assert OutboxMessage.objects.count() == 1


def test_unknown_channel_is_refused_at_enqueue():
    with pytest.raises(ValueError, match="No outbox channel"):
        outbox_enqueue(channel="pigeon", recipient="x", payload={})
    assert OutboxMessage.objects.count() == 0


def test_enqueue_refuses_an_overlong_recipient():
    with pytest.raises(ValueError):
        outbox_enqueue(channel="email", recipient="a" * 321, payload={})
    assert OutboxMessage.objects.count() == 0


def test_transient_smtp_failure_is_retried_with_full_jitter_backoff(
    settings, mail_via_smtp: SmtpServer
):
    settings.LOOM_OUTBOX_BASE_DELAY_SECONDS = 10
    settings.LOOM_OUTBOX_MAX_DELAY_SECONDS = 25
    mail_via_smtp.reject_with = "451 4.3.0 Try again later"
    message = _email()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        bounds = []
        for attempt in range(1, 4):
            result = outbox_drain()
            assert result.retrying == 1
            message.refresh_from_db()
            assert message.status == Status.PENDING
            assert message.attempts == attempt
            assert message.locked_until is None
            assert "451" in message.last_error
            delay = (message.available_at - timezone.now()).total_seconds()
            cap = min(25, 10 * 2 ** (attempt - 1))
            assert 0 <= delay <= cap
            bounds.append(cap)
            # Not due before its time…
            clock.move_to(message.available_at - timedelta(microseconds=1))
            if delay > 0:
                assert outbox_drain().retrying == 0
            clock.move_to(message.available_at)
        assert bounds == [10, 20, 25], "the delay doubles and is capped"
        mail_via_smtp.reject_with = None
        assert outbox_drain().sent == 1
    [received] = mail_via_smtp.wait_for(1)
    assert received["Subject"] == "Your password was changed"
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 4


def test_message_becomes_dead_letter_after_max_attempts(settings):
    settings.LOOM_OUTBOX_MAX_ATTEMPTS = 3
    settings.MAILERS = {"default": _closed_port_mailer()}
    message = _email()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(2):
            assert outbox_drain().retrying == 1
            message.refresh_from_db()
            clock.move_to(message.available_at)
        assert outbox_drain().dead == 1
        message.refresh_from_db()
        assert message.status == Status.DEAD
        assert message.attempts == 3
        assert "ConnectionRefusedError" in message.last_error
        clock.shift(timedelta(days=1))
        assert outbox_drain().as_dict() == {"sent": 0, "retrying": 0, "dead": 0}
    assert outbox_next_due_at() is None


def test_permanent_smtp_refusal_is_a_dead_letter_at_once(mail_via_smtp: SmtpServer):
    mail_via_smtp.reject_with = "550 5.1.1 No such mailbox"
    message = _email()
    assert outbox_drain().dead == 1
    message.refresh_from_db()
    assert message.status == Status.DEAD
    assert message.attempts == 1
    assert "550" in message.last_error


def test_admin_retry_revives_a_dead_letter_and_is_audited(
    world, mail_via_smtp, django_capture_on_commit_callbacks
):
    from loom.core.models import AuditLog

    mail_via_smtp.reject_with = "550 5.1.1 No such mailbox"
    message = _email()
    outbox_drain()
    mail_via_smtp.reject_with = None
    with django_capture_on_commit_callbacks(execute=True):
        outbox_retry(message_id=message.pk, actor=world.admin)
    mail_via_smtp.wait_for(1)
    message.refresh_from_db()
    assert message.status == Status.SENT
    entry = AuditLog.objects.get(action="outbox.retry")
    assert entry.actor == world.admin
    assert entry.target_id == str(message.pk)


def test_only_dead_letters_can_be_retried(world):
    from loom.core.errors import Conflict

    message = _email()
    with pytest.raises(Conflict):
        outbox_retry(message_id=message.pk, actor=world.admin)


def test_message_of_a_crashed_worker_is_sent_once_after_its_lease_expires(settings):
    settings.LOOM_OUTBOX_LEASE_SECONDS = 60
    message = _email()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as clock:
        # A worker claims the message and dies before sending it.
        [claimed] = outbox_claim(limit=10)
        assert claimed.status == Status.SENDING
        # While the lease holds nobody else may take it.
        clock.shift(timedelta(seconds=59))
        assert outbox_drain().sent == 0
        assert mail.outbox == []
        # The restarted worker finds it once the lease is over.
        clock.shift(timedelta(seconds=1))
        assert outbox_next_due_at() == start + timedelta(seconds=60)
        assert outbox_drain().sent == 1
    assert len(mail.outbox) == 1
    message.refresh_from_db()
    assert message.status == Status.SENT
    assert message.attempts == 2


def test_late_outcome_of_a_lost_lease_does_not_overwrite_the_new_owner(settings):
    settings.LOOM_OUTBOX_LEASE_SECONDS = 60
    _email()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        [slow] = outbox_claim()
        clock.shift(timedelta(seconds=61))
        [fast] = outbox_claim()
        assert fast.pk == slow.pk
        # The slow worker finishes late: its result is discarded, the row stays with `fast`.
        outbox.outbox_deliver(slow)
        row = OutboxMessage.objects.get(pk=fast.pk)
        assert row.status == Status.SENDING
        assert row.locked_until == fast.locked_until
        outbox.outbox_deliver(fast)
    assert OutboxMessage.objects.get(pk=fast.pk).status == Status.SENT


def test_crash_during_the_final_attempt_makes_a_dead_letter(settings):
    settings.LOOM_OUTBOX_MAX_ATTEMPTS = 1
    settings.LOOM_OUTBOX_LEASE_SECONDS = 60
    message = _email()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        outbox_claim()
        clock.shift(timedelta(seconds=61))
        assert outbox_drain().dead == 1
    message.refresh_from_db()
    assert message.status == Status.DEAD
    assert "lease expired" in message.last_error
    assert mail.outbox == []


def test_failed_delivery_books_a_deferred_drain_with_the_database_backend(settings):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MAILERS = {"default": _closed_port_mailer()}
    message = _email()
    outbox_drain()
    message.refresh_from_db()
    [booked] = DBTaskResult.objects.filter(task_path="loom.core.tasks.drain_outbox")
    assert booked.run_after == message.available_at


def test_commit_nudges_the_worker_with_the_message_id(settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = _email()
    [nudge] = DBTaskResult.objects.filter(task_path="loom.core.tasks.deliver_outbox_message")
    assert nudge.args_kwargs == {"args": [message.pk], "kwargs": {}}
    assert mail.outbox == [], "the worker, not the request, sends it"


def test_drain_command_delivers_due_messages():
    from io import StringIO

    from django.core.management import call_command

    _email()
    _email("eli@example.com")
    out = StringIO()
    call_command("outbox_drain", stdout=out)
    assert len(mail.outbox) == 2
    assert "sent 2" in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_never_deliver_the_same_message_twice(
    settings, mail_via_smtp: SmtpServer
):
    # The workers below, not the after-commit nudge, must do the sending.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    total = 40
    for number in range(total):
        _email(f"person{number}@example.com")
    workers = 4
    barrier = threading.Barrier(workers)
    claimed: list[list[int]] = [[] for _ in range(workers)]
    errors: list[BaseException] = []

    original_claim = outbox.outbox_claim

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            while True:
                # Small batches so the workers really interleave.
                batch = original_claim(limit=3)
                if not batch:
                    break
                claimed[index].extend(message.pk for message in batch)
                for message in batch:
                    outbox.outbox_deliver(message)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    all_claims = [pk for claims in claimed for pk in claims]
    assert len(all_claims) == total
    assert len(set(all_claims)) == total, "a message was claimed by two workers"
    assert sum(1 for claims in claimed if claims) > 1, "the work was shared"
    received = mail_via_smtp.wait_for(total)
    assert len(received) == total
    assert len({message["Message-ID"] for message in received}) == total
    assert OutboxMessage.objects.filter(status=Status.SENT).count() == total


def test_message_due_later_books_a_drain_for_its_time(settings, django_capture_on_commit_callbacks):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    later = timezone.now() + timedelta(hours=1)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        message = outbox_enqueue(
            channel="email", recipient="dana@example.com", payload={}, available_at=later
        )
    [booked] = DBTaskResult.objects.all()
    assert booked.task_path == "loom.core.tasks.drain_outbox"
    assert booked.run_after == later
    assert outbox_drain().sent == 0
    message.refresh_from_db()
    assert message.status == Status.PENDING
