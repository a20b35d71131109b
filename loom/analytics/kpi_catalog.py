"""The KPIs Loom reports, with their targets from the GA plan (``loom-ga-scope.md`` §2).

This is the contract between the KPI engine (``loom.analytics.kpis``, which computes a
``KpiValue`` per KPI, period and segment) and the dashboards (which show each value
against its target). The exact definition of each figure lives next to its formula in
``loom.analytics.kpi_formulas`` and in ``docs/analytics.md``; ``definition`` below is the
one-sentence version the drill-down page shows, and ``numerator_label`` /
``denominator_label`` name the two counts stored with every value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

Unit = Literal["percent", "count", "per_coach", "minutes", "hours", "score"]
Direction = Literal["at_least", "at_most"]
Status = Literal["green", "amber", "red", "none"]
Group = Literal["primary", "engagement", "adoption", "messaging", "satisfaction", "growth"]
PeriodKind = Literal["day", "week", "month"]


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
    # Which periods the engine computes: ISO weeks always; days for the daily trends
    # (DAU, active users), calendar months for the monthly review (NPS, growth).
    periods: tuple[PeriodKind, ...] = ("week",)
    # Days after a period ends during which its value can still change (a 7-day
    # look-ahead, late-marked sessions, the activity rollup's lag). Values are stored
    # ``provisional`` until the period end plus this has passed, and recomputed by every
    # run until then; afterwards the engine leaves them alone.
    lookahead_days: int = 1
    definition: str | Promise = ""
    numerator_label: str | Promise = ""
    denominator_label: str | Promise = ""
    # Where the figures come from (never any text anyone wrote: see kpi_formulas).
    source: str | Promise = ""

    @property
    def formula(self) -> str | Promise:
        """How the value follows from the two stored counts, in words."""
        if not (self.numerator_label and self.denominator_label):
            return ""
        # A lazy pattern: format_lazy translates it when the result is rendered.
        pattern = cast(str, FORMULAS_BY_UNIT[self.unit])
        return format_lazy(
            pattern, numerator=self.numerator_label, denominator=self.denominator_label
        )

    def status(self, value: float | None) -> Status:
        """Green when the target is met, amber when within the margin, red otherwise.

        Judged on the value as the dashboards show it (whole counts and scores, one
        decimal otherwise): 94.996 % is shown as 95.0 % and is on target.
        """
        if value is None or self.target is None:
            return "none"
        value = round(value, 0 if self.unit in ("count", "score") else 1)
        if self.direction == "at_least":
            if value >= self.target:
                return "green"
            return "amber" if value >= self.target * (1 - self.amber_margin) else "red"
        if value <= self.target:
            return "green"
        return "amber" if value <= self.target * (1 + self.amber_margin) else "red"


# ``format_lazy`` fills the labels in at render time, in the viewer's language.
FORMULAS_BY_UNIT: dict[str, str | Promise] = {
    "percent": _("{numerator} ÷ {denominator} × 100"),
    "score": _("{numerator} ÷ {denominator} × 100"),
    "per_coach": _("{numerator} ÷ {denominator}"),
    "minutes": _("{numerator} ÷ {denominator}"),
    "hours": _("{numerator} ÷ {denominator}"),
    "count": _("{numerator} (out of {denominator})"),
}

ROLES = ("all", "coach", "client")
NPS_SEGMENTS = ("all", "coach", "client", "session", "monthly", "en", "he")

KPIS: tuple[KpiDefinition, ...] = (
    KpiDefinition(
        "onboarding_completion",
        _("Onboarding completed within 7 days"),
        "percent",
        "primary",
        95,
        segments=ROLES,
        lookahead_days=7,
        definition=_(
            "Of the clients invited and the coaches who signed up in the week, the share "
            "who completed onboarding within 7 days (168 hours) of their invitation or sign-up."
        ),
        numerator_label=_("Completed within 7 days"),
        denominator_label=_("Invited or signed up"),
        source=_("Invitations, accounts and onboarding progress"),
    ),
    KpiDefinition(
        "sessions_per_coach",
        _("Completed sessions per active coach"),
        "per_coach",
        "primary",
        3,
        lookahead_days=7,
        definition=_(
            "Completed sessions (one-to-one and group) that started in the week, divided by "
            "the coaches active at the week's end (at least one completed session in the "
            "30 days before)."
        ),
        numerator_label=_("Completed sessions"),
        denominator_label=_("Active coaches"),
        source=_("Sessions"),
    ),
    KpiDefinition(
        "coaches_at_baseline",
        _("Coaches at 3 or more sessions a week"),
        "percent",
        "primary",
        75,
        lookahead_days=7,
        definition=_(
            "Of the active coach accounts onboarded at least 30 days before the week's end, "
            "the share with 13 or more completed sessions (3 a week) in the 30 days to the "
            "week's end."
        ),
        numerator_label=_("Coaches at 3 a week or more"),
        denominator_label=_("Coaches onboarded 30 days or more"),
        source=_("Sessions and onboarding progress"),
    ),
    KpiDefinition(
        "session_completion",
        _("Session completion rate"),
        "percent",
        "primary",
        lookahead_days=7,
        definition=_(
            "Of the confirmed sessions that started in the week (completed, no-show, "
            "cancelled after confirmation, or still scheduled though their time has passed), "
            "the share completed. Requests and declined requests do not count."
        ),
        numerator_label=_("Completed sessions"),
        denominator_label=_("Scheduled sessions"),
        source=_("Sessions and their history"),
    ),
    KpiDefinition(
        "nps",
        _("Net Promoter Score"),
        "score",
        "satisfaction",
        40,
        segments=NPS_SEGMENTS,
        periods=("week", "month"),
        definition=_(
            "Percentage of promoters (9–10) minus percentage of detractors (0–6) among the "
            "survey answers given in the period; dismissed surveys do not count."
        ),
        numerator_label=_("Promoters minus detractors"),
        denominator_label=_("Answers"),
        source=_("Survey answers"),
    ),
    KpiDefinition(
        "active_coaches",
        _("Active coaches"),
        "count",
        "engagement",
        periods=("day", "week"),
        lookahead_days=7,
        definition=_(
            "Coaches with at least one completed session in the 30 days before the end of "
            "the period."
        ),
        numerator_label=_("Active coaches"),
        denominator_label=_("Coach accounts"),
        source=_("Sessions"),
    ),
    KpiDefinition(
        "active_clients",
        _("Active clients"),
        "count",
        "engagement",
        periods=("day", "week"),
        definition=_(
            "Clients who signed in and did at least one thing (more than looking around) in "
            "the 14 days before the end of the period."
        ),
        numerator_label=_("Active clients"),
        denominator_label=_("Client accounts"),
        source=_("Daily activity (from product events)"),
    ),
    KpiDefinition(
        "dau_share",
        _("Daily active users"),
        "percent",
        "engagement",
        60,
        segments=ROLES,
        periods=("day", "week"),
        definition=_(
            "People who used Loom on a day, as a share of all coach and client accounts; "
            "for a week, the average of its days."
        ),
        numerator_label=_("Active people (daily average)"),
        denominator_label=_("Accounts (daily average)"),
        source=_("Daily activity (from product events)"),
    ),
    KpiDefinition(
        "wau_share",
        _("Weekly active users"),
        "percent",
        "engagement",
        85,
        segments=ROLES,
        definition=_(
            "People who used Loom at least once in the week, as a share of all coach and "
            "client accounts at the week's end."
        ),
        numerator_label=_("Active people"),
        denominator_label=_("Accounts"),
        source=_("Daily activity (from product events)"),
    ),
    KpiDefinition(
        "visit_minutes",
        _("Average visit length"),
        "minutes",
        "engagement",
        8,
        definition=_(
            "Average length of a visit in the week, from its first to its last event (pages included); a "
            "pause longer than the visit timeout (30 minutes by default) starts a new visit."
        ),
        numerator_label=_("Minutes in visits"),
        denominator_label=_("Visits"),
        source=_("Daily activity (from product events)"),
    ),
    KpiDefinition(
        "return_7d",
        _("Returned within 7 days"),
        "percent",
        "engagement",
        70,
        segments=ROLES,
        lookahead_days=8,
        definition=_(
            "Of the people who used Loom in the week, the share who came back on another day "
            "within 7 days of their first day of use in that week."
        ),
        numerator_label=_("Came back within 7 days"),
        denominator_label=_("Active people"),
        source=_("Daily activity (from product events)"),
    ),
    KpiDefinition(
        "coach_resource_upload_14d",
        _("Coaches who uploaded a resource within 14 days"),
        "percent",
        "adoption",
        80,
        lookahead_days=14,
        definition=_(
            "Of the coaches who signed up in the week, the share who added at least one "
            "resource to their library within 14 days of signing up."
        ),
        numerator_label=_("Uploaded within 14 days"),
        denominator_label=_("Coaches who signed up"),
        source=_("Resource libraries and product events"),
    ),
    KpiDefinition(
        "client_resource_open_7d",
        _("Clients who opened a shared resource within 7 days"),
        "percent",
        "adoption",
        60,
        lookahead_days=7,
        definition=_(
            "Of the clients who were given at least one resource in the week, the share who "
            "opened one of them within 7 days of it being shared."
        ),
        numerator_label=_("Opened within 7 days"),
        denominator_label=_("Clients given a resource"),
        source=_("Resource shares and openings"),
    ),
    KpiDefinition(
        "client_journal_weekly",
        _("Clients writing a journal entry this week"),
        "percent",
        "adoption",
        50,
        definition=_(
            "Of the active, onboarded client accounts, the share who wrote at least one "
            "journal entry in the week."
        ),
        numerator_label=_("Wrote an entry"),
        denominator_label=_("Client accounts"),
        source=_("Journal entry dates and product events"),
    ),
    KpiDefinition(
        "client_journal_sharing",
        _("Clients sharing journal entries"),
        "percent",
        "adoption",
        30,
        definition=_(
            "Of the active, onboarded client accounts, the share who shared at least one "
            "journal entry with a coach in the 30 days to the week's end."
        ),
        numerator_label=_("Shared an entry"),
        denominator_label=_("Client accounts"),
        source=_("Journal sharing dates and product events"),
    ),
    KpiDefinition(
        "messaging_pairs_weekly",
        _("Coach–client pairs exchanging a message"),
        "percent",
        "messaging",
        70,
        definition=_(
            "Of the coach–client pairs active at the week's end, the share with at least one "
            "message in their conversation in the week."
        ),
        numerator_label=_("Pairs with a message"),
        denominator_label=_("Active pairs"),
        source=_("Coach–client links and message times"),
    ),
    KpiDefinition(
        "coach_response_hours",
        _("Average coach response time"),
        "hours",
        "messaging",
        24,
        direction="at_most",
        lookahead_days=30,
        definition=_(
            "For each client message in the week that starts a new turn (the first client "
            "message after a coach message), the hours until the coach's next message; the "
            "average over the turns answered within 30 days."
        ),
        numerator_label=_("Hours to reply (total)"),
        denominator_label=_("Answered turns"),
        source=_("Message times"),
    ),
    KpiDefinition(
        "coach_response_unanswered",
        _("Client messages left without a reply"),
        "percent",
        "messaging",
        lookahead_days=30,
        definition=_(
            "Of the client turns started in the week, the share the coach did not answer "
            "within 30 days."
        ),
        numerator_label=_("Unanswered turns"),
        denominator_label=_("Turns"),
        source=_("Message times"),
    ),
    KpiDefinition(
        "coaches_total",
        _("Coaches"),
        "count",
        "growth",
        periods=("week", "month"),
        definition=_("Active coach accounts at the end of the period."),
        numerator_label=_("Coaches at the end"),
        denominator_label=_("Coaches at the start"),
        source=_("Accounts"),
    ),
    KpiDefinition(
        "clients_total",
        _("Clients"),
        "count",
        "growth",
        periods=("week", "month"),
        definition=_("Active client accounts at the end of the period."),
        numerator_label=_("Clients at the end"),
        denominator_label=_("Clients at the start"),
        source=_("Accounts"),
    ),
    KpiDefinition(
        "coaches_new",
        _("New coaches"),
        "count",
        "growth",
        periods=("week", "month"),
        definition=_("Coach accounts (still active) that joined in the period."),
        numerator_label=_("New coaches"),
        denominator_label=_("Coaches at the end"),
        source=_("Accounts"),
    ),
    KpiDefinition(
        "clients_new",
        _("New clients"),
        "count",
        "growth",
        periods=("week", "month"),
        definition=_("Client accounts (still active) that joined in the period."),
        numerator_label=_("New clients"),
        denominator_label=_("Clients at the end"),
        source=_("Accounts"),
    ),
)

KPI_BY_KEY = {kpi.key: kpi for kpi in KPIS}
