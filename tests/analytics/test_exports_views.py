"""The exports pages: asking from the buttons, the list and detail pages (with their
HTMX poll), the download's headers, and every refusal (404s, 4xx, nothing written)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from loom.analytics.exports import export_request
from loom.analytics.models import Export, ExportStatus
from loom.core.models import AuditLog
from tests.accounts.security_support import enable_totp
from tests.analytics.test_exports_support import StaticRows, fresh_static_rows
from tests.conftest import signed_in
from tests.world import World

NEW = reverse("analytics_exports:new")
LIST = reverse("analytics_exports:list")
# The list page: the session, the user, the exports, and what the site layout reads
# for every signed-in page. The same for one export or many.
LIST_QUERIES = 4


@pytest.fixture
def static_rows() -> Iterator[StaticRows]:
    with fresh_static_rows() as rows:
        rows.rows = [("Avi Mizrahi", None, None, 3, 50.0, None, None)]
        yield rows


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _ask(
    client: Client,
    capture: Any,
    *,
    table: str = "test_exports.static",
    fmt: str = "csv",
    **query: str,
) -> Any:
    data = {"table": table, "format": fmt, **{f"q.{k}": v for k, v in query.items()}}
    with capture(execute=True):
        return client.post(NEW, data)


def _ready_export(world: World, capture: Any, who: str = "dana", fmt: str = "csv") -> Export:
    response = _ask(signed_in(getattr(world, who)), capture, fmt=fmt)
    assert response.status_code == 302, response.content
    return Export.objects.latest("created_at")


# --- Asking ----------------------------------------------------------------------------------


def test_asking_redirects_to_the_export_which_is_ready(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    dana = signed_in(world.dana)
    response = _ask(dana, django_capture_on_commit_callbacks, days="7", segment="new")
    export = Export.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("analytics_exports:detail", args=[export.pk])
    assert export.params == {"days": 7, "segment": "new"}
    assert export.status == ExportStatus.READY
    page = dana.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "Export of Sessions per week" in html
    assert reverse("analytics_exports:download", args=[export.pk]) in html
    assert "hx-get" not in html  # nothing to wait for: no poll


def test_the_language_of_the_page_is_the_language_of_the_file(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    _ask(signed_in(world.eli), django_capture_on_commit_callbacks)
    assert Export.objects.get().language == "he"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"table": "no-such-table", "format": "csv"}, 404),
        ({"table": "test_exports.admin", "format": "csv"}, 404),
        ({"format": "csv"}, 404),
        ({"table": "test_exports.static", "format": "pdf"}, 400),
        ({"table": "test_exports.static"}, 400),
        ({"table": "test_exports.static", "format": "csv", "q.days": "9" * 300}, 400),
        ({"table": "test_exports.static", "format": "csv", "q.days": "-1"}, 400),
        ({"table": "test_exports.static", "format": "csv", "q.segment": "\x00"}, 400),
        ({"table": "test_exports.static\x00", "format": "csv"}, 404),
    ],
)
def test_bad_requests_get_a_clear_answer_and_write_nothing(
    world: World, data: dict[str, str], status: int
) -> None:
    response = signed_in(world.dana).post(NEW, data)
    assert response.status_code == status
    if status == 400:
        assert b"Export not started" in response.content
        assert b'role="alert"' in response.content
    assert not Export.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="analytics.export").exists()


def test_a_fourth_export_on_the_way_is_refused_with_429(world: World) -> None:
    dana = signed_in(world.dana)
    for _ in range(3):
        assert dana.post(NEW, {"table": "test_exports.static", "format": "csv"}).status_code == 302
    response = dana.post(NEW, {"table": "test_exports.static", "format": "csv"})
    assert response.status_code == 429
    assert b"Wait for one to finish" in response.content
    assert Export.objects.count() == 3


def test_a_client_cannot_export_at_all(world: World) -> None:
    avi = signed_in(world.avi)
    response = avi.post(NEW, {"table": "test_exports.static", "format": "csv"})
    assert response.status_code == 302
    assert response["Location"] == reverse("client:home")
    assert avi.get(LIST).status_code == 302
    assert not Export.objects.exists()


def test_signed_out_people_are_sent_to_sign_in(world: World) -> None:
    response = Client().post(NEW, {"table": "test_exports.static", "format": "csv"})
    assert response.status_code == 302
    assert "login" in response["Location"]
    assert not Export.objects.exists()


def test_new_only_takes_post(world: World) -> None:
    assert signed_in(world.dana).get(NEW).status_code == 405


# --- The pages -------------------------------------------------------------------------------


def test_list_shows_own_exports_only_with_constant_queries(
    world: World,
    django_capture_on_commit_callbacks: Any,
    static_rows: StaticRows,
    django_assert_num_queries: Any,
) -> None:
    dana = signed_in(world.dana)
    _ask(dana, django_capture_on_commit_callbacks)
    _ask(signed_in(world.eli), django_capture_on_commit_callbacks)
    dana.get(LIST)  # warm the session and caches
    with django_assert_num_queries(LIST_QUERIES):
        page = dana.get(LIST)
    html = page.content.decode()
    assert page.status_code == 200
    assert (
        html.count(
            reverse(
                "analytics_exports:download",
                args=[Export.objects.filter(requested_by=world.dana).get().pk],
            )
        )
        == 1
    )
    assert html.count("<tr>") == 2  # the header and Dana's one export, not Eli's
    assert "<caption" in html and 'scope="col"' in html
    for _ in range(2):
        _ask(dana, django_capture_on_commit_callbacks)
    Export.objects.filter(requested_by=world.dana).update(status=ExportStatus.READY)
    with django_assert_num_queries(LIST_QUERIES):
        many = dana.get(LIST)
    assert many.content.decode().count("<tr>") == 4


def test_list_polls_while_an_export_is_on_the_way_and_stops_when_done(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    dana = signed_in(world.dana)
    with django_capture_on_commit_callbacks(execute=False):
        export = export_request(
            user=world.dana, table_key="test_exports.static", query={}, fmt="csv"
        )
    page = dana.get(LIST).content.decode()
    assert 'hx-get="/exports/?poll=1"' in page
    assert 'aria-live="polite"' in page
    assert f'href="{LIST}">Refresh</a>' in page  # works without JavaScript
    poll = dana.get(LIST, {"poll": "1"}, headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert b"<html" not in poll.content
    assert b"Waiting" in poll.content
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED)
    done = dana.get(LIST, {"poll": "1"}, headers={"HX-Request": "true"})
    assert done.status_code == 286  # htmx: swap, then stop polling
    assert b'hx-swap-oob="innerHTML:#export-announcer"' in done.content
    assert b"All your exports have finished." in done.content


def test_detail_polls_then_announces_ready(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    from loom.analytics.exports import export_run
    from loom.core.context import system_context

    dana = signed_in(world.dana)
    with django_capture_on_commit_callbacks(execute=False):
        export = export_request(
            user=world.dana, table_key="test_exports.static", query={}, fmt="xlsx"
        )
    url = reverse("analytics_exports:detail", args=[export.pk])
    assert f'hx-get="{url}?poll=1"' in dana.get(url).content.decode()
    with system_context():
        export_run(export_id=export.pk)
    done = dana.get(url, {"poll": "1"}, headers={"HX-Request": "true"})
    assert done.status_code == 286
    assert b"Your export is ready to download." in done.content
    assert reverse("analytics_exports:download", args=[export.pk]).encode() in done.content


def test_detail_of_someone_elses_export_is_404(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _ready_export(world, django_capture_on_commit_callbacks)
    url = reverse("analytics_exports:detail", args=[export.pk])
    assert signed_in(world.eli).get(url).status_code == 404
    enable_totp(world.admin)  # past the admin's second-factor gate
    assert signed_in(world.admin).get(url).status_code == 404
    assert signed_in(world.dana).get("/exports/not-a-uuid/").status_code == 404
    assert signed_in(world.dana).get("/exports/not-a-uuid/download/").status_code == 404


def test_failed_and_expired_exports_say_so(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    dana = signed_in(world.dana)
    export = _ready_export(world, django_capture_on_commit_callbacks)
    url = reverse("analytics_exports:detail", args=[export.pk])
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    html = dana.get(url).content.decode()
    assert "Expired" in html and "no longer available" in html
    assert reverse("analytics_exports:download", args=[export.pk]) not in html
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED, error="boom")
    html = dana.get(url).content.decode()
    assert "could not be prepared" in html
    assert "boom" not in html


# --- The download ----------------------------------------------------------------------------


def test_download_headers_and_audit(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _ready_export(world, django_capture_on_commit_callbacks, who="eli", fmt="xlsx")
    response = signed_in(world.eli).get(reverse("analytics_exports:download", args=[export.pk]))
    assert response.status_code == 200
    body = b"".join(response.streaming_content)  # type: ignore[attr-defined]
    assert body.startswith(b"PK") and len(body) == export.size
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    ascii_part = disposition.split('filename="')[1].split('"')[0]
    assert ascii_part.isascii() and ascii_part.endswith(".xlsx")
    unicode_part = unquote(disposition.split("filename*=UTF-8''")[1])
    assert unicode_part.endswith(".xlsx")
    assert (
        AuditLog.objects.filter(
            action="analytics.export_downloaded", actor_id=world.eli.pk, target_id=str(export.pk)
        ).count()
        == 1
    )


def test_csv_download_content_type(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _ready_export(world, django_capture_on_commit_callbacks)
    response = signed_in(world.dana).get(reverse("analytics_exports:download", args=[export.pk]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")  # type: ignore[attr-defined]


def test_nobody_else_can_download(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _ready_export(world, django_capture_on_commit_callbacks)
    url = reverse("analytics_exports:download", args=[export.pk])
    assert signed_in(world.eli).get(url).status_code == 404
    enable_totp(world.admin)  # past the admin's second-factor gate
    assert signed_in(world.admin).get(url).status_code == 404
    assert signed_in(world.avi).get(url).status_code == 302  # clients: not their area
    assert not AuditLog.objects.filter(action="analytics.export_downloaded").exists()


def test_download_after_expiry_is_404_even_replayed(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _ready_export(world, django_capture_on_commit_callbacks)
    dana = signed_in(world.dana)
    url = reverse("analytics_exports:download", args=[export.pk])
    assert dana.get(url).status_code == 200
    Export.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert dana.get(url).status_code == 404
    assert dana.get(url).status_code == 404
    assert AuditLog.objects.filter(action="analytics.export_downloaded").count() == 1


def test_download_of_an_export_not_ready_is_404(world: World) -> None:
    export = export_request(user=world.dana, table_key="test_exports.static", query={}, fmt="csv")
    url = reverse("analytics_exports:download", args=[export.pk])
    assert signed_in(world.dana).get(url).status_code == 404
    assert not AuditLog.objects.filter(action="analytics.export_downloaded").exists()
    Export.objects.filter(pk=export.pk).update(status=ExportStatus.FAILED)
    assert signed_in(world.dana).get(url).status_code == 404
    assert not AuditLog.objects.filter(action="analytics.export_downloaded").exists()


def test_a_broken_download_resumes_with_a_range(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _ready_export(world, django_capture_on_commit_callbacks)
    url = reverse("analytics_exports:download", args=[export.pk])
    response = signed_in(world.dana).get(url, headers={"Range": "bytes=3-"})
    assert response.status_code == 206
    assert not b"".join(response.streaming_content).startswith(b"\xef\xbb\xbf")  # type: ignore[attr-defined]
    assert response["Cache-Control"] == "no-store"


def test_download_of_a_file_gone_from_storage_is_404(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    from django.core.files.storage import default_storage

    export = _ready_export(world, django_capture_on_commit_callbacks)
    default_storage.delete(export.file.name)
    url = reverse("analytics_exports:download", args=[export.pk])
    assert signed_in(world.dana).get(url).status_code == 404
    assert not AuditLog.objects.filter(action="analytics.export_downloaded").exists()


def test_asking_without_the_csrf_token_is_refused(world: World) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.dana)
    response = browser.post(NEW, {"table": "test_exports.static", "format": "csv"})
    assert response.status_code == 403
    assert not Export.objects.exists()


def test_an_export_id_that_does_not_exist_is_404(world: World) -> None:
    missing = "00000000-0000-4000-8000-000000000000"
    dana = signed_in(world.dana)
    assert dana.get(f"/exports/{missing}/").status_code == 404
    assert dana.get(f"/exports/{missing}/download/").status_code == 404
