"""The analytics workloads: the admin KPI dashboard, the operations dashboard and the
coach analytics page over HTTP, and the rollup jobs in-process, on the data set of
``bench/analytics_data.py`` (1,000 coaches, 50,000 clients, 5,000,000 events at
``BENCH_ANALYTICS_SCALE=1``, the default).

``bench.run`` calls, in this order:

* ``run_rollup()`` — the ``analytics_rollup`` target, in a subprocess with the Loom
  server's environment (``BENCH_ANALYTICS_TASK=rollup python -m bench.analytics``):
  the data set is made if the database has none, the events are emptied and loaded
  again from the pool in three steps (the people of buckets 0–3, then 4–9, then
  10–19: about 20 %, 50 % and 100 % of the events), and after each step the daily
  activity and every KPI are rebuilt from scratch (``activity_rebuild`` then
  ``kpi_rollup(full=True)``, each recorded as a ``RollupRun`` like the worker's).
  Then one more day of events (~1/182 of them) is added and the incremental jobs run
  (``activity_rollup`` then ``kpi_rollup``), as the worker's loop would. Reported:
  seconds, events read, rows written and periods of each job at each size, the growth
  (time ratio against event ratio, and the exponent of a power-law fit), and the
  incremental run. It leaves the database with every event and up-to-date rollups.
* ``specs()`` — the HTTP targets (``BENCH_ANALYTICS_TASK=pages``): makes the data set
  and its rollups if missing (so the pages can run alone with ``BENCH_ONLY``), signs
  in an admin (``bench.analytics-admin@…``, SMS codes on, so the admin area's
  second-factor gate lets it in) and the data set's first coach (50 active clients,
  the whole history), and counts the queries of one warmed-up request of each page:

  - ``analytics_admin_kpis`` — ``analytics_admin:kpis`` (``/admin-area/analytics/``),
    the default week;
  - ``analytics_operations`` — ``analytics_admin:operations``;
  - ``analytics_coach`` — ``analytics_coach:dashboard`` (``/coach/analytics/``),
    the default range.

  A page whose URL name does not resolve yet is left out with the reason printed.
  Each is offered ``BENCH_ANALYTICS_RATE`` requests/s (default 10). The issue's aim:
  **p95 under 200 ms** once rollups exist; the summary says whether it was met.

PostgreSQL only: with SQLite (no ``DATABASE_URL``) every analytics target is skipped
with the reason printed. The data set is made once per database (a few minutes at
scale 1) and reused; the rollup target reloads only the events, from the pool.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from datetime import UTC, datetime
from typing import Any

from bench.prepare import prepare_in_subprocess

ROLLUP_NAME = "analytics_rollup"
KPIS_NAME = "analytics_admin_kpis"
OPERATIONS_NAME = "analytics_operations"
COACH_NAME = "analytics_coach"
PAGE_NAMES = (KPIS_NAME, OPERATIONS_NAME, COACH_NAME)
DEFAULT_RATE = 10.0
DEFAULT_SCALE = 1.0
GOAL_P95_MS = 200.0
# Cumulative bucket ranges of the three rollup sizes (20 buckets of people).
STEPS = ((0, 4), (4, 10), (10, 20))
PAGES = {
    KPIS_NAME: ("analytics_admin:kpis", "admin", "The admin KPI dashboard, default week"),
    OPERATIONS_NAME: (
        "analytics_admin:operations",
        "admin",
        "The admin operations dashboard (error rate, p95 per route, workers, rollups)",
    ),
    COACH_NAME: (
        "analytics_coach:dashboard",
        "coach",
        "The coach analytics page, default range, for a coach with 50 active clients",
    ),
}
TASK_ENV = "BENCH_ANALYTICS_TASK"


def scale_setting() -> float:
    return float(os.environ.get("BENCH_ANALYTICS_SCALE") or DEFAULT_SCALE)


def postgres_reason(env: dict[str, str]) -> str:
    """Why the analytics targets cannot run here ("" when they can)."""
    url = env.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return "the analytics data set needs PostgreSQL: set DATABASE_URL=postgres://…"
    return ""


# --- bench.run side ------------------------------------------------------------------------------


def specs(spec_class: Any, *, env: dict[str, str], only: set[str]) -> list[Any]:
    """The analytics pages' ``Spec``s for ``bench.run`` (none on SQLite, or when
    ``BENCH_ONLY`` leaves them all out)."""
    wanted = [name for name in PAGE_NAMES if not only or name in only]
    if not wanted:
        return []
    reason = postgres_reason(env)
    if reason:
        print(f"{', '.join(wanted)}: skipped ({reason})", flush=True)
        return []
    rate = float(os.environ.get("BENCH_ANALYTICS_RATE") or DEFAULT_RATE)
    print(
        f"Preparing the analytics data set (scale {scale_setting():g}; made once per database) …",
        flush=True,
    )
    prepared = prepare_in_subprocess("bench.analytics", {**env, TASK_ENV: "pages"})
    for note in prepared.get("notes", []):
        print(f"  {note}", flush=True)
    built = []
    for name in wanted:
        page = prepared["pages"].get(name)
        if page is None:
            print(f"{name}: skipped ({prepared['skipped'].get(name, 'not prepared')})", flush=True)
            continue
        built.append(
            spec_class(
                name,
                "workload",
                f"{page['description']} ({page['path']}): {prepared['load']}.",
                "config.asgi:application",
                page["path"],
                "/healthz",
                rate,
                loom=True,
                cookie=prepared["cookies"][page["as"]],
                extra={
                    "db_queries_per_request": page["queries"],
                    "response_bytes": page["bytes"],
                    "dataset": prepared["dataset"],
                    "goal_p95_ms": GOAL_P95_MS,
                },
            )
        )
    return built


def run_rollup(*, env: dict[str, str], only: set[str]) -> dict[str, Any] | None:
    """The ``analytics_rollup`` target (see the module docstring), or None when it is
    not wanted or cannot run here."""
    if only and ROLLUP_NAME not in only:
        return None
    reason = postgres_reason(env)
    if reason:
        print(f"{ROLLUP_NAME}: skipped ({reason})", flush=True)
        return None
    print(
        f"{ROLLUP_NAME}: rollup jobs at three sizes and one incremental day "
        f"(scale {scale_setting():g}) …",
        flush=True,
    )
    load_before = [round(x, 2) for x in os.getloadavg()]
    result = prepare_in_subprocess("bench.analytics", {**env, TASK_ENV: "rollup"})
    result["load_average_before"] = load_before
    result["load_average_after"] = [round(x, 2) for x in os.getloadavg()]
    return result


def _fmt(value: Any, digits: int = 2) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def rollup_summary_lines(result: dict[str, Any]) -> list[str]:
    """The rollup target as Markdown lines for ``summary.md``."""
    lines = ["", f"## Analytics rollups (in-process, {result['database']})", ""]
    if not result.get("available", True):
        return [*lines, f"Not measured: {result['reason']}", ""]
    ds = result["dataset"]
    lines += [
        f"Data set at scale {ds['scale']:g}: {ds['coaches']:,} coaches, {ds['clients']:,} clients, "
        f"{ds['events']:,} events over 26 weeks (+ one day for the incremental run), anchored "
        f"{ds['anchor']}; made in {ds['generation_s']:.0f} s"
        + (" during this run" if result.get("generated_now") else " (earlier; reused)")
        + f". Load average before/after: {result['load_average_before']} / "
        f"{result['load_average_after']}.",
        "",
        "From scratch (`activity_rebuild`, then `kpi_rollup(full=True)`) with the events of "
        "20 %, 50 % and 100 % of the people (load s: adding that step's events to "
        "`analytics_event`, not part of the total):",
        "",
        "| events | load s | activity s | daily rows | kpi s | KPI rows | KPI periods | total s "
        "| s per M events |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for step in result["steps"]:
        lines.append(
            f"| {_fmt(step['events'])} | {_fmt(step.get('events_load_s'))} "
            f"| {_fmt(step['activity_s'])} | {_fmt(step['activity_rows'])} "
            f"| {_fmt(step['kpi_s'])} | {_fmt(step['kpi_rows'])} | {_fmt(step['kpi_periods'])} "
            f"| {_fmt(step['total_s'])} | {_fmt(step['s_per_million_events'])} |"
        )
    growth = result["growth"]
    inc = result["incremental"]
    lines += [
        "",
        f"Growth from the smallest to the largest size: events ×{_fmt(growth['events_ratio'])}, "
        f"activity time ×{_fmt(growth['activity_ratio'])}, KPI time ×{_fmt(growth['kpi_ratio'])}, "
        f"total ×{_fmt(growth['total_ratio'])} (power-law exponent of total time in events "
        f"{_fmt(growth['total_exponent'])}; 1.0 is linear).",
        "",
        f"Incremental run after adding one day ({_fmt(inc['events_added'])} events): "
        f"`activity_rollup` {_fmt(inc['activity_s'])} s ({_fmt(inc['activity_days'])} days, "
        f"{_fmt(inc['activity_rows'])} rows), `kpi_rollup` {_fmt(inc['kpi_s'])} s "
        f"({_fmt(inc['kpi_periods'])} periods, {_fmt(inc['kpi_rows'])} rows); "
        f"total {_fmt(inc['total_s'])} s.",
        "",
    ]
    return lines


def page_summary_lines(results: list[dict[str, Any]]) -> list[str]:
    """The issue's aim for the analytics pages, one line each."""
    rows = [r for r in results if r["name"] in PAGE_NAMES]
    if not rows:
        return []
    lines = ["", "## Analytics pages: the issue's aim (p95 under 200 ms)", ""]
    for r in rows:
        p95 = r["latency_ms"]["p95"]
        met = p95 is not None and p95 < GOAL_P95_MS and r["errors"] == 0
        lines.append(
            f"* `{r['name']}`: p95 {_fmt(p95)} ms at {_fmt(r['offered_rps'])} req/s offered "
            f"({r['errors']} errors) — {'met' if met else 'NOT met'}."
        )
    return [*lines, ""]


