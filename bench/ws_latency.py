"""Realtime messaging: websocket send-to-receive latency and memory per connection, and
the messaging HTTP lists.

``ws_latency`` (``run()``, called by ``bench.run``): one uvicorn process (production
settings, uvloop, ``--ws websockets-sansio``) with the Redis channel layer. For each
level in ``BENCH_WS_LEVELS`` (default 100, 500, 1000 connected sockets; the server is
started afresh per level) the bench:

1. reads the server's resident memory (``VmRSS``) after one socket has connected and
   gone (so lazily loaded code is in), connects the level's sockets — one per person,
   coach–client pairs, each says ``hello`` and waits for ``ready`` — and reads it again:
   (after − before) / sockets is the memory per connection;
2. offers ``BENCH_WS_RATE`` messages per second (default 20) **open loop**: message *i*
   is due at ``start + i / rate`` and is written then on the sender's socket
   (``message.send``, as the chat script sends it), whatever happened to earlier ones.
   Senders take turns over all pairs, alternating sides. Latency is measured from the
   due time to the moment the *other* person's socket receives the ``message.created``
   event: the whole path (command, transaction, stream append, the Redis doorbell,
   the stream read, the frame). The first ``BENCH_WARMUP`` seconds are discarded.
   A message not received 30 s after its due time counts as an error.

``messaging_conversations`` and ``messaging_history`` (``specs()``): the JSON API's
conversation list ``GET /api/v1/messaging/conversations`` for a coach with 40
conversations, and one conversation's newest page ``GET /api/v1/messaging/
conversations/<id>/messages`` (50 of 2,000 messages, with replies and reactions),
loaded at ``BENCH_MESSAGING_RATE`` requests/s (default 10) like the other workloads.

Redis: ``REDIS_URL`` when set, otherwise a ``redis-server`` started for the run on a
free port from 6391 (and stopped afterwards). Without either, ``ws_latency`` is skipped.
The bench people and their sessions are created once (``@bench.loom.localhost``) and
reused; their conversations' messages are deleted at the start of each run.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

from bench.loadgen import run_event_loop

ROOT = Path(__file__).resolve().parent.parent
NAME = "ws_latency"
CONVERSATIONS_NAME = "messaging_conversations"
HISTORY_NAME = "messaging_history"
HOST = "127.0.0.1"
EMAIL_DOMAIN = "ws.bench.loom.localhost"
DEFAULT_LEVELS = (100, 500, 1000)
LIST_COACH_EMAIL = f"list-coach@{EMAIL_DOMAIN}"
LIST_CONVERSATIONS = 40
HISTORY_MESSAGES = 2000
DELIVERY_TIMEOUT = 30.0


# --- Preparing (in a subprocess with the server's environment) ---------------------------


def _people(count: int) -> list[dict[str, Any]]:
    """``count`` people in coach–client pairs, each with a session and a conversation."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.cached_db import SessionStore
    from django.db import transaction

    from loom.accounts.models import CoachClient, User
    from loom.core.realtime import stream_position
    from loom.messaging.models import Conversation, Message, Participant

    pairs = count // 2
    out: list[dict[str, Any]] = []
    with transaction.atomic():
        existing = {u.email: u for u in User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}")}
        for index in range(pairs):
            members = []
            for role in ("coach", "client"):
                email = f"ws-{role}-{index:04d}@{EMAIL_DOMAIN}"
                user = existing.get(email) or User.objects.create_user(
                    email, None, role=role, full_name=f"Bench {role.title()} {index:04d}"
                )
                members.append(user)
            coach, client = members
            CoachClient.objects.update_or_create(
                coach=coach, client=client, defaults={"status": CoachClient.Status.ACTIVE}
            )
            conversation, _ = Conversation.objects.get_or_create(coach=coach, client=client)
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, user=user) for user in members],
                ignore_conflicts=True,
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message=None, last_message_at=None
            )
            Message.objects.filter(conversation=conversation).delete()
            for side, user in enumerate(members):
                out.append(
                    {
                        "user": user.pk,
                        "pair": index,
                        "side": side,
                        "conversation": conversation.pk,
                        "seq": stream_position(user.pk),
                        "session": "",
                        "_user": user,
                    }
                )
    for person in out:
        user = person.pop("_user")
        store = SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.save()
        person["session"] = f"{settings.SESSION_COOKIE_NAME}={store.session_key}"
    return out


