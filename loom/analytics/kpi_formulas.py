"""The formula of every KPI in ``kpi_catalog.KPIS``: set-based queries over one period.

Each formula answers for one ``Window`` (a day, ISO week or month in
``ANALYTICS_TIME_ZONE``) with a fixed number of queries whatever the number of people —
aggregates, ``EXISTS`` and correlated subqueries, never a query per person — and returns
a ``Figure`` per segment: the two drill-down counts and the value in the KPI's unit.

Conventions (docs/analytics.md repeats them):

* People are coach and client accounts; administrators are never counted. Account
  populations ("accounts", "active client accounts") are accounts with ``is_active``
  set today that had joined by the period end; the engine keeps no history of
  deactivations, and past periods are not recomputed once final, so a figure keeps
  the population it was computed with.
* "The N days before the period end" are the N local days ending with the period's last
  day. "Within N days of" a person's own moment (an invitation, a sign-up, a share, a
  message) is an exact duration (``N × 24`` hours), inclusive at its end.
* A share is ``100 × numerator ÷ denominator``; a mean is ``numerator ÷ denominator``;
  both are NULL when the denominator is 0. A count is its numerator; its denominator is
  the population it is drawn from (shown next to it on the drill-down).
* No formula reads text: journal bodies, notes, messages, comments and titles are never
  selected (the tests read the SQL to prove it). Only ids, times, statuses, roles and
  counts — and invitation addresses, inside ``COUNT(DISTINCT lower(email))`` only, to
  count a person invited twice once; no address leaves the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Any, NamedTuple

from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from loom.accounts.models import CoachClient, Invitation, Role, User
from loom.analytics import nps as nps_survey
from loom.analytics.kpi_periods import Window, local_midnight
from loom.analytics.models import DailyActivity, Event, EventName, NpsResponse
from loom.journal.models import Entry
from loom.messaging.models import Message
from loom.resources.models import Resource, ResourceView, Share
from loom.scheduling.models import Session, SessionEvent, SessionEventKind, SessionStatus

PEOPLE = (Role.COACH, Role.CLIENT)
SEGMENT_ROLES = ("coach", "client")

# Appendix A: an active coach completed a session in the past 30 days; an active client
# acted in the past 14.
ACTIVE_COACH_DAYS = 30
ACTIVE_CLIENT_DAYS = 14
# §2.1: "≥3 sessions/coach/week", judged over 30 days: 3 × 30 / 7 = 12.86, so 13.
BASELINE_DAYS = 30
BASELINE_SESSIONS = 13
ONBOARDING_WINDOW = timedelta(days=7)
UPLOAD_WINDOW = timedelta(days=14)
OPEN_WINDOW = timedelta(days=7)
RETURN_DAYS = 7
JOURNAL_SHARING_DAYS = 30
# A coach reply later than this is not a reply to that turn: the turn counts as
# unanswered. Bounding it lets the week's figure become final (and incremental runs
# agree with a full rebuild).
REPLY_WINDOW = timedelta(days=30)
ONE_DAY = timedelta(days=1)


class Figure(NamedTuple):
    numerator: float
    denominator: float
    value: float | None


def share(numerator: float, denominator: float) -> Figure:
    value = 100.0 * numerator / denominator if denominator else None
    return Figure(float(numerator), float(denominator), value)


def mean(numerator: float, denominator: float) -> Figure:
    value = numerator / denominator if denominator else None
    return Figure(float(numerator), float(denominator), value)


def count(numerator: float, denominator: float) -> Figure:
    return Figure(float(numerator), float(denominator), float(numerator))


Results = dict[str, dict[str, Figure]]


class AddDays(Func):
    """``date + n`` days for a date column, on PostgreSQL and SQLite. ``n`` is a fixed
    integer from our code, never input, so it is written into the SQL."""

    output_field = DateField()

    def __init__(self, expression: Any, days: int) -> None:
        super().__init__(expression, output_field=DateField())
        self.days = int(days)

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:  # type: ignore[override]
        sql, params = compiler.compile(self.get_source_expressions()[0])
        if connection.vendor == "sqlite":
            return f"date({sql}, '+{self.days} days')", params
        # PostgreSQL: date + integer is a date.
        return f"({sql} + {self.days})", params


def _plus(ref: Any, delta: timedelta) -> ExpressionWrapper:
    return ExpressionWrapper(ref + Value(delta), output_field=DateTimeField())


@dataclass
class Ctx:
    """One period's computation: its window and the figures more than one formula uses."""

    window: Window

    @cached_property
    def accounts_at_end(self) -> dict[str, int]:
        """Active coach and client accounts that had joined by the period end."""
        totals = User.objects.filter(
            role__in=PEOPLE, is_active=True, date_joined__lt=self.window.end_at
        ).aggregate(
            coach=Count("id", filter=Q(role=Role.COACH)),
            client=Count("id", filter=Q(role=Role.CLIENT)),
        )
        return {"coach": totals["coach"], "client": totals["client"]}

    def activity(self, first: Any, end: Any) -> QuerySet[DailyActivity]:
        """Daily activity of active coach and client accounts on days ``[first, end)``."""
        return DailyActivity.objects.filter(
            day__gte=first, day__lt=end, user__is_active=True, user__role__in=PEOPLE
        )


