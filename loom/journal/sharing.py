"""Sharing a journal entry with a coach, comments on shared entries, and coach prompts.

An entry is private until its author shares it with ONE of their active coaches
(``Entry.shared_with`` + ``shared_at``); sharing with another coach moves it, un-sharing
clears both fields and the coach loses access at once (the selectors check it
everywhere, row-level security on PostgreSQL as well). Archiving the client closes
access the same way: every coach read requires an active roster link.

Comments: the coach the entry is shared with and the entry's author write them while
the entry is shared; the author keeps reading them after un-sharing. Notices name
the person and never carry a word of the entry or the comment (DESIGN.md rule 2):
"Noa shared a journal entry with you", in the recipient's language, through the
outbox inside the same transaction (rule 5). A client's comment goes through the
crisis safety net (``loom.accounts.safety.safety_check``) like an entry does.

Every refusal raises before anything is written; a foreign id is a ``NotFound``
exactly like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from loom.accounts.models import CoachClient, Language, Role, User
from loom.accounts.safety import CrisisOutcome, safety_check
from loom.core.audit import audit_record
from loom.core.context import system_context
from loom.core.email import email_payload
from loom.core.errors import DomainError, Forbidden, NotFound
from loom.core.ids import parse_object_id
from loom.core.notices import Notice, notice_send, notices_seen
from loom.journal.models import COMMENT_MAX, PROMPT_MAX, Comment, Entry, Prompt

# A coach's own prompts; far above what a practice needs, low enough to stop a flood.
PROMPTS_MAX_PER_COACH = 200


@dataclass
class CommentSaved:
    comment: Comment
    # The safety net's answer for a client's comment (None: nothing found, or a coach wrote it).
    crisis: CrisisOutcome | None = None


# --- Helpers ---------------------------------------------------------------------------------


def _pk(value: Any) -> int | None:
    return parse_object_id(value)


def _language(user: User) -> str:
    return user.language if user.language in Language.values else settings.LANGUAGE_CODE


def _absolute(path: str) -> str:
    return settings.LOOM_BASE_URL.rstrip("/") + path


def _clean_text(value: Any, *, limit: int, empty: str, too_long: str) -> str:
    if not isinstance(value, str):
        raise DomainError(_("Write some text."), code="invalid")
    text = value.strip()
    if not text:
        raise DomainError(empty, code="empty")
    if len(text) > limit:
        raise DomainError(too_long % {"max": f"{limit:,}"}, code="too_long")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # Half of a UTF-16 pair (a JSON escape) cannot be encrypted, stored or shown.
        raise DomainError(
            _("The text contains characters that can't be saved."), code="invalid"
        ) from None
    if "\x00" in text:
        raise DomainError(_("The text contains characters that can't be saved."), code="invalid")
    return text


def active_coaches_of(client: User) -> list[User]:
    """The coaches ``client`` is with now (the ones an entry can be shared with), by name."""
    return list(
        User.objects.filter(
            role=Role.COACH,
            client_links__client=client,
            client_links__status=CoachClient.Status.ACTIVE,
        ).order_by("full_name", "email", "id")
    )


def is_active_link(*, coach_id: int | None, client_id: int) -> bool:
    if coach_id is None:
        return False
    return CoachClient.objects.filter(
        coach_id=coach_id, client_id=client_id, status=CoachClient.Status.ACTIVE
    ).exists()


def own_entry(author: User, entry_id: Any, *, for_update: bool = False) -> Entry:
    pk = _pk(entry_id)
    if not pk or not author.is_authenticated:
        raise NotFound(_("That journal entry does not exist."), code="entry_not_found")
    rows = Entry.objects.filter(pk=pk, author_id=author.pk)
    if for_update:
        rows = rows.select_for_update()
    entry = rows.first()
    if entry is None:
        raise NotFound(_("That journal entry does not exist."), code="entry_not_found")
    return entry


def _email(template: str, recipient: User, context: dict[str, Any]) -> dict[str, Any]:
    return email_payload(
        template=template,
        context={"user_name": recipient.display_name, **context},
        language=_language(recipient),
        time_zone=recipient.timezone,
    )


# --- Sharing ---------------------------------------------------------------------------------


def coach_entry_path(entry_id: int) -> str:
    return reverse("journal_coach:entry", args=[entry_id])


def client_entry_path(entry_id: int) -> str:
    return reverse("journal:entry", args=[entry_id])


def _notify_shared(entry: Entry, *, client: User, coach: User) -> None:
    path = coach_entry_path(entry.pk)
    with translation.override(_language(coach)):
        title = _("%(client)s shared a journal entry with you") % {"client": client.display_name}
        lead = _("Your client %(client)s shared an entry from their practice journal with you.") % {
            "client": client.display_name
        }
    assert entry.shared_at is not None
    notice_send(
        Notice(
            user_id=coach.pk,
            kind="journal_shared",
            source=f"journal-shared:{entry.pk}:{int(entry.shared_at.timestamp() * 1000)}",
            title=title[:200],
            url=path,
            email=_email(
                "journal/email/shared",
                coach,
                {"subject_line": title, "lead": lead, "url": _absolute(path)},
            ),
        )
    )


@transaction.atomic
def entry_share(*, author: User, entry_id: Any, coach_id: Any) -> Entry:
    """Share the author's own entry with one of their active coaches.

    Sharing with another coach moves the entry (one coach at a time) and records the
    new time; a replay with the same coach keeps the time (it starts the coach's view of
    the comments). The coach is told once per share, not per replay; each call is audited.
    """
    entry = own_entry(author, entry_id, for_update=True)
    coach_pk = _pk(coach_id)
    coach = (
        User.objects.filter(
            pk=coach_pk,
            role=Role.COACH,
            client_links__client=author,
            client_links__status=CoachClient.Status.ACTIVE,
        ).first()
        if coach_pk
        else None
    )
    if coach is None:
        raise NotFound(_("That coach was not found among your coaches."), code="coach_not_found")
    previous = entry.shared_with_id
    if previous != coach.pk:
        # ``shared_at`` is when this coach's continuous access began: the coach sees the
        # comments written since then (``selectors_coach.comments_of``), so a replayed
        # share keeps it and a move to another coach starts a fresh thread for them.
        entry.shared_with = coach
        entry.shared_at = timezone.now()
        entry.save(update_fields=["shared_with", "shared_at"])
    audit_record(
        action="journal.entry_shared",
        actor=author,
        target=entry,
        details={"coach_id": coach.pk, "previous_coach_id": previous},
    )
    if previous != coach.pk:
        _notify_shared(entry, client=author, coach=coach)
        if previous is not None:
            _forget_notices(entry.pk, previous)
    return entry


def coach_notices_forget(entry_id: int, coach_id: int) -> None:
    """The coach can no longer open the entry (un-shared, moved or deleted): what told
    them about it is marked seen, so no pending email or push links to a 404."""
    _forget_notices(entry_id, coach_id)


def _forget_notices(entry_id: int, coach_id: int) -> None:
    notices_seen(user_id=coach_id, source_prefix=f"journal-shared:{entry_id}:")
    notices_seen(user_id=coach_id, source_prefix=f"journal-comment:{entry_id}:")


@transaction.atomic
def entry_unshare(*, author: User, entry_id: Any) -> Entry:
    """Make the entry private again; a second call is a no-op (nothing audited)."""
    entry = own_entry(author, entry_id, for_update=True)
    coach_id = entry.shared_with_id
    if coach_id is None:
        return entry
    entry.shared_with = None
    entry.shared_at = None
    entry.save(update_fields=["shared_with", "shared_at"])
    audit_record(
        action="journal.entry_unshared", actor=author, target=entry, details={"coach_id": coach_id}
    )
    _forget_notices(entry.pk, coach_id)
    return entry


# --- Comments --------------------------------------------------------------------------------


def entry_for_commenter(user: User, entry_id: Any) -> Entry:
    """The entry ``user`` may comment on now: their own shared entry, or one shared with
    them by a client on their active roster. Anything else is ``NotFound``."""
    pk = _pk(entry_id)
    if not pk or not user.is_authenticated:
        raise NotFound(_("That journal entry does not exist."), code="entry_not_found")
    on_roster = CoachClient.objects.filter(
        coach_id=user.pk, client_id=OuterRef("author_id"), status=CoachClient.Status.ACTIVE
    )
    rows = Entry.objects.filter(pk=pk).filter(
        Q(author_id=user.pk) | Q(Exists(on_roster), shared_with_id=user.pk)
    )
    # Not locked: SELECT ... FOR UPDATE needs an UPDATE policy, which a coach (rightly)
    # does not have on journal_entry; the comment's INSERT policy re-checks access.
    entry = rows.select_related("author", "shared_with").first()
    if entry is None:
        raise NotFound(_("That journal entry does not exist."), code="entry_not_found")
    return entry


def _notify_comment(entry: Entry, comment: Comment, *, writer: User, reader: User) -> None:
    if writer.pk == entry.author_id:
        path = coach_entry_path(entry.pk)
    else:
        path = client_entry_path(entry.pk)
    with translation.override(_language(reader)):
        title = _("%(name)s commented on a journal entry") % {"name": writer.display_name}
        lead = _("%(name)s added a comment to a shared journal entry in Loom.") % {
            "name": writer.display_name
        }
    notice_send(
        Notice(
            user_id=reader.pk,
            kind="journal_comment",
            source=f"journal-comment:{entry.pk}:{comment.pk}",
            title=title[:200],
            url=path,
            collapse_key=f"journal-comment:{entry.pk}",
            email=_email(
                "journal/email/comment",
                reader,
                {"subject_line": title, "lead": lead, "url": _absolute(path)},
            ),
        )
    )


@transaction.atomic
def comment_add(*, author: User, entry_id: Any, body: Any) -> CommentSaved:
    """A comment by the coach the entry is shared with, or by the entry's author.

    Only while the entry is shared (the author's thread stays readable afterwards).
    The other party is told (no text); a client's comment goes through the safety net.
    """
    entry = entry_for_commenter(author, entry_id)
    if entry.shared_with_id is None:
        raise DomainError(_("Share the entry with your coach to add a comment."), code="not_shared")
    text = _clean_text(
        body,
        limit=COMMENT_MAX,
        empty=_("Write a comment first."),
        too_long=_("A comment can be at most %(max)s characters."),
    )
    comment = Comment.objects.create(entry=entry, author=author, body=text)
    is_client = author.pk == entry.author_id
    reader = entry.shared_with if is_client else entry.author
    assert reader is not None
    # A coach the client has since left (archived link) can no longer open the entry:
    # telling them the client wrote again would leak activity through a dead link.
    if not is_client or is_active_link(coach_id=entry.shared_with_id, client_id=entry.author_id):
        _notify_comment(entry, comment, writer=author, reader=reader)
    audit_record(
        action="journal.comment_added",
        actor=author,
        target=entry,
        details={"comment_id": comment.pk},
    )
    crisis = None
    if is_client:
        crisis = safety_check(
            client=author, text=text, source="journal_comment", source_id=comment.pk
        )
    return CommentSaved(comment=comment, crisis=crisis)


@transaction.atomic
def comment_delete(*, author: User, comment_id: Any) -> Comment:
    """Delete one of ``author``'s own comments. The client may delete theirs at any time;
    a coach only while the entry is still shared with them (they cannot see it otherwise)."""
    pk = _pk(comment_id)
    comment = (
        Comment.objects.select_related("entry").filter(pk=pk, author_id=author.pk).first()
        if pk and author.is_authenticated
        else None
    )
    if comment is None:
        raise NotFound(_("That comment does not exist."), code="comment_not_found")
    entry = comment.entry
    if entry.author_id != author.pk and not (
        entry.shared_with_id == author.pk
        and is_active_link(coach_id=author.pk, client_id=entry.author_id)
    ):
        raise NotFound(_("That comment does not exist."), code="comment_not_found")
    removed = comment.pk
    comment.delete()
    comment.pk = removed
    audit_record(
        action="journal.comment_deleted",
        actor=author,
        target=entry,
        details={"comment_id": removed},
    )
    return comment


# --- Coach prompts ---------------------------------------------------------------------------


def _require_coach(user: User) -> None:
    if not user.is_authenticated or user.role != Role.COACH:
        raise Forbidden(_("Only coaches can write journal prompts."), code="not_a_coach")


def _prompt_text(value: Any) -> str:
    return _clean_text(
        value,
        limit=PROMPT_MAX,
        empty=_("Write the prompt first."),
        too_long=_("A prompt can be at most %(max)s characters."),
    )


def own_prompt(coach: User, prompt_id: Any, *, for_update: bool = False) -> Prompt:
    pk = _pk(prompt_id)
    rows = Prompt.objects.filter(pk=pk, coach_id=coach.pk) if pk else Prompt.objects.none()
    if for_update:
        rows = rows.select_for_update()
    prompt = rows.first()
    if prompt is None:
        raise NotFound(_("That prompt does not exist."), code="prompt_not_found")
    return prompt


@transaction.atomic
def prompt_create(*, coach: User, text: Any) -> Prompt:
    """A new prompt, offered at once to the coach's active clients."""
    _require_coach(coach)
    clean = _prompt_text(text)
    # Counted under a lock on the coach's row, so two tabs cannot pass the cap together.
    User.objects.select_for_update().filter(pk=coach.pk).first()
    if Prompt.objects.filter(coach_id=coach.pk).count() >= PROMPTS_MAX_PER_COACH:
        raise DomainError(
            _("You have reached the limit of %(max)s prompts. Delete one you no longer use.")
            % {"max": PROMPTS_MAX_PER_COACH},
            code="too_many",
        )
    return Prompt.objects.create(coach=coach, text=clean)


@transaction.atomic
def prompt_update(
    *, coach: User, prompt_id: Any, text: Any = None, is_active: bool | None = None
) -> Prompt:
    """Change the text and/or whether clients are offered the prompt (None: unchanged)."""
    _require_coach(coach)
    prompt = own_prompt(coach, prompt_id, for_update=True)
    fields = []
    if text is not None:
        prompt.text = _prompt_text(text)
        fields.append("text")
    if is_active is not None:
        if not isinstance(is_active, bool):
            raise DomainError(_("Choose whether clients see the prompt."), code="invalid")
        prompt.is_active = is_active
        fields.append("is_active")
    if fields:
        prompt.save(update_fields=fields)
    return prompt


@transaction.atomic
def prompt_delete(*, coach: User, prompt_id: Any) -> None:
    """Delete the prompt; entries that answered it keep their text (the link is cleared)."""
    _require_coach(coach)
    prompt = own_prompt(coach, prompt_id, for_update=True)
    # The entries that answered it are the clients' rows, which the coach (rightly) may
    # not update under row-level security, so Django's SET_NULL would clear nothing and
    # the delete would fail on the foreign key. The prompt is the coach's (checked and
    # locked above), so the system clears exactly its links, nothing else.
    with system_context():
        Entry.objects.filter(prompt_id=prompt.pk).update(prompt=None)
    prompt.delete()
