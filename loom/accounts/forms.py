"""Forms for invitations, onboarding, the account page and the roster filter.

Forms parse and give field-level messages; the rules themselves live in
``loom.accounts.services`` (which checks again, for the API's sake).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.password_validation import (
    password_validators_help_text_html,
    validate_password,
)
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import HttpRequest
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from loom.accounts import services
from loom.accounts.images import ACCEPT_ATTRIBUTE, avatar_process
from loom.accounts.models import CoachProfile, Language, User
from loom.accounts.selectors import SEARCH_MAX_LENGTH, RosterStatus
from loom.accounts.timezones import TimeZoneField
from loom.core.errors import DomainError


def form_data(request: HttpRequest) -> Any:
    """The submitted data when the request is a POST (even an empty one), else ``None``."""
    return request.POST if request.method == "POST" else None


def form_files(request: HttpRequest) -> Any:
    return request.FILES if request.method == "POST" else None


def apply_service_error(form: forms.Form, exc: ValidationError | DomainError) -> None:
    """Show an error raised by a service on the form: on its field when the form has it."""
    if isinstance(exc, DomainError):
        form.add_error(None, str(exc))
        return
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class AvatarField(forms.FileField):
    """An optional photo upload; cleans to the re-encoded image (``ContentFile``) or ``None``."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Photo"))
        kwargs.setdefault(
            "help_text",
            _(
                "A JPEG, PNG or WebP image. We resize it and remove its metadata (such as location)."
            ),
        )
        super().__init__(**kwargs)
        self.widget = forms.FileInput(attrs={"accept": ACCEPT_ATTRIBUTE})

    def clean(self, data: Any, initial: Any = None) -> ContentFile[bytes] | None:
        upload = super().clean(data, initial)
        if not upload or not hasattr(upload, "read"):
            return None
        return avatar_process(upload, size=getattr(upload, "size", None))


def _language_field(**kwargs: Any) -> forms.ChoiceField:
    kwargs.setdefault("label", _("Language"))
    return forms.ChoiceField(choices=Language.choices, **kwargs)


