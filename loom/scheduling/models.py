"""Scheduling: session types, a coach's availability, sessions and their history.

Times of day (availability) are wall-clock times in the coach's time zone; instants
(sessions) are aware UTC datetimes. See docs/scheduling.md for the rules.

On PostgreSQL an exclusion constraint (added in ``0001_initial``, not declared in
``Meta`` because SQLite cannot create it) forbids two active sessions of one coach
whose bare time ranges overlap. Buffers are not part of that constraint: the
services enforce them while holding the coach's scheduling lock.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from loom.core.fields import EncryptedTextField
from loom.core.models import TimeStampedModel

DURATION_MIN = 15
DURATION_MAX = 480
BUFFER_MAX = 240
HORIZON_MAX_DAYS = 365
NOTICE_MAX_MINUTES = 60 * 24 * 60
CUTOFF_MAX_HOURS = 24 * 14


class Weekday(models.IntegerChoices):
    """ISO order, Monday first (``date.weekday()``)."""

    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class LocationKind(models.TextChoices):
    VIDEO = "video", _("Video call")
    IN_PERSON = "in_person", _("In person")
    PHONE = "phone", _("Phone call")


class BookingMode(models.TextChoices):
    SELF_BOOK = "self_book", _("Clients book directly")
    REQUEST = "request", _("Clients request, the coach approves")


REMINDER_OFFSETS_MAX = 3
REMINDER_OFFSET_MIN = 5
REMINDER_OFFSET_MAX = 60 * 24 * 14


def default_reminder_offsets() -> list[int]:
    return [24 * 60, 60]


class CoachSchedulingSettings(TimeStampedModel):
    """One row per coach: the cancellation policy, and the row locked while booking.

    Every booking, approval and reschedule for a coach takes ``SELECT … FOR UPDATE``
    on this row first, so checks of caps, overlaps and buffers see every committed
    session and no other booking for the coach runs between the check and the write.
    """

    coach = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="scheduling_settings",
        verbose_name=_("coach"),
    )
    cancellation_cutoff_hours = models.PositiveSmallIntegerField(
        _("cancellation cutoff (hours)"), default=24
    )
    # Minutes before a session at which reminders go out; at most three, each between
    # REMINDER_OFFSET_MIN and REMINDER_OFFSET_MAX (checked by the services).
    reminder_offsets_minutes = models.JSONField(
        _("reminders (minutes before)"), default=default_reminder_offsets
    )
    # The coach's own meeting link for video sessions; empty means a Jitsi room per session.
    own_meeting_url = models.URLField(_("your own meeting link"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("coach scheduling settings")
        verbose_name_plural = _("coach scheduling settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(cancellation_cutoff_hours__lte=CUTOFF_MAX_HOURS),
                name="scheduling_cutoff_bounded",
            )
        ]

    def __str__(self) -> str:
        return f"Scheduling settings of {self.coach_id}"


class SessionType(TimeStampedModel):
    """A kind of session a coach offers, with the rules for booking it."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="session_types",
        verbose_name=_("coach"),
    )
    name_en = models.CharField(_("name (English)"), max_length=120)
    name_he = models.CharField(_("name (Hebrew)"), max_length=120, blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    description_he = models.TextField(_("description (Hebrew)"), blank=True)
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=60)
    # Shown to clients only; payments are a later step.
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2, default=0)
    currency = models.CharField(_("currency"), max_length=3, default="USD")
    location_kind = models.CharField(
        _("location"), max_length=16, choices=LocationKind.choices, default=LocationKind.VIDEO
    )
    address = models.CharField(_("address"), max_length=300, blank=True)
    buffer_before_minutes = models.PositiveSmallIntegerField(
        _("buffer before (minutes)"), default=0
    )
    buffer_after_minutes = models.PositiveSmallIntegerField(_("buffer after (minutes)"), default=0)
    minimum_notice_minutes = models.PositiveIntegerField(_("minimum notice (minutes)"), default=240)
    booking_horizon_days = models.PositiveSmallIntegerField(_("booking horizon (days)"), default=60)
    # Caps count the coach's active sessions of every type on the day / ISO week
    # (Monday to Sunday) in the coach's time zone. Empty means no cap.
    max_sessions_per_day = models.PositiveSmallIntegerField(
        _("maximum sessions per day"), null=True, blank=True
    )
    max_sessions_per_week = models.PositiveSmallIntegerField(
        _("maximum sessions per week"), null=True, blank=True
    )
    booking_mode = models.CharField(
        _("booking mode"), max_length=16, choices=BookingMode.choices, default=BookingMode.SELF_BOOK
    )
    # 1 is a one-to-one session; more makes a group session with that many seats.
    capacity = models.PositiveSmallIntegerField(_("capacity"), default=1)
    colour = models.CharField(_("colour"), max_length=7, default="#2563eb")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("session type")
        verbose_name_plural = _("session types")
        ordering = ["name_en", "id"]
        indexes = [models.Index(fields=["coach", "is_active"], name="sessiontype_coach_active")]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gte=DURATION_MIN)
                & Q(duration_minutes__lte=DURATION_MAX),
                name="sessiontype_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(buffer_before_minutes__lte=BUFFER_MAX)
                & Q(buffer_after_minutes__lte=BUFFER_MAX),
                name="sessiontype_buffers_bounded",
            ),
            models.CheckConstraint(
                condition=Q(booking_horizon_days__gte=1)
                & Q(booking_horizon_days__lte=HORIZON_MAX_DAYS),
                name="sessiontype_horizon_range",
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="sessiontype_capacity_min"),
            models.CheckConstraint(condition=Q(price__gte=0), name="sessiontype_price_nonnegative"),
            models.CheckConstraint(
                condition=~Q(location_kind=LocationKind.IN_PERSON) | ~Q(address=""),
                name="sessiontype_in_person_has_address",
            ),
        ]

    def __str__(self) -> str:
        return self.name_en

    @property
    def name(self) -> str:
        """The name in the active language, falling back to English."""
        if (get_language() or "").startswith("he") and self.name_he:
            return self.name_he
        return self.name_en

    @property
    def description(self) -> str:
        if (get_language() or "").startswith("he") and self.description_he:
            return self.description_he
        return self.description_en


