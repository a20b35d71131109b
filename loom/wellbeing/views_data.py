"""A client's wellbeing data: what is stored, download it, delete it. Thin views over
``loom.wellbeing.export``."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from loom.accounts.models import User
from loom.accounts.permissions import client_required
from loom.wellbeing import export

# The word to type before deleting. English always works too, so a person whose
# keyboard cannot type the translated word is never stuck.
CONFIRM_WORD = gettext_lazy("DELETE")


class EraseForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What to delete"),
        widget=forms.RadioSelect,
        choices=[
            (
                "journal",
                gettext_lazy(
                    "All my journal entries, the comments on them, my intentions and audio notes"
                ),
            ),
            ("checkins", gettext_lazy("All my check-ins")),
            ("all", gettext_lazy("Everything: journal, check-ins, goals and milestones")),
        ],
    )
    confirm = forms.CharField(label=gettext_lazy("Type the word to confirm"), max_length=40)

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value.casefold() not in {str(CONFIRM_WORD).casefold(), "delete"}:
            raise forms.ValidationError(
                _("Type %(word)s exactly to confirm.") % {"word": CONFIRM_WORD}
            )
        return value


def _filename(user: User, extension: str) -> str:
    return f"loom-wellbeing-{timezone.localdate():%Y-%m-%d}.{extension}"


@client_required
@require_GET
def page(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "wellbeing/data_page.html", {})


@client_required
@require_GET
@never_cache
def export_json(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    response = HttpResponse(
        export.wellbeing_export_json(client=user), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(user, "json")}"'
    return response


@client_required
@require_GET
@never_cache
def export_csv(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    response = HttpResponse(
        export.wellbeing_export_zip(client=user), content_type="application/zip"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(user, "zip")}"'
    return response


@client_required
@require_http_methods(["GET", "POST"])
def erase(request: HttpRequest) -> HttpResponse:
    form = EraseForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        erased = export.wellbeing_erase(
            client=request.user,  # type: ignore[arg-type]
            kind=form.cleaned_data["kind"],
        )
        messages.success(
            request,
            _(
                "Deleted for good: %(entries)s journal entries, %(checkins)s check-ins, "
                "%(goals)s goals."
            )
            % {"entries": erased.entries, "checkins": erased.checkins, "goals": erased.goals},
        )
        return redirect("wellbeing_data:page")
    return TemplateResponse(
        request, "wellbeing/data_erase.html", {"form": form, "confirm_word": CONFIRM_WORD}
    )
