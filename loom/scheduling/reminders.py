"""Session reminders: planning, dispatch, the follow-up after a session, preferences.

Planning (``reminders_plan``) reconciles a session's ``Reminder`` rows with what the
session needs now, inside the transaction of the change that called it
(``services._after_change``) and in the system context (one party's booking plans the
other party's reminders). For a *scheduled* session there is one row per offset of
the coach's ``reminder_offsets_minutes`` × recipient (the client, or every seat
holder, and the coach) × channel (email when the person wants it, in Loom always,
text message when they want it and their phone is verified).

The due time is ``starts_at - offset``, moved **earlier** to the start of the
recipient's quiet hours when it falls inside them (in the recipient's zone, so a
daylight-saving change is honoured). A reminder whose time (before quiet hours) has
already passed when it is planned is ``skipped`` (``past_at_booking``): the booking
email already told the person. One moved earlier than now by quiet hours goes out at
once. A reschedule moves pending rows; a reminder already sent (or skipped) for the
old time is planned again when its offset lies ahead of the new time. Anything that
ends the session (cancel, decline, start, complete, no-show) cancels pending rows;
a released seat cancels that person's.

Dispatch (``reminders_dispatch``) runs in the worker: it picks due pending rows and,
in one transaction per reminder, locks the row (``FOR UPDATE SKIP LOCKED``), sends
its ``session_reminder`` notice (``loom.core.notices``; the notifications dispatcher
turns it into the in-app notice, the email and the text message the person chose)
and marks it sent. The outbox then delivers with its own lease, retries and dedupe
key. So a reminder is queued exactly once; the outbox's delivery guarantee is
explained in docs/scheduling.md (Reminders).

Follow-up: completing a session queues, per client, an outbox message on the
``session_followup`` channel that becomes due ``LOOM_FOLLOWUP_DELAY_MINUTES`` later;
its deliverer then sends the ``session_followup`` notice with the email rendered
then, so the coach has time to write the summary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from loom.accounts.models import User
from loom.core.context import system_context
from loom.core.logging import get_logger
from loom.core.models import OutboxMessage
from loom.core.notices import notice_send
from loom.core.outbox import OutboxPermanentError, outbox_enqueue, outbox_register_channel
from loom.scheduling import reminder_emails
from loom.scheduling.models import (
    REMINDER_OFFSET_MAX,
    REMINDER_OFFSET_MIN,
    REMINDER_OFFSETS_MAX,
    CoachSchedulingSettings,
    Reminder,
    ReminderChannel,
    ReminderPreferences,
    ReminderStatus,
    SeatStatus,
    Session,
    SessionEvent,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
    default_reminder_offsets,
)

logger = get_logger(__name__)

# The in-app channel of notices queued before they went through loom.core.notices;
# loom.notifications still registers it so such rows are delivered.
IN_APP_CHANNEL = "in_app"
FOLLOWUP_CHANNEL = "session_followup"
TEMPLATE_DIR = "scheduling/email"

# Why a reminder was skipped or cancelled (``Reminder.status_reason``).
PAST_AT_BOOKING = "past_at_booking"
PAST_AT_RESCHEDULE = "past_at_reschedule"
SESSION_STARTED = "session_started"
SEAT_RELEASED = "seat_released"
CHANNEL_OFF = "channel_off"
OFFSET_REMOVED = "offset_removed"
PHONE_NOT_VERIFIED = "phone_not_verified"
SEND_FAILED = "send_failed"
SUPERSEDED = "superseded"
_ENDED_REASON: dict[str, str] = {
    SessionStatus.CANCELLED: "session_cancelled",
    SessionStatus.DECLINED: "session_declined",
    SessionStatus.COMPLETED: "session_completed",
    SessionStatus.NO_SHOW: "session_no_show",
    SessionStatus.IN_PROGRESS: SESSION_STARTED,
    SessionStatus.REQUESTED: "session_requested",
}

REASONS: dict[str, Any] = {
    PAST_AT_BOOKING: gettext_lazy("Its time had already passed when the session was booked."),
    PAST_AT_RESCHEDULE: gettext_lazy("Its time had already passed when the session was moved."),
    SESSION_STARTED: gettext_lazy("The session had already started."),
    SEAT_RELEASED: gettext_lazy("The seat was given up."),
    CHANNEL_OFF: gettext_lazy("Reminders of this kind were turned off."),
    OFFSET_REMOVED: gettext_lazy("The coach changed the reminder times."),
    PHONE_NOT_VERIFIED: gettext_lazy("The phone number is not verified."),
    SEND_FAILED: gettext_lazy("The reminder could not be prepared."),
    SUPERSEDED: gettext_lazy("A later reminder was due at the same time."),
    "session_cancelled": gettext_lazy("The session was cancelled."),
    "session_declined": gettext_lazy("The request was declined."),
    "session_completed": gettext_lazy("The session is over."),
    "session_no_show": gettext_lazy("The session is over."),
    "session_requested": gettext_lazy("The session is waiting for the coach's approval."),
}


# --- Small helpers ---------------------------------------------------------------------------


def offset_label(minutes: int) -> str:
    """ "1 day before", "2 hours before", "30 minutes before", in the active language."""
    if minutes % (24 * 60) == 0:
        days = minutes // (24 * 60)
        return ngettext("%(count)d day before", "%(count)d days before", days) % {"count": days}
    if minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(count)d hour before", "%(count)d hours before", hours) % {"count": hours}
    return ngettext("%(count)d minute before", "%(count)d minutes before", minutes) % {
        "count": minutes
    }


def clean_offsets(raw: Any) -> list[int]:
    """The coach's offsets as planning uses them: valid, distinct, largest first.

    Values outside the allowed range are ignored (the settings service refuses them;
    this keeps a hand-edited row from planning nonsense). A row without offsets uses
    the default.
    """
    if not isinstance(raw, list):
        return sorted(default_reminder_offsets(), reverse=True)
    offsets = {
        value
        for value in raw
        if isinstance(value, int)
        and not isinstance(value, bool)
        and REMINDER_OFFSET_MIN <= value <= REMINDER_OFFSET_MAX
    }
    return sorted(offsets, reverse=True)[:REMINDER_OFFSETS_MAX]


def _earliest_instant(day: Any, at: time, zone: ZoneInfo) -> datetime:
    """The first instant whose wall-clock reading in ``zone`` on ``day`` is ``at``.

    In a fall-back overlap that is the first of the two; in a spring-forward gap (the
    time does not exist) it is the earlier of the two readings, i.e. just before the
    clocks jump — always the earlier choice, so a reminder is never late.
    """
    first = datetime.combine(day, at, tzinfo=zone).replace(fold=0)
    second = first.replace(fold=1)
    return min(first.astimezone(ZoneInfo("UTC")), second.astimezone(ZoneInfo("UTC")))


def quiet_start_before(
    moment: datetime, *, quiet_start: time | None, quiet_end: time | None, zone: ZoneInfo
) -> datetime:
    """``moment``, or the start of the quiet period it falls in (recipient's zone).

    Quiet hours run from ``quiet_start`` (included) to ``quiet_end`` (excluded) in
    wall-clock time, across midnight when the end is earlier. Equal or missing times
    mean no quiet hours.
    """
    if quiet_start is None or quiet_end is None or quiet_start == quiet_end:
        return moment
    local = moment.astimezone(zone)
    wall = local.time().replace(tzinfo=None)
    if quiet_start < quiet_end:
        if quiet_start <= wall < quiet_end:
            return _earliest_instant(local.date(), quiet_start, zone)
        return moment
    if wall >= quiet_start:
        return _earliest_instant(local.date(), quiet_start, zone)
    if wall < quiet_end:
        return _earliest_instant(local.date() - timedelta(days=1), quiet_start, zone)
    return moment


# --- Planning --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Recipient:
    user: User
    channels: tuple[str, ...]
    quiet_start: time | None
    quiet_end: time | None


def _recipients(session: Session) -> list[User]:
    """Who is reminded of ``session``: the coach and the client or every seat holder."""
    people: list[User] = [session.coach]
    if session.is_group:
        seats = SessionSeat.objects.filter(session=session, status=SeatStatus.TAKEN)
        people.extend(seat.client for seat in seats.select_related("client").order_by("id"))
    elif session.client is not None:
        people.append(session.client)
    return people


def _channels(user: User, prefs: ReminderPreferences | None) -> tuple[str, ...]:
    channels = [ReminderChannel.IN_APP.value]
    if prefs is None or prefs.email_reminders:
        channels.insert(0, ReminderChannel.EMAIL.value)
    if prefs is not None and prefs.sms_reminders and user.phone_verified_at and user.phone:
        channels.append(ReminderChannel.SMS.value)
    return tuple(channels)


def _plan_recipients(session: Session) -> list[_Recipient]:
    users = _recipients(session)
    prefs = {
        row.user_id: row
        for row in ReminderPreferences.objects.filter(user__in=[user.pk for user in users])
    }
    planned = []
    for user in users:
        row = prefs.get(user.pk)
        planned.append(
            _Recipient(
                user=user,
                channels=_channels(user, row),
                quiet_start=row.quiet_start if row else None,
                quiet_end=row.quiet_end if row else None,
            )
        )
    return planned


def _coach_offsets(coach_id: int) -> list[int]:
    raw = (
        CoachSchedulingSettings.objects.filter(coach_id=coach_id)
        .values_list("reminder_offsets_minutes", flat=True)
        .first()
    )
    return clean_offsets(default_reminder_offsets() if raw is None else raw)


def _due(session: Session, offset: int, recipient: _Recipient, now: datetime) -> datetime:
    nominal = session.starts_at - timedelta(minutes=offset)
    due = quiet_start_before(
        nominal,
        quiet_start=recipient.quiet_start,
        quiet_end=recipient.quiet_end,
        zone=reminder_emails.zone_of(recipient.user.timezone),
    )
    # Quiet hours may pull it before now: then it goes out at once (the session is
    # still ahead, since its unmoved time is).
    return max(due, now)


@dataclass
class PlanResult:
    created: int = 0
    pending: int = 0
    cancelled: int = 0
    skipped: int = 0


def reminders_plan(
    session: Session, *, rescheduled: bool = False, now: datetime | None = None
) -> PlanResult:
    """Bring ``session``'s reminders in line with its status, time, people and choices.

    Call inside the transaction of the change. Idempotent: calling it twice changes
    nothing the second time. ``rescheduled`` says the session's time changed, so
    reminders already sent or skipped for the old time are planned again when their
    offset lies ahead of the new time.
    """
    now = now or timezone.now()
    result = PlanResult()
    with system_context(), transaction.atomic():
        # The session row's lock serializes planning: a change of the session (whose
        # service holds the lock already) and a re-plan after someone's choices changed
        # never plan the same session at once, and the latter sees the current status.
        current = (
            Session.objects.select_for_update(of=("self",))
            .filter(pk=session.pk)
            .values_list("status", "starts_at")
            .first()
        )
        if current is None:
            return result
        session.status, session.starts_at = current
        existing = {
            (row.recipient_id, row.channel, row.offset_minutes): row
            for row in Reminder.objects.select_for_update().filter(session=session)
        }
        active = session.status == SessionStatus.SCHEDULED and session.starts_at > now
        offsets = _coach_offsets(session.coach_id)
        recipients = _plan_recipients(session)
        wanted: dict[tuple[int, str, int], _Recipient] = {}
        if active:
            for recipient in recipients:
                for channel in recipient.channels:
                    for offset in offsets:
                        wanted[(recipient.user.pk, channel, offset)] = recipient

        to_create = []
        for key, recipient in wanted.items():
            offset = key[2]
            nominal = session.starts_at - timedelta(minutes=offset)
            row = existing.get(key)
            if row is None:
                reminder = Reminder(
                    session=session,
                    recipient=recipient.user,
                    channel=key[1],
                    offset_minutes=offset,
                    due_at=_due(session, offset, recipient, now),
                )
                if nominal <= now:
                    reminder.status = ReminderStatus.SKIPPED
                    reminder.status_reason = PAST_AT_BOOKING
                    reminder.due_at = nominal
                    result.skipped += 1
                else:
                    result.pending += 1
                to_create.append(reminder)
                result.created += 1
                continue
            # Pending rows follow the session; cancelled ones come back when wanted
            # again (a seat re-taken, a channel turned back on); sent and skipped
            # ones only when the session's time changed.
            if not (
                row.status in (ReminderStatus.PENDING, ReminderStatus.CANCELLED)
                or (rescheduled and row.status in (ReminderStatus.SENT, ReminderStatus.SKIPPED))
            ):
                continue
            if nominal > now:
                due = _due(session, offset, recipient, now)
                if row.status == ReminderStatus.PENDING and row.due_at == due:
                    continue
                row.status = ReminderStatus.PENDING
                row.status_reason = ""
                row.sent_at = None
                row.due_at = due
                result.pending += 1
            elif row.status == ReminderStatus.PENDING:
                row.status = ReminderStatus.SKIPPED
                row.status_reason = PAST_AT_RESCHEDULE if rescheduled else PAST_AT_BOOKING
                row.due_at = nominal
                result.skipped += 1
            else:
                continue
            row.save(update_fields=["status", "status_reason", "sent_at", "due_at", "updated_at"])

        people = {recipient.user.pk for recipient in recipients}
        for key, row in existing.items():
            if key in wanted or row.status != ReminderStatus.PENDING:
                continue
            user_id, _channel, offset = key
            if not active:
                reason = _ENDED_REASON.get(session.status, SESSION_STARTED)
            elif user_id not in people:
                reason = SEAT_RELEASED
            elif offset not in offsets:
                reason = OFFSET_REMOVED
            else:
                reason = CHANNEL_OFF
            row.status = ReminderStatus.CANCELLED
            row.status_reason = reason
            row.save(update_fields=["status", "status_reason", "updated_at"])
            result.cancelled += 1
        Reminder.objects.bulk_create(to_create)
    return result


def _upcoming(now: datetime) -> Any:
    return Session.objects.filter(status=SessionStatus.SCHEDULED, starts_at__gt=now).select_related(
        "coach", "client", "session_type"
    )


def reminders_replan_for_user(user: User, *, now: datetime | None = None) -> int:
    """Re-plan every upcoming scheduled session of ``user`` (their choices changed):
    as the coach, the client, or a seat holder. Returns how many were re-planned."""
    now = now or timezone.now()
    with system_context():
        seat_sessions = SessionSeat.objects.filter(client=user, status=SeatStatus.TAKEN).values(
            "session_id"
        )
        sessions = list(
            _upcoming(now).filter(Q(coach=user) | Q(client=user) | Q(pk__in=seat_sessions))
        )
        for session in sessions:
            reminders_plan(session, now=now)
    return len(sessions)


def reminders_replan_for_coach(coach: User, *, now: datetime | None = None) -> int:
    """Re-plan the coach's upcoming scheduled sessions (their reminder times changed)."""
    now = now or timezone.now()
    with system_context():
        sessions = list(_upcoming(now).filter(coach=coach))
        for session in sessions:
            reminders_plan(session, now=now)
    return len(sessions)


# --- Dispatch --------------------------------------------------------------------------------


@dataclass
class DispatchResult:
    sent: int = 0
    skipped: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"sent": self.sent, "skipped": self.skipped, "failed": self.failed}


