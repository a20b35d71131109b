"""Row-level security on every messaging table (DESIGN.md rule 1).

Only the two people of a conversation reach it and what is in it:

* conversations: read and updated (last message) by their coach and client; created
  in the system context (when a client joins);
* participants: read by both people; each updates only their own row (read state);
* messages, earlier texts, reactions, attachments: read by both people; a message is
  written by its sender, a reaction by its author, an attachment by its uploader;
* messaging preferences: the person's own.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy, owner


def member_of(column: str) -> str:
    """The conversation ``column`` points at is one of the acting person's."""
    return f"""EXISTS (
    SELECT 1 FROM messaging_conversation AS c
    WHERE c.id = {column}
      AND (c.coach_id = {CURRENT_USER_ID} OR c.client_id = {CURRENT_USER_ID})
)"""


def message_member(column: str) -> str:
    """The message ``column`` points at is in one of the acting person's conversations."""
    return f"""EXISTS (
    SELECT 1 FROM messaging_message AS m
    JOIN messaging_conversation AS c ON c.id = m.conversation_id
    WHERE m.id = {column}
      AND (c.coach_id = {CURRENT_USER_ID} OR c.client_id = {CURRENT_USER_ID})
)"""


MEMBER = f"{owner('coach_id')} OR {owner('client_id')}"


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRLS(
            "messaging_conversation",
            policies=[
                Policy("member_read", command="SELECT", using=MEMBER),
                Policy("member_update", command="UPDATE", using=MEMBER, with_check=MEMBER),
            ],
        ),
        EnableRLS(
            "messaging_participant",
            policies=[
                Policy(
                    "member_read",
                    command="SELECT",
                    using=member_of("messaging_participant.conversation_id"),
                ),
                Policy(
                    "own_update",
                    command="UPDATE",
                    using=owner("user_id"),
                    with_check=owner("user_id"),
                ),
            ],
        ),
        EnableRLS(
            "messaging_message",
            policies=[
                Policy(
                    "member_read",
                    command="SELECT",
                    using=member_of("messaging_message.conversation_id"),
                ),
                Policy(
                    "sender_insert",
                    command="INSERT",
                    with_check=f"{owner('sender_id')} AND "
                    + member_of("messaging_message.conversation_id"),
                ),
                Policy(
                    "sender_update",
                    command="UPDATE",
                    using=owner("sender_id"),
                    with_check=owner("sender_id"),
                ),
            ],
        ),
        EnableRLS(
            "messaging_messageedit",
            policies=[
                Policy(
                    "member_read",
                    command="SELECT",
                    using=message_member("messaging_messageedit.message_id"),
                ),
                Policy(
                    "sender_insert",
                    command="INSERT",
                    with_check="""EXISTS (
    SELECT 1 FROM messaging_message AS m
    WHERE m.id = messaging_messageedit.message_id AND m.sender_id = loom_current_user_id()
)""",
                ),
            ],
        ),
        EnableRLS(
            "messaging_reaction",
            policies=[
                Policy(
                    "member_read",
                    command="SELECT",
                    using=message_member("messaging_reaction.message_id"),
                ),
                Policy(
                    "own_write",
                    command="INSERT",
                    with_check=f"{owner('user_id')} AND "
                    + message_member("messaging_reaction.message_id"),
                ),
                Policy("own_delete", command="DELETE", using=owner("user_id")),
            ],
        ),
        EnableRLS(
            "messaging_attachment",
            policies=[
                Policy(
                    "member_read",
                    command="SELECT",
                    using=member_of("messaging_attachment.conversation_id"),
                ),
                Policy(
                    "uploader_write",
                    using=f"{owner('uploader_id')} AND "
                    + member_of("messaging_attachment.conversation_id"),
                    with_check=f"{owner('uploader_id')} AND "
                    + member_of("messaging_attachment.conversation_id"),
                ),
            ],
        ),
        EnableRLS("messaging_messagingpreference", using=owner("user_id")),
    ]
