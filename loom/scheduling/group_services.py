"""Writes of group sessions: creating them, seats, and the waitlist.

A group session is a ``Session`` without a ``client`` whose ``capacity`` (copied from
a session type with more than one seat) bounds its taken ``SessionSeat`` rows. It
occupies the coach's time like any session: it is created under the coach's
scheduling lock, at a time the slot engine offers, and the exclusion constraint
covers it. The coach reschedules or cancels it with the ordinary ``session_reschedule``
/ ``session_cancel``; every seat holder is told.

Seats are taken and released under a lock on the session row (``SELECT … FOR UPDATE``),
so the count of taken seats read under that lock is the truth and the number of taken
seats never exceeds the capacity. Row-level security lets a client read only their
own seat, so the checks of who acts happen first (as that person) and the counting
and writing then run in the system context (see migration 0004's docstring).

The waitlist: a client may join only when no place is left. A freed seat is offered
to the first person waiting (``offered``), held for them for
``LOOM_WAITLIST_OFFER_HOURS`` but never past the session's start, and they are
told (a notice with an email) with a link to accept it. A live offer counts as a held
seat when anyone else tries to take one. ``waitlist_expire_offers``
(``loom waitlist_expire [--loop]``) expires the offers not accepted in time and offers
the seat to the next person.

Each seat change raises the session's ``sequence`` so that a calendar file sent to
someone who releases and later retakes a seat supersedes the earlier cancellation.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format, time_format
from django.utils.translation import gettext as _

from loom.accounts.models import Role, User
from loom.accounts.timezones import zone_named
from loom.core.context import system_context
from loom.core.email import email_payload
from loom.core.errors import Conflict, DomainError, Forbidden, NotFound
from loom.scheduling.emails import _language, _times, tell
from loom.scheduling.group_selectors import live_offer_q
from loom.scheduling.models import (
    SeatStatus,
    Session,
    SessionEventKind,
    SessionSeat,
    SessionStatus,
    SessionType,
    WaitlistEntry,
    WaitlistStatus,
)
from loom.scheduling.selectors import coach_zone
from loom.scheduling.services import (
    REASON_MAX,
    InvalidTransition,
    _active_link,
    _after_change,
    _audit,
    _aware,
    _check_slot,
    _cutoff,
    _lock_coach,
    _record,
    _text,
)
from loom.scheduling.video import meeting_url_for_new_session

OFFER_TEMPLATE = "scheduling/groups/email/offer"


class SessionFull(Conflict):
    """No place is left: taken seats and held offers fill the capacity."""

    title = "Session full"
    code = "session_full"


def _now(now: datetime | None) -> datetime:
    return _aware(now, field="now") if now is not None else timezone.now()


def _require_client(actor: User) -> None:
    if not actor.is_authenticated or actor.role != Role.CLIENT:
        raise Forbidden(_("Only clients can take a seat in a group session."), code="clients_only")


def _check_client_of(actor: User, session: Session) -> None:
    """The actor is a client of the session's coach and it is a group session."""
    _require_client(actor)
    if not session.is_group:
        raise NotFound(_("This group session does not exist."), code="not_a_group_session")
    if not _active_link(session.coach, actor):
        raise Forbidden(_("You can only join your own coach's sessions."), code="not_your_coach")


# --- Creating a group session ----------------------------------------------------------


@transaction.atomic
def group_session_create(
    *, actor: User, session_type: SessionType, starts_at: datetime, now: datetime | None = None
) -> Session:
    """Create a group session of ``session_type`` (capacity > 1) at ``starts_at``.

    The coach only, for their own active type, at a time the slot engine offers (the
    same rules as a booking); the session holds the coach's time like any other.
    """
    starts_at = _aware(starts_at)
    if not actor.is_authenticated or actor.role != Role.COACH:
        raise Forbidden(_("Only coaches can create group sessions."), code="coach_only")
    if session_type.coach_id != actor.pk or not session_type.is_active:
        raise NotFound(_("This session type is not available."), code="session_type_unavailable")
    if session_type.capacity <= 1:
        raise DomainError(
            _("Choose a session type with more than one seat for a group session."),
            code="not_a_group_type",
        )
    tz_name = coach_zone(actor).key
    _lock_coach(actor)
    now = _now(now)
    _check_slot(session_type=session_type, starts_at=starts_at, now=now)
    session = Session(
        coach=actor,
        client=None,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=session_type.duration_minutes),
        coach_timezone=tz_name,
        buffer_before_minutes=session_type.buffer_before_minutes,
        buffer_after_minutes=session_type.buffer_after_minutes,
        status=SessionStatus.SCHEDULED,
        capacity=session_type.capacity,
        meeting_url=meeting_url_for_new_session(coach=actor, session_type=session_type),
    )
    try:
        with transaction.atomic():
            session.save(force_insert=True)
    except IntegrityError:
        raise Conflict(
            _("This time was just taken. Choose another time."), code="slot_taken"
        ) from None
    event = _record(session, actor=actor, kind=SessionEventKind.BOOKED, now=now)
    _audit(actor, "group_created", session, starts_at=starts_at.isoformat())
    _after_change(session=session, event=event)
    return session