def _by_role(
    rows: dict[str, tuple[float, float]], make: Callable[[float, float], Figure]
) -> dict[str, Figure]:
    """Figures for each role and for ``all`` (the sums of both sides)."""
    out = {role: make(*rows.get(role, (0, 0))) for role in SEGMENT_ROLES}
    out["all"] = make(
        sum(rows.get(r, (0, 0))[0] for r in SEGMENT_ROLES),
        sum(rows.get(r, (0, 0))[1] for r in SEGMENT_ROLES),
    )
    return out


# --- Primary (§2.1) ------------------------------------------------------------------------


def onboarding_completion(ctx: Ctx) -> Results:
    """§2.1 "≥95 % of invited coaches and clients complete onboarding within 7 days";
    completion rate = users with complete profiles ÷ total invited users × 100.

    Cohort of the week:

    * clients: invitations created in the week (``Invitation.created_at``), except those
      revoked before they were accepted; one person per address (the same address invited
      twice in a week — by two coaches, say — counts once, and is complete if either
      invitation was completed in time);
    * coaches, who are not invited: coach accounts that joined in the week
      (``date_joined``).

    Complete = ``Onboarding.completed_at`` (profile, tour and first key action — Appendix A)
    no later than 7 × 24 hours after the invitation was created or the coach joined,
    inclusive: 167:59:59 and 168:00:00 count, 168:00:01 does not. An invitation accepted on
    the 7th day counts if onboarding is finished within the same 168 hours. Someone who
    already had an account when invited counts as complete once they accept in time.
    """
    w = ctx.window
    invited = (
        Invitation.objects.filter(created_at__gte=w.start_at, created_at__lt=w.end_at)
        .exclude(revoked_at__isnull=False, accepted_at__isnull=True)
        .exclude(revoked_at__isnull=False, accepted_at__gt=F("revoked_at"))
        .aggregate(
            total=Count(Lower("email"), distinct=True),
            done=Count(
                Lower("email"),
                distinct=True,
                # Both the acceptance and the onboarding within the 168 hours: someone
                # already onboarded (a second coach's client) counts only if they accept
                # in time, and a late acceptance cannot turn a final week's figure.
                filter=Q(
                    accepted_at__lte=F("created_at") + ONBOARDING_WINDOW,
                    accepted_by__onboarding__completed_at__lte=F("created_at") + ONBOARDING_WINDOW,
                ),
            ),
        )
    )
    coaches = User.objects.filter(
        role=Role.COACH, date_joined__gte=w.start_at, date_joined__lt=w.end_at
    ).aggregate(
        total=Count("id"),
        done=Count(
            "id", filter=Q(onboarding__completed_at__lte=F("date_joined") + ONBOARDING_WINDOW)
        ),
    )
    rows = {
        "coach": (coaches["done"], coaches["total"]),
        "client": (invited["done"], invited["total"]),
    }
    return {"onboarding_completion": _by_role(rows, share)}


