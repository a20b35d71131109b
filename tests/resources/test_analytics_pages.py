"""The coach's analytics pages and CSV export."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from loom.core.models import AuditLog
from loom.resources.models import ResourceKind, ResourceProgress, ResourceView
from loom.resources.views_analytics import csv_safe
from tests.conftest import signed_in
from tests.resources.factories import make_resource, share
from tests.world import World

pytestmark = pytest.mark.django_db

OVERVIEW = reverse("resources_analytics:overview")
CLIENTS = reverse("resources_analytics:clients")
EXPORT = reverse("resources_analytics:export")


def opened(resource, client, *, days_ago: float = 1, completed: bool = False) -> None:  # type: ignore[no-untyped-def]
    when = timezone.now() - timedelta(days=days_ago)
    ResourceView.objects.create(
        coach_id=resource.coach_id, client=client, resource=resource, viewed_at=when
    )
    ResourceProgress.objects.update_or_create(
        client=client,
        resource=resource,
        defaults={
            "coach_id": resource.coach_id,
            "first_viewed_at": when,
            "last_viewed_at": when,
            "view_count": 1,
            "completed_at": when if completed else None,
        },
    )


def test_overview_shows_views_chart_and_table(world: World) -> None:
    worksheet = make_resource(world.dana, title="Breathing worksheet")
    share(worksheet, world.avi)
    opened(worksheet, world.avi, completed=True)
    response = signed_in(world.dana).get(OVERVIEW)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="img"' in html and "views-chart-title" in html
    assert "Breathing worksheet" in html
    assert "100%" in html  # completion rate: 1 of the 1 client with access
    assert html.index('role="img"') < html.index("<caption>")  # the table follows the chart
    assert reverse("resources_analytics:resource", args=[worksheet.pk]) in html


def test_period_switch_and_sort(world: World) -> None:
    worksheet = make_resource(world.dana, title="Old favourite")
    opened(worksheet, world.avi, days_ago=40)
    client = signed_in(world.dana)
    recent = client.get(OVERVIEW, {"period": "30"}).content.decode()
    assert "No client opened a resource in this period." in recent
    all_time = client.get(OVERVIEW, {"period": "all"}).content.decode()
    assert "No client opened a resource in this period." not in all_time
    assert 'aria-current="page">All time' in all_time
    for bad in ("x" * 500, "<script>", "-1"):
        response = client.get(OVERVIEW, {"period": bad, "sort": bad, "page": bad})
        assert response.status_code == 200
        assert b"<script>" not in response.content
    sorted_page = client.get(OVERVIEW, {"sort": "title"}).content.decode()
    assert 'aria-sort="ascending"' in sorted_page


def test_hostile_title_is_escaped(world: World) -> None:
    bad = make_resource(world.dana, title='<img src=x onerror="alert(1)">')
    opened(bad, world.avi)
    for url in (OVERVIEW, reverse("resources_analytics:resource", args=[bad.pk])):
        html = signed_in(world.dana).get(url).content.decode()
        assert "<img src=x" not in html
        assert "&lt;img src=x" in html


def test_resource_page(world: World) -> None:
    video = make_resource(world.dana, title="Body scan")
    video.kind = ResourceKind.VIDEO
    video.save()
    share(video, world.avi)
    share(video, world.noa)
    opened(video, world.avi)
    ResourceProgress.objects.filter(client=world.avi).update(watched_share=0.42)
    url = reverse("resources_analytics:resource", args=[video.pk])
    html = signed_in(world.dana).get(url, {"period": "7"}).content.decode()
    assert "Views per day" in html
    assert "42%" in html
    assert "Avi Mizrahi" in html and "Noa Peretz" in html
    assert html.count('class="an-chart-rect"') == 7
    monthly = signed_in(world.dana).get(url, {"period": "all"}).content.decode()
    assert "Views per month" in monthly


def test_clients_pages(world: World) -> None:
    worksheet = make_resource(world.dana, title="Values list")
    share(worksheet, world.avi)
    opened(worksheet, world.avi, completed=True)
    client = signed_in(world.dana)
    html = client.get(CLIENTS).content.decode()
    assert "Avi Mizrahi" in html and "Noa Peretz" in html and "Maya" not in html
    detail = client.get(reverse("resources_analytics:client", args=[world.avi.pk]))
    assert detail.status_code == 200
    assert "Values list" in detail.content.decode()


def test_foreign_ids_are_404(world: World) -> None:
    elis = make_resource(world.eli)
    client = signed_in(world.dana)
    assert client.get(reverse("resources_analytics:resource", args=[elis.pk])).status_code == 404
    for person in (world.maya, world.eli, world.admin):
        url = reverse("resources_analytics:client", args=[person.pk])
        assert client.get(url).status_code == 404
    assert client.get("/coach/resources/99999999999999999999/analytics/").status_code == 404


def test_not_for_clients(world: World) -> None:
    for url in (OVERVIEW, CLIENTS, EXPORT):
        response = signed_in(world.avi).get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("client:home")


def test_csv_export_resources(world: World) -> None:
    formula = make_resource(world.dana, title='=HYPERLINK("http://evil")')
    hebrew = make_resource(world.dana, title="נשימה עמוקה")
    share(hebrew, world.avi)
    opened(hebrew, world.avi, completed=True)
    opened(formula, world.avi)
    response = signed_in(world.dana).get(EXPORT, {"period": "7", "scope": "resources"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Resource", "Kind"]
    by_title = {row[0]: row for row in rows[1:]}
    assert '\'=HYPERLINK("http://evil")' in by_title
    assert by_title["נשימה עמוקה"][3:8] == ["1", "1", "1", "1", "100%"]
    audit = AuditLog.objects.get(action="resources.analytics_exported")
    assert audit.actor_id == world.dana.pk
    assert audit.details == {"scope": "resources", "period": "7", "rows": 2}


def test_csv_export_clients_in_hebrew_and_coach_zone(world: World) -> None:
    worksheet = make_resource(world.eli, title="דף עבודה")
    share(worksheet, world.maya)
    opened(worksheet, world.maya)
    ResourceProgress.objects.filter(client=world.maya).update(
        last_viewed_at=timezone.datetime(2026, 3, 19, 23, 30, tzinfo=timezone.UTC)
    )
    response = signed_in(world.eli).get(EXPORT, {"scope": "clients", "period": "all"})
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    with translation.override("he"):  # Eli reads Hebrew: the header is the he catalogue's
        assert rows[0][0] == gettext("Client")
    assert rows[1][0] == world.maya.full_name
    # 23:30 UTC is 01:30 the next day in Jerusalem (Eli's zone, UTC+2 in March).
    expected = timezone.localtime(
        timezone.datetime(2026, 3, 19, 23, 30, tzinfo=timezone.UTC),
        timezone.zoneinfo.ZoneInfo(world.eli.timezone),
    ).strftime("%Y-%m-%d %H:%M")
    assert rows[1][4] == expected


def test_csv_safe() -> None:
    assert csv_safe("=1+1") == "'=1+1"
    assert csv_safe("+972") == "'+972"
    assert csv_safe("-2") == "'-2"
    assert csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert csv_safe("\tx") == "'\tx"
    assert csv_safe("plain") == "plain"
    assert csv_safe(3) == "3"
    assert csv_safe(None) == ""


def test_hebrew_overview(world: World) -> None:
    world.dana.language = "he"
    world.dana.save()
    worksheet = make_resource(world.dana, title="Worksheet")
    opened(worksheet, world.avi)
    html = signed_in(world.dana).get(OVERVIEW).content.decode()
    assert 'dir="rtl"' in html
    assert 'direction="rtl"' in html


def test_pages_have_constant_queries(world: World, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(world.dana)
    urls = [OVERVIEW, CLIENTS, reverse("resources_analytics:client", args=[world.avi.pk])]

    def add(count: int, start: int) -> None:
        for index in range(start, start + count):
            resource = make_resource(world.dana, title=f"Resource {index}")
            share(resource, world.avi)
            share(resource, world.noa)
            opened(resource, world.avi, completed=index % 2 == 0)

    add(3, 0)
    counts = []
    for url in urls:
        client.get(url)
        with django_assert_max_num_queries(20) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured))
    add(30, 3)
    for url, before in zip(urls, counts, strict=True):
        with django_assert_max_num_queries(before):
            assert client.get(url).status_code == 200