# --- Seats -----------------------------------------------------------------------------------


def _lock_session(session: Session) -> Session:
    """The session re-read under a row lock. Call in the system context."""
    locked = (
        Session.objects.select_for_update(of=("self",))
        .select_related("session_type", "coach")
        .filter(pk=session.pk)
        .first()
    )
    if locked is None:
        raise NotFound(_("This group session does not exist."), code="not_a_group_session")
    return locked


def _require_open(session: Session, now: datetime) -> None:
    if session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
        raise InvalidTransition(
            _("This group session is no longer open for seats."), code="session_closed"
        )


def _open_entry(session: Session, client: User) -> WaitlistEntry | None:
    return (
        WaitlistEntry.objects.select_for_update()
        .filter(
            session=session,
            client=client,
            status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED),
        )
        .first()
    )


def _places_left(session: Session, now: datetime, *, exclude_entry: int | None = None) -> int:
    taken = SessionSeat.objects.filter(session=session, status=SeatStatus.TAKEN).count()
    offers = WaitlistEntry.objects.filter(live_offer_q(now), session=session)
    if exclude_entry is not None:
        offers = offers.exclude(pk=exclude_entry)
    return session.capacity - taken - offers.count()


def _bump(session: Session) -> None:
    session.sequence += 1
    session.save(update_fields=["sequence", "updated_at"])


def _take(*, actor: User, session: Session, now: datetime, accepting: bool) -> SessionSeat:
    with system_context():
        locked = _lock_session(session)
        _require_open(locked, now)
        # An offer that ran out before the expiry job came by passes its seat to the next
        # person waiting now, so nobody can take it past the line in between.
        if (
            WaitlistEntry.objects.filter(session=locked, status=WaitlistStatus.OFFERED)
            .filter(_stale_offer_q(now))
            .update(status=WaitlistStatus.EXPIRED, updated_at=now)
        ):
            _offer_free_seats(locked, now)
        if SessionSeat.objects.filter(
            session=locked, client=actor, status=SeatStatus.TAKEN
        ).exists():
            raise Conflict(_("You already have a seat in this session."), code="already_seated")
        entry = _open_entry(locked, actor)
        live_offer = bool(
            entry is not None
            and entry.status == WaitlistStatus.OFFERED
            and entry.offer_expires_at is not None
            and entry.offer_expires_at > now
        )
        if accepting and not live_offer:
            expired = (
                entry is not None and entry.status == WaitlistStatus.OFFERED
            ) or WaitlistEntry.objects.filter(
                session=locked, client=actor, status=WaitlistStatus.EXPIRED
            ).exists()
            if expired:
                raise Conflict(
                    _("This offer has expired. The seat went to the next person waiting."),
                    code="offer_expired",
                )
            raise NotFound(_("You have no seat offer for this session."), code="no_offer")
        places = _places_left(locked, now, exclude_entry=entry.pk if live_offer and entry else None)
        if not live_offer:
            # The line comes first: a place is only free for whoever is not behind it.
            places -= (
                WaitlistEntry.objects.filter(session=locked, status=WaitlistStatus.WAITING)
                .exclude(client=actor)
                .count()
            )
        if places <= 0:
            raise SessionFull(_("This session is full — join the waitlist."))
        try:
            with transaction.atomic():
                seat = SessionSeat.objects.create(session=locked, client=actor)
        except IntegrityError:
            raise Conflict(
                _("You already have a seat in this session."), code="already_seated"
            ) from None
        if entry is not None:
            entry.status = WaitlistStatus.ACCEPTED
            entry.save(update_fields=["status", "updated_at"])
        _bump(locked)
        event = _record(locked, actor=actor, kind=SessionEventKind.SEAT_TAKEN, now=now)
        _after_change(session=locked, event=event)
    return seat


@transaction.atomic
def seat_take(*, actor: User, session: Session, now: datetime | None = None) -> SessionSeat:
    """Take a seat in a group session of the actor's coach, if a place is left.

    Raises ``SessionFull`` (409) when taken seats and held offers fill the capacity.
    """
    now = _now(now)
    _check_client_of(actor, session)
    return _take(actor=actor, session=session, now=now, accepting=False)


