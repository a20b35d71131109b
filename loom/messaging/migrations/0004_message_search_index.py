"""A GIN index for searching a conversation's messages on PostgreSQL.

Its expression is the one ``selectors.messages_search`` filters with
(``to_tsvector('simple'::regconfig, body)``), so the planner can use it. The 'simple'
configuration neither stems nor drops stop words: messages mix Hebrew and English,
and no single language's rules fit both.
"""

from django.db import migrations

SEARCH_INDEX = (
    "CREATE INDEX IF NOT EXISTS message_search ON messaging_message "
    "USING gin (to_tsvector('simple'::regconfig, body))"
)


def add_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(SEARCH_INDEX)


def remove_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS message_search")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0003_conversations_for_existing_clients")]

    operations = [migrations.RunPython(add_search_index, remove_search_index)]
