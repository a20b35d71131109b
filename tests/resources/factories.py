"""Building library objects directly (no services), for tests of other parts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.core.files.base import ContentFile

from loom.accounts.models import User
from loom.resources.models import Collection, CollectionItem, Resource, ResourceKind, Share
from tests.resources import media

_FILES: dict[str, tuple[str, str, Any]] = {
    # kind -> (file_kind, content type, bytes builder)
    ResourceKind.DOCUMENT: ("pdf", "application/pdf", media.pdf_bytes),
    ResourceKind.IMAGE: ("png", "image/png", media.png_bytes),
    ResourceKind.TEXT: ("text", "text/plain; charset=utf-8", media.text_bytes),
}


def make_resource(
    coach: User,
    *,
    kind: str = ResourceKind.DOCUMENT,
    title: str = "Worksheet",
    description: str = "",
    content: bytes | None = None,
    file_kind: str | None = None,
    content_type: str | None = None,
    original_name: str | None = None,
    url: str = "https://example.com/article",
    **fields: Any,
) -> Resource:
    """A resource of ``coach``: a stored file (PDF by default) or, for ``link``, a URL."""
    if kind == ResourceKind.LINK:
        return Resource.objects.create(
            coach=coach,
            kind=kind,
            title=title,
            description=description,
            url=url,
            search_text=f"{title} {description}",
            **fields,
        )
    default_kind, default_type, build = _FILES.get(kind, _FILES[ResourceKind.DOCUMENT])
    data = content if content is not None else build()
    resource = Resource(
        coach=coach,
        kind=kind,
        title=title,
        description=description,
        file_kind=file_kind or default_kind,
        content_type=content_type or default_type,
        size_bytes=len(data),
        original_name=original_name or f"{title}.{file_kind or default_kind}",
        search_text=f"{title} {description}",
        **fields,
    )
    resource.file.save("upload", ContentFile(data), save=False)
    resource.save()
    return resource


def make_collection(coach: User, *resources: Resource, title: str = "Starter kit") -> Collection:
    collection = Collection.objects.create(coach=coach, title=title)
    for position, resource in enumerate(resources):
        CollectionItem.objects.create(
            coach=coach, collection=collection, resource=resource, position=position
        )
    return collection


def share(
    target: Resource | Collection,
    client: User,
    *,
    can_download: bool = True,
    expires_at: datetime | None = None,
) -> Share:
    """Give ``client`` access to a resource or a collection of its coach."""
    key = "resource" if isinstance(target, Resource) else "collection"
    return Share.objects.create(
        coach_id=target.coach_id,
        client=client,
        can_download=can_download,
        expires_at=expires_at,
        **{key: target},
    )
