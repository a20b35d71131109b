"""Authorization matrix rows for the NPS survey (answer, dismiss) and its admin page.

Answering and dismissing are for coaches and clients (POST only); the admin is sent
home, anonymous visitors to sign in. An empty form is a 400 (no score, no survey named)
and writes nothing. The results page is for admins only, GET only.
"""

from __future__ import annotations

from tests.security.matrix import (
    BAD_REQUEST,
    HOME,
    LOGIN,
    NOT_ALLOWED,
    OK,
    Route,
    admins,
    expect,
)

SURVEY_GET = expect(NOT_ALLOWED, anonymous=LOGIN, admin=HOME)
SURVEY_POST = expect(BAD_REQUEST, anonymous=LOGIN, admin=HOME)

ROUTES: tuple[Route, ...] = (
    Route(
        "nps/answer/", get=SURVEY_GET, post=SURVEY_POST, note="An empty form: 400, nothing written."
    ),
    Route(
        "nps/dismiss/",
        get=SURVEY_GET,
        post=SURVEY_POST,
        note="An empty form: 400, nothing written.",
    ),
    Route("admin-area/analytics/nps/", get=admins(OK), post=admins(NOT_ALLOWED)),
)
