"""Builders for the KPI engine tests (no tests here: the helpers of ``test_kpis_*.py``).

Every builder writes rows straight through the ORM with the times given, so a test can
put an invitation at 167:59 before a completion or a session on a DST night without
travelling the clock. Times are UTC unless a test says otherwise; the reporting zone is
``ANALYTICS_TIME_ZONE`` (UTC in the test settings).

The calendar the tests use (2026): Monday 2 March is the first week ("W0"); 9, 16, 23
and 30 March and 6 April follow. ``NOW`` (Monday 20 April, 12:00) is more than 30 days after
the end of W0–W1 and more than 14 after W4's, so their values are final.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.db.models import Model

from loom.accounts.models import CoachClient, Invitation, Onboarding, Role, User
from loom.analytics.kpis import kpi_rollup
from loom.analytics.models import DailyActivity, Event, KpiValue, NpsResponse
from loom.journal.models import Entry
from loom.messaging.models import Conversation, Message
from loom.resources.models import (
    Collection,
    CollectionItem,
    Resource,
    ResourceView,
    Share,
)
from loom.scheduling.models import (
    Session,
    SessionEvent,
    SessionEventKind,
    SessionStatus,
    SessionType,
)

W0 = date(2026, 3, 2)  # a Monday
NOW = datetime(2026, 4, 20, 12, tzinfo=UTC)
_counter = {"n": 0}


def at(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=UTC)


def week(n: int) -> date:
    """The Monday ``n`` weeks after ``W0``."""
    return W0 + timedelta(weeks=n)


def _next() -> int:
    _counter["n"] += 1
    return _counter["n"]


def _stamp(obj: Model, **fields: Any) -> None:
    """Set fields the model fills in itself (``created_at``) to the test's times."""
    type(obj)._default_manager.filter(pk=obj.pk).update(**fields)
    for name, value in fields.items():
        setattr(obj, name, value)


def person(
    role: str = Role.CLIENT,
    *,
    joined: datetime,
    onboarded: datetime | str | None = "joined",
    active: bool = True,
    language: str = "en",
    tz: str = "UTC",
) -> User:
    """An account that joined at ``joined`` and finished onboarding at ``onboarded``
    (default: the same moment; ``None``: never)."""
    n = _next()
    user = User.objects.create_user(
        f"{role}{n}@example.com",
        None,
        role=role,
        full_name=f"{role.title()} {n}",
        language=language,
        timezone=tz,
        is_active=active,
        date_joined=joined,
    )
    completed = joined if onboarded == "joined" else onboarded
    Onboarding.objects.create(user=user, started_at=joined, completed_at=completed)
    return user


def coach(**kwargs: Any) -> User:
    return person(Role.COACH, **kwargs)


def client(**kwargs: Any) -> User:
    return person(Role.CLIENT, **kwargs)


def link(coach_user: User, client_user: User, *, created: datetime, **fields: Any) -> CoachClient:
    row = CoachClient.objects.create(coach=coach_user, client=client_user, **fields)
    _stamp(row, created_at=created)
    return row


_types: dict[int, SessionType] = {}


def session(
    coach_user: User,
    starts_at: datetime,
    status: str = SessionStatus.COMPLETED,
    *,
    client_user: User | None = None,
    confirmed: bool = True,
    group: bool = False,
) -> Session:
    """A session; ``confirmed`` gives it a ``booked`` event, otherwise a ``requested`` one."""
    session_type = SessionType.objects.filter(coach=coach_user).first()
    if session_type is None:
        session_type = SessionType.objects.create(coach=coach_user, name_en="Coaching")
    if client_user is None and not group:
        client_user = client(joined=starts_at - timedelta(days=1))
    row = Session.objects.create(
        coach=coach_user,
        client=None if group else client_user,
        capacity=4 if group else 1,
        session_type=session_type,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
        coach_timezone="UTC",
        status=status,
    )
    SessionEvent.objects.create(
        session=row,
        actor=coach_user,
        occurred_at=starts_at - timedelta(days=2),
        kind=SessionEventKind.BOOKED if confirmed else SessionEventKind.REQUESTED,
    )
    return row


