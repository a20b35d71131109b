"""Authorization matrix rows for the realtime polling fallback (see tests/security/routes.py).

Both endpoints act on the signed-in person's own stream only; there is no id in the
URL to cross with. An anonymous visitor gets 401 problem JSON (the page's script tells
"signed out" from "offline" by it). The empty form the harness posts is not a JSON
command: 400. Which conversation a command may name is tested in
tests/messaging/test_stream.py (a foreign one is a 404).
"""

from __future__ import annotations

from tests.security.matrix import (
    BAD_REQUEST,
    NOT_ALLOWED,
    OK,
    UNAUTHORIZED,
    Route,
    everyone,
    signed_in,
)

ROUTES = (
    Route(
        "stream/events/",
        get=signed_in(OK, anonymous=UNAUTHORIZED),
        post=everyone(NOT_ALLOWED),
        note="GET ?after=N: the person's own stream events after N, or a resync frame.",
    ),
    Route(
        "stream/command/",
        get=everyone(NOT_ALLOWED),
        post=signed_in(BAD_REQUEST, anonymous=UNAUTHORIZED),
        note="POST a socket command frame as JSON; the reply frame comes back.",
    ),
)
