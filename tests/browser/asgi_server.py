"""An ASGI live server for the browser tests: uvicorn in a thread of the test process.

pytest-django's ``live_server`` speaks WSGI, so it cannot carry ``/ws/stream/``. This
server runs ``config.asgi.application`` (HTTP through Django, websockets through
Channels) with uvicorn on its own event loop in a background thread, against the test
database. Static files come from the finders, as on the WSGI live server.

Being in the test process is what lets the test settings' in-memory channel layer work:
the doorbell a request rings after its commit reaches the sockets of the same process.
A bell rung from the test's own thread would not (Playwright keeps an event loop running
there, so ``async_to_sync`` refuses to run); ``AsgiServer.call`` runs a function in the
server's worker thread instead, exactly as a request's service call would run.

Databases: PostgreSQL, or SQLite in a file, are shared by every thread through their own
connections. Django's test database on SQLite is in memory by default; Django names it
as a shared-cache URI so the server's connections reach the same data.
"""

from __future__ import annotations

import asyncio
import contextvars
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import uvicorn
from asgiref.sync import sync_to_async

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 20.0
CALL_TIMEOUT_SECONDS = 30.0

T = TypeVar("T")


def _application() -> Any:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    from config.asgi import application

    # Only HTTP requests under STATIC_URL are served from the finders; everything else
    # (pages, the websocket) goes to Loom's own router.
    return ASGIStaticFilesHandler(application)  # type: ignore[arg-type]  # any ASGI app works


class AsgiServer:
    """One uvicorn server on a free port of 127.0.0.1, started and stopped explicitly."""

    def __init__(self) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((HOST, 0))
        self.port = int(self._socket.getsockname()[1])
        self.url = f"http://{HOST}:{self.port}"
        config = uvicorn.Config(
            _application(),
            lifespan="off",
            ws="websockets-sansio",
            log_level="warning",
            access_log=False,
            timeout_graceful_shutdown=2,
        )
        self._server = uvicorn.Server(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="asgi-live-server", daemon=True)

    def _run(self) -> None:
        async def serve() -> None:
            self._loop = asyncio.get_running_loop()
            await self._server.serve(sockets=[self._socket])

        try:
            asyncio.run(serve())
        except BaseException as error:  # reported to the thread that waits for the start
            self._error = error

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise RuntimeError(f"the ASGI live server did not start: {self._error!r}")
            if time.monotonic() > deadline:
                raise RuntimeError("the ASGI live server did not start in time")
            time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run ``function`` in the server's worker thread and return its result.

        For test set-up that must reach open sockets at once (a notice created "by
        someone else" while a page is open): after-commit doorbells rung there reach
        the in-memory channel layer on the server's loop. The caller's context
        variables (the acting person) go along.
        """
        loop = self._loop
        if loop is None:
            raise RuntimeError("the ASGI live server is not running")
        context = contextvars.copy_context()

        def in_context() -> T:
            return context.run(function, *args, **kwargs)

        future = asyncio.run_coroutine_threadsafe(sync_to_async(in_context)(), loop)
        return future.result(timeout=CALL_TIMEOUT_SECONDS)
