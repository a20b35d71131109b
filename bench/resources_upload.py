"""Upload throughput and server memory: large video uploads to a real uvicorn server.

``bench.run`` calls ``run()`` with the Loom server's environment and the bench coach's
session cookie (``bench.prepare``). It starts its own uvicorn process (one worker,
uvloop, httptools), then sends ``BENCH_UPLOAD_COUNT`` (default 5) uploads of
``BENCH_UPLOAD_MB`` (default 100) MB each, one after another, to
``POST /coach/resources/upload/`` exactly as the upload page's script does (one file
per request, ``Accept: application/json``). Each body is a valid WebM — a short real
video whose size is made up by an EBML ``Void`` element (``tests/resources/media.py``)
— streamed from a generator, so the bench itself holds one chunk at a time.

Reported: MB/s per upload (request sent to 201 received: receiving, validating by
content and storing), the median and the minimum, and the server's peak resident
memory (``VmHWM`` from ``/proc``) before and after the uploads. The uploaded resources
and their files are deleted afterwards (``python -m bench.resources_upload cleanup``).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
NAME = "resources_upload"
HOST = "127.0.0.1"
PATH = "/coach/resources/upload/"
TITLE_PREFIX = "Bench upload"
BOUNDARY = "loom-bench-upload-boundary"
CSRF_SECRET = "b" * 32
CHUNK_BYTES = 1024 * 1024


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _peak_rss_mb(pid: int) -> float | None:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    return None


def _body(size: int, index: int) -> tuple[int, Iterator[bytes]]:
    sys.path.insert(0, str(ROOT))
    from tests.resources.media import webm_stream

    total, chunks = webm_stream(size, chunk_bytes=CHUNK_BYTES)
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="files"; '
        f'filename="{TITLE_PREFIX} {index}.webm"\r\n'
        "Content-Type: video/webm\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from chunks
        yield tail

    return len(head) + total + len(tail), body()


def _start(env: dict[str, str], port: int, log_path: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    log = log_path.open("wb")
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def _wait(process: subprocess.Popen[bytes], base: str, log_path: Path) -> None:
    import httpx

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"upload server exited with {process.returncode}; see {log_path}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise SystemExit(f"upload server did not answer within 60 s; see {log_path}")


def run(*, env: dict[str, str], cookie: str, data_dir: Path) -> dict[str, Any]:
    """Serve, upload, measure, clean up; returns the result (see the module text)."""
    import httpx

    count = int(os.environ.get("BENCH_UPLOAD_COUNT", "5"))
    size_mb = int(os.environ.get("BENCH_UPLOAD_MB", "100"))
    size = size_mb * 1024 * 1024
    port = _free_port()
    base = f"http://{HOST}:{port}"
    log_path = data_dir / f"{NAME}.server.log"
    process = _start(env, port, log_path)
    seconds: list[float] = []
    try:
        _wait(process, base, log_path)
        headers = {
            "Cookie": f"{cookie}; {_csrf_cookie_name(env)}={CSRF_SECRET}",
            "X-CSRFToken": CSRF_SECRET,
            "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
        }
        with httpx.Client(base_url=base, timeout=600) as http:
            warm = http.get(PATH, headers={"Cookie": cookie})
            if warm.status_code != 200:
                raise SystemExit(f"GET {PATH} answered {warm.status_code}; see {log_path}")
            rss_before = _peak_rss_mb(process.pid)
            for index in range(1, count + 1):
                length, body = _body(size, index)
                started = time.perf_counter()
                response = http.post(
                    PATH, content=body, headers={**headers, "Content-Length": str(length)}
                )
                elapsed = time.perf_counter() - started
                if response.status_code != 201:
                    raise SystemExit(
                        f"upload {index} answered {response.status_code}: {response.text[:300]}"
                    )
                seconds.append(elapsed)
        rss_after = _peak_rss_mb(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        _cleanup(env)
    rates = [size_mb / value for value in seconds]
    return {
        "name": NAME,
        "kind": "workload",
        "description": (
            f"{count} sequential uploads of a {size_mb} MB WebM video to POST {PATH} "
            "(one file per request, as the upload page sends them), on one uvicorn worker."
        ),
        "uploads": count,
        "upload_mb": size_mb,
        "seconds": [round(value, 2) for value in seconds],
        "mb_per_s": {
            "median": round(statistics.median(rates), 1),
            "min": round(min(rates), 1),
            "max": round(max(rates), 1),
        },
        "server_peak_rss_mb": {"before_uploads": rss_before, "after_uploads": rss_after},
        "server": "uvicorn config.asgi:application (1 worker, uvloop, httptools)",
    }


def _csrf_cookie_name(env: dict[str, str]) -> str:
    completed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CSRF_COOKIE_NAME)",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip().splitlines()[-1]


def _cleanup(env: dict[str, str]) -> None:
    cleanup_env = {**env}
    if cleanup_env.get("DATABASE_APP_ROLE"):
        cleanup_env["LOOM_DB_OWNER_MODE"] = "1"
    subprocess.run(
        [sys.executable, "-m", "bench.resources_upload", "cleanup"],
        cwd=ROOT,
        env=cleanup_env,
        check=False,
    )


def summary_lines(result: dict[str, Any]) -> list[str]:
    rates = result["mb_per_s"]
    rss = result["server_peak_rss_mb"]
    return [
        "",
        "## Resource uploads",
        "",
        result["description"],
        "",
        "| uploads | MB each | median MB/s | min MB/s | max MB/s | seconds each "
        "| server peak RSS before / after (MB) |",
        "|---:|---:|---:|---:|---:|---|---:|",
        f"| {result['uploads']} | {result['upload_mb']} | {rates['median']} | {rates['min']} "
        f"| {rates['max']} | {', '.join(str(value) for value in result['seconds'])} "
        f"| {rss['before_uploads']} / {rss['after_uploads']} |",
        "",
    ]


def _delete_uploads() -> None:
    """Remove the bench's uploaded resources and their stored files."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.prod")
    import django

    django.setup()
    from loom.core.context import system_context
    from loom.resources.models import Resource

    with system_context():
        for resource in Resource.objects.filter(title__startswith=TITLE_PREFIX):
            resource.file.delete(save=False)
            resource.delete()


if __name__ == "__main__":
    if sys.argv[1:] == ["cleanup"]:
        _delete_uploads()
    else:
        sys.stdout.write(json.dumps({"usage": "python -m bench.run (BENCH_ONLY=resources_upload)"}))