def _list_data() -> dict[str, Any]:
    """A coach with ``LIST_CONVERSATIONS`` conversations; one with ``HISTORY_MESSAGES``."""
    import random
    from datetime import timedelta

    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from bench.prepare import _user
    from loom.accounts.models import CoachClient
    from loom.core.markdown import render_markdown
    from loom.messaging.models import Conversation, Message, Participant, Reaction

    rng = random.Random(5)
    with transaction.atomic():
        coach = _user(
            LIST_COACH_EMAIL, role="coach", full_name="Ruth Messages", language="en", tz="UTC"
        )
        conversations = []
        for index in range(LIST_CONVERSATIONS):
            client = _user(
                f"list-client-{index:02d}@{EMAIL_DOMAIN}",
                role="client",
                full_name=f"Messages Client {index:02d}",
                language="he" if index % 3 == 0 else "en",
                tz="Asia/Jerusalem",
            )
            CoachClient.objects.update_or_create(
                coach=coach, client=client, defaults={"status": CoachClient.Status.ACTIVE}
            )
            conversation, _ = Conversation.objects.get_or_create(coach=coach, client=client)
            Participant.objects.bulk_create(
                [Participant(conversation=conversation, user=u) for u in (coach, client)],
                ignore_conflicts=True,
            )
            conversations.append((conversation, client))
        Message.objects.filter(conversation__coach=coach).delete()
        now = timezone.now()
        for position, (conversation, client) in enumerate(conversations):
            count = HISTORY_MESSAGES if position == 0 else 5
            rows = []
            for number in range(count):
                sender = coach if number % 2 else client
                body = f"Message {number}: how did the **week** go? Let's review the plan."
                rows.append(
                    Message(
                        conversation=conversation,
                        sender=sender,
                        client_id=uuid.uuid4(),
                        body=body,
                        body_html=render_markdown(body),
                        created_at=now - timedelta(minutes=count - number),
                    )
                )
            stored = Message.objects.bulk_create(rows)
            for number, message in enumerate(stored):
                if number and number % 4 == 0:
                    message.reply_to = stored[number - 1]
            Message.objects.bulk_update(stored, ["reply_to"])
            Reaction.objects.bulk_create(
                Reaction(message=message, user=coach, emoji=rng.choice(["👍", "❤️", "🌱"]))
                for number, message in enumerate(stored)
                if number % 3 == 0
            )
            Conversation.objects.filter(pk=conversation.pk).update(
                last_message=stored[-1], last_message_at=stored[-1].created_at
            )
    history = conversations[0][0]
    paths = {
        "conversations": "/api/v1/messaging/conversations",
        "history": f"/api/v1/messaging/conversations/{history.pk}/messages",
    }
    browser = Client(HTTP_HOST=settings.ALLOWED_HOSTS[0])
    browser.force_login(coach)
    measured: dict[str, Any] = {}
    for key, path in paths.items():
        browser.get(path)
        with CaptureQueriesContext(connection) as queries:
            response = browser.get(path)
        if response.status_code != 200:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]!r}")
        measured[f"{key}_queries"] = len(queries)
        measured[f"{key}_bytes"] = len(response.content)
    cookie_name = settings.SESSION_COOKIE_NAME
    return {
        "cookie": f"{cookie_name}={browser.cookies[cookie_name].value}",
        "paths": paths,
        **measured,
    }


def _positions() -> dict[str, int]:
    """Where each bench person's stream stands now (the next hello starts there)."""
    from loom.core.models import UserStream

    return {
        str(user_id): int(seq)
        for user_id, seq in UserStream.objects.filter(
            user__email__endswith=f"@{EMAIL_DOMAIN}"
        ).values_list("user_id", "last_seq")
    }


def _prepare_main(argv: list[str]) -> int:
    from bench.prepare import _setup_django

    _setup_django()
    from loom.core.context import system_context

    with system_context():
        if argv[0] == "people":
            result: Any = _people(int(argv[1]))
        elif argv[0] == "positions":
            result = _positions()
        else:
            result = _list_data()
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()
    return 0