# --- subprocess side ------------------------------------------------------------------------------


def _ensure_dataset(notes: list[str]) -> tuple[Any, bool]:
    from bench import analytics_data

    existing = analytics_data.dataset_read()
    generated = existing is None
    if generated:
        notes.append(f"generating the data set at scale {scale_setting():g} …")
    dataset = analytics_data.dataset_generate(
        scale_setting(), log=lambda line: sys.stderr.write(line + "\n")
    )
    if generated:
        notes.append(f"data set made in {dataset.generation_s:.1f} s: {dataset.counts}")
    if not analytics_data.pool_ready(dataset):
        start = time.perf_counter()
        analytics_data.pool_fill(analytics_data.plan_of(dataset))
        notes.append(f"event pool regenerated in {time.perf_counter() - start:.1f} s")
    return dataset, generated


def _jobs() -> tuple[Any, Any, Any, Any]:
    """The rollup functions, imported late: they belong to other modules of the app."""
    from loom.analytics.activity import activity_rebuild, activity_rollup
    from loom.analytics.kpis import kpi_rollup
    from loom.analytics.rollup import record_run

    return activity_rebuild, activity_rollup, kpi_rollup, record_run


def _timed(record_run: Any, job: str, fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = record_run(job, fn)
    return round(time.perf_counter() - start, 3), result


def _count(sql: str) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql)
        return int(cursor.fetchone()[0])