def _confirmed_session() -> Exists:
    """The session was booked directly or its request approved at some point."""
    return Exists(
        SessionEvent.objects.filter(
            session=OuterRef("pk"),
            kind__in=[SessionEventKind.BOOKED, SessionEventKind.APPROVED],
        )
    )


def sessions(ctx: Ctx) -> Results:
    """``sessions_per_coach`` (§2.1 "active sessions per coach per week … average completed
    sessions across all active coaches"), ``session_completion`` (Appendix A: completed ÷
    scheduled × 100) and ``active_coaches`` (Appendix A).

    * Completed sessions: ``status = completed``, ``starts_at`` in the week; a group session
      counts once, for its coach. For ``sessions_per_coach`` and the active coaches only
      sessions of active coach accounts count (the population convention above);
      ``session_completion`` is about sessions and counts them all.
    * Active coaches at the period end: distinct coaches with a completed session that
      started in the 30 local days before the period end. ``sessions_per_coach`` =
      completed sessions ÷ active coaches (every coach with a completed session in the
      week is active, so the average is over everyone who contributed and those who were
      active earlier in the 30 days).
    * Scheduled sessions: those starting in the week that were ever confirmed — completed,
      no-show, cancelled after being booked or approved (a ``booked``/``approved`` event in
      their history; a request cancelled before approval does not count), or still
      scheduled/in progress although their start has passed (not marked yet, counted as
      not completed). Requested and declined sessions never count.
    """
    w = ctx.window
    active_from = w.midnight_days_before_end(ACTIVE_COACH_DAYS)
    # Coaches are counted among the coach accounts of the denominator (active ones):
    # a deactivated coach's sessions would otherwise put more active coaches than
    # coach accounts, and inflate the sessions per (counted) coach.
    of_counted_coaches = Q(coach__role=Role.COACH, coach__is_active=True)
    active = Session.objects.filter(
        of_counted_coaches,
        status=SessionStatus.COMPLETED,
        starts_at__gte=active_from,
        starts_at__lt=w.end_at,
    ).aggregate(coaches=Count("coach", distinct=True))["coaches"]
    out: Results = {
        "active_coaches": {"all": count(active, ctx.accounts_at_end["coach"])},
    }
    if w.kind == "week":
        past = min(w.now, w.end_at)
        scheduled = (
            Q(status__in=[SessionStatus.COMPLETED, SessionStatus.NO_SHOW])
            | Q(status=SessionStatus.CANCELLED, confirmed=True)
            | Q(
                status__in=[SessionStatus.SCHEDULED, SessionStatus.IN_PROGRESS],
                starts_at__lt=past,
            )
        )
        week = (
            Session.objects.filter(starts_at__gte=w.start_at, starts_at__lt=w.end_at)
            .annotate(confirmed=_confirmed_session())
            .aggregate(
                completed=Count("id", filter=Q(status=SessionStatus.COMPLETED)),
                by_counted=Count(
                    "id", filter=Q(of_counted_coaches, status=SessionStatus.COMPLETED)
                ),
                scheduled=Count("id", filter=scheduled),
            )
        )
        out["sessions_per_coach"] = {"all": mean(week["by_counted"], active)}
        out["session_completion"] = {"all": share(week["completed"], week["scheduled"])}
    return out