def invitation(
    coach_user: User,
    *,
    created: datetime,
    email: str | None = None,
    accepted_by: User | None = None,
    accepted_at: datetime | None = None,
    revoked_at: datetime | None = None,
) -> Invitation:
    n = _next()
    row = Invitation.objects.create(
        coach=coach_user,
        email=email or f"invitee{n}@example.com",
        token_hash=f"{n:064d}",
        expires_at=created + timedelta(days=7),
        accepted_by=accepted_by,
        accepted_at=accepted_at or (created if accepted_by else None),
        revoked_at=revoked_at,
    )
    _stamp(row, created_at=created)
    return row


def activity(
    user: User,
    day: date,
    *,
    actions: int = 1,
    events: int | None = None,
    visits: int = 1,
    visit_seconds: int = 0,
) -> DailyActivity:
    return DailyActivity.objects.create(
        user=user,
        day=day,
        role=user.role,
        events=events if events is not None else max(actions, 1),
        actions=actions,
        visits=visits,
        visit_seconds=visit_seconds,
        first_at=at(day, 9),
        last_at=at(day, 10),
    )


def event(user: User, name: str, occurred_at: datetime) -> Event:
    return Event.objects.create(user=user, role=user.role, name=name, occurred_at=occurred_at)


def resource(coach_user: User, *, created: datetime) -> Resource:
    row = Resource.objects.create(
        coach=coach_user, kind="link", title="A resource", url="https://example.com/r"
    )
    _stamp(row, created_at=created)
    return row


def share(
    resource_row: Resource | None,
    client_user: User,
    *,
    created: datetime,
    collection: Collection | None = None,
) -> Share:
    owner = resource_row.coach if resource_row else collection.coach  # type: ignore[union-attr]
    row = Share.objects.create(
        coach=owner, client=client_user, resource=resource_row, collection=collection
    )
    _stamp(row, created_at=created)
    return row


def collection_of(coach_user: User, *items: Resource) -> Collection:
    row = Collection.objects.create(coach=coach_user, title="A collection")
    for position, item in enumerate(items):
        CollectionItem.objects.create(
            coach=coach_user, collection=row, resource=item, position=position
        )
    return row


def view(resource_row: Resource, client_user: User, viewed_at: datetime) -> ResourceView:
    return ResourceView.objects.create(
        coach=resource_row.coach, client=client_user, resource=resource_row, viewed_at=viewed_at
    )


def entry(
    author: User,
    *,
    created: datetime,
    shared_with: User | None = None,
    shared_at: datetime | None = None,
) -> Entry:
    return Entry.objects.create(
        author=author,
        written_on=created.date(),
        created_at=created,
        updated_at=created,
        body="private words",
        shared_with=shared_with,
        shared_at=shared_at,
    )


def conversation(coach_user: User, client_user: User) -> Conversation:
    return Conversation.objects.create(coach=coach_user, client=client_user)


def message(conv: Conversation, sender: User, sent: datetime) -> Message:
    return Message.objects.create(conversation=conv, sender=sender, body="hello", created_at=sent)


def nps_answer(
    user: User,
    score: int | None,
    answered: datetime,
    *,
    trigger: str = "monthly",
    language: str | None = None,
) -> NpsResponse:
    return NpsResponse.objects.create(
        user=user,
        role=user.role,
        language=language or user.language,
        trigger=trigger,
        period=f"{answered:%Y-%m}",
        score=score,
        answered_at=answered if score is not None else None,
        dismissed_at=None if score is not None else answered,
    )


def rollup(now: datetime = NOW, **kwargs: Any) -> None:
    kpi_rollup(now=now, **kwargs)


def value(key: str, start: date, segment: str = "all", period: str = "week") -> KpiValue:
    return KpiValue.objects.get(kpi=key, period=period, period_start=start, segment=segment)


def figures(
    key: str, start: date, segment: str = "all", period: str = "week"
) -> tuple[float, float, float | None]:
    row = value(key, start, segment, period)
    return (row.numerator, row.denominator, row.value)
