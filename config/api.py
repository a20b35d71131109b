"""The JSON API root at /api/v1/. Apps register their routers in ``ROUTERS``.

Errors are problem-details documents (RFC 9457) so every 4xx has a machine-readable
body; authentication is the browser session with CSRF on unsafe methods.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser
from ninja.security import SessionAuth

from loom.accounts.api import router as accounts_router
from loom.core.errors import DomainError
from loom.journal.api import router as journal_router
from loom.journal.api_sharing import router as journal_sharing_router
from loom.messaging.api import router as messaging_router
from loom.resources.api import router as resources_router
from loom.scheduling.api import router as scheduling_router
from loom.scheduling.api_calendar import router as scheduling_calendar_router
from loom.scheduling.api_groups import router as scheduling_groups_router
from loom.scheduling.api_notes import router as scheduling_notes_router
from loom.wellbeing.api_checkins import router as checkins_router
from loom.wellbeing.api_goals import router as goals_router
from loom.wellbeing.api_progress import router as progress_router


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_text(value: Any) -> None:
    """Every string (keys too) is real Unicode: a lone surrogate (``"\\ud800"``) is
    valid JSON but cannot be stored or sent on as UTF-8."""
    if isinstance(value, str):
        value.encode("utf-8")  # UnicodeEncodeError (a ValueError) on a lone surrogate
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


class JsonObjectParser(Parser):
    """Request bodies are JSON objects sent as ``application/json``, nothing looser.

    Anything else raises, which django-ninja answers with a 400 ("Cannot parse
    request body"): another content type (a ``text/plain`` "simple request" included),
    a top-level array or scalar, ``NaN``/``Infinity``, or text that is not Unicode.
    """

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = request.content_type or ""
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise ValueError(f"unsupported content type {content_type!r}")
        data = json.loads(request.body, parse_constant=_refuse_constant)
        if not isinstance(data, dict):
            raise ValueError("the body must be a JSON object")
        _check_text(data)
        return data


api = NinjaAPI(
    title="Loom API",
    version="1",
    urls_namespace="api",
    auth=SessionAuth(csrf=True),
    docs_url="/docs",
    parser=JsonObjectParser(),
)


def problem(
    request: HttpRequest, status: int, title: str, detail: str = "", **extra: Any
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        **({"detail": detail} if detail else {}),
        **extra,
    }
    response = api.create_response(request, body, status=status)
    response["Content-Type"] = "application/problem+json"
    return response


@api.exception_handler(NinjaValidationError)
def _validation(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    return problem(request, 422, "Invalid input", errors=exc.errors)


@api.exception_handler(ValidationError)
def _django_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    return problem(request, 422, "Invalid input", errors=errors)


@api.exception_handler(DomainError)
def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return problem(request, exc.status, exc.title, str(exc), code=exc.code)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(request, 401, "Not signed in")


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(request, 403, "Forbidden")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return problem(request, 404, "Not found")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return problem(request, 413, "Request body too large")


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(request, exc.status_code, str(exc))


api.add_router("/", accounts_router)
api.add_router("/", scheduling_router)
api.add_router("/", scheduling_groups_router)
api.add_router("/", scheduling_notes_router)
api.add_router("/", scheduling_calendar_router)
api.add_router("/resources/", resources_router)
api.add_router("/messaging/", messaging_router)
api.add_router("/journal/", journal_router)
api.add_router("/journal/", journal_sharing_router)
api.add_router("/wellbeing/", checkins_router)
api.add_router("/wellbeing/", goals_router)
api.add_router("/wellbeing/", progress_router)