def _prepare(env: dict[str, str], *args: str) -> Any:
    prepare_env = dict(env)
    if prepare_env.get("DATABASE_APP_ROLE"):
        prepare_env["LOOM_DB_OWNER_MODE"] = "1"  # creates and deletes its own bench data
    completed = subprocess.run(
        [sys.executable, "-m", "bench.ws_latency", "prepare", *args],
        cwd=ROOT,
        env=prepare_env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout[-4000:] + completed.stderr[-4000:])
        raise SystemExit("bench.ws_latency prepare failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# --- HTTP workloads ---------------------------------------------------------------------


def specs(spec_class: Any, *, env: dict[str, str], only: set[str]) -> list[Any]:
    """The conversation list and history ``Spec``s for ``bench.run``."""
    wanted = [n for n in (CONVERSATIONS_NAME, HISTORY_NAME) if not only or n in only]
    if not wanted:
        return []
    rate = float(os.environ.get("BENCH_MESSAGING_RATE") or 10.0)
    prepared = _prepare(env, "lists")
    built = {
        CONVERSATIONS_NAME: spec_class(
            CONVERSATIONS_NAME,
            "workload",
            f"Signed-in coach's conversation list GET {prepared['paths']['conversations']} "
            f"({LIST_CONVERSATIONS} conversations, previews and unread counts).",
            "config.asgi:application",
            prepared["paths"]["conversations"],
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["conversations_queries"],
                "response_bytes": prepared["conversations_bytes"],
            },
        ),
        HISTORY_NAME: spec_class(
            HISTORY_NAME,
            "workload",
            f"Newest page (50) of a conversation of {HISTORY_MESSAGES} messages with replies "
            f"and reactions, GET {prepared['paths']['history']}.",
            "config.asgi:application",
            prepared["paths"]["history"],
            "/healthz",
            rate,
            loom=True,
            cookie=prepared["cookie"],
            extra={
                "db_queries_per_request": prepared["history_queries"],
                "response_bytes": prepared["history_bytes"],
            },
        ),
    }
    return [built[name] for name in wanted]


# --- The websocket measurement ------------------------------------------------------------


def _free_port(start: int = 0) -> int:
    for port in range(start, start + 200) if start else [0]:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise SystemExit(f"no free port from {start}")


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmRSS in /proc status")


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


