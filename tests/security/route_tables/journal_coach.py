"""Authorization matrix rows for journal sharing, comments, the coach's journal pages and
the sharing API (see tests/security/routes.py).

The client's actions (share, unshare, comment) are Avi's on his own entry: Maya gets
404, coaches and the admin go home. The coach's pages are Dana's for an entry Avi
shared with her: Eli gets 404. Role gates run before method checks, so a GET of a
POST-only URL is a 405 only for the role the URL belongs to. Empty forms: sharing
without a coach, commenting without text come back to the entry page with a message;
a prompt without text is a 400.

API: share and unshare are the client's (coaches and the admin 403); comments belong
to both parties of a shared entry; the coach's list, entry and prompts are coaches'
(clients and the admin 403). Validation (an empty body, a missing client id) answers
before ownership is looked at.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile

from loom.core.crypto import encrypt_bytes
from loom.journal.models import Comment, Prompt
from tests.journal.sharing_world import make_entry
from tests.security.matrix import (
    BAD_REQUEST,
    CREATED,
    FORBIDDEN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    UNPROCESSABLE,
    Outcome,
    Route,
    clients,
    coaches,
    expect,
    redirect,
    signed_in,
)
from tests.world import World

A = "api/v1/journal/"
NO_CONTENT = Outcome(204)
API_NOT_ALLOWED = expect(NOT_ALLOWED)
CLIENT_ENTRY = redirect("journal:entry")
COACH_ENTRY = redirect("journal_coach:entry")
PROMPTS = redirect("journal_coach:prompts")


def own(outcome: Outcome) -> dict[str, Outcome]:
    """Dana's (coach) object: Dana gets ``outcome``, Eli 404."""
    return coaches(outcome, other_coach=NOT_FOUND)


def avis(outcome: Outcome) -> dict[str, Outcome]:
    """Avi's (client) object: Avi gets ``outcome``, Maya 404."""
    return clients(outcome, other_client=NOT_FOUND)


def avi_entry(world: World) -> dict[str, Any]:
    return {"entry_id": make_entry(world.avi, title="מטריצה").pk}


def shared_entry(world: World) -> dict[str, Any]:
    return {"entry_id": make_entry(world.avi, shared_with=world.dana, title="משותף").pk}


def shared_entry_with_audio(world: World) -> dict[str, Any]:
    entry = make_entry(world.avi, shared_with=world.dana)
    entry.audio.save("a.bin", ContentFile(encrypt_bytes(b"ID3" + b"\x00" * 64)), save=False)
    entry.audio_content_type = "audio/mpeg"
    entry.audio_size = 67
    entry.save()
    return {"entry_id": entry.pk}


def _comment(world: World, author: Any) -> dict[str, Any]:
    entry = make_entry(world.avi, shared_with=world.dana)
    return {"comment_id": Comment.objects.create(entry=entry, author=author, body="הערה").pk}


def avi_comment(world: World) -> dict[str, Any]:
    return _comment(world, world.avi)


def dana_comment(world: World) -> dict[str, Any]:
    return _comment(world, world.dana)


def dana_prompt(world: World) -> dict[str, Any]:
    return {"prompt_id": Prompt.objects.create(coach=world.dana, text="שאלה מנחה").pk}


PARTIES = expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=OK, client=OK)
COACH_API = expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=OK)
OWN_COACH_API = expect(FORBIDDEN, anonymous=UNAUTHORIZED, coach=OK, other_coach=NOT_FOUND)