def _queue(reminder: Reminder) -> None:
    """Tell the recipient of ``reminder`` (inside the caller's transaction).

    One notice per person, session, offset and sequence, whichever of that person's
    channel rows comes first: the rows of one offset fall due together, and the later
    ones find the notice already sent. The dispatcher picks the channels from the same
    choices planning read (``ReminderPreferences.email_reminders`` / ``sms_reminders``
    are the reminder row of the preferences matrix), so the rows here only say when.
    Urgent: the time was already moved earlier, out of the person's quiet hours.
    """
    notice_send(reminder_emails.reminder_notice(reminder))


def _dispatch_one(pk: int, now: datetime) -> str:
    """Queue one due reminder and mark it sent, in one transaction. Returns the outcome."""
    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("session__session_type", "session__coach", "session__client")
            .select_related("recipient")
            .filter(pk=pk, status=ReminderStatus.PENDING, due_at__lte=now)
            .first()
        )
        if reminder is None:
            return "taken"  # sent by another worker meanwhile, or locked by it now
        session = reminder.session
        reason = ""
        if session.status != SessionStatus.SCHEDULED:
            reason = _ENDED_REASON.get(session.status, SESSION_STARTED)
        elif session.starts_at <= now:
            reason = SESSION_STARTED
        elif reminder.channel == ReminderChannel.SMS and not (
            reminder.recipient.phone_verified_at and reminder.recipient.phone
        ):
            reason = PHONE_NOT_VERIFIED
        elif (
            Reminder.objects.filter(
                session=session,
                recipient=reminder.recipient_id,
                channel=reminder.channel,
                status=ReminderStatus.PENDING,
                offset_minutes__lt=reminder.offset_minutes,
                due_at__lte=now,
            )
            .exclude(pk=reminder.pk)
            .exists()
        ):
            # The worker was behind: a closer reminder on the same channel is due too,
            # so this earlier one would only repeat it.
            reason = SUPERSEDED
        if reason:
            reminder.status = ReminderStatus.SKIPPED
            reminder.status_reason = reason
            reminder.save(update_fields=["status", "status_reason", "updated_at"])
            return "skipped"
        _queue(reminder)
        reminder.status = ReminderStatus.SENT
        reminder.sent_at = now
        reminder.status_reason = ""
        reminder.save(update_fields=["status", "sent_at", "status_reason", "updated_at"])
    return "sent"


