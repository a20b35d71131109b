"""Factor insights: "on days with X your mood averaged A, and B on other days".

Five factors, each decided per local day of the client:

* ``sleep`` — a check-in that day reported 7 or more hours of sleep. "Other days" are
  days whose check-ins reported less; days without any sleep figure are left out, since
  nothing is known about them.
* ``journal`` — a journal entry written that day (``Entry.written_on``).
* ``practice`` — a journal entry that day names at least one practice.
* ``session`` — a completed coaching session (one-to-one or a group seat) started that
  day in the client's current zone.
* ``coping`` — a check-in that day named a coping strategy.

A factor only becomes an insight with at least 3 days with it and 3 without
(``analysis.factor_insight``) and a difference of at least half a point; the list is
sorted by the size of the difference. Every sentence is followed by the reminder that
this is a correlation. At most four queries, whatever the number of days.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loom.journal.days import local_day_of, zone_of
from loom.journal.models import Entry
from loom.scheduling.models import SeatStatus, Session, SessionStatus
from loom.wellbeing import analysis
from loom.wellbeing.models import CheckIn
from loom.wellbeing.selectors_checkins import daily_moods

INSIGHT_DAYS = 90
SLEEP_HOURS = Decimal(7)

CORRELATION_NOTE = gettext_lazy("This shows things that go together, not what causes what.")
EMPTY_TEXT = gettext_lazy(
    "Insights appear once you have at least 3 days with and 3 days without a factor."
)

FACTORS: tuple[str, ...] = ("sleep", "journal", "practice", "session", "coping")


@dataclass(frozen=True)
class FactorInsight:
    factor: str
    insight: analysis.Insight

    @property
    def difference(self) -> float:
        return self.insight.difference

    @property
    def text(self) -> str:
        return insight_sentence(self.factor, self.insight)

    @property
    def note(self) -> str:
        return str(CORRELATION_NOTE)


def _one(value: float) -> str:
    return number_format(round(value, 1), 1)


def insight_sentence(factor: str, insight: analysis.Insight) -> str:
    values = {"with": _one(insight.average_with), "without": _one(insight.average_without)}
    if factor == "sleep":
        text = _(
            "On days with 7+ hours of sleep your mood averaged %(with)s, and %(without)s on other days."
        )
    elif factor == "journal":
        text = _(
            "On days you wrote in your journal your mood averaged %(with)s, and %(without)s on other days."
        )
    elif factor == "practice":
        text = _(
            "On days you did a practice your mood averaged %(with)s, and %(without)s on other days."
        )
    elif factor == "session":
        text = _(
            "On days with a coaching session your mood averaged %(with)s, and %(without)s on other days."
        )
    else:
        text = _(
            "On days you used a coping strategy your mood averaged %(with)s, and %(without)s on other days."
        )
    return text % values


def split_days(
    moods: Mapping[date, float], marked: set[date]
) -> tuple[dict[date, float], dict[date, float]]:
    """The mood days with the factor and those without it."""
    with_factor = {day: mood for day, mood in moods.items() if day in marked}
    without = {day: mood for day, mood in moods.items() if day not in marked}
    return with_factor, without


def rank(candidates: Mapping[str, analysis.Insight | None]) -> list[FactorInsight]:
    """Insights worth a sentence: above the threshold, at least half a point apart,
    largest difference first (then the factor order, so the list is stable)."""
    kept = [
        FactorInsight(factor, insight)
        for factor, insight in candidates.items()
        if insight is not None and abs(insight.difference) >= analysis.MIN_DIFFERENCE
    ]
    order = {factor: index for index, factor in enumerate(FACTORS)}
    return sorted(kept, key=lambda item: (-abs(item.difference), order.get(item.factor, 99)))


def _session_days(client: Any, start: date, end: date) -> set[date]:
    zone = zone_of(client.timezone)
    # A day of margin on each side: the local day is decided below, in the client's zone.
    since = datetime.combine(start - timedelta(days=1), time.min, tzinfo=zone)
    until = datetime.combine(end + timedelta(days=2), time.min, tzinfo=zone)
    moments = (
        Session.objects.filter(
            status=SessionStatus.COMPLETED, starts_at__gte=since, starts_at__lt=until
        )
        .filter(
            Q(client_id=client.pk) | Q(seats__client_id=client.pk, seats__status=SeatStatus.TAKEN)
        )
        .order_by()
        .values_list("starts_at", flat=True)
        .distinct()
    )
    days = {local_day_of(client.timezone, moment) for moment in moments}
    return {day for day in days if start <= day <= end}


def client_insights(
    client: Any,
    *,
    today: date,
    days: int = INSIGHT_DAYS,
    moods: Mapping[date, float] | None = None,
) -> list[FactorInsight]:
    """The client's insights over their last ``days`` local days (today included).

    ``moods`` (day → average pleasantness) may be passed when the caller already read
    them for the same window; otherwise they come from ``daily_moods``.
    """
    start = today - timedelta(days=days - 1)
    if moods is None:
        moods = {
            day: value.avg_pleasantness
            for day, value in daily_moods(client, start=start, end=today).items()
        }
    else:
        moods = {day: value for day, value in moods.items() if start <= day <= today}
    if len(moods) < 2 * analysis.MIN_DAYS:
        # Fewer mood days than the threshold needs on both sides: nothing can qualify,
        # so the other queries are not worth running.
        return []
    sleep_with: set[date] = set()
    sleep_known: set[date] = set()
    coping: set[date] = set()
    for row in (
        CheckIn.objects.filter(client_id=client.pk, local_date__gte=start, local_date__lte=today)
        .order_by()
        .values("local_date")
        .annotate(sleep=Max("sleep_hours"), coping=Count("id", filter=~Q(coping_strategy="")))
    ):
        if row["sleep"] is not None:
            sleep_known.add(row["local_date"])
            if row["sleep"] >= SLEEP_HOURS:
                sleep_with.add(row["local_date"])
        if row["coping"]:
            coping.add(row["local_date"])
    journal: set[date] = set()
    practice: set[date] = set()
    for written_on, practices in Entry.objects.filter(
        author_id=client.pk, written_on__gte=start, written_on__lte=today
    ).values_list("written_on", "practices"):
        journal.add(written_on)
        if practices:
            practice.add(written_on)
    sessions = _session_days(client, start, today)

    sleep_moods = {day: mood for day, mood in moods.items() if day in sleep_known}
    candidates: dict[str, analysis.Insight | None] = {
        "sleep": analysis.factor_insight(*split_days(sleep_moods, sleep_with)),
        "journal": analysis.factor_insight(*split_days(moods, journal)),
        "practice": analysis.factor_insight(*split_days(moods, practice)),
        "session": analysis.factor_insight(*split_days(moods, sessions)),
        "coping": analysis.factor_insight(*split_days(moods, coping)),
    }
    return rank(candidates)
