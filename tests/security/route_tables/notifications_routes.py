"""Authorization matrix rows for unsubscribe links and announcements (see tests/security/routes.py).

An unsubscribe link needs no sign-in: the signed token in it names the person, so
everyone (even another signed-in person, e.g. on a shared computer) gets the same
answer. Announcements are the admins' alone.
"""

from __future__ import annotations

from typing import Any

from tests.security.matrix import OK, Route, admins, everyone, redirect
from tests.world import World


def avi_unsubscribe_link(world: World) -> dict[str, Any]:
    from loom.notifications.tokens import unsubscribe_token

    return {"token": unsubscribe_token(user_id=world.avi.pk, scope="session_booked")}


ROUTES: tuple[Route, ...] = (
    Route(
        "notifications/unsubscribe/<str:token>/",
        args=avi_unsubscribe_link,
        get=everyone(OK),
        post=everyone(OK),
        note="The token is the authorization; it can only turn one kind of email off.",
    ),
    Route(
        "admin-area/announcements/",
        data={
            "audience": "coaches",
            "title_en": "הודעת מערכת לבדיקה",
            "title_he": "הודעת מערכת לבדיקה",
        },
        get=admins(OK),
        post=admins(redirect("admin_area:announcements")),
    ),
)
