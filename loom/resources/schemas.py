"""The shapes of the resources API (/api/v1/resources/): what goes in and what comes out.

Limits mirror the models and services (``TITLE_MAX``…), so overlong input is refused
by validation (422) before any service runs. Coach-only fields are ``None`` for clients
and client-only fields ``None`` for coaches; nothing private (another client's
progress, storage paths) is ever part of a client's answer.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import AwareDatetime

from loom.core.schemas import ProblemOut  # noqa: F401 - the resources API names it here
from loom.resources.models import (
    DESCRIPTION_MAX,
    TAG_NAME_MAX,
    TAGS_PER_RESOURCE_MAX,
    TITLE_MAX,
    URL_MAX,
)

PAGE_SIZE = 20
PAGE_SIZE_MAX = 100
# Pages are read with OFFSET; deep pages are refused rather than read ever more rows.
PAGE_MAX = 500
QUERY_MAX = 200
IDS_MAX = 1000
RANGES_MAX = 200

ResourceKindName = Literal["document", "image", "audio", "video", "text", "link"]


class CategoryOut(Schema):
    id: int
    name: str


class ProgressOut(Schema):
    first_viewed_at: datetime | None
    last_viewed_at: datetime | None
    completed_at: datetime | None
    watched_percent: int | None = Field(
        description="Audio and video: how much of it the client has played (0–100)."
    )


class ResourceOut(Schema):
    id: int
    kind: ResourceKindName
    title: str
    description: str
    category: CategoryOut | None
    tags: list[str]
    url: str = Field(description="Web links: the address. Files: empty.")
    file_url: str | None = Field(
        description="Files: where to read it (the access check runs there). Links: null."
    )
    file_kind: str
    content_type: str
    size_bytes: int
    original_name: str
    duration_seconds: int | None
    version: int
    created_at: datetime
    updated_at: datetime
    can_download: bool
    shared_count: int | None = Field(
        None, description="Coaches: how many clients can open it now. Clients: null."
    )
    progress: ProgressOut | None = Field(
        None, description="Clients: their own progress on it (null when never opened)."
    )


class ResourcePageOut(Schema):
    items: list[ResourceOut]
    page: int
    page_size: int
    has_next: bool


class ResourceQuery(Schema):
    q: str = Field("", max_length=QUERY_MAX, description="Words in title, description or tags.")
    kind: ResourceKindName | None = None
    category: int | None = Field(None, ge=1, description="Coaches: a category id.")
    tag: int | None = Field(None, ge=1, description="Coaches: a tag id.")
    collection: int | None = Field(None, ge=1, description="A collection id.")
    status: Literal["new", "in_progress", "completed"] | None = Field(
        None, description="Clients: new (shared lately, never opened), in progress, completed."
    )
    sort: Literal["newest", "oldest", "title", "title_desc", "shared", "relevance"] = Field(
        "newest", description="Coaches' library order (clients: newest share first)."
    )
    page: int = Field(1, ge=1, le=PAGE_MAX)
    page_size: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX)


# The services normalise tag names further (spaces, case-insensitive duplicates).
TagName = Annotated[str, Field(min_length=1, max_length=TAG_NAME_MAX)]


class LinkIn(Schema):
    url: str = Field(max_length=URL_MAX, description="http or https only.")
    title: str = Field(max_length=TITLE_MAX)
    description: str = Field("", max_length=DESCRIPTION_MAX)
    category_id: int | None = Field(None, ge=1)
    tags: list[TagName] = Field(default_factory=list, max_length=TAGS_PER_RESOURCE_MAX)


class ResourcePatchIn(Schema):
    """Only the fields sent change; ``category_id: null`` removes the category."""

    title: str | None = Field(None, max_length=TITLE_MAX)
    description: str | None = Field(None, max_length=DESCRIPTION_MAX)
    category_id: int | None = Field(None, ge=1)
    tags: list[TagName] | None = Field(None, max_length=TAGS_PER_RESOURCE_MAX)
    url: str | None = Field(None, max_length=URL_MAX, description="Web links only.")


class PartyOut(Schema):
    id: int
    full_name: str


class ShareOut(Schema):
    id: int
    client: PartyOut
    resource_id: int | None
    collection_id: int | None = Field(
        description="Set when the access comes through a shared collection."
    )
    can_download: bool
    expires_at: datetime | None
    source: Literal["chosen", "all", "auto", "homework"]
    created_at: datetime


class ShareIn(Schema):
    client_ids: list[int] = Field(default_factory=list, max_length=IDS_MAX)
    all_clients: bool = Field(False, description="Every client on your active roster now.")
    can_download: bool = Field(True, description="False: view only.")
    expires_at: AwareDatetime | None = Field(None, description="Access ends then (future).")


class ProgressStateOut(Schema):
    watched_percent: int
    completed: bool
    position: float = Field(description="Seconds: where the player stopped.")


class ProgressIn(Schema):
    played: list[list[float]] = Field(
        max_length=RANGES_MAX, description="Played [start, end] second pairs since the last report."
    )
    position: float
    duration: float = Field(description="The media's length in seconds, as the player knows it.")


class CompleteIn(Schema):
    complete: bool = True


class CollectionOut(Schema):
    id: int
    title: str
    description: str
    cover_url: str | None
    item_count: int
    can_download: bool
    auto_share: bool | None = Field(None, description="Coaches: shared with every new client.")
    shared_count: int | None = Field(None, description="Coaches: clients it is shared with.")
    completed_count: int | None = Field(None, description="Clients: items they completed.")


class CollectionDetailOut(CollectionOut):
    items: list[ResourceOut]


class AnalyticsTotalsOut(Schema):
    views: int
    viewers: int
    completions: int
    resources: int
    active_clients: int


class AnalyticsResourceOut(Schema):
    id: int
    title: str
    kind: ResourceKindName
    views: int
    unique_viewers: int
    shared_with: int
    completed: int
    completion_rate: float | None = Field(
        description="Completed ÷ clients who can open it now (0–1); null when shared with nobody."
    )
    average_watch: float | None = Field(description="Audio and video: mean share played (0–1).")


class AnalyticsOut(Schema):
    period: Literal["7", "30", "90", "all"]
    start: datetime | None
    end: datetime
    timezone: str
    totals: AnalyticsTotalsOut
    resources: list[AnalyticsResourceOut]
    page: int
    page_size: int
    has_next: bool


class AnalyticsQuery(Schema):
    period: Literal["7", "30", "90", "all"] = "30"
    sort: Literal["views", "viewers", "shared", "completion", "watch", "title"] = "views"
    page: int = Field(1, ge=1, le=PAGE_MAX)
    page_size: int = Field(PAGE_SIZE_MAX, ge=1, le=PAGE_SIZE_MAX)
