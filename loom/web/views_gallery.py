"""The component gallery: every design-system component, left-to-right and right-to-left.

Admins can always open it; in development (DEBUG) anyone signed in can, so people
building pages can check a component without an admin account.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from loom.accounts.models import Role, User
from loom.accounts.permissions import admin_required

TONES = ("success", "info", "warning", "error")


class SampleForm(forms.Form):
    """Every kind of control field.html renders, bound with errors to show the error state."""

    full_name = forms.CharField(
        label=_("Full name"), max_length=120, help_text=_("As your clients will see it.")
    )
    email = forms.EmailField(label=_("Email"))
    password = forms.CharField(
        label=_("Password"), widget=forms.PasswordInput, help_text=_("At least 10 characters.")
    )
    session_length = forms.IntegerField(
        label=_("Session length (minutes)"), min_value=15, max_value=180
    )
    bio = forms.CharField(
        label=_("About you"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=[
            ("Asia/Jerusalem", "Asia/Jerusalem"),
            ("America/New_York", "America/New_York"),
            ("Europe/London", "Europe/London"),
        ],
    )
    session_format = forms.ChoiceField(
        label=_("Session format"),
        choices=[("video", _("Video call")), ("phone", _("Phone")), ("in_person", _("In person"))],
        widget=forms.RadioSelect,
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=[
            ("career", _("Career")),
            ("relationships", _("Relationships")),
            ("wellbeing", _("Wellbeing")),
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    reminders = forms.BooleanField(
        label=_("Email me a reminder before each session"),
        required=False,
        widget=forms.CheckboxInput(attrs={"role": "switch"}),
    )
    photo = forms.ImageField(
        label=_("Photo"), required=False, help_text=_("JPEG or PNG, up to 5 MB.")
    )
    terms = forms.BooleanField(label=_("I agree to the terms of service"))

    def clean(self) -> dict[str, Any]:
        # Always fails, so the gallery also shows a form-level error.
        super().clean()
        raise forms.ValidationError(_("Please correct the errors below."))


@dataclass(frozen=True)
class SampleMessage:
    """Stands in for a django.contrib.messages message in the static toast examples."""

    text: str
    level_tag: str

    def __str__(self) -> str:
        return self.text


def _sample_context() -> dict[str, Any]:
    now = timezone.now()
    people = [
        User(pk=101, full_name="Dana Levi", email="dana@example.com", role=Role.COACH),
        User(pk=102, full_name="אבי מזרחי", email="avi@example.com", role=Role.CLIENT),
        User(pk=103, full_name="Noa Peretz", email="noa@example.com", role=Role.CLIENT),
        User(pk=104, full_name="", email="maya.friedman@example.com", role=Role.CLIENT),
    ]
    bad_data = {
        "full_name": "Dana Levi",
        "email": "dana@",
        "password": "short",
        "session_length": "5",
        "timezone": "Asia/Jerusalem",
        "reminders": "on",
    }
    forms_by_dir = {}
    for prefix in ("ltr", "rtl"):
        form = SampleForm(
            data={f"{prefix}-{key}": value for key, value in bad_data.items()}, prefix=prefix
        )
        form.is_valid()
        forms_by_dir[prefix] = form
    rows = [
        {
            "person": people[1],
            "status": ("active", _("Active"), "success"),
            "next": now + timedelta(days=3, hours=2),
            "sessions": 12,
        },
        {
            "person": people[2],
            "status": ("invited", _("Invited"), "info"),
            "next": None,
            "sessions": 0,
        },
        {
            "person": people[3],
            "status": ("archived", _("Archived"), "neutral"),
            "next": None,
            "sessions": 27,
        },
    ]
    tabs = [
        {"slug": "sessions", "label": _("Sessions"), "count": 3},
        {"slug": "journal", "label": _("Journal")},
        {"slug": "resources", "label": _("Resources"), "count": 0},
    ]
    menu_items = [
        {"label": _("View profile"), "url": "#"},
        {"label": _("Send a message"), "url": "#"},
        {"label": _("Archive client"), "url": "#", "tone": "danger"},
    ]
    return {
        "form_ltr": forms_by_dir["ltr"],
        "form_rtl": forms_by_dir["rtl"],
        "people": people,
        "rows": rows,
        "tabs": tabs,
        "menu_items": menu_items,
        "page_obj": Paginator(range(1, 241), 12).get_page(5),
        "soon": now + timedelta(days=3, hours=1),
        "earlier": now - timedelta(hours=2, minutes=5),
        "sample_toasts": [
            SampleMessage(str(_("Your profile has been saved.")), "success"),
            SampleMessage(str(_("Avi accepted your invitation.")), "info"),
            SampleMessage(str(_("Your session starts in 10 minutes.")), "warning"),
            SampleMessage(str(_("The invitation could not be sent. Try again.")), "error"),
        ],
        "tones": TONES,
    }


def _gallery(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        # "Show a toast" buttons: a real round trip through django.contrib.messages.
        tone = request.POST.get("tone", "")
        level = {
            "success": messages.SUCCESS,
            "info": messages.INFO,
            "warning": messages.WARNING,
            "error": messages.ERROR,
        }
        if tone in level:
            text = {
                "success": _("Saved. This toast hides itself after a few seconds."),
                "info": _("Heads up: this toast hides itself unless you hover or focus it."),
                "warning": _("Check this: warnings stay until you dismiss them."),
                "error": _("Something went wrong: errors stay until you dismiss them."),
            }[tone]
            messages.add_message(request, level[tone], text)
        return redirect("admin_area:components")
    return TemplateResponse(request, "web/components.html", _sample_context())


_admin_gallery = admin_required(_gallery)


@require_http_methods(["GET", "POST"])
def components(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if settings.DEBUG:
        return _gallery(request)
    return _admin_gallery(request)
