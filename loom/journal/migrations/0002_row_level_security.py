"""Row-level security on the practice journal (DESIGN.md rule 1).

* entries: the author (the client) does everything; a coach reads an entry only while
  it is shared with them AND the client is on their active roster — un-sharing or
  archiving the client closes it at once;
* comments: read by whoever can read the entry; written by the author of the comment
  on an entry they can read; deleted by their author, or with the entry by its author;
* prompts: the coach's own; read by the coach's active clients;
* intentions: the client's own.
"""

from django.db import migrations

from loom.core.rls_migrations import CURRENT_USER_ID, EnableRLS, Policy, owner


def active_link(coach: str, client: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM accounts_coachclient AS link
    WHERE link.coach_id = {coach} AND link.client_id = {client} AND link.status = 'active'
)"""


COACH_READS_ENTRY = (
    f"journal_entry.shared_with_id = {CURRENT_USER_ID} AND "
    + active_link(CURRENT_USER_ID, "journal_entry.author_id")
)


def entry_readable(column: str) -> str:
    return f"""EXISTS (
    SELECT 1 FROM journal_entry AS e
    WHERE e.id = {column}
      AND (e.author_id = {CURRENT_USER_ID}
           OR (e.shared_with_id = {CURRENT_USER_ID}
               AND {active_link(CURRENT_USER_ID, "e.author_id")}))
)"""


ENTRY_OWNED = f"""EXISTS (
    SELECT 1 FROM journal_entry AS e
    WHERE e.id = journal_comment.entry_id AND e.author_id = {CURRENT_USER_ID}
)"""


class Migration(migrations.Migration):

    dependencies = [
        ("journal", "0001_initial"),
        ("accounts", "0003_row_level_security"),
    ]

    operations = [
        EnableRLS(
            "journal_entry",
            policies=[
                Policy("author", using=owner("author_id")),
                Policy("shared_coach_read", command="SELECT", using=COACH_READS_ENTRY),
            ],
        ),
        EnableRLS(
            "journal_comment",
            policies=[
                Policy("reader_read", command="SELECT", using=entry_readable("journal_comment.entry_id")),
                Policy(
                    "reader_insert",
                    command="INSERT",
                    with_check=f"{owner('author_id')} AND "
                    + entry_readable("journal_comment.entry_id"),
                ),
                Policy(
                    "delete",
                    command="DELETE",
                    using=f"{owner('author_id')} OR {ENTRY_OWNED}",
                ),
            ],
        ),
        EnableRLS(
            "journal_prompt",
            policies=[
                Policy("coach", using=owner("coach_id")),
                Policy(
                    "client_read",
                    command="SELECT",
                    using=active_link("journal_prompt.coach_id", CURRENT_USER_ID),
                ),
            ],
        ),
        EnableRLS("journal_intention", using=owner("client_id")),
    ]
