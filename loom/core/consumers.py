"""The one websocket every signed-in page opens: ``/ws/stream/``.

It carries the person's realtime stream (``loom.core.realtime``) down, and commands
(send a message, react, mark read, typing…) up. Apps add commands at ``ready()`` with
``realtime_register_command``; core knows none of them.

Protocol (JSON text frames):

* client → server, first: ``{"type": "hello", "last_seq": N}``. The server answers
  with every event after N (``{"type": "event", "seq", "kind", "data"}``) and then
  ``{"type": "ready", "seq": M}``, or with ``{"type": "resync", "seq": M}`` when the
  client must refetch its screen and continue from M.
* afterwards events arrive as they are committed, in sequence order, each once per
  socket. ``{"type": "ping"}`` is answered by ``{"type": "pong", "seq": M}``.
* a command: ``{"type": "<name>", "ref": "<client token>", …}``. The answer is
  ``{"type": "reply", "ref", "ok": true, "data": {…}}`` or ``{"type": "reply", "ref",
  "ok": false, "error": {"code", "detail"}}``. A command that names something the
  person may not reach closes the socket with 4403.

Close codes: 4401 not signed in, 4403 forbidden, 4400 a malformed frame after
warnings, 4413 a frame over ``LOOM_SOCKET_MAX_FRAME_BYTES``, 4429 over the rate limit.
The Origin header is checked before any of this (``AllowedHostsOriginValidator``).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import json
import random
import time
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from types import SimpleNamespace
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib import auth

from loom.core.context import ActingUserConsumerMixin, acting_as, system_context
from loom.core.logging import get_logger
from loom.core.models import UserStream
from loom.core.realtime import (
    Replay,
    events_after,
    presence_touch,
    stream_group,
)

logger = get_logger(__name__)

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_MALFORMED = 4400
CLOSE_TOO_LARGE = 4413
CLOSE_RATE_LIMITED = 4429

# How often an idle socket checks its stream without a bell (a lost bell — Redis
# restarting — is healed within this), and how often presence is written.
HEAL_SECONDS = 5.0
PRESENCE_SECONDS = 30.0
MALFORMED_ALLOWED = 5
# How long a socket trusts the session it opened with before it checks again that the
# session still exists and still signs in this person (signed out elsewhere, password
# changed, account deactivated): at most this long, private events would still flow.
SESSION_CHECK_SECONDS = 15.0


def session_still_signs_in(session_key: str | None, user_id: int) -> bool:
    """Whether the stored session ``session_key`` still signs in ``user_id``.

    Read afresh (the socket's own copy was loaded when it opened), and checked the way
    a request is: the session's user, the password hash and the account being active.
    """
    if not session_key:
        return False
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    if not session.exists(session_key):
        return False
    user = auth.get_user(SimpleNamespace(session=session))  # type: ignore[arg-type]
    return bool(user.is_authenticated and user.pk == user_id)


class CommandError(Exception):
    """A command refused with a clear reason; the socket stays open."""

    def __init__(self, code: str, detail: str) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail


class CommandForbidden(Exception):
    """A command naming something the person may not reach: the socket closes (4403)."""


# A command handler runs in a worker thread as the socket's person (RLS applies):
# handler(user, frame) -> reply data. It raises CommandError or CommandForbidden.
CommandHandler = Callable[[Any, dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True)
class Command:
    name: str
    handler: CommandHandler
    # Whether the handler touches the database (most do); typing signals do not need to.
    uses_database: bool = True


_COMMANDS: dict[str, Command] = {}


def realtime_register_command(
    name: str, handler: CommandHandler, *, uses_database: bool = True
) -> None:
    """Make ``name`` a command sockets accept. Call from an ``AppConfig.ready()``."""
    if name in {"hello", "ping"}:
        raise ValueError(f"{name!r} is part of the stream protocol itself.")
    _COMMANDS[name] = Command(name=name, handler=handler, uses_database=uses_database)


def realtime_commands() -> list[str]:
    return sorted(_COMMANDS)


def _sendable(text: str) -> bool:
    """Whether ``text`` can go back down as UTF-8 (a JSON escape can smuggle in half of a
    UTF-16 pair, and echoing it would break the socket instead of answering)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


class TokenBucket:
    """``rate`` frames per second on average, bursts up to ``burst``."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def _stream_positions(user_ids: list[int]) -> dict[int, int]:
    with system_context():
        return dict(
            UserStream.objects.filter(user_id__in=user_ids).values_list("user_id", "last_seq")
        )


class Healer:
    """One periodic check per process (per event loop) for all the sockets it holds.

    A lost bell (Redis restarting, a process killed between commit and bell) must delay
    an event, never lose it: every ``HEAL_SECONDS`` one query reads the stream position
    of every person with a socket here, and only sockets behind it replay. One query
    per process rather than one per socket keeps a thousand idle sockets cheap.
    """

    def __init__(self) -> None:
        self.sockets: dict[int, set[StreamConsumer]] = defaultdict(set)
        self.task: asyncio.Task[None] | None = None

    def add(self, consumer: StreamConsumer) -> None:
        self.sockets[consumer.user.pk].add(consumer)
        if self.task is None or self.task.done():
            # A fresh context: the check acts as the system, never as the first socket.
            self.task = asyncio.get_running_loop().create_task(
                self._run(), context=contextvars.Context()
            )

    def discard(self, consumer: StreamConsumer) -> None:
        user = getattr(consumer, "user", None)
        if user is None:
            return
        held = self.sockets.get(user.pk)
        if held is not None:
            held.discard(consumer)
            if not held:
                del self.sockets[user.pk]

    async def _run(self) -> None:
        while self.sockets:
            # Jitter keeps the processes of one deployment from checking in step.
            await asyncio.sleep(HEAL_SECONDS * (0.75 + random.random() / 2))  # noqa: S311
            user_ids = list(self.sockets)
            if not user_ids:
                break
            try:
                positions = await database_sync_to_async(_stream_positions)(user_ids)
            except Exception as exc:
                logger.warning("realtime.heal_check_failed", error=repr(exc))
                continue
            for user_id, position in positions.items():
                for consumer in list(self.sockets.get(user_id, ())):
                    if consumer.ready and position > consumer.last_sent:
                        asyncio.get_running_loop().create_task(consumer.heal(position))


_HEALERS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Healer] = weakref.WeakKeyDictionary()


def _healer() -> Healer:
    loop = asyncio.get_running_loop()
    healer = _HEALERS.get(loop)
    if healer is None:
        healer = _HEALERS[loop] = Healer()
    return healer


class StreamConsumer(ActingUserConsumerMixin, AsyncWebsocketConsumer):
    """One socket of one signed-in person."""

    user: Any
    last_sent: int
    ready: bool

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await super().__call__(scope, receive, send)
        except Exception as exc:
            # The channel layer failed under the socket (Redis restarting): Channels
            # leaves without calling disconnect(). Close with 1012 ("service restart")
            # so the browser reconnects with its last number at once.
            logger.warning("realtime.layer_failed", error=repr(exc))
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": 1012})
        finally:
            _healer().discard(self)

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not getattr(user, "is_authenticated", False):
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.user = user
        self.last_sent = 0
        self.ready = False
        self.malformed = 0
        self.flush_lock = asyncio.Lock()
        self.bucket = TokenBucket(
            _setting("LOOM_SOCKET_RATE_PER_SECOND", 10), _setting("LOOM_SOCKET_RATE_BURST", 40)
        )
        self.max_frame = int(_setting("LOOM_SOCKET_MAX_FRAME_BYTES", 65536))
        self.group = stream_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        self.presence_at = 0.0
        self.session_checked_at = time.monotonic()
        self.signed_out = False
        _healer().add(self)

    async def disconnect(self, code: int) -> None:
        _healer().discard(self)
        group = getattr(self, "group", None)
        if group is not None:
            try:
                await self.channel_layer.group_discard(group, self.channel_name)
            except Exception as exc:  # Redis may be the reason the socket is going away.
                logger.info("realtime.group_discard_failed", error=str(exc))

    # --- Down: the stream ---------------------------------------------------------

    async def heal(self, position: int) -> None:
        """The process's check found this person's stream at ``position``: catch up."""
        if not self.ready or position <= self.last_sent:
            return
        with acting_as(self.user.pk):
            try:
                await self.flush()
            except OSError:  # The connection is gone (ClientDisconnected is one).
                _healer().discard(self)
            except Exception as exc:
                logger.warning("realtime.heal_failed", error=repr(exc))

    async def _session_valid(self) -> bool:
        """Whether the socket's session still signs its person in (re-read now and then)."""
        if self.signed_out:
            return False
        now = time.monotonic()
        if now - self.session_checked_at < SESSION_CHECK_SECONDS:
            return True
        self.session_checked_at = now
        if "session" not in self.scope:
            # Mounted without the session middleware (tests driving the consumer with a
            # user of their own): there is no session to lose.
            return True
        try:
            valid = await database_sync_to_async(session_still_signs_in)(
                self.scope["session"].session_key, self.user.pk
            )
        except Exception as exc:
            # The session store is unreachable for a moment (Redis restarting): the
            # session was valid at the last check; the next one decides.
            logger.warning("realtime.session_check_failed", error=repr(exc))
            return True
        if not valid:
            self.signed_out = True
            await self.close(code=CLOSE_UNAUTHENTICATED)
        return valid

    async def flush(self) -> None:
        """Send every committed event after the last one this socket sent, in order."""
        if not await self._session_valid():
            return
        async with self.flush_lock:
            replay: Replay = await database_sync_to_async(events_after)(
                user_id=self.user.pk, after=self.last_sent
            )
            if replay.resync:
                # Too many missed while connected (a very slow socket): start over.
                await self._send({"type": "resync", "seq": replay.last_seq})
                self.last_sent = replay.last_seq
                return
            for frame in replay.events:
                await self._send(frame)
            self.last_sent = replay.last_seq

    async def stream_doorbell(self, message: dict[str, Any]) -> None:
        if self.ready and int(message.get("seq", 0)) > self.last_sent:
            await self.flush()

    async def stream_signal(self, message: dict[str, Any]) -> None:
        if self.ready and not self.signed_out:
            await self._send({**message["data"], "seq": self.last_sent})

    async def _send(self, frame: dict[str, Any]) -> None:
        await self.send(text_data=json.dumps(frame, ensure_ascii=False, separators=(",", ":")))

    # --- Up: frames from the browser --------------------------------------------------

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > self.max_frame:
            await self.close(code=CLOSE_TOO_LARGE)
            return
        if not self.bucket.take():
            await self.close(code=CLOSE_RATE_LIMITED)
            return
        if not await self._session_valid():
            return
        frame = self._parse(text_data)
        if frame is None:
            self.malformed += 1
            if self.malformed > MALFORMED_ALLOWED:
                await self.close(code=CLOSE_MALFORMED)
                return
            await self._send(
                {"type": "error", "code": "malformed", "detail": "Frames are JSON objects."}
            )
            return
        await self._touch_presence()
        kind = frame["type"]
        if kind == "hello":
            await self._hello(frame)
        elif kind == "ping":
            await self._send({"type": "pong", "seq": self.last_sent})
        else:
            await self._command(kind, frame)

    @staticmethod
    def _parse(text_data: str | None) -> dict[str, Any] | None:
        if text_data is None:
            return None
        try:
            frame = json.loads(text_data)
        except ValueError:
            return None
        if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
            return None
        return frame

    async def _touch_presence(self) -> None:
        now = time.monotonic()
        if now - self.presence_at >= PRESENCE_SECONDS:
            self.presence_at = now
            await database_sync_to_async(presence_touch)(self.user.pk)

    async def _hello(self, frame: dict[str, Any]) -> None:
        last_seq = frame.get("last_seq", 0)
        if isinstance(last_seq, bool) or not isinstance(last_seq, int) or last_seq < 0:
            await self._send(
                {"type": "error", "code": "malformed", "detail": "last_seq is a whole number."}
            )
            return
        async with self.flush_lock:
            replay = await database_sync_to_async(events_after)(
                user_id=self.user.pk, after=last_seq
            )
            for out in replay.frames():
                await self._send(out)
            self.last_sent = replay.last_seq
            self.ready = True
            if not replay.resync:
                await self._send({"type": "ready", "seq": self.last_sent})
        # Anything committed while the replay was being sent.
        await self.flush()

    async def _command(self, kind: str, frame: dict[str, Any]) -> None:
        ref = frame.get("ref")
        ref = ref if isinstance(ref, str) and len(ref) <= 64 and _sendable(ref) else None
        command = _COMMANDS.get(kind)
        if command is None:
            await self._reply(ref, error=("unknown_command", f"Unknown frame type {kind[:40]!r}."))
            return
        try:
            if command.uses_database:
                data = await database_sync_to_async(command.handler)(self.user, frame)
            else:
                data = command.handler(self.user, frame)
        except CommandForbidden:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        except CommandError as exc:
            await self._reply(ref, error=(exc.code, exc.detail))
            return
        await self._reply(ref, data=data or {})
        if command.uses_database and self.ready:
            await self.flush()

    async def _reply(
        self,
        ref: str | None,
        *,
        data: dict[str, Any] | None = None,
        error: tuple[str, str] | None = None,
    ) -> None:
        if error is None:
            await self._send({"type": "reply", "ref": ref, "ok": True, "data": data or {}})
        else:
            code, detail = error
            await self._send(
                {
                    "type": "reply",
                    "ref": ref,
                    "ok": False,
                    "error": {"code": code, "detail": detail},
                }
            )
