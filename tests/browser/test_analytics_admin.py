"""The admin analytics dashboards in a real browser, in English (1280 px) and Hebrew (375 px).

The admin opens the weekly KPI dashboard filled with hand-inserted KPI values (every KPI,
every segment, 14 weeks, and a few figures placed on the status boundaries), reads the
statuses in words, switches the segment, reaches one KPI's drill-down with the keyboard
alone, then the operations dashboard (traffic recorded in the metrics window, a late and
a failed loop, an outbox backlog, a failed rollup, a recent 500) and the business
overview. Every page passes ``check_page`` (lang/dir, one h1, no browser errors, axe-core:
0 WCAG 2.1 A/AA violations) and does not scroll sideways; every chart has a name.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from loom.analytics.kpi_catalog import KPIS
from loom.analytics.models import RollupRun
from loom.analytics.selectors_admin import iso_week, last_complete_week
from loom.core import ops
from loom.core.models import OutboxMessage, WorkerHeartbeat
from tests.accounts.security_support import enable_totp
from tests.analytics.test_admin_support import fill_weeks, put
from tests.browser.conftest import PageOpener
from tests.browser.messaging_support import open_as
from tests.browser.support import exact, t
from tests.browser.wellbeing_support import (
    LANGUAGE_VIEWPORT_IDS,
    LANGUAGE_VIEWPORTS,
    checked,
    main,
    speak,
    visit,
)
from tests.world import World

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def memory_metrics(settings):
    """The live server runs in this process: its traffic lands in this memory store."""
    settings.LOOM_OPS_METRICS_STORE = "memory"
    ops.ops_store_reset()
    ops.ops_store().clear()
    yield ops.ops_store()
    ops.ops_store().clear()
    ops.ops_store_reset()


def charts_are_named(page: Page) -> int:
    charts = main(page).locator("svg[role='img']")
    for index in range(charts.count()):
        chart = charts.nth(index)
        labelled_by = chart.get_attribute("aria-labelledby") or ""
        assert labelled_by, f"{page.url}: chart {index} has no name"
        name = page.locator(f"[id='{labelled_by}']").text_content() or ""
        assert name.strip(), f"{page.url}: chart {index} has an empty name"
    return charts.count()


def _seed_kpis() -> None:
    week = last_complete_week()
    fill_weeks(14)
    put("onboarding_completion", week, 95.0, numerator=19, denominator=20)  # exactly on target
    put("dau_share", week, 55.0, numerator=11, denominator=20)  # target 60: close
    put("wau_share", week, 40.0, numerator=8, denominator=20)  # target 85: off
    put("dau_share", week, 62.0, segment="coach", numerator=5, denominator=8, provisional=True)


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_kpi_dashboard_and_drill_down_by_keyboard(
    open_page: PageOpener, server_url: str, language: str, viewport: str
) -> None:
    world = World.build()
    admin = speak(world.admin, language)
    enable_totp(admin)
    _seed_kpis()

    page = open_as(open_page, admin, server_url, reverse("analytics_admin:kpis"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Weekly KPIs")))
    rows = main(page).locator("tr.ad-kpi-row")
    expect(rows).to_have_count(len(KPIS))
    onboarding = main(page).locator("tr[data-kpi='onboarding_completion']")
    expect(onboarding).to_contain_text(t(language, "On target"))
    with translation.override(language):
        close = translation.pgettext("KPI status", "Close")
    expect(main(page).locator("tr[data-kpi='dau_share']")).to_contain_text(close)
    expect(main(page).locator("tr[data-kpi='wau_share']")).to_contain_text(
        t(language, "Off target")
    )
    assert charts_are_named(page) >= 4 + 21  # the trends and a sparkline per KPI
    # The trends' table alternative opens.
    main(page).get_by_text(t(language, "Show the trends as a table")).click()
    expect(main(page).locator("details.ad-details table")).to_be_visible()

    # The segment switcher: coaches' daily active share, marked provisional.
    main(page).get_by_label(t(language, "People")).select_option("coach")
    with page.expect_navigation():
        main(page).get_by_role("button", name=exact(t(language, "Show"))).click()
    checked(page)
    dau = main(page).locator("tr[data-kpi='dau_share']")
    expect(dau).to_contain_text(t(language, "Provisional"))
    expect(main(page).locator("tr[data-kpi='sessions_per_coach']")).to_contain_text(
        t(language, "Not split by role: everyone")
    )

    # Keyboard only: from the primary table's scroll region, Tab reaches the first KPI's
    # link, and Enter opens its drill-down.
    visit(page, reverse("analytics_admin:kpis"))
    page.locator("#main .table-wrap").first.focus()
    page.keyboard.press("Tab")
    link = main(page).get_by_role(
        "link", name=exact(t(language, "Onboarding completed within 7 days"))
    )
    expect(link).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "Onboarding completed within 7 days"))
    )
    weeks = main(page).locator("table").last
    week_row = weeks.locator("tr").filter(has_text=iso_week(last_complete_week()))
    expect(week_row.locator("td").nth(1)).to_have_text("19")
    expect(week_row.locator("td").nth(2)).to_have_text("20")
    expect(week_row.locator("td").nth(3)).to_have_text("95.0%")
    assert charts_are_named(page) == 1
    # Another segment, again by keyboard.
    clients = main(page).get_by_role("link", name=exact(t(language, "Clients")))
    clients.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    checked(page)
    assert "segment=client" in page.url


@pytest.mark.parametrize(("language", "viewport"), LANGUAGE_VIEWPORTS, ids=LANGUAGE_VIEWPORT_IDS)
def test_operations_and_business_dashboards(
    open_page: PageOpener, server_url: str, language: str, viewport: str, memory_metrics
) -> None:
    world = World.build()
    admin = speak(world.admin, language)
    enable_totp(admin)
    now = timezone.now()
    for status, seconds in ((200, 0.03), (200, 0.08), (500, 0.4)):
        memory_metrics.record(
            ops.observation(
                route="journal:entry",
                status=status,
                seconds=seconds,
                request_id="rq-browser-1",
                exception="builtins.RuntimeError" if status == 500 else "",
            )
        )
    WorkerHeartbeat.objects.create(
        name="outbox_drain", beat_at=now - timedelta(minutes=5), interval_seconds=10
    )
    WorkerHeartbeat.objects.create(name="analytics_rollup", beat_at=now, failed=True)
    OutboxMessage.objects.create(
        channel="email", recipient="a@example.com", available_at=now - timedelta(minutes=3)
    )
    RollupRun.objects.create(job="kpi_rollup", ok=False, error="RuntimeError: boom")

    page = open_as(open_page, admin, server_url, reverse("analytics_admin:operations"))
    checked(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(exact(t(language, "Operations")))
    expect(main(page)).to_contain_text("journal:entry")
    expect(main(page)).to_contain_text("rq-browser-1")
    expect(main(page)).to_contain_text(t(language, "Late"))
    expect(main(page)).to_contain_text(t(language, "Last round failed"))
    # Another window, then the Refresh link keeps it.
    with page.expect_navigation():
        main(page).get_by_role("link", name=exact(t(language, "Last 24 hours"))).click()
    checked(page)
    with page.expect_navigation():
        main(page).get_by_role("link", name=exact(t(language, "Refresh"))).click()
    checked(page)
    assert "window=24h" in page.url

    week = last_complete_week() + timedelta(weeks=1)
    put("coaches_total", week, 12)
    put("clients_total", week, 340)
    put("client_journal_weekly", week, 44.4)
    put("nps", week, 35.0, denominator=20)
    visit(page, reverse("analytics_admin:business"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        exact(t(language, "Business overview"))
    )
    assert charts_are_named(page) >= 6
    with page.expect_navigation():
        main(page).get_by_role("link", name=exact(t(language, "Months"))).click()
    checked(page)
