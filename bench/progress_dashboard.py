"""The client progress dashboard workloads: ``GET /progress/`` and the trends page, over HTTP.

``bench.run`` calls ``specs()``, which prepares the data in a subprocess (``python -m
bench.progress_dashboard``, with the Loom server's environment, after ``bench.prepare``
has migrated the database) and returns the ``Spec``s that ``bench.run`` serves and loads
like the coach home page:

* ``progress_dashboard`` — the client's dashboard (mood trend chart with its 7-day
  moving average and table alternative, check-in and journal streaks, goals with
  milestones, sessions attended, resources completed), the default range;
* ``progress_trends`` — the trends page (mood over time, weekday and time-of-day
  patterns, the "What goes together" insights), which reads the whole range of days.

The load: a client of their own (``bench.progress-client@…``, Asia/Jerusalem, English)
of a coach of their own (``bench.wellbeing-coach@…``), with **a year and a month of daily check-ins** (400 days; one to
three a day — morning with the hours slept, afternoon, evening — about 800 in all, each
with emotions and intensities, some with a coping strategy and encrypted notes), **300
journal entries** over the same year (with practices), **6 goals** in every status with 4
milestones each, 40 completed sessions with the coach and 25 completed resources.
The moods follow a weekly rhythm and depend on sleep, so the insights have something
to find.

Both are offered ``BENCH_PROGRESS_RATE`` requests per second (default 10). The
subprocess also counts the queries of one warmed-up request of each page, so the
summary shows that the query count does not depend on how much the client recorded
(``tests/wellbeing/test_progress*`` assert it is constant).

The client's check-ins, entries, goals, sessions and progress rows are deleted and
created again on every run, so a reused PostgreSQL database measures the same load.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from bench.prepare import prepare_in_subprocess

DASHBOARD_NAME = "progress_dashboard"
TRENDS_NAME = "progress_trends"
DEFAULT_RATE = 10.0
# A coach of their own, so the coach-home workload keeps its eight clients.
COACH_EMAIL = "bench.wellbeing-coach@bench.loom.localhost"
CLIENT_EMAIL = "bench.progress-client@bench.loom.localhost"
TZ = "Asia/Jerusalem"
DAYS = 400
ENTRIES = 300
GOALS = (
    ("Sleep seven hours on work nights", "active"),
    ("Run a 10 km race in the spring", "active"),
    ("Speak up in the weekly team meeting", "active"),
    ("Finish the leadership course", "paused"),
    ("Daily ten-minute body scan for a month", "completed"),
    ("Declutter the home office", "completed"),
)
MILESTONES_PER_GOAL = 4
SESSIONS = 40
RESOURCES_COMPLETED = 25


def specs(spec_class: Any, *, env: dict[str, str], only: set[str]) -> list[Any]:
    """The progress pages' ``Spec``s for ``bench.run`` (none when ``BENCH_ONLY`` leaves
    both out).

    Offered ``BENCH_PROGRESS_RATE`` requests per second (default 10, like the other page
    workloads): a dashboard is opened a few times a day per client.
    """
    wanted = [name for name in (DASHBOARD_NAME, TRENDS_NAME) if not only or name in only]
    if not wanted:
        return []
    rate = float(os.environ.get("BENCH_PROGRESS_RATE") or DEFAULT_RATE)
    prepared = prepare_in_subprocess("bench.progress_dashboard", env)
    load = (
        f"a client with {prepared['checkins']} check-ins on {prepared['checkin_days']} days, "
        f"{prepared['entries']} journal entries, {prepared['goals']} goals with "
        f"{prepared['milestones']} milestones, {prepared['sessions']} completed sessions and "
        f"{prepared['resources_completed']} completed resources"
    )
    built = {}
    for name, key, what in (
        (DASHBOARD_NAME, "dashboard", "progress dashboard"),
        (TRENDS_NAME, "trends", "trends and insights page"),
    ):
        if f"{key}_path" not in prepared:
            continue
        built[name] = spec_class(
            name,
            "workload",
            f"Signed-in client {what} {prepared[f'{key}_path']}: {load}.",
            "config.asgi:application",
            prepared[f"{key}_path"],
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared[f"{key}_queries"],
                "response_bytes": prepared[f"{key}_bytes"],
                "checkins": prepared["checkins"],
                "checkin_days": prepared["checkin_days"],
            },
        )
    return [built[name] for name in wanted if name in built]


def _mood_for(day_index: int, weekday: int, slept: float, slot: int) -> tuple[int, int]:
    """Pleasantness and energy with a weekly rhythm, a sleep effect and some noise."""
    wobble = (day_index * 37 + slot * 11) % 5 - 2  # -2..2, deterministic
    base = 6 + (1 if weekday in (4, 5) else 0) - (1 if weekday == 0 else 0)
    sleep_effect = 1 if slept >= 7 else -1
    pleasant = max(1, min(10, base + sleep_effect + wobble // 2))
    energy = max(1, min(10, 5 + sleep_effect + (1 if slot == 1 else 0) - (wobble % 2)))
    return pleasant, energy


def _create_data() -> tuple[Any, dict[str, int]]:
    """The progress client and a year of what they recorded; returns the client and counts."""
    from datetime import datetime, time, timedelta
    from decimal import Decimal
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from bench.journal_list import _entry_fields
    from bench.prepare import _user
    from loom.accounts.models import CoachClient
    from loom.journal import vocabulary as journal_vocabulary
    from loom.journal.days import local_today
    from loom.journal.models import Entry
    from loom.resources.models import Resource, ResourceProgress
    from loom.scheduling.models import Session, SessionType
    from loom.wellbeing import vocabulary as wellbeing_vocabulary
    from loom.wellbeing.models import CheckIn, Goal, Milestone, SharingPreference

    zone = ZoneInfo(TZ)
    emotions = [e.key for e in journal_vocabulary.EMOTIONS]
    sensations = list(journal_vocabulary.SENSATIONS)
    coping = list(wellbeing_vocabulary.COPING_STRATEGIES)
    with transaction.atomic():
        coach = _user(COACH_EMAIL, role="coach", full_name="Orly Wellbeing", language="en", tz=TZ)
        client = _user(
            CLIENT_EMAIL, role="client", full_name="Shira Progress", language="en", tz=TZ
        )
        CoachClient.objects.update_or_create(
            coach=coach, client=client, defaults={"status": CoachClient.Status.ACTIVE}
        )
        CheckIn.objects.filter(client=client).delete()
        Entry.objects.filter(author=client).delete()
        Goal.objects.filter(client=client).delete()
        Session.objects.filter(client=client).delete()
        ResourceProgress.objects.filter(client=client).delete()
        Resource.objects.filter(coach=coach, title__startswith="Progress bench ").delete()
        SharingPreference.objects.update_or_create(
            client=client, defaults={"share_checkins": True, "share_goals": True}
        )
        today = local_today(client)
        now = timezone.now()

        # Check-ins: morning (with sleep) every day, afternoon on most, evening on some.
        checkins = []
        for day_index in range(DAYS):
            day = today - timedelta(days=day_index)
            slept = 5.5 + (day_index * 7 % 9) * 0.5  # 5.5 .. 9.5 hours
            for slot, hour in enumerate((8, 13, 21)):
                if (slot == 1 and day_index % 4 == 3) or (slot == 2 and day_index % 2):
                    continue
                moment = datetime.combine(day, time(hour, (day_index * 13) % 60), tzinfo=zone)
                if moment > now:
                    continue
                pleasant, energy = _mood_for(day_index, day.weekday(), slept, slot)
                named = [
                    {
                        "emotion": emotions[(day_index + slot * 7 + k * 3) % len(emotions)],
                        "intensity": 1 + (day_index + k) % 10,
                    }
                    for k in range(1 + (day_index + slot) % 3)
                ]
                strategy = coping[day_index % len(coping)] if day_index % 3 == 0 else ""
                checkins.append(
                    CheckIn(
                        client=client,
                        occurred_at=moment,
                        timezone=TZ,
                        local_date=day,
                        local_hour=hour,
                        created_at=moment,
                        updated_at=moment,
                        pleasantness=pleasant,
                        energy=energy,
                        emotions=named,
                        sensations=[sensations[(day_index + slot) % len(sensations)]],
                        trigger="A hard conversation at work" if day_index % 5 == 0 else "",
                        thoughts="I am behind on everything" if day_index % 6 == 0 else "",
                        coping_strategy=strategy,
                        coping_helped=1 + day_index % 5 if strategy else None,
                        sleep_hours=Decimal(str(slept)) if slot == 0 else None,
                        note="Felt it in my chest first." if day_index % 4 == 0 else "",
                    )
                )
        CheckIn.objects.bulk_create(checkins)

        # Journal entries over the year (every 1.3 days or so), practices included.
        entries = []
        for index in range(ENTRIES):
            fields = _entry_fields(index, today)
            fields["written_on"] = today - timedelta(days=index * 365 // ENTRIES)
            created = now - timedelta(days=index * 365 // ENTRIES)
            entries.append(Entry(author=client, created_at=created, updated_at=created, **fields))
        Entry.objects.bulk_create(entries)

        # Goals in every status, with milestones (done in order, the first ones first).
        milestones = []
        for number, (title, status) in enumerate(GOALS):
            done = {"active": 1 + number % 3, "paused": 1, "completed": MILESTONES_PER_GOAL}[status]
            goal = Goal.objects.create(
                client=client,
                proposed_by=coach if number == 2 else None,
                title=title,
                why="Because it matters for how I want to live this year.",
                measure="I will know when I have done it three weeks in a row.",
                target_date=today + timedelta(days=30 * (number + 1)),
                status=status,
                progress=done * 100 // MILESTONES_PER_GOAL,
                created_at=now - timedelta(days=200 - number * 20),
                accepted_at=now - timedelta(days=190) if number == 2 else None,
                completed_at=now - timedelta(days=10 * number) if status == "completed" else None,
            )
            for position in range(MILESTONES_PER_GOAL):
                milestones.append(
                    Milestone(
                        goal=goal,
                        title=f"Step {position + 1} of {title.lower()}",
                        due_on=today + timedelta(days=7 * (position + 1)),
                        position=position,
                        completed_at=now - timedelta(days=5 * (MILESTONES_PER_GOAL - position))
                        if position < done
                        else None,
                    )
                )
        Milestone.objects.bulk_create(milestones)

        # Completed sessions, one every nine days, and completed resources.
        kind, _created = SessionType.objects.get_or_create(
            coach=coach, name_en="Progress bench session", defaults={"duration_minutes": 60}
        )
        sessions = []
        for number in range(SESSIONS):
            starts = datetime.combine(today - timedelta(days=3 + 9 * number), time(10), tzinfo=zone)
            sessions.append(
                Session(
                    coach=coach,
                    client=client,
                    session_type=kind,
                    starts_at=starts,
                    ends_at=starts + timedelta(hours=1),
                    coach_timezone=TZ,
                    status="completed",
                )
            )
        Session.objects.bulk_create(sessions)
        resources = Resource.objects.bulk_create(
            Resource(
                coach=coach,
                kind="link",
                title=f"Progress bench resource {number:02d}",
                url=f"https://example.com/practice/{number}",
            )
            for number in range(RESOURCES_COMPLETED)
        )
        ResourceProgress.objects.bulk_create(
            ResourceProgress(
                coach=coach,
                client=client,
                resource=resource,
                first_viewed_at=now - timedelta(days=60 - number),
                last_viewed_at=now - timedelta(days=30 - number),
                view_count=2,
                completed_at=now - timedelta(days=30 - number),
            )
            for number, resource in enumerate(resources)
        )
    return client, {
        "checkins": len(checkins),
        "checkin_days": len({c.local_date for c in checkins}),
        "entries": len(entries),
        "goals": len(GOALS),
        "milestones": len(milestones),
        "sessions": len(sessions),
        "resources_completed": len(resources),
    }


def main() -> int:
    from bench.prepare import _setup_django

    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    client, counts = _create_data()
    browser = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    browser.force_login(client)
    measured: dict[str, Any] = {}
    for key, name in (
        ("dashboard", "wellbeing_progress:dashboard"),
        ("trends", "wellbeing_progress:trends"),
    ):
        try:
            path = reverse(name)
        except NoReverseMatch:
            if key == "dashboard":
                raise
            continue  # the trends page is measured once it exists
        browser.get(path)  # the first request records the session's start; warms caches
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(path)
        if response.status_code != 200:
            raise SystemExit(
                f"{path} answered {response.status_code} (Location: {response.get('Location')})"
            )
        measured.update(
            {
                f"{key}_path": path,
                f"{key}_queries": len(queries),
                f"{key}_bytes": len(response.content),
            }
        )
    cookie_name = settings.SESSION_COOKIE_NAME
    print(
        json.dumps(
            {
                "cookie": f"{cookie_name}={browser.cookies[cookie_name].value}",
                **measured,
                **counts,
            }
        )
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
