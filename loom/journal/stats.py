"""The "Your practice" numbers: streaks, counts, average mood, what was noticed most.

All of it counts the client's local days (``Entry.written_on``, fixed when the entry
was written), so travelling does not break or lengthen a streak. Three queries whatever
the journal's size: the distinct days, one aggregate, and the choice lists of the
recent entries (counted here: JSON arrays cannot be unnested the same way on SQLite and
PostgreSQL).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Avg, Count, Q
from django.utils import formats

from loom.accounts.models import User
from loom.journal.models import Entry
from loom.journal.vocabulary import BODY_ZONES, EMOTIONS

MOOD_DAYS = 30
NOTICED_DAYS = 90
TOP = 5
_EMOTION_LABELS = {emotion.key: emotion.label for emotion in EMOTIONS}


@dataclass(frozen=True)
class Noticed:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Stats:
    current_streak: int
    longest_streak: int
    total: int
    this_week: int
    this_month: int
    average_mood: float | None
    top_emotions: list[Noticed] = field(default_factory=list)
    top_zones: list[Noticed] = field(default_factory=list)
    wrote_today: bool = False


def current_streak(days: Iterable[date], today: date) -> int:
    """Consecutive days with an entry ending today — or yesterday, while today is still
    open: a streak is not lost before the day is over."""
    present = set(days)
    day = today if today in present else today - timedelta(days=1)
    count = 0
    while day in present:
        count += 1
        day -= timedelta(days=1)
    return count


def longest_streak(days: Iterable[date]) -> int:
    ordered = sorted(set(days))
    best = run = 0
    previous: date | None = None
    for day in ordered:
        run = run + 1 if previous is not None and day - previous == timedelta(days=1) else 1
        best = max(best, run)
        previous = day
    return best


def week_start(today: date) -> date:
    """The first day of ``today``'s week in the active language (Sunday in en and he)."""
    first = int(formats.get_format("FIRST_DAY_OF_WEEK"))  # 0 = Sunday … 6 = Saturday
    # date.weekday(): Monday = 0; shift to Sunday = 0 to compare with Django's numbering.
    offset = ((today.weekday() + 1) % 7 - first) % 7
    return today - timedelta(days=offset)


def _top(lists: Iterable[Sequence[str]], labels: dict[str, object]) -> list[Noticed]:
    counts: Counter[str] = Counter()
    for keys in lists:
        counts.update(key for key in set(keys) if key in labels)
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]
    return [Noticed(key=key, label=str(labels[key]), count=count) for key, count in ranked]


def journal_stats(author: User, *, today: date) -> Stats:
    entries = Entry.objects.filter(author_id=author.pk)
    days = list(entries.values_list("written_on", flat=True).distinct().order_by())
    month_start = today.replace(day=1)
    mood_from = today - timedelta(days=MOOD_DAYS - 1)
    totals = entries.aggregate(
        total=Count("id"),
        week=Count("id", filter=Q(written_on__gte=week_start(today), written_on__lte=today)),
        month=Count("id", filter=Q(written_on__gte=month_start, written_on__lte=today)),
        mood=Avg("mood", filter=Q(written_on__gte=mood_from, written_on__lte=today)),
    )
    recent = list(
        entries.filter(written_on__gte=today - timedelta(days=NOTICED_DAYS - 1)).values_list(
            "emotions", "body_areas"
        )
    )
    mood = totals["mood"]
    return Stats(
        current_streak=current_streak(days, today),
        longest_streak=longest_streak(days),
        total=totals["total"],
        this_week=totals["week"],
        this_month=totals["month"],
        average_mood=round(float(mood), 1) if mood is not None else None,
        top_emotions=_top((row[0] or [] for row in recent), dict(_EMOTION_LABELS)),
        top_zones=_top((row[1] or [] for row in recent), dict(BODY_ZONES)),
        wrote_today=today in set(days),
    )
