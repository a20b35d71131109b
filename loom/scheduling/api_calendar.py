"""Scheduling endpoints of the JSON API: calendar subscription feeds.

``/scheduling/calendar-feeds``: list a person's feeds (never a token: only its hash is
stored), create one (the response carries the URL, the only time it exists in clear),
revoke the active one. Coaches and clients only; the same services as the page
``/account/calendar/``.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from loom.accounts.models import Role, User
from loom.accounts.permissions import request_user
from loom.core.errors import Forbidden
from loom.scheduling.calendar_feed import (
    calendar_feed_create,
    calendar_feed_replace,
    calendar_feed_revoke,
    feeds_for_user,
)
from loom.scheduling.models import CalendarFeed

router = Router(tags=["scheduling"])


class CalendarFeedOut(Schema):
    id: int
    active: bool
    created_at: datetime
    revoked_at: datetime | None
    last_fetched_at: datetime | None


class CalendarFeedCreateIn(Schema):
    # True revokes the active feed (if any) and creates a new one in one step.
    replace: bool = False


class CalendarFeedCreatedOut(CalendarFeedOut):
    # Shown once: Loom keeps only the token's SHA-256.
    url: str
    webcal_url: str


def _person(request: HttpRequest) -> User:
    user = request_user(request)
    if user.role not in (Role.COACH, Role.CLIENT):
        raise Forbidden(_("Only coaches and clients have a calendar of sessions."))
    return user


def _out(feed: CalendarFeed) -> CalendarFeedOut:
    return CalendarFeedOut(
        id=feed.pk,
        active=feed.revoked_at is None,
        created_at=feed.created_at,
        revoked_at=feed.revoked_at,
        last_fetched_at=feed.last_fetched_at,
    )


@router.get(
    "/scheduling/calendar-feeds",
    response=list[CalendarFeedOut],
    url_name="scheduling_calendar_feeds",
)
def calendar_feed_list(request: HttpRequest) -> list[CalendarFeedOut]:
    """The caller's feeds, newest first (at most 20), without tokens. One query."""
    return [_out(feed) for feed in feeds_for_user(_person(request))]


@router.post(
    "/scheduling/calendar-feeds",
    response={201: CalendarFeedCreatedOut},
    url_name="scheduling_calendar_feed_create",
)
def calendar_feed_create_endpoint(
    request: HttpRequest, payload: CalendarFeedCreateIn
) -> Status[CalendarFeedCreatedOut]:
    """Create the caller's feed URL; 409 ``feed_exists`` while one is active, unless
    ``replace`` is true."""
    user = _person(request)
    new = calendar_feed_replace(user=user) if payload.replace else calendar_feed_create(user=user)
    base = _out(new.feed)
    return Status(
        201,
        CalendarFeedCreatedOut(**base.model_dump(), url=new.url, webcal_url=new.webcal_url),
    )


@router.delete(
    "/scheduling/calendar-feeds",
    response={204: None},
    url_name="scheduling_calendar_feed_revoke",
)
def calendar_feed_revoke_endpoint(request: HttpRequest) -> Status[None]:
    """Revoke the caller's active feed at once; 404 ``no_feed`` when there is none."""
    calendar_feed_revoke(user=_person(request))
    return Status(204, None)
