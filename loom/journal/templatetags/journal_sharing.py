"""The share panel and the comment thread of a journal entry, for whoever may see them.

    {% load journal_sharing %}
    {% share_state request entry as share %}      the author's share controls (journal/_share_panel.html)
    {% comment_thread request entry as thread %}  comments + form, author or coach (journal/_comments.html)

Both answer ``show=False`` to anyone else, so the partials render nothing for them.
The share state costs one query (the client's active coaches, which also names the
coach it is shared with); the thread one query (comments with their authors).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import template
from django.urls import reverse

from loom.accounts.models import Role, User
from loom.journal.forms_coach import CommentForm, ShareForm
from loom.journal.models import Entry
from loom.journal.selectors_coach import CommentRow, comments_of
from loom.journal.sharing import active_coaches_of

register = template.Library()


@dataclass
class ShareState:
    show: bool
    is_shared: bool = False
    coach_name: str = ""
    shared_at: datetime | None = None
    coaches: list[User] = field(default_factory=list)
    form: ShareForm | None = None


@dataclass
class Thread:
    show: bool
    rows: list[CommentRow] = field(default_factory=list)
    form: CommentForm | None = None
    can_comment: bool = False
    post_url: str = ""
    delete_url_name: str = ""
    as_coach: bool = False


def _user(request: Any) -> Any:
    user = getattr(request, "user", None)
    return user if getattr(user, "is_authenticated", False) else None


@register.simple_tag
def share_state(request: Any, entry: Entry) -> ShareState:
    """What the author's share panel shows: shared with whom since when, or the form."""
    user = _user(request)
    if user is None or entry is None or entry.author_id != user.pk:
        return ShareState(show=False)
    coaches = active_coaches_of(user)
    if entry.shared_with_id is not None:
        # The coach's name from the active list when possible (no extra query); a coach
        # the client has since left keeps access closed anyway (selectors and RLS).
        named = next((coach for coach in coaches if coach.pk == entry.shared_with_id), None)
        name = named.display_name if named else entry.shared_with.display_name  # type: ignore[union-attr]
        return ShareState(
            show=True,
            is_shared=True,
            coach_name=name,
            shared_at=entry.shared_at,
            coaches=coaches,
        )
    return ShareState(
        show=True, coaches=coaches, form=ShareForm(coaches=coaches) if coaches else None
    )


@register.simple_tag
def comment_thread(request: Any, entry: Entry) -> Thread:
    """The comments of a shared entry (kept for the author after un-sharing, read-only).

    The caller's page has already checked that the viewer may read the entry; this
    only decides which controls they get.
    """
    user = _user(request)
    if user is None or entry is None:
        return Thread(show=False)
    is_author = entry.author_id == user.pk
    is_coach = user.role == Role.COACH and entry.shared_with_id == user.pk
    if not (is_author or is_coach):
        return Thread(show=False)
    rows = comments_of(entry, user)
    can_comment = entry.shared_with_id is not None
    if not rows and not can_comment:
        return Thread(show=False)
    if is_coach and not is_author:
        post_url = reverse("journal_coach:coach_comment_add", args=[entry.pk])
        delete_url_name = "journal_coach:coach_comment_delete"
    else:
        post_url = reverse("journal_coach:comment_add", args=[entry.pk])
        delete_url_name = "journal_coach:comment_delete"
    return Thread(
        show=True,
        rows=rows,
        form=CommentForm() if can_comment else None,
        can_comment=can_comment,
        post_url=post_url,
        delete_url_name=delete_url_name,
        as_coach=is_coach and not is_author,
    )
