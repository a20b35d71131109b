"""The NPS survey offered to the signed-in person (filled in by the NPS work)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def nps_survey(request: HttpRequest) -> dict[str, Any]:
    return {}