def coaches_at_baseline(ctx: Ctx) -> Results:
    """§2.1 success gate "75 % of coaches meet or exceed baseline within 30 days".

    Denominator: coach accounts (``is_active``) whose onboarding was completed at least
    30 local days before the week's end — they have had their 30 days. Numerator: those
    with at least 13 completed sessions (an average of 3 a week: 3 × 30 ÷ 7 = 12.86)
    starting in the 30 local days before the week's end. A coach with no sessions is in
    the denominator with 0, so the share is 0, not NULL, when no one has sessions.
    """
    w = ctx.window
    since = w.midnight_days_before_end(BASELINE_DAYS)
    completed = (
        Session.objects.filter(
            coach=OuterRef("pk"),
            status=SessionStatus.COMPLETED,
            starts_at__gte=since,
            starts_at__lt=w.end_at,
        )
        .order_by()
        .values("coach")
        .annotate(n=Count("id"))
        .values("n")
    )
    totals = (
        User.objects.filter(
            role=Role.COACH,
            is_active=True,
            date_joined__lt=w.end_at,
            onboarding__completed_at__lte=since,
        )
        .annotate(n=Coalesce(Subquery(completed, output_field=IntegerField()), 0))
        .aggregate(total=Count("id"), at=Count("id", filter=Q(n__gte=BASELINE_SESSIONS)))
    )
    return {"coaches_at_baseline": {"all": share(totals["at"], totals["total"])}}


# --- Engagement (§2.2, Appendix A) ------------------------------------------------------------


def active_clients(ctx: Ctx) -> Results:
    """Appendix A: "client who has logged in and performed ≥1 action in past 14 days".

    Distinct client accounts with a ``DailyActivity`` row with ``actions > 0`` (an event
    other than signing in or viewing a page; doing one means being signed in) on one of
    the 14 local days ending with the period's last day. Denominator: client accounts.
    """
    w = ctx.window
    active = (
        ctx.activity(w.days_before_end(ACTIVE_CLIENT_DAYS), w.end)
        .filter(user__role=Role.CLIENT, actions__gt=0)
        .aggregate(n=Count("user", distinct=True))["n"]
    )
    return {"active_clients": {"all": count(active, ctx.accounts_at_end["client"])}}


def dau_share(ctx: Ctx) -> Results:
    """§2.2 "DAU ≥60 % of total user base".

    For a day: distinct people with any recorded activity that day (a ``DailyActivity``
    row: any event, page views included) ÷ coach and client accounts that had joined by
    the day's end (active accounts only, on both sides). For a week: the mean of its days'
    shares (days that have begun; days with no accounts are skipped); the stored
    numerator and denominator are the daily averages of the two counts.
    """
    w = ctx.window
    days = w.started_days
    if not days:
        return {"dau_share": {seg: share(0, 0) for seg in (*SEGMENT_ROLES, "all")}}
    active_rows = (
        ctx.activity(w.start, w.end).values("day", "user__role").annotate(n=Count("id")).order_by()
    )
    active: dict[tuple[date, str], int] = {
        (row["day"], row["user__role"]): row["n"] for row in active_rows
    }
    per_day: dict[str, int]
    if w.kind == "day":
        # One day: its accounts are the period's (already counted for the other KPIs).
        per_day = {f"{role}_0": ctx.accounts_at_end[role] for role in SEGMENT_ROLES}
    else:
        per_day = User.objects.filter(role__in=PEOPLE, is_active=True).aggregate(
            **{
                f"{role}_{n}": Count(
                    "id",
                    filter=Q(role=role, date_joined__lt=local_midnight(day + ONE_DAY, w.tz)),
                )
                for n, day in enumerate(days)
                for role in SEGMENT_ROLES
            }
        )
    out: dict[str, Figure] = {}
    for segment in (*SEGMENT_ROLES, "all"):
        roles = SEGMENT_ROLES if segment == "all" else (segment,)
        shares: list[float] = []
        actives = accounts = 0
        for n, day in enumerate(days):
            active_n = sum(active.get((day, r), 0) for r in roles)
            accounts_n = sum(per_day[f"{r}_{n}"] for r in roles)
            actives += active_n
            accounts += accounts_n
            if accounts_n:
                shares.append(100.0 * active_n / accounts_n)
        value = sum(shares) / len(shares) if shares else None
        out[segment] = Figure(actives / len(days), accounts / len(days), value)
    return {"dau_share": out}


