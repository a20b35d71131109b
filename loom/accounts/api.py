"""Account endpoints of the JSON API: the signed-in user, the coach's roster and invitations.

Each endpoint parses, calls the same service as the HTML views and serializes.
Refusals are problem-details documents (see ``config.api``): 422 for bad input,
403 for another role's endpoint, 404 for an id that is not the caller's, 409 for a
state conflict, 429 when a limit is reached.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from loom.accounts import services
from loom.accounts.models import CoachClient, Invitation, User
from loom.accounts.permissions import request_user, require_coach
from loom.accounts.selectors import ROSTER_PAGE_SIZE, SEARCH_MAX_LENGTH, RosterEntry, roster_page

router = Router(tags=["accounts"])


# --- /me ---------------------------------------------------------------------------------------


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    language: str
    timezone: str
    avatar_url: str


class MePatch(Schema):
    full_name: str | None = None
    language: str | None = None
    timezone: str | None = None


def _me(user: User) -> MeOut:
    return MeOut(
        id=user.pk,
        email=user.email,
        full_name=user.full_name,
        role=user.role,
        language=user.language,
        timezone=user.timezone,
        avatar_url=user.avatar_url,
    )


@router.get("/me", response=MeOut, url_name="me")
def me(request: HttpRequest) -> MeOut:
    return _me(request_user(request))


@router.patch("/me", response=MeOut, url_name="me_update")
def me_update(request: HttpRequest, payload: MePatch) -> MeOut:
    user = services.user_profile_update(
        user=request_user(request),
        full_name=payload.full_name,
        language=payload.language,
        time_zone=payload.timezone,
    )
    return _me(user)


# --- Roster ------------------------------------------------------------------------------------


class RosterEntryOut(Schema):
    kind: Literal["client", "invitation"]
    id: int
    full_name: str
    email: str
    status: Literal["invited", "active", "archived"]
    since: datetime
    expires_at: datetime | None


class RosterPageOut(Schema):
    items: list[RosterEntryOut]
    count: int
    page: int
    pages: int
    page_size: int


class RosterQuery(Schema):
    status: Literal["", "invited", "active", "archived"] = ""
    q: str = Field("", max_length=SEARCH_MAX_LENGTH)
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(ROSTER_PAGE_SIZE, ge=1, le=100)


def _entry_out(entry: RosterEntry) -> RosterEntryOut:
    return RosterEntryOut(
        kind=entry.kind,  # type: ignore[arg-type]
        id=entry.id,
        full_name=entry.full_name,
        email=entry.email,
        status=entry.status,  # type: ignore[arg-type]
        since=entry.since,
        expires_at=entry.expires_at,
    )


@router.get("/coach/clients", response=RosterPageOut, url_name="coach_clients")
def coach_clients(request: HttpRequest, filters: Query[RosterQuery]) -> RosterPageOut:
    """The coach's clients and open invitations (two queries per page)."""
    coach = require_coach(request)
    if "\x00" in filters.q:
        filters.q = filters.q.replace("\x00", "")
    page = roster_page(
        coach=coach,
        search=filters.q,
        status=filters.status,
        page=filters.page,
        page_size=filters.page_size,
    )
    return RosterPageOut(
        items=[_entry_out(entry) for entry in page.object_list],
        count=page.paginator.count,
        page=page.number,
        pages=page.paginator.num_pages,
        page_size=filters.page_size,
    )


class ClientLinkOut(Schema):
    client_id: int
    status: Literal["active", "archived"]
    archived_at: datetime | None


def _link_out(link: CoachClient) -> ClientLinkOut:
    return ClientLinkOut(client_id=link.client_id, status=link.status, archived_at=link.archived_at)  # type: ignore[arg-type]


@router.post(
    "/coach/clients/{client_id}/archive", response=ClientLinkOut, url_name="coach_client_archive"
)
def coach_client_archive(request: HttpRequest, client_id: int) -> ClientLinkOut:
    return _link_out(services.client_archive(coach=require_coach(request), client_id=client_id))


@router.post(
    "/coach/clients/{client_id}/restore", response=ClientLinkOut, url_name="coach_client_restore"
)
def coach_client_restore(request: HttpRequest, client_id: int) -> ClientLinkOut:
    return _link_out(services.client_restore(coach=require_coach(request), client_id=client_id))


# --- Invitations -------------------------------------------------------------------------------


class InvitationIn(Schema):
    email: str
    full_name: str = ""
    language: str = "en"
    message: str = ""


class InvitationOut(Schema):
    id: int
    email: str
    full_name: str
    language: str
    status: Literal["invited", "accepted", "revoked"]
    expires_at: datetime
    sent_count: int
    resent: bool = False


def _invitation_out(invitation: Invitation, *, resent: bool = False) -> InvitationOut:
    if invitation.accepted_at is not None:
        status = "accepted"
    elif invitation.revoked_at is not None:
        status = "revoked"
    else:
        status = "invited"
    return InvitationOut(
        id=invitation.pk,
        email=invitation.email,
        full_name=invitation.full_name,
        language=invitation.language,
        status=status,  # type: ignore[arg-type]
        expires_at=invitation.expires_at,
        sent_count=invitation.sent_count,
        resent=resent,
    )


@router.post(
    "/coach/invitations",
    response={200: InvitationOut, 201: InvitationOut},
    url_name="coach_invitations",
)
def coach_invitation_create(request: HttpRequest, payload: InvitationIn) -> Status[InvitationOut]:
    """Invite a client. An open invitation to the same address is sent again (200) instead."""
    sent = services.invitation_create(
        coach=require_coach(request),
        email=payload.email,
        full_name=payload.full_name,
        language=payload.language,
        message=payload.message,
    )
    return Status(200 if sent.resent else 201, _invitation_out(sent.invitation, resent=sent.resent))


@router.post(
    "/coach/invitations/{invitation_id}/resend",
    response=InvitationOut,
    url_name="coach_invitation_resend",
)
def coach_invitation_resend(request: HttpRequest, invitation_id: int) -> InvitationOut:
    sent = services.invitation_resend(coach=require_coach(request), invitation_id=invitation_id)
    return _invitation_out(sent.invitation, resent=True)


@router.post(
    "/coach/invitations/{invitation_id}/revoke",
    response=InvitationOut,
    url_name="coach_invitation_revoke",
)
def coach_invitation_revoke(request: HttpRequest, invitation_id: int) -> InvitationOut:
    return _invitation_out(
        services.invitation_revoke(coach=require_coach(request), invitation_id=invitation_id)
    )