def _clear_rollups() -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE analytics_dailyactivity, analytics_kpivalue, analytics_rollupstate"
        )


def _rollup_task() -> dict[str, Any]:
    from django.db import connection

    from bench import analytics_data
    from loom.core.context import system_context

    notes: list[str] = []
    with system_context():
        dataset, generated = _ensure_dataset(notes)
        plan = analytics_data.plan_of(dataset)
        base = {"database": connection.vendor, "dataset": dataset.to_json(), "notes": notes}
        try:
            activity_rebuild, activity_rollup, kpi_rollup, record_run = _jobs()
        except ImportError as exc:
            return {**base, "available": False, "reason": f"rollup jobs not importable ({exc})"}
        # From scratch at three sizes: the same events in the same order every run.
        analytics_data.events_clear()
        base_now = plan.incremental_day  # the 26 weeks end where the extra day begins
        steps = []
        for low, high in STEPS:
            load_start = time.perf_counter()
            analytics_data.events_load(buckets=(low, high))
            load_s = round(time.perf_counter() - load_start, 3)
            _clear_rollups()
            events = _count("SELECT count(*) FROM analytics_event")
            activity_s, activity = _timed(
                record_run, "activity", lambda: activity_rebuild(now=base_now)
            )
            kpi_s, kpis = _timed(record_run, "kpis", lambda: kpi_rollup(now=base_now, full=True))
            total = activity_s + kpi_s
            steps.append(
                {
                    "buckets": [low, high],
                    "events": events,
                    "events_load_s": load_s,
                    "activity_s": activity_s,
                    "activity_events_read": activity.events_read,
                    "activity_rows": activity.rows_written,
                    "activity_days": activity.periods,
                    "kpi_s": kpi_s,
                    "kpi_rows": kpis.rows_written,
                    "kpi_periods": kpis.periods,
                    "total_s": round(total, 3),
                    "s_per_million_events": round(total / events * 1e6, 3) if events else None,
                }
            )
            sys.stderr.write(f"  {events} events: activity {activity_s} s, kpis {kpi_s} s\n")
        # One new day, then the worker's incremental jobs.
        added = analytics_data.events_load(incremental=True)
        inc_now = plan.anchor_at
        activity_s, activity = _timed(record_run, "activity", lambda: activity_rollup(now=inc_now))
        kpi_s, kpis = _timed(record_run, "kpis", lambda: kpi_rollup(now=inc_now))
        _analyze()
    first, last = steps[0], steps[-1]

    def ratio(key: str) -> float | None:
        return round(last[key] / first[key], 2) if first[key] else None

    events_ratio = last["events"] / first["events"] if first["events"] else None
    exponent = None
    if events_ratio and events_ratio > 1 and first["total_s"] > 0 and last["total_s"] > 0:
        exponent = round(math.log(last["total_s"] / first["total_s"]) / math.log(events_ratio), 2)
    return {
        **base,
        "name": ROLLUP_NAME,
        "kind": "in-process",
        "description": (
            "Daily activity and KPI rollups rebuilt from scratch with 20 %, 50 % and 100 % of "
            "the data set's events, then one incremental run after one more day of events."
        ),
        "available": True,
        "generated_now": generated,
        "steps": steps,
        "growth": {
            "events_ratio": round(events_ratio, 2) if events_ratio else None,
            "activity_ratio": ratio("activity_s"),
            "kpi_ratio": ratio("kpi_s"),
            "total_ratio": ratio("total_s"),
            "total_exponent": exponent,
        },
        "incremental": {
            "events_added": added,
            "activity_s": activity_s,
            "activity_days": activity.periods,
            "activity_rows": activity.rows_written,
            "activity_events_read": activity.events_read,
            "kpi_s": kpi_s,
            "kpi_periods": kpis.periods,
            "kpi_rows": kpis.rows_written,
            "total_s": round(activity_s + kpi_s, 3),
        },
    }


