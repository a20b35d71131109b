"""Changes to a coach's library: links, editing and deleting resources, categories, tags.

Every service takes the acting coach and touches only that coach's rows: an id that
is not theirs raises ``NotFound`` (a 404 in views and the API). Field problems raise
``ValidationError`` keyed by field, so forms show them next to the control.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.db.models.functions import Lower
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from loom.accounts.models import User
from loom.core.errors import NotFound
from loom.core.ids import parse_object_id
from loom.resources.models import (
    CATEGORY_NAME_MAX,
    DESCRIPTION_MAX,
    TAG_NAME_MAX,
    TAGS_PER_RESOURCE_MAX,
    TITLE_MAX,
    URL_MAX,
    Category,
    Resource,
    ResourceKind,
    ResourceTag,
    ResourceVersion,
    Tag,
)
from loom.resources.selectors import get_own_resource

# Characters that would reorder or hide text around a coach's words (bidi overrides
# and isolates, zero-width joiners kept out of names used as labels).
_INVISIBLE = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200b\ufeff"), None
)


def clean_line(value: str) -> str:
    """One line of coach-written text: control and bidi-override characters removed,
    runs of whitespace collapsed."""
    value = value.translate(_INVISIBLE)
    value = "".join(ch for ch in value if unicodedata.category(ch) != "Cc" or ch in "\t\n")
    return " ".join(value.split())


def clean_text(value: str) -> str:
    """Several lines of coach-written text: controls removed, line breaks kept."""
    value = value.translate(_INVISIBLE).replace("\r\n", "\n")
    return "".join(ch for ch in value if unicodedata.category(ch) != "Cc" or ch == "\n").strip()


# --- Search text ---------------------------------------------------------------------------


def build_search_text(
    *, title: str, description: str, tag_names: Iterable[str], category_name: str
) -> str:
    parts = [title, description, *tag_names, category_name]
    return " ".join(" ".join(part.split()) for part in parts if part).lower()


def refresh_search_text(resource: Resource) -> str:
    """Recompute and save what the library search reads for ``resource``: its title,
    description, tag names and category name, lowercased. Call after any of them
    changes (the upload and replace services call it too)."""
    tag_names = Tag.objects.filter(resource_tags__resource_id=resource.pk).values_list(
        "name", flat=True
    )
    category_name = ""
    if resource.category_id is not None:
        category_name = (
            Category.objects.filter(pk=resource.category_id).values_list("name", flat=True).first()
            or ""
        )
    text = build_search_text(
        title=resource.title,
        description=resource.description,
        tag_names=sorted(tag_names),
        category_name=category_name,
    )
    resource.search_text = text
    Resource.objects.filter(pk=resource.pk).update(search_text=text)
    return text


def _refresh_many(resource_ids: Iterable[int]) -> None:
    for resource in Resource.objects.filter(pk__in=list(resource_ids)):
        refresh_search_text(resource)


# --- Fields --------------------------------------------------------------------------------


def clean_title(value: str, field: str = "title") -> str:
    title = clean_line(value or "")
    if not title:
        raise ValidationError({field: _("Give it a title.")}, code="required")
    if len(title) > TITLE_MAX:
        raise ValidationError(
            {field: _("Keep the title to %(max)d characters.") % {"max": TITLE_MAX}},
            code="max_length",
        )
    return title


def clean_description(value: str) -> str:
    description = clean_text(value or "")
    if len(description) > DESCRIPTION_MAX:
        raise ValidationError(
            {
                "description": _("Keep the description to %(max)d characters.")
                % {"max": DESCRIPTION_MAX}
            },
            code="max_length",
        )
    return description


_url_validator = URLValidator(schemes=["http", "https"])


def clean_link_url(value: str) -> str:
    """An address a client may safely open: http or https, a host, no user name or
    password in it, at most ``URL_MAX`` characters."""
    url = (value or "").strip()
    if not url:
        raise ValidationError({"url": _("Enter the web address.")}, code="required")
    if len(url) > URL_MAX:
        raise ValidationError(
            {"url": _("Keep the web address to %(max)d characters.") % {"max": URL_MAX}},
            code="max_length",
        )
    if any(ch.isspace() or unicodedata.category(ch) == "Cc" for ch in url):
        raise ValidationError({"url": _("A web address has no spaces.")}, code="invalid")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValidationError({"url": _("Enter a valid web address.")}, code="invalid") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ValidationError(
            {"url": _("Only web addresses starting with http:// or https:// can be added.")},
            code="scheme",
        )
    if "@" in parts.netloc:
        raise ValidationError(
            {"url": _("Remove the user name or password from the web address.")},
            code="credentials",
        )
    try:
        _url_validator(url)
    except ValidationError:
        raise ValidationError({"url": _("Enter a valid web address.")}, code="invalid") from None
    return url


def own_category(coach: User, category_id: Any) -> Category | None:
    """The resource's category from a form or upload: none, or one of ``coach``'s."""
    if category_id in (None, ""):
        return None
    if isinstance(category_id, Category):
        category_id = category_id.pk
    pk = parse_object_id(category_id)
    category = Category.objects.filter(pk=pk, coach=coach).first() if pk is not None else None
    if category is None:
        raise ValidationError({"category": _("Choose one of your categories.")}, code="invalid")
    return category


def parse_tag_names(text: str) -> list[str]:
    """Tag names typed as one comma-separated line."""
    return [name for name in (text or "").split(",") if name.strip()]


def tags_for(coach: User, names: Iterable[str]) -> list[Tag]:
    """``coach``'s tags with these names, creating the missing ones.

    Whitespace is normalised and names match ignoring case (the first spelling a
    coach used is kept). At most ``TAGS_PER_RESOURCE_MAX`` names of at most
    ``TAG_NAME_MAX`` characters each.
    """
    wanted: dict[str, str] = {}
    for raw in names:
        name = clean_line(raw)
        if not name:
            continue
        if len(name) > TAG_NAME_MAX:
            raise ValidationError(
                {"tags": _("Keep each tag to %(max)d characters.") % {"max": TAG_NAME_MAX}},
                code="max_length",
            )
        wanted.setdefault(name.lower(), name)
    if len(wanted) > TAGS_PER_RESOURCE_MAX:
        raise ValidationError(
            {
                "tags": ngettext(
                    "Use at most %(max)d tag.", "Use at most %(max)d tags.", TAGS_PER_RESOURCE_MAX
                )
                % {"max": TAGS_PER_RESOURCE_MAX}
            },
            code="too_many",
        )
    if not wanted:
        return []
    existing = {
        tag.name.lower(): tag
        for tag in Tag.objects.annotate(lower_name=Lower("name")).filter(
            coach=coach, lower_name__in=list(wanted)
        )
    }
    missing = [Tag(coach=coach, name=wanted[key]) for key in wanted if key not in existing]
    if missing:
        # Another request may add the same tag at the same moment: keep whichever won.
        Tag.objects.bulk_create(missing, ignore_conflicts=True)
        existing = {
            tag.name.lower(): tag
            for tag in Tag.objects.annotate(lower_name=Lower("name")).filter(
                coach=coach, lower_name__in=list(wanted)
            )
        }
    return [existing[key] for key in wanted if key in existing]


def _set_tags(resource: Resource, tags: list[Tag]) -> None:
    ResourceTag.objects.filter(resource=resource).exclude(tag__in=tags).delete()
    ResourceTag.objects.bulk_create(
        [ResourceTag(coach_id=resource.coach_id, resource=resource, tag=tag) for tag in tags],
        ignore_conflicts=True,
    )


# --- Resources -----------------------------------------------------------------------------


def own_resource_for_change(coach: User, resource_id: Any) -> Resource:
    """``coach``'s resource, locked for a change; a foreign id is ``NotFound``."""
    try:
        return get_own_resource(coach, resource_id, for_update=True)
    except Http404:
        raise NotFound(_("That resource was not found.")) from None


