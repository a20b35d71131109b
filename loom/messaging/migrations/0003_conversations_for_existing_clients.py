"""A conversation, with both seats, for every coach and client already linked.

Conversations are made when a client joins (``receivers.conversation_on_join``); this
backfills the links that existed before messaging did. Archived links get none: the
pair has nothing to say to each other in Loom any more. Safe to run again.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    CoachClient = apps.get_model("accounts", "CoachClient")
    Conversation = apps.get_model("messaging", "Conversation")
    Participant = apps.get_model("messaging", "Participant")
    pairs = CoachClient.objects.filter(status="active").values_list("coach_id", "client_id")
    for coach_id, client_id in pairs.iterator():
        conversation, _created = Conversation.objects.get_or_create(
            coach_id=coach_id, client_id=client_id
        )
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, user_id=coach_id),
                Participant(conversation=conversation, user_id=client_id),
            ],
            ignore_conflicts=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0002_row_level_security"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