def wau_share(ctx: Ctx) -> Results:
    """§2.2 "WAU ≥85 % of total user base": distinct people with activity on any day of
    the week ÷ coach and client accounts at the week's end. By role."""
    w = ctx.window
    rows = (
        ctx.activity(w.start, w.end)
        .values("user__role")
        .annotate(n=Count("user", distinct=True))
        .order_by()
    )
    active = {row["user__role"]: row["n"] for row in rows}
    accounts = ctx.accounts_at_end
    return {
        "wau_share": _by_role(
            {role: (active.get(role, 0), accounts[role]) for role in SEGMENT_ROLES}, share
        )
    }


def visit_minutes(ctx: Ctx) -> Results:
    """§2.2 "average session duration ≥8 minutes per visit" (a *visit*, not a coaching
    session): total time in visits ÷ number of visits over the week's days, in minutes.
    A visit runs from its first event to its last and ends after
    ``ANALYTICS_VISIT_TIMEOUT_MINUTES`` without one (the activity rollup's definition); a
    one-event visit lasts 0 minutes and still counts."""
    w = ctx.window
    totals = ctx.activity(w.start, w.end).aggregate(
        seconds=Coalesce(Sum("visit_seconds"), 0), visits=Coalesce(Sum("visits"), 0)
    )
    return {"visit_minutes": {"all": mean(totals["seconds"] / 60.0, totals["visits"])}}


def return_7d(ctx: Ctx) -> Results:
    """§2.2 "return visit rate ≥70 % return within 7 days".

    Of the people active in the week (a ``DailyActivity`` row on one of its days), those
    active again on a later day within 7 days after their first active day of the week
    (days ``first + 1 … first + 7``, so up to 6 days into the next week). Counted in local
    days: a second visit on the same day is not a return. By role.
    """
    w = ctx.window
    earlier_in_week = DailyActivity.objects.filter(
        user=OuterRef("user"), day__gte=w.start, day__lt=OuterRef("day")
    )
    came_back = DailyActivity.objects.filter(
        user=OuterRef("user"),
        day__gt=OuterRef("day"),
        day__lte=AddDays(OuterRef("day"), RETURN_DAYS),
    )
    rows = (
        ctx.activity(w.start, w.end)
        .filter(~Exists(earlier_in_week))
        .annotate(back=Exists(came_back))
        .values("user__role")
        .annotate(total=Count("id"), back_n=Count("id", filter=Q(back=True)))
        .order_by()
    )
    found = {row["user__role"]: (row["back_n"], row["total"]) for row in rows}
    return {"return_7d": _by_role(found, share)}


# --- Feature adoption (§2.2) --------------------------------------------------------------------


def coach_resource_upload(ctx: Ctx) -> Results:
    """§2.2 "≥80 % of coaches upload at least 1 resource within 14 days".

    Of the coach accounts that joined in the week, those with a resource added to their
    library (a file or a link: ``Resource.created_at``, or a ``resource_uploaded`` event
    for one deleted since) within 14 × 24 hours of ``date_joined``.
    """
    w = ctx.window
    deadline = _plus(OuterRef("date_joined"), UPLOAD_WINDOW)
    uploaded = Exists(
        Resource.objects.filter(coach=OuterRef("pk"), created_at__lte=deadline)
    ) | Exists(
        Event.objects.filter(
            user=OuterRef("pk"),
            name=EventName.RESOURCE_UPLOADED,
            occurred_at__gte=OuterRef("date_joined"),
            occurred_at__lte=deadline,
        )
    )
    totals = (
        User.objects.filter(role=Role.COACH, date_joined__gte=w.start_at, date_joined__lt=w.end_at)
        .annotate(uploaded=uploaded)
        .aggregate(total=Count("id"), done=Count("id", filter=Q(uploaded=True)))
    )
    return {"coach_resource_upload_14d": {"all": share(totals["done"], totals["total"])}}


