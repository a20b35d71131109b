"""Exports under PostgreSQL row-level security, as the application role.

The task runs as the system but reads the table's rows acting as the requester: a
coach's export of a table whose rows come from an RLS-protected query with no scoping
of its own (``test_exports.activity``: daily activity, read unfiltered) holds only that
coach's clients. The export rows themselves are their requester's alone.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

import tests.analytics.test_exports_support  # noqa: F401  (registers the test tables)
from loom.analytics.models import DailyActivity, Export, ExportStatus
from loom.core.context import acting_as, system_context
from tests.conftest import signed_in
from tests.security.conftest import (  # noqa: F401 (app_role is a fixture, used by name)
    APP_ROLE,
    app_role,
    application_connections,
)
from tests.world import World

# app_role: the application role exists with its grants (a fixture, imported above).
pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("app_role")]


def _activity(world: World) -> None:
    now = timezone.now()
    with system_context():
        for index, person in enumerate((world.avi, world.noa, world.maya)):
            DailyActivity.objects.create(
                day=date(2026, 11, 1) + timedelta(days=index),
                user=person,
                role=person.role,
                events=3,
                actions=2,
                visits=1 + index,
                first_at=now,
                last_at=now,
            )


def test_a_coachs_export_holds_only_their_clients(
    transactional_db: None, settings: Any, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path
    world = World.build()
    _activity(world)
    with application_connections(APP_ROLE):
        dana, eli = signed_in(world.dana), signed_in(world.eli)
        for client in (dana, eli):
            response = client.post(
                reverse("analytics_exports:new"),
                {"table": "test_exports.activity", "format": "csv"},
            )
            assert response.status_code == 302
        with system_context():
            exports = {e.requested_by_id: e for e in Export.objects.all()}
        assert {e.status for e in exports.values()} == {ExportStatus.READY}

        def emails(export: Export) -> list[str]:
            with default_storage.open(export.file.name, "rb") as handle:
                text = handle.read().decode("utf-8-sig")
            return [row[0] for row in list(csv.reader(io.StringIO(text)))[1:]]

        assert emails(exports[world.dana.pk]) == ["avi@example.com", "noa@example.com"]
        assert emails(exports[world.eli.pk]) == ["maya@example.com"]

        # The rows of the exports table are their requester's alone.
        with acting_as(world.eli.pk):
            assert list(Export.objects.values_list("requested_by_id", flat=True)) == [world.eli.pk]
        dana_export = exports[world.dana.pk]
        download = reverse("analytics_exports:download", args=[dana_export.pk])
        assert eli.get(download).status_code == 404
        response = dana.get(download)
        assert response.status_code == 200
        assert b"avi@example.com" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
