"""Push devices: turn push on for this browser (JSON from push.js), list and remove devices.

The preferences page includes ``notifications/_push_devices.html``, which loads the
device list from ``push:devices`` (htmx); the same URL is a page of its own without
JavaScript, where devices can still be removed.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from loom.accounts.models import User
from loom.core.errors import NotFound, problem_response
from loom.notifications.push import (
    InvalidSubscription,
    push_subscription_delete,
    push_subscription_save,
    push_subscriptions_for_user,
    vapid_keys,
)

# A subscription is an address and two short keys: a few hundred bytes.
SUBSCRIBE_BODY_MAX_BYTES = 4096


def _devices_context(user: User) -> dict[str, Any]:
    keys = vapid_keys()
    return {
        "push_public_key": keys.public_key if keys else "",
        "push_devices": list(push_subscriptions_for_user(user)),
        # push.js fills in the browser and system ("Chrome on Android") for the label.
        # From Python: in a template, a msgid with "%" is looked up with it doubled.
        "push_label_pattern": _("%(browser)s on %(system)s"),
    }


@login_required
@require_http_methods(["GET"])
def devices(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    context = _devices_context(user)
    if request.headers.get("HX-Request") == "true":
        return TemplateResponse(request, "notifications/_push_devices.html#device_list", context)
    return TemplateResponse(request, "notifications/push_devices.html", context)


@login_required
@require_POST
def subscribe(request: HttpRequest) -> HttpResponse:
    """``{"endpoint", "keys": {"p256dh", "auth"}, "label"}`` (PushSubscription.toJSON + label)."""
    user: User = request.user  # type: ignore[assignment]
    if request.content_type != "application/json":
        return problem_response(400, "Request refused", _("Send the subscription as JSON."))
    if len(request.body) > SUBSCRIBE_BODY_MAX_BYTES:
        return problem_response(400, "Request refused", _("The subscription is too large."))
    try:
        body: Any = json.loads(request.body)
    except (UnicodeDecodeError, ValueError):
        return problem_response(400, "Request refused", _("The subscription is not valid JSON."))
    keys = body.get("keys") if isinstance(body, dict) else None
    if not isinstance(keys, dict):
        return problem_response(400, "Request refused", _("The subscription is not valid."))
    try:
        subscription, created = push_subscription_save(
            user=user,
            endpoint=body.get("endpoint"),
            p256dh=keys.get("p256dh"),
            auth=keys.get("auth"),
            label=body.get("label", ""),
        )
    except InvalidSubscription as exc:
        return problem_response(exc.status, exc.title, str(exc))
    return JsonResponse(
        {"id": subscription.pk, "label": subscription.device_label},
        status=201 if created else 200,
    )


@login_required
@require_POST
def delete(request: HttpRequest, subscription_id: int) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        push_subscription_delete(user=user, subscription_id=subscription_id)
    except NotFound as exc:
        raise Http404 from exc
    if request.headers.get("HX-Request") == "true":
        return TemplateResponse(
            request, "notifications/_push_devices.html#device_list", _devices_context(user)
        )
    messages.success(request, _("The device no longer gets push notifications."))
    return redirect(reverse("notifications:preferences") + "#push-devices")
