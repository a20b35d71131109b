"""The coach calendar page workload: ``GET /coach/sessions/calendar/?week=…`` over HTTP.

``bench.run`` calls ``specs()``, which prepares the data in a subprocess (``python -m
bench.calendar_page``, with the Loom server's environment, after ``bench.prepare`` has
migrated the database) and returns the workload's ``Spec``; ``bench.run`` then serves
and loads it like the coach home page.

The load: a coach of their own (``bench.calendar-coach@…``, Asia/Jerusalem, working
08:00–20:00 Sunday to Thursday, with two overrides in the measured week) with eight
active clients and **200 sessions of 30 minutes**: 100 in the measured week (next
week, Monday to Sunday in the coach's zone, some outside working hours) and 50 in each
week either side, in every status the calendar shows, plus 10 cancelled ones it leaves
out. The measured request is the week with 100 sessions. The subprocess also counts the
queries of one warmed-up request, so the summary shows that it stays constant (the
page's test proves 5 vs 50 sessions give the same count:
``tests/scheduling/test_pages_coach.py``).

The coach's sessions and overrides are deleted and created again on every run, so a
reused PostgreSQL database measures the same load.
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from bench.prepare import prepare_in_subprocess

NAME = "calendar_page"
DEFAULT_RATE = 10.0
COACH_EMAIL = "bench.calendar-coach@bench.loom.localhost"
SESSIONS_IN_WEEK = 100
SESSIONS_EACH_SIDE = 50
CANCELLED = 10
STATUSES = ("scheduled", "scheduled", "scheduled", "requested", "completed", "no_show")


def specs(spec_class: Any, *, env: dict[str, str], only: set[str]) -> list[Any]:
    """The calendar page's ``Spec`` for ``bench.run`` (none when ``BENCH_ONLY`` leaves it out).

    Offered ``BENCH_CALENDAR_RATE`` requests per second (default 10): a coach opens
    the week calendar a few times an hour, so ten a second stands for a practice of
    several thousand coaches on one worker.
    """
    if only and NAME not in only:
        return []
    rate = float(os.environ.get("BENCH_CALENDAR_RATE") or DEFAULT_RATE)
    prepared = prepare_in_subprocess("bench.calendar_page", env)
    return [
        spec_class(
            NAME,
            "workload",
            f"Signed-in coach week calendar {prepared['path']}: {prepared['sessions_in_week']} "
            f"sessions in the week shown, {prepared['sessions_total']} around it "
            f"(coach in {prepared['coach_timezone']}).",
            "config.asgi:application",
            prepared["path"],
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["queries"],
                "response_bytes": prepared["bytes"],
                "sessions_in_week": prepared["sessions_in_week"],
                "sessions_total": prepared["sessions_total"],
            },
        )
    ]


def _create_data() -> tuple[Any, str, int, int]:
    """The calendar coach, clients, hours, a type and the sessions; returns the coach,
    the measured week's Monday (ISO) and the session counts (in the week, in all)."""
    from datetime import datetime, time, timedelta
    from zoneinfo import ZoneInfo

    from django.db import transaction
    from django.utils import timezone

    from bench.prepare import CLIENTS, _user
    from loom.accounts.models import CoachClient
    from loom.scheduling.models import (
        AvailabilityOverride,
        Session,
        SessionType,
        WeeklyAvailability,
    )

    tz = ZoneInfo("Asia/Jerusalem")
    with transaction.atomic():
        coach = _user(
            COACH_EMAIL, role="coach", full_name="Miriam Calendar", language="en", tz=tz.key
        )
        clients = []
        for name, language, client_tz, _goal in CLIENTS:
            email = f"{name.lower().replace(' ', '.')}@bench.loom.localhost"
            client = _user(email, role="client", full_name=name, language=language, tz=client_tz)
            CoachClient.objects.get_or_create(coach=coach, client=client)
            clients.append(client)
        Session.objects.filter(coach=coach).delete()
        AvailabilityOverride.objects.filter(coach=coach).delete()
        WeeklyAvailability.objects.filter(coach=coach).delete()
        SessionType.objects.filter(coach=coach).delete()
        WeeklyAvailability.objects.bulk_create(
            WeeklyAvailability(coach=coach, weekday=day, start_time=time(8), end_time=time(20))
            for day in (6, 0, 1, 2, 3)
        )
        kinds = [
            SessionType.objects.create(
                coach=coach, name_en=name, duration_minutes=30, colour=colour
            )
            for name, colour in (
                ("Check-in", "#2563eb"),
                ("Career coaching", "#15803d"),
                ("Leadership coaching", "#c2410c"),
            )
        ]
        today = timezone.now().astimezone(tz).date()
        monday = today + timedelta(days=7 - today.weekday())
        AvailabilityOverride.objects.create(
            coach=coach,
            date=monday + timedelta(days=2),
            kind="unavailable_range",
            start_time=time(12),
            end_time=time(14),
        )
        AvailabilityOverride.objects.create(
            coach=coach,
            date=monday + timedelta(days=4),
            kind="extra",
            start_time=time(9),
            end_time=time(13),
        )

        def half_hours(first_day: Any, count: int) -> list[datetime]:
            """``count`` half-hour starts spread over the 7 days from ``first_day``,
            07:00-21:00 local, never overlapping."""
            starts = [
                datetime.combine(first_day + timedelta(days=day), time(7), tzinfo=tz)
                + timedelta(minutes=30 * step)
                for step in range(28)
                for day in range(7)
            ]
            stride = max(1, len(starts) // count)
            return starts[::stride][:count]

        now = timezone.now()
        rows = []
        plan = [
            (monday - timedelta(days=7), SESSIONS_EACH_SIDE),
            (monday, SESSIONS_IN_WEEK),
            (monday + timedelta(days=7), SESSIONS_EACH_SIDE),
        ]
        index = 0
        for first_day, count in plan:
            for starts_at in half_hours(first_day, count):
                status = STATUSES[index % len(STATUSES)]
                if starts_at < now and status in ("scheduled", "requested"):
                    status = "completed"
                elif starts_at >= now and status in ("completed", "no_show"):
                    status = "scheduled"
                rows.append(
                    Session(
                        coach=coach,
                        client=clients[index % len(clients)],
                        session_type=kinds[index % len(kinds)],
                        starts_at=starts_at,
                        ends_at=starts_at + timedelta(minutes=30),
                        coach_timezone=tz.key,
                        status=status,
                    )
                )
                index += 1
        # Cancelled sessions in the measured week: the page leaves them out.
        for offset in range(CANCELLED):
            starts_at = datetime.combine(
                monday + timedelta(days=offset % 7), time(21, 30), tzinfo=tz
            )
            rows.append(
                Session(
                    coach=coach,
                    client=clients[offset % len(clients)],
                    session_type=kinds[0],
                    starts_at=starts_at,
                    ends_at=starts_at + timedelta(minutes=30),
                    coach_timezone=tz.key,
                    status="cancelled",
                )
            )
        Session.objects.bulk_create(rows)
    return coach, monday.isoformat(), SESSIONS_IN_WEEK, len(rows) - CANCELLED


def main() -> int:
    from bench.prepare import _setup_django

    _setup_django()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    coach, monday, in_week, total = _create_data()
    path = f"/coach/sessions/calendar/?week={monday}"
    browser = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    browser.force_login(coach)
    browser.get(path)  # the session's first request records its start
    with CaptureQueriesContext(connection) as queries:
        response = browser.get(path)
    if response.status_code != 200:
        raise SystemExit(
            f"{path} answered {response.status_code} (Location: {response.get('Location')})"
        )
    shown = response.content.count(b'class="sc-event ')
    if shown != in_week:
        raise SystemExit(f"{path} shows {shown} sessions, expected {in_week}")
    cookie_name = settings.SESSION_COOKIE_NAME
    print(
        json.dumps(
            {
                "cookie": f"{cookie_name}={browser.cookies[cookie_name].value}",
                "path": path,
                "queries": len(queries),
                "bytes": len(response.content),
                "sessions_in_week": in_week,
                "sessions_total": total,
                "coach_timezone": coach.timezone,
            }
        )
    )
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
