"""The KPIs Loom reports, with their targets from the GA plan (``loom-ga-scope.md`` §2).

This is the contract between the KPI engine (``loom.analytics.kpis``, which computes a
``KpiValue`` per KPI, period and segment) and the dashboards (which show each value
against its target). The exact definition of each figure lives next to its formula in
``loom.analytics.kpis`` and in ``docs/analytics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Unit = Literal["percent", "count", "per_coach", "minutes", "hours", "score"]
Direction = Literal["at_least", "at_most"]
Status = Literal["green", "amber", "red", "none"]
Group = Literal["primary", "engagement", "adoption", "messaging", "satisfaction", "growth"]


@dataclass(frozen=True)
class KpiDefinition:
    key: str
    label: str | Promise
    unit: Unit
    group: Group
    # The GA plan's target, or None where it sets none (shown as "no target").
    target: float | None = None
    direction: Direction = "at_least"
    # Amber: short of the target by at most this share of it (0.1 = within 10 %).
    amber_margin: float = 0.1
    segments: tuple[str, ...] = ("all",)

    def status(self, value: float | None) -> Status:
        """Green when the target is met, amber when within the margin, red otherwise."""
        if value is None or self.target is None:
            return "none"
        if self.direction == "at_least":
            if value >= self.target:
                return "green"
            return "amber" if value >= self.target * (1 - self.amber_margin) else "red"
        if value <= self.target:
            return "green"
        return "amber" if value <= self.target * (1 + self.amber_margin) else "red"


ROLES = ("all", "coach", "client")

KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "onboarding_completion",
        _("Onboarding completed within 7 days"),
        "percent",
        "primary",
        95,
        segments=ROLES,
    ),
    KpiDefinition(
        "sessions_per_coach", _("Completed sessions per active coach"), "per_coach", "primary", 3
    ),
    KpiDefinition(
        "coaches_at_baseline", _("Coaches at 3 or more sessions a week"), "percent", "primary", 75
    ),
    KpiDefinition("session_completion", _("Session completion rate"), "percent", "primary"),
    KpiDefinition(
        "nps",
        _("Net Promoter Score"),
        "score",
        "satisfaction",
        40,
        segments=("all", "coach", "client", "session", "monthly", "en", "he"),
    ),
    KpiDefinition("active_coaches", _("Active coaches"), "count", "engagement"),
    KpiDefinition("active_clients", _("Active clients"), "count", "engagement"),
    KpiDefinition(
        "dau_share", _("Daily active users"), "percent", "engagement", 60, segments=ROLES
    ),
    KpiDefinition(
        "wau_share", _("Weekly active users"), "percent", "engagement", 85, segments=ROLES
    ),
    KpiDefinition("visit_minutes", _("Average visit length"), "minutes", "engagement", 8),
    KpiDefinition(
        "return_7d", _("Returned within 7 days"), "percent", "engagement", 70, segments=ROLES
    ),
    KpiDefinition(
        "coach_resource_upload_14d",
        _("Coaches who uploaded a resource within 14 days"),
        "percent",
        "adoption",
        80,
    ),
    KpiDefinition(
        "client_resource_open_7d",
        _("Clients who opened a shared resource within 7 days"),
        "percent",
        "adoption",
        60,
    ),
    KpiDefinition(
        "client_journal_weekly",
        _("Clients writing a journal entry this week"),
        "percent",
        "adoption",
        50,
    ),
    KpiDefinition(
        "client_journal_sharing", _("Clients sharing journal entries"), "percent", "adoption", 30
    ),
    KpiDefinition(
        "messaging_pairs_weekly",
        _("Coach–client pairs exchanging a message"),
        "percent",
        "messaging",
        70,
    ),
    KpiDefinition(
        "coach_response_hours",
        _("Average coach response time"),
        "hours",
        "messaging",
        24,
        direction="at_most",
    ),
    KpiDefinition("coaches_total", _("Coaches"), "count", "growth"),
    KpiDefinition("clients_total", _("Clients"), "count", "growth"),
    KpiDefinition("coaches_new", _("New coaches"), "count", "growth"),
    KpiDefinition("clients_new", _("New clients"), "count", "growth"),
)

KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}
