"""Request id: taken from a trusted proxy header when well-formed, otherwise generated.

The id stays in the context variable until the response is finished, not only while
the middleware runs: Django logs 4xx/5xx responses ("Not Found: /x") in its handler
*after* the middleware chain has returned, and that line must carry the id too. The
``request_finished`` receiver clears it, so work done after the response (or the next
request on the same thread, before its own id is set) never inherits a stale id.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from loom.core.context import client_ip_var, request_id_var

_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def client_ip(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        request_id = incoming if _VALID_ID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_var.set(request_id)
        client_ip_var.set(client_ip(request))
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


@receiver(request_finished, dispatch_uid="loom.core.middleware.clear_request_context")
def _clear_request_context(sender: Any, **kwargs: Any) -> None:
    request_id_var.set("")
    client_ip_var.set(None)