def _ensure_events_and_rollups(dataset: Any, notes: list[str]) -> None:
    """Every event of the data set loaded and rolled up (after a fresh generation, or a
    rollup run that was interrupted)."""
    from bench import analytics_data

    expected = dataset.events
    first, after = dataset.user_base, dataset.user_base + dataset.coaches + dataset.clients
    loaded = _count(
        f"SELECT count(*) FROM analytics_event WHERE user_id >= {int(first)} "  # noqa: S608 - integers
        f"AND user_id < {int(after)}"
    )
    if loaded < expected:
        start = time.perf_counter()
        analytics_data.events_clear()
        analytics_data.events_load()
        analytics_data.events_load(incremental=True)
        notes.append(f"events loaded in {time.perf_counter() - start:.1f} s")
    if _count("SELECT count(*) FROM analytics_kpivalue") == 0 or loaded < expected:
        activity_rebuild, _rollup, kpi_rollup, record_run = _jobs()
        plan = analytics_data.plan_of(dataset)
        start = time.perf_counter()
        record_run("activity", lambda: activity_rebuild(now=plan.anchor_at))
        record_run("kpis", lambda: kpi_rollup(now=plan.anchor_at, full=True))
        notes.append(f"rollups built in {time.perf_counter() - start:.1f} s")


