"""Row-level security of the resource library, proven with raw SQL as the application role.

Nothing from the application runs between the test and the database (``raw_as``): the
policies of ``loom/resources/migrations/0002_row_level_security.py`` alone decide.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from loom.accounts.models import CoachClient
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
from loom.resources.selectors import shared_resources_for_client
from loom.scheduling.models import Session, SessionType
from tests.resources.factories import make_collection, make_resource, share
from tests.security.conftest import raw_as, rows
from tests.world import World

pytestmark = pytest.mark.postgres

TABLES = [
    "resources_category",
    "resources_tag",
    "resources_resource",
    "resources_resourcetag",
    "resources_resourceversion",
    "resources_collection",
    "resources_collectionitem",
    "resources_share",
    "resources_resourceprogress",
    "resources_resourceview",
    "resources_sessionhomework",
]
# What a coach's active client may read of the coach's library without any share:
# the category and tag names the client's library filters by.
ROSTER_READABLE = {"resources_category", "resources_tag"}

PROGRESS_INSERT = (
    "INSERT INTO resources_resourceprogress (coach_id, client_id, resource_id, view_count, "
    "played, watched_share, position_seconds, updated_at) "
    "VALUES (%s, %s, %s, 1, '[]', 0, 0, now())"
)
VIEW_INSERT = (
    "INSERT INTO resources_resourceview (coach_id, client_id, resource_id, viewed_at) "
    "VALUES (%s, %s, %s, now())"
)
DENIED = "row-level security"


@dataclass
class Library:
    direct: Resource  # shared with Avi directly
    inside: Resource  # in the collection shared with Avi
    private: Resource  # shared with nobody
    collection: Collection
    elis: Resource


def _library(world: World) -> Library:
    """A full library for Dana (every table has rows) and a little one for Eli."""
    category = Category.objects.create(coach=world.dana, name="Worksheets")
    tag = Tag.objects.create(coach=world.dana, name="calm")
    direct = make_resource(world.dana, title="Direct", category=category)
    inside = make_resource(world.dana, title="Inside")
    private = make_resource(world.dana, title="Private")
    for resource in (direct, inside, private):
        ResourceTag.objects.create(coach=world.dana, resource=resource, tag=tag)
    version = ResourceVersion(
        coach=world.dana,
        resource=direct,
        version=1,
        file_kind="pdf",
        content_type="application/pdf",
        size_bytes=4,
        original_name="old.pdf",
    )
    version.file.save("old", ContentFile(b"%PDF"), save=False)
    version.save()
    collection = make_collection(world.dana, inside, title="Kit")
    make_collection(world.dana, private, title="Unshared kit")
    share(direct, world.avi)
    share(collection, world.avi)
    for resource in (direct, inside):
        ResourceProgress.objects.create(
            coach=world.dana, client=world.avi, resource=resource, view_count=1
        )
        ResourceView.objects.create(coach=world.dana, client=world.avi, resource=resource)
    start = timezone.now() + timedelta(days=1)
    kind = SessionType.objects.create(coach=world.dana, name_en="Coaching", duration_minutes=60)
    session = Session.objects.create(
        coach=world.dana,
        client=world.avi,
        session_type=kind,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        coach_timezone=world.dana.timezone,
        status="scheduled",
    )
    SessionHomework.objects.create(
        coach=world.dana, client=world.avi, session=session, resource=direct
    )
    elis = make_resource(world.eli, title="Eli's")
    Category.objects.create(coach=world.eli, name="Eli's category")
    share(elis, world.maya)
    return Library(direct=direct, inside=inside, private=private, collection=collection, elis=elis)


def _of_dana(cursor: Any, table: str, world: World) -> int:
    return rows(cursor, f"SELECT count(*) FROM {table} WHERE coach_id = %s", [world.dana.pk])[0]  # noqa: S608


def _resource_ids(cursor: Any) -> set[int]:
    return set(rows(cursor, "SELECT id FROM resources_resource"))


def test_every_resources_table_has_rls_forced(db: None) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = ANY(%s) "
            "AND relrowsecurity AND relforcerowsecurity",
            [TABLES],
        )
        assert {row[0] for row in cursor.fetchall()} == set(TABLES)


def test_every_table_has_rows_of_dana_to_leak(app_role: str, world: World) -> None:
    _library(world)
    with raw_as("system") as cursor:
        for table in TABLES:
            assert _of_dana(cursor, table, world) > 0, table


def test_another_coach_and_another_coachs_client_read_nothing_of_danas(
    app_role: str, world: World
) -> None:
    _library(world)
    for person in (world.eli, world.maya):
        with raw_as(person.pk) as cursor:
            for table in TABLES:
                assert _of_dana(cursor, table, world) == 0, (person.email, table)


def test_a_client_with_nothing_shared_reads_only_category_and_tag_names(
    app_role: str, world: World
) -> None:
    _library(world)
    with raw_as(world.noa.pk) as cursor:
        for table in TABLES:
            readable = _of_dana(cursor, table, world)
            assert (readable > 0) == (table in ROSTER_READABLE), table


def test_nobody_acting_reads_nothing(app_role: str, world: World) -> None:
    _library(world)
    for setting in (None, "", "0", "abc"):
        with raw_as(setting) as cursor:
            for table in TABLES:
                assert rows(cursor, f"SELECT count(*) FROM {table}") == [0], table  # noqa: S608


def test_a_shared_client_reads_exactly_what_is_shared(app_role: str, world: World) -> None:
    library = _library(world)
    shared = {library.direct.pk, library.inside.pk}
    with raw_as(world.avi.pk) as cursor:
        assert _resource_ids(cursor) == shared
        assert rows(cursor, "SELECT id FROM resources_collection") == [library.collection.pk]
        assert set(rows(cursor, "SELECT resource_id FROM resources_collectionitem")) == {
            library.inside.pk
        }
        assert set(rows(cursor, "SELECT resource_id FROM resources_resourcetag")) == shared
        assert set(rows(cursor, "SELECT client_id FROM resources_share")) == {world.avi.pk}
        assert set(rows(cursor, "SELECT client_id FROM resources_resourceprogress")) == {
            world.avi.pk
        }
        assert set(rows(cursor, "SELECT client_id FROM resources_sessionhomework")) == {
            world.avi.pk
        }
        # Earlier versions of a file are the coach's alone.
        assert rows(cursor, "SELECT count(*) FROM resources_resourceversion") == [0]
    with raw_as(world.dana.pk) as cursor:
        assert _resource_ids(cursor) == shared | {library.private.pk}
        assert rows(cursor, "SELECT count(*) FROM resources_resourceversion") == [1]


def test_access_ends_with_expiry_unsharing_and_archiving(app_role: str, world: World) -> None:
    library = _library(world)
    Share.objects.filter(resource=library.direct).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    with raw_as(world.avi.pk) as cursor:
        assert _resource_ids(cursor) == {library.inside.pk}
    Share.objects.filter(collection=library.collection).delete()
    with raw_as(world.avi.pk) as cursor:
        assert _resource_ids(cursor) == set()
        assert rows(cursor, "SELECT count(*) FROM resources_collection") == [0]
        assert rows(cursor, "SELECT count(*) FROM resources_collectionitem") == [0]
    # A live share again, then the client is archived: nothing while archived.
    Share.objects.filter(resource=library.direct).update(expires_at=None)
    with raw_as(world.avi.pk) as cursor:
        assert _resource_ids(cursor) == {library.direct.pk}
    CoachClient.objects.filter(coach=world.dana, client=world.avi).update(
        status=CoachClient.Status.ARCHIVED, archived_at=timezone.now()
    )
    with raw_as(world.avi.pk) as cursor:
        assert _resource_ids(cursor) == set()
        assert rows(cursor, "SELECT count(*) FROM resources_category") == [0]


def test_a_client_records_progress_only_on_what_they_can_read(app_role: str, world: World) -> None:
    library = _library(world)
    ResourceProgress.objects.all().delete()
    ResourceView.objects.all().delete()
    for statement in (PROGRESS_INSERT, VIEW_INSERT):
        # Not shared with them.
        with (
            raw_as(world.avi.pk) as cursor,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
        ):
            cursor.execute(statement, [world.dana.pk, world.avi.pk, library.private.pk])
        # Shared, but claiming another coach.
        with (
            raw_as(world.avi.pk) as cursor,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
        ):
            cursor.execute(statement, [world.eli.pk, world.avi.pk, library.direct.pk])
        # As someone else.
        with (
            raw_as(world.avi.pk) as cursor,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
        ):
            cursor.execute(statement, [world.dana.pk, world.noa.pk, library.direct.pk])
        # Another coach's resource, shared with someone else.
        with (
            raw_as(world.avi.pk) as cursor,
            pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
        ):
            cursor.execute(statement, [world.eli.pk, world.avi.pk, library.elis.pk])
        # Their own record of a shared resource, with its coach: allowed.
        with raw_as(world.avi.pk) as cursor:
            cursor.execute(statement, [world.dana.pk, world.avi.pk, library.direct.pk])
            assert cursor.rowcount == 1


def test_a_client_cannot_write_shares_or_the_library(app_role: str, world: World) -> None:
    library = _library(world)
    with (
        raw_as(world.avi.pk) as cursor,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
    ):
        cursor.execute(
            "INSERT INTO resources_share (coach_id, client_id, resource_id, can_download, source, "
            "created_at, updated_at) VALUES (%s, %s, %s, true, 'chosen', now(), now())",
            [world.dana.pk, world.avi.pk, library.private.pk],
        )
    with raw_as(world.avi.pk) as cursor:
        # Their own share row is readable, never changeable (no longer expiry, downloads).
        cursor.execute("UPDATE resources_share SET can_download = true, expires_at = NULL")
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM resources_share")
        assert cursor.rowcount == 0
        cursor.execute("UPDATE resources_resource SET title = 'x'")
        assert cursor.rowcount == 0
    with raw_as(world.eli.pk) as cursor:
        cursor.execute("DELETE FROM resources_share WHERE coach_id = %s", [world.dana.pk])
        assert cursor.rowcount == 0
    assert Share.objects.filter(coach=world.dana).count() == 2
    assert Resource.objects.filter(title="x").count() == 0


def test_a_coach_cannot_share_anothers_resource_or_pose_as_them(
    app_role: str, world: World
) -> None:
    library = _library(world)
    insert = (
        "INSERT INTO resources_share (coach_id, client_id, resource_id, can_download, source, "
        "created_at, updated_at) VALUES (%s, %s, %s, true, 'chosen', now(), now())"
    )
    with (
        raw_as(world.eli.pk) as cursor,
        pytest.raises(psycopg.errors.InsufficientPrivilege, match=DENIED),
    ):
        cursor.execute(insert, [world.dana.pk, world.maya.pk, library.direct.pk])
    with raw_as(world.dana.pk) as cursor:
        cursor.execute(insert, [world.dana.pk, world.noa.pk, library.private.pk])
        assert cursor.rowcount == 1


def test_a_forged_share_or_collection_item_of_another_coach_gives_nothing(
    app_role: str, world: World
) -> None:
    """A client of two coaches: Eli writes rows of his own (coach_id = Eli) that point at
    Dana's resource, trying to hand it to their common client. Access must come from the
    resource's own coach only, so Avi still reads nothing of Dana's private resource."""
    library = _library(world)
    CoachClient.objects.create(coach=world.eli, client=world.avi)
    elis_kit = make_collection(world.eli, title="Eli's kit")
    # The writes pass Eli's own policy (coach_id is his); the reads must not follow them.
    with raw_as(world.eli.pk) as cursor:
        cursor.execute(
            "INSERT INTO resources_collectionitem (coach_id, collection_id, resource_id, position) "
            "VALUES (%s, %s, %s, 0)",
            [world.eli.pk, elis_kit.pk, library.private.pk],
        )
        assert cursor.rowcount == 1
    Share.objects.create(coach=world.eli, client=world.avi, resource=library.private)
    CollectionItem.objects.create(coach=world.eli, collection=elis_kit, resource=library.private)
    Share.objects.create(coach=world.eli, client=world.avi, collection=elis_kit)
    with raw_as(world.avi.pk) as cursor:
        assert _resource_ids(cursor) == {library.direct.pk, library.inside.pk}
        # Eli's own collection is his to share with his client; Dana's resource in it is not.
        assert set(rows(cursor, "SELECT id FROM resources_collection")) == {
            library.collection.pk,
            elis_kit.pk,
        }
    assert library.private.pk not in {r.pk for r in shared_resources_for_client(world.avi)}
