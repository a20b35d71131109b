"""Reads of people data, always scoped to the person asking.

A getter that is handed a foreign id raises ``Http404``: whether the object exists
is not the asker's business.
"""

from __future__ import annotations

import enum
import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Lower, NullIf
from django.http import Http404
from django.utils import timezone

from loom.accounts.models import (
    CoachClient,
    Invitation,
    Onboarding,
    Role,
    User,
    avatar_url_for,
)
from loom.core.context import system_context
from loom.core.ids import object_id

ROSTER_PAGE_SIZE = 25
SEARCH_MAX_LENGTH = 100


class RosterStatus(enum.StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    ARCHIVED = "archived"


# --- Coach's roster ----------------------------------------------------------------------


@dataclass(frozen=True)
class RosterEntry:
    """One line of a coach's roster: a client on it, or an open invitation."""

    kind: str  # "client" or "invitation"
    id: int  # the client's user id, or the invitation id
    full_name: str
    email: str
    status: str  # RosterStatus
    since: datetime  # linked at, or last sent at
    expires_at: datetime | None
    avatar_name: str

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_invitation(self) -> bool:
        return self.kind == "invitation"

    @property
    def display_name(self) -> str:
        return self.full_name or self.email.split("@", 1)[0]

    @property
    def avatar_url(self) -> str:
        return avatar_url_for(self.id, self.avatar_name) if self.kind == "client" else ""

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


_ROSTER_COLUMNS = (
    "r_rank",
    "r_sort",
    "r_kind",
    "r_id",
    "r_name",
    "r_email",
    "r_status",
    "r_since",
    "r_expires",
    "r_avatar",
)


def _client_rows(coach: User) -> QuerySet[Any]:
    rank = {CoachClient.Status.ACTIVE: 1, CoachClient.Status.ARCHIVED: 2}
    # Every column is an annotation so both halves of the UNION list their columns in
    # the same order (values() puts model fields before annotations otherwise).
    return (
        CoachClient.objects.filter(coach=coach)
        .annotate(
            r_rank=Case(
                *(When(status=status, then=Value(number)) for status, number in rank.items()),
                default=Value(3),
                output_field=IntegerField(),
            ),
            r_sort=Lower(
                Coalesce(
                    NullIf(F("client__full_name"), Value("")),
                    F("client__email"),
                    output_field=CharField(),
                )
            ),
            r_kind=Value("client", output_field=CharField()),
            r_id=F("client_id"),
            r_name=F("client__full_name"),
            r_email=F("client__email"),
            r_status=F("status"),
            r_since=F("created_at"),
            r_expires=Value(None, output_field=DateTimeField()),
            r_avatar=F("client__avatar"),
        )
        .values(*_ROSTER_COLUMNS)
    )


def _invitation_rows(coach: User) -> QuerySet[Any]:
    return (
        Invitation.objects.filter(coach=coach, accepted_at__isnull=True, revoked_at__isnull=True)
        .annotate(
            r_rank=Value(0, output_field=IntegerField()),
            r_sort=Lower(
                Coalesce(NullIf(F("full_name"), Value("")), F("email"), output_field=CharField())
            ),
            r_kind=Value("invitation", output_field=CharField()),
            r_id=F("id"),
            r_name=F("full_name"),
            r_email=F("email"),
            r_status=Value(RosterStatus.INVITED.value, output_field=CharField()),
            r_since=F("last_sent_at"),
            r_expires=F("expires_at"),
            r_avatar=Value("", output_field=CharField()),
        )
        .values(*_ROSTER_COLUMNS)
    )


def roster_queryset(*, coach: User, search: str = "", status: str = "") -> QuerySet[Any]:
    """The coach's clients and open invitations as one ordered list of row dicts.

    Invitations first, then active, then archived clients, each by name. Two queries
    per page whatever its length: a count and the page.
    """
    search = search.strip()[:SEARCH_MAX_LENGTH]
    clients = _client_rows(coach)
    invitations = _invitation_rows(coach)
    if search:
        clients = clients.filter(
            Q(client__full_name__icontains=search) | Q(client__email__icontains=search)
        )
        invitations = invitations.filter(
            Q(full_name__icontains=search) | Q(email__icontains=search)
        )
    if status == RosterStatus.INVITED:
        combined = invitations
    elif status in (RosterStatus.ACTIVE, RosterStatus.ARCHIVED):
        combined = clients.filter(status=status)
    else:
        combined = invitations.union(clients, all=True)
    return combined.order_by("r_rank", "r_sort", "r_id")


def _entry(row: dict[str, Any]) -> RosterEntry:
    return RosterEntry(
        kind=row["r_kind"],
        id=row["r_id"],
        full_name=row["r_name"] or "",
        email=row["r_email"],
        status=row["r_status"],
        since=row["r_since"],
        expires_at=row["r_expires"],
        avatar_name=row["r_avatar"] or "",
    )


def roster_page(
    *,
    coach: User,
    search: str = "",
    status: str = "",
    page: Any = 1,
    page_size: int = ROSTER_PAGE_SIZE,
) -> Page[RosterEntry]:
    paginator = Paginator(roster_queryset(coach=coach, search=search, status=status), page_size)
    page_obj = paginator.get_page(page)
    page_obj.object_list = [_entry(row) for row in page_obj.object_list]
    return page_obj


def roster_counts(*, coach: User) -> dict[str, int]:
    """How many clients are active and archived, and how many invitations are open (2 queries)."""
    counts = {status.value: 0 for status in RosterStatus}
    for row in (
        CoachClient.objects.filter(coach=coach).values("status").order_by().annotate(n=Count("id"))
    ):
        counts[row["status"]] = row["n"]
    counts[RosterStatus.INVITED] = Invitation.objects.filter(
        coach=coach, accepted_at__isnull=True, revoked_at__isnull=True
    ).count()
    return counts


def get_client_for_coach(coach: User, client_id: Any) -> CoachClient:
    """The roster link between ``coach`` and client ``client_id`` (404 if not theirs)."""
    client_id = object_id(client_id)
    link = (
        CoachClient.objects.filter(coach=coach, client_id=client_id, client__role=Role.CLIENT)
        .select_related("client", "client__client_profile")
        .first()
    )
    if link is None:
        raise Http404
    return link


def get_invitation_for_coach(
    coach: User, invitation_id: Any, *, for_update: bool = False
) -> Invitation:
    invitation_id = object_id(invitation_id)
    queryset = Invitation.objects.filter(coach=coach, pk=invitation_id)
    if for_update:
        queryset = queryset.select_for_update()
    invitation = queryset.first()
    if invitation is None:
        raise Http404
    return invitation


# --- Invitation tokens --------------------------------------------------------------------

# secrets.token_urlsafe(32) is 43 characters of the URL-safe base64 alphabet.
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


class TokenState(enum.StrEnum):
    VALID = "valid"
    MALFORMED = "malformed"
    UNKNOWN = "unknown"
    EXPIRED = "expired"
    REVOKED = "revoked"
    USED = "used"


def invitation_token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def invitation_from_token(
    token: str, *, for_update: bool = False
) -> tuple[Invitation | None, TokenState]:
    """Look an invitation up by the token from its link, and say whether it can be accepted.

    The person following the link is usually not signed in; the token itself is the
    permission, so the lookup runs in the system context (row-level security).
    """
    if not TOKEN_PATTERN.match(token or ""):
        return None, TokenState.MALFORMED
    with system_context():
        queryset = Invitation.objects.select_related("coach")
        if for_update:
            queryset = queryset.select_for_update(of=("self",))
        invitation = queryset.filter(token_hash=invitation_token_hash(token)).first()
    if invitation is None:
        return None, TokenState.UNKNOWN
    if invitation.accepted_at is not None:
        return invitation, TokenState.USED
    if invitation.revoked_at is not None:
        return invitation, TokenState.REVOKED
    if invitation.is_expired:
        return invitation, TokenState.EXPIRED
    return invitation, TokenState.VALID


def user_by_email(email: str) -> User | None:
    with system_context():
        return User.objects.filter(email__iexact=email.strip()).first()


# --- Avatars -----------------------------------------------------------------------------


def get_avatar_owner_for_user(viewer: User, user_id: Any) -> User:
    """The user whose photo ``viewer`` asks for: themselves, their coach or client, or anyone for admins."""
    user_id = object_id(user_id)
    queryset = User.objects.filter(pk=user_id)
    if not viewer.is_admin and viewer.pk != user_id:
        queryset = queryset.filter(
            Q(coach_links__coach=viewer) | Q(client_links__client=viewer)
        ).distinct()
    owner = queryset.only("id", "avatar").first()
    if owner is None or not owner.avatar:
        raise Http404
    return owner


# --- Onboarding --------------------------------------------------------------------------


class Step(enum.StrEnum):
    PROFILE = "profile"
    MFA = "mfa"
    AVAILABILITY = "availability"
    INVITE = "invite"
    CONSENT = "consent"
    INTAKE = "intake"


STEP_FIELDS: dict[Step, str] = {
    Step.PROFILE: "profile_at",
    Step.MFA: "mfa_prompt_at",
    Step.AVAILABILITY: "availability_at",
    Step.INVITE: "first_invite_at",
    Step.CONSENT: "consent_at",
    Step.INTAKE: "intake_at",
}
COACH_STEPS: tuple[Step, ...] = (Step.PROFILE, Step.MFA, Step.AVAILABILITY, Step.INVITE)
CLIENT_STEPS: tuple[Step, ...] = (Step.PROFILE, Step.CONSENT, Step.INTAKE)


def onboarding_steps_for(user: User) -> tuple[Step, ...]:
    if user.role == Role.COACH:
        return COACH_STEPS
    if user.role == Role.CLIENT:
        return CLIENT_STEPS
    return ()


def get_onboarding(user: User) -> Onboarding | None:
    # Always read afresh: a step finished earlier in this request must count.
    return Onboarding.objects.filter(user=user).first()


def onboarding_next_step(user: User) -> Step | None:
    """The first step not done yet, or ``None`` when there is nothing left to do.

    Only people with an onboarding record that is not complete have steps: admins
    and accounts that predate onboarding are never sent there.
    """
    onboarding = get_onboarding(user)
    if onboarding is None or onboarding.completed_at is not None:
        return None
    for step in onboarding_steps_for(user):
        if getattr(onboarding, STEP_FIELDS[step]) is None:
            return step
    return None


def onboarding_pending(user: User) -> bool:
    onboarding = get_onboarding(user)
    return (
        onboarding is not None
        and onboarding.completed_at is None
        and bool(onboarding_steps_for(user))
    )
