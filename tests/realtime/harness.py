"""Real processes for the realtime tests: uvicorn servers running Loom, a Redis server.

The servers are separate processes (``config.settings.e2e``) sharing this test's
PostgreSQL database and a Redis started for the test alone (never the shared one, since
the tests kill and restart it). People sign in here, in the test process, and their
session cookie is handed to websocket clients (the ``websockets`` library), which talk
to the servers exactly as a browser's socket does: a Cookie header and an Origin the
server accepts.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.conf import settings
from django.db import connection
from django.test import Client
from websockets.asyncio.client import ClientConnection, connect

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
REDIS_FIRST_PORT = 6391


def free_port(start: int = 0) -> int:
    """A port nobody listens on: the first free one from ``start``, or any when 0."""
    for port in range(start, start + 200) if start else [0]:
        with socket.socket() as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return int(probe.getsockname()[1])
    raise RuntimeError(f"no free port from {start}")


def database_url() -> str:
    """The database this test is using (with xdist, the worker's own test database)."""
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or HOST
    port = params.get("PORT") or 5432
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


async def in_thread(function: Any, *args: Any, **kwargs: Any) -> Any:
    """Run database work from async test code in a thread of its own, and close the
    thread's connection afterwards (a left-open one keeps the test database from being
    dropped)."""
    from django.db import connections

    def run() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc status")


# Django's start-up on a busy two-core machine (the suite runs beside this) can take
# most of a minute.
READY_SECONDS = 180


def _wait(process: subprocess.Popen[bytes], check: Any, what: str, log: Path) -> None:
    deadline = time.monotonic() + READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{tail}")
        with contextlib.suppress(Exception):
            if check():
                return
        time.sleep(0.1)
    tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
    raise RuntimeError(f"{what} did not become ready within {READY_SECONDS} s:\n{tail}")


def _end(process: subprocess.Popen[bytes] | None, sig: int) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@dataclass
class RedisServer:
    """A throwaway ``redis-server`` without persistence: a restart loses everything,
    group memberships included, which is the point."""

    workdir: Path
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    @staticmethod
    def available() -> bool:
        return shutil.which("redis-server") is not None

    def start(self) -> None:
        if not self.port:
            self.port = free_port(REDIS_FIRST_PORT)
        log = self.workdir / f"redis-{self.port}.log"
        command = [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--daemonize",
            "no",
            "--dir",
            str(self.workdir),
        ]
        with log.open("ab") as out:
            self.process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)

        def ping() -> bool:
            with socket.create_connection((HOST, self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")

        _wait(self.process, ping, f"redis-server on {self.port}", log)

    def kill(self) -> None:
        _end(self.process, signal.SIGKILL)

    def restart(self) -> None:
        """Kill and start again on the same port: every key, subscription and group is gone."""
        self.kill()
        self.start()

    def stop(self) -> None:
        _end(self.process, signal.SIGTERM)


@dataclass
class AppServer:
    """One uvicorn process serving ``config.asgi:application`` with the e2e settings."""

    name: str
    workdir: Path
    redis_url: str
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{HOST}:{self.port}/ws/stream/"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"server-{self.name}.log"

    def environment(self) -> dict[str, str]:
        # Whatever the test process runs with (DATABASE_APP_ROLE in CI, keys…) carries over.
        env = dict(os.environ)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "config.settings.e2e",
                "DATABASE_URL": database_url(),
                "REDIS_URL": self.redis_url,
                "ALLOWED_HOSTS": HOST,
                "LOOM_DATA_DIR": str(self.workdir / "data"),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.pop("LOOM_DB_OWNER_MODE", None)
        env.update(self.env_extra)
        return env

    def start(self) -> None:
        if not self.port:
            self.port = free_port()
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            HOST,
            "--port",
            str(self.port),
            "--ws",
            "websockets-sansio",
            "--lifespan",
            "off",
            "--no-access-log",
            "--log-level",
            "warning",
        ]
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.environment(), stdout=out, stderr=subprocess.STDOUT
            )
        _wait(
            self.process,
            lambda: httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200,
            f"server {self.name}",
            self.log_path,
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown, no goodbye to the sockets or to Redis."""
        _end(self.process, signal.SIGKILL)

    def restart(self) -> None:
        self.kill()
        self.start()

    def stop(self) -> None:
        _end(self.process, signal.SIGTERM)

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:] if self.log_path.exists() else ""


def session_cookie(user: Any) -> str:
    """Sign ``user`` in here (the session row is committed) and return the Cookie header."""
    browser = Client()
    browser.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={browser.cookies[name].value}"


async def open_socket(server: AppServer, cookie: str, **options: Any) -> ClientConnection:
    """A websocket to ``server``'s stream as the person the cookie belongs to."""
    return await connect(
        server.ws_url,
        origin=server.base_url,  # type: ignore[arg-type]  # an Origin header value
        additional_headers={"Cookie": cookie},
        open_timeout=options.pop("open_timeout", 10),
        ping_interval=None,
        max_size=2**22,
        **options,
    )


async def hello(ws: ClientConnection, last_seq: int, *, timeout: float = 15) -> dict[str, Any]:
    """Say hello and collect the replay: {"events": [...], "end": ready|resync frame, "other": [...]}."""
    await ws.send(json.dumps({"type": "hello", "last_seq": last_seq}))
    events: list[dict[str, Any]] = []
    other: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "event":
                events.append(frame)
            elif frame["type"] in {"ready", "resync"}:
                return {"events": events, "end": frame, "other": other}
            else:
                other.append(frame)