ROUTES: tuple[Route, ...] = (
    # --- The client's actions --------------------------------------------------------------
    Route(
        "journal/<int:entry_id>/share/",
        args=avi_entry,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=avis(CLIENT_ENTRY),
        note="an empty form: no coach chosen, back to the entry with a message",
    ),
    Route(
        "journal/<int:entry_id>/unshare/",
        args=shared_entry,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=avis(CLIENT_ENTRY),
    ),
    Route(
        "journal/<int:entry_id>/comments/",
        args=shared_entry,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=avis(CLIENT_ENTRY),
        note="an empty comment: back to the entry with a message",
    ),
    Route(
        "journal/comments/<int:comment_id>/delete/",
        args=avi_comment,
        missing="client",
        get=clients(NOT_ALLOWED),
        post=avis(CLIENT_ENTRY),
    ),
    # --- The coach's pages -----------------------------------------------------------------
    Route(
        "coach/journal/<int:entry_id>/",
        args=shared_entry,
        missing="coach",
        get=own(OK),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "coach/journal/<int:entry_id>/audio/",
        args=shared_entry_with_audio,
        missing="coach",
        get=own(OK),
        post=coaches(NOT_ALLOWED),
    ),
    Route(
        "coach/journal/<int:entry_id>/comments/",
        args=shared_entry,
        missing="coach",
        get=coaches(NOT_ALLOWED),
        post=own(COACH_ENTRY),
    ),
    Route(
        "coach/journal/comments/<int:comment_id>/delete/",
        args=dana_comment,
        missing="coach",
        get=coaches(NOT_ALLOWED),
        post=own(COACH_ENTRY),
    ),
    Route("coach/journal/prompts/", get=coaches(OK), post=coaches(BAD_REQUEST)),
    Route(
        "coach/journal/prompts/<int:prompt_id>/edit/",
        args=dana_prompt,
        missing="coach",
        get=own(OK),
        post=own(BAD_REQUEST),
    ),
    Route(
        "coach/journal/prompts/<int:prompt_id>/toggle/",
        args=dana_prompt,
        missing="coach",
        get=coaches(NOT_ALLOWED),
        post=own(PROMPTS),
    ),
    Route(
        "coach/journal/prompts/<int:prompt_id>/delete/",
        args=dana_prompt,
        missing="coach",
        get=own(OK),
        post=own(PROMPTS),
    ),
    # --- The API ---------------------------------------------------------------------------
    Route(
        f"{A}entries/<int:entry_id>/share",
        args=avi_entry,
        get=API_NOT_ALLOWED,
        post=signed_in(UNPROCESSABLE, anonymous=UNAUTHORIZED),
        note="an empty body fails validation (no coach_id) before the ownership check",
    ),
    Route(
        f"{A}entries/<int:entry_id>/unshare",
        args=shared_entry,
        missing="client",
        get=API_NOT_ALLOWED,
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=OK, other_client=NOT_FOUND),
    ),
    Route(
        f"{A}entries/<int:entry_id>/comments",
        args=shared_entry,
        missing="client",
        data={"body": "שלום"},
        get=PARTIES,
        post=expect(NOT_FOUND, anonymous=UNAUTHORIZED, coach=CREATED, client=CREATED),
    ),
    Route(
        f"{A}comments/<int:comment_id>",
        args=avi_comment,
        missing="client",
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"DELETE": expect(NOT_FOUND, anonymous=UNAUTHORIZED, client=NO_CONTENT)},
    ),
    Route(
        f"{A}shared",
        get=signed_in(UNPROCESSABLE, anonymous=UNAUTHORIZED),
        post=API_NOT_ALLOWED,
        note="no client_id: validation answers before the role check",
    ),
    Route(
        f"{A}shared/<int:entry_id>",
        args=shared_entry,
        missing="coach",
        get=OWN_COACH_API,
        post=API_NOT_ALLOWED,
    ),
    Route(
        f"{A}prompts/mine",
        get=COACH_API,
        post=signed_in(UNPROCESSABLE, anonymous=UNAUTHORIZED),
        note="an empty body fails validation (no text) before the role check",
    ),
    Route(
        f"{A}prompts/mine/<int:prompt_id>",
        args=dana_prompt,
        missing="coach",
        data={"text": "שאלה חדשה"},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={
            "PATCH": OWN_COACH_API,
            "DELETE": expect(
                FORBIDDEN, anonymous=UNAUTHORIZED, coach=NO_CONTENT, other_coach=NOT_FOUND
            ),
        },
    ),
)
