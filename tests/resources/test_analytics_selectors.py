"""The analytics figures: periods, access-now denominators, day buckets, scoping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.http import Http404

from loom.accounts.models import CoachClient
from loom.resources import analytics_selectors as analytics
from loom.resources.models import CollectionItem, ResourceKind, ResourceProgress, ResourceView
from tests.resources.factories import make_collection, make_resource, share
from tests.world import World

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 20, 12, 0, tzinfo=UTC)


def view(resource, client, when) -> ResourceView:  # type: ignore[no-untyped-def]
    return ResourceView.objects.create(
        coach_id=resource.coach_id, client=client, resource=resource, viewed_at=when
    )


def progress(resource, client, **fields) -> ResourceProgress:  # type: ignore[no-untyped-def]
    return ResourceProgress.objects.create(
        coach_id=resource.coach_id, client=client, resource=resource, **fields
    )


def test_unknown_period_is_thirty_days(world: World) -> None:
    for key in (None, "", "365", ["7"], "all "):
        assert analytics.period_for(world.dana, key, now=NOW).key == "30"
    week = analytics.period_for(world.dana, "7", now=NOW)
    assert week.start == NOW - timedelta(days=7)
    assert analytics.period_for(world.dana, "all", now=NOW).start is None


def test_resource_figures(world: World) -> None:
    worksheet = make_resource(world.dana, title="Worksheet")
    other = make_resource(world.dana, title="Unused")
    share(worksheet, world.avi)
    share(worksheet, world.noa)
    view(worksheet, world.avi, NOW - timedelta(days=1))
    view(worksheet, world.avi, NOW - timedelta(days=2))
    view(worksheet, world.noa, NOW - timedelta(days=20))
    view(worksheet, world.noa, NOW - timedelta(days=40))  # outside 30 days
    progress(worksheet, world.avi, completed_at=NOW - timedelta(days=1))

    period = analytics.period_for(world.dana, "30", now=NOW)
    rows = {row.title: row for row in analytics.resource_stats(world.dana, period)}
    assert rows["Worksheet"].views_count == 3
    assert rows["Worksheet"].viewers_count == 2
    assert rows["Worksheet"].shared_count == 2
    assert rows["Worksheet"].completed_count == 1
    assert rows["Worksheet"].completion_rate == pytest.approx(0.5)
    assert rows["Worksheet"].average_watch is None  # a document has no watch share
    assert rows["Unused"].views_count == 0
    assert rows["Unused"].completion_rate is None  # shared with nobody
    all_time = analytics.period_for(world.dana, "all", now=NOW)
    assert analytics.get_resource_stats(world.dana, worksheet.pk, all_time).views_count == 4
    week = analytics.period_for(world.dana, "7", now=NOW)
    assert analytics.get_resource_stats(world.dana, worksheet.pk, week).viewers_count == 1
    assert analytics.get_resource_stats(world.dana, other.pk, week).shared_count == 0


def test_completion_counts_only_clients_with_access_now(world: World) -> None:
    worksheet = make_resource(world.dana)
    kept = share(worksheet, world.avi)
    gone = share(worksheet, world.noa)
    progress(worksheet, world.avi, completed_at=NOW - timedelta(days=1))
    progress(worksheet, world.noa, completed_at=NOW - timedelta(days=1))
    period = analytics.period_for(world.dana, "30", now=NOW)
    assert analytics.get_resource_stats(world.dana, worksheet.pk, period).completion_rate == 1.0

    gone.delete()  # Noa completed it, but can no longer open it: she leaves both numbers.
    row = analytics.get_resource_stats(world.dana, worksheet.pk, period)
    assert (row.completed_count, row.shared_count, row.completion_rate) == (1, 1, 1.0)

    kept.expires_at = NOW - timedelta(minutes=1)
    kept.save()
    row = analytics.get_resource_stats(world.dana, worksheet.pk, period)
    assert (row.completed_count, row.shared_count, row.completion_rate) == (0, 0, None)


def test_access_through_a_collection_and_archived_clients(world: World) -> None:
    audio = make_resource(world.dana, title="Breathing")
    audio.kind = ResourceKind.AUDIO
    audio.save()
    kit = make_collection(world.dana, audio)
    share(kit, world.avi)
    share(audio, world.noa)
    progress(audio, world.avi, watched_share=0.5)
    progress(audio, world.noa, watched_share=1.0, completed_at=NOW)
    period = analytics.period_for(world.dana, "all", now=NOW)
    row = analytics.get_resource_stats(world.dana, audio.pk, period)
    assert row.shared_count == 2
    assert row.average_watch == pytest.approx(0.75)
    assert row.completion_rate == pytest.approx(0.5)

    CoachClient.objects.filter(coach=world.dana, client=world.noa).update(status="archived")
    row = analytics.get_resource_stats(world.dana, audio.pk, period)
    assert (row.shared_count, row.completed_count) == (1, 0)
    assert [client.pk for client in analytics.client_stats(world.dana, period)] == [world.avi.pk]


def test_sorting(world: World) -> None:
    quiet = make_resource(world.dana, title="A quiet one")
    busy = make_resource(world.dana, title="Busy")
    for days in (1, 2, 3):
        view(busy, world.avi, NOW - timedelta(days=days))
    view(quiet, world.avi, NOW - timedelta(days=1))
    period = analytics.period_for(world.dana, "30", now=NOW)
    assert [r.pk for r in analytics.resource_stats(world.dana, period)] == [busy.pk, quiet.pk]
    by_title = analytics.resource_stats(world.dana, period, sort="title")
    assert [r.pk for r in by_title] == [quiet.pk, busy.pk]
    unknown = analytics.resource_stats(world.dana, period, sort="; drop table")
    assert [r.pk for r in unknown] == [busy.pk, quiet.pk]


def test_views_per_day_in_the_coach_zone(world: World) -> None:
    worksheet = make_resource(world.dana)
    # Dana is in New York (UTC-4 on 19 March 2026): 02:00 UTC on the 20th is still the 19th.
    view(worksheet, world.avi, datetime(2026, 3, 20, 2, 0, tzinfo=UTC))
    view(worksheet, world.noa, datetime(2026, 3, 19, 15, 0, tzinfo=UTC))
    view(worksheet, world.avi, datetime(2026, 3, 20, 11, 0, tzinfo=UTC))
    period = analytics.period_for(world.dana, "7", now=NOW)
    buckets = analytics.views_over_time(worksheet, period)
    assert len(buckets) == 7
    assert buckets[-1].day.isoformat() == "2026-03-20"
    by_day = {bucket.day.isoformat(): bucket.views for bucket in buckets}
    assert by_day["2026-03-19"] == 2
    assert by_day["2026-03-20"] == 1
    assert sum(by_day.values()) == 3


def test_views_per_month_for_all_time(world: World) -> None:
    worksheet = make_resource(world.dana)
    view(worksheet, world.avi, datetime(2026, 1, 10, 12, tzinfo=UTC))
    view(worksheet, world.avi, datetime(2026, 3, 1, 12, tzinfo=UTC))
    buckets = analytics.views_over_time(worksheet, analytics.period_for(world.dana, "all", now=NOW))
    assert [(b.day.isoformat(), b.views) for b in buckets] == [
        ("2026-01-01", 1),
        ("2026-02-01", 0),
        ("2026-03-01", 1),
    ]


def test_viewers_table(world: World) -> None:
    worksheet = make_resource(world.dana)
    share(worksheet, world.noa)
    view(worksheet, world.avi, NOW - timedelta(days=1))
    progress(worksheet, world.avi, view_count=3, last_viewed_at=NOW - timedelta(days=1))
    rows = analytics.viewers(worksheet, analytics.period_for(world.dana, "30", now=NOW))
    assert [(row.client.pk, row.has_access, row.views_in_period) for row in rows] == [
        (world.avi.pk, False, 1),  # opened it once, no access any more
        (world.noa.pk, True, 0),  # has it, never opened
    ]


def test_client_figures(world: World) -> None:
    worksheet = make_resource(world.dana, title="Worksheet")
    video = make_resource(world.dana, title="Video")
    video.kind = ResourceKind.VIDEO
    video.save()
    kit = make_collection(world.dana, worksheet, video)
    share(kit, world.avi)
    share(worksheet, world.avi)  # directly too: still one resource
    view(worksheet, world.avi, NOW - timedelta(days=1))
    view(worksheet, world.avi, NOW - timedelta(days=2))
    progress(worksheet, world.avi, last_viewed_at=NOW - timedelta(days=1), completed_at=NOW)
    progress(video, world.avi, watched_share=0.4, last_viewed_at=NOW - timedelta(days=3))
    period = analytics.period_for(world.dana, "30", now=NOW)
    rows = {client.pk: client for client in analytics.client_stats(world.dana, period)}
    assert set(rows) == {world.avi.pk, world.noa.pk}
    avi = rows[world.avi.pk]
    assert (avi.shared_count, avi.opened_count, avi.completed_count) == (2, 1, 1)
    assert avi.last_opened == NOW - timedelta(days=1)
    assert avi.average_watch == pytest.approx(0.4)
    noa = rows[world.noa.pk]
    assert (noa.shared_count, noa.opened_count, noa.last_opened, noa.average_watch) == (
        0,
        0,
        None,
        None,
    )
    listed = analytics.client_resources(world.dana, world.avi, period)
    assert {r.pk: (r.has_access, r.times_opened, r.views_in_period) for r in listed} == {
        worksheet.pk: (True, 0, 2),
        video.pk: (True, 0, 0),
    }


def test_scoped_to_the_coach(world: World) -> None:
    elis = make_resource(world.eli)
    period = analytics.period_for(world.dana, "30", now=NOW)
    for bad in (elis.pk, "x", -1, 2**64, None):
        with pytest.raises(Http404):
            analytics.get_resource_stats(world.dana, bad, period)
    for bad in (world.maya.pk, world.eli.pk, world.dana.pk, "x", 0):
        with pytest.raises(Http404):
            analytics.get_client_stats(world.dana, bad, period)
    assert analytics.get_client_stats(world.dana, world.avi.pk, period).pk == world.avi.pk
    assert list(analytics.resource_stats(world.dana, period)) == []
    view(elis, world.maya, NOW - timedelta(days=1))
    assert analytics.totals(world.dana, period).views == 0
    assert analytics.totals(world.eli, period).views == 1


def test_constant_queries(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    period = analytics.period_for(world.dana, "30", now=NOW)

    def read_all() -> None:
        for row in analytics.resource_stats(world.dana, period):
            assert row.category is None or row.category.name
        analytics.client_stats(world.dana, period)
        analytics.client_resources(world.dana, world.avi, period)
        analytics.totals(world.dana, period)

    # 6 + 6 + 6 + 4: each a fixed set of grouped reads, whatever the library holds.
    for index in range(3):
        resource = make_resource(world.dana, title=f"R{index}")
        share(resource, world.avi)
        view(resource, world.avi, NOW - timedelta(days=1))
    with django_assert_max_num_queries(22):
        read_all()
    kit = make_collection(world.dana)
    share(kit, world.avi)
    for index in range(3, 30):
        resource = make_resource(world.dana, title=f"R{index}")
        share(resource, world.noa)
        view(resource, world.noa, NOW - timedelta(days=1))
        progress(resource, world.noa, completed_at=NOW)
        CollectionItem.objects.create(coach=world.dana, collection=kit, resource=resource)
    with django_assert_max_num_queries(22):
        read_all()
