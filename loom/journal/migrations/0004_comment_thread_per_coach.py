"""A coach reads only their own thread on an entry (review finding L3).

When a client moves an entry from one coach to another, the new coach must not read
what the first coach wrote, nor the client's replies to them. A coach now reads their
own comments and the client's comments written since the entry was shared with them
(``shared_at``: when their continuous access began). The author reads every comment.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, AddPolicy, Policy, RemovePolicy


def active_link(coach: str, client: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {coach} AND link.client_id = {client} AND link.status = 'active'
)"""


OLD_READ = f"""EXISTS (
    SELECT 1 FROM journal_entry AS e
    WHERE e.id = journal_comment.entry_id
      AND (e.author_id = {CURRENT_USER_ID}
           OR (e.shared_with_id = {CURRENT_USER_ID}
               AND {active_link(CURRENT_USER_ID, "e.author_id")}))
)"""

NEW_READ = f"""EXISTS (
    SELECT 1 FROM journal_entry AS e
    WHERE e.id = journal_comment.entry_id
      AND (e.author_id = {CURRENT_USER_ID}
           OR (e.shared_with_id = {CURRENT_USER_ID}
               AND {active_link(CURRENT_USER_ID, "e.author_id")}
               AND (journal_comment.author_id = {CURRENT_USER_ID}
                    OR (journal_comment.author_id = e.author_id
                        AND journal_comment.created_at >= e.shared_at))))
)"""


class Migration(migrations.Migration):

    dependencies = [("journal", "0003_share_time_may_outlive_the_coach")]

    operations = [
        RemovePolicy("journal_comment", Policy("reader_read", command="SELECT", using=OLD_READ)),
        AddPolicy("journal_comment", Policy("reader_read", command="SELECT", using=NEW_READ)),
    ]