@transaction.atomic
def seat_release(
    *, actor: User, seat: SessionSeat, reason: str = "", now: datetime | None = None
) -> SessionSeat:
    """Give up one's own seat: frees exactly that seat and offers it to the waitlist.

    Inside the coach's cancellation cutoff the seat is flagged as a late cancellation.
    Only the person releasing (a calendar cancellation) and the coach are told.
    """
    reason = _text(reason, field="reason", max_length=REASON_MAX)
    now = _now(now)
    _require_client(actor)
    if seat.client_id != actor.pk:
        raise NotFound(_("This seat does not exist."), code="seat_not_found")
    with system_context():
        locked = _lock_session(seat.session)
        current = (
            SessionSeat.objects.select_for_update()
            .filter(pk=seat.pk, client=actor, status=SeatStatus.TAKEN)
            .first()
        )
        if current is None:
            raise Conflict(_("This seat was already released."), code="seat_released")
        _require_open(locked, now)
        current.status = SeatStatus.CANCELLED
        current.cancelled_at = now
        current.cancellation_reason = reason
        current.late_cancellation = locked.starts_at - now < _cutoff(locked.coach)
        current.save(
            update_fields=[
                "status",
                "cancelled_at",
                "cancellation_reason",
                "late_cancellation",
                "updated_at",
            ]
        )
        _bump(locked)
        event = _record(
            locked, actor=actor, kind=SessionEventKind.SEAT_RELEASED, now=now, reason=reason
        )
        _after_change(session=locked, event=event)
        _offer_free_seats(locked, now)
    return current


def release_places_of_former_client(*, coach: User, client: User, now: datetime) -> int:
    """The coach archived ``client``: give up their seats in the coach's upcoming group
    sessions (never flagged late: it was the coach's doing) and take them off those
    waitlists; each freed seat goes to the next person waiting. Returns the seats freed.
    """
    freed = 0
    with system_context():
        seats = list(
            SessionSeat.objects.filter(
                client=client,
                status=SeatStatus.TAKEN,
                session__coach=coach,
                session__status=SessionStatus.SCHEDULED,
                session__starts_at__gt=now,
            ).select_related("session")
        )
        for seat in seats:
            locked = _lock_session(seat.session)
            SessionSeat.objects.filter(pk=seat.pk, status=SeatStatus.TAKEN).update(
                status=SeatStatus.CANCELLED,
                cancelled_at=now,
                cancellation_reason=_("No longer a client of this coach."),
                updated_at=now,
            )
            _bump(locked)
            event = _record(locked, actor=coach, kind=SessionEventKind.SEAT_RELEASED, now=now)
            _after_change(session=locked, event=event, notify=False)
            _offer_free_seats(locked, now)
            freed += 1
        entries = WaitlistEntry.objects.filter(
            client=client,
            status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED),
            session__coach=coach,
        )
        held = list(
            Session.objects.filter(
                pk__in=entries.filter(status=WaitlistStatus.OFFERED).values("session_id")
            )
        )
        entries.update(status=WaitlistStatus.LEFT, updated_at=now)
        # A seat that was held for them goes to the next person waiting.
        for session in held:
            _offer_free_seats(_lock_session(session), now)
    return freed


# --- Waitlist ----------------------------------------------------------------------------


def _offer_hours() -> timedelta:
    return timedelta(hours=max(int(settings.LOOM_WAITLIST_OFFER_HOURS), 1))


def _offer_free_seats(session: Session, now: datetime) -> list[WaitlistEntry]:
    """Offer each free place to the next person waiting. Under the session lock, in
    the system context. A person no longer the coach's active client leaves the line."""
    if session.status != SessionStatus.SCHEDULED or session.starts_at <= now:
        return []
    offered: list[WaitlistEntry] = []
    free = _places_left(session, now)
    if free <= 0:
        return offered
    queue = (
        WaitlistEntry.objects.select_for_update()
        .select_related("client")
        .filter(session=session, status=WaitlistStatus.WAITING)
        .order_by("created_at", "id")
    )
    for entry in queue:
        if len(offered) >= free:
            break
        if not _active_link(session.coach, entry.client):
            entry.status = WaitlistStatus.LEFT
            entry.save(update_fields=["status", "updated_at"])
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offered_at = now
        entry.offer_expires_at = min(now + _offer_hours(), session.starts_at)
        entry.save(update_fields=["status", "offered_at", "offer_expires_at", "updated_at"])
        _notify_offer(entry, session)
        offered.append(entry)
    return offered


def _moment(value: datetime, zone: ZoneInfo) -> str:
    """ "Tuesday, June 2, 2026, 10 a.m. (Asia/Jerusalem)" in the active language."""
    local = value.astimezone(zone)
    return (
        f"{date_format(local, 'l')}, {date_format(local, 'DATE_FORMAT')}, "
        f"{time_format(local, 'TIME_FORMAT')} ({zone.key})"
    )


