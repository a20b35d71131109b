"""``make bench``: baselines and workloads measured in one run on this machine.

Each target is served by its own uvicorn process (one worker) on a free port, probed
until it answers, loaded at a constant offered rate by ``bench.loadgen`` and stopped.
Results: ``bench/results/<name>.json`` per target and ``bench/results/summary.md``.

Configuration (environment):

``BENCH_BASELINE_RATE``  requests/s offered to the baselines (default 200)
``BENCH_WORKLOAD_RATE``  requests/s offered to the workloads (default 50)
``BENCH_WARMUP``         seconds of load discarded before measuring (default 10)
``BENCH_DURATION``       seconds measured (default 20)
``BENCH_QUICK=1``        2 s warm-up + 5 s measured, for trying the harness out
``BENCH_ONLY``           comma-separated target names to run (default: all)
``DATABASE_URL``         the workloads' database (default: SQLite in var/bench/)
``BENCH_SLOT_REPETITIONS``  timed slot computations per range (default 500; quick 50)
``BENCH_BOOKING_THREADS``   concurrent booking threads (default 8)
``BENCH_BOOKING_ATTEMPTS``  booking attempts per thread (default 40; quick 10)
``BENCH_LIBRARY_RATE``      requests/s offered to the resource library page and API list (default 10)
``BENCH_UPLOAD_COUNT``      video uploads measured by ``resources_upload`` (default 5)
``BENCH_UPLOAD_MB``         size of each of those uploads in MB (default 100)
``BENCH_WS_LEVELS``         connected sockets per ``ws_latency`` level (default 100,500,1000)
``BENCH_WS_RATE``           messages/s offered to ``ws_latency`` (default 20)
``BENCH_MESSAGING_RATE``    requests/s offered to the messaging list and history (default 10)
``BENCH_JOURNAL_RATE``      requests/s offered to the journal list, first and deep page (default 10)
``BENCH_PROGRESS_RATE``     requests/s offered to the progress dashboard and trends (default 10)
``BENCH_ANALYTICS_RATE``    requests/s offered to the analytics pages (default 10)
``BENCH_ANALYTICS_SCALE``   size of the analytics data set, 1.0 = 1,000 coaches, 50,000 clients,
                            5 million events (default 1.0; PostgreSQL only)

The scheduling targets (``scheduling_slots``, ``scheduling_booking``) run in-process in
``bench.scheduling``: there are no scheduling pages to load over HTTP yet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import platform
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import (
    analytics,
    calendar_page,
    journal_list,
    progress_dashboard,
    resources_library,
    resources_upload,
    ws_latency,
)
from bench.loadgen import Target, run_constant_rate, run_event_loop, summarize

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DATA_DIR = ROOT / "var" / "bench"
HOST = "127.0.0.1"

# Bench-only secrets: the bench database holds nothing but generated data.
BENCH_SECRET_KEY = "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
BENCH_FIELD_KEY = "YmVuY2gtb25seS1maWVsZC1rZXktbm90LXNlY3JldCE="


@dataclass
class Spec:
    name: str
    kind: str  # "baseline" or "workload"
    description: str
    app: str
    path: str
    probe: str
    rate: float
    loom: bool = False
    cookie: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def env_float(name: str, default: float) -> float:
    value = os.environ.get(name, "")
    return float(value) if value else default


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def loom_env() -> dict[str, str]:
    """Production settings, served over plain HTTP on localhost."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.prod",
            "DEBUG": "0",
            "SECRET_KEY": env.get("BENCH_SECRET_KEY", BENCH_SECRET_KEY),
            "ALLOWED_HOSTS": HOST,
            "LOOM_BASE_URL": f"http://{HOST}",
            "SECURE_SSL_REDIRECT": "0",
            "LOOM_DATA_DIR": str(DATA_DIR),
            "LOOM_REQUIRE_MFA_FOR_COACHES": "0",
            "FIELD_ENCRYPTION_KEYS": env.get("FIELD_ENCRYPTION_KEYS") or BENCH_FIELD_KEY,
        }
    )
    return env


