"""Template context from accounts: the crisis support panel flashed by ``crisis_flash``."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from loom.accounts.safety import CrisisPanel, crisis_panel_take


class _PanelOnce:
    """Taken from the session only when a template asks (base.html's panel include), so
    fragments and emails rendered with a request do not swallow it; then remembered
    for the rest of the render."""

    def __init__(self, request: HttpRequest) -> None:
        self._request = request
        self._taken = False
        self._panel: CrisisPanel | None = None

    def __call__(self) -> CrisisPanel | None:
        if not self._taken:
            self._taken = True
            self._panel = crisis_panel_take(self._request)
        return self._panel


def crisis(request: HttpRequest) -> dict[str, Any]:
    return {"crisis_panel": _PanelOnce(request)}
