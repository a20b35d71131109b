"""Progress: views, played ranges, completion (loom/resources/progress_services.py)."""

from __future__ import annotations

import math
from datetime import timedelta
from itertools import pairwise

import pytest
from django.http import Http404
from django.test import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from loom.core.errors import DomainError, Forbidden
from loom.resources.models import Resource, ResourceKind, ResourceProgress, ResourceView
from loom.resources.progress_services import (
    covered_seconds,
    merge_ranges,
    progress_report,
    progress_set_complete,
    resource_view_record,
)
from tests.resources import media
from tests.resources.factories import make_collection, make_resource, share


def make_video(
    coach, *, title: str = "Breathing video", content: bytes | None = None, **fields
) -> Resource:
    return make_resource(
        coach,
        kind=ResourceKind.VIDEO,
        title=title,
        content=content if content is not None else media.webm_bytes(),
        file_kind="webm",
        content_type="video/webm",
        **fields,
    )


# --- The range merge (pure) -------------------------------------------------------------------

cells = st.integers(min_value=0, max_value=60)
int_ranges = st.lists(
    st.tuples(cells, cells).filter(lambda pair: pair[0] < pair[1]).map(list), max_size=30
)


# No deadline: a loaded CI machine (xdist, the database tier alongside) makes timing noisy.
@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(int_ranges, st.randoms())
def test_merge_is_the_union_sorted_and_disjoint(ranges, rnd):
    merged = merge_ranges(ranges)
    # Sorted, non-empty, and neither overlapping nor touching.
    for start, end in merged:
        assert start < end
    for (_, first_end), (second_start, _) in pairwise(merged):
        assert first_end < second_start
    # The same seconds as the union of the input (unit cells of integer ranges).
    covered = {second for start, end in ranges for second in range(start, end)}
    assert {second for start, end in merged for second in range(int(start), int(end))} == covered
    assert covered_seconds(merged, duration=60) == len(covered)
    # Order does not matter, and merging again changes nothing.
    shuffled = list(ranges)
    rnd.shuffle(shuffled)
    assert merge_ranges(shuffled) == merged
    assert merge_ranges(merged) == merged


def test_covered_seconds_are_clipped_to_the_length():
    assert covered_seconds([(-5.0, 10.0), (90.0, 130.0)], duration=100) == 20.0


# --- Views ------------------------------------------------------------------------------------

pytestmark = pytest.mark.django_db


def test_an_opening_is_recorded_once_within_the_dedupe_window(world):
    resource = make_resource(world.dana)
    share(resource, world.avi)
    start = timezone.now()
    first = resource_view_record(client=world.avi, resource=resource, now=start)
    resource_view_record(client=world.avi, resource=resource, now=start + timedelta(minutes=5))
    assert first is not None
    progress = ResourceProgress.objects.get(client=world.avi, resource=resource)
    assert progress.view_count == 1
    assert progress.first_viewed_at == start
    assert progress.last_viewed_at == start + timedelta(minutes=5)
    assert ResourceView.objects.filter(client=world.avi, resource=resource).count() == 1

    with override_settings(LOOM_RESOURCE_VIEW_DEDUPE_MINUTES=30):
        resource_view_record(client=world.avi, resource=resource, now=start + timedelta(minutes=40))
    progress.refresh_from_db()
    assert progress.view_count == 2
    assert progress.first_viewed_at == start
    assert ResourceView.objects.filter(client=world.avi, resource=resource).count() == 2


def test_a_coach_preview_records_nothing(world):
    resource = make_resource(world.dana)
    assert resource_view_record(client=world.dana, resource=resource) is None
    assert not ResourceProgress.objects.exists()
    assert not ResourceView.objects.exists()


# --- Played ranges ----------------------------------------------------------------------------


@pytest.fixture
def video(world):
    resource = make_video(world.dana)
    share(resource, world.avi)
    return resource


def report(world, video, played, *, duration=100, position=None):
    return progress_report(
        client=world.avi,
        resource_id=video.pk,
        played=played,
        position=played[-1][1] if position is None else position,
        duration=duration,
    )


@override_settings(LOOM_RESOURCE_COMPLETE_PERCENT=90)
def test_playing_ninety_percent_completes(world, video):
    state = report(world, video, [[0, 89]])
    assert (state.watched_percent, state.completed) == (89, False)
    state = report(world, video, [[88.5, 90]])
    assert (state.watched_percent, state.completed) == (90, True)
    progress = ResourceProgress.objects.get(client=world.avi, resource=video)
    assert progress.played == [[0.0, 90.0]]
    assert progress.completed_at is not None
    assert progress.first_viewed_at is not None


def test_seeking_to_the_end_does_not_count_as_watching(world, video):
    # The player played 5 s, the client dragged to the end, and it played the last 5 s.
    state = report(world, video, [[0, 5], [95, 100]], position=100)
    assert state.watched_percent == 10
    assert not state.completed
    assert state.position == 100


