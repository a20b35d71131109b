"""The resource library: a coach's files and links, how they are organized and shared,
and what each client has done with them.

Who sees what (enforced by the selectors and, on PostgreSQL, by the row-level security
of ``0002_row_level_security``):

* a coach sees and changes only their own library (every table carries ``coach``);
* a client sees a resource only while a ``Share`` gives it to them — directly, or
  through a shared collection that holds it — the share has not expired, and the
  client is on the coach's active roster. Deleting the share removes access at once;
* progress and views belong to the client and are read by the client's coach.

Files are stored under random names through Django's storage API (filesystem or an
S3-compatible bucket); nothing under the storage is publicly addressable: every
byte is served by ``loom.resources.views_files`` after the access check.

Resources may be given to a client as homework for a session. The library knows the
scheduling app only through the database relation (``"scheduling.Session"``): the two
domain apps do not import each other (pyproject's import-linter contract).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loom.core.models import TimeStampedModel

TITLE_MAX = 200
DESCRIPTION_MAX = 4000
CATEGORY_NAME_MAX = 60
TAG_NAME_MAX = 40
TAGS_PER_RESOURCE_MAX = 12
URL_MAX = 2000
FILENAME_MAX = 200


class ResourceKind(models.TextChoices):
    """What the resource is, decided from its content (files) or by the coach (links)."""

    DOCUMENT = "document", _("Document")  # pdf; office files (download only)
    IMAGE = "image", _("Image")
    AUDIO = "audio", _("Audio")
    VIDEO = "video", _("Video")
    TEXT = "text", _("Text")
    LINK = "link", _("Web link")


def resource_file_path(instance: Resource | ResourceVersion, filename: str) -> str:
    # A random name on disk: the sanitized original name is kept in the row only.
    return f"resources/{instance.coach_id}/{uuid.uuid4().hex}"


def captions_path(instance: Resource, filename: str) -> str:
    return f"resources/{instance.coach_id}/{uuid.uuid4().hex}.vtt"


def cover_path(instance: Collection, filename: str) -> str:
    return f"resources/{instance.coach_id}/covers/{uuid.uuid4().hex}"


class Category(TimeStampedModel):
    """A coach's own grouping ("Worksheets", "Meditations"); a resource has at most one."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_categories"
    )
    name = models.CharField(_("name"), max_length=CATEGORY_NAME_MAX)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["position", "name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "coach", name="resource_category_unique_name"),
        ]
        indexes = [models.Index(fields=["coach", "position"], name="resource_category_coach")]

    def __str__(self) -> str:
        return self.name