def reminders_dispatch(
    *, now: datetime | None = None, batch_size: int = 100, max_batches: int = 20
) -> DispatchResult:
    """Queue every reminder that is due (bounded by ``batch_size * max_batches``).

    Safe to run in several workers at once: each reminder is locked with
    ``SKIP LOCKED`` and re-checked as still pending in its own transaction, which
    also queues its message and marks it sent — a crash before the commit leaves it
    pending and queues nothing; after the commit it is sent and never picked again.
    """
    result = DispatchResult()
    with system_context():
        for _batch in range(max_batches):
            moment = now or timezone.now()
            ids = list(
                Reminder.objects.filter(status=ReminderStatus.PENDING, due_at__lte=moment)
                .order_by("due_at", "id")
                .values_list("pk", flat=True)[:batch_size]
            )
            progressed = False
            for pk in ids:
                try:
                    outcome = _dispatch_one(pk, moment)
                except Exception:
                    logger.exception("reminders.dispatch_failed", reminder_id=pk)
                    # A reminder that cannot be rendered would fail every round: it is
                    # set aside (visible, with its reason) instead of blocking the batch.
                    Reminder.objects.filter(pk=pk, status=ReminderStatus.PENDING).update(
                        status=ReminderStatus.SKIPPED, status_reason=SEND_FAILED
                    )
                    result.failed += 1
                    progressed = True
                    continue
                if outcome == "sent":
                    result.sent += 1
                    progressed = True
                elif outcome == "skipped":
                    result.skipped += 1
                    progressed = True
            if len(ids) < batch_size or not progressed:
                break
    if result.sent or result.skipped or result.failed:
        logger.info("reminders.dispatched", **result.as_dict())
    return result


