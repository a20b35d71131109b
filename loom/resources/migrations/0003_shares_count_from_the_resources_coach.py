"""A share or a collection item gives access only when it belongs to the resource's coach.

Row-level security lets a coach write rows whose ``coach_id`` is their own, and a
foreign key does not check who owns the row it points at. A coach could therefore
write a share (or put an item in their own shared collection) pointing at another
coach's resource; a client of both coaches would then have read it. The read policies
now also require the share and the collection item to carry the resource's (or the
collection's) coach, as the selectors do.
"""

from importlib import import_module

from django.db import migrations

from loom.core.rls_migrations import AddPolicy, Policy, RemovePolicy

initial = import_module("loom.resources.migrations.0002_row_level_security")
live_share = initial.live_share
active_client_of = initial.active_client_of

RESOURCE_SHARED = f"""EXISTS (
    SELECT 1 FROM resources_share AS s
    WHERE {live_share("s")}
      AND s.coach_id = resources_resource.coach_id
      AND (
        s.resource_id = resources_resource.id
        OR s.collection_id IN (
            SELECT item.collection_id FROM resources_collectionitem AS item
            WHERE item.resource_id = resources_resource.id
              AND item.coach_id = resources_resource.coach_id
        )
      )
) AND {active_client_of("resources_resource")}"""


def collection_shared(table: str, column: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM resources_share AS s
    WHERE {live_share("s")} AND s.collection_id = {table}.{column}
      AND s.coach_id = {table}.coach_id
) AND {active_client_of(table)}"""


def replace(table: str, old: str, new: str) -> list[migrations.operations.base.Operation]:
    return [
        RemovePolicy(table, Policy("client_read", command="SELECT", using=old)),
        AddPolicy(table, Policy("client_read", command="SELECT", using=new)),
    ]


class Migration(migrations.Migration):
    dependencies = [("resources", "0002_row_level_security")]

    operations = [
        *replace("resources_resource", initial.RESOURCE_SHARED, RESOURCE_SHARED),
        *replace(
            "resources_collection",
            initial.collection_shared("resources_collection", "id"),
            collection_shared("resources_collection", "id"),
        ),
        *replace(
            "resources_collectionitem",
            initial.collection_shared("resources_collectionitem", "collection_id"),
            collection_shared("resources_collectionitem", "collection_id"),
        ),
    ]
