"""Forms of the goal pages. They check shape and length; the services check every rule
again (the client's today, milestone count, allowed transitions, ownership)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loom.wellbeing.goals import MILESTONES_MAX
from loom.wellbeing.models import GOAL_TITLE_MAX, TEXT_MAX

# Milestone inputs the page shows before JavaScript adds more ("Add another milestone").
MILESTONE_INPUTS = 3


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


def _texts() -> dict[str, forms.Field]:
    return {
        "title": forms.CharField(label=_("Goal"), max_length=GOAL_TITLE_MAX),
        "why": forms.CharField(
            label=_("Why it matters"),
            required=False,
            max_length=TEXT_MAX,
            widget=forms.Textarea(attrs={"rows": 3}),
        ),
        "measure": forms.CharField(
            label=_("How will you know?"),
            required=False,
            max_length=TEXT_MAX,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("What will be different when you reach this goal?"),
        ),
        "target_date": forms.DateField(label=_("Target date"), required=False, widget=DateInput()),
    }


class GoalForm(forms.Form):
    """A new goal (a client's own, or a coach's proposal) with its first milestones.

    Milestones arrive as repeated ``milestones`` values (three inputs, more added by
    JavaScript); blanks are skipped.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_texts())
        self.milestone_values: list[str] = []

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        values = self.data.getlist("milestones") if hasattr(self.data, "getlist") else []
        self.milestone_values = [str(value) for value in values]
        titles = [value.strip() for value in self.milestone_values if value.strip()]
        if len(titles) > MILESTONES_MAX:
            self.add_error(
                None, _("A goal has at most %(max)d milestones.") % {"max": MILESTONES_MAX}
            )
        elif any(len(title) > GOAL_TITLE_MAX for title in titles):
            self.add_error(
                None,
                _("Keep each milestone to %(limit)d characters.") % {"limit": GOAL_TITLE_MAX},
            )
        cleaned["milestones"] = titles
        return cleaned

    def milestone_rows(self) -> list[dict[str, Any]]:
        """The milestone inputs to show: what was sent, padded to at least three."""
        values = list(self.milestone_values)
        while len(values) < MILESTONE_INPUTS:
            values.append("")
        return [{"number": index + 1, "value": value} for index, value in enumerate(values)]


class GoalEditForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields.update(_texts())


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("Progress (%)"), min_value=0, max_value=100)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("Milestone"), max_length=GOAL_TITLE_MAX)
    due_on = forms.DateField(label=_("Due"), required=False, widget=DateInput())


class LinkActionItemForm(forms.Form):
    action_item = forms.IntegerField(label=_("Link an action item"), min_value=1)