def reminders_next_due_at() -> datetime | None:
    """When the next pending reminder is due, if any (the worker sleeps until then)."""
    with system_context():
        return (
            Reminder.objects.filter(status=ReminderStatus.PENDING)
            .order_by("due_at")
            .values_list("due_at", flat=True)
            .first()
        )


# --- Follow-up after a session ------------------------------------------------------------------


def _clients(session: Session) -> list[User]:
    if session.is_group:
        seats = SessionSeat.objects.filter(session=session, status=SeatStatus.TAKEN)
        return [seat.client for seat in seats.select_related("client").order_by("id")]
    return [session.client] if session.client is not None else []


def followup_plan(session: Session, *, now: datetime | None = None) -> list[OutboxMessage]:
    """Queue the follow-up of a completed session for each client, due after the delay.

    Inside the completion's transaction; the email itself is written when the message
    comes due (``deliver_followup``), so a summary written meanwhile is in it.
    """
    now = now or timezone.now()
    due = now + timedelta(minutes=settings.LOOM_FOLLOWUP_DELAY_MINUTES)
    messages = []
    with system_context():
        for client in _clients(session):
            messages.append(
                outbox_enqueue(
                    channel=FOLLOWUP_CHANNEL,
                    recipient=str(client.pk),
                    payload={"session_id": session.pk, "client_id": client.pk},
                    dedupe_key=f"followup:{session.pk}:{client.pk}",
                    available_at=due,
                )
            )
    return messages


