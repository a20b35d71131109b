"""Domain errors raised by services; views turn them into form errors, the API into 4xx."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse

API_PREFIX = "/api/"
PROBLEM_CONTENT_TYPE = "application/problem+json"


def is_api_request(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def problem_response(status: int, title: str, detail: str = "") -> JsonResponse:
    """An RFC 9457 problem document, for refusals made outside django-ninja's handlers
    (middleware, CSRF) so that every answer under ``/api/`` has the same shape."""
    body: dict[str, object] = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    return JsonResponse(body, status=status, content_type=PROBLEM_CONTENT_TYPE)


class DomainError(Exception):
    """A rule of the domain refused the request. ``code`` is stable for clients."""

    status = 400
    title = "Request refused"
    code = "refused"

    def __init__(self, message: str = "", *, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class NotFound(DomainError):
    status = 404
    title = "Not found"
    code = "not_found"


class Conflict(DomainError):
    status = 409
    title = "Conflict"
    code = "conflict"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"
    code = "forbidden"
