"""Forms of the coach's library pages. They check shape and length; the services check
every rule again (ownership, duplicates, safe addresses)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from loom.accounts.models import User
from loom.resources.library_selectors import (
    categories_for_coach,
    tags_for_coach,
)
from loom.resources.models import (
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    TITLE_MAX,
    URL_MAX,
    Collection,
    Resource,
    ResourceKind,
)

SORT_CHOICES = [
    ("newest", _("Newest first")),
    ("oldest", _("Oldest first")),
    ("title", _("Title A–Z")),
    ("title_desc", _("Title Z–A")),
    ("shared", _("Most shared")),
    ("relevance", _("Best match (when searching)")),
]
# Long enough for a pasted title; the selector uses the first few words.
SEARCH_MAX = 200


class SearchInput(forms.TextInput):
    input_type = "search"


def _category_choices(coach: User, *, blank: str) -> list[tuple[str, str]]:
    return [("", blank)] + [
        (str(category.pk), category.name) for category in categories_for_coach(coach)
    ]


class LibraryFilterForm(forms.Form):
    """The library toolbar (a GET form). An invalid value is shown as an error and
    that filter is left out."""

    q = forms.CharField(
        label=_("Search"), required=False, max_length=SEARCH_MAX, widget=SearchInput()
    )
    kind = forms.ChoiceField(label=_("Type"), required=False)
    category = forms.ChoiceField(label=_("Category"), required=False)
    tag = forms.ChoiceField(label=_("Tag"), required=False)
    collection = forms.ChoiceField(label=_("Collection"), required=False)
    sort = forms.ChoiceField(label=_("Sort by"), required=False, choices=SORT_CHOICES)

    def __init__(self, data: Any, *, coach: User) -> None:
        super().__init__(data)
        self._choices("kind").choices = [("", _("All types")), *ResourceKind.choices]
        self._choices("category").choices = _category_choices(coach, blank=str(_("All categories")))
        self._choices("tag").choices = [("", _("All tags"))] + [
            (str(tag.pk), tag.name) for tag in tags_for_coach(coach)
        ]
        self._choices("collection").choices = [("", _("All collections"))] + [
            (str(collection.pk), collection.title)
            for collection in Collection.objects.filter(coach=coach).only("pk", "title")
        ]

    def _choices(self, name: str) -> forms.ChoiceField:
        return self.fields[name]  # type: ignore[return-value]

    def filters(self) -> dict[str, Any]:
        """The selector's keyword arguments from the valid fields only."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "q": data.get("q") or "",
            "kind": data.get("kind") or "",
            "category": int(data["category"]) if data.get("category") else None,
            "tag": int(data["tag"]) if data.get("tag") else None,
            "collection": int(data["collection"]) if data.get("collection") else None,
            "sort": data.get("sort") or ("relevance" if data.get("q") else "newest"),
        }

    @property
    def is_filtered(self) -> bool:
        filters = self.filters()
        return any(filters[key] for key in ("q", "kind", "category", "tag", "collection"))


class ResourceForm(forms.Form):
    """What the coach writes about a resource (and a link's address)."""

    url = forms.CharField(
        label=_("Web address"),
        max_length=URL_MAX,
        help_text=_("Starts with https:// or http://."),
        widget=forms.URLInput(),
    )
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 5, "dir": "auto"}),
    )
    category = forms.ChoiceField(label=_("Category"), required=False)
    tags = forms.CharField(
        label=_("Tags"),
        required=False,
        max_length=600,
        help_text=_("Separate tags with commas, for example: sleep, evening."),
    )

    def __init__(self, data: Any = None, *, coach: User, resource: Resource | None = None) -> None:
        initial: dict[str, Any] = {}
        if resource is not None:
            initial = {
                "url": resource.url,
                "title": resource.title,
                "description": resource.description,
                "category": str(resource.category_id or ""),
                "tags": ", ".join(tag.name for tag in resource.tags.all()),
            }
        super().__init__(data, initial=initial)
        self.fields["title"].widget.attrs["dir"] = "auto"
        self.fields["tags"].widget.attrs["dir"] = "auto"
        self.fields["url"].widget.attrs.update({"dir": "ltr", "inputmode": "url"})
        category_field: forms.ChoiceField = self.fields["category"]  # type: ignore[assignment]
        category_field.choices = _category_choices(coach, blank=str(_("No category")))
        if resource is not None and not resource.is_link:
            del self.fields["url"]


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=CATEGORY_NAME_MAX)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["dir"] = "auto"


class CollectionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "dir": "auto"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["title"].widget.attrs["dir"] = "auto"


class MoveForm(forms.Form):
    direction = forms.ChoiceField(
        label=_("Direction"),
        choices=[("up", _("Move up")), ("down", _("Move down"))],
    )


class CollectionEditForm(CollectionForm):
    """A collection's text and its cover image (checked by the files helper's
    validator when saved)."""

    cover = forms.FileField(
        label=_("Cover image"),
        required=False,
        help_text=_("A JPEG, PNG, GIF or WebP image shown on the collection's card."),
    )
    remove_cover = forms.BooleanField(label=_("Remove the cover image"), required=False)

    def __init__(self, *args: Any, accept: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if accept:
            self.fields["cover"].widget.attrs["accept"] = accept
