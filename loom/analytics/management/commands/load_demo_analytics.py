"""``loom load_demo_analytics``: ten weeks of product events for the demo people, then the
rollups, so every analytics page shows data on a fresh ``make demo``.

Run after the other ``load_demo_*`` commands. The history is plausible rather than
random noise: each person has a usual rhythm (coaches most weekdays, clients a few days
a week, the admin on weekdays), visits of a few minutes with page views on real routes
of their role, and the actions of their role (sign-ins, bookings, messages, journal
entries, check-ins, resources). One client of each coach went quiet three weeks ago, so
"clients who may need attention" has someone in it. A few NPS answers (scores, with a
generic comment or none) are added when there are none.

Deterministic (seeded by each person's address) and idempotent: the history is written
only when the demo people have no page views older than a week yet (only this command
writes past page views; live use only adds new ones). Events are lean by construction:
no text, no ids of things.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.urls import get_resolver
from django.utils import timezone

from loom.accounts.models import CoachClient, Role, User
from loom.analytics.activity import activity_rebuild
from loom.analytics.events import events_flush
from loom.analytics.models import Event, EventName, NpsResponse, NpsTrigger
from loom.analytics.rollup import RollupResult, record_run
from loom.core.context import system_context

logger = logging.getLogger(__name__)

DEMO_COACHES = ("yael.benami@example.com", "rachel.adler@example.com")
DEMO_ADMINS = ("admin@example.com",)
WEEKS = 10

# Page routes each role moves between (kept to those that exist, see _routes).
ROUTES: dict[str, tuple[str, ...]] = {
    Role.CLIENT: (
        "client:home",
        "client:home",
        "journal:list",
        "journal:new",
        "wellbeing_checkins:list",
        "wellbeing_checkins:new",
        "wellbeing_goals:list",
        "wellbeing_progress:dashboard",
        "messaging:inbox",
        "messaging:conversation",
        "resources_client:library",
        "resources_client:detail",
        "scheduling_client:list",
        "scheduling_client:book",
        "notifications:list",
    ),
    Role.COACH: (
        "coach:home",
        "coach:home",
        "coach:roster",
        "coach:client",
        "scheduling_coach:calendar",
        "scheduling_coach:today",
        "scheduling_coach:detail",
        "messaging:inbox",
        "messaging:conversation",
        "resources_library:library",
        "resources_library:detail",
        "resources_analytics:overview",
        "journal_coach:entry",
        "analytics_coach:dashboard",
    ),
    Role.ADMIN: (
        "admin_area:home",
        "admin_area:outbox",
        "admin_area:security",
        "analytics_admin:dashboard",
        "analytics_admin:operations",
        "analytics_admin:business",
    ),
}

# (event, chance per visit) for each role's actions.
ACTIONS: dict[str, tuple[tuple[str, float], ...]] = {
    Role.CLIENT: (
        (EventName.CHECKIN, 0.45),
        (EventName.JOURNAL_ENTRY, 0.3),
        (EventName.JOURNAL_SHARED, 0.08),
        (EventName.MESSAGE_SENT, 0.35),
        (EventName.RESOURCE_OPENED, 0.25),
        (EventName.BOOKING, 0.06),
        (EventName.GOAL_CREATED, 0.02),
    ),
    Role.COACH: (
        (EventName.MESSAGE_SENT, 0.6),
        (EventName.BOOKING, 0.15),
        (EventName.RESOURCE_UPLOADED, 0.05),
        (EventName.RESOURCE_SHARED, 0.1),
    ),
    Role.ADMIN: (),
}

# Chance of a visit on a weekday / at the weekend, by role.
RHYTHM: dict[str, tuple[float, float]] = {
    Role.CLIENT: (0.5, 0.35),
    Role.COACH: (0.9, 0.25),
    Role.ADMIN: (0.8, 0.05),
}

NPS_COMMENTS = {
    "en": ("", "", "Helpful so far.", "Easy to use."),
    "he": ("", "", "מועיל עד עכשיו."),
}


@dataclass(frozen=True)
class Person:
    user: User
    quiet_since: date | None  # stopped using Loom on this day (a client needing attention)


def _routes() -> dict[str, tuple[str, ...]]:
    """The role routes that exist in this build (an area not installed is left out)."""
    resolver = get_resolver()
    names: set[str] = set()

    def walk(patterns: Any, prefix: str) -> None:
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
                walk(pattern.url_patterns, namespace)
            elif getattr(pattern, "name", None):
                names.add(f"{prefix}{pattern.name}")

    walk(resolver.url_patterns, "")
    return {role: tuple(r for r in routes if r in names) for role, routes in ROUTES.items()}


def demo_people(today: date) -> list[Person]:
    coaches = list(
        User.objects.filter(email__in=DEMO_COACHES, role=Role.COACH, is_active=True).order_by(
            "email"
        )
    )
    if not coaches:
        return []
    links = list(
        CoachClient.objects.filter(
            coach__in=coaches, status=CoachClient.Status.ACTIVE, client__is_active=True
        )
        .select_related("client")
        .order_by("coach_id", "client__email")
    )
    clients: dict[int, User] = {}
    rosters: dict[int, list[int]] = {}
    for link in links:
        clients[link.client_id] = link.client
        rosters.setdefault(link.coach_id, []).append(link.client_id)
    # The last client (by address) of each coach went quiet three weeks ago.
    quiet = {roster[-1] for roster in rosters.values() if len(roster) > 1}
    admins = list(User.objects.filter(email__in=DEMO_ADMINS, role=Role.ADMIN, is_active=True))
    return [
        Person(user=u, quiet_since=today - timedelta(days=21) if u.pk in quiet else None)
        for u in (*coaches, *clients.values(), *admins)
    ]


def _visit(
    rng: random.Random, person: Person, start: datetime, routes: tuple[str, ...]
) -> list[Event]:
    user = person.user
    role = user.role
    rows: list[Event] = []
    at = start
    if rng.random() < 0.5:
        rows.append(Event(user=user, role=role, name=EventName.SIGN_IN, occurred_at=at))
    for _ in range(rng.randint(2, 9)):
        at += timedelta(seconds=rng.randint(20, 240))
        if routes:
            rows.append(
                Event(
                    user=user,
                    role=role,
                    name=EventName.PAGE_VIEW,
                    route=rng.choice(routes),
                    occurred_at=at,
                )
            )
    for name, chance in ACTIONS.get(role, ()):
        if rng.random() < chance:
            at += timedelta(seconds=rng.randint(30, 300))
            rows.append(Event(user=user, role=role, name=name, occurred_at=at))
    return rows


def history_for(person: Person, *, today: date, routes: dict[str, tuple[str, ...]]) -> list[Event]:
    """``WEEKS`` weeks of events of one person, ending yesterday, in their own hours."""
    user = person.user
    rng = random.Random(f"loom-demo-analytics:{user.email}")  # noqa: S311 - demo data
    zone = ZoneInfo(user.timezone or "UTC")
    weekday_chance, weekend_chance = RHYTHM.get(user.role, (0.3, 0.1))
    joined = timezone.localtime(user.date_joined, zone).date()
    first = max(today - timedelta(weeks=WEEKS), joined)
    rows: list[Event] = []
    day = first
    while day < today:
        if person.quiet_since is not None and day >= person.quiet_since:
            break
        chance = weekday_chance if day.weekday() < 5 else weekend_chance
        if rng.random() < chance:
            visits = 1 if rng.random() < 0.7 else 2
            hours = sorted(rng.sample(range(7, 22), visits))
            for hour in hours:
                start = datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=zone)
                rows.extend(_visit(rng, person, start, routes.get(user.role, ())))
        day += timedelta(days=1)
    return rows


def _nps(people: list[Person], now: datetime) -> int:
    """A survey answer (or a dismissal) last month for most demo people, when none exist."""
    if NpsResponse.objects.exists():
        return 0
    created = 0
    for person in people:
        user = person.user
        if user.role not in (Role.COACH, Role.CLIENT):
            continue
        rng = random.Random(f"loom-demo-nps:{user.email}")  # noqa: S311 - demo data
        zone = ZoneInfo(user.timezone or "UTC")
        local = timezone.localtime(now, zone)
        last_month_end = local.replace(day=1, hour=12, minute=0) - timedelta(days=1)
        when = last_month_end.replace(day=rng.randint(3, 25))
        if rng.random() < 0.15:
            score, answered_at, dismissed_at = None, None, when
        else:
            score = rng.choice((10, 10, 9, 9, 9, 8, 8, 7, 6, 4))
            answered_at, dismissed_at = when, None
        comments = NPS_COMMENTS.get(user.language, NPS_COMMENTS["en"])
        NpsResponse.objects.create(
            user=user,
            role=user.role,
            language=user.language,
            trigger=NpsTrigger.MONTHLY,
            period=f"{when:%Y-%m}",
            score=score,
            comment=rng.choice(comments) if score is not None else "",
            created_at=when,
            answered_at=answered_at,
            dismissed_at=dismissed_at,
        )
        created += 1
    return created


def _flush_buffer() -> None:
    """Write the events the other demo loaders just buffered (their messages, bookings…),
    so the first dashboards include them; the flush loop would, a moment later."""
    try:
        events_flush()
    except Exception:
        # Redis unreachable: the flush loop writes them once it is back.
        logger.warning("demo analytics: the event buffer could not be flushed", exc_info=True)


def load_demo_analytics(*, now: datetime | None = None) -> dict[str, int]:
    """Write the history (when missing) and run the rollups; returns what was added."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    routes = _routes()
    with system_context():
        people = demo_people(today)
        if not people:
            raise CommandError("No demo coaches yet: run `loom load_demo_data` first.")
        users = [p.user for p in people]
        loaded = Event.objects.filter(
            user__in=users, name=EventName.PAGE_VIEW, occurred_at__lt=now - timedelta(days=7)
        ).exists()
        events = nps = 0
        with transaction.atomic():
            if not loaded:
                rows = [
                    row
                    for person in people
                    for row in history_for(person, today=today, routes=routes)
                ]
                Event.objects.bulk_create(rows, batch_size=5000)
                events = len(rows)
            nps = _nps(people, now)
    _flush_buffer()
    record_run("activity", lambda: activity_rebuild(now=now))
    from loom.analytics.kpis import kpi_rollup

    kpis: RollupResult = record_run("kpis", lambda: kpi_rollup(now=now, full=True))
    return {"events": events, "nps": nps, "kpis": kpis.rows_written}


class Command(BaseCommand):
    help = "Give the demo people ten weeks of product events and run the rollups (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even when neither DEBUG nor LOOM_DEMO_MODE is on.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not (settings.DEBUG or settings.LOOM_DEMO_MODE or options["force"]):
            raise CommandError(
                "Refusing to load demo data: turn on LOOM_DEMO_MODE or pass --force."
            )
        added = load_demo_analytics()
        self.stdout.write(
            "Demo analytics: {events} events and {nps} survey answers added; "
            "rollups done ({kpis} KPI values).".format(**added)
        )