def client_resource_open(ctx: Ctx) -> Results:
    """§2.2 "≥60 % of clients access shared resources within 7 days".

    Of the clients given at least one resource in the week (a ``Share`` created in the
    week: a resource, or a collection), those who opened one of the resources given that
    week (``ResourceView``; for a collection, any resource in it) within 7 × 24 hours of
    that share. Openings before the share do not count. A share withdrawn since (its row
    deleted) no longer counts, nor does a client account deactivated since (the
    population convention above).
    """
    w = ctx.window
    opened = Exists(
        ResourceView.objects.filter(
            client_id=OuterRef("client_id"),
            viewed_at__gte=OuterRef("created_at"),
            viewed_at__lte=_plus(OuterRef("created_at"), OPEN_WINDOW),
        ).filter(
            Q(resource_id=OuterRef("resource_id"))
            | Q(resource__collection_items__collection_id=OuterRef("collection_id"))
        )
    )
    totals = (
        Share.objects.filter(
            created_at__gte=w.start_at,
            created_at__lt=w.end_at,
            client__role=Role.CLIENT,
            client__is_active=True,
        )
        .annotate(opened=opened)
        .aggregate(
            total=Count("client", distinct=True),
            done=Count("client", distinct=True, filter=Q(opened=True)),
        )
    )
    return {"client_resource_open_7d": {"all": share(totals["done"], totals["total"])}}


def client_journal(ctx: Ctx) -> Results:
    """§2.2 "≥50 % of clients create at least 1 journal entry per week" and "≥30 % of
    clients share journal entries with coaches".

    Denominator for both: active client accounts (``is_active``) that joined and completed
    onboarding before the week's end.

    * ``client_journal_weekly``: wrote at least one entry in the week — an ``Entry``
      created in it (``created_at``, not the day it is dated), or a ``journal_entry`` event
      for an entry deleted since.
    * ``client_journal_sharing``: shared at least one entry with a coach in the 30 local
      days to the week's end — an entry whose current sharing began then (``shared_at``),
      or a ``journal_shared`` event (which also keeps shares withdrawn since).
    """
    w = ctx.window
    share_from = w.midnight_days_before_end(JOURNAL_SHARING_DAYS)
    wrote = Exists(
        Entry.objects.filter(
            author=OuterRef("pk"), created_at__gte=w.start_at, created_at__lt=w.end_at
        )
    ) | Exists(
        Event.objects.filter(
            user=OuterRef("pk"),
            name=EventName.JOURNAL_ENTRY,
            occurred_at__gte=w.start_at,
            occurred_at__lt=w.end_at,
        )
    )
    shared = Exists(
        Entry.objects.filter(
            author=OuterRef("pk"), shared_at__gte=share_from, shared_at__lt=w.end_at
        )
    ) | Exists(
        Event.objects.filter(
            user=OuterRef("pk"),
            name=EventName.JOURNAL_SHARED,
            occurred_at__gte=share_from,
            occurred_at__lt=w.end_at,
        )
    )
    totals = (
        User.objects.filter(
            role=Role.CLIENT,
            is_active=True,
            date_joined__lt=w.end_at,
            onboarding__completed_at__lt=w.end_at,
        )
        .annotate(wrote=wrote, shared=shared)
        .aggregate(
            total=Count("id"),
            wrote_n=Count("id", filter=Q(wrote=True)),
            shared_n=Count("id", filter=Q(shared=True)),
        )
    )
    return {
        "client_journal_weekly": {"all": share(totals["wrote_n"], totals["total"])},
        "client_journal_sharing": {"all": share(totals["shared_n"], totals["total"])},
    }


# --- Messaging (§2.2) -------------------------------------------------------------------------


