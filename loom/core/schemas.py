"""API shapes every app's django-ninja router shares."""

from __future__ import annotations

from ninja import Schema


class ProblemOut(Schema):
    """An RFC 9457 problem document (every 4xx)."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    code: str | None = None


def problem_responses(*statuses: int) -> dict[int, type[ProblemOut]]:
    """The ``response`` entries of an API operation's error statuses, each a problem document."""
    return dict.fromkeys(statuses, ProblemOut)
