"""A 300 MB video upload (and its download) through a real uvicorn server stays within
a bounded memory.

The server is a separate process (``config.asgi:application``, test settings, this
test's database); the request body is streamed from a generator, so the test itself
holds one chunk at a time. The server's peak resident memory (``VmHWM``) must stay
well under the file's size: uploads go to a temporary file in chunks, the validator
reads in chunks, and storage moves or copies in chunks.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from loom.accounts.models import Role
from loom.resources.models import Resource
from tests.resources import media
from tests.world import make_user

ROOT = Path(__file__).resolve().parents[2]
UPLOAD_BYTES = 300 * 1024 * 1024
PEAK_RSS_LIMIT = 250 * 1024 * 1024
CSRF_SECRET = "m" * 32
BOUNDARY = "loom-memory-test-boundary"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _database_url() -> str:
    params = connection.settings_dict
    user = params.get("USER") or "postgres"
    host = params.get("HOST") or "127.0.0.1"
    port = params.get("PORT") or 5432
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


def peak_rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, int]]:
    if connection.vendor != "postgresql":
        pytest.skip("the server process needs a database it can share (PostgreSQL)")
    port = _free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": _database_url(),
        "LOOM_DATA_DIR": str(tmp_path / "data"),
        "TMPDIR": str(tmp_path),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOOM_RESOURCE_MAX_VIDEO_BYTES": str(UPLOAD_BYTES + 1024 * 1024),
    }
    log = (tmp_path / "server.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "off",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / "server.log").read_text()
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield base, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        log.close()
        # The stored 300 MB file and the server's temporary files.
        shutil.rmtree(tmp_path / "data", ignore_errors=True)


def _multipart(size: int) -> tuple[int, Iterator[bytes]]:
    total, chunks = media.webm_stream(size, chunk_bytes=1024 * 1024)
    head = (
        f"--{BOUNDARY}\r\n"
        f'Content-Disposition: form-data; name="files"; filename="Talk.webm"\r\n'
        f"Content-Type: video/webm\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()

    def body() -> Iterator[bytes]:
        yield head
        yield from chunks
        yield tail

    return len(head) + total + len(tail), body()


@pytest.mark.django_db(transaction=True)
def test_a_300_mb_upload_and_download_keep_the_server_small(
    server: tuple[str, int], capsys: Any
) -> None:
    base, pid = server
    coach = make_user("memory.coach@example.com", role=Role.COACH, full_name="Memory Coach")
    login = Client()
    login.force_login(coach)
    cookies = {
        settings.SESSION_COOKIE_NAME: login.cookies[settings.SESSION_COOKIE_NAME].value,
        settings.CSRF_COOKIE_NAME: CSRF_SECRET,
    }
    with httpx.Client(base_url=base, cookies=cookies, timeout=120) as http:
        page = http.get("/coach/resources/upload/")
        assert page.status_code == 200, page.text[:500]
        before = peak_rss_bytes(pid)
        length, body = _multipart(UPLOAD_BYTES)
        started = time.monotonic()
        response = http.post(
            "/coach/resources/upload/",
            content=body,
            headers={
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Content-Length": str(length),
                "Accept": "application/json",
                "X-CSRFToken": CSRF_SECRET,
            },
        )
        seconds = time.monotonic() - started
        peak = peak_rss_bytes(pid)
        assert response.status_code == 201, response.text[:500]
        # And back: the file view streams it (async under uvicorn) without buffering.
        received = 0
        file_url = f"/resources/{response.json()['resource']['id']}/file/"
        with http.stream("GET", file_url) as download:
            assert download.status_code == 200
            for chunk in download.iter_bytes():
                received += len(chunk)
        download_peak = peak_rss_bytes(pid)
    assert received == UPLOAD_BYTES
    resource = Resource.objects.get(pk=response.json()["resource"]["id"])
    assert resource.size_bytes == UPLOAD_BYTES
    assert resource.kind == "video"
    with capsys.disabled():
        sys.stdout.write(
            f"\n300 MB upload: {seconds:.1f} s ({UPLOAD_BYTES / seconds / 1024 / 1024:.0f} MB/s), "
            f"server peak RSS {peak / 1024 / 1024:.0f} MB "
            f"(after warm-up {before / 1024 / 1024:.0f} MB), "
            f"after downloading it {download_peak / 1024 / 1024:.0f} MB\n"
        )
    assert peak < PEAK_RSS_LIMIT
    assert download_peak < PEAK_RSS_LIMIT
