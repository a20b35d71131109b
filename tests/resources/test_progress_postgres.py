"""Progress on PostgreSQL: the client's pages as the application role (row-level
security in force), and two tabs reporting at once."""

from __future__ import annotations

import json
import threading

import pytest
from django.db import connection, connections
from django.urls import reverse

from loom.core.context import acting_as, system_context
from loom.resources.models import Resource, ResourceProgress, ResourceView
from loom.resources.progress_services import progress_report
from tests.conftest import signed_in
from tests.resources.factories import make_collection, make_resource, share
from tests.resources.test_progress import make_video
from tests.security.conftest import (
    APP_ROLE,
    app_role,  # noqa: F401 (a fixture, used by name)
    application_connections,
)
from tests.world import World

pytestmark = pytest.mark.postgres


@pytest.mark.usefixtures("app_role")
def test_client_pages_work_as_the_application_role(transactional_db: None) -> None:
    world = World.build()
    video = make_video(world.dana, title="RLS video")
    document = make_resource(world.dana, title="RLS sheet")
    kit = make_collection(world.dana, document, title="RLS kit")
    share(video, world.avi)
    share(kit, world.avi)
    with application_connections(APP_ROLE):
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            assert cursor.fetchone() == (APP_ROLE,)
        avi = signed_in(world.avi)
        assert avi.get(reverse("resources_client:library")).status_code == 200
        assert avi.get(reverse("resources_client:detail", args=[video.pk])).status_code == 200
        report = avi.post(
            reverse("resources_client:progress", args=[video.pk]),
            json.dumps({"played": [[0, 30]], "position": 30, "duration": 60}),
            content_type="application/json",
        )
        assert report.status_code == 200, report.content
        assert report.json()["watched_percent"] == 50
        done = avi.post(
            reverse("resources_client:complete", args=[document.pk]),
            {"complete": "1", "collection": str(kit.pk)},
        )
        assert done.status_code == 302
        assert avi.get(reverse("resources_client:collection", args=[kit.pk])).status_code == 200
        assert avi.get(reverse("client:home")).status_code == 200

        maya = signed_in(world.maya)
        assert maya.get(reverse("resources_client:detail", args=[video.pk])).status_code == 404

        with acting_as(world.avi.pk):
            assert ResourceView.objects.filter(resource=video).count() == 1
            assert ResourceProgress.objects.filter(completed_at__isnull=False).count() == 1
        with acting_as(world.maya.pk):
            assert not ResourceProgress.objects.exists()
        with system_context():
            # Set by the first report, on the coach's row, from the client's request.
            assert Resource.objects.get(pk=video.pk).duration_seconds == 60


def test_two_tabs_reporting_at_once_both_count(transactional_db: None) -> None:
    world = World.build()
    video = make_video(world.dana)
    share(video, world.avi)
    progress_report(
        client=world.avi, resource_id=video.pk, played=[[0, 1]], position=1, duration=100
    )
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def tab(played: list[list[float]]) -> None:
        try:
            barrier.wait(timeout=10)
            progress_report(
                client=world.avi, resource_id=video.pk, played=played, position=0, duration=100
            )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [
        threading.Thread(target=tab, args=([[10, 40]],)),
        threading.Thread(target=tab, args=([[60, 90]],)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    progress = ResourceProgress.objects.get(client=world.avi, resource=video)
    assert progress.played == [[0.0, 1.0], [10.0, 40.0], [60.0, 90.0]]
    assert progress.watched_share == pytest.approx(0.61)
