"""``load_demo_analytics``: a plausible, lean, idempotent history for the demo people."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from datetime import datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from loom.accounts.models import Role, User
from loom.analytics.models import DailyActivity, Event, EventName, NpsResponse, RollupRun
from loom.analytics.rollup import RollupResult

pytestmark = pytest.mark.django_db


@pytest.fixture
def kpis(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[dict[str, Any]]]:
    """A stand-in KPI rollup (the KPI module is tested on its own)."""
    calls: list[dict[str, Any]] = []
    module = types.ModuleType("loom.analytics.kpis")

    def kpi_rollup(*, now: datetime | None = None, full: bool = False) -> RollupResult:
        calls.append({"now": now, "full": full})
        return RollupResult(rows_written=5)

    module.kpi_rollup = kpi_rollup  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "loom.analytics.kpis", module)
    yield calls


def _route_exists(name: str) -> bool:
    try:
        reverse(name)
    except NoReverseMatch as exc:
        # A route that takes arguments exists too; only an unknown name is refused.
        return "is not a valid view function or pattern name" not in str(exc)
    return True


def test_needs_the_demo_people_first(kpis: list[dict[str, Any]]) -> None:
    with pytest.raises(CommandError, match="load_demo_data"):
        call_command("load_demo_analytics", stdout=StringIO())


def test_ten_weeks_of_lean_events_then_the_rollups(kpis: list[dict[str, Any]]) -> None:
    call_command("load_demo_data", stdout=StringIO())
    out = StringIO()
    call_command("load_demo_analytics", stdout=out)
    line = out.getvalue().strip()
    assert line.startswith("Demo analytics: ") and "\n" not in line

    now = timezone.now()
    assert Event.objects.count() > 500
    oldest = Event.objects.order_by("occurred_at").first()
    assert oldest is not None and oldest.occurred_at >= now - timedelta(weeks=10, days=1)
    assert not Event.objects.filter(occurred_at__gte=now).exists()
    # Every role acts, in its own role, with the names and routes of real pages only.
    roles = dict(User.objects.values_list("pk", "role"))
    for user_id, role in Event.objects.values_list("user_id", "role").distinct():
        assert roles[user_id] == role
    assert set(Event.objects.values_list("role", flat=True)) == {
        Role.COACH,
        Role.CLIENT,
        Role.ADMIN,
    }
    names = set(Event.objects.values_list("name", flat=True))
    assert {EventName.PAGE_VIEW, EventName.SIGN_IN, EventName.BOOKING, EventName.CHECKIN} <= names
    routes = set(Event.objects.exclude(route="").values_list("route", flat=True))
    assert routes and all(_route_exists(route) for route in routes)
    assert not Event.objects.exclude(name=EventName.PAGE_VIEW).exclude(route="").exists()
    # Someone went quiet: a client with events, but none in the last two weeks.
    recent = set(
        Event.objects.filter(occurred_at__gte=now - timedelta(days=14)).values_list(
            "user_id", flat=True
        )
    )
    active_clients = set(
        Event.objects.filter(role=Role.CLIENT).values_list("user_id", flat=True).distinct()
    )
    assert active_clients - recent

    assert DailyActivity.objects.count() > 50
    assert NpsResponse.objects.filter(score__isnull=False).count() >= 3
    assert kpis == [{"now": kpis[0]["now"], "full": True}]
    assert set(RollupRun.objects.values_list("job", flat=True)) == {"activity", "kpis"}


def test_running_again_adds_nothing(kpis: list[dict[str, Any]]) -> None:
    call_command("load_demo_data", stdout=StringIO())
    call_command("load_demo_analytics", stdout=StringIO())
    events, answers = Event.objects.count(), NpsResponse.objects.count()
    rows = DailyActivity.objects.count()
    out = StringIO()
    call_command("load_demo_analytics", stdout=out)
    assert "0 events and 0 survey answers added" in out.getvalue()
    assert (Event.objects.count(), NpsResponse.objects.count()) == (events, answers)
    assert DailyActivity.objects.count() == rows
