"""An open-loop, constant-rate HTTP/1.1 load generator.

Request *i* is due at ``start + i / rate`` whatever happened to earlier requests, and
its latency is measured from that due time, not from when it was actually written to
a socket. A server that stalls therefore shows the stall in every request that was due
during it (no coordinated omission), instead of quietly receiving fewer requests.

Requests travel over a pool of raw keep-alive connections: an idle connection is
reused, otherwise a new one is opened, up to ``max_connections``; beyond that a due
request waits for a connection, and the wait counts in its latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Target:
    host: str
    port: int
    path: str
    cookie: str = ""
    expect_status: int = 200


@dataclass
class Sample:
    due: float  # seconds since the run started
    latency: float  # seconds from due time to the last byte of the response
    send_lag: float  # seconds from due time to the request being written
    status: int  # 0 when the connection failed or the response was malformed
    error: str = ""


@dataclass
class RunResult:
    rate: float
    warmup: float
    duration: float
    samples: list[Sample] = field(default_factory=list)
    timeouts: int = 0
    max_open_connections: int = 0


class HttpConnection:
    """One keep-alive HTTP/1.1 connection that sends GETs and reads whole responses."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False
        self.reused = False  # whether the request in flight went over an earlier-used connection

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConnection:
        reader, writer = await asyncio.open_connection(host, port, limit=1 << 20)
        return cls(reader, writer)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.writer.close()

    async def get(self, request: bytes) -> tuple[int, bool]:
        """Send a prepared request; return (status, keep-alive) after reading the body."""
        self.reused, self.used = self.used, True
        if self.reused and self.reader.at_eof():
            raise ConnectionResetError("the server closed this idle connection")
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1."):
            raise ValueError(f"malformed status line {lines[0]!r}")
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if not line:
                continue
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            await self._read_chunked()
        elif "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif status not in (204, 304) and not 100 <= status < 200:
            # No length: the body runs to the end of the connection.
            await self.reader.read()
            return status, False
        keep_alive = headers.get("connection", "").lower() != "close"
        return status, keep_alive

    async def _read_chunked(self) -> None:
        while True:
            size_line = await self.reader.readuntil(b"\r\n")
            size = int(size_line.split(b";", 1)[0].strip(), 16)
            if size == 0:
                # Trailers end with an empty line.
                while (await self.reader.readuntil(b"\r\n")) != b"\r\n":
                    pass
                return
            await self.reader.readexactly(size + 2)


