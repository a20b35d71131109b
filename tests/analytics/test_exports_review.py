"""Review of the exports (review5): the cases the first round of tests did not reach."""

from __future__ import annotations

import csv
import io
import threading
import tracemalloc
import zoneinfo
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.utils import timezone

from loom.accounts.models import User
from loom.analytics.exports import (
    MAX_ACTIVE_EXPORTS,
    csv_cell,
    export_open_for_download,
    export_prune,
    export_request,
    export_run,
    write_table,
)
from loom.analytics.models import Export, ExportStatus
from loom.analytics.tables import Column
from loom.core.context import system_context
from loom.core.errors import DomainError
from loom.core.models import AuditLog
from tests.analytics.test_exports_support import STATIC_TABLE, StaticRows, fresh_static_rows
from tests.world import World

UTC_ZONE = zoneinfo.ZoneInfo("UTC")
TEXT = Column("name", "Name")


@pytest.fixture
def static_rows() -> Iterator[StaticRows]:
    with fresh_static_rows() as rows:
        yield rows


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# --- CSV injection ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        " =1+1",  # spreadsheets trim leading blanks before deciding it is a formula
        "  +SUM(A1:A9)",
        "\u00a0=1+1",  # no-break space
        "\u3000@cmd",  # ideographic space
        "\n=1+1",  # line feed: LibreOffice strips it
        " \t-2+3",
        "\uff1d1+1",  # FULLWIDTH EQUALS SIGN: NFKC-folded to "=" by some importers
        "\ufe661+1",  # SMALL EQUALS SIGN
        "\uff0bSUM(A1)",  # FULLWIDTH PLUS SIGN
        "\uff0d2+3",  # FULLWIDTH HYPHEN-MINUS
        "\uff20cmd",  # FULLWIDTH COMMERCIAL AT
        "\ufe62SUM(A1)",  # SMALL PLUS SIGN
        "\u2212" + "2+3",  # MINUS SIGN
    ],
)
def test_csv_defuses_formulas_behind_blanks_and_look_alikes(text: str) -> None:
    assert csv_cell(text, TEXT, UTC_ZONE) == "'" + text


@pytest.mark.parametrize("text", ["Avi Mizrahi", "נועה", "3 sessions", "a=b", "e-mail", ""])
def test_csv_leaves_ordinary_text_alone(text: str) -> None:
    assert csv_cell(text, TEXT, UTC_ZONE) == text


# --- Numbers that are not figures ------------------------------------------------------------


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")])
def test_decimal_nan_and_infinity_are_empty_cells(tmp_path: Path, value: Decimal) -> None:
    # PostgreSQL numeric holds NaN and ±Infinity; XlsxWriter refuses them outright
    # (the whole export would fail) and CSV would say "NaN".
    column = Column("value", "Value", "float")
    assert csv_cell(value, column, UTC_ZONE) == ""
    path = tmp_path / "nan.xlsx"
    table = STATIC_TABLE.__class__(
        key="x", title="Figures", audience="coach", columns=(column,), rows=lambda v, p: []
    )
    count = write_table(
        path=str(path),
        fmt="xlsx",
        table=table,
        rows=[(value,), (Decimal("1.5"),)],
        zone=UTC_ZONE,
        right_to_left=False,
    )
    assert count == 2
    sheet = openpyxl.load_workbook(path).active
    assert [row[0] for row in sheet.iter_rows(values_only=True)] == ["Value", None, 1.5]


# --- Large exports: memory stays flat --------------------------------------------------------


def _rows(count: int) -> Iterator[tuple[Any, ...]]:
    moment = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)
    for n in range(count):
        yield (
            f"Client {n}",
            date(2026, 3, 7),
            moment,
            n,
            42.5,
            1.25,
            timedelta(minutes=n % 600),
        )


