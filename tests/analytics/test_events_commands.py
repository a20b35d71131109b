"""The analytics loops: ``analytics_flush`` and ``analytics_rollup`` (heartbeats, runs)."""

from __future__ import annotations

import sys
import threading
import types
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from loom.analytics import events
from loom.analytics.models import DailyActivity, Event, RollupRun
from loom.analytics.rollup import RollupResult
from loom.core import loop_command
from loom.core.models import WorkerHeartbeat
from tests.world import World

pytestmark = pytest.mark.django_db


class _OneRound(threading.Event):
    def wait(self, timeout: float | None = None) -> bool:
        return True  # stop after the first round


@pytest.fixture
def one_round(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(loop_command.threading, "Event", _OneRound)
    monkeypatch.setattr(loop_command.signal, "signal", lambda *args: None)
    monkeypatch.setattr(loop_command, "close_old_connections", lambda: None)


@pytest.fixture
def kpis(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A stand-in KPI rollup (the KPI module has its own tests), recording its calls."""
    calls: list[dict[str, Any]] = []
    module = types.ModuleType("loom.analytics.kpis")

    def kpi_rollup(*, now: datetime | None = None, full: bool = False) -> RollupResult:
        calls.append({"now": now, "full": full})
        if getattr(module, "fail", False):
            raise RuntimeError("KPI table locked")
        return RollupResult(events_read=0, rows_written=3, periods=1)

    module.kpi_rollup = kpi_rollup  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "loom.analytics.kpis", module)
    calls_module = calls
    yield calls_module


def _events(world: World) -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    Event.objects.bulk_create(
        Event(
            user=world.avi, role="client", name="page_view", occurred_at=at + timedelta(minutes=i)
        )
        for i in range(3)
    )


# --- analytics_flush -----------------------------------------------------------------------


def test_flush_once_with_the_database_buffer_says_so(settings: Any) -> None:
    settings.ANALYTICS_EVENT_BUFFER = "database"
    out = StringIO()
    call_command("analytics_flush", stdout=out)
    assert "nothing to flush" in out.getvalue()


def test_flush_loop_writes_events_and_a_heartbeat(
    world: World, settings: Any, redis_url: str, one_round: None
) -> None:
    settings.REDIS_URL = redis_url
    settings.ANALYTICS_EVENT_BUFFER = "redis"
    settings.ANALYTICS_EVENT_BUFFER_KEY = f"test:events:{uuid.uuid4().hex}"
    events.redis_reset()
    client = events.redis_client()
    key = events.buffer_key()
    try:
        record = events._Record(1_772_442_000_000, world.avi.pk, "client", "checkin", "")
        client.rpush(key, record.dumps(), record.dumps())
        out = StringIO()
        call_command("analytics_flush", "--loop", stdout=out)
        assert "2 written" in out.getvalue()
        assert Event.objects.count() == 2
        beat = WorkerHeartbeat.objects.get(name="analytics_flush")
        assert beat.interval_seconds == 2.0 and not beat.failed
    finally:
        client.delete(key, f"{key}:processing", f"{key}:seq")
        events.redis_reset()


# --- analytics_rollup ----------------------------------------------------------------------


def test_rollup_runs_each_job_and_records_it(
    world: World, kpis: list[dict[str, Any]], one_round: None
) -> None:
    _events(world)
    out = StringIO()
    call_command("analytics_rollup", "--loop", stdout=out)
    assert DailyActivity.objects.get().events == 3
    assert len(kpis) == 1 and kpis[0]["full"] is False
    runs = {run.job: run for run in RollupRun.objects.all()}
    assert set(runs) == {"activity", "kpis", "events_prune"}
    assert all(run.ok and run.error == "" for run in runs.values())
    assert (runs["activity"].events_read, runs["activity"].rows_written) == (3, 1)
    assert runs["kpis"].rows_written == 3
    beat = WorkerHeartbeat.objects.get(name="analytics_rollup")
    assert beat.interval_seconds == 300.0 and not beat.failed
    assert beat.last_line.startswith("Analytics rollup: activity 3 read, 1 written")


def test_prune_runs_once_a_day(world: World, kpis: list[dict[str, Any]]) -> None:
    call_command("analytics_rollup", stdout=StringIO())
    call_command("analytics_rollup", stdout=StringIO())
    assert RollupRun.objects.filter(job="events_prune").count() == 1
    assert RollupRun.objects.filter(job="activity").count() == 2
    RollupRun.objects.filter(job="events_prune").update(
        started_at=datetime.now(tz=UTC) - timedelta(days=1, minutes=1)
    )
    call_command("analytics_rollup", stdout=StringIO())
    assert RollupRun.objects.filter(job="events_prune").count() == 2


def test_a_failing_job_is_recorded_the_others_still_run_and_the_round_fails(
    world: World, kpis: list[dict[str, Any]], one_round: None
) -> None:
    _events(world)
    sys.modules["loom.analytics.kpis"].fail = True  # type: ignore[attr-defined]
    with pytest.raises(RuntimeError, match="KPI table locked"):
        call_command("analytics_rollup", "--loop", stdout=StringIO(), stderr=StringIO())
    runs = {run.job: run for run in RollupRun.objects.all()}
    assert runs["kpis"].ok is False
    assert runs["kpis"].error == "RuntimeError: KPI table locked"
    assert runs["activity"].ok and runs["events_prune"].ok
    assert DailyActivity.objects.exists()
    beat = WorkerHeartbeat.objects.get(name="analytics_rollup")
    assert beat.failed and beat.last_line == "RuntimeError"


def test_full_rebuilds(world: World, kpis: list[dict[str, Any]]) -> None:
    _events(world)
    call_command("analytics_rollup", stdout=StringIO())
    DailyActivity.objects.update(events=99)
    call_command("analytics_rollup", "--full", stdout=StringIO())
    assert DailyActivity.objects.get().events == 3
    assert kpis[-1]["full"] is True
