"""Scheduling measurements of ``make bench``, in-process (there are no scheduling pages yet).

Run by ``bench.run`` in a subprocess with the Loom server's environment
(``python -m bench.scheduling``) after ``bench.prepare`` has migrated the database.
Prints one JSON object on its last line: ``{"scheduling_slots": {...},
"scheduling_booking": {...}}``.

* ``scheduling_slots``: the path a slot request will take — load the session type
  with its coach, then ``selectors.slots_for_session_type`` (weekly hours, overrides
  and busy times from the database, then the pure engine) — for 30 and 60 days ahead,
  for a coach with 200 active sessions in the next 60 days. Timed over many
  repetitions after a warm-up; the query count is taken from one extra call.
* ``scheduling_booking``: N threads (``BENCH_BOOKING_THREADS``, default 8), each a
  client of one coach, call ``services.session_book`` back to back. Every other
  attempt is a slot of the thread's own (distinct: it should succeed); the others are
  a "hot" slot that every thread tries (colliding: one success, N - 1 conflicts).
  All of them contend for the coach's lock. Afterwards a query checks that no two
  active sessions of a coach overlap.

The bench coaches' sessions are deleted at the start of each run, so a reused
PostgreSQL database measures the same load every time.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from datetime import date, datetime, timedelta
from datetime import time as wall
from typing import Any

SLOTS_COACH_EMAIL = "bench.slots-coach@bench.loom.localhost"
BOOKING_COACH_EMAIL = "bench.booking-coach@bench.loom.localhost"
EXISTING_SESSIONS = 200
RANGES_DAYS = (30, 60)

OVERLAPPING_ACTIVE = """
    SELECT COUNT(*) FROM scheduling_session a
    JOIN scheduling_session b
      ON a.coach_id = b.coach_id AND a.id < b.id
     AND a.starts_at < b.ends_at AND b.starts_at < a.ends_at
    WHERE a.status IN ('requested', 'scheduled', 'in_progress')
      AND b.status IN ('requested', 'scheduled', 'in_progress')