def deliver_followup(message: OutboxMessage) -> None:
    """Outbox deliverer of ``session_followup``: tell the client now (a notice whose
    email is rendered now, with the summary as it is).

    Idempotent: the notice's source makes a redelivery queue nothing new.
    """
    with system_context():
        session = (
            Session.objects.select_related("session_type", "coach", "client")
            .filter(pk=message.payload.get("session_id"))
            .first()
        )
        client = User.objects.filter(pk=message.payload.get("client_id")).first()
        if session is None or client is None:
            raise OutboxPermanentError("The session or the client no longer exists.")
        if session.status != SessionStatus.COMPLETED:
            return
        notice_send(reminder_emails.followup_notice(session, client))


def register_outbox_channels() -> None:
    """Register the ``session_followup`` deliverer (called from an ``AppConfig.ready``)."""
    outbox_register_channel(FOLLOWUP_CHANNEL, deliver=deliver_followup)


def on_session_change(*, session: Session, event: SessionEvent) -> None:
    """The reminders' part of ``services._after_change``: re-plan, and follow up."""
    reminders_plan(
        session, rescheduled=event.kind == SessionEventKind.RESCHEDULED, now=event.occurred_at
    )
    if event.kind == SessionEventKind.COMPLETED:
        followup_plan(session, now=event.occurred_at)