def messaging_pairs(ctx: Ctx) -> Results:
    """§2.2 "≥70 % of coach-client pairs exchange at least 1 message per week".

    Pairs: coach–client links (``CoachClient``) created before the week's end and active
    at it (still active, or archived after it), between two active accounts (a
    deactivated person's link is often left as it was, and can exchange nothing). Numerator: pairs with at least one
    message, from either side, in their conversation in the week (deleted messages
    included: they were exchanged).
    """
    w = ctx.window
    in_week = Exists(
        Message.objects.filter(
            conversation__coach_id=OuterRef("coach_id"),
            conversation__client_id=OuterRef("client_id"),
            created_at__gte=w.start_at,
            created_at__lt=w.end_at,
        )
    )
    totals = (
        CoachClient.objects.filter(
            created_at__lt=w.end_at, coach__is_active=True, client__is_active=True
        )
        .filter(Q(status=CoachClient.Status.ACTIVE) | Q(archived_at__gte=w.end_at))
        .annotate(messaged=in_week)
        .aggregate(total=Count("id"), done=Count("id", filter=Q(messaged=True)))
    )
    return {"messaging_pairs_weekly": {"all": share(totals["done"], totals["total"])}}


def coach_response(ctx: Ctx) -> Results:
    """§2.2 "average response time <24 hours", for the coach.

    A client *turn* starts with a client message that follows a coach message in the same
    conversation, or is its first message (ordered by time, then id). For each turn
    started in the week: the time until the coach's next message in that conversation,
    if it came within 30 days (``REPLY_WINDOW``). Later client messages in the same turn
    do not restart the clock.

    * ``coach_response_hours``: total hours ÷ answered turns (the mean, in hours).
    * ``coach_response_unanswered``: turns with no coach message within 30 days ÷ all
      turns started in the week, as a percentage.

    Deleted messages count as sent (they were, and a deleted reply was still a reply).
    """
    w = ctx.window
    previous_sender = Subquery(
        Message.objects.filter(conversation_id=OuterRef("conversation_id"))
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
        )
        .order_by("-created_at", "-id")
        .values("sender_id")[:1]
    )
    reply_at = Subquery(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            sender_id=OuterRef("conversation__coach_id"),
            created_at__gt=OuterRef("created_at"),
            created_at__lte=_plus(OuterRef("created_at"), REPLY_WINDOW),
        )
        .order_by("created_at", "id")
        .values("created_at")[:1],
        output_field=DateTimeField(),
    )
    totals = (
        Message.objects.filter(
            created_at__gte=w.start_at,
            created_at__lt=w.end_at,
            sender_id=F("conversation__client_id"),
        )
        .annotate(previous=previous_sender)
        .filter(Q(previous__isnull=True) | Q(previous=F("conversation__coach_id")))
        .annotate(reply_at=reply_at)
        .aggregate(
            turns=Count("id"),
            answered=Count("reply_at"),
            waited=Sum(
                ExpressionWrapper(F("reply_at") - F("created_at"), output_field=DurationField())
            ),
        )
    )
    waited: timedelta = totals["waited"] or timedelta(0)
    hours = waited.total_seconds() / 3600.0
    turns, answered = totals["turns"], totals["answered"]
    return {
        "coach_response_hours": {"all": mean(hours, answered)},
        "coach_response_unanswered": {"all": share(turns - answered, turns)},
    }


# --- Satisfaction and growth ----------------------------------------------------------------------


NPS_FILTERS: dict[str, Q] = {
    "all": Q(),
    "coach": Q(role=Role.COACH),
    "client": Q(role=Role.CLIENT),
    "session": Q(trigger="session"),
    "monthly": Q(trigger="monthly"),
    "en": Q(language="en"),
    "he": Q(language="he"),
}