def _wait_port(process: subprocess.Popen[bytes], check: Any, what: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited with {process.returncode}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer within 60 s")


def _own_redis(data_dir: Path) -> tuple[str, subprocess.Popen[bytes] | None]:
    if os.environ.get("REDIS_URL"):
        return os.environ["REDIS_URL"], None
    if shutil.which("redis-server") is None:
        return "", None
    port = _free_port(6391)
    log = (data_dir / f"{NAME}.redis.log").open("wb")
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )

    def ping() -> bool:
        with socket.create_connection((HOST, port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")

    _wait_port(process, ping, "redis-server")
    return f"redis://{HOST}:{port}/0", process


def _start_server(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        HOST,
        "--port",
        str(port),
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--ws",
        "websockets-sansio",
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    log = log_path.open("ab")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)

    def healthz() -> bool:
        with socket.create_connection((HOST, port), timeout=2) as sock:
            sock.sendall(
                f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\nConnection: close\r\n\r\n".encode()
            )
            return sock.recv(64).startswith(b"HTTP/1.1 200")

    _wait_port(process, healthz, "websocket bench server")
    return process


class Socket:
    """One person's socket: records when each awaited message.created arrives."""

    def __init__(self, person: dict[str, Any], arrivals: dict[str, float]) -> None:
        self.person = person
        self.arrivals = arrivals
        self.ws: Any = None
        self.reader: asyncio.Task[None] | None = None
        self.refused = 0
        self.reconnects = 0
        self.dropped = False

    async def open(self, port: int) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import ConnectionClosed

        for attempt in range(3):
            self.ws = await connect(
                f"ws://{HOST}:{port}/ws/stream/",
                origin=f"http://{HOST}:{port}",  # type: ignore[arg-type]
                additional_headers={"Cookie": self.person["session"]},
                open_timeout=60,
                ping_interval=None,
            )
            try:
                await self.ws.send(json.dumps({"type": "hello", "last_seq": self.person["seq"]}))
                while True:
                    frame = json.loads(await self.ws.recv())
                    if frame["type"] in {"ready", "resync"}:
                        break
            except ConnectionClosed:
                # Closed by the server while connecting (1012 when its channel layer
                # failed): a browser reconnects at once, and so does the bench.
                self.reconnects += 1
                if attempt == 2:
                    raise
                continue
            break
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            async for raw in self.ws:
                frame = json.loads(raw)
                if frame.get("type") == "event" and frame.get("kind") == "message.created":
                    data = frame["data"]
                    if data["sender"] != self.person["user"]:
                        self.arrivals.setdefault(data["client_id"], time.perf_counter())
                elif frame.get("type") == "reply" and not frame.get("ok"):
                    self.refused += 1
        except ConnectionClosed:
            pass
        # The server ended the socket during the measurement (the bench does not
        # reconnect then: what it would have received counts as errors).
        self.dropped = True

    async def send(self, conversation: int, client_id: str, body: str) -> None:
        from websockets.exceptions import ConnectionClosed

        if self.dropped:
            return  # counted as missing: the server closed this socket
        with contextlib.suppress(ConnectionClosed):
            await self.ws.send(
                json.dumps(
                    {
                        "type": "message.send",
                        "ref": client_id,
                        "conversation": conversation,
                        "client_id": client_id,
                        "body": body,
                    }
                )
            )

    async def close(self) -> None:
        if self.reader is not None:
            self.reader.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.ws.close(), 5)


async def _level(
    people: list[dict[str, Any]],
    port: int,
    pid: int,
    *,
    rate: float,
    warmup: float,
    duration: float,
) -> dict[str, Any]:
    from bench.loadgen import percentile

    arrivals: dict[str, float] = {}
    probe = Socket(people[0], {})
    await probe.open(port)
    await probe.close()
    await asyncio.sleep(1)
    rss_before = _rss_mb(pid)
    sockets = [Socket(person, arrivals) for person in people]
    connect_start = time.perf_counter()
    gate = asyncio.Semaphore(100)

    async def open_one(sock: Socket) -> None:
        async with gate:
            await sock.open(port)

    await asyncio.gather(*(open_one(sock) for sock in sockets))
    connect_s = time.perf_counter() - connect_start
    await asyncio.sleep(2)
    rss_after = _rss_mb(pid)

    pairs = len(people) // 2
    total = int(rate * (warmup + duration))
    due_at: dict[str, float] = {}
    send_lag: list[float] = []
    start = time.perf_counter() + 0.1
    for index in range(total):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        pair, side = divmod(index, 2)
        sender = sockets[(pair % pairs) * 2 + side]
        client_id = str(uuid.uuid4())
        due_at[client_id] = due
        send_lag.append(time.perf_counter() - due)
        await sender.send(sender.person["conversation"], client_id, f"Bench message {index}")
    deadline = time.perf_counter() + DELIVERY_TIMEOUT
    while len(arrivals) < total and time.perf_counter() < deadline:
        await asyncio.sleep(0.1)
    measured = [cid for cid, due in due_at.items() if due - start >= warmup]
    latencies = sorted(arrivals[cid] - due_at[cid] for cid in measured if cid in arrivals)
    missing = sum(1 for cid in measured if cid not in arrivals)
    refused = sum(sock.refused for sock in sockets)
    dropped = sum(1 for sock in sockets if sock.dropped)
    reconnects = sum(sock.reconnects for sock in sockets)
    await asyncio.gather(*(sock.close() for sock in sockets))
    lags = sorted(send_lag)

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    return {
        "connections": len(people),
        "offered_messages_per_s": rate,
        "measured_messages": len(measured),
        "delivered": len(latencies),
        "errors": missing + refused,
        "latency_ms": {
            "p50": ms(percentile(latencies, 0.5)),
            "p95": ms(percentile(latencies, 0.95)),
            "p99": ms(percentile(latencies, 0.99)),
            "max": ms(latencies[-1]) if latencies else None,
        },
        "send_lag_ms_p99": ms(percentile(lags, 0.99)),
        "sockets_dropped_by_server": dropped,
        "reconnects_while_connecting": reconnects,
        "connect_all_s": round(connect_s, 2),
        "server_rss_mb": {"before": round(rss_before, 1), "after": round(rss_after, 1)},
        "kb_per_connection": round((rss_after - rss_before) * 1024 / len(people), 1),
    }


def run(*, env: dict[str, str], data_dir: Path, warmup: float, duration: float) -> dict[str, Any]:
    """Measure each level (see the module text); returns the result for the JSON file."""
    levels = [
        int(v) for v in (os.environ.get("BENCH_WS_LEVELS") or "").split(",") if v.strip()
    ] or list(DEFAULT_LEVELS)
    rate = float(os.environ.get("BENCH_WS_RATE") or 20.0)
    redis_url, redis_process = _own_redis(data_dir)
    if not redis_url:
        return {"name": NAME, "kind": "websocket", "skipped": "no REDIS_URL and no redis-server"}
    server_env = {**env, "REDIS_URL": redis_url}
    results = []
    try:
        people = _prepare(server_env, "people", str(max(levels)))
        for level in levels:
            port = _free_port()
            process = _start_server(server_env, port, data_dir / f"{NAME}.server.log")
            try:
                load_before = [round(x, 2) for x in os.getloadavg()]
                figures = run_event_loop(
                    _level(
                        people[:level],
                        port,
                        process.pid,
                        rate=rate,
                        warmup=warmup,
                        duration=duration,
                    )
                )
                figures["load_average_before"] = load_before
                results.append(figures)
                lat = figures["latency_ms"]
                print(
                    f"  {level} sockets: delivered {figures['delivered']}/"
                    f"{figures['measured_messages']}, p50 {lat['p50']} ms, p95 {lat['p95']} ms, "
                    f"p99 {lat['p99']} ms, {figures['kb_per_connection']} KB/socket, "
                    f"errors {figures['errors']}",
                    flush=True,
                )
            finally:
                _stop(process)
            # The streams moved on; the next level's hello starts from where they are.
            positions = _prepare(server_env, "positions")
            for person in people:
                person["seq"] = positions.get(str(person["user"]), 0)
    finally:
        if redis_process is not None:
            _stop(redis_process)
    return {
        "name": NAME,
        "kind": "websocket",
        "description": (
            f"Sockets on /ws/stream/ (one per person, coach–client pairs) on one uvicorn "
            f"process with the Redis channel layer; {rate:g} messages/s offered open loop "
            "(message.send on the sender's socket), latency from the due time to the "
            "message.created frame on the other person's socket."
        ),
        "server": "uvicorn config.asgi:application (1 worker, uvloop, websockets-sansio)",
        "warmup_s": warmup,
        "measure_s": duration,
        "levels": results,
    }


def summary_lines(result: dict[str, Any]) -> list[str]:
    if "skipped" in result:
        return ["", "## Realtime messaging", "", f"Skipped: {result['skipped']}.", ""]
    lines = [
        "",
        "## Realtime messaging (websockets)",
        "",
        result["description"],
        "",
        "| sockets | offered msg/s | delivered | errors | p50 ms | p95 ms | p99 ms | max ms "
        "| RSS before / after (MB) | KB per socket | connect all (s) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for level in result["levels"]:
        lat = level["latency_ms"]
        rss = level["server_rss_mb"]
        lines.append(
            f"| {level['connections']} | {level['offered_messages_per_s']:g} "
            f"| {level['delivered']}/{level['measured_messages']} | {level['errors']} "
            f"| {lat['p50']} | {lat['p95']} | {lat['p99']} | {lat['max']} "
            f"| {rss['before']} / {rss['after']} | {level['kb_per_connection']} "
            f"| {level['connect_all_s']} |"
        )
    lines.append("")
    return lines


if __name__ == "__main__":
    if sys.argv[1:2] == ["prepare"]:
        raise SystemExit(_prepare_main(sys.argv[2:]))
    sys.stdout.write(json.dumps({"usage": "python -m bench.run (BENCH_ONLY=ws_latency)"}) + "\n")
