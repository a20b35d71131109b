"""Row-level security on every resources table (DESIGN.md rule 1), and the search index.

Who may see and change what (``loom_current_user_id()`` is the acting user; every
table also has a ``system`` policy for ``system_context()`` work):

* categories and tags: the coach; read by the coach's active clients (the client's
  library filters by them);
* resources: the coach; read by a client holding an unexpired share of the resource,
  or of a collection that holds it, while on the coach's active roster;
* collections and their items: the coach; read by a client holding an unexpired
  share of the collection (active roster);
* tags on resources: the coach; read by whoever may read the resource;
* shares: the coach; read by the client they give access to;
* earlier versions: the coach only;
* progress and views: read and written by the client acting as themselves, only
  about a resource they can read and with that resource's coach; read by the coach;
* session homework: the coach; read by the client it was given to.

The search index is a GIN index over the ``simple`` text-search vector of
``search_text`` (no stemming: titles come in English and Hebrew). SQLite has none;
the selectors fall back to a case-insensitive match there.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy, owner


def active_client_of(table: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {table}.coach_id
      AND link.client_id = {CURRENT_USER_ID}
      AND link.status = 'active'
)"""


def live_share(alias: str) -> str:
    """The share row ``alias`` gives the acting user access now."""
    return f"""{alias}.client_id = {CURRENT_USER_ID}
      AND ({alias}.expires_at IS NULL OR {alias}.expires_at > now())"""


RESOURCE_SHARED = f"""EXISTS (
    SELECT 1 FROM resources_share AS s
    WHERE {live_share("s")}
      AND (
        s.resource_id = resources_resource.id
        OR s.collection_id IN (
            SELECT item.collection_id FROM resources_collectionitem AS item
            WHERE item.resource_id = resources_resource.id
        )
      )
) AND {active_client_of("resources_resource")}"""


def collection_shared(table: str, column: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM resources_share AS s
    WHERE {live_share("s")} AND s.collection_id = {table}.{column}
) AND {active_client_of(table)}"""


def client_record(table: str) -> str:
    """A client's own row, about a resource they can read, of that resource's coach."""
    return f"""{owner("client_id")} AND EXISTS (
    SELECT 1 FROM resources_resource AS r
    WHERE r.id = {table}.resource_id AND r.coach_id = {table}.coach_id
)"""


RESOURCE_TAG_READ = """EXISTS (
    SELECT 1 FROM resources_resource AS r WHERE r.id = resources_resourcetag.resource_id
)"""

SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS resource_search ON resources_resource "
    "USING gin (to_tsvector('simple'::regconfig, search_text))"
)


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS resource_search")


def coach_owned(table: str, *, client_read: str | None) -> EnableRLS:
    policies = [Policy("coach", using=owner("coach_id"))]
    if client_read:
        policies.append(Policy("client_read", command="SELECT", using=client_read))
    return EnableRLS(table, policies=policies)


class Migration(migrations.Migration):

    dependencies = [
        ("resources", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        coach_owned("resources_category", client_read=active_client_of("resources_category")),
        coach_owned("resources_tag", client_read=active_client_of("resources_tag")),
        coach_owned("resources_resource", client_read=RESOURCE_SHARED),
        coach_owned("resources_resourcetag", client_read=RESOURCE_TAG_READ),
        coach_owned("resources_resourceversion", client_read=None),
        coach_owned(
            "resources_collection",
            client_read=collection_shared("resources_collection", "id"),
        ),
        coach_owned(
            "resources_collectionitem",
            client_read=collection_shared("resources_collectionitem", "collection_id"),
        ),
        coach_owned("resources_share", client_read=owner("client_id")),
        EnableRLS(
            "resources_resourceprogress",
            policies=[
                Policy("client", using=owner("client_id"), with_check=client_record("resources_resourceprogress")),
                Policy("coach_read", command="SELECT", using=owner("coach_id")),
            ],
        ),
        EnableRLS(
            "resources_resourceview",
            policies=[
                Policy("client", using=owner("client_id"), with_check=client_record("resources_resourceview")),
                Policy("coach_read", command="SELECT", using=owner("coach_id")),
            ],
        ),
        coach_owned("resources_sessionhomework", client_read=owner("client_id")),
        migrations.RunPython(add_search_index, remove_search_index, elidable=False),
    ]
