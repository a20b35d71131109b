"""What a client has done with a resource: openings, played ranges, completion.

Only clients have progress: a coach previewing their own resource records nothing.
Every function reaches the resource through ``get_resource_for_user`` (callers of
``resource_view_record`` pass a resource they got from it), so a resource that is not
shared with the client is a 404 and changes nothing.

Audio and video report *played ranges* (``[[start, end], ...]`` in seconds), taken from
the media element's ``played`` TimeRanges, which grow only while media plays: seeking
to the end adds no range, so it does not count as watching. The stored ranges are the
union of every report, so two tabs, a replay and a report repeated after a network
error all count each second once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from loom.accounts.models import Role, User
from loom.core.context import system_context
from loom.core.errors import DomainError, Forbidden
from loom.resources.models import Resource, ResourceKind, ResourceProgress, ResourceView
from loom.resources.selectors import get_resource_for_user

MAX_RANGES_PER_REPORT = 200
# A real player leaves a handful of separate played parts; this bounds the stored row
# against a client that sends thousands of slivers over many reports.
MAX_STORED_RANGES = 1000
MAX_DURATION_SECONDS = 24 * 60 * 60
# The player's duration and times are floats; a range may end slightly past the
# duration it reported (rounding, a last timeupdate).
RANGE_SLACK_SECONDS = 1.0
MEDIA_KINDS = frozenset({ResourceKind.AUDIO, ResourceKind.VIDEO})

Range = tuple[float, float]


@dataclass(frozen=True)
class ProgressState:
    """The answer to the player: what the client has watched and where they stopped."""

    watched_percent: int
    completed: bool
    position: float

    def as_json(self) -> dict[str, Any]:
        return {
            "watched_percent": self.watched_percent,
            "completed": self.completed,
            "position": self.position,
        }


def merge_ranges(ranges: Iterable[Sequence[float]]) -> list[Range]:
    """The union of ``ranges`` as sorted, non-overlapping, non-touching ``(start, end)``."""
    merged: list[Range] = []
    for start, end in sorted((float(start), float(end)) for start, end in ranges):
        if end <= start:
            continue
        if merged and start <= merged[-1][1]:
            last_start, last_end = merged[-1]
            merged[-1] = (last_start, max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def covered_seconds(ranges: Iterable[Range], *, duration: float) -> float:
    """Seconds of ``[0, duration]`` the merged ``ranges`` cover."""
    return sum(max(0.0, min(end, duration) - max(start, 0.0)) for start, end in ranges)


def _complete_share() -> float:
    return settings.LOOM_RESOURCE_COMPLETE_PERCENT / 100


def _state(progress: ResourceProgress) -> ProgressState:
    return ProgressState(
        watched_percent=math.floor(progress.watched_share * 100 + 1e-9),
        completed=progress.completed_at is not None,
        position=progress.position_seconds,
    )


def _is_client_of(user: User, resource: Resource) -> bool:
    return user.role == Role.CLIENT and user.pk != resource.coach_id


def _locked_progress(client: User, resource: Resource) -> ResourceProgress:
    """The client's progress row on ``resource``, created if needed, locked for update."""
    progress, _created = ResourceProgress.objects.select_for_update().get_or_create(
        client=client, resource=resource, defaults={"coach_id": resource.coach_id}
    )
    return progress


@transaction.atomic
def resource_view_record(
    *, client: User, resource: Resource, now: datetime | None = None
) -> ResourceProgress | None:
    """Record that ``client`` opened ``resource`` (a resource from ``get_resource_for_user``).

    An opening within ``LOOM_RESOURCE_VIEW_DEDUPE_MINUTES`` of the client's previous one
    counts once (a reload is not a new view): it moves ``last_viewed_at`` only. Returns
    the progress row, or ``None`` for a coach, who records nothing.
    """
    if not _is_client_of(client, resource):
        return None
    now = now or timezone.now()
    progress = _locked_progress(client, resource)
    since = now - timedelta(minutes=settings.LOOM_RESOURCE_VIEW_DEDUPE_MINUTES)
    recent = ResourceView.objects.filter(
        client=client, resource=resource, viewed_at__gt=since
    ).exists()
    if not recent:
        ResourceView.objects.create(
            coach_id=resource.coach_id, client=client, resource=resource, viewed_at=now
        )
        progress.view_count += 1
    if progress.first_viewed_at is None:
        progress.first_viewed_at = now
    progress.last_viewed_at = now
    progress.save(update_fields=["first_viewed_at", "last_viewed_at", "view_count", "updated_at"])
    return progress