@transaction.atomic
def link_create(
    *,
    coach: User,
    url: str,
    title: str,
    description: str = "",
    category: Any = None,
    tags: Iterable[str] = (),
) -> Resource:
    """Add a web link to ``coach``'s library. ``category`` is a category or its id."""
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, check in (
        ("url", lambda: clean_link_url(url)),
        ("title", lambda: clean_title(title)),
        ("description", lambda: clean_description(description)),
        (
            "category",
            lambda: own_category(
                coach, category.pk if isinstance(category, Category) else category
            ),
        ),
        ("tags", lambda: tags_for(coach, tags)),
    ):
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    resource = Resource.objects.create(
        coach=coach,
        kind=ResourceKind.LINK,
        url=values["url"],
        title=values["title"],
        description=values["description"],
        category=values["category"],
    )
    _set_tags(resource, values["tags"])
    refresh_search_text(resource)
    return resource


@transaction.atomic
def resource_update(
    *,
    coach: User,
    resource_id: Any,
    title: str,
    description: str,
    category_id: Any,
    tags: Iterable[str],
    url: str | None = None,
) -> Resource:
    """Change what the coach wrote about a resource (and a link's address)."""
    resource = own_resource_for_change(coach, resource_id)
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    checks: list[tuple[str, Any]] = [
        ("title", lambda: clean_title(title)),
        ("description", lambda: clean_description(description)),
        ("category", lambda: own_category(coach, category_id)),
        ("tags", lambda: tags_for(coach, tags)),
    ]
    if resource.is_link and url is not None:
        checks.append(("url", lambda: clean_link_url(url)))
    for key, check in checks:
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    resource.title = values["title"]
    resource.description = values["description"]
    resource.category = values["category"]
    if "url" in values:
        resource.url = values["url"]
    resource.save(update_fields=["title", "description", "category", "url", "updated_at"])
    _set_tags(resource, values["tags"])
    refresh_search_text(resource)
    return resource


