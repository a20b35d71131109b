"""Reads of group sessions, seats and waitlists, scoped to the person asking.

A client sees the group sessions of their active coaches and their own seat and
waitlist entry; of everyone else only numbers (seats taken, places left), which are
counted in the system context because row-level security rightly hides other
people's seats from a client. A coach sees every attendee and waitlist entry of their
own group sessions, with names. Nobody else sees anything (``Http404``).

Places left = capacity − taken seats − live offers: a seat offered to someone on the
waitlist is held for them until the offer expires.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import CoachClient, Role, User
from loom.core.context import system_context
from loom.scheduling.models import (
    ACTIVE_STATUSES,
    SeatStatus,
    Session,
    SessionSeat,
    SessionStatus,
    SessionType,
    WaitlistEntry,
    WaitlistStatus,
)


@dataclass(frozen=True)
class SeatCounts:
    """Numbers only: safe to show a client."""

    capacity: int
    taken: int = 0
    held: int = 0
    waiting: int = 0

    @property
    def places_left(self) -> int:
        return max(self.capacity - self.taken - self.held, 0)

    @property
    def is_full(self) -> bool:
        return self.places_left == 0


def live_offer_q(now: datetime) -> Q:
    """Waitlist entries whose offer still holds a seat at ``now``."""
    return Q(status=WaitlistStatus.OFFERED, offer_expires_at__gt=now)


def seat_counts(session_ids: Iterable[int], *, now: datetime) -> dict[int, dict[str, int]]:
    """Taken seats, live offers and waiting entries per session (two queries).

    System context: the caller has already established that the user may see the
    sessions; only numbers leave this function.
    """
    ids = list(session_ids)
    counts: dict[int, dict[str, int]] = {pk: {"taken": 0, "held": 0, "waiting": 0} for pk in ids}
    if not ids:
        return counts
    with system_context():
        for session_id, taken in (
            SessionSeat.objects.filter(session_id__in=ids, status=SeatStatus.TAKEN)
            .values("session_id")
            .annotate(n=Count("id"))
            .values_list("session_id", "n")
        ):
            counts[session_id]["taken"] = taken
        for session_id, held, waiting in (
            WaitlistEntry.objects.filter(session_id__in=ids)
            .values("session_id")
            .annotate(
                held=Count("id", filter=live_offer_q(now)),
                waiting=Count("id", filter=Q(status=WaitlistStatus.WAITING)),
            )
            .values_list("session_id", "held", "waiting")
        ):
            counts[session_id]["held"] = held
            counts[session_id]["waiting"] = waiting
    return counts


def _counts_for(session: Session, numbers: dict[str, int]) -> SeatCounts:
    return SeatCounts(
        capacity=session.capacity,
        taken=numbers["taken"],
        held=numbers["held"],
        waiting=numbers["waiting"],
    )


def _active_coach_ids(client: User) -> QuerySet[CoachClient, int]:
    return CoachClient.objects.filter(client=client, status=CoachClient.Status.ACTIVE).values_list(
        "coach_id", flat=True
    )


def group_types_for_coach(coach: User) -> list[SessionType]:
    """The coach's active session types with more than one seat (one query)."""
    return list(
        SessionType.objects.filter(coach=coach, is_active=True, capacity__gt=1).order_by(
            "name_en", "id"
        )
    )


def _upcoming_groups(now: datetime) -> QuerySet[Session]:
    return (
        Session.objects.select_related("coach", "session_type")
        .filter(capacity__gt=1, status__in=ACTIVE_STATUSES, ends_at__gt=now)
        .order_by("starts_at", "id")
    )


@dataclass(frozen=True)
class GroupRow:
    """A group session in a list, with its numbers and (for a client) their place."""

    session: Session
    counts: SeatCounts
    my_seat: SessionSeat | None = None
    my_entry: WaitlistEntry | None = None


def coach_group_sessions(
    coach: User, *, now: datetime | None = None, limit: int = 100
) -> list[GroupRow]:
    """The coach's upcoming group sessions with seat and waitlist numbers (3 queries)."""
    now = now or timezone.now()
    if not coach.is_authenticated or coach.role != Role.COACH:
        return []
    sessions = list(_upcoming_groups(now).filter(coach=coach)[:limit])
    counts = seat_counts((s.pk for s in sessions), now=now)
    return [GroupRow(session=s, counts=_counts_for(s, counts[s.pk])) for s in sessions]


def client_group_sessions(
    client: User, *, now: datetime | None = None, limit: int = 100
) -> list[GroupRow]:
    """The upcoming group sessions of the client's active coaches, with places left
    and the client's own seat and waitlist entry (5 queries, whatever the count)."""
    now = now or timezone.now()
    if not client.is_authenticated or client.role != Role.CLIENT:
        return []
    sessions = list(
        _upcoming_groups(now)
        .filter(status=SessionStatus.SCHEDULED, coach__in=_active_coach_ids(client))
        .filter(starts_at__gt=now)[:limit]
    )
    ids = [s.pk for s in sessions]
    counts = seat_counts(ids, now=now)
    seats = {
        seat.session_id: seat
        for seat in SessionSeat.objects.filter(
            session_id__in=ids, client=client, status=SeatStatus.TAKEN
        )
    }
    entries = {
        entry.session_id: entry
        for entry in WaitlistEntry.objects.filter(
            session_id__in=ids,
            client=client,
            status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED),
        )
    }
    return [
        GroupRow(
            session=s,
            counts=_counts_for(s, counts[s.pk]),
            my_seat=seats.get(s.pk),
            my_entry=entries.get(s.pk),
        )
        for s in sessions
    ]