def prepare_loom() -> dict[str, Any]:
    """Migrate the bench database, create the data and return the coach's session."""
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    env = loom_env()
    if not os.environ.get("DATABASE_URL"):
        # A fresh SQLite file each run, so every run measures the same data.
        for suffix in ("", "-wal", "-shm"):
            (DATA_DIR / f"loom.sqlite3{suffix}").unlink(missing_ok=True)
    if env.get("DATABASE_APP_ROLE"):
        env["LOOM_DB_OWNER_MODE"] = "1"  # schema and seed data as the owner role
    completed = subprocess.run(
        [sys.executable, "-m", "bench.prepare"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit("bench.prepare failed")
    last_line = completed.stdout.strip().splitlines()[-1]
    return dict(json.loads(last_line))


SCHEDULING_TARGETS = ("scheduling_slots", "scheduling_booking")


def run_scheduling(only: set[str]) -> dict[str, Any]:
    """The in-process scheduling measurements (bench/scheduling.py), in a subprocess with
    the Loom server's environment, on the database ``prepare_loom`` migrated."""
    env = loom_env()
    if env.get("DATABASE_APP_ROLE"):
        env["LOOM_DB_OWNER_MODE"] = "1"  # it creates and deletes its own bench data
    if only:
        env["BENCH_ONLY"] = ",".join(sorted(only))
    load_before = [round(x, 2) for x in os.getloadavg()]
    completed = subprocess.run(
        [sys.executable, "-m", "bench.scheduling"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit("bench.scheduling failed")
    measured = dict(json.loads(completed.stdout.strip().splitlines()[-1]))
    measured["load_average_before"] = load_before
    return measured


def start_server(spec: Spec, port: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        spec.app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--lifespan",
        "off",
        # Longer than a run, so the server never closes the generator's idle connections.
        "--timeout-keep-alive",
        "120",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    env = loom_env() if spec.loom else dict(os.environ)
    log = log_path.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def wait_until_ready(
    process: subprocess.Popen[bytes], port: int, probe: str, log_path: Path
) -> None:
    deadline = time.monotonic() + 60
    request = f"GET {probe} HTTP/1.1\r\nHost: {HOST}:{port}\r\nConnection: close\r\n\r\n".encode()
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server exited with {process.returncode}; see {log_path}")
        with (
            contextlib.suppress(OSError),
            socket.create_connection((HOST, port), timeout=2) as sock,
        ):
            sock.sendall(request)
            if sock.recv(64).startswith(b"HTTP/1.1 200"):
                return
        time.sleep(0.2)
    raise SystemExit(f"server on port {port} did not answer {probe} within 60 s; see {log_path}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time a process has used so far (Linux), or None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # After the command name: state is field 3, utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_target(spec: Spec, *, warmup: float, duration: float) -> dict[str, Any]:
    port = free_port()
    log_path = DATA_DIR / f"{spec.name}.server.log"
    load_before = [round(x, 2) for x in os.getloadavg()]
    process = start_server(spec, port, log_path)
    try:
        wait_until_ready(process, port, spec.probe, log_path)
        target = Target(host=HOST, port=port, path=spec.path, cookie=spec.cookie)
        cpu_before = cpu_seconds(process.pid)
        result = run_event_loop(
            run_constant_rate(target, rate=spec.rate, warmup=warmup, duration=duration)
        )
        cpu_after = cpu_seconds(process.pid)
    finally:
        stop_server(process)
    figures = summarize(result)
    # CPU per request is far less sensitive to other load on the machine than latency.
    cpu_ms = None
    if cpu_before is not None and cpu_after is not None and result.samples:
        cpu_ms = round((cpu_after - cpu_before) * 1000 / len(result.samples), 3)
    return {
        "name": spec.name,
        "kind": spec.kind,
        "description": spec.description,
        "request": f"GET {spec.path}",
        "server": f"uvicorn {spec.app} (1 worker, uvloop, httptools)",
        **figures,
        "server_cpu_ms_per_request": cpu_ms,
        "load_average_before": load_before,
        **spec.extra,
    }


def machine() -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    versions = {}
    for package in ("django", "uvicorn", "uvloop", "httptools", "channels"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[package] = importlib.metadata.version(package)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": os.cpu_count(),
        "cpu_model": cpu_model,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "platform": platform.platform(),
        **versions,
    }


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def ratios(
    workloads: list[dict[str, Any]], baselines: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    rows = []
    for workload in workloads:
        for baseline in baselines:
            row: dict[str, Any] = {"workload": workload["name"], "baseline": baseline["name"]}
            for key in ("p50", "p95"):
                w, b = workload["latency_ms"][key], baseline["latency_ms"][key]
                row[key] = round(w / b, 2) if w is not None and b else None
            rows.append(row)
    return rows


def scheduling_summary(scheduling: list[dict[str, Any]]) -> list[str]:
    """The in-process scheduling measurements (bench/scheduling.py) as Markdown lines."""
    lines: list[str] = []
    for r in scheduling:
        if r["name"] == "scheduling_slots":
            load = r["load"]
            lines += [
                "",
                f"### scheduling_slots (in-process, {r['database']})",
                "",
                r["description"],
                f"Load: {load['existing_sessions']} existing sessions in the next 60 days; "
                f"coach in {load['coach_timezone']}, {load['weekly_hours']}; {load['overrides']}; "
                f"session type {load['session_type']}.",
                "",
                "| days | repetitions | p50 ms | p95 ms | p99 ms | max ms | DB queries "
                "| p50 load / engine ms | sessions in range | slots returned | p95 < 20 ms |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
            ]
            for row in r["ranges"]:
                lat = row["latency_ms"]
                lines.append(
                    f"| {row['days']} | {row['repetitions']} | {_fmt(lat['p50'])} "
                    f"| {_fmt(lat['p95'])} | {_fmt(lat['p99'])} | {_fmt(lat['max'])} "
                    f"| {row['db_queries']} | {_fmt(row['breakdown_p50_ms']['load_inputs'])} / "
                    f"{_fmt(row['breakdown_p50_ms']['engine'])} | {row['sessions_in_range']} | {row['slots_returned']} "
                    f"| {'met' if row['goal_met'] else 'NOT met'} |"
                )
        elif r["name"] == "scheduling_booking":
            lat = r["latency_ms"]
            lines += [
                "",
                f"### scheduling_booking (in-process, {r['database']})",
                "",
                r["description"],
                "",
                "| threads | attempts | wall s | attempts/s | bookings/s | p50 ms | p95 ms "
                "| p99 ms | max ms | booked | conflicts | other | overlapping active pairs |",
                "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
                f"| {r['threads']} | {r['attempts']} | {_fmt(r['wall_s'])} "
                f"| {_fmt(r['attempts_per_s'])} | {_fmt(r['bookings_per_s'])} | {_fmt(lat['p50'])} "
                f"| {_fmt(lat['p95'])} | {_fmt(lat['p99'])} | {_fmt(lat['max'])} "
                f"| {r['successes']} (expected {r['expected_successes']}) | {r['conflicts']} "
                f"| {r['other']} | {r['overlapping_active_pairs']} |",
            ]
            if not r["correct"]:
                lines += ["", f"**Check failed:** outcomes {r['outcomes']}."]
    if lines:
        lines = [
            "## Scheduling (in-process)",
            "",
            "Measured inside one Python process on the workload database, not over HTTP, "
            "to isolate the scheduling code; the coach calendar page is measured over HTTP "
            "(calendar_page).",
            *lines,
            "",
        ]
    return lines


def write_summary(
    results: list[dict[str, Any]],
    info: dict[str, Any],
    ratio_rows: list[dict[str, Any]],
    scheduling: list[dict[str, Any]] | None = None,
) -> str:
    lines = [
        "# Loom benchmark results",
        "",
        f"Run {info['date']} on {info['cpus']} CPUs ({info['cpu_model'] or 'unknown CPU'}), "
        f"load average at start {info['load_average_at_start']}; Python {info['python']}, "
        f"Django {info.get('django')}, uvicorn {info.get('uvicorn')} (uvloop {info.get('uvloop')}, "
        f"httptools {info.get('httptools')}); workload database: {info['database']}.",
        "",
        f"Open-loop constant-rate load, {info['warmup_s']:g} s warm-up discarded, {info['measure_s']:g} s measured; "
        "latency from each request's scheduled send time to the last byte of its response. "
        "The load generator runs on the same machine. See bench/README.md.",
        "",
        "| target | kind | request | offered req/s | achieved req/s | p50 ms | p95 ms | p99 ms | max ms "
        "| errors | server CPU ms/request | DB queries/request |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lat = r["latency_ms"]
        lines.append(
            f"| {r['name']} | {r['kind']} | `{r['request']}` | {_fmt(r['offered_rps'])} | {_fmt(r['achieved_rps'])} "
            f"| {_fmt(lat['p50'])} | {_fmt(lat['p95'])} | {_fmt(lat['p99'])} | {_fmt(lat['max'])} "
            f"| {r['errors']} | {_fmt(r.get('server_cpu_ms_per_request'))} "
            f"| {_fmt(r.get('db_queries_per_request'))} |"
        )
    # Only the load before the run began says something about other work: once it runs,
    # the bench's own server and generator keep the load average near 2.
    if info["load_average_at_start"][0] > 0.5 * (info["cpus"] or 1):
        lines += [
            "",
            "**Warning:** the machine was busy with other work when this run began (see the load "
            "average above); latency tails may be inflated. Server CPU per request is the "
            "steadier figure.",
        ]
    lines += ["", "Ratios of workload latency to each baseline (workload ÷ baseline):", ""]
    lines += ["| workload | baseline | p50 ratio | p95 ratio |", "|---|---|---:|---:|"]
    for row in ratio_rows:
        lines.append(
            f"| {row['workload']} | {row['baseline']} | {_fmt(row['p50'])} | {_fmt(row['p95'])} |"
        )
    lines += [
        "",
        "Baselines and workloads are offered different rates (stated above): a ratio compares "
        "latency at those rates, where no target was saturated unless its achieved rate falls "
        "short of the offered one or its errors are non-zero.",
        "",
    ]
    lines += scheduling_summary(scheduling or [])
    text = "\n".join(lines)
    (RESULTS / "summary.md").write_text(text, encoding="utf-8")
    return text


def main() -> int:
    quick = os.environ.get("BENCH_QUICK") == "1"
    warmup = env_float("BENCH_WARMUP", 2.0 if quick else 10.0)
    duration = env_float("BENCH_DURATION", 5.0 if quick else 20.0)
    baseline_rate = env_float("BENCH_BASELINE_RATE", 200.0)
    workload_rate = env_float("BENCH_WORKLOAD_RATE", 50.0)
    only = {name for name in os.environ.get("BENCH_ONLY", "").split(",") if name}

    RESULTS.mkdir(parents=True, exist_ok=True)
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    info = machine()
    where = "DATABASE_URL" if os.environ.get("DATABASE_URL") else DATA_DIR
    print(f"Preparing the Loom database in {where} …")
    prepared = prepare_loom()
    info.update(database=prepared["database"], warmup_s=warmup, measure_s=duration)
    if prepared["healthz_queries"] != 0:
        raise SystemExit(
            f"/healthz ran {prepared['healthz_queries']} queries; the no-database baseline is not one"
        )

    specs = [
        Spec(
            "asgi_hello",
            "baseline",
            "A bare ASGI callable answering 'Hello, world' (bench/targets/hello_asgi.py).",
            "bench.targets.hello_asgi:app",
            "/",
            "/",
            baseline_rate,
        ),
        Spec(
            "django_bare",
            "baseline",
            "Django with one view, no apps, no middleware, no database (bench/targets/bare_django/).",
            "bench.targets.bare_django.asgi:application",
            "/",
            "/",
            baseline_rate,
        ),
        Spec(
            "loom_healthz",
            "baseline",
            "Loom's full ASGI stack and middleware (production settings), /healthz: no database access.",
            "config.asgi:application",
            "/healthz",
            "/healthz",
            baseline_rate,
            loom=True,
            extra={"db_queries_per_request": prepared["healthz_queries"]},
        ),
        Spec(
            "coach_home",
            "workload",
            f"Signed-in coach home page /coach/ (a coach with {prepared['clients']} clients and 2 open invitations).",
            "config.asgi:application",
            "/coach/",
            "/healthz",
            workload_rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["coach_home_queries"],
                "response_bytes": prepared["coach_home_bytes"],
            },
        ),
    ]
    specs += calendar_page.specs(Spec, env=loom_env(), only=only)
    specs += resources_library.specs(Spec, env=loom_env(), only=only)
    specs += journal_list.specs(Spec, env=loom_env(), only=only)
    specs += progress_dashboard.specs(Spec, env=loom_env(), only=only)
    specs += ws_latency.specs(Spec, env=loom_env(), only=only)
    # The rollup target first: it reloads the events, and leaves them rolled up for the pages.
    rollups = analytics.run_rollup(env=loom_env(), only=only)
    if rollups is not None:
        rollups["machine"] = info
        (RESULTS / f"{analytics.ROLLUP_NAME}.json").write_text(
            json.dumps(rollups, indent=2) + "\n", encoding="utf-8"
        )
    specs += analytics.specs(Spec, env=loom_env(), only=only)
    results = []
    for spec in specs:
        if only and spec.name not in only:
            continue
        print(f"{spec.name}: {spec.rate:g} req/s for {warmup:g}+{duration:g} s …", flush=True)
        result = run_target(spec, warmup=warmup, duration=duration)
        result["machine"] = info
        (RESULTS / f"{spec.name}.json").write_text(
            json.dumps(result, indent=2) + "\n", encoding="utf-8"
        )
        lat = result["latency_ms"]
        print(
            f"  achieved {result['achieved_rps']} req/s, p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
            f"p99 {lat['p99']} ms, max {lat['max']} ms, errors {result['errors']}",
            flush=True,
        )
        results.append(result)
    scheduling = []
    wanted = {name for name in SCHEDULING_TARGETS if not only or name in only}
    if wanted:
        print(f"{', '.join(sorted(wanted))}: in-process …", flush=True)
        measured = run_scheduling(wanted if only else set())
        for name in SCHEDULING_TARGETS:
            if name not in measured:
                continue
            result = {
                **measured[name],
                "database": measured["database"],
                "load_average_before": measured["load_average_before"],
                "machine": info,
            }
            (RESULTS / f"{name}.json").write_text(
                json.dumps(result, indent=2) + "\n", encoding="utf-8"
            )
            scheduling.append(result)
    uploads = None
    if not only or resources_upload.NAME in only:
        print(f"{resources_upload.NAME}: large video uploads …", flush=True)
        uploads = resources_upload.run(env=loom_env(), cookie=prepared["cookie"], data_dir=DATA_DIR)
        uploads["machine"] = info
        (RESULTS / f"{resources_upload.NAME}.json").write_text(
            json.dumps(uploads, indent=2) + "\n", encoding="utf-8"
        )
    realtime = None
    if not only or ws_latency.NAME in only:
        print(f"{ws_latency.NAME}: websocket latency and memory …", flush=True)
        realtime = ws_latency.run(
            env=loom_env(), data_dir=DATA_DIR, warmup=warmup, duration=duration
        )
        realtime["machine"] = info
        (RESULTS / f"{ws_latency.NAME}.json").write_text(
            json.dumps(realtime, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
    baselines = [r for r in results if r["kind"] == "baseline"]
    workloads = [r for r in results if r["kind"] == "workload"]
    ratio_rows = ratios(workloads, baselines)
    text = write_summary(results, info, ratio_rows, scheduling)
    if uploads is not None:
        text += "\n".join(resources_upload.summary_lines(uploads))
        (RESULTS / "summary.md").write_text(text, encoding="utf-8")
    if realtime is not None:
        text += "\n".join(ws_latency.summary_lines(realtime))
        (RESULTS / "summary.md").write_text(text, encoding="utf-8")
    analytics_lines = analytics.page_summary_lines(results)
    if rollups is not None:
        analytics_lines += analytics.rollup_summary_lines(rollups)
    if analytics_lines:
        text += "\n".join(analytics_lines)
        (RESULTS / "summary.md").write_text(text, encoding="utf-8")
    print()
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