def _number(value: Any) -> float:
    # bool is an int subclass: true/false are not seconds.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise DomainError(_("The progress report is not valid."), code="invalid_progress")
    number = float(value)
    if not math.isfinite(number):
        raise DomainError(_("The progress report is not valid."), code="invalid_progress")
    return number


def parse_report(played: Any, position: Any, duration: Any) -> tuple[list[Range], float, float]:
    """Validated ``(ranges, position, duration)`` of a player's report, or ``DomainError``."""
    length = _number(duration)
    if not 0 < length <= MAX_DURATION_SECONDS:
        raise DomainError(_("The reported length is not valid."), code="invalid_duration")
    if not isinstance(played, list) or len(played) > MAX_RANGES_PER_REPORT:
        raise DomainError(
            _("Report up to %(count)d played ranges at a time.") % {"count": MAX_RANGES_PER_REPORT},
            code="invalid_ranges",
        )
    ranges: list[Range] = []
    for pair in played:
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise DomainError(_("A played range is not valid."), code="invalid_ranges")
        start, end = _number(pair[0]), _number(pair[1])
        if not 0 <= start < end <= length + RANGE_SLACK_SECONDS:
            raise DomainError(_("A played range is not valid."), code="invalid_ranges")
        ranges.append((start, end))
    where = _number(position)
    if not 0 <= where <= length + RANGE_SLACK_SECONDS:
        raise DomainError(_("The reported position is not valid."), code="invalid_position")
    return ranges, where, length


def _client_access(client: User, resource_id: Any) -> Resource:
    access = get_resource_for_user(client, resource_id)
    if access.is_owner or not _is_client_of(client, access.resource):
        raise Forbidden(_("Only clients record progress."))
    return access.resource


def _set_duration_once(resource: Resource, seconds: float) -> int:
    """Store the media's length the first time a player reports it; return the length
    progress is measured against from now on."""
    if resource.duration_seconds:
        return resource.duration_seconds
    length = max(1, round(seconds))
    # The resource row is the coach's: the client may read it but not write it.
    with system_context():
        Resource.objects.filter(pk=resource.pk, duration_seconds__isnull=True).update(
            duration_seconds=length
        )
        stored = Resource.objects.filter(pk=resource.pk).values_list("duration_seconds", flat=True)[
            0
        ]
    resource.duration_seconds = stored
    return stored or length


@transaction.atomic
def progress_report(
    *,
    client: User,
    resource_id: Any,
    played: Any,
    position: Any,
    duration: Any,
    now: datetime | None = None,
) -> ProgressState:
    """Merge a player's played ranges into the client's progress on an audio or video.

    Completes the resource when the merged ranges cover
    ``LOOM_RESOURCE_COMPLETE_PERCENT`` of its length — once, when the share crosses the
    threshold, so a client who un-marks it is not re-completed by the next report.
    """
    resource = _client_access(client, resource_id)
    if resource.kind not in MEDIA_KINDS:
        raise DomainError(_("Only audio and video report how much was played."), code="not_media")
    ranges, position_seconds, reported_length = parse_report(played, position, duration)
    length = _set_duration_once(resource, reported_length)
    now = now or timezone.now()
    progress = _locked_progress(client, resource)
    stored = [tuple(pair) for pair in progress.played or []]
    merged = merge_ranges([*stored, *ranges])
    if len(merged) > MAX_STORED_RANGES:
        raise DomainError(_("Too many separate played parts were reported."), code="invalid_ranges")
    before = progress.watched_share
    progress.played = [[round(start, 3), round(end, 3)] for start, end in merged]
    progress.watched_share = min(1.0, covered_seconds(merged, duration=float(length)) / length)
    progress.position_seconds = round(min(position_seconds, float(length)), 3)
    if progress.first_viewed_at is None:
        progress.first_viewed_at = now
    threshold = _complete_share()
    if progress.completed_at is None and before < threshold <= progress.watched_share:
        progress.completed_at = now
    progress.save(
        update_fields=[
            "played",
            "watched_share",
            "position_seconds",
            "first_viewed_at",
            "completed_at",
            "updated_at",
        ]
    )
    return _state(progress)


@transaction.atomic
def progress_set_complete(
    *, client: User, resource_id: Any, complete: bool, now: datetime | None = None
) -> ProgressState:
    """The client marks a resource complete, or not complete again."""
    resource = _client_access(client, resource_id)
    progress = _locked_progress(client, resource)
    if complete and progress.completed_at is None:
        progress.completed_at = now or timezone.now()
    elif not complete:
        progress.completed_at = None
    progress.save(update_fields=["completed_at", "updated_at"])
    return _state(progress)