class ConnectionPool:
    def __init__(self, host: str, port: int, max_connections: int) -> None:
        self.host = host
        self.port = port
        self.max_connections = max_connections
        self.idle: list[HttpConnection] = []
        self.open_count = 0
        self.peak = 0
        self._released = asyncio.Condition()

    async def acquire(self) -> HttpConnection:
        async with self._released:
            while not self.idle and self.open_count >= self.max_connections:
                await self._released.wait()
            if self.idle:
                return self.idle.pop()
            self.open_count += 1
            self.peak = max(self.peak, self.open_count)
        try:
            return await HttpConnection.open(self.host, self.port)
        except BaseException:
            await self._forget()
            raise

    async def release(self, connection: HttpConnection, *, reusable: bool) -> None:
        if reusable:
            async with self._released:
                self.idle.append(connection)
                self._released.notify()
        else:
            connection.close()
            await self._forget()

    async def _forget(self) -> None:
        async with self._released:
            self.open_count -= 1
            self._released.notify()

    def close_all(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


def build_request(target: Target) -> bytes:
    lines = [
        f"GET {target.path} HTTP/1.1",
        f"Host: {target.host}:{target.port}",
        "User-Agent: loom-bench/1",
        "Accept: text/html,application/json",
        "Accept-Language: en",
        "Connection: keep-alive",
    ]
    if target.cookie:
        lines.append(f"Cookie: {target.cookie}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def run_constant_rate(
    target: Target,
    *,
    rate: float,
    warmup: float,
    duration: float,
    max_connections: int = 256,
    request_timeout: float = 30.0,
) -> RunResult:
    """Offer ``rate`` requests per second for ``warmup + duration`` seconds.

    Every request's sample is returned; the caller discards those due in the warm-up.
    Requests still unanswered ``request_timeout`` seconds after their due time count
    as timeouts (errors), so a server that stops answering cannot hide.
    """
    pool = ConnectionPool(target.host, target.port, max_connections)
    request = build_request(target)
    result = RunResult(rate=rate, warmup=warmup, duration=duration)
    loop = asyncio.get_running_loop()
    total = math.floor(rate * (warmup + duration))
    interval = 1.0 / rate
    start = time.perf_counter() + 0.05
    tasks: list[asyncio.Task[None]] = []
    all_launched = asyncio.Event()
    stop = threading.Event()

    async def one(due: float) -> None:
        status = 0
        error = ""
        send_lag = 0.0
        connection: HttpConnection | None = None
        reusable = False
        try:
            connection = await pool.acquire()
            send_lag = time.perf_counter() - due
            try:
                status, reusable = await connection.get(request)
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                # A reused keep-alive connection the server has just closed fails before
                # any response arrives; like any HTTP client, retry a GET once on a new one.
                if not connection.reused or (
                    isinstance(exc, asyncio.IncompleteReadError) and exc.partial
                ):
                    raise
                await pool.release(connection, reusable=False)
                connection = None
                connection = await pool.acquire()
                status, reusable = await connection.get(request)
            if status != target.expect_status:
                error = f"status {status}"
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            error = type(exc).__name__
            reusable = False
        finally:
            finished = time.perf_counter()
            if connection is not None:
                await pool.release(connection, reusable=reusable)
        result.samples.append(
            Sample(
                due=due - start,
                latency=finished - due,
                send_lag=send_lag,
                status=status,
                error=error,
            )
        )

    def launch(due: float) -> None:
        tasks.append(loop.create_task(one(due)))

    def clock() -> None:
        # Event-loop timers have millisecond granularity (epoll, libuv), which would add
        # up to 1 ms of generator lag to every request. A thread sleeping with the OS's
        # precise sleep and waking the loop through its self-pipe keeps sends on time.
        for index in range(total):
            if stop.is_set():
                break
            due = start + index * interval
            delay = due - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            loop.call_soon_threadsafe(launch, due)
        loop.call_soon_threadsafe(all_launched.set)

    clock_thread = threading.Thread(target=clock, name="loadgen-clock", daemon=True)
    clock_thread.start()
    try:
        await all_launched.wait()
    finally:
        stop.set()
        clock_thread.join()

    if tasks:
        done, pending = await asyncio.wait(tasks, timeout=request_timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        result.timeouts = len(pending)
        for task in done:
            task.result()
    result.max_open_connections = pool.peak
    pool.close_all()
    return result


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list (the value at or above ``fraction``)."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarize(result: RunResult) -> dict[str, object]:
    """Figures for the measured window only (warm-up samples dropped)."""
    measured = [s for s in result.samples if s.due >= result.warmup]
    ok = [s for s in measured if not s.error]
    errors: dict[str, int] = {}
    for sample in measured:
        if sample.error:
            errors[sample.error] = errors.get(sample.error, 0) + 1
    # Timed-out requests never produced a sample; they are due somewhere in the run,
    # and at most all of them fall in the measured window, so count them all as errors.
    if result.timeouts:
        errors["timeout"] = result.timeouts
    latencies = sorted(s.latency for s in ok)
    lags = sorted(s.send_lag for s in measured)
    # Throughput: successful responses that completed inside the measured window, over
    # its length. Under overload this is what the server really delivered.
    window_end = result.warmup + result.duration
    completed = sum(
        1 for s in result.samples if not s.error and result.warmup <= s.due + s.latency < window_end
    )
    return {
        "offered_rps": result.rate,
        "warmup_s": result.warmup,
        "measure_s": result.duration,
        "requests": len(measured) + result.timeouts,
        "ok": len(ok),
        "errors": sum(errors.values()),
        "error_kinds": errors,
        "achieved_rps": round(completed / result.duration, 2) if result.duration else 0.0,
        "latency_ms": {
            "p50": _ms(percentile(latencies, 0.50)),
            "p90": _ms(percentile(latencies, 0.90)),
            "p95": _ms(percentile(latencies, 0.95)),
            "p99": _ms(percentile(latencies, 0.99)),
            "max": _ms(latencies[-1] if latencies else math.nan),
            "mean": _ms(sum(latencies) / len(latencies) if latencies else math.nan),
        },
        # How late the generator itself was in writing requests (waiting for a free
        # connection included). Large values mean the figures are bounded by the
        # client or the pool, not only by the server.
        "send_lag_ms": {
            "p99": _ms(percentile(lags, 0.99)),
            "max": _ms(lags[-1] if lags else math.nan),
        },
        "max_open_connections": result.max_open_connections,
    }


def _ms(seconds: float) -> float | None:
    if math.isnan(seconds):
        return None
    return round(seconds * 1000, 3)


def run_event_loop(coroutine: Any) -> Any:
    """Run ``coroutine`` on uvloop when it is installed (as the servers measured do)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(coroutine)