def get_group_session_for_user(user: User, session_id: Any) -> Session:
    """A group session the user may see: the coach's own, or (for a client) one of
    their active coach's, or one they hold a seat or waitlist entry in. Else ``Http404``."""
    try:
        pk = int(session_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not user.is_authenticated or not -(2**63) <= pk < 2**63:
        raise Http404
    queryset = Session.objects.select_related("coach", "session_type").filter(pk=pk, capacity__gt=1)
    if user.role == Role.COACH:
        queryset = queryset.filter(coach=user)
    elif user.role == Role.CLIENT:
        queryset = queryset.filter(coach__in=_active_coach_ids(user))
    else:
        raise Http404
    session = queryset.first()
    if session is None:
        raise Http404
    return session


def get_seat_for_client(client: User, seat_id: Any) -> SessionSeat:
    """The client's own taken seat; else ``Http404``."""
    try:
        pk = int(seat_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not client.is_authenticated or not -(2**63) <= pk < 2**63:
        raise Http404
    seat = (
        SessionSeat.objects.select_related("session", "session__coach", "session__session_type")
        .filter(pk=pk, client=client, status=SeatStatus.TAKEN)
        .first()
    )
    if seat is None:
        raise Http404
    return seat


def holds_seat(client: User, session: Session) -> bool:
    """Whether ``client`` holds a taken seat in ``session`` (one query)."""
    return SessionSeat.objects.filter(
        session=session, client=client, status=SeatStatus.TAKEN
    ).exists()


# --- The session page's groups panel ----------------------------------------------------


@dataclass
class GroupPanel:
    """What ``{% session_group_panel %}`` shows one viewer of one group session."""

    session: Session
    viewer_is_coach: bool
    counts: SeatCounts
    now: datetime
    # Coach only: every seat (taken first, then released) and open waitlist entries.
    seats: list[SessionSeat] = field(default_factory=list)
    waitlist: list[WaitlistEntry] = field(default_factory=list)
    # Client only: their own seat, their own open entry and its place in the queue.
    my_seat: SessionSeat | None = None
    my_entry: WaitlistEntry | None = None
    my_position: int | None = None

    @property
    def is_open(self) -> bool:
        """Seats can be taken or released (scheduled and not yet started)."""
        return self.session.status == SessionStatus.SCHEDULED and self.session.starts_at > self.now

    @property
    def offer_is_live(self) -> bool:
        entry = self.my_entry
        return bool(
            entry is not None
            and entry.status == WaitlistStatus.OFFERED
            and entry.offer_expires_at is not None
            and entry.offer_expires_at > self.now
        )

    @property
    def can_take(self) -> bool:
        return (
            self.is_open
            and self.my_seat is None
            and not self.offer_is_live
            and not self.counts.is_full
        )

    @property
    def can_join(self) -> bool:
        return (
            self.is_open and self.my_seat is None and self.my_entry is None and self.counts.is_full
        )


def group_panel_for(
    user: User, session: Session, *, now: datetime | None = None
) -> GroupPanel | None:
    """The panel for ``user`` on ``session``; ``None`` when it is not a group session
    or the user is neither its coach nor a client of that coach."""
    if session is None or not session.is_group or not user.is_authenticated:
        return None
    now = now or timezone.now()
    numbers = seat_counts([session.pk], now=now)[session.pk]
    counts = _counts_for(session, numbers)
    if user.pk == session.coach_id:
        seats = list(
            SessionSeat.objects.filter(session=session)
            .select_related("client")
            .order_by("-status", "created_at", "id")
        )
        # Taken ("taken") sort before released ("cancelled") with -status.
        waitlist = list(
            WaitlistEntry.objects.filter(
                session=session, status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
            )
            .select_related("client")
            .order_by("created_at", "id")
        )
        return GroupPanel(
            session=session,
            viewer_is_coach=True,
            counts=counts,
            now=now,
            seats=seats,
            waitlist=waitlist,
        )
    if user.role != Role.CLIENT:
        return None
    my_seat = SessionSeat.objects.filter(
        session=session, client=user, status=SeatStatus.TAKEN
    ).first()
    if my_seat is None and not _active_coach_ids(user).filter(coach_id=session.coach_id).exists():
        return None
    my_entry = WaitlistEntry.objects.filter(
        session=session, client=user, status__in=(WaitlistStatus.WAITING, WaitlistStatus.OFFERED)
    ).first()
    position = None
    if my_entry is not None and my_entry.status == WaitlistStatus.WAITING:
        with system_context():
            ahead = WaitlistEntry.objects.filter(
                session=session, status=WaitlistStatus.WAITING
            ).filter(
                Q(created_at__lt=my_entry.created_at)
                | Q(created_at=my_entry.created_at, id__lt=my_entry.pk)
            )
            position = ahead.count() + 1
    return GroupPanel(
        session=session,
        viewer_is_coach=False,
        counts=counts,
        now=now,
        my_seat=my_seat,
        my_entry=my_entry,
        my_position=position,
    )
