"""Browser tier: Playwright (sync API) on Debian's Chromium against a live Loom server.

- ``browser``: one Chromium for the ``tests/browser`` package.
- ``viewport`` (``"375"`` = 375x812, ``"1280"`` = 1280x800; tests run at both unless
  they parametrize it) and ``language`` (``"en"`` unless a test parametrizes it).
- ``server_url``: pytest-django's live server (WSGI in a thread; static files come from
  the finders, so the real CSS, fonts and htmx load), with ``LOOM_BASE_URL`` set to it.
- ``asgi_server_url``: uvicorn serving ``config.asgi.application`` (HTTP and the
  ``/ws/stream/`` socket) in a thread against the test database; ``asgi_server.call``
  runs set-up code in its worker thread so after-commit doorbells reach open sockets.
- ``open_page(language=..., viewport=...)``: a page in a fresh browser context (another
  person's browser); ``page`` is the first one. When a test fails, each of its pages is
  saved as a screenshot and HTML in ``test-results/``.

Checks live in ``tests.browser.support``. Every test here is marked ``browser``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, Protocol

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from tests.browser import support
from tests.browser.asgi_server import AsgiServer

CHROMIUM = Path(os.environ.get("LOOM_CHROMIUM", "/usr/bin/chromium"))
# Playwright cannot download its own browsers here; these flags keep Debian's Chromium
# from reaching out (updates, sync, QUIC probes) and let it run as root in a container.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
RESULTS_DIR = support.ROOT / "test-results"
VIEWPORTS = {"375": {"width": 375, "height": 812}, "1280": {"width": 1280, "height": 800}}
# The browser's locale sets Accept-Language, which is how a first-time visitor's language
# is chosen (LocaleMiddleware); its time zone is what the sign-up form reads.
BROWSER_LOCALES = {"en": "en-US", "he": "he-IL"}
TIMEZONES = {"en": "America/New_York", "he": "Asia/Jerusalem"}
# Generous for a 2-core machine that runs the server in the test process.
DEFAULT_TIMEOUT_MS = 15_000

expect.set_options(timeout=DEFAULT_TIMEOUT_MS)

_CALL_REPORT = pytest.StashKey[pytest.TestReport]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Ask `--dist loadgroup` to keep the browser tests on one worker: two Chromiums on a
    # 2-core machine only slow each other down. (pytest-xdist 3.8 under pytest 9.2
    # ignores groups, pytest-xdist issue 1386; the tests are correct spread out too.)
    # `make test` uses `--dist worksteal`, which gets the same effect: each worker starts
    # on a contiguous half of the suite, so this package begins on one worker, and the
    # other steals from the far end of that worker's queue.
    for item in items:
        if item.get_closest_marker("browser") is not None:
            item.add_marker(pytest.mark.xdist_group("browser"))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call":
        item.stash[_CALL_REPORT] = report
    return report


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """Chromium for the browser package.

    Package scope, not session scope: while Playwright's sync API is started it leaves
    an asyncio loop "running" on the main thread, which breaks ``async_to_sync`` in any
    non-browser test the same xdist worker runs later. Pytest tears a package fixture
    down before the first test outside the package.
    """
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium.")
    if not support.AXE_SOURCE_PATH.exists():
        pytest.fail(f"axe-core not found at {support.AXE_SOURCE_PATH}: run `npm ci`.")
    with pytest.MonkeyPatch.context() as patch, sync_playwright() as playwright:
        # That running loop also makes Django's ORM refuse to run unless told it is
        # safe. It is: the ORM calls here are plain synchronous calls made between
        # browser steps. Only for this package, so other tests keep the guard.
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture(params=sorted(VIEWPORTS), ids=lambda width: f"w{width}")
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def language() -> str:
    return "en"


@pytest.fixture
def server_url(asgi_server_url: str) -> str:
    """The origin pages open: the ASGI live server, as in production (uvicorn), so every
    signed-in page's realtime socket connects. Emails build links from ``LOOM_BASE_URL``."""
    return asgi_server_url


class PageOpener(Protocol):
    def __call__(self, *, language: str | None = None, viewport: str | None = None) -> Page: ...


@pytest.fixture
def open_page(
    request: pytest.FixtureRequest, browser: Browser, server_url: str, language: str, viewport: str
) -> Iterator[PageOpener]:
    """Opens pages, each in its own browser context (cookies, storage: a separate person)."""
    contexts: list[BrowserContext] = []
    pages: list[Page] = []
    default_language, default_viewport = language, viewport

    def opener(*, language: str | None = None, viewport: str | None = None) -> Page:
        lang = language or default_language
        context = browser.new_context(
            base_url=server_url,
            viewport=VIEWPORTS[viewport or default_viewport],  # type: ignore[arg-type]
            locale=BROWSER_LOCALES[lang],
            timezone_id=TIMEZONES[lang],
            reduced_motion="reduce",
        )
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        new_page = context.new_page()
        support.watch_page(new_page, language=lang)
        pages.append(new_page)
        return new_page

    yield opener

    report = request.node.stash.get(_CALL_REPORT, None)
    if report is not None and report.failed:
        _save_failure_artifacts(request.node.nodeid, pages)
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page: PageOpener) -> Page:
    return open_page()


def _save_failure_artifacts(nodeid: str, pages: list[Page]) -> None:
    RESULTS_DIR.mkdir(exist_ok=True)
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:150]
    for index, failed_page in enumerate(pages):
        if failed_page.is_closed():
            continue
        target = RESULTS_DIR / f"{stem}-page{index}"
        try:
            failed_page.screenshot(path=f"{target}.png", full_page=True)
            Path(f"{target}.html").write_text(failed_page.content(), encoding="utf-8")
        except Exception as error:  # a crashed page must not hide the test's own failure
            Path(f"{target}.txt").write_text(f"{failed_page.url}\n{error!r}\n", encoding="utf-8")


# --- ASGI live server (websockets) -------------------------------------------------------


@pytest.fixture(scope="package")
def asgi_server(django_db_setup: None) -> Iterator[AsgiServer]:
    """uvicorn serving ``config.asgi.application`` in a thread, for the whole package.

    Started once (after the test database exists); each test gets its own data through
    ``transactional_db`` in ``asgi_server_url``.
    """
    server = AsgiServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def asgi_server_url(asgi_server: AsgiServer, settings: Any, transactional_db: None) -> str:
    """The ASGI live server's origin: pages there open ``/ws/stream/`` for real.

    A test module points the page fixtures at it by overriding ``server_url``::

        @pytest.fixture
        def server_url(asgi_server_url: str) -> str:
            return asgi_server_url
    """
    url = asgi_server.url
    settings.LOOM_BASE_URL = url
    settings.CSRF_TRUSTED_ORIGINS = [*settings.CSRF_TRUSTED_ORIGINS, url]
    return url
