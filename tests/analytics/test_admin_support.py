"""Builders for the admin dashboard tests (no tests here: the helpers of ``test_admin_*.py``)."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from loom.analytics.kpi_catalog import KPIS
from loom.analytics.models import KpiValue
from loom.analytics.selectors_admin import last_complete_week


def put(
    kpi: str,
    start: date,
    value: float | None,
    *,
    segment: str = "all",
    numerator: float = 0,
    denominator: float = 0,
    provisional: bool = False,
    period: str = "week",
) -> KpiValue:
    row, _created = KpiValue.objects.update_or_create(
        kpi=kpi,
        period=period,
        period_start=start,
        segment=segment,
        defaults={
            "value": value,
            "numerator": numerator,
            "denominator": denominator,
            "provisional": provisional,
        },
    )
    return row


def fill_weeks(weeks: int, *, end: date | None = None) -> int:
    """Every KPI in every segment for ``weeks`` weeks ending with ``end`` (default: the
    last complete week), values rising by week. Returns the number of rows."""
    end = end or last_complete_week()
    rows = []
    for n in range(weeks):
        start = end - timedelta(weeks=n)
        for kpi in KPIS:
            for segment in kpi.segments:
                value = 50.0 + (weeks - n) % 40
                rows.append(
                    KpiValue(
                        kpi=kpi.key,
                        period="week",
                        period_start=start,
                        segment=segment,
                        numerator=value,
                        denominator=100,
                        value=value,
                    )
                )
    KpiValue.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def kpi_row(html: str, key: str) -> str:
    """The dashboard table row of one KPI."""
    match = re.search(rf'<tr class="ad-kpi-row" data-kpi="{key}">(.*?)</tr>', html, re.S)
    assert match, f"no row for {key}"
    return match.group(1)


def text(response: Any) -> str:
    """The page's HTML without the narrow-layout cell labels (``data-label``), so tests
    can look for a row's cells side by side."""
    return re.sub(r' data-label="[^"]*"', "", response.content.decode())
