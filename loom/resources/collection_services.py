"""Changes to a coach's collections: ordered sets of their own resources.

Positions inside a collection stay dense (0, 1, 2, …) after every change, so "move
up" and "move down" always swap neighbours. The cover image is stored by the files
helper (``file_services.collection_set_cover``); sharing and ``auto_share`` belong to
the sharing pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.utils.translation import gettext as _

from loom.accounts.models import User
from loom.core.errors import NotFound
from loom.core.ids import parse_object_id
from loom.resources.library_services import (
    clean_description,
    clean_title,
    delete_files_after_commit,
)
from loom.resources.models import Collection, CollectionItem, Resource
from loom.resources.selectors import get_own_collection


def own_collection_for_change(coach: User, collection_id: Any) -> Collection:
    """``coach``'s collection, locked for a change; a foreign id is ``NotFound``."""
    try:
        return get_own_collection(coach, collection_id, for_update=True)
    except Http404:
        raise NotFound(_("That collection was not found.")) from None


def _pks(values: Iterable[Any]) -> list[int]:
    pks: list[int] = []
    for value in values:
        pk = parse_object_id(value)
        if pk is None:
            raise NotFound(_("That resource was not found."))
        pks.append(pk)
    return pks


def _renumber(collection: Collection) -> None:
    for position, item in enumerate(CollectionItem.objects.filter(collection=collection)):
        if item.position != position:
            CollectionItem.objects.filter(pk=item.pk).update(position=position)


def _validated(title: str, description: str) -> tuple[str, str]:
    errors: dict[str, Any] = {}
    clean: dict[str, str] = {}
    for key, check in (
        ("title", lambda: clean_title(title)),
        ("description", lambda: clean_description(description)),
    ):
        try:
            clean[key] = check()
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    return clean["title"], clean["description"]


@transaction.atomic
def collection_create(*, coach: User, title: str, description: str = "") -> Collection:
    clean_title, clean_description = _validated(title, description)
    return Collection.objects.create(coach=coach, title=clean_title, description=clean_description)


@transaction.atomic
def collection_update(
    *, coach: User, collection_id: Any, title: str, description: str
) -> Collection:
    collection = own_collection_for_change(coach, collection_id)
    collection.title, collection.description = _validated(title, description)
    collection.save(update_fields=["title", "description", "updated_at"])
    return collection


@transaction.atomic
def collection_delete(*, coach: User, collection_id: Any) -> str:
    """Delete a collection (its resources stay in the library; its shares go, so
    clients who had the resources only through it lose them). Returns the title."""
    collection = own_collection_for_change(coach, collection_id)
    title = collection.title
    cover = collection.cover
    collection.delete()
    delete_files_after_commit([cover])
    return title


@transaction.atomic
def collection_add(*, coach: User, collection_id: Any, resource_ids: Iterable[Any]) -> int:
    """Append the coach's resources to the end of the collection, in the given order;
    ones already in it are skipped. Any id that is not the coach's resource is a
    ``NotFound`` and nothing is added. Returns how many were added."""
    collection = own_collection_for_change(coach, collection_id)
    wanted = list(dict.fromkeys(_pks(resource_ids)))
    found = set(Resource.objects.filter(coach=coach, pk__in=wanted).values_list("pk", flat=True))
    if len(found) != len(wanted):
        raise NotFound(_("That resource was not found."))
    present = set(
        CollectionItem.objects.filter(collection=collection).values_list("resource_id", flat=True)
    )
    last = CollectionItem.objects.filter(collection=collection).aggregate(last=Max("position"))[
        "last"
    ]
    start = 0 if last is None else last + 1
    new = [pk for pk in wanted if pk not in present]
    CollectionItem.objects.bulk_create(
        [
            CollectionItem(
                coach=coach, collection=collection, resource_id=pk, position=start + offset
            )
            for offset, pk in enumerate(new)
        ]
    )
    return len(new)


def _item(collection: Collection, resource_id: Any) -> CollectionItem:
    (pk,) = _pks([resource_id])
    item = CollectionItem.objects.filter(collection=collection, resource_id=pk).first()
    if item is None:
        raise NotFound(_("That resource is not in this collection."))
    return item


@transaction.atomic
def collection_remove(*, coach: User, collection_id: Any, resource_id: Any) -> Resource:
    """Take a resource out of the collection (it stays in the library)."""
    collection = own_collection_for_change(coach, collection_id)
    item = _item(collection, resource_id)
    resource = Resource.objects.get(pk=item.resource_id)
    item.delete()
    _renumber(collection)
    return resource


@transaction.atomic
def collection_move(
    *,
    coach: User,
    collection_id: Any,
    resource_id: Any,
    direction: str | None = None,
    position: Any = None,
) -> int:
    """Move an item one place ``"up"``/``"down"``, or to ``position`` (0-based, clamped).
    Returns its new position."""
    collection = own_collection_for_change(coach, collection_id)
    item = _item(collection, resource_id)
    _renumber(collection)
    ordered = list(CollectionItem.objects.filter(collection=collection))
    index = next(i for i, row in enumerate(ordered) if row.pk == item.pk)
    if direction in ("up", "down"):
        target = index - 1 if direction == "up" else index + 1
    elif direction is None and position is not None:
        try:
            target = int(position)
        except (TypeError, ValueError):
            raise ValidationError(
                {"position": _("Enter a whole number.")}, code="invalid"
            ) from None
    else:
        raise ValidationError({"direction": _("Choose up or down.")}, code="invalid")
    target = max(0, min(target, len(ordered) - 1))
    if target != index:
        moved = ordered.pop(index)
        ordered.insert(target, moved)
        for new_position, row in enumerate(ordered):
            if row.position != new_position:
                CollectionItem.objects.filter(pk=row.pk).update(position=new_position)
    return target