def _peak(tmp_path: Path, fmt: str, count: int) -> tuple[int, int]:
    path = tmp_path / f"big-{count}.{fmt}"
    tracemalloc.start()
    try:
        written = write_table(
            path=str(path),
            fmt=fmt,
            table=STATIC_TABLE,
            rows=_rows(count),
            zone=UTC_ZONE,
            right_to_left=False,
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert written == count
    return peak, path.stat().st_size


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_100k_row_export_is_written_in_flat_memory(tmp_path: Path, fmt: str) -> None:
    _peak(tmp_path, fmt, 10)  # imports and one-off set-up (XlsxWriter: ~17 MB) out of the way
    small_peak, small_size = _peak(tmp_path, fmt, 1_000)
    big_peak, big_size = _peak(tmp_path, fmt, 100_000)
    assert big_size > 50 * small_size  # the file really holds 100 times the rows …
    # … but the writer's memory does not grow with them (XlsxWriter constant_memory
    # flushes each row; the CSV writer writes each row). Generous slack for the
    # allocator; a writer that kept the rows would need tens of megabytes.
    assert big_peak < small_peak + 2_000_000, (small_peak, big_peak)
    assert big_peak < 4_000_000, big_peak


def test_a_100k_row_xlsx_reads_back_first_and_last_rows(tmp_path: Path) -> None:
    _peak(tmp_path, "xlsx", 100_000)
    sheet = openpyxl.load_workbook(tmp_path / "big-100000.xlsx", read_only=True).active
    rows = sheet.iter_rows(values_only=True)
    assert next(rows)[0] == "Name"
    assert next(rows)[:1] == ("Client 0",)
    assert sheet.max_row == 100_001


# --- A deactivated requester -----------------------------------------------------------------


@pytest.mark.django_db
def test_an_export_of_a_since_deactivated_requester_fails_without_a_file(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [("Avi", None, None, 1, None, None, None)]
    with django_capture_on_commit_callbacks(execute=False):
        export = export_request(user=world.dana, table_key=STATIC_TABLE.key, query={}, fmt="csv")
    User.objects.filter(pk=world.dana.pk).update(is_active=False)
    with system_context():
        assert export_run(export_id=export.pk) == ExportStatus.FAILED
    export.refresh_from_db()
    assert export.error == "The requester may no longer export this table."
    assert not export.file
    assert static_rows.seen == []  # no row was read for them


# --- Download while the prune runs -----------------------------------------------------------


@pytest.mark.django_db
def test_a_download_under_way_survives_the_prune_and_the_next_one_is_refused(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows, rf: Any
) -> None:
    from loom.analytics.views_exports import export_download

    static_rows.rows = [(f"Client {n}", None, None, n, None, None, None) for n in range(20_000)]
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(user=world.dana, table_key=STATIC_TABLE.key, query={}, fmt="csv")
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    request = rf.get("/")
    request.user = world.dana
    response = export_download(request, export_id=export.pk)
    chunks = iter(response.streaming_content)
    first = next(chunks)
    # The prune runs (the export has just expired) and deletes row and file.
    with django_capture_on_commit_callbacks(execute=True), system_context():
        assert export_prune(now=timezone.now() + timedelta(days=30)).expired == 1
    assert not default_storage.exists(export.file.name)
    body = first + b"".join(chunks)
    assert len(body) == export.size  # the open file is read to its end
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert len(rows) == 20_001
    with pytest.raises(Exception) as refused:
        export_open_for_download(user=world.dana, export_id=export.pk)
    assert refused.type.__name__ == "NotFound"


# --- The 3-in-flight limit under concurrency (PostgreSQL) ------------------------------------


@pytest.mark.skipif("connection.vendor != 'postgresql'")
@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_never_exceed_the_limit(
    world: World, static_rows: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing is built meanwhile (the test backend would build at once and free a slot).
    monkeypatch.setattr("loom.analytics.exports._enqueue", lambda export_id: None)
    attempts = 8
    barrier = threading.Barrier(attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def ask() -> None:
        try:
            barrier.wait(timeout=30)
            try:
                export_request(user=world.dana, table_key=STATIC_TABLE.key, query={}, fmt="csv")
                outcome = "ok"
            except DomainError as exc:
                outcome = exc.code or "refused"
            with lock:
                outcomes.append(outcome)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=ask) for _ in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["ok"] * MAX_ACTIVE_EXPORTS + ["too_many_exports"] * (
        attempts - MAX_ACTIVE_EXPORTS
    )
    assert Export.objects.filter(requested_by=world.dana).count() == MAX_ACTIVE_EXPORTS
    with system_context():
        assert (
            AuditLog.objects.filter(action="analytics.export_requested").count()
            == MAX_ACTIVE_EXPORTS
        )
    assert connection.vendor == "postgresql"


# --- Failures leave no file ------------------------------------------------------------------


def _files(root: Path) -> list[Path]:
    return [path for path in root.rglob("*") if path.is_file()]


@pytest.mark.django_db
def test_rows_failing_half_way_leave_no_xlsx(
    world: World, django_capture_on_commit_callbacks: Any, media: Path
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=world.dana, table_key="test_exports.broken", query={}, fmt="xlsx"
        )
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error == "The export could not be built (RuntimeError)."
    assert _files(media) == []


@pytest.mark.django_db
def test_a_storage_failure_half_way_through_the_upload_leaves_no_partial_file(
    world: World,
    django_capture_on_commit_callbacks: Any,
    static_rows: StaticRows,
    media: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.core.files import File

    static_rows.rows = [(f"Client {n}", None, None, n, None, None, None) for n in range(5_000)]

    class FailingFile(File):  # type: ignore[type-arg]
        def chunks(self, chunk_size: int | None = None) -> Iterator[bytes]:
            iterator = super().chunks(chunk_size=1024)
            yield next(iterator)
            raise OSError("No space left on device")

    monkeypatch.setattr("loom.analytics.exports.File", FailingFile)
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(user=world.dana, table_key=STATIC_TABLE.key, query={}, fmt="csv")
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED
    assert export.error == "The export could not be built (OSError)."
    assert _files(media) == []  # the half-written upload is gone too


# --- The second factor the dashboards require --------------------------------------------------


@pytest.mark.django_db
def test_an_admin_without_a_second_factor_cannot_export_the_admin_tables(world: World) -> None:
    from django.urls import reverse

    from tests.accounts.security_support import enable_totp
    from tests.conftest import signed_in

    admin = signed_in(world.admin)
    # The dashboard itself is gated …
    assert admin.get("/admin-area/analytics/").status_code == 302
    # … and so is the export of its tables.
    response = admin.post(
        reverse("analytics_exports:new"), {"table": "admin_kpis", "format": "csv"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:mfa_setup"))
    assert admin.get(reverse("analytics_exports:list")).status_code == 302
    with system_context():
        assert not Export.objects.exists()
    enable_totp(world.admin)
    response = admin.post(
        reverse("analytics_exports:new"), {"table": "admin_kpis", "format": "csv"}
    )
    assert response.status_code == 302
    assert "/exports/" in response["Location"]


@pytest.mark.django_db
def test_a_coach_must_have_a_second_factor_when_the_policy_says_so(
    world: World, settings: Any
) -> None:
    from django.urls import reverse

    from tests.conftest import signed_in

    settings.LOOM_REQUIRE_MFA_FOR_COACHES = True
    dana = signed_in(world.dana)
    response = dana.post(
        reverse("analytics_exports:new"), {"table": "coach_attention", "format": "xlsx"}
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:mfa_setup"))
    with system_context():
        assert not Export.objects.exists()


# --- Downloads are audited when bytes are sent, and the audit holds no data ------------------


@pytest.mark.django_db
def test_download_audit_only_when_bytes_are_sent(
    world: World,
    django_capture_on_commit_callbacks: Any,
    static_rows: StaticRows,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from django.urls import reverse

    from tests.conftest import signed_in

    static_rows.rows = [("Avi Mizrahi", None, None, 3, None, None, None)]
    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=world.dana, table_key=STATIC_TABLE.key, query={"days": "7"}, fmt="csv"
        )
    dana = signed_in(world.dana)
    url = reverse("analytics_exports:download", args=[export.pk])

    def audits() -> list[dict[str, Any]]:
        with system_context():
            return list(
                AuditLog.objects.filter(action="analytics.export_downloaded")
                .order_by("pk")
                .values_list("details", flat=True)
            )

    full = dana.get(url)
    assert full.status_code == 200
    b"".join(full.streaming_content)  # type: ignore[attr-defined]
    assert audits() == [{"table": STATIC_TABLE.key, "format": "csv"}]
    assert dana.get(url, HTTP_IF_NONE_MATCH=full["ETag"]).status_code == 304
    assert dana.get(url, HTTP_RANGE="bytes=999999-").status_code == 416
    assert len(audits()) == 1  # nothing was sent
    resumed = dana.get(url, HTTP_RANGE="bytes=3-", HTTP_IF_RANGE=full["ETag"])
    assert resumed.status_code == 206
    assert b"".join(resumed.streaming_content).startswith(b"Name")  # type: ignore[attr-defined]
    assert audits()[-1] == {"table": STATIC_TABLE.key, "format": "csv", "partial": True}

    # The prune deletes the file between the check and the open: a 404, not audited.
    def vanished(*args: Any, **kwargs: Any) -> Any:
        raise FileNotFoundError

    monkeypatch.setattr("loom.core.media.open_range", vanished)
    assert dana.get(url).status_code == 404
    assert len(audits()) == 2
    with system_context():
        asked = AuditLog.objects.get(action="analytics.export_requested")
    # The request's audit names the table, format and cleaned filters: never a cell.
    assert asked.details == {
        "table": STATIC_TABLE.key,
        "format": "csv",
        "params": {"days": 7, "segment": "all"},
    }
    assert "Avi" not in str(asked.details) and all("Avi" not in str(d) for d in audits())


# --- A worker that dies after the upload leaves no orphan file -------------------------------


class WorkerKilled(BaseException):
    """Stands for SIGKILL / OOM: nothing after it runs, not even ``except Exception``."""


@pytest.mark.django_db
def test_a_worker_dying_after_the_upload_leaves_no_orphan_file(
    world: World,
    django_capture_on_commit_callbacks: Any,
    static_rows: StaticRows,
    media: Path,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    static_rows.rows = [("Avi Mizrahi", None, None, 3, None, None, None)]
    with django_capture_on_commit_callbacks(execute=False):
        export = export_request(user=world.dana, table_key=STATIC_TABLE.key, query={}, fmt="csv")
    real_save = default_storage.save

    def save_then_die(name: str, content: Any, **kwargs: Any) -> str:
        real_save(name, content, **kwargs)
        raise WorkerKilled

    monkeypatch.setattr(default_storage, "save", save_then_die)
    with pytest.raises(WorkerKilled), system_context():
        export_run(export_id=export.pk)
    monkeypatch.undo()
    assert len(_files(media)) == 1  # the table's copy, on disk, with a running row
    later = timezone.now() + timedelta(hours=2)
    retention = timedelta(hours=settings.ANALYTICS_EXPORT_RETENTION_HOURS)
    with django_capture_on_commit_callbacks(execute=True), system_context():
        assert export_prune(now=later).stale == 1
        assert export_prune(now=later + retention).failed == 1
    assert _files(media) == []


# --- A changed role ends access to the files made with the old one -----------------------------


@pytest.mark.django_db
def test_an_admin_made_coach_can_no_longer_download_admin_exports(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    from django.urls import reverse

    from loom.accounts.models import Role
    from loom.core.errors import NotFound
    from tests.accounts.security_support import enable_totp
    from tests.conftest import signed_in

    with django_capture_on_commit_callbacks(execute=True):
        export = export_request(
            user=world.admin, table_key="test_exports.admin", query={}, fmt="csv"
        )
    export.refresh_from_db()
    assert export.status == ExportStatus.READY
    enable_totp(world.admin)
    url = reverse("analytics_exports:download", args=[export.pk])
    assert signed_in(world.admin).get(url).status_code == 200
    User.objects.filter(pk=world.admin.pk).update(role=Role.COACH, is_staff=False)
    world.admin.refresh_from_db()
    with pytest.raises(NotFound):
        export_open_for_download(user=world.admin, export_id=export.pk)
    assert signed_in(world.admin).get(url).status_code == 404