# --- Reading (the session page panel) ------------------------------------------------------------


@dataclass
class ReminderLine:
    reminder: Reminder
    channel_label: str
    offset_label: str
    reason: str
    moved_for_quiet_hours: bool


@dataclass
class ClientReminderStatus:
    name: str
    sent: int = 0
    total: int = 0
    next_due_at: datetime | None = None
    lines: list[ReminderLine] = field(default_factory=list)


@dataclass
class ReminderPanel:
    own: list[ReminderLine]
    clients: list[ClientReminderStatus]
    is_coach: bool


def _line(reminder: Reminder) -> ReminderLine:
    nominal = reminder.session.starts_at - timedelta(minutes=reminder.offset_minutes)
    return ReminderLine(
        reminder=reminder,
        channel_label=str(ReminderChannel(reminder.channel).label),
        offset_label=offset_label(reminder.offset_minutes),
        reason=str(REASONS.get(reminder.status_reason, "")),
        moved_for_quiet_hours=(
            reminder.status == ReminderStatus.PENDING and reminder.due_at < nominal
        ),
    )


def reminder_panel_for(*, session: Session, user: User) -> ReminderPanel:
    """The viewer's own reminders of ``session``; for its coach, also each client's
    status (names only, never an address or number). One query."""
    if not user.is_authenticated:
        return ReminderPanel(own=[], clients=[], is_coach=False)
    is_coach = user.pk == session.coach_id
    rows = (
        Reminder.objects.filter(session=session)
        .select_related("recipient")
        .order_by("-offset_minutes", "channel", "id")
    )
    if not is_coach:
        rows = rows.filter(recipient=user)
    own: list[ReminderLine] = []
    clients: dict[int, ClientReminderStatus] = {}
    for row in rows:
        row.session = session
        if row.recipient_id == user.pk:
            own.append(_line(row))
            continue
        status = clients.setdefault(
            row.recipient_id,
            ClientReminderStatus(name=row.recipient.full_name or _("Client")),
        )
        status.lines.append(_line(row))
        if row.status in (ReminderStatus.SENT, ReminderStatus.PENDING):
            status.total += 1
        if row.status == ReminderStatus.SENT:
            status.sent += 1
        if row.status == ReminderStatus.PENDING and (
            status.next_due_at is None or row.due_at < status.next_due_at
        ):
            status.next_due_at = row.due_at
    return ReminderPanel(
        own=own, clients=sorted(clients.values(), key=lambda s: s.name), is_coach=is_coach
    )


# --- Preferences ---------------------------------------------------------------------------------


def reminder_preferences_for(user: User) -> ReminderPreferences:
    """The person's reminder choices (an unsaved default row when they never chose)."""
    row = ReminderPreferences.objects.filter(user=user).first()
    return row if row is not None else ReminderPreferences(user=user)


@transaction.atomic
def reminder_preferences_update(
    *,
    user: User,
    quiet_start: time | None,
    quiet_end: time | None,
    email_reminders: bool,
    sms_reminders: bool,
) -> ReminderPreferences:
    """Save the person's choices and re-plan their upcoming reminders.

    Quiet hours need both ends (or neither) and must differ; text messages need a
    verified phone number.
    """
    if not user.is_authenticated:
        raise ValidationError(_("Sign in to change your reminders."))
    if (quiet_start is None) != (quiet_end is None):
        field_name = "quiet_end" if quiet_end is None else "quiet_start"
        raise ValidationError(
            {field_name: _("Give both the start and the end of your quiet hours, or neither.")},
            code="quiet_hours_pair",
        )
    if quiet_start is not None and quiet_start == quiet_end:
        raise ValidationError(
            {"quiet_end": _("Quiet hours must end at a different time than they start.")},
            code="quiet_hours_empty",
        )
    if sms_reminders and not (user.phone_verified_at and user.phone):
        raise ValidationError(
            {"sms_reminders": _("Verify your phone number first to get text messages.")},
            code="phone_not_verified",
        )
    row = ReminderPreferences.objects.select_for_update().filter(user=user).first()
    if row is None:
        row = ReminderPreferences(user=user)
    row.quiet_start = quiet_start
    row.quiet_end = quiet_end
    row.email_reminders = email_reminders
    row.sms_reminders = sms_reminders
    row.save()
    reminders_replan_for_user(user)
    return row