class WeeklyAvailability(TimeStampedModel):
    """A recurring range of working hours on one weekday, in the coach's time zone."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="weekly_availability",
        verbose_name=_("coach"),
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start_time = models.TimeField(_("from"))
    end_time = models.TimeField(_("until"))

    class Meta:
        verbose_name = _("weekly availability")
        verbose_name_plural = _("weekly availability")
        ordering = ["weekday", "start_time"]
        indexes = [models.Index(fields=["coach", "weekday"], name="weeklyavail_coach_weekday")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_time__gt=F("start_time")), name="weeklyavail_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="weeklyavail_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"{self.coach_id} {self.weekday} {self.start_time}-{self.end_time}"


class OverrideKind(models.TextChoices):
    EXTRA = "extra", _("Extra hours")
    UNAVAILABLE_DAY = "unavailable_day", _("Unavailable all day")
    UNAVAILABLE_RANGE = "unavailable_range", _("Unavailable for part of the day")


class AvailabilityOverride(TimeStampedModel):
    """A change to one date: extra hours, or time off for the whole day or part of it."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="availability_overrides",
        verbose_name=_("coach"),
    )
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=OverrideKind.choices)
    start_time = models.TimeField(_("from"), null=True, blank=True)
    end_time = models.TimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("availability override")
        verbose_name_plural = _("availability overrides")
        ordering = ["date", "start_time"]
        indexes = [models.Index(fields=["coach", "date"], name="override_coach_date")]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(kind=OverrideKind.UNAVAILABLE_DAY)
                    & Q(start_time__isnull=True)
                    & Q(end_time__isnull=True)
                )
                | (
                    ~Q(kind=OverrideKind.UNAVAILABLE_DAY)
                    & Q(start_time__isnull=False)
                    & Q(end_time__gt=F("start_time"))
                ),
                name="override_times_match_kind",
            )
        ]

    def __str__(self) -> str:
        return f"{self.coach_id} {self.date} {self.kind}"


class SessionStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    SCHEDULED = "scheduled", _("Scheduled")
    IN_PROGRESS = "in_progress", _("In progress")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("No-show")
    CANCELLED = "cancelled", _("Cancelled")
    DECLINED = "declined", _("Declined")


