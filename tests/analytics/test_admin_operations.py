"""The operations dashboard: traffic windows, active users, outbox, loops, tasks, rollups."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.tasks import TaskResultStatus
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from loom.analytics.models import Event, RollupRun
from loom.analytics.tables_admin import ROUTES_TABLE
from loom.core import ops
from loom.core.context import system_context
from loom.core.models import OutboxMessage, UserStream, WorkerHeartbeat
from tests.accounts.security_support import enable_totp
from tests.analytics.test_admin_support import text
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

URL = "/admin-area/analytics/operations/"


@pytest.fixture(autouse=True)
def memory_store(settings):
    settings.LOOM_OPS_METRICS_STORE = "memory"
    ops.ops_store_reset()
    store = ops.ops_store()
    store.clear()
    yield store
    store.clear()
    ops.ops_store_reset()


@pytest.fixture
def admin(world):
    enable_totp(world.admin)
    return signed_in(world.admin)


def section(page: str, heading_id: str) -> str:
    start = page.index(f'id="{heading_id}"')
    end = page.find("</section>", start)
    return page[start:end]


def test_empty_dashboard_renders(admin):
    response = admin.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "Last 15 minutes" in page and "Last 24 hours" in page
    assert "No loop has reported yet" in page
    assert "No rollup has run yet" in page
    assert 'href="?window=1h"' in page  # the Refresh link keeps the window


def test_traffic_by_window_and_route(admin, world, memory_store):
    now = timezone.now().timestamp()
    for status, seconds in ((200, 0.04), (200, 0.04), (500, 0.2), (302, 0.01)):
        memory_store.record(
            ops.observation(route="journal:entry", status=status, seconds=seconds, at=now)
        )
    # Two hours ago: in the 24-hour window only.
    memory_store.record(ops.observation(route="coach:home", status=200, seconds=3, at=now - 7200))
    page = text(admin.get(URL))
    routes = section(page, "ad-routes-heading")
    assert "journal:entry" in routes
    assert "coach:home" not in routes  # the default window is the last hour
    assert "25.0%" in routes  # 1 of 4 responses was a 5xx
    page_24h = text(admin.get(URL, {"window": "24h"}))
    assert "coach:home" in section(page_24h, "ad-routes-heading")
    assert "at most 5,000 ms" in section(page_24h, "ad-routes-heading")


def test_p95_is_stated_with_its_bucket_bound(admin, memory_store):
    now = timezone.now().timestamp()
    for _ in range(90):
        memory_store.record(ops.observation(route="r", status=200, seconds=0.04, at=now))
    for _ in range(10):
        memory_store.record(ops.observation(route="r", status=200, seconds=0.2, at=now))
    page = text(admin.get(URL))
    assert "about 175 ms (at most 250 ms)" in page


@pytest.mark.parametrize("window", ["2h", "", "15M", "x" * 500])
def test_a_bad_window_falls_back_to_the_last_hour(admin, window):
    response = admin.get(URL, {"window": window})
    assert response.status_code == 200
    if window:
        assert "Unknown time window" in text(response)
    assert "By route: Last hour" in text(response)


@pytest.mark.urls("tests.core.urls_errors")
def test_recent_errors_show_route_and_request_id_never_the_query(admin, world):
    crashing = Client(raise_request_exception=False)
    crashing.force_login(world.avi)
    crashing.get(
        "/test-errors/500/?email=avi%40example.com&q=private+words", HTTP_X_REQUEST_ID="rq-12345678"
    )
    page = text(admin.get(URL))
    errors = section(page, "ad-errors-heading")
    assert "tests.core.urls_errors.crash" in errors
    assert "rq-12345678" in errors
    assert "builtins.RuntimeError" in errors
    assert "private" not in page and "avi%40" not in page and "/test-errors/" not in page


def test_active_users_from_events_and_presence(admin, world):
    now = timezone.now()
    with system_context():
        Event.objects.bulk_create(
            [
                Event(user=world.avi, role="client", name="page_view", occurred_at=now),
                Event(user=world.avi, role="client", name="checkin", occurred_at=now),
                Event(
                    user=world.dana,
                    role="coach",
                    name="sign_in",
                    occurred_at=now - timedelta(minutes=2),
                ),
                Event(
                    user=world.noa,
                    role="client",
                    name="sign_in",
                    occurred_at=now - timedelta(minutes=6),
                ),
            ]
        )
        UserStream.objects.create(user=world.maya, last_active_at=now - timedelta(seconds=30))
        UserStream.objects.create(user=world.eli, last_active_at=now - timedelta(minutes=10))
    active = section(text(admin.get(URL)), "ad-active-heading")
    assert '<dd class="stat">2</dd>' in active  # Avi and Dana; Noa was 6 minutes ago
    assert '<dd class="stat">1</dd>' in active  # Maya's open page


def test_outbox_backlog_and_dead_letters(admin):
    now = timezone.now()
    OutboxMessage.objects.create(
        channel="email", recipient="a@example.com", available_at=now - timedelta(minutes=30)
    )
    OutboxMessage.objects.create(
        channel="email", recipient="b@example.com", available_at=now + timedelta(hours=1)
    )
    OutboxMessage.objects.create(
        channel="sms", recipient="+972500000000", status="dead", payload={"body": "code 123456"}
    )
    OutboxMessage.objects.create(channel="email", recipient="c@example.com", status="sent")
    page = text(admin.get(URL))
    outbox = section(page, "ad-outbox-heading")
    assert '<dt>Waiting</dt><dd class="stat">2</dd>' in outbox
    assert '<dt>Due now</dt><dd class="stat">1</dd>' in outbox
    assert '<dt>Dead letters</dt><dd class="stat">1</dd>' in outbox
    assert "30 min" in outbox
    assert 'href="/admin-area/outbox/"' in outbox
    assert "123456" not in page and "a@example.com" not in page


def test_worker_loops_running_late_and_failed(admin):
    now = timezone.now()
    WorkerHeartbeat.objects.create(
        name="outbox_drain", beat_at=now - timedelta(seconds=20), interval_seconds=10
    )
    WorkerHeartbeat.objects.create(
        name="analytics_rollup", beat_at=now - timedelta(seconds=31), interval_seconds=10
    )
    WorkerHeartbeat.objects.create(name="reminders", beat_at=now, interval_seconds=60, failed=True)
    loops = section(text(admin.get(URL)), "ad-loops-heading")
    rows = {
        re.search(r'<code dir="ltr">([a-z_]+)</code>', row).group(1): row
        for row in loops.split("<tr>")[2:]
    }
    assert "Running" in rows["outbox_drain"]  # 20 s ≤ 3 × 10 s
    assert "Late" in rows["analytics_rollup"]  # 31 s > 3 × 10 s
    assert "Last round failed" in rows["reminders"]


def _task(status: str, **fields) -> DBTaskResult:
    defaults = {
        "args_kwargs": {"args": [], "kwargs": {}},
        "task_path": "loom.analytics.tasks.export_build",
        "backend_name": "default",
        "run_after": timezone.now() - timedelta(minutes=1),
    }
    return DBTaskResult.objects.create(id=uuid.uuid4(), status=status, **{**defaults, **fields})


def test_task_queue_health(admin):
    now = timezone.now()
    _task(TaskResultStatus.READY)
    _task(TaskResultStatus.READY, run_after=now + timedelta(hours=1))  # not due yet
    _task(TaskResultStatus.RUNNING)
    _task(TaskResultStatus.FAILED, finished_at=now - timedelta(hours=1))
    _task(TaskResultStatus.FAILED, finished_at=now - timedelta(hours=30))
    queue = section(text(admin.get(URL)), "ad-queue-heading")
    assert '<dt>Ready to run</dt><dd class="stat">1</dd>' in queue
    assert '<dt>Running</dt><dd class="stat">1</dd>' in queue
    assert '<dt>Failed in 24 hours</dt><dd class="stat">1</dd>' in queue


def test_rollup_runs_show_only_the_error_type(admin):
    RollupRun.objects.create(job="kpi_rollup", duration_ms=1234, events_read=10, rows_written=5)
    RollupRun.objects.create(
        job="activity_rollup", ok=False, error="ValueError: user 987654 wrote hello"
    )
    runs = section(text(admin.get(URL)), "ad-runs-heading")
    assert "kpi_rollup" in runs and "1234" in runs and "Succeeded" in runs
    assert "ValueError" in runs and "Failed" in runs
    assert "hello" not in runs and "987654" not in runs


def test_route_table_rows_are_what_the_page_shows(admin, world, memory_store):
    memory_store.record(ops.observation(route="journal:list", status=200, seconds=0.03))
    rows = list(ROUTES_TABLE.rows(world.admin, {"window": "15m"}))
    assert rows == [("journal:list", 1, 0, 0.0, rows[0][4], "at most 50 ms")]
    page = text(admin.get(URL, {"window": "15m"}))
    assert 'name="table" value="admin_ops_routes"' in page
    assert 'name="q.window" value="15m"' in page


def test_operations_queries_are_constant(admin, world, memory_store):
    admin.get(URL)
    with CaptureQueriesContext(connection) as few:
        admin.get(URL)
    now = timezone.now()
    for n in range(30):
        WorkerHeartbeat.objects.create(name=f"loop{n}", beat_at=now, interval_seconds=5)
        RollupRun.objects.create(job=f"job{n}")
        OutboxMessage.objects.create(channel="email", recipient=f"x{n}@example.com")
        memory_store.record(ops.observation(route=f"route:{n}", status=500, seconds=0.1))
    with CaptureQueriesContext(connection) as many:
        admin.get(URL)
    assert len(many) == len(few) <= 12