"""


def _percentiles(values_ms: list[float]) -> dict[str, float | None]:
    """Nearest-rank percentiles, like the HTTP figures (bench.loadgen)."""
    if not values_ms:
        return {"p50": None, "p95": None, "p99": None, "max": None, "mean": None}
    ordered = sorted(values_ms)

    def rank(p: float) -> float:
        index = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
        return round(ordered[int(index)], 3)

    return {
        "p50": rank(50),
        "p95": rank(95),
        "p99": rank(99),
        "max": round(ordered[-1], 3),
        "mean": round(sum(ordered) / len(ordered), 3),
    }


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


# --- Data ----------------------------------------------------------------------------------


def _coach_with_clients(email: str, *, tz: str, clients: int) -> tuple[Any, list[Any]]:
    from bench.prepare import _user
    from loom.accounts.models import CoachClient

    local = email.split("@")[0]
    coach = _user(email, role="coach", full_name="Bench Scheduler", language="en", tz=tz)
    people = []
    for index in range(clients):
        client = _user(
            f"{local}.client{index}@bench.loom.localhost",
            role="client",
            full_name=f"Bench Client {index}",
            language="en",
            tz="Europe/London",
        )
        CoachClient.objects.get_or_create(coach=coach, client=client)
        people.append(client)
    return coach, people


def _session_type(coach: Any, **fields: Any) -> Any:
    from loom.scheduling.models import SessionType
    from loom.scheduling.services import SessionTypeInput, session_type_create

    SessionType.objects.filter(coach=coach, sessions__isnull=True).delete()
    SessionType.objects.filter(coach=coach).update(is_active=False)
    return session_type_create(coach=coach, data=SessionTypeInput(**fields))


def _reset(coaches: list[Any]) -> None:
    from loom.core.context import system_context
    from loom.scheduling.models import AvailabilityOverride, Session

    with system_context():
        Session.objects.filter(coach__in=coaches).delete()
        AvailabilityOverride.objects.filter(coach__in=coaches).delete()


def _non_overlapping(slots: list[Any], gap: timedelta) -> list[Any]:
    chosen: list[Any] = []
    for slot in slots:
        if not chosen or slot.starts_at >= chosen[-1].ends_at + gap:
            chosen.append(slot)
    return chosen


def prepare_slots_coach(now: datetime) -> dict[str, Any]:
    """A coach in Jerusalem: two ranges a day Sunday to Thursday, three overrides, a
    60-minute type with 15-minute buffers and caps, and 200 sessions in the next 60 days."""
    from django.db import transaction

    from loom.core.context import system_context
    from loom.scheduling.models import Session, SessionStatus
    from loom.scheduling.selectors import slots_for_session_type
    from loom.scheduling.services import availability_override_add, weekly_availability_set

    with transaction.atomic():
        coach, clients = _coach_with_clients(SLOTS_COACH_EMAIL, tz="Asia/Jerusalem", clients=8)
        _reset([coach])
        weekly_availability_set(
            coach=coach,
            ranges=[
                (day, start, end)
                for day in (6, 0, 1, 2, 3)  # Sunday to Thursday
                for start, end in ((wall(9), wall(13)), (wall(14), wall(18)))
            ],
        )
        today = now.date()

        def next_weekday(after: date, weekday: int) -> date:
            return after + timedelta(days=(weekday - after.weekday()) % 7 or 7)

        availability_override_add(
            coach=coach, day=next_weekday(today + timedelta(days=10), 0), kind="unavailable_day"
        )
        availability_override_add(
            coach=coach,
            day=next_weekday(today + timedelta(days=20), 1),
            kind="unavailable_range",
            start_time=wall(9),
            end_time=wall(11),
        )
        availability_override_add(
            coach=coach,
            day=next_weekday(today + timedelta(days=30), 4),  # a Friday
            kind="extra",
            start_time=wall(9),
            end_time=wall(12),
        )
        kind = _session_type(
            coach,
            name_en="Bench coaching",
            duration_minutes=60,
            buffer_before_minutes=15,
            buffer_after_minutes=15,
            minimum_notice_minutes=240,
            booking_horizon_days=60,
            max_sessions_per_day=8,
            max_sessions_per_week=35,
        )
        # Sessions on the slots the engine offers (so they respect hours and buffers),
        # spread evenly over the 60 days.
        free = slots_for_session_type(
            kind, start=now, end=now + timedelta(days=RANGES_DAYS[-1]), now=now
        )
        fitting = _non_overlapping(free, timedelta(minutes=15))
        if len(fitting) < EXISTING_SESSIONS:
            raise SystemExit(f"only {len(fitting)} non-overlapping slots for the bench sessions")
        step = len(fitting) / EXISTING_SESSIONS
        picked = [fitting[int(i * step)] for i in range(EXISTING_SESSIONS)]
        with system_context():
            Session.objects.bulk_create(
                Session(
                    coach=coach,
                    client=clients[index % len(clients)],
                    session_type=kind,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    coach_timezone=coach.timezone,
                    buffer_before_minutes=15,
                    buffer_after_minutes=15,
                    status=SessionStatus.SCHEDULED,
                )
                for index, slot in enumerate(picked)
            )
    return {"coach": coach, "client": clients[0], "kind": kind}


# --- Slot computation --------------------------------------------------------------------


def measure_slots(data: dict[str, Any], *, repetitions: int, warmup: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from loom.core.context import acting_as, system_context
    from loom.scheduling.models import Session, SessionType
    from loom.scheduling.selectors import slot_inputs_for, slot_rules_for, slots_for_session_type

    coach, client, kind_id = data["coach"], data["client"], data["kind"].pk

    def request(days: int) -> int:
        # What a slot request will do: find the coach's type, then compute its slots.
        now = timezone.now()
        kind = SessionType.objects.select_related("coach").get(
            pk=kind_id, coach_id=coach.pk, is_active=True
        )
        return len(slots_for_session_type(kind, start=now, end=now + timedelta(days=days)))

    ranges = []
    with acting_as(client.pk):  # as the client asking for the grid
        for days in RANGES_DAYS:
            for _ in range(warmup):
                request(days)
            timings: list[float] = []
            for _ in range(repetitions):
                started = time.perf_counter()
                slot_count = request(days)
                timings.append((time.perf_counter() - started) * 1000)
            with CaptureQueriesContext(connection) as queries:
                request(days)
            # Where the time goes: loading the inputs (queries) against the pure engine.
            load_ms: list[float] = []
            engine_ms: list[float] = []
            for _ in range(max(20, repetitions // 5)):
                now = timezone.now()
                end = now + timedelta(days=days)
                started = time.perf_counter()
                kind = SessionType.objects.select_related("coach").get(pk=kind_id)
                inputs = slot_inputs_for(kind.coach, start=now, end=end)
                loaded = time.perf_counter()
                inputs.slots(slot_rules_for(kind), start=now, end=end, now=now)
                load_ms.append((loaded - started) * 1000)
                engine_ms.append((time.perf_counter() - loaded) * 1000)
            now = timezone.now()
            with system_context():
                in_range = Session.objects.filter(
                    coach=coach, starts_at__gte=now, starts_at__lt=now + timedelta(days=days)
                ).count()
            latency = _percentiles(timings)
            ranges.append(
                {
                    "days": days,
                    "repetitions": repetitions,
                    "latency_ms": latency,
                    "db_queries": len(queries),
                    "breakdown_p50_ms": {
                        "load_inputs": _percentiles(load_ms)["p50"],
                        "engine": _percentiles(engine_ms)["p50"],
                    },
                    "slots_returned": slot_count,
                    "sessions_in_range": in_range,
                    "goal_p95_ms": 20,
                    "goal_met": latency["p95"] is not None and latency["p95"] < 20,
                }
            )
    with system_context():
        existing = Session.objects.filter(coach=coach).count()
    return {
        "name": "scheduling_slots",
        "kind": "in-process",
        "description": (
            "Bookable slots of one session type for the next 30 and 60 days: the session "
            "type query plus selectors.slots_for_session_type (weekly hours, overrides and "
            "busy times from the database, then the pure engine), run in-process as the "
            "client asking (no HTTP, to isolate the scheduling code)."
        ),
        "load": {
            "existing_sessions": existing,
            "coach_timezone": coach.timezone,
            "weekly_hours": "Sunday to Thursday, 09:00-13:00 and 14:00-18:00",
            "overrides": "a day off, a morning off, extra Friday hours",
            "session_type": "60 min, 15 min buffer before and after, 4 h notice, "
            "60-day horizon, at most 8 a day and 35 a week",
            "warmup_repetitions": warmup,
        },
        "ranges": ranges,
    }


# --- Booking under contention --------------------------------------------------------------


def prepare_booking_coach(now: datetime, *, threads: int, attempts: int) -> dict[str, Any]:
    """A coach in New York, 08:00-20:00 every day, a 30-minute self-booked type; the
    slots each thread will try."""
    from django.db import transaction

    from loom.scheduling.selectors import slots_for_session_type
    from loom.scheduling.services import weekly_availability_set

    with transaction.atomic():
        coach, clients = _coach_with_clients(
            BOOKING_COACH_EMAIL, tz="America/New_York", clients=threads
        )
        _reset([coach])
        weekly_availability_set(coach=coach, ranges=[(day, wall(8), wall(20)) for day in range(7)])
        kind = _session_type(
            coach,
            name_en="Bench booking",
            duration_minutes=30,
            minimum_notice_minutes=60,
            booking_horizon_days=365,
        )
        free = slots_for_session_type(
            kind, start=now + timedelta(days=1), end=now + timedelta(days=365), now=now
        )
    pool = [slot.starts_at for slot in _non_overlapping(free, timedelta(0))]
    distinct_per_thread = (attempts + 1) // 2
    hot_count = attempts // 2
    needed = threads * distinct_per_thread + hot_count
    if len(pool) < needed:
        raise SystemExit(f"only {len(pool)} slots for {needed} booking targets")
    # Thread i's attempt j: its own slot when j is even, the shared hot slot j // 2 when odd.
    hot = pool[threads * distinct_per_thread : needed]
    plans = [
        [pool[i + threads * (j // 2)] if j % 2 == 0 else hot[j // 2] for j in range(attempts)]
        for i in range(threads)
    ]
    return {"coach": coach, "clients": clients, "kind": kind, "plans": plans, "hot": len(hot)}


def measure_booking(data: dict[str, Any], *, threads: int, attempts: int) -> dict[str, Any]:
    from django.db import connection

    from loom.core.context import acting_as, system_context
    from loom.core.errors import Conflict, DomainError
    from loom.scheduling.models import Session, SessionType
    from loom.scheduling.services import session_book

    barrier = threading.Barrier(threads + 1)
    lock = threading.Lock()
    latencies: list[float] = []
    outcomes: dict[str, int] = {}

    def worker(index: int) -> None:
        client = data["clients"][index]
        try:
            with acting_as(client.pk):
                kind = SessionType.objects.select_related("coach").get(pk=data["kind"].pk)
                barrier.wait()
                for starts_at in data["plans"][index]:
                    started = time.perf_counter()
                    try:
                        session_book(
                            actor=client,
                            coach=kind.coach,
                            client=client,
                            session_type=kind,
                            starts_at=starts_at,
                        )
                        outcome = "booked"
                    except Conflict as conflict:
                        outcome = f"conflict:{conflict.code}"
                    except DomainError as error:
                        outcome = f"refused:{error.code}"
                    except Exception as error:  # counted and shown, never hidden
                        outcome = f"error:{type(error).__name__}"
                    elapsed = (time.perf_counter() - started) * 1000
                    with lock:
                        latencies.append(elapsed)
                        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        finally:
            connection.close()

    workers = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in workers:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in workers:
        thread.join()
    wall_s = time.perf_counter() - started

    with system_context():
        with connection.cursor() as cursor:
            cursor.execute(OVERLAPPING_ACTIVE)
            overlapping = int(cursor.fetchone()[0])
        stored = Session.objects.filter(coach=data["coach"]).count()
    booked = outcomes.get("booked", 0)
    conflicts = sum(n for k, n in outcomes.items() if k.startswith("conflict:"))
    total = sum(outcomes.values())
    expected = threads * ((attempts + 1) // 2) + data["hot"]
    return {
        "name": "scheduling_booking",
        "kind": "in-process",
        "description": (
            f"{threads} threads, each a client of one coach, call services.session_book "
            f"{attempts} times back to back on the configured database: every other attempt "
            "a slot of the thread's own, the others a slot every thread tries at about the "
            "same time. Latency is per attempt (closed loop: each thread waits for its answer)."
        ),
        "threads": threads,
        "attempts_per_thread": attempts,
        "attempts": total,
        "wall_s": round(wall_s, 3),
        "attempts_per_s": round(total / wall_s, 1) if wall_s else None,
        "bookings_per_s": round(booked / wall_s, 1) if wall_s else None,
        "latency_ms": _percentiles(latencies),
        "outcomes": dict(sorted(outcomes.items())),
        "successes": booked,
        "conflicts": conflicts,
        "other": total - booked - conflicts,
        "expected_successes": expected,
        "sessions_stored": stored,
        "overlapping_active_pairs": overlapping,
        "correct": overlapping == 0
        and booked == expected == stored
        and booked + conflicts == total,
    }


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    quick = os.environ.get("BENCH_QUICK") == "1"
    repetitions = _env_int("BENCH_SLOT_REPETITIONS", 50 if quick else 500)
    threads = _env_int("BENCH_BOOKING_THREADS", 8)
    attempts = _env_int("BENCH_BOOKING_ATTEMPTS", 10 if quick else 40)
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}

    now = timezone.now()
    output: dict[str, Any] = {"database": connection.vendor}
    if not only or "scheduling_slots" in only:
        slots_data = prepare_slots_coach(now)
        output["scheduling_slots"] = measure_slots(
            slots_data, repetitions=repetitions, warmup=max(5, repetitions // 10)
        )
    if not only or "scheduling_booking" in only:
        booking_data = prepare_booking_coach(now, threads=threads, attempts=attempts)
        output["scheduling_booking"] = measure_booking(
            booking_data, threads=threads, attempts=attempts
        )
    print(json.dumps(output))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
