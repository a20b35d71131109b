"""Domain errors raised by services; views turn them into form errors, the API into 4xx."""

from __future__ import annotations


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
