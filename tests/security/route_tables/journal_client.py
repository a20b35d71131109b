"""Authorization matrix rows for the client's practice journal (pages and API).

The journal is the client's own: Avi reaches his entry; Maya (another coach's client)
gets 404 for it, never a 403 that would confirm it exists. Coaches and the admin are
sent to their own home by the pages and get 403 from the API (only clients keep a
journal). Creating is open to both clients: each writes their own entry.
"""

from __future__ import annotations

from typing import Any

from loom.journal.days import local_today
from loom.journal.models import Entry
from tests.security.matrix import (
    CREATED,
    FORBIDDEN,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    UNAUTHORIZED,
    Outcome,
    Route,
    clients,
    expect,
    redirect,
)
from tests.world import World

NO_CONTENT = Outcome(204)


def avi_entry(world: World) -> dict[str, Any]:
    entry = Entry.objects.create(
        author=world.avi, written_on=local_today(world.avi), title="מטריצה", body="text"
    )
    return {"entry_id": entry.pk}


CLIENT_NOT_ALLOWED = expect(HOME, anonymous=LOGIN, client=NOT_ALLOWED, other_client=NOT_ALLOWED)
API_NOT_ALLOWED = expect(NOT_ALLOWED)
API_CLIENTS = expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=OK, other_client=OK)
API_OWNER = expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=OK, other_client=NOT_FOUND)
P = "journal/"
A = "api/v1/journal/"

ROUTES: tuple[Route, ...] = (
    Route(P, get=clients(OK), post=CLIENT_NOT_ALLOWED),
    Route(
        f"{P}new/",
        data={"body": "A line", "prompt": "", "written_on": ""},
        get=clients(OK),
        post=clients(redirect("journal:entry")),
    ),
    Route(
        f"{P}intention/",
        data={"text": "Breathe"},
        get=CLIENT_NOT_ALLOWED,
        post=clients(redirect("journal:list")),
    ),
    Route(
        f"{P}<int:entry_id>/",
        args=avi_entry,
        missing="client",
        get=clients(OK, other_client=NOT_FOUND),
        post=CLIENT_NOT_ALLOWED,
    ),
    Route(
        f"{P}<int:entry_id>/edit/",
        args=avi_entry,
        missing="client",
        data={"body": "changed", "prompt": "", "written_on": ""},
        get=clients(OK, other_client=NOT_FOUND),
        post=clients(redirect("journal:entry"), other_client=NOT_FOUND),
    ),
    Route(
        f"{P}<int:entry_id>/delete/",
        args=avi_entry,
        missing="client",
        get=clients(OK, other_client=NOT_FOUND),
        post=clients(redirect("journal:list"), other_client=NOT_FOUND),
    ),
    Route(
        f"{P}<int:entry_id>/audio/",
        args=avi_entry,
        missing="client",
        get=clients(NOT_FOUND),
        post=CLIENT_NOT_ALLOWED,
        note="The matrix's entry has no audio note (Avi: 404 too); serving audio is tested "
        "in tests/journal/test_audio.py.",
    ),
    Route(
        f"{A}entries",
        data={"body": "A line"},
        get=API_CLIENTS,
        post=expect(FORBIDDEN, anonymous=UNAUTHORIZED, client=CREATED, other_client=CREATED),
    ),
    Route(
        f"{A}entries/<int:entry_id>",
        args=avi_entry,
        missing="client",
        data={"body": "changed"},
        get=API_OWNER,
        post=API_NOT_ALLOWED,
        other={
            "PATCH": API_OWNER,
            "DELETE": expect(
                FORBIDDEN, anonymous=UNAUTHORIZED, client=NO_CONTENT, other_client=NOT_FOUND
            ),
        },
    ),
    Route(f"{A}stats", get=API_CLIENTS, post=API_NOT_ALLOWED),
    Route(f"{A}prompts", get=API_CLIENTS, post=API_NOT_ALLOWED),
    Route(
        f"{A}intention",
        data={"text": "Breathe"},
        get=API_NOT_ALLOWED,
        post=API_NOT_ALLOWED,
        other={"PUT": API_CLIENTS},
    ),
)
