"""Authorization matrix rows for push devices and the installable app (see tests/security/routes.py).

Push devices belong to one person: any signed-in person has a device list and may
turn push on for their browser; removing a device is its owner's alone (Avi's device
is a 404 for everyone else). The manifest and the service worker are public.
"""

from __future__ import annotations

from typing import Any

from loom.notifications.models import PushSubscription
from tests.security.matrix import (
    BAD_REQUEST,
    LOGIN,
    NOT_ALLOWED,
    NOT_FOUND,
    OK,
    Route,
    everyone,
    expect,
    redirect,
    signed_in,
)
from tests.world import World


def avi_device(world: World) -> dict[str, Any]:
    device = PushSubscription.objects.create(
        user=world.avi,
        endpoint="https://push.example.com/send/avi-matrix",
        # A valid P-256 point and auth secret are not needed for removal.
        p256dh="B" * 87,
        auth="A" * 22,
        device_label="הטלפון של אבי",
    )
    return {"subscription_id": device.pk}


ROUTES: list[Route] = [
    Route(
        "push/devices/",
        get=signed_in(OK),
        post=signed_in(NOT_ALLOWED),
        note="each person's own devices",
    ),
    Route(
        "push/subscriptions/",
        get=signed_in(NOT_ALLOWED),
        post=signed_in(BAD_REQUEST),
        note="JSON only: an empty form is refused",
    ),
    Route(
        "push/subscriptions/<int:subscription_id>/delete/",
        args=avi_device,
        missing="client",
        get=signed_in(NOT_ALLOWED),
        post=expect(NOT_FOUND, anonymous=LOGIN, client=redirect("notifications:preferences")),
    ),
    Route("manifest.webmanifest", get=everyone(OK), post=everyone(NOT_ALLOWED)),
    Route("sw.js", get=everyone(OK), post=everyone(NOT_ALLOWED)),
]
