"""The KPI engine: ``kpi_rollup`` computes ``KpiValue`` rows for every KPI of
``kpi_catalog.KPIS``, and ``kpi_series`` / ``kpi_latest`` read them for the dashboards.

Periods are local days, ISO weeks (Monday first) and calendar months in
``ANALYTICS_TIME_ZONE`` (``loom.analytics.kpi_periods``); which KPI is computed for which
kind is in its catalog entry (``periods``). The formulas, each with its exact definition,
are in ``loom.analytics.kpi_formulas``.

Incremental by construction: a period whose every KPI row is final (``provisional`` false)
is never recomputed by a normal run. A run computes

* every period from the first coach's or client's sign-up (at most ``history_days()``
  back: ``ANALYTICS_KPI_HISTORY_DAYS``, by default the event retention) to today that
  has no final rows yet — on the first run, all of that history; afterwards, the current periods and those
  whose look-ahead (``KpiDefinition.lookahead_days``: 7 days for onboarding, 14 for
  resource uploads, 30 for replies, …) has not passed, plus any period missing for any
  reason (a KPI added to the catalog, a run that failed half-way);
* with ``full=True``, every period of that history; rows before the first sign-up or
  after today are removed, rows older than the bound are kept as they are.

Each formula reads only a window bounded by its period end plus its look-ahead, so once
final a row is what a full rebuild would compute from the same data (the tests check
incremental = full). Each period is written in its own transaction with one upsert, so
a failed run leaves earlier periods done and the next run picks up where it stopped.

The worker runs it in the system context (row-level security: it reads everyone's rows);
the values it writes are counts over everyone and hold no one's data.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Min, OuterRef, Q, Subquery
from django.utils import timezone

from loom.accounts.models import Role, User
from loom.analytics.kpi_catalog import KPI_BY_KEY, KPIS, PeriodKind
from loom.analytics.kpi_formulas import FORMULAS, JOURNAL_SHARING_DAYS, Ctx, Figure
from loom.analytics.kpi_periods import (
    PERIOD_KINDS,
    Window,
    local_date,
    period_start_for,
    period_starts,
    reporting_zone,
)
from loom.analytics.models import KpiValue
from loom.analytics.rollup import RollupResult
from loom.core.context import system_context

__all__ = [
    "KEYS_BY_PERIOD",
    "compute_period",
    "history_days",
    "kpi_latest",
    "kpi_rollup",
    "kpi_series",
    "planned_periods",
]

KEYS_BY_PERIOD: dict[PeriodKind, frozenset[str]] = {
    kind: frozenset(k.key for k in KPIS if kind in k.periods) for kind in PERIOD_KINDS
}

_UPDATE_FIELDS = ["numerator", "denominator", "value", "provisional", "computed_at"]


# --- Computing -----------------------------------------------------------------------------


def compute_period(window: Window) -> list[KpiValue]:
    """Every KPI row of one period (unsaved): each KPI for this period kind, each of its
    declared segments (a segment with no data gets a row too: 0 over 0, value NULL)."""
    keys = KEYS_BY_PERIOD[window.kind]
    ctx = Ctx(window)
    figures: dict[str, dict[str, Figure]] = {}
    for formula in FORMULAS:
        if keys.intersection(formula.keys):
            figures.update(formula.compute(ctx))
    computed_at = timezone.now()
    rows: list[KpiValue] = []
    for key in sorted(keys):
        definition = KPI_BY_KEY[key]
        provisional = window.is_provisional(definition.lookahead_days)
        by_segment = figures[key]
        for segment in definition.segments:
            figure = by_segment.get(segment, Figure(0.0, 0.0, None))
            rows.append(
                KpiValue(
                    kpi=key,
                    period=window.kind,
                    period_start=window.start,
                    segment=segment,
                    numerator=figure.numerator,
                    denominator=figure.denominator,
                    value=figure.value,
                    provisional=provisional,
                    computed_at=computed_at,
                )
            )
    return rows


# The furthest back before a period's end any formula reads events: the 30 local days of
# journal sharing (kpi_formulas.JOURNAL_SHARING_DAYS), plus a day for the zone.
EVENT_LOOKBACK_DAYS = JOURNAL_SHARING_DAYS + 1


def history_days() -> int:
    """How far back a run computes, in days: ``ANALYTICS_KPI_HISTORY_DAYS``, by default
    ``ANALYTICS_EVENT_RETENTION_DAYS`` less ``EVENT_LOOKBACK_DAYS`` (395 − 31 = 364), so
    that every event any formula of the oldest period reads (journal shares up to 30 days
    before its end) still exists.

    Bounded for two reasons. Cost: without it the first run on an install with years of
    data computes every day, week and month since the first sign-up (three years: about
    1,100 days, 160 weeks and 36 months, some 9,000 statements over the largest tables),
    and so would every ``--full``. Correctness: some figures also read events (deleted
    resources and journal entries), and events older than the retention are pruned, so
    recomputing such a period would quietly lower a value that was right when it became
    final. Rows older than the bound are kept as they are, also by a full rebuild.
    """
    raw = getattr(settings, "ANALYTICS_KPI_HISTORY_DAYS", None)
    if raw is None:
        raw = int(settings.ANALYTICS_EVENT_RETENTION_DAYS) - EVENT_LOOKBACK_DAYS
    return max(int(raw), 1)


def _first_day(now: datetime) -> date | None:
    """The local day the first coach or client joined (None: nobody has)."""
    first = User.objects.filter(role__in=(Role.COACH, Role.CLIENT)).aggregate(
        first=Min("date_joined")
    )["first"]
    if first is None:
        return None
    return min(local_date(first, reporting_zone()), local_date(now, reporting_zone()))


def planned_periods(now: datetime) -> list[tuple[PeriodKind, date]]:
    """Every (kind, period_start) from the first sign-up — or ``history_days()`` before
    today, whichever is later — to ``now``, oldest first within each kind (months, then
    weeks, then days)."""
    return _planned(_first_day(now), local_date(now, reporting_zone()))


def _planned(first: date | None, today: date) -> list[tuple[PeriodKind, date]]:
    if first is None:
        return []
    first = max(first, today - timedelta(days=history_days()))
    planned: list[tuple[PeriodKind, date]] = []
    for kind in ("month", "week", "day"):
        if KEYS_BY_PERIOD[kind]:
            planned.extend((kind, start) for start in period_starts(kind, first, today))
    return planned


def _final_periods() -> set[tuple[str, date]]:
    """Periods whose every KPI has a final ``all`` row (segments are written together)."""
    condition = Q()
    for kind, keys in KEYS_BY_PERIOD.items():
        if keys:
            condition |= Q(period=kind, kpi__in=sorted(keys))
    rows = (
        KpiValue.objects.filter(condition, provisional=False, segment="all")
        .values("period", "period_start")
        .annotate(n=Count("kpi"))
        .order_by()
    )
    expected: dict[str, int] = {kind: len(keys) for kind, keys in KEYS_BY_PERIOD.items()}
    return {
        (row["period"], row["period_start"])
        for row in rows
        if row["n"] >= expected.get(row["period"], 0)
    }


def _write(rows: Sequence[KpiValue]) -> int:
    KpiValue.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["kpi", "period", "period_start", "segment"],
        update_fields=_UPDATE_FIELDS,
    )
    return len(rows)


def _remove_outside(first: date | None, today: date) -> int:
    """Full rebuild: drop rows of catalog KPIs for periods outside the history (before the
    first sign-up, after today — a clock set back, a deleted first account). Rows older
    than ``history_days()`` but after the first sign-up stay: they are not recomputed."""
    stale = Q()
    for kind, keys in KEYS_BY_PERIOD.items():
        if not keys:
            continue
        in_kind = Q(period=kind, kpi__in=sorted(keys))
        if first is not None:
            stale |= in_kind & (
                Q(period_start__lt=period_start_for(kind, first))
                | Q(period_start__gt=period_start_for(kind, today))
            )
        else:
            stale |= in_kind
    deleted, _ = KpiValue.objects.filter(stale).delete()
    return deleted


def kpi_rollup(*, now: datetime | None = None, full: bool = False) -> RollupResult:
    """Compute and upsert the KPI values that can still change (see the module docstring).

    ``now`` is the moment to compute as of (default: the current time; must be aware);
    ``full`` recomputes every period. Returns the rows written and periods computed.
    Safe to run twice, or while another run is going (the upserts converge).
    """
    now = now or timezone.now()
    if timezone.is_naive(now):
        raise ValueError("kpi_rollup needs an aware datetime for `now`.")
    tz = reporting_zone()
    written = 0
    computed = 0
    with system_context():
        first = _first_day(now)
        today = local_date(now, tz)
        planned = _planned(first, today)
        if full:
            _remove_outside(first, today)
            todo = planned
        else:
            final = _final_periods()
            todo = [(kind, start) for kind, start in planned if (kind, start) not in final]
        for kind, start in todo:
            window = Window(kind=kind, start=start, tz=tz, now=now)
            with transaction.atomic():
                written += _write(compute_period(window))
            computed += 1
    return RollupResult(rows_written=written, periods=computed)


# --- Reading (the dashboards) -------------------------------------------------------------------


def _check(keys: Iterable[str], period: str) -> list[str]:
    wanted = list(dict.fromkeys(keys))
    unknown = [key for key in wanted if key not in KPI_BY_KEY]
    if unknown:
        raise KeyError(f"Unknown KPI: {', '.join(unknown)}")
    if period not in PERIOD_KINDS:
        raise ValueError(f"Unknown period: {period!r}")
    return wanted


def kpi_series(
    *,
    keys: Iterable[str],
    period: PeriodKind = "week",
    segment: str = "all",
    start: date,
    end: date,
) -> dict[str, list[KpiValue]]:
    """The stored values of ``keys`` for periods starting in ``[start, end]`` (both
    included; ``start`` is moved back to its period's first day), oldest first, in one
    query. Every key is in the answer; periods with no row are simply absent (use
    ``kpi_periods.period_starts`` to lay out an axis). Raises ``KeyError`` for a key not
    in the catalog, ``ValueError`` for an unknown period.
    """
    wanted = _check(keys, period)
    series: dict[str, list[KpiValue]] = {key: [] for key in wanted}
    if not wanted or start > end:
        return series
    rows = KpiValue.objects.filter(
        kpi__in=wanted,
        period=period,
        segment=segment,
        period_start__gte=period_start_for(period, start),
        period_start__lte=end,
    ).order_by("kpi", "period_start")
    grouped: defaultdict[str, list[KpiValue]] = defaultdict(list)
    for row in rows:
        grouped[row.kpi].append(row)
    series.update(grouped)
    return series


def kpi_latest(
    *,
    keys: Iterable[str] | None = None,
    period: PeriodKind = "week",
    segment: str = "all",
    at: date | None = None,
    final_only: bool = False,
) -> dict[str, KpiValue | None]:
    """The most recent stored value of each KPI (default: every KPI computed for
    ``period``) whose period starts on or before ``at`` (default: any), in one query.
    ``final_only`` skips provisional values (the last complete period). ``None`` for a
    KPI with no such value."""
    wanted = _check(KEYS_BY_PERIOD.get(period, ()) if keys is None else keys, period)
    latest: dict[str, KpiValue | None] = dict.fromkeys(sorted(wanted) if keys is None else wanted)
    if not wanted:
        return latest
    scope = Q(period=period, segment=segment)
    if at is not None:
        scope &= Q(period_start__lte=at)
    if final_only:
        scope &= Q(provisional=False)
    newest = (
        KpiValue.objects.filter(scope, kpi=OuterRef("kpi"))
        .order_by("-period_start")
        .values("period_start")[:1]
    )
    rows = KpiValue.objects.filter(scope, kpi__in=wanted, period_start=Subquery(newest))
    for row in rows:
        latest[row.kpi] = row
    return latest