class InvitationForm(forms.Form):
    full_name = forms.CharField(
        label=_("Name"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    language = _language_field(
        label=_("Language of the invitation"),
        help_text=_("The invitation email and their first pages will be in this language."),
        widget=forms.RadioSelect,
        initial=Language.ENGLISH,
    )
    message = forms.CharField(
        label=_("Personal message (optional)"),
        max_length=services.MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Added to the invitation email."),
    )


class InvitationAcceptForm(forms.Form):
    """A new client's first form: name, password, time zone and consent."""

    full_name = forms.CharField(
        label=_("Your name"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("Password (again)"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    timezone = TimeZoneField(required=False)
    accept_terms = forms.BooleanField(
        label=_("I accept the terms of service and the privacy policy"),
        error_messages={
            "required": _("Please accept the terms of service and the privacy policy.")
        },
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords are different."))
        elif first:
            try:
                validate_password(
                    first, user=User(email=self.email, full_name=data.get("full_name", ""))
                )
            except ValidationError as exc:
                self.add_error("password1", exc)
        return data


class ProfileForm(forms.Form):
    full_name = forms.CharField(
        label=_("Name"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = _language_field()
    timezone = TimeZoneField()
    avatar = AvatarField()
    remove_avatar = forms.BooleanField(label=_("Remove my photo"), required=False)


class CoachDetailsForm(forms.Form):
    """What clients read about a coach (the account page edits these alone)."""

    headline = forms.CharField(
        label=_("Headline"),
        max_length=services.HEADLINE_MAX,
        required=False,
        help_text=_(
            "One line clients see next to your name, for example “Career and leadership coach”."
        ),
    )
    bio = forms.CharField(
        label=_("About you"),
        max_length=services.BIO_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    specialties = forms.CharField(
        label=_("Specialties"),
        max_length=services.SPECIALTIES_MAX_COUNT * (services.SPECIALTY_MAX + 2),
        required=False,
        help_text=_("Separate them with commas, for example: burnout, career change, parenting."),
    )
    languages_spoken = forms.MultipleChoiceField(
        label=_("Languages you coach in"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["languages_spoken"].choices = [  # type: ignore[attr-defined]
            (code, get_language_info(code)["name_translated"]) for code in services.SPOKEN_LANGUAGES
        ]

    def clean_specialties(self) -> list[str]:
        raw = self.cleaned_data.get("specialties") or ""
        # Arabic and Hebrew keyboards may type the Arabic comma.
        return [part.strip() for part in raw.replace("،", ",").split(",") if part.strip()]

    @staticmethod
    def initial_for(user: User) -> dict[str, Any]:
        profile = CoachProfile.objects.filter(user=user).first()
        return {
            "full_name": user.full_name,
            "headline": profile.headline if profile else "",
            "bio": profile.bio if profile else "",
            "specialties": ", ".join(profile.specialties) if profile else "",
            "languages_spoken": profile.languages_spoken if profile else [user.language],
            "timezone": user.timezone if user.timezone != "UTC" else "",
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        kwargs = {
            "headline": data["headline"],
            "bio": data["bio"],
            "specialties": data["specialties"],
            "languages_spoken": data["languages_spoken"],
        }
        if "full_name" in self.fields:
            kwargs.update(
                full_name=data["full_name"], time_zone=data["timezone"], avatar=data.get("avatar")
            )
        return kwargs


class CoachProfileForm(CoachDetailsForm):
    """The onboarding profile step: name, photo and time zone as well as the details."""

    full_name = forms.CharField(
        label=_("Name"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    timezone = TimeZoneField()
    avatar = AvatarField()


class ClientProfileStepForm(forms.Form):
    full_name = forms.CharField(
        label=_("Your name"),
        max_length=services.NAME_MAX,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    language = _language_field(
        widget=forms.RadioSelect, help_text=_("Loom and its emails will use this language.")
    )
    timezone = TimeZoneField()
    avatar = AvatarField(label=_("Photo (optional)"))


class ConsentForm(forms.Form):
    accept_terms = forms.BooleanField(
        label=_("I accept the terms of service and the privacy policy"),
        error_messages={
            "required": _("Please accept the terms of service and the privacy policy.")
        },
    )


CRISIS_CONTACT_LABEL = _(
    "If something I write suggests I may be in crisis, tell my coach straight away"
)
CRISIS_CONTACT_HELP = _(
    "Loom looks for words in your journal and check-ins that can mean a person is thinking "
    "of ending their life or hurting themselves. Whatever you choose, you will be shown "
    "where to get help. If you tick this, your coach also gets an urgent alert saying you "
    "may need support (never what you wrote), so they can reach out. You can change this "
    "at any time in your account settings."
)


def crisis_contact_field() -> forms.BooleanField:
    """The crisis-contact consent checkbox: unticked unless the client already agreed."""
    return forms.BooleanField(
        label=CRISIS_CONTACT_LABEL, help_text=CRISIS_CONTACT_HELP, required=False
    )


class ClientConsentForm(ConsentForm):
    """The client's consent step: terms and privacy, plus the optional crisis contact."""

    crisis_contact = crisis_contact_field()


class CrisisConsentForm(forms.Form):
    """Account settings: change the crisis-contact consent later."""

    crisis_contact = crisis_contact_field()


class IntakeForm(forms.Form):
    goals = forms.CharField(
        label=_("What would you like to achieve?"),
        max_length=services.INTAKE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("A few sentences are plenty. Only you and your coach can read this."),
    )
    reason = forms.CharField(
        label=_("What brings you to coaching now?"),
        max_length=services.INTAKE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )


class OnboardingIntakeForm(IntakeForm):
    """The client's intake step. Clients who accepted an invitation agreed to the terms
    there and skip the consent step, so the crisis-contact choice is offered here too."""

    crisis_contact = crisis_contact_field()


class RosterFilterForm(forms.Form):
    q = forms.CharField(
        label=_("Search by name or email"), max_length=SEARCH_MAX_LENGTH, required=False
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[
            ("", _("All")),
            (RosterStatus.INVITED.value, _("Invited")),
            (RosterStatus.ACTIVE.value, _("Active")),
            (RosterStatus.ARCHIVED.value, _("Archived")),
        ],
    )

    def values(self) -> tuple[str, str]:
        """Search text and status, or empty values when the query string is invalid."""
        if self.is_valid():
            return self.cleaned_data["q"], self.cleaned_data["status"]
        return "", ""


class DeletionRequestForm(forms.Form):
    confirm = forms.BooleanField(
        label=_("I understand and want my account deleted"),
        error_messages={"required": _("Tick the box to confirm.")},
    )