def test_reports_merge_across_tabs_and_repeats(world, video):
    report(world, video, [[0, 50]])
    report(world, video, [[25, 75]])
    state = report(world, video, [[25, 75]])  # the same report again (a retry)
    assert state.watched_percent == 75
    progress = ResourceProgress.objects.get(client=world.avi, resource=video)
    assert progress.played == [[0.0, 75.0]]


def test_the_first_reported_length_is_kept(world, video):
    report(world, video, [[0, 10]], duration=100.4)
    video.refresh_from_db()
    assert video.duration_seconds == 100
    # A later player claiming a shorter length cannot inflate the share.
    state = report(world, video, [[0, 10]], duration=10)
    assert state.watched_percent == 10
    video.refresh_from_db()
    assert video.duration_seconds == 100


def test_unmarking_sticks_until_the_client_marks_again(world, video):
    report(world, video, [[0, 100]])
    state = progress_set_complete(client=world.avi, resource_id=video.pk, complete=False)
    assert not state.completed
    assert not report(world, video, [[0, 100]]).completed
    assert progress_set_complete(client=world.avi, resource_id=video.pk, complete=True).completed


@pytest.mark.parametrize(
    ("played", "duration", "position"),
    [
        ("0-10", 100, 0),  # not a list
        ([[0, 10, 20]], 100, 0),  # not a pair
        ([["0", "10"]], 100, 0),  # strings
        ([[True, 10]], 100, 0),  # a boolean is no number
        ([[math.nan, 10]], 100, 0),
        ([[0, math.inf]], 100, 0),
        ([[10, 10]], 100, 0),  # empty
        ([[20, 10]], 100, 0),  # backwards
        ([[-1, 10]], 100, 0),  # before the start
        ([[0, 102]], 100, 0),  # past the end
        ([[0, 10]] * 201, 100, 0),  # too many
        ([[0, 10]], 0, 0),  # no length
        ([[0, 10]], 24 * 3600 + 1, 0),  # over a day
        ([[0, 10]], "100", 0),
        ([[0, 10]], 100, -1),
        ([[0, 10]], 100, 500),
        ([[0, 10]], None, 0),
    ],
)
def test_bad_reports_are_refused_and_change_nothing(world, video, played, duration, position):
    with pytest.raises(DomainError) as refused:
        progress_report(
            client=world.avi,
            resource_id=video.pk,
            played=played,
            position=position,
            duration=duration,
        )
    assert refused.value.status == 400
    assert str(refused.value)
    assert not ResourceProgress.objects.exists()
    video.refresh_from_db()
    assert video.duration_seconds is None


def test_only_media_reports_played_ranges(world):
    document = make_resource(world.dana)
    share(document, world.avi)
    with pytest.raises(DomainError):
        progress_report(
            client=world.avi, resource_id=document.pk, played=[[0, 1]], position=0, duration=10
        )


def test_foreign_and_unshared_resources_are_not_found(world, video):
    for client in (world.noa, world.maya):
        with pytest.raises(Http404):
            report_as(client, video)
        with pytest.raises(Http404):
            progress_set_complete(client=client, resource_id=video.pk, complete=True)
    for bad_id in ("abc", -1, 2**70, None):
        with pytest.raises(Http404):
            progress_set_complete(client=world.avi, resource_id=bad_id, complete=True)
    assert not ResourceProgress.objects.exists()


def test_the_coach_has_no_progress_of_their_own(world, video):
    with pytest.raises(Forbidden):
        report_as(world.dana, video)
    with pytest.raises(Forbidden):
        progress_set_complete(client=world.dana, resource_id=video.pk, complete=True)


def test_un_sharing_stops_reports(world):
    video = make_video(world.dana)
    collection = make_collection(world.dana, video)
    grant = share(collection, world.avi)
    report_as(world.avi, video)
    grant.delete()
    with pytest.raises(Http404):
        report_as(world.avi, video)


def report_as(client, video):
    return progress_report(
        client=client, resource_id=video.pk, played=[[0, 10]], position=10, duration=100
    )


def test_marking_a_document_complete(world):
    document = make_resource(world.dana)
    share(document, world.avi, can_download=False)
    assert progress_set_complete(client=world.avi, resource_id=document.pk, complete=True).completed
    progress = ResourceProgress.objects.get(client=world.avi, resource=document)
    assert progress.coach_id == world.dana.pk
    assert progress.completed_at is not None
    assert not progress_set_complete(
        client=world.avi, resource_id=document.pk, complete=False
    ).completed


def test_the_stored_ranges_stay_bounded(world, video):
    slivers = [[second, second + 0.5] for second in range(0, 400, 2)]
    for offset in range(5):
        played = [[start + offset * 400, end + offset * 400] for start, end in slivers]
        report(world, video, played, duration=3000)
    progress = ResourceProgress.objects.get(client=world.avi, resource=video)
    assert len(progress.played) == 1000
    with pytest.raises(DomainError):
        report(world, video, [[2500, 2500.5]], duration=3000)
    progress.refresh_from_db()
    assert len(progress.played) == 1000
