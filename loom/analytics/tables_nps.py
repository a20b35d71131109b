"""The admin NPS page's tables (registered for the page and its exports) and its context.

Two tables: NPS by segment and the distribution of scores. The comments are not an
exportable table: they are read on the page by admins only, never written to a file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loom.accounts.models import Language, Role
from loom.analytics import charts, nps
from loom.analytics.models import NpsTrigger
from loom.analytics.tables import Cell, Column, Table, register_table

SEGMENTS_KEY = "nps_segments"
# Each category's look in the chart: a colour and a fill pattern (analytics.css).
CATEGORY_STYLES: tuple[tuple[str, charts.Style], ...] = (
    ("detractor", "secondary"),
    ("passive", "tertiary"),
    ("promoter", "primary"),
)
DISTRIBUTION_KEY = "nps_distribution"


def clean_params(query: Mapping[str, str]) -> dict[str, Any]:
    """The page's ``?range=``; an export of a garbled range gets the default."""
    return {"range": nps.parse_range(query.get("range")) or nps.DEFAULT_RANGE}


def _days(params: Mapping[str, Any]) -> int:
    return nps.parse_range(params.get("range")) or nps.DEFAULT_RANGE


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def segment_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    summary = nps.nps_summary(viewer=viewer, days=_days(params))
    yield _segment_row(_("All"), summary.overall)
    for group in summary.groups:
        for figures in group.rows:
            yield _segment_row(group.label, figures)


def _segment_row(group: str, figures: nps.NpsFigures) -> list[Cell]:
    return [
        str(group),
        str(figures.label),
        figures.answers,
        figures.promoters,
        figures.passives,
        figures.detractors,
        _round(figures.score),
    ]


def distribution_rows(viewer: Any, params: Mapping[str, Any]) -> Iterable[Sequence[Cell]]:
    summary = nps.nps_summary(viewer=viewer, days=_days(params))
    labels = category_labels()
    for score, answers in summary.distribution:
        yield [
            score,
            answers,
            _round(summary.overall.share(answers)),
            str(labels[summary.categories[score]]),
        ]


def category_labels() -> dict[str, str]:
    return {
        "detractor": _("Detractor (0–6)"),
        "passive": _("Passive (7–8)"),
        "promoter": _("Promoter (9–10)"),
    }


SEGMENTS = register_table(
    Table(
        key=SEGMENTS_KEY,
        title=gettext_lazy("NPS by segment"),
        audience="admin",
        columns=(
            Column("segment", gettext_lazy("Segment")),
            Column("group", gettext_lazy("Group")),
            Column("answers", gettext_lazy("Answers"), "int"),
            Column("promoters", gettext_lazy("Promoters"), "int"),
            Column("passives", gettext_lazy("Passives"), "int"),
            Column("detractors", gettext_lazy("Detractors"), "int"),
            Column("nps", gettext_lazy("NPS"), "float"),
        ),
        rows=segment_rows,
        clean_params=clean_params,
    )
)

DISTRIBUTION = register_table(
    Table(
        key=DISTRIBUTION_KEY,
        title=gettext_lazy("Answers by score"),
        audience="admin",
        columns=(
            Column("score", gettext_lazy("Score"), "int"),
            Column("answers", gettext_lazy("Answers"), "int"),
            Column("share", gettext_lazy("Share of answers"), "percent"),
            Column("category", gettext_lazy("Category")),
        ),
        rows=distribution_rows,
        clean_params=clean_params,
    )
)


# --- The page --------------------------------------------------------------------------------


def _range_links(request: HttpRequest, current: int | None) -> list[dict[str, Any]]:
    rest = {key: value for key, value in request.GET.items() if key != "range"}
    return [
        {
            "days": days,
            "label": _("Last %(days)s days") % {"days": days},
            "url": "?" + urlencode({**rest, "range": days}),
            "current": days == current,
        }
        for days in nps.RANGES
    ]


def distribution_chart(summary: nps.NpsSummary) -> charts.BarChart:
    """Answers per score, stacked by category so each column has its category's look."""
    labels = [str(score) for score, _answers in summary.distribution]
    names = category_labels()
    series = [
        charts.Series(
            label=names[category],
            values=[
                float(answers) if summary.categories[score] == category else None
                for score, answers in summary.distribution
            ],
            style=style,
        )
        for category, style in CATEGORY_STYLES
    ]
    return charts.bar_chart(
        "nps-distribution",
        labels=labels,
        series=series,
        rtl=translation.get_language_bidi(),
        unit="count",
        stacked=True,
    )


def admin_page_context(
    request: HttpRequest, viewer: Any, days: int | None, *, error: str = ""
) -> dict[str, Any]:
    """Everything the admin NPS page shows, in three queries whatever the data: the
    figures (one aggregate), the recent comments, and nothing else."""
    context: dict[str, Any] = {"ranges": _range_links(request, days), "range_error": error}
    if days is None:
        return context
    summary = nps.nps_summary(viewer=viewer, days=days)
    roles = dict(Role.choices)
    languages = dict(Language.choices)
    triggers = dict(NpsTrigger.choices)
    comments = [
        {
            "answered_at": comment.answered_at,
            "score": comment.score,
            "role": roles.get(comment.role, comment.role),
            "language": languages.get(comment.language, comment.language),
            "trigger": triggers.get(comment.trigger, comment.trigger),
            "text": comment.text,
        }
        for comment in nps.nps_recent_comments(viewer=viewer, days=days)
    ]
    labels = category_labels()
    context.update(
        days=days,
        summary=summary,
        overall=summary.overall,
        segment_groups=summary.groups,
        distribution=[
            {
                "score": score,
                "answers": answers,
                "share": summary.overall.share(answers),
                "category": labels[summary.categories[score]],
            }
            for score, answers in summary.distribution
        ],
        chart=distribution_chart(summary),
        chart_name=_("Answers by score from 0 to 10, last %(days)s days") % {"days": days},
        comments=comments,
        export_params={"range": days},
        segments_key=SEGMENTS_KEY,
        distribution_key=DISTRIBUTION_KEY,
    )
    return context