def _analyze() -> None:
    """Fresh planner statistics for the tables the pages read, as autovacuum would have
    on a system running for a while. Right after a rebuild they describe the empty
    tables, and the planner then scans all of ``analytics_dailyactivity`` for a coach's
    50 clients (about 100 ms instead of 3 at scale 1)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE analytics_dailyactivity, analytics_kpivalue, analytics_rolluprun, "
            "analytics_event"
        )


def _admin() -> Any:
    """The bench admin: SMS codes on (a second factor the admin area asks for, without
    an authenticator row to read on every request)."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from bench.analytics_data import ADMIN_EMAIL
    from loom.accounts.models import Onboarding, Role, User

    now = timezone.now()
    user = User.objects.filter(email=ADMIN_EMAIL).first()
    if user is None:
        user = User.objects.create_user(
            ADMIN_EMAIL,
            None,
            role=Role.ADMIN,
            full_name="Bench Analytics Admin",
            language="en",
            timezone="UTC",
        )
    user.phone = "+15555550100"
    user.phone_verified_at = user.phone_verified_at or now
    user.sms_mfa_enabled_at = user.sms_mfa_enabled_at or now
    user.save(update_fields=["phone", "phone_verified_at", "sms_mfa_enabled_at"])
    EmailAddress.objects.get_or_create(
        user=user, email=ADMIN_EMAIL, defaults={"verified": True, "primary": True}
    )
    Onboarding.objects.update_or_create(
        user=user, defaults={"started_at": now, "profile_at": now, "completed_at": now}
    )
    return user


def _pages_task() -> dict[str, Any]:
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import NoReverseMatch, reverse

    from loom.accounts.models import User
    from loom.core.context import system_context

    notes: list[str] = []
    with system_context():
        dataset, _generated = _ensure_dataset(notes)
        _ensure_events_and_rollups(dataset, notes)
        _analyze()
        admin = _admin()
        coach = User.objects.get(pk=dataset.coach_id)
    host = settings.ALLOWED_HOSTS[0]
    browsers = {"admin": Client(HTTP_HOST=host), "coach": Client(HTTP_HOST=host)}
    browsers["admin"].force_login(admin)
    browsers["coach"].force_login(coach)
    pages: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    for name, (url_name, who, description) in PAGES.items():
        try:
            path = reverse(url_name)
        except NoReverseMatch:
            skipped[name] = f"the page {url_name} does not exist yet"
            continue
        browser = browsers[who]
        browser.get(path)  # the session's first request records its start
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(path)
        if response.status_code != 200:
            raise SystemExit(
                f"{path} answered {response.status_code} (Location: {response.get('Location')}) "
                f"for the bench {who}"
            )
        pages[name] = {
            "path": path,
            "as": who,
            "description": description,
            "queries": len(queries),
            "bytes": len(response.content),
        }
    cookie_name = settings.SESSION_COOKIE_NAME
    return {
        "database": connection.vendor,
        "dataset": dataset.to_json(),
        "load": (
            f"data set at scale {dataset.scale:g}: {dataset.coaches:,} coaches, "
            f"{dataset.clients:,} clients, {dataset.counts.get('scheduling_session', 0):,} sessions, "
            f"{dataset.counts.get('messaging_message', 0):,} messages, {dataset.events:,} events "
            "over 26 weeks, rollups built"
        ),
        "cookies": {
            who: f"{cookie_name}={browser.cookies[cookie_name].value}"
            for who, browser in browsers.items()
        },
        "pages": pages,
        "skipped": skipped,
        "notes": notes,
    }


def main() -> int:
    from bench.prepare import _setup_django

    _setup_django()
    from bench.analytics_data import DatasetError

    task = os.environ.get(TASK_ENV, "pages")
    try:
        result = _rollup_task() if task == "rollup" else _pages_task()
    except DatasetError as exc:
        raise SystemExit(f"bench.analytics: {exc}") from exc
    result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    print(json.dumps(result, default=str))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