def _notify_offer(entry: WaitlistEntry, session: Session) -> None:
    """Tell the person offered a seat (a notice with the email), in their language and
    zone, with the link."""
    recipient = entry.client
    language = _language(recipient)
    coach_tz = zone_named(session.coach_timezone)
    if entry.offered_at is None or entry.offer_expires_at is None:
        return
    with translation.override(language):
        own = zone_named(recipient.timezone)
        context: dict[str, Any] = {
            "user_name": recipient.full_name,
            "type_name": session.session_type.name,
            "coach_name": session.coach.display_name,
            "expires": _moment(entry.offer_expires_at, own),
            "url": settings.LOOM_BASE_URL.rstrip("/")
            + reverse("scheduling_groups:client_detail", args=[session.pk]),
            **_times(session.starts_at, session.ends_at, recipient=recipient, coach_zone=coach_tz),
        }
    with translation.override(language):
        title = _("A seat is free for you: %(type)s") % {"type": context["type_name"]}
        body = _("Accept it before %(expires)s.") % {"expires": context["expires"]}
    email = email_payload(
        template=OFFER_TEMPLATE, context=context, language=language, time_zone=recipient.timezone
    )
    # Told as an answer to the person's wish to attend. Urgent: the seat is held for
    # hours only, and quiet hours could outlast the offer.
    tell(
        recipient=recipient,
        kind="session_approved",
        source=f"waitlist:{entry.pk}:offer:{entry.offered_at.isoformat()}",
        title=title,
        body=body,
        url=reverse("scheduling_groups:client_detail", args=[session.pk]),
        email=email,
        urgent=True,
    )


@transaction.atomic
def waitlist_join(*, actor: User, session: Session, now: datetime | None = None) -> WaitlistEntry:
    """Join the waitlist of a full group session (at the end of the line)."""
    now = _now(now)
    _check_client_of(actor, session)
    with system_context():
        locked = _lock_session(session)
        _require_open(locked, now)
        if SessionSeat.objects.filter(
            session=locked, client=actor, status=SeatStatus.TAKEN
        ).exists():
            raise Conflict(_("You already have a seat in this session."), code="already_seated")
        if _open_entry(locked, actor) is not None:
            raise Conflict(_("You are already on the waitlist."), code="already_waiting")
        if _places_left(locked, now) > 0:
            raise Conflict(
                _("There are places left in this session: take a seat instead."), code="not_full"
            )
        try:
            with transaction.atomic():
                entry = WaitlistEntry.objects.create(session=locked, client=actor)
        except IntegrityError:
            raise Conflict(_("You are already on the waitlist."), code="already_waiting") from None
    return entry


@transaction.atomic
def waitlist_leave(*, actor: User, session: Session, now: datetime | None = None) -> WaitlistEntry:
    """Leave the waitlist (or decline an offer); a declined seat goes to the next person."""
    now = _now(now)
    _require_client(actor)
    with system_context():
        locked = _lock_session(session)
        entry = _open_entry(locked, actor)
        if entry is None:
            raise NotFound(_("You are not on the waitlist of this session."), code="not_waiting")
        was_offered = entry.status == WaitlistStatus.OFFERED
        entry.status = WaitlistStatus.LEFT
        entry.save(update_fields=["status", "updated_at"])
        if was_offered:
            _offer_free_seats(locked, now)
    return entry


@transaction.atomic
def waitlist_accept(*, actor: User, session: Session, now: datetime | None = None) -> SessionSeat:
    """Take the seat offered to the actor, while the offer lasts."""
    now = _now(now)
    _check_client_of(actor, session)
    return _take(actor=actor, session=session, now=now, accepting=True)


def _stale_offer_q(now: datetime) -> Q:
    """Offers past their time, or whose session has started (it may have been moved
    earlier than the offer's end)."""
    return Q(offer_expires_at__lte=now) | Q(session__starts_at__lte=now)


def waitlist_expire_offers(*, now: datetime | None = None) -> int:
    """Expire the offers not accepted by ``now`` and offer those seats onwards.

    One transaction per session, under its lock; safe to run twice or concurrently
    (an offer already handled no longer matches). Returns the number expired.
    """
    now = _now(now)
    with system_context():
        session_ids = list(
            WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED)
            .filter(_stale_offer_q(now))
            .values_list("session_id", flat=True)
            .distinct()
        )
    expired = 0
    for session_id in sorted(set(session_ids)):
        with transaction.atomic(), system_context():
            locked = Session.objects.select_for_update(of=("self",)).filter(pk=session_id).first()
            if locked is None:
                continue
            expired += (
                WaitlistEntry.objects.filter(session=locked, status=WaitlistStatus.OFFERED)
                .filter(_stale_offer_q(now))
                .update(status=WaitlistStatus.EXPIRED, updated_at=now)
            )
            _offer_free_seats(locked, now)
    return expired