@dataclass(frozen=True)
class DeleteImpact:
    """What goes with a resource when it is deleted (shown on the confirmation page)."""

    shares: int
    progress: int
    collections: int
    versions: int


def resource_delete_impact(resource: Resource) -> DeleteImpact:
    return DeleteImpact(
        shares=resource.shares.count(),
        progress=resource.progress.count(),
        collections=resource.collection_items.count(),
        versions=resource.versions.count(),
    )


def delete_files_after_commit(files: Iterable[Any]) -> None:
    for field_file in files:
        if field_file:
            transaction.on_commit(partial(field_file.storage.delete, field_file.name))


@transaction.atomic
def resource_delete(*, coach: User, resource_id: Any) -> str:
    """Delete a resource with its shares, progress, views and earlier versions; the
    stored files are removed once the deletion is committed. Returns the title."""
    resource = own_resource_for_change(coach, resource_id)
    files = [resource.file, resource.captions]
    files += [version.file for version in ResourceVersion.objects.filter(resource=resource)]
    title = resource.title
    resource.delete()
    delete_files_after_commit(files)
    return title


# --- Categories ----------------------------------------------------------------------------


def _category_name(coach: User, value: str, *, exclude_pk: int | None = None) -> str:
    name = clean_line(value or "")
    if not name:
        raise ValidationError({"name": _("Give the category a name.")}, code="required")
    if len(name) > CATEGORY_NAME_MAX:
        raise ValidationError(
            {"name": _("Keep the name to %(max)d characters.") % {"max": CATEGORY_NAME_MAX}},
            code="max_length",
        )
    taken = Category.objects.annotate(lower_name=Lower("name")).filter(
        coach=coach, lower_name=name.lower()
    )
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    if taken.exists():
        raise _duplicate_category(name)
    return name


def _duplicate_category(name: str) -> ValidationError:
    return ValidationError(
        {"name": _("You already have a category called “%(name)s”.") % {"name": name}},
        code="duplicate",
    )


def _own_category_for_change(coach: User, category_id: Any) -> Category:
    pk = parse_object_id(category_id)
    category = (
        Category.objects.select_for_update().filter(pk=pk, coach=coach).first()
        if pk is not None
        else None
    )
    if category is None:
        raise NotFound(_("That category was not found."))
    return category


def _renumber_categories(coach: User) -> None:
    for position, category in enumerate(
        Category.objects.filter(coach=coach).order_by("position", "name", "id")
    ):
        if category.position != position:
            Category.objects.filter(pk=category.pk).update(position=position)


@transaction.atomic
def category_create(*, coach: User, name: str) -> Category:
    clean = _category_name(coach, name)
    last = Category.objects.filter(coach=coach).aggregate(last=Max("position"))["last"]
    try:
        with transaction.atomic():
            return Category.objects.create(
                coach=coach, name=clean, position=0 if last is None else last + 1
            )
    except IntegrityError:
        raise _duplicate_category(clean) from None


@transaction.atomic
def category_rename(*, coach: User, category_id: Any, name: str) -> Category:
    category = _own_category_for_change(coach, category_id)
    clean = _category_name(coach, name, exclude_pk=category.pk)
    category.name = clean
    try:
        with transaction.atomic():
            category.save(update_fields=["name", "updated_at"])
    except IntegrityError:
        raise _duplicate_category(clean) from None
    _refresh_many(Resource.objects.filter(category=category).values_list("pk", flat=True))
    return category


@transaction.atomic
def category_delete(*, coach: User, category_id: Any) -> str:
    """Delete a category; its resources stay in the library without a category."""
    category = _own_category_for_change(coach, category_id)
    resource_ids = list(Resource.objects.filter(category=category).values_list("pk", flat=True))
    name = category.name
    category.delete()
    _refresh_many(resource_ids)
    _renumber_categories(coach)
    return name


@transaction.atomic
def category_move(*, coach: User, category_id: Any, direction: str) -> Category:
    """Move a category one place up or down in the coach's list."""
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Choose up or down.")}, code="invalid")
    category = _own_category_for_change(coach, category_id)
    _renumber_categories(coach)
    ordered = list(
        Category.objects.select_for_update().filter(coach=coach).order_by("position", "id")
    )
    index = next(i for i, row in enumerate(ordered) if row.pk == category.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, row in enumerate(ordered):
            if row.position != position:
                Category.objects.filter(pk=row.pk).update(position=position)
    category.refresh_from_db()
    return category