class Tag(TimeStampedModel):
    """A coach's free label; resources carry several. Names are unique per coach,
    ignoring case."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_tags"
    )
    name = models.CharField(_("name"), max_length=TAG_NAME_MAX)

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("name"), "coach", name="resource_tag_unique_name"),
        ]
        indexes = [models.Index(fields=["coach", "name"], name="resource_tag_coach")]

    def __str__(self) -> str:
        return self.name


class Resource(TimeStampedModel):
    """One item of a coach's library: a stored file or a web link.

    ``search_text`` is title, description and tag names joined, kept by the services;
    on PostgreSQL a GIN index over its ``simple`` text-search vector (added in the
    migration; SQLite cannot create it) serves the library search.
    """

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resources"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=ResourceKind.choices)
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX, blank=True)
    category = models.ForeignKey(
        Category,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resources",
        verbose_name=_("category"),
    )
    tags = models.ManyToManyField(
        Tag, through="ResourceTag", related_name="resources", verbose_name=_("tags"), blank=True
    )
    # Links: the address; files: empty.
    url = models.URLField(_("web address"), max_length=URL_MAX, blank=True)
    # Files: the stored file and what the validator found in it.
    file = models.FileField(_("file"), upload_to=resource_file_path, max_length=200, blank=True)
    file_kind = models.CharField(_("file type"), max_length=16, blank=True)  # FileKind.name
    content_type = models.CharField(_("content type"), max_length=100, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("size"), default=0)
    original_name = models.CharField(_("file name"), max_length=FILENAME_MAX, blank=True)
    # A WebVTT captions track for audio and video (optional).
    captions = models.FileField(_("captions"), upload_to=captions_path, max_length=200, blank=True)
    captions_language = models.CharField(_("captions language"), max_length=8, blank=True)
    # Media length as the first player reported it; used for the watch share.
    duration_seconds = models.PositiveIntegerField(_("length in seconds"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    # Give it to every client who joins from now on.
    auto_share = models.BooleanField(_("share with every new client"), default=False)
    search_text = models.TextField(editable=False, blank=True, default="")

    class Meta:
        verbose_name = _("resource")
        verbose_name_plural = _("resources")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="link") & ~Q(url="") & Q(file=""))
                | (~Q(kind="link") & Q(url="") & ~Q(file="")),
                name="resource_file_or_link",
            ),
        ]
        indexes = [
            models.Index(fields=["coach", "-created_at"], name="resource_coach_recent"),
            models.Index(fields=["coach", "kind"], name="resource_coach_kind"),
            models.Index(fields=["coach", "category"], name="resource_coach_category"),
            models.Index(fields=["coach", "title"], name="resource_coach_title"),
            models.Index(fields=["coach", "auto_share"], name="resource_coach_auto"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_link(self) -> bool:
        return self.kind == ResourceKind.LINK


class ResourceTag(models.Model):
    """A tag on a resource (an explicit table so it carries the coach for RLS)."""

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="resource_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="resource_tags")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["resource", "tag"], name="resource_tag_once"),
        ]
        indexes = [models.Index(fields=["tag", "resource"], name="resource_tag_by_tag")]

    def __str__(self) -> str:
        return f"tag {self.tag_id} on {self.resource_id}"


class ResourceVersion(TimeStampedModel):
    """A file a resource held before it was replaced. Only the coach sees versions."""

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=resource_file_path, max_length=200)
    file_kind = models.CharField(_("file type"), max_length=16)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveBigIntegerField(_("size"))
    original_name = models.CharField(_("file name"), max_length=FILENAME_MAX)
    replaced_at = models.DateTimeField(_("replaced at"), default=timezone.now)

    class Meta:
        verbose_name = _("earlier version")
        verbose_name_plural = _("earlier versions")
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "version"], name="resource_version_once"),
        ]


class Collection(TimeStampedModel):
    """An ordered set of resources with a description and a cover image."""

    coach = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_collections"
    )
    title = models.CharField(_("title"), max_length=TITLE_MAX)
    description = models.TextField(_("description"), max_length=DESCRIPTION_MAX, blank=True)
    cover = models.FileField(_("cover image"), upload_to=cover_path, max_length=200, blank=True)
    cover_content_type = models.CharField(max_length=100, blank=True)
    auto_share = models.BooleanField(_("share with every new client"), default=False)
    resources = models.ManyToManyField(
        Resource, through="CollectionItem", related_name="collections", blank=True
    )

    class Meta:
        verbose_name = _("collection")
        verbose_name_plural = _("collections")
        ordering = ["title", "id"]
        indexes = [
            models.Index(fields=["coach", "title"], name="collection_coach_title"),
            models.Index(fields=["coach", "auto_share"], name="collection_coach_auto"),
        ]

    def __str__(self) -> str:
        return self.title


class CollectionItem(models.Model):
    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    resource = models.ForeignKey(
        Resource, on_delete=models.CASCADE, related_name="collection_items"
    )
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "resource"], name="collection_item_once"),
        ]
        indexes = [
            models.Index(fields=["collection", "position"], name="collection_item_order"),
            models.Index(fields=["resource"], name="collection_item_resource"),
        ]

    def __str__(self) -> str:
        return f"{self.resource_id} in {self.collection_id} at {self.position}"


class ShareSource(models.TextChoices):
    CHOSEN = "chosen", _("Shared with chosen clients")
    ALL = "all", _("Shared with all clients")
    AUTO = "auto", _("Shared when the client joined")
    HOMEWORK = "homework", _("Given as session homework")


class Share(TimeStampedModel):
    """One client's access to one resource or one collection (exactly one of the two).

    Sharing "with all clients" writes a row per current client; "every new client"
    is the ``auto_share`` flag, which writes a row when a client joins. Un-sharing
    deletes the row.
    """

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_shares"
    )
    resource = models.ForeignKey(
        Resource, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    collection = models.ForeignKey(
        Collection, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    can_download = models.BooleanField(_("client may download"), default=True)
    expires_at = models.DateTimeField(_("access ends"), null=True, blank=True)
    source = models.CharField(
        max_length=16, choices=ShareSource.choices, default=ShareSource.CHOSEN
    )

    class Meta:
        verbose_name = _("share")
        verbose_name_plural = _("shares")
        constraints = [
            models.CheckConstraint(
                condition=Q(resource__isnull=False, collection__isnull=True)
                | Q(resource__isnull=True, collection__isnull=False),
                name="share_resource_or_collection",
            ),
            models.UniqueConstraint(
                fields=["client", "resource"],
                condition=Q(resource__isnull=False),
                name="share_resource_once",
            ),
            models.UniqueConstraint(
                fields=["client", "collection"],
                condition=Q(collection__isnull=False),
                name="share_collection_once",
            ),
        ]
        indexes = [
            models.Index(fields=["client", "-created_at"], name="share_client_recent"),
            models.Index(fields=["coach", "client"], name="share_coach_client"),
            models.Index(fields=["resource"], name="share_resource"),
            models.Index(fields=["collection"], name="share_collection"),
            # Analytics: the shares made in a week, across every coach.
            models.Index(fields=["created_at"], name="share_time"),
        ]

    def __str__(self) -> str:
        return f"share {self.pk} → {self.client_id}"


class ResourceProgress(models.Model):
    """What one client has done with one resource.

    ``played`` holds the merged played ranges of audio and video in seconds
    (``[[start, end], ...]``), so seeking to the end does not count as watching;
    ``watched_share`` is their total over the length. A resource is completed when the
    client marks it or when ``watched_share`` reaches ``LOOM_RESOURCE_COMPLETE_SHARE``.
    """

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="resource_progress"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="progress")
    first_viewed_at = models.DateTimeField(_("first opened"), null=True, blank=True)
    last_viewed_at = models.DateTimeField(_("last opened"), null=True, blank=True)
    view_count = models.PositiveIntegerField(_("times opened"), default=0)
    played = models.JSONField(default=list, blank=True)
    watched_share = models.FloatField(_("share watched"), default=0.0)
    position_seconds = models.FloatField(_("where they stopped"), default=0.0)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("progress")
        verbose_name_plural = _("progress")
        constraints = [
            models.UniqueConstraint(fields=["client", "resource"], name="progress_once"),
            models.CheckConstraint(
                condition=Q(watched_share__gte=0) & Q(watched_share__lte=1),
                name="progress_share_range",
            ),
        ]
        indexes = [
            models.Index(fields=["resource", "client"], name="progress_resource"),
            models.Index(fields=["coach", "client"], name="progress_coach_client"),
        ]

    def __str__(self) -> str:
        return f"progress of {self.client_id} on {self.resource_id}"


class ResourceView(models.Model):
    """One opening of a resource by a client (for the coach's analytics).

    Openings by the same client within ``LOOM_RESOURCE_VIEW_DEDUPE_MINUTES`` count once,
    so reloading a page does not inflate the numbers.
    """

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="views")
    viewed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["coach", "viewed_at"], name="view_coach_time"),
            models.Index(fields=["resource", "viewed_at"], name="view_resource_time"),
            models.Index(fields=["client", "resource", "-viewed_at"], name="view_client_latest"),
        ]

    def __str__(self) -> str:
        return f"view of {self.resource_id} by {self.client_id}"


class SessionHomework(TimeStampedModel):
    """A resource given to the client of a session as homework (shared with them too)."""

    coach = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="homework"
    )
    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="homework")

    class Meta:
        verbose_name = _("homework")
        verbose_name_plural = _("homework")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "resource"], name="homework_once"),
        ]
        indexes = [models.Index(fields=["client", "-created_at"], name="homework_client")]

    def __str__(self) -> str:
        return f"homework {self.resource_id} for session {self.session_id}"
