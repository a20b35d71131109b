"""Who a conversation, a seat, a message and a file belong to never changes.

The update policies of 0002 check the row a person writes (``WITH CHECK``) but cannot
compare it with the row before: a client could move their conversation to another
coach (who would then read it), a sender could move a message into someone else's
conversation, a person could move their read state to a conversation not theirs, and
an uploader could hang a file on a message of another conversation. A trigger holds
those columns fixed for everyone but the system; a file may only be attached to a
message of its own conversation. PostgreSQL only, like the policies.
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION loom_messaging_fixed_columns() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    col text;
BEGIN
    IF loom_is_system() THEN
        RETURN NEW;
    END IF;
    FOREACH col IN ARRAY TG_ARGV LOOP
        IF to_jsonb(NEW) -> col IS DISTINCT FROM to_jsonb(OLD) -> col THEN
            RAISE EXCEPTION 'row-level security: %.% cannot change', TG_TABLE_NAME, col
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END LOOP;
    -- Nested: only attachments have message_id, and PL/pgSQL does not short-circuit.
    IF TG_TABLE_NAME = 'messaging_attachment' THEN
        IF NEW.message_id IS NOT NULL
           AND NEW.message_id IS DISTINCT FROM OLD.message_id
           AND NOT EXISTS (
               SELECT 1 FROM messaging_message AS m
               WHERE m.id = NEW.message_id
                 AND m.conversation_id = NEW.conversation_id
                 AND m.sender_id = NEW.uploader_id
           ) THEN
            RAISE EXCEPTION 'row-level security: a file joins a message of its own conversation'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
"""

FIXED = {
    "messaging_conversation": ("coach_id", "client_id"),
    "messaging_participant": ("conversation_id", "user_id"),
    "messaging_message": ("conversation_id", "sender_id", "client_id"),
    "messaging_attachment": ("conversation_id", "uploader_id"),
}


def _trigger(table: str) -> str:
    return f"{table}_fixed_columns"


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTION, params=None)
    for table, columns in FIXED.items():
        arguments = ", ".join(f"'{column}'" for column in columns)
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger(table)} ON {table}")
        schema_editor.execute(
            f"CREATE TRIGGER {_trigger(table)} BEFORE UPDATE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION loom_messaging_fixed_columns({arguments})"
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in FIXED:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {_trigger(table)} ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS loom_messaging_fixed_columns()")


class Migration(migrations.Migration):
    dependencies = [("messaging", "0004_message_search_index")]

    operations = [migrations.RunPython(forwards, backwards)]
