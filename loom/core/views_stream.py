"""The realtime stream without websockets: polling for events, posting commands.

A page whose socket cannot connect (a proxy without websockets, a strict network)
falls back to these two endpoints and sees the same thing:

* ``GET /stream/events/?after=N`` → ``{"frames": [...], "seq": M}``: the frames a
  socket's ``hello`` with ``last_seq = N`` would have produced (events, or one
  ``resync``), and the number to ask after next time;
* ``POST /stream/command/`` with a command frame as JSON (``{"type", "ref", …}``) →
  the reply frame the socket would have sent. A command naming something the
  person cannot reach is a 404 (where the socket closes with 4403).

Both answer 401 with problem JSON when the session has ended, so the page can tell
"signed out" from "offline".
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from loom.core.consumers import _COMMANDS, CommandError, CommandForbidden
from loom.core.errors import problem_response
from loom.core.ids import MAX_ID
from loom.core.realtime import events_after, presence_touch

PRESENCE_EVERY_SECONDS = 30
RATE_WINDOW_SECONDS = 10


def _max_body() -> int:
    return int(getattr(settings, "LOOM_SOCKET_MAX_FRAME_BYTES", 65536))


def _signed_out() -> HttpResponse:
    return problem_response(401, "Not signed in", _("Your session has ended. Sign in again."))


def _touch_presence(user_id: int) -> None:
    # A polling page is a person active in Loom, like an open socket; written at most
    # every 30 seconds per person.
    if cache.add(f"stream:presence:{user_id}", 1, PRESENCE_EVERY_SECONDS):
        presence_touch(user_id)


@never_cache
@require_GET
def stream_events(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return _signed_out()
    raw = request.GET.get("after", "0")
    if not raw.isascii() or not raw.isdecimal() or len(raw) > 19 or int(raw) > MAX_ID:
        return problem_response(
            400, "Request refused", _("“after” must be a whole number of zero or more.")
        )
    _touch_presence(user.pk)
    replay = events_after(user_id=user.pk, after=int(raw))
    return JsonResponse({"frames": replay.frames(), "seq": replay.last_seq})


def _rate_limited(user_id: int) -> bool:
    """At most the socket's burst of commands per ten seconds (a fixed window)."""
    limit = int(getattr(settings, "LOOM_SOCKET_RATE_BURST", 40))
    key = f"stream:commands:{user_id}"
    cache.add(key, 0, RATE_WINDOW_SECONDS)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, RATE_WINDOW_SECONDS)
        count = 1
    return count > limit


def _reply(
    ref: Any, *, data: dict[str, Any] | None = None, error: tuple[str, str] | None = None
) -> dict[str, Any]:
    if error is None:
        return {"type": "reply", "ref": ref, "ok": True, "data": data or {}}
    code, detail = error
    return {"type": "reply", "ref": ref, "ok": False, "error": {"code": code, "detail": detail}}


@never_cache
@require_POST
def stream_command(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.is_authenticated:
        return _signed_out()
    if request.content_type != "application/json":
        # A form post has had its body read already (CSRF looks for the token there).
        return problem_response(
            400, "Request refused", _("A command is a JSON object with a type.")
        )
    length = request.META.get("CONTENT_LENGTH") or "0"
    if (length.isdecimal() and int(length) > _max_body()) or len(request.body) > _max_body():
        return problem_response(413, "Too large", _("The command is too large."))
    try:
        frame = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        frame = None
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        return problem_response(
            400, "Request refused", _("A command is a JSON object with a type.")
        )
    if _rate_limited(user.pk):
        return problem_response(429, "Too many requests", _("Too many commands. Wait a moment."))
    ref = frame.get("ref")
    ref = ref if isinstance(ref, str) and len(ref) <= 64 else None
    command = _COMMANDS.get(frame["type"])
    if command is None:
        return JsonResponse(
            _reply(ref, error=("unknown_command", _("Unknown command."))), status=400
        )
    try:
        data = command.handler(user, frame)
    except CommandForbidden:
        return problem_response(404, "Not found", _("There is no such conversation or message."))
    except CommandError as exc:
        return JsonResponse(_reply(ref, error=(exc.code, exc.detail)), status=400)
    return JsonResponse(_reply(ref, data=data or {}))