# Sessions that hold their time: the exclusion constraint and every overlap and cap
# check consider these and only these.
ACTIVE_STATUSES = (SessionStatus.REQUESTED, SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS)


def new_session_uid() -> str:
    return f"{uuid.uuid4()}@loom"


class Session(TimeStampedModel):
    """One booked (or requested) session: a coach with a client, or a group with seats.

    A one-to-one session has ``client`` and ``capacity`` 1. A group session has no
    ``client``; its attendees hold ``SessionSeat`` rows, at most ``capacity`` taken.
    """

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="coach_sessions",
        verbose_name=_("coach"),
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="client_sessions",
        verbose_name=_("client"),
        null=True,
        blank=True,
    )
    session_type = models.ForeignKey(
        SessionType,
        on_delete=models.PROTECT,
        related_name="sessions",
        verbose_name=_("session type"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # The coach's zone when booked: the wall-clock time both parties agreed on.
    coach_timezone = models.CharField(_("coach's time zone"), max_length=64)
    # The type's buffers when booked, so later edits of the type do not move the
    # protected time around sessions that already exist.
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(
        _("status"), max_length=16, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cancelled by"),
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason"), blank=True)
    late_cancellation = models.BooleanField(_("late cancellation"), default=False)
    # RFC 5545: UID stays for the life of the session; SEQUENCE grows with each change.
    uid = models.CharField(max_length=80, unique=True, default=new_session_uid, editable=False)
    sequence = models.PositiveIntegerField(default=0)
    # Seats: 1 for one-to-one; the type's capacity, copied at creation, for a group.
    capacity = models.PositiveSmallIntegerField(_("seats"), default=1)
    # Remote sessions: a Jitsi room on LOOM_JITSI_BASE_URL, or the coach's own link.
    meeting_url = models.URLField(_("meeting link"), max_length=500, blank=True)
    # Sessions booked together as a weekly series share this id; each stays a session
    # of its own (own UID, own changes), so one can move without touching the others.
    series = models.UUIDField(_("series"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(
                fields=["coach", "status", "starts_at"], name="session_coach_status_start"
            ),
            models.Index(fields=["client", "starts_at"], name="session_client_start"),
            models.Index(fields=["coach", "starts_at"], name="session_coach_start"),
            # Analytics: sessions of every coach in a week (the session KPIs).
            models.Index(fields=["starts_at"], name="session_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="session_ends_after_start"
            ),
            models.CheckConstraint(
                condition=~Q(coach=F("client")), name="session_coach_is_not_client"
            ),
            models.CheckConstraint(
                condition=(Q(capacity=1) & Q(client__isnull=False))
                | (Q(capacity__gt=1) & Q(client__isnull=True)),
                name="session_client_or_seats",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def is_group(self) -> bool:
        return self.capacity > 1


class SessionEventKind(models.TextChoices):
    BOOKED = "booked", _("Booked")
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    RESCHEDULED = "rescheduled", _("Rescheduled")
    CANCELLED = "cancelled", _("Cancelled")
    STARTED = "started", _("Started")
    COMPLETED = "completed", _("Completed")
    NO_SHOW = "no_show", _("Marked as no-show")
    SEAT_TAKEN = "seat_taken", _("Seat taken")
    SEAT_RELEASED = "seat_released", _("Seat released")


class SessionEvent(models.Model):
    """One line of a session's history: who did what, when, and from/to which time."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="events", verbose_name=_("session")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    occurred_at = models.DateTimeField(_("when"))
    kind = models.CharField(_("what"), max_length=16, choices=SessionEventKind.choices)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    old_ends_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)
    new_ends_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("session event")
        verbose_name_plural = _("session events")
        ordering = ["occurred_at", "id"]
        indexes = [
            models.Index(fields=["session", "occurred_at"], name="sessionevent_session_time")
        ]

    def __str__(self) -> str:
        return f"{self.session_id} {self.kind}"


# --- Group sessions ---------------------------------------------------------------------


class SeatStatus(models.TextChoices):
    TAKEN = "taken", _("Taken")
    CANCELLED = "cancelled", _("Cancelled")


class SessionSeat(TimeStampedModel):
    """One attendee's place in a group session.

    Seats are taken under a lock on the session row, so the count of taken seats
    never exceeds the session's capacity; a person holds at most one taken seat.
    """

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="seats", verbose_name=_("session")
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="session_seats",
        verbose_name=_("client"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=SeatStatus.choices, default=SeatStatus.TAKEN
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancellation_reason = models.TextField(_("reason"), blank=True)
    late_cancellation = models.BooleanField(_("late cancellation"), default=False)

    class Meta:
        verbose_name = _("seat")
        verbose_name_plural = _("seats")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "status"], name="seat_session_status"),
            models.Index(fields=["client", "status"], name="seat_client_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"],
                condition=Q(status="taken"),
                name="seat_one_taken_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"Seat {self.pk} of session {self.session_id}"


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Seat offered")
    ACCEPTED = "accepted", _("Accepted")
    EXPIRED = "expired", _("Offer expired")
    LEFT = "left", _("Left the waitlist")


class WaitlistEntry(TimeStampedModel):
    """A person waiting for a seat in a full group session, in order of joining.

    When a seat frees up, the first waiting person is offered it until
    ``offer_expires_at`` (``LOOM_WAITLIST_OFFER_HOURS``); an offer not accepted by
    then expires and the next person is offered the seat.
    """

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="waitlist", verbose_name=_("session")
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="waitlist_entries",
        verbose_name=_("client"),
    )
    status = models.CharField(
        _("status"), max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    offered_at = models.DateTimeField(_("offered at"), null=True, blank=True)
    offer_expires_at = models.DateTimeField(_("offer expires at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waitlist entry")
        verbose_name_plural = _("waitlist entries")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["session", "status", "created_at"], name="waitlist_session_queue"),
            models.Index(fields=["status", "offer_expires_at"], name="waitlist_offer_expiry"),
            models.Index(fields=["client", "status"], name="waitlist_client_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"],
                condition=Q(status__in=["waiting", "offered"]),
                name="waitlist_one_open_entry_per_client",
            )
        ]

    def __str__(self) -> str:
        return f"Waitlist {self.pk} of session {self.session_id}"


# --- Notes and homework -----------------------------------------------------------------


class SessionPrivateNote(TimeStampedModel):
    """The coach's own notes on a session: encrypted, and never shown to a client.

    A table of its own so row-level security can give clients no policy on it at all.
    """

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="private_note", verbose_name=_("session")
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("coach"),
    )
    body = EncryptedTextField(_("private notes"), blank=True)

    class Meta:
        verbose_name = _("private note")
        verbose_name_plural = _("private notes")

    def __str__(self) -> str:
        return f"Private note on session {self.session_id}"


class SessionSummary(TimeStampedModel):
    """What the coach shares after a session: seen by the client (or every attendee)."""

    session = models.OneToOneField(
        Session, on_delete=models.CASCADE, related_name="summary", verbose_name=_("session")
    )
    body = EncryptedTextField(_("shared summary"), blank=True)
    shared_at = models.DateTimeField(_("shared at"), null=True, blank=True)

    class Meta:
        verbose_name = _("session summary")
        verbose_name_plural = _("session summaries")

    def __str__(self) -> str:
        return f"Summary of session {self.session_id}"


class ClientSessionReflection(TimeStampedModel):
    """A client's preparation before a session and reflection after it.

    Written by the client; read by the client and their coach.
    """

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="reflections", verbose_name=_("session")
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("client"),
    )
    preparation = EncryptedTextField(_("preparation"), blank=True)
    reflection = EncryptedTextField(_("reflection"), blank=True)

    class Meta:
        verbose_name = _("preparation and reflection")
        verbose_name_plural = _("preparations and reflections")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "client"], name="reflection_one_per_client_session"
            )
        ]

    def __str__(self) -> str:
        return f"Reflection of {self.client_id} on session {self.session_id}"


class ActionItem(TimeStampedModel):
    """Homework agreed in a session: the client sees it on their home until done."""

    session = models.ForeignKey(
        Session,
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("session"),
    )
    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("coach"),
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="action_items",
        verbose_name=_("client"),
    )
    title = models.CharField(_("action item"), max_length=200)
    details = EncryptedTextField(_("details"), blank=True)
    due_on = models.DateField(_("due"), null=True, blank=True)
    completed_at = models.DateTimeField(_("done at"), null=True, blank=True)

    class Meta:
        verbose_name = _("action item")
        verbose_name_plural = _("action items")
        ordering = ["due_on", "id"]
        indexes = [
            models.Index(
                fields=["client", "completed_at", "due_on"], name="actionitem_client_open"
            ),
            models.Index(fields=["session"], name="actionitem_session"),
        ]

    def __str__(self) -> str:
        return self.title


def attachment_path(instance: SessionAttachment, filename: str) -> str:
    # A random name on disk: the sanitized original name is kept in the row only.
    return f"sessions/{instance.session_id}/{uuid.uuid4().hex}"


class SessionAttachment(TimeStampedModel):
    """A file shared on a session by the coach or the client, validated on upload."""

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="attachments", verbose_name=_("session")
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    file = models.FileField(_("file"), upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("size"))

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["session", "created_at"], name="attachment_session")]

    def __str__(self) -> str:
        return self.original_name


# --- Reminders and calendars ------------------------------------------------------------


class ReminderChannel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("Text message")
    IN_APP = "in_app", _("In Loom")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("Scheduled")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    CANCELLED = "cancelled", _("Cancelled")


class Reminder(TimeStampedModel):
    """One reminder of one session to one person on one channel at one offset.

    Rows are created with the session and re-planned on every change: a reschedule
    moves pending rows, a cancellation cancels them. The worker claims due rows with
    ``SKIP LOCKED`` and marks each sent in the transaction that queues its message,
    so a reminder is queued at most once (see docs/scheduling.md, Reminders).
    """

    session = models.ForeignKey(
        Session, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("session")
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminders",
        verbose_name=_("recipient"),
    )
    channel = models.CharField(_("channel"), max_length=8, choices=ReminderChannel.choices)
    offset_minutes = models.PositiveIntegerField(_("minutes before"))
    # When it should go out: the session's start minus the offset, moved out of the
    # recipient's quiet hours.
    due_at = models.DateTimeField(_("due"))
    status = models.CharField(
        _("status"), max_length=12, choices=ReminderStatus.choices, default=ReminderStatus.PENDING
    )
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # Why a reminder was skipped or cancelled, as a short code (see docs/scheduling.md).
    status_reason = models.CharField(_("reason"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        ordering = ["due_at", "id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="reminder_due"),
            models.Index(fields=["session", "status"], name="reminder_session_status"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "recipient", "channel", "offset_minutes"],
                name="reminder_one_per_offset",
            )
        ]

    def __str__(self) -> str:
        return f"Reminder {self.pk} ({self.channel}, {self.status})"


class ReminderPreferences(TimeStampedModel):
    """A person's reminder choices: quiet hours in their own zone, and text messages.

    Quiet hours run from ``quiet_start`` to ``quiet_end`` (across midnight when the
    end is earlier); both empty means none. SMS needs a verified phone as well.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="reminder_preferences",
        verbose_name=_("person"),
    )
    quiet_start = models.TimeField(_("quiet hours from"), null=True, blank=True)
    quiet_end = models.TimeField(_("quiet hours until"), null=True, blank=True)
    email_reminders = models.BooleanField(_("reminders by email"), default=True)
    sms_reminders = models.BooleanField(_("reminders by text message"), default=False)

    class Meta:
        verbose_name = _("reminder preferences")
        verbose_name_plural = _("reminder preferences")
        constraints = [
            models.CheckConstraint(
                condition=(Q(quiet_start__isnull=True) & Q(quiet_end__isnull=True))
                | (Q(quiet_start__isnull=False) & Q(quiet_end__isnull=False)),
                name="reminderprefs_quiet_hours_pair",
            )
        ]

    def __str__(self) -> str:
        return f"Reminder preferences of {self.user_id}"


class CalendarFeed(TimeStampedModel):
    """A private calendar subscription URL: the token is shown once, stored hashed.

    Revoking sets ``revoked_at``; a new feed gets a new token, so an old URL stops
    working at once.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feeds",
        verbose_name=_("person"),
    )
    token_hash = models.CharField(max_length=64, unique=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_fetched_at = models.DateTimeField(_("last fetched"), null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")
        verbose_name_plural = _("calendar feeds")
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(revoked_at__isnull=True), name="feed_one_active"
            )
        ]

    def __str__(self) -> str:
        return f"Calendar feed {self.pk} of {self.user_id}"
