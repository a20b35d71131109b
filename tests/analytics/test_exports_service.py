"""Exports as services: asking, refusing, building (CSV and XLSX round-trips), failing, pruning."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone, translation

from loom.analytics import tables
from loom.analytics.exports import (
    MAX_ACTIVE_EXPORTS,
    Pruned,
    content_disposition,
    export_open_for_download,
    export_prune,
    export_request,
    export_run,
    sheet_name,
)
from loom.analytics.models import Export, ExportStatus
from loom.core.context import system_context
from loom.core.errors import DomainError, NotFound
from loom.core.models import AuditLog
from tests.analytics.test_exports_support import STATIC_TABLE, StaticRows, fresh_static_rows
from tests.world import World

# A moment on the night the clocks changed in New York (2026-03-08) but not yet in
# Jerusalem (2026-03-27): 07:30 UTC is 03:30 EDT and 09:30 IST.
MOMENT = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)


@pytest.fixture
def static_rows() -> Iterator[StaticRows]:
    with fresh_static_rows() as rows:
        yield rows


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _build(
    capture: Callable[..., Any], user: Any, *, table: str = "test_exports.static", **kw: Any
) -> Export:
    """Ask for an export and run the after-commit task (the immediate backend)."""
    with capture(execute=True):
        export = export_request(
            user=user,
            table_key=table,
            query=kw.pop("query", {}),
            fmt=kw.pop("fmt", "csv"),
            **kw,
        )
    export.refresh_from_db()
    return export


def _read(export: Export) -> bytes:
    with default_storage.open(export.file.name, "rb") as handle:
        return bytes(handle.read())


def _csv_rows(export: Export) -> list[list[str]]:
    return list(csv.reader(io.StringIO(_read(export).decode("utf-8-sig"))))


def _sheet(export: Export) -> Any:
    return openpyxl.load_workbook(io.BytesIO(_read(export))).active


ROW = (
    "Avi Mizrahi",
    date(2026, 3, 7),
    MOMENT,
    4,
    42.5,
    1.25,
    timedelta(minutes=90),
)


# --- Asking ----------------------------------------------------------------------------------


def test_request_stores_language_zone_params_audits_and_builds_after_commit(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [ROW]
    export = _build(django_capture_on_commit_callbacks, world.eli, query={"days": "7"})
    assert export.requested_by == world.eli
    assert (export.language, export.timezone) == ("he", "Asia/Jerusalem")
    assert export.params == {"days": 7, "segment": "all"}
    assert export.status == ExportStatus.READY
    assert export.row_count == 1
    assert export.size == len(_read(export)) > 0
    assert export.file.name.startswith("exports/") and export.file.name.endswith(".csv")
    assert export.finished_at is not None and export.expires_at is not None
    assert export.expires_at - export.finished_at == timedelta(hours=72)
    audit = AuditLog.objects.get(action="analytics.export_requested")
    assert audit.actor_id == world.eli.pk
    assert audit.target_id == str(export.pk)
    assert audit.details == {
        "table": "test_exports.static",
        "format": "csv",
        "params": {"days": 7, "segment": "all"},
    }


def test_nothing_is_built_when_the_request_rolls_back(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        export_request(user=world.dana, table_key="test_exports.static", query={}, fmt="csv")
    assert len(callbacks) == 1  # the enqueue waits for the commit
    assert Export.objects.get().status == ExportStatus.QUEUED


def test_the_language_and_zone_given_win_over_the_profile(world: World) -> None:
    export = export_request(
        user=world.dana,
        table_key="test_exports.static",
        query={},
        fmt="xlsx",
        language="he",
        time_zone="Europe/London",
    )
    assert (export.language, export.timezone) == ("he", "Europe/London")
    bad = export_request(
        user=world.dana,
        table_key="test_exports.static",
        query={},
        fmt="xlsx",
        language="xx",
        time_zone="Mars/Olympus",
    )
    assert (bad.language, bad.timezone) == ("en", "UTC")
    folder = export_request(
        user=world.dana, table_key="test_exports.static", query={}, fmt="csv", time_zone="America"
    )
    assert folder.timezone == "UTC"


@pytest.mark.parametrize(
    ("who", "table"),
    [
        ("dana", "test_exports.admin"),  # a coach, an admin table
        ("admin", "test_exports.static"),  # an admin, a coach table
        ("avi", "test_exports.static"),  # a client, anything
        ("avi", "test_exports.admin"),
        ("dana", "no-such-table"),
        ("dana", ""),
    ],
)
def test_refused_tables_are_not_found_and_write_nothing(world: World, who: str, table: str) -> None:
    with pytest.raises(NotFound):
        export_request(user=getattr(world, who), table_key=table, query={}, fmt="csv")
    assert not Export.objects.exists()
    assert not AuditLog.objects.filter(action="analytics.export_requested").exists()


@pytest.mark.parametrize(
    ("query", "fmt", "code"),
    [
        ({}, "pdf", "invalid_format"),
        ({}, "", "invalid_format"),
        ({"days": "x" * 201}, "csv", "param_too_long"),
        ({"d" * 65: "1"}, "csv", "param_too_long"),
        ({f"p{i}": "1" for i in range(21)}, "csv", "too_many_params"),
        ({"days": "0"}, "csv", "invalid_params"),
        ({"days": "abc"}, "csv", "invalid_params"),
        ({"segment": "a\x00b"}, "csv", "invalid_params"),  # jsonb refuses NUL
        ({"seg\nment": "a"}, "csv", "invalid_params"),
    ],
)
def test_bad_input_is_refused_clearly_and_writes_nothing(
    world: World, query: dict[str, str], fmt: str, code: str
) -> None:
    with pytest.raises(DomainError) as caught:
        export_request(user=world.dana, table_key="test_exports.static", query=query, fmt=fmt)
    assert caught.value.code == code
    assert str(caught.value)
    assert not Export.objects.exists()
    assert not AuditLog.objects.filter(action="analytics.export_requested").exists()


def test_at_most_three_exports_on_the_way_per_person(world: World) -> None:
    for _ in range(MAX_ACTIVE_EXPORTS):
        export_request(user=world.dana, table_key="test_exports.static", query={}, fmt="csv")
    with pytest.raises(DomainError) as caught:
        export_request(user=world.dana, table_key="test_exports.static", query={}, fmt="csv")
    assert caught.value.code == "too_many_exports"
    assert "3" in str(caught.value)
    assert Export.objects.count() == MAX_ACTIVE_EXPORTS
    # Someone else is not held up by Dana's queue; nor is Dana once one has finished.
    export_request(user=world.eli, table_key="test_exports.static", query={}, fmt="csv")
    Export.objects.filter(requested_by=world.dana).update(status=ExportStatus.READY)
    export_request(user=world.dana, table_key="test_exports.static", query={}, fmt="csv")


def test_params_that_cannot_be_stored_as_json_are_a_programming_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = dataclasses.replace(STATIC_TABLE, clean_params=lambda query: {"start": date(2026, 1, 1)})
    monkeypatch.setitem(tables._TABLES, "test_exports.static", bad)
    with pytest.raises(TypeError, match="JSON-safe"):
        export_request(user=world.dana, table_key="test_exports.static", query={}, fmt="csv")
    assert not Export.objects.exists()


# --- Building --------------------------------------------------------------------------------


def test_rows_are_read_acting_as_the_requester_in_their_language_and_zone(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    _build(django_capture_on_commit_callbacks, world.eli, query={"days": "14"})
    assert static_rows.seen == [
        {
            "viewer": world.eli.pk,
            "acting": str(world.eli.pk),
            "language": "he",
            "zone": "Asia/Jerusalem",
            "params": {"days": 14, "segment": "all"},
        }
    ]


def test_csv_round_trip_english(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [ROW, ("Noa Peretz", None, None, 0, None, None, None)]
    export = _build(django_capture_on_commit_callbacks, world.dana)
    raw = _read(export)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for Hebrew
    assert b"\r\n" in raw
    rows = _csv_rows(export)
    assert rows[0] == ["Name", "Date", "Status", "Sessions", "Share", "Average", "Time (hours)"]
    # Dana is in New York: 07:30 UTC on the night the clocks went forward is 03:30.
    assert rows[1] == ["Avi Mizrahi", "2026-03-07", "2026-03-08 03:30", "4", "42.5%", "1.25", "1.5"]
    assert rows[2] == ["Noa Peretz", "", "", "0", "", "", ""]
    assert export.row_count == 2


def test_csv_round_trip_hebrew_headers_and_jerusalem_time(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [ROW]
    export = _build(django_capture_on_commit_callbacks, world.eli)
    rows = _csv_rows(export)
    with translation.override("he"):
        expected = [translation.gettext(label) for label in ("Name", "Date", "Status", "Sessions")]
    assert expected[0] != "Name"  # really Hebrew
    assert rows[0][:4] == expected
    assert rows[1][2] == "2026-03-08 09:30"  # Jerusalem, not yet on summer time
    assert "אבי" not in rows[1][0]  # names are as stored, only labels are translated


def test_csv_neutralises_formulas_but_not_numbers(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    nasty = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tx", "\ry", '=HYPERLINK("http://x")']
    static_rows.rows = [(text, None, None, -3, -1.5, None, None) for text in nasty]
    rows = _csv_rows(_build(django_capture_on_commit_callbacks, world.dana))
    assert [row[0] for row in rows[1:]] == ["'" + text for text in nasty]
    assert rows[1][3:5] == ["-3", "-1.5%"]


def test_xlsx_round_trip_typed_cells(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [ROW, ("=1+1", None, None, None, None, None, None)]
    export = _build(django_capture_on_commit_callbacks, world.dana, fmt="xlsx")
    assert export.file.name.endswith(".xlsx")
    sheet = _sheet(export)
    assert not sheet.sheet_view.rightToLeft
    assert sheet.title == "Sessions per week"
    header = [cell.value for cell in sheet[1]]
    assert header == ["Name", "Date", "Status", "Sessions", "Share", "Average", "Time (hours)"]
    name, day, at, count, share, average, hours = sheet[2]
    assert name.value == "Avi Mizrahi"
    assert day.value.isoformat() == "2026-03-07T00:00:00" and day.number_format == "yyyy-mm-dd"
    assert at.value.isoformat() == "2026-03-08T03:30:00" and at.number_format == "yyyy-mm-dd hh:mm"
    assert count.value == 4 and count.data_type == "n"
    assert share.value == pytest.approx(0.425) and share.number_format == "0.0%"
    assert average.value == pytest.approx(1.25)
    assert hours.value == pytest.approx(1.5)
    formula = sheet.cell(row=3, column=1)
    assert formula.value == "=1+1" and formula.data_type == "s"  # text, never a formula
    assert sheet.cell(row=3, column=4).value is None
    assert sheet.freeze_panes == "A2"


def test_xlsx_hebrew_sheet_is_right_to_left_with_hebrew_headers(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [ROW]
    sheet = _sheet(_build(django_capture_on_commit_callbacks, world.eli, fmt="xlsx"))
    assert sheet.sheet_view.rightToLeft
    with translation.override("he"):
        assert sheet["A1"].value == translation.gettext("Name") != "Name"
    assert sheet["C2"].value.isoformat() == "2026-03-08T09:30:00"


def test_empty_table_still_has_its_header(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _build(django_capture_on_commit_callbacks, world.dana, fmt="xlsx")
    assert export.status == ExportStatus.READY and export.row_count == 0
    assert _sheet(export).max_row == 1


def test_running_twice_builds_once(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _build(django_capture_on_commit_callbacks, world.dana)
    with system_context():
        assert export_run(export_id=export.pk) == ExportStatus.READY
        assert export_run(export_id="not-a-uuid") == "missing"
    assert len(static_rows.seen) == 1
    assert len(list(Path(default_storage.path("exports")).rglob("*.csv"))) == 1


def test_a_failure_is_recorded_without_data_or_stack_and_leaves_no_file(
    world: World, django_capture_on_commit_callbacks: Any, caplog: pytest.LogCaptureFixture
) -> None:
    export = _build(django_capture_on_commit_callbacks, world.dana, table="test_exports.broken")
    assert export.status == ExportStatus.FAILED
    assert export.error == "The export could not be built (RuntimeError)."
    assert "Avi" not in export.error and "Traceback" not in export.error
    assert not export.file
    assert export.finished_at is not None
    assert not list(Path(default_storage.path("")).rglob("*.csv"))
    assert "export failed" in caplog.text


def test_a_row_of_the_wrong_length_fails_the_export(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    static_rows.rows = [("only one cell",)]
    export = _build(django_capture_on_commit_callbacks, world.dana)
    assert export.status == ExportStatus.FAILED
    assert "columns" in export.error


def test_an_export_whose_requester_lost_the_role_fails(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        export = export_request(
            user=world.dana, table_key="test_exports.static", query={}, fmt="csv"
        )
    world.dana.is_active = False
    world.dana.save(update_fields=["is_active"])
    with system_context():
        assert export_run(export_id=export.pk) == ExportStatus.FAILED
    export.refresh_from_db()
    assert export.error == "The requester may no longer export this table."


# --- Download --------------------------------------------------------------------------------


def test_download_opens_the_file_and_audits(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _build(django_capture_on_commit_callbacks, world.eli, fmt="xlsx")
    download = export_open_for_download(user=world.eli, export_id=export.pk)
    with default_storage.open(download.name, "rb") as handle:
        assert handle.read(2) == b"PK"
    assert download.size == export.size
    assert download.filename.endswith(".xlsx")
    assert download.content_type.startswith("application/vnd.openxmlformats")
    assert AuditLog.objects.filter(
        action="analytics.export_downloaded", actor_id=world.eli.pk, target_id=str(export.pk)
    ).exists()
    for stranger in (world.dana, world.admin, world.maya):
        with pytest.raises(NotFound):
            export_open_for_download(user=stranger, export_id=export.pk)
    assert AuditLog.objects.filter(action="analytics.export_downloaded").count() == 1


def test_content_disposition_has_an_ascii_name_and_an_rfc5987_name(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> None:
    export = _build(django_capture_on_commit_callbacks, world.dana)
    day = export.finished_at.astimezone(timezone.get_default_timezone()).date()  # type: ignore[union-attr]
    header = content_disposition(export)
    assert header.startswith('attachment; filename="sessions-per-week-')
    assert header.endswith(".csv")
    assert "filename*=UTF-8''Sessions-per-week-" in header
    assert header.isascii()
    assert str(day.year) in header


def test_sheet_names_are_valid() -> None:
    assert sheet_name("a/b:c*d?e[f]g\\h") == "a b c d e f g h"
    assert len(sheet_name("x" * 40)) == 31
    assert sheet_name("''") == "Export"


# --- Prune -----------------------------------------------------------------------------------


@pytest.fixture
def three_exports(
    world: World, django_capture_on_commit_callbacks: Any, static_rows: StaticRows
) -> Iterator[list[Export]]:
    ready = _build(django_capture_on_commit_callbacks, world.dana)
    expired = _build(django_capture_on_commit_callbacks, world.dana)
    Export.objects.filter(pk=expired.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    stuck = export_request(user=world.eli, table_key="test_exports.static", query={}, fmt="csv")
    Export.objects.filter(pk=stuck.pk).update(created_at=timezone.now() - timedelta(hours=2))
    yield [ready, expired, stuck]


def test_prune_deletes_expired_files_and_rows_and_fails_stuck_exports(
    three_exports: list[Export], django_capture_on_commit_callbacks: Any
) -> None:
    ready, expired, stuck = three_exports
    expired_path = Path(default_storage.path(expired.file.name))
    assert expired_path.exists()
    with django_capture_on_commit_callbacks(execute=True), system_context():
        result = export_prune()
    assert result == Pruned(expired=1, failed=0, stale=1)
    assert not Export.objects.filter(pk=expired.pk).exists()
    assert not expired_path.exists()
    assert Path(default_storage.path(ready.file.name)).exists()
    stuck.refresh_from_db()
    assert stuck.status == ExportStatus.FAILED and "too long" in stuck.error
    # Failed exports go once they are as old as the retention.
    with django_capture_on_commit_callbacks(execute=True), system_context():
        later = export_prune(now=timezone.now() + timedelta(hours=73))
    assert later.failed == 1 and later.expired == 1
    assert not Export.objects.exists()
    assert "1 expired" in later.as_line()


def test_expired_export_is_not_downloadable_before_the_prune(
    three_exports: list[Export], world: World
) -> None:
    _ready, expired, _stuck = three_exports
    with pytest.raises(NotFound):
        export_open_for_download(user=world.dana, export_id=expired.pk)


def test_the_prune_command_runs_once(
    three_exports: list[Export], django_capture_on_commit_callbacks: Any
) -> None:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("analytics_exports_prune", stdout=out)
    assert out.getvalue().strip() == "exports pruned: 1 expired, 0 failed, 1 stale"
    assert Export.objects.count() == 2
