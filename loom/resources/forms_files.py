"""Forms of the upload, replace and captions pages. They only parse; the file checks
(content, size, bombs) are the services' (``loom.resources.file_services``)."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.utils.translation import gettext, gettext_lazy

from loom.accounts.models import User
from loom.core.uploads import file_size_label
from loom.resources.files import (
    CAPTIONS_MAX_BYTES,
    max_files_per_upload,
    resource_upload_policy,
)
from loom.resources.models import Category

TAGS_TEXT_MAX = 600


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``: cleans to a list."""

    widget = MultipleFileInput

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = data if isinstance(data, list | tuple) else [data]
        files = [item for item in files if item]
        if not files:
            return [super().clean(None, initial)]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


def upload_help_text() -> str:
    limits = resource_upload_policy().max_bytes
    return gettext(
        "Up to %(count)d files at once. Documents up to %(document)s, images up to "
        "%(image)s, audio up to %(audio)s and video up to %(video)s."
    ) % {
        "count": max_files_per_upload(),
        "document": file_size_label(limits["document"]),
        "image": file_size_label(limits["image"]),
        "audio": file_size_label(limits["audio"]),
        "video": file_size_label(limits["video"]),
    }


class UploadForm(forms.Form):
    # Form.files (the request's files) is shadowed only on the class; Django moves
    # declared fields into base_fields, so the instance attribute is untouched.
    files = MultipleFileField(label=gettext_lazy("Files"))  # type: ignore[assignment]
    category = forms.ChoiceField(label=gettext_lazy("Category"), required=False)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        max_length=TAGS_TEXT_MAX,
        help_text=gettext_lazy("Separate tags with commas."),
    )

    def __init__(self, coach: User, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        policy = resource_upload_policy()
        self.fields["files"].widget.attrs.update({"accept": policy.accept_attribute})
        self.fields["files"].help_text = upload_help_text()
        cast(forms.ChoiceField, self.fields["category"]).choices = [
            ("", gettext_lazy("No category"))
        ] + [
            (str(category.pk), category.name)
            for category in Category.objects.filter(coach=coach).only("pk", "name")
        ]


class ReplaceForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("New file"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update(
            {"accept": resource_upload_policy().accept_attribute}
        )


def captions_language_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in settings.LANGUAGES]


class CaptionsForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Captions file (WebVTT)"))
    language = forms.ChoiceField(label=gettext_lazy("Language of the captions"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs.update({"accept": ".vtt,text/vtt"})
        self.fields["file"].help_text = gettext("A .vtt file of up to %(size)s.") % {
            "size": file_size_label(CAPTIONS_MAX_BYTES)
        }
        cast(forms.ChoiceField, self.fields["language"]).choices = captions_language_choices()