def nps(ctx: Ctx) -> Results:
    """§2.1 "NPS ≥40 … post-session and monthly NPS surveys".

    Over the answers (``score`` not NULL; a dismissed survey is not an answer) given in
    the period (``answered_at`` in the reporting zone's week or month — not the person's
    own survey month): NPS = % promoters (9–10) − % detractors (0–6), computed by
    ``loom.analytics.nps.nps_score`` with its category bounds. Stored numerator:
    promoters − detractors; denominator: answers. Segments: the person's role, the
    survey's trigger (after a session, monthly) and its language. Administrators are
    never surveyed; an answer recorded with their role would not count.
    """
    w = ctx.window
    aggregates: dict[str, Any] = {}
    for segment, condition in NPS_FILTERS.items():
        aggregates[f"{segment}_n"] = Count("id", filter=condition)
        aggregates[f"{segment}_p"] = Count(
            "id", filter=condition & Q(score__gte=nps_survey.PROMOTER_MIN)
        )
        aggregates[f"{segment}_d"] = Count(
            "id", filter=condition & Q(score__lte=nps_survey.DETRACTOR_MAX)
        )
    totals = NpsResponse.objects.filter(
        role__in=PEOPLE,
        score__isnull=False,
        answered_at__gte=w.start_at,
        answered_at__lt=w.end_at,
    ).aggregate(**aggregates)
    out: dict[str, Figure] = {}
    for segment in NPS_FILTERS:
        answers = totals[f"{segment}_n"]
        promoters, detractors = totals[f"{segment}_p"], totals[f"{segment}_d"]
        # The one formula, shared with the survey's admin page (loom.analytics.nps).
        value = nps_survey.nps_score(promoters, answers - promoters - detractors, detractors)
        out[segment] = Figure(float(promoters - detractors), float(answers), value)
    return {"nps": out}


def growth(ctx: Ctx) -> Results:
    """§7.2 "user growth (coaches and clients)": active accounts of each role at the
    period's end (denominator: at its start), and those that joined during it
    (denominator: the total at the end). Deactivated accounts are left out of every
    figure, so ``total at end − total at start = new``."""
    w = ctx.window
    totals = User.objects.filter(role__in=PEOPLE, is_active=True).aggregate(
        **{
            f"{role}_{name}": Count("id", filter=Q(role=role) & condition)
            for role in SEGMENT_ROLES
            for name, condition in (
                ("end", Q(date_joined__lt=w.end_at)),
                ("start", Q(date_joined__lt=w.start_at)),
                ("new", Q(date_joined__gte=w.start_at, date_joined__lt=w.end_at)),
            )
        }
    )
    out: Results = {}
    for role, plural in (("coach", "coaches"), ("client", "clients")):
        out[f"{plural}_total"] = {"all": count(totals[f"{role}_end"], totals[f"{role}_start"])}
        out[f"{plural}_new"] = {"all": count(totals[f"{role}_new"], totals[f"{role}_end"])}
    return out


@dataclass(frozen=True)
class Formula:
    keys: tuple[str, ...]
    compute: Callable[[Ctx], Results]


FORMULAS: tuple[Formula, ...] = (
    Formula(("onboarding_completion",), onboarding_completion),
    Formula(("sessions_per_coach", "session_completion", "active_coaches"), sessions),
    Formula(("coaches_at_baseline",), coaches_at_baseline),
    Formula(("active_clients",), active_clients),
    Formula(("dau_share",), dau_share),
    Formula(("wau_share",), wau_share),
    Formula(("visit_minutes",), visit_minutes),
    Formula(("return_7d",), return_7d),
    Formula(("coach_resource_upload_14d",), coach_resource_upload),
    Formula(("client_resource_open_7d",), client_resource_open),
    Formula(("client_journal_weekly", "client_journal_sharing"), client_journal),
    Formula(("messaging_pairs_weekly",), messaging_pairs),
    Formula(("coach_response_hours", "coach_response_unanswered"), coach_response),
    Formula(("nps",), nps),
    Formula(("coaches_total", "clients_total", "coaches_new", "clients_new"), growth),
)
