"""Request id (``RequestIdMiddleware``) and refusal of undecodable input (``InputEncodingMiddleware``).

Request id: taken from a trusted proxy header when well-formed, otherwise generated.

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
from urllib.parse import unquote_to_bytes

from django.core.exceptions import BadRequest
from django.core.signals import request_finished
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse

from loom.core.context import client_ip_var, request_id_var
from loom.core.errors import is_api_request, problem_response

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


def _form_decoded(raw: bytes) -> str | None:
    """``raw`` (a query string or urlencoded body) unquoted, or ``None`` if it is not UTF-8."""
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return None


def _query_string_bytes(request: HttpRequest) -> bytes:
    query = request.META.get("QUERY_STRING", "")
    if isinstance(query, bytes):
        return query
    try:
        # WSGI hands over the raw bytes decoded as ISO-8859-1.
        return query.encode("iso-8859-1")
    except UnicodeEncodeError:
        return query.encode("utf-8", "surrogateescape")


class InputEncodingMiddleware:
    """Refuses (400) input no view can use: a query string or form body that is not
    UTF-8, and NUL characters in a query string.

    Django decodes form data leniently, turning undecodable bytes into U+FFFD, so a
    name sent as broken bytes would otherwise be saved as "\ufffd\ufffd" without a
    word. PostgreSQL cannot store or even compare text holding NUL, so a NUL in any
    query parameter that reaches a text lookup (an admin list filter, a search) is a
    database error. Browsers send neither; they come from broken or hostile clients,
    which get a clear refusal before any view runs: the 400 page, or a
    problem-details document under ``/api/``. NUL in a form's fields is left to the
    forms, whose field errors say which field is wrong. Multipart bodies are not read
    here (they may be large uploads); their fields are checked by the forms.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        query = _form_decoded(_query_string_bytes(request))
        if query is None:
            return self._refuse(request, "The address is not valid UTF-8.")
        if "\x00" in query:
            return self._refuse(request, "The address contains a NUL character.")
        # Django reads the whole body of such requests anyway (bounded by
        # DATA_UPLOAD_MAX_MEMORY_SIZE, which answers 400 when exceeded).
        if (
            request.method not in ("GET", "HEAD", "OPTIONS")
            and request.content_type == "application/x-www-form-urlencoded"
            and _form_decoded(request.body) is None
        ):
            return self._refuse(request, "The form data is not valid UTF-8.")
        return self.get_response(request)

    @staticmethod
    def _refuse(request: HttpRequest, detail: str) -> HttpResponse:
        if is_api_request(request):
            return problem_response(400, "Invalid input", detail)
        # The site's 400 page (handler400), rendered by Django's exception handling.
        raise BadRequest(detail)
