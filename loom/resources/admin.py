"""Django admin for the resource library: read-only lists for operators.

Operators see what exists and who owns it (to answer a support question or check a
storage problem), never what coaches wrote for clients: descriptions, link addresses,
search text, original file names (they can name a client) and played ranges are left
out (``PrivacyAwareAdmin`` in loom.core.admin). Nothing is added, changed or deleted
here: deleting a row would leave its stored file behind; coaches delete through the
library, which removes files after commit.

On PostgreSQL the library tables have no admin policy (row-level security: a library
belongs to its coach and the clients it is shared with), so these lists are empty
for administrators and say why.
"""

from __future__ import annotations

from django.contrib import admin

from loom.core.admin import NOTE_COACHING, PrivacyAwareAdmin
from loom.resources.models import (
    Category,
    Collection,
    CollectionItem,
    Resource,
    ResourceProgress,
    ResourceTag,
    ResourceVersion,
    ResourceView,
    SessionHomework,
    Share,
    Tag,
)


class LibraryAdmin(PrivacyAwareAdmin):
    rls_note = NOTE_COACHING


@admin.register(Resource)
class ResourceAdmin(LibraryAdmin):
    list_display = (
        "id",
        "title",
        "coach",
        "kind",
        "file_kind",
        "size_bytes",
        "version",
        "created_at",
    )
    list_filter = ("kind", "auto_share")
    list_select_related = ("coach",)
    search_fields = ("title", "coach__email")
    private_fields = ("description", "url", "original_name", "search_text")
    ordering = ("-created_at", "-id")
    fields = (
        "coach",
        "kind",
        "title",
        "category",
        "file_kind",
        "content_type",
        "size_bytes",
        "captions_language",
        "duration_seconds",
        "version",
        "auto_share",
        "created_at",
        "updated_at",
    )


@admin.register(ResourceVersion)
class ResourceVersionAdmin(LibraryAdmin):
    private_fields = ("original_name",)
    list_display = ("id", "resource", "version", "file_kind", "size_bytes", "replaced_at")
    list_select_related = ("resource",)
    search_fields = ("resource__title", "coach__email")
    fields = (
        "coach",
        "resource",
        "version",
        "file_kind",
        "content_type",
        "size_bytes",
        "replaced_at",
    )


@admin.register(Category)
class CategoryAdmin(LibraryAdmin):
    list_display = ("id", "name", "coach", "position")
    list_select_related = ("coach",)
    search_fields = ("name", "coach__email")
    fields = ("coach", "name", "position", "created_at")


@admin.register(Tag)
class TagAdmin(LibraryAdmin):
    list_display = ("id", "name", "coach")
    list_select_related = ("coach",)
    search_fields = ("name", "coach__email")
    fields = ("coach", "name", "created_at")


@admin.register(ResourceTag)
class ResourceTagAdmin(LibraryAdmin):
    list_display = ("id", "resource", "tag", "coach")
    list_select_related = ("resource", "tag", "coach")
    search_fields = ("tag__name", "coach__email")
    fields = ("coach", "resource", "tag")


@admin.register(Collection)
class CollectionAdmin(LibraryAdmin):
    private_fields = ("description",)
    list_display = ("id", "title", "coach", "auto_share", "created_at")
    list_filter = ("auto_share",)
    list_select_related = ("coach",)
    search_fields = ("title", "coach__email")
    ordering = ("-created_at", "-id")
    fields = ("coach", "title", "cover_content_type", "auto_share", "created_at", "updated_at")


@admin.register(CollectionItem)
class CollectionItemAdmin(LibraryAdmin):
    list_display = ("id", "collection", "resource", "position")
    list_select_related = ("collection", "resource")
    search_fields = ("collection__title", "coach__email")
    fields = ("coach", "collection", "resource", "position")


@admin.register(Share)
class ShareAdmin(LibraryAdmin):
    list_display = (
        "id",
        "coach",
        "client",
        "resource",
        "collection",
        "source",
        "can_download",
        "expires_at",
    )
    list_filter = ("source", "can_download")
    list_select_related = ("coach", "client", "resource", "collection")
    search_fields = ("coach__email", "client__email")
    ordering = ("-created_at", "-id")
    fields = (
        "coach",
        "client",
        "resource",
        "collection",
        "source",
        "can_download",
        "expires_at",
        "created_at",
    )


@admin.register(ResourceProgress)
class ResourceProgressAdmin(LibraryAdmin):
    # How far a client got is wellness-adjacent: counts and dates only, no played ranges.
    private_fields = ("played", "watched_share", "position_seconds")
    list_display = ("id", "client", "resource", "view_count", "completed_at", "updated_at")
    list_select_related = ("client", "resource")
    search_fields = ("client__email", "coach__email")
    fields = (
        "coach",
        "client",
        "resource",
        "first_viewed_at",
        "last_viewed_at",
        "view_count",
        "completed_at",
        "updated_at",
    )


@admin.register(ResourceView)
class ResourceViewAdmin(LibraryAdmin):
    list_display = ("id", "client", "resource", "viewed_at")
    list_select_related = ("client", "resource")
    search_fields = ("client__email", "coach__email")
    ordering = ("-viewed_at",)
    fields = ("coach", "client", "resource", "viewed_at")


@admin.register(SessionHomework)
class SessionHomeworkAdmin(LibraryAdmin):
    list_display = ("id", "session", "client", "resource", "created_at")
    list_select_related = ("session", "client", "resource")
    search_fields = ("client__email", "coach__email")
    fields = ("coach", "client", "session", "resource", "created_at")
