"""Files in the library: adding a resource from an upload, replacing its file, captions,
and collection covers.

Every service checks the file with ``loom.core.uploads`` (content, size, bombs,
polyglots) before anything is stored, and stores it in chunks through the storage API
(``FileField.save``). A stored file whose row is not written — any error after the
save — is deleted again, so a refused or failed change leaves neither a row nor a
file behind. Replaced and removed files are deleted only once the change is committed.
File problems raise ``ValidationError`` keyed ``"file"`` (the stable ``code`` of the
validator is kept); an id that is not the coach's raises ``NotFound``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import partial
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.fields.files import FieldFile
from django.utils.translation import gettext as _

from loom.accounts.models import User
from loom.core.audit import audit_record
from loom.core.uploads import ValidatedUpload, safe_filename, validate_upload
from loom.resources import library_services
from loom.resources.collection_services import own_collection_for_change
from loom.resources.files import (
    cover_upload_policy,
    resource_kind_for,
    resource_upload_policy,
    validate_captions,
)
from loom.resources.models import (
    TITLE_MAX,
    Collection,
    Resource,
    ResourceKind,
    ResourceTag,
    ResourceVersion,
)

# A BCP 47 tag as players use it for <track srclang>: "en", "he", "pt-BR", "zh-Hant".
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,4})?$")
_MEDIA_KINDS = (ResourceKind.AUDIO, ResourceKind.VIDEO)


def check_file(upload: Any, *, policy: Any = None) -> ValidatedUpload:
    """``validate_upload`` with its refusal keyed ``"file"`` for forms."""
    try:
        return validate_upload(upload, policy=policy or resource_upload_policy())
    except ValidationError as exc:
        raise ValidationError({"file": [exc]}) from None


@contextmanager
def _saved(field_file: FieldFile, filename: str, content: Any) -> Iterator[None]:
    """Store ``content`` into ``field_file`` (in chunks); delete it again if the block fails."""
    field_file.save(filename, content, save=False)
    storage, name = field_file.storage, str(field_file.name)
    try:
        yield
    except BaseException:
        storage.delete(name)
        raise


def _delete_after_commit(*field_files: FieldFile) -> None:
    for field_file in field_files:
        if field_file:
            transaction.on_commit(partial(field_file.storage.delete, str(field_file.name)))


def _title_from(filename: str) -> str:
    stem, dot, _ext = filename.rpartition(".")
    return (stem if dot and stem else filename)[:TITLE_MAX]


def resource_create_from_upload(
    *,
    coach: User,
    upload: Any,
    title: str = "",
    description: str = "",
    category: Any = None,
    tags: Iterable[str] = (),
) -> Resource:
    """Add an uploaded file to ``coach``'s library.

    The title defaults to the file name without its extension; the kind of resource
    follows the content (a PDF is a document, a WebM a video).
    """
    return _create_from_upload(
        coach=coach,
        upload=upload,
        checked=None,
        title=title,
        description=description,
        category=category,
        tags=tags,
    )


@transaction.atomic
def _create_from_upload(
    *,
    coach: User,
    upload: Any,
    checked: ValidatedUpload | None,
    title: str,
    description: str,
    category: Any,
    tags: Iterable[str],
) -> Resource:
    """``resource_create_from_upload``; ``checked`` when the file was validated already."""
    errors: dict[str, Any] = {}
    values: dict[str, Any] = {}
    for key, check in (
        ("file", lambda: checked or check_file(upload)),
        (
            "title",
            lambda: library_services.clean_title(
                title or _title_from(safe_filename(getattr(upload, "name", "") or ""))
            ),
        ),
        ("description", lambda: library_services.clean_description(description)),
        ("category", lambda: library_services.own_category(coach, category)),
        ("tags", lambda: library_services.tags_for(coach, tags)),
    ):
        try:
            values[key] = check()
        except ValidationError as exc:
            errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    checked = values["file"]
    resource = Resource(
        coach=coach,
        kind=resource_kind_for(checked.kind.name),
        title=values["title"],
        description=values["description"],
        category=values["category"],
        file_kind=checked.kind.name,
        content_type=checked.content_type,
        size_bytes=checked.size,
        original_name=checked.filename,
    )
    with _saved(resource.file, checked.filename, upload):
        resource.save()
        ResourceTag.objects.bulk_create(
            [ResourceTag(coach=coach, resource=resource, tag=tag) for tag in values["tags"]]
        )
        library_services.refresh_search_text(resource)
    return resource


def resources_create_from_uploads(
    *, coach: User, uploads: list[Any], category: Any = None, tags: Iterable[str] = ()
) -> list[Resource]:
    """Add several files at once: all of them or, when one is refused, none.

    Every file is checked before the first is stored; a refusal names the file.
    """
    policy = resource_upload_policy()
    checked: list[ValidatedUpload] = []
    for upload in uploads:
        try:
            checked.append(validate_upload(upload, policy=policy))
        except ValidationError as exc:
            raise ValidationError(
                {"file": [_named_refusal(getattr(upload, "name", ""), exc)]}
            ) from None
    created: list[Resource] = []
    try:
        with transaction.atomic():
            for upload, valid in zip(uploads, checked, strict=True):
                created.append(
                    _create_from_upload(
                        coach=coach,
                        upload=upload,
                        checked=valid,
                        title="",
                        description="",
                        category=category,
                        tags=tags,
                    )
                )
    except BaseException:
        # The rows are rolled back; the files stored before the failure go too.
        for resource in created:
            resource.file.storage.delete(str(resource.file.name))
        raise
    return created


def _named_refusal(name: str, error: ValidationError) -> ValidationError:
    return ValidationError(
        _("%(name)s: %(reason)s") % {"name": safe_filename(name), "reason": error.messages[0]},
        code=error.code,
    )


def _file_error(message: str, code: str) -> ValidationError:
    return ValidationError({"file": [ValidationError(message, code=code)]})


@transaction.atomic
def resource_replace_file(*, coach: User, resource_id: Any, upload: Any) -> Resource:
    """Put a new file in place of a resource's file, keeping the old one as a version.

    Shares, progress and the page address stay. The new file must be the same kind of
    resource (a video stays a video), because a client's progress means something per
    kind.
    """
    resource = library_services.own_resource_for_change(coach, resource_id)
    if resource.is_link:
        raise _file_error(_("A web link has no file to replace."), "link")
    checked = check_file(upload)
    new_kind = resource_kind_for(checked.kind.name)
    if new_kind != resource.kind:
        raise _file_error(
            _(
                "This resource is a %(old)s, so its new file must be one too. "
                "Add the %(new)s as a new resource instead."
            )
            % {
                "old": ResourceKind(resource.kind).label.lower(),
                "new": ResourceKind(new_kind).label.lower(),
            },
            "kind_mismatch",
        )
    previous = ResourceVersion(
        coach=coach,
        resource=resource,
        version=resource.version,
        file=resource.file.name,
        file_kind=resource.file_kind,
        content_type=resource.content_type,
        size_bytes=resource.size_bytes,
        original_name=resource.original_name,
    )
    with _saved(resource.file, checked.filename, upload):
        previous.save()
        resource.version += 1
        resource.file_kind = checked.kind.name
        resource.content_type = checked.content_type
        resource.size_bytes = checked.size
        resource.original_name = checked.filename
        resource.duration_seconds = None  # the new file's length comes from its player
        resource.save()
        audit_record(
            action="resources.file_replaced",
            actor=coach,
            target=resource,
            details={
                "version": resource.version,
                "previous_name": previous.original_name,
                "name": checked.filename,
                "size": checked.size,
            },
        )
        library_services.refresh_search_text(resource)
    return resource


def _own_media(coach: User, resource_id: Any) -> Resource:
    resource = library_services.own_resource_for_change(coach, resource_id)
    if resource.kind not in _MEDIA_KINDS:
        raise _file_error(_("Only audio and video can have captions."), "not_media")
    return resource


def clean_captions_language(value: str) -> str:
    language = (value or "").strip()
    if not _LANGUAGE.match(language):
        raise ValidationError(
            {"language": _("Choose the language of the captions.")}, code="invalid"
        )
    return language


@transaction.atomic
def resource_set_captions(*, coach: User, resource_id: Any, upload: Any, language: str) -> Resource:
    """Attach a WebVTT captions track to an audio or video resource (replacing any)."""
    resource = _own_media(coach, resource_id)
    errors: dict[str, Any] = {}
    filename = "captions.vtt"
    try:
        filename = validate_captions(upload)
    except ValidationError as exc:
        errors["file"] = [exc]
    try:
        language = clean_captions_language(language)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if errors:
        raise ValidationError(errors)
    previous = resource.captions.name
    with _saved(resource.captions, filename, upload):
        resource.captions_language = language
        resource.save(update_fields=["captions", "captions_language", "updated_at"])
    if previous:
        storage = resource.captions.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return resource


@transaction.atomic
def resource_remove_captions(*, coach: User, resource_id: Any) -> Resource:
    resource = _own_media(coach, resource_id)
    _delete_after_commit(resource.captions)
    resource.captions = ""
    resource.captions_language = ""
    resource.save(update_fields=["captions", "captions_language", "updated_at"])
    return resource


@transaction.atomic
def collection_set_cover(*, coach: User, collection_id: Any, upload: Any) -> Collection:
    """Give a collection a cover image (replacing any)."""
    collection = own_collection_for_change(coach, collection_id)
    checked = check_file(upload, policy=cover_upload_policy())
    previous = collection.cover.name
    with _saved(collection.cover, checked.filename, upload):
        collection.cover_content_type = checked.content_type
        collection.save(update_fields=["cover", "cover_content_type", "updated_at"])
    if previous:
        storage = collection.cover.storage
        transaction.on_commit(lambda: storage.delete(previous))
    return collection


@transaction.atomic
def collection_remove_cover(*, coach: User, collection_id: Any) -> Collection:
    collection = own_collection_for_change(coach, collection_id)
    _delete_after_commit(collection.cover)
    collection.cover = ""
    collection.cover_content_type = ""
    collection.save(update_fields=["cover", "cover_content_type", "updated_at"])
    return collection
