"""Exports of dashboard tables: request, build (CSV or XLSX), download, prune.

A coach or an admin asks for a table they are looking at (``export_request``); the worker
builds the file (``export_build`` in ``loom.analytics.tasks`` → ``export_run``) by
calling the table's own ``rows`` **acting as the requester**, so row-level security and
the selectors' scoping apply exactly as they did on the page; the requester downloads it
through an authorizing view (``export_open_for_download``) until it expires, and
``export_prune`` removes it afterwards.

* Files are written in the requester's language (header labels, text cells that are
  lazy translations) and time zone (dates and times), both stored on the export when it
  was requested so a change of profile later does not change a queued file.
* CSV is UTF-8 with a byte-order mark (Excel otherwise reads Hebrew as mojibake); a cell
  that a spreadsheet would run as a formula (``= + - @``, tab, carriage return at the
  start: CSV injection, OWASP) gets a leading apostrophe. Dates are ISO 8601
  (``2026-11-22``, ``2026-11-22 14:30``) so every spreadsheet reads them back as dates
  whatever its locale; percentages carry ``%``; durations are hours.
* XLSX is written by XlsxWriter in ``constant_memory`` mode (a row at a time, so memory
  stays flat however long the table): numbers as numbers, dates and times as real
  spreadsheet dates with a number format, durations as hours, percentages as fractions
  with a ``%`` format, and a right-to-left sheet for Hebrew. Strings are always written
  as strings, never as formulas.
* Both are written to a temporary file first, then handed to the default storage under
  ``exports/YYYY/MM/<random>.<ext>`` (the storage streams it in chunks).

Percent cells hold percentages as figures (``42.5`` means 42.5 %), as ``KpiValue.value``
does. Every request and every download writes an audit row.
"""

from __future__ import annotations

import csv
import json
import logging
import math
import os
import re
import secrets
import tempfile
import unicodedata
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from loom.accounts.models import Role, User, user_language
from loom.analytics.models import Export, ExportFormat, ExportStatus
from loom.analytics.tables import Column, Table, table_for
from loom.core.audit import audit_record
from loom.core.context import acting_as
from loom.core.errors import DomainError, NotFound

logger = logging.getLogger(__name__)

# Hidden fields of the export form that carry the page's query: ``q.<name>``. The prefix
# keeps a table parameter from ever colliding with the form's own fields.
PARAM_PREFIX = "q."
# Bounds on what a request may carry (the query of a dashboard is a handful of filters).
MAX_PARAMS = 20
MAX_PARAM_NAME = 64
MAX_PARAM_VALUE = 200
# Queued or running exports one person may have at a time.
MAX_ACTIVE_EXPORTS = 3
# A queued or running export older than this is taken to be lost (its worker died) and
# marked failed by the prune, so it stops counting against the limit above.
STALE_AFTER = timedelta(hours=1)
# Both formats stop here: an XLSX sheet holds 1,048,576 rows, and a dashboard table
# this long is a mistake in the table, not something to ship as a file.
MAX_ROWS = 1_000_000
# XLSX cells hold at most 32,767 characters.
MAX_CELL_CHARS = 32_767
PRUNE_BATCH = 500

CONTENT_TYPES: dict[str, str] = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
ACTIVE_STATUSES = (ExportStatus.QUEUED, ExportStatus.RUNNING)

# Cells a spreadsheet would run as a formula (CSV injection, OWASP): prefixed with '.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Spreadsheets also skip blanks (spaces, no-break spaces, line feeds) and invisible marks
# (bidi marks, zero-width spaces: common around Hebrew) before deciding a cell is a
# formula, and some importers fold compatibility forms (FULLWIDTH EQUALS SIGN, SMALL
# PLUS SIGN, …) to ASCII: the first visible character is checked after NFKC folding.
# NFKC leaves MINUS SIGN (U+2212) alone, so it is named.
_FORMULA_LEAD = frozenset("=+-@\u2212")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_ASCII_FILENAME_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


# --- Who may export what ---------------------------------------------------------------------


_AUDIENCE_ROLES: dict[str, str] = {"admin": Role.ADMIN, "coach": Role.COACH}


def audience_allows(user: Any, table: Table) -> bool:
    """True when ``user`` (signed in, active) has the role ``table`` is shown to."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if not getattr(user, "is_active", False):
        return False
    return bool(getattr(user, "role", None) == _AUDIENCE_ROLES.get(table.audience))


# --- Request ---------------------------------------------------------------------------------


def params_from_post(data: Mapping[str, str]) -> dict[str, str]:
    """The table's query from the export form's ``q.<name>`` fields."""
    return {
        key[len(PARAM_PREFIX) :]: str(value)
        for key, value in data.items()
        if key.startswith(PARAM_PREFIX)
    }


def _check_query(query: Mapping[str, str]) -> None:
    if len(query) > MAX_PARAMS:
        raise DomainError(_("That export has too many parameters."), code="too_many_params")
    for name, value in query.items():
        if not name or len(name) > MAX_PARAM_NAME or len(str(value)) > MAX_PARAM_VALUE:
            raise DomainError(_("A parameter of that export is too long."), code="param_too_long")
        if _CONTROL_CHARACTER.search(name) or _CONTROL_CHARACTER.search(str(value)):
            # No filter holds them, and PostgreSQL's jsonb refuses a NUL outright.
            raise DomainError(
                _("Those filters are not valid for this table."), code="invalid_params"
            )


def _lock_requester(user: User) -> None:
    """Serialize one person's export requests, so two at once cannot both slip under the
    limit. PostgreSQL: a transaction-scoped advisory lock on the person; SQLite already
    runs one writing transaction at a time (``transaction_mode`` IMMEDIATE)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Two int4 keys: this lock's name and the person (folded into int4 range;
            # two people sharing a key only wait for each other, briefly).
            cursor.execute(
                "SELECT pg_advisory_xact_lock(hashtext('loom.analytics.export'), %s::integer)",
                [int(user.pk) % 2_147_483_647],
            )


@transaction.atomic
def export_request(
    *,
    user: User,
    table_key: str,
    query: Mapping[str, str],
    fmt: str,
    language: str | None = None,
    time_zone: str | None = None,
) -> Export:
    """Queue an export of ``table_key`` as ``fmt`` for ``user``; the worker builds it.

    Refuses (``NotFound``) an unknown table or one ``user``'s role is not shown, and
    (``DomainError``) a bad format, an oversized query, parameters the table rejects,
    or a person who already has ``MAX_ACTIVE_EXPORTS`` exports on the way. Nothing is
    written when it refuses. ``language`` and ``time_zone`` default to the person's
    profile; the file is written in them. Audited ``analytics.export_requested``; the
    task is enqueued after the commit.
    """
    table = table_for(table_key) if isinstance(table_key, str) else None
    if table is None or not audience_allows(user, table):
        raise NotFound(_("There is no table by that name that you can export."))
    if fmt not in ExportFormat.values:
        raise DomainError(_("Choose CSV or Excel."), code="invalid_format")
    _check_query(query)
    try:
        params = table.clean_params(query)
    except (ValidationError, ValueError, TypeError, KeyError) as exc:
        raise DomainError(
            _("Those filters are not valid for this table."), code="invalid_params"
        ) from exc
    # The task calls ``rows`` again with the stored params: they must survive JSON as
    # they are (tables.py), or the file would not match the page.
    try:
        if json.loads(json.dumps(params)) != params:
            raise TypeError
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"clean_params of table {table.key!r} must return JSON-safe values."
        ) from exc

    language = language or user_language(user)
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    time_zone = _zone(time_zone or getattr(user, "timezone", "") or "UTC").key

    _lock_requester(user)
    active = Export.objects.filter(requested_by=user, status__in=ACTIVE_STATUSES).count()
    if active >= MAX_ACTIVE_EXPORTS:
        raise DomainError(
            ngettext(
                "You already have %(count)d export being prepared. "
                "Wait for it to finish, then try again.",
                "You already have %(count)d exports being prepared. "
                "Wait for one to finish, then try again.",
                active,
            )
            % {"count": active},
            code="too_many_exports",
        )
    export = Export.objects.create(
        requested_by=user,
        table=table.key,
        params=params,
        format=fmt,
        language=language,
        timezone=time_zone,
    )
    audit_record(
        action="analytics.export_requested",
        actor=user,
        target=export,
        details={"table": table.key, "format": fmt, "params": params},
    )
    transaction.on_commit(partial(_enqueue, export.pk), robust=True)
    return export


def _enqueue(export_id: uuid.UUID) -> None:
    from loom.analytics.tasks import export_build

    export_build.enqueue(str(export_id))


# --- Read ------------------------------------------------------------------------------------


def exports_of(user: User, *, limit: int = 50) -> list[Export]:
    """``user``'s exports, newest first (one query)."""
    return list(Export.objects.filter(requested_by=user).order_by("-created_at", "-pk")[:limit])


def get_export_for_user(user: Any, export_id: uuid.UUID | str) -> Export:
    """``user``'s own export ``export_id``, or ``NotFound`` (anyone else's, or none)."""
    if not getattr(user, "is_authenticated", False):
        raise NotFound(_("There is no such export."))
    try:
        key = export_id if isinstance(export_id, uuid.UUID) else uuid.UUID(str(export_id))
    except ValueError as exc:
        raise NotFound(_("There is no such export.")) from exc
    export = Export.objects.filter(pk=key, requested_by=user).first()
    if export is None:
        raise NotFound(_("There is no such export."))
    return export


def is_expired(export: Export, now: datetime | None = None) -> bool:
    return export.expires_at is not None and export.expires_at <= (now or timezone.now())


def is_downloadable(export: Export, now: datetime | None = None) -> bool:
    return export.status == ExportStatus.READY and bool(export.file) and not is_expired(export, now)


def export_title(export: Export) -> str:
    """The table's title in the active language (the key when the table is gone)."""
    table = table_for(export.table)
    return str(table.title) if table is not None else export.table


# --- Download --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """What the download view streams: a stored file and its headers."""

    export_id: uuid.UUID
    table: str
    format: str
    name: str
    size: int
    content_type: str
    filename: str
    content_disposition: str


def download_filename(export: Export) -> tuple[str, str]:
    """``(ascii, unicode)`` file names: the table's title in the export's language and
    the day it was made in its time zone (``sessions-per-week-2026-11-22.csv``)."""
    table = table_for(export.table)
    with translation.override(export.language):
        title = str(table.title) if table is not None else export.table
    made = (export.finished_at or export.created_at).astimezone(_zone(export.timezone)).date()
    stem = f"{title} {made.isoformat()}"
    unicode_name = re.sub(r"[\x00-\x1f\x7f/\\\"]+", " ", stem).strip()
    unicode_name = re.sub(r"\s+", "-", unicode_name) + f".{export.format}"
    ascii_stem = slugify(title) or _ASCII_FILENAME_SAFE.sub("-", export.table).strip("-")
    ascii_name = f"{ascii_stem or 'export'}-{made.isoformat()}.{export.format}"
    return ascii_name, unicode_name


def content_disposition(export: Export) -> str:
    """``attachment`` with an ASCII ``filename`` and an RFC 5987 ``filename*``."""
    ascii_name, unicode_name = download_filename(export)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(unicode_name, safe='')}"


def export_open_for_download(
    *, user: Any, export_id: uuid.UUID | str, audit: bool = True
) -> Download:
    """``user``'s ready, unexpired export, for download; audited
    ``analytics.export_downloaded`` unless ``audit`` is False (the download view audits
    once it knows the file is really being sent: ``export_download_recorded``).

    ``NotFound`` for anyone else's export, an unknown id, one not ready, one past its
    expiry, or one whose file has gone missing from storage (nothing is audited then).
    """
    export = get_export_for_user(user, export_id)
    table = table_for(export.table)
    if (
        table is None
        # Someone who lost the table's role (an admin made a coach) keeps no access to
        # the files they made while they had it.
        or not audience_allows(user, table)
        or not is_downloadable(export)
        or not default_storage.exists(str(export.file.name))
    ):
        raise NotFound(_("That export is not available to download."))
    download = Download(
        export_id=export.pk,
        table=export.table,
        format=export.format,
        name=str(export.file.name),
        size=export.size,
        content_type=CONTENT_TYPES[export.format],
        filename=download_filename(export)[1],
        content_disposition=content_disposition(export),
    )
    if audit:
        export_download_recorded(user=user, download=download)
    return download


@transaction.atomic
def export_download_recorded(*, user: Any, download: Download, partial: bool = False) -> None:
    """Audit ``analytics.export_downloaded``: which table, which format, whether a byte
    range (a resumed download) — never the file's content or the query."""
    details: dict[str, Any] = {"table": download.table, "format": download.format}
    if partial:
        details["partial"] = True
    audit_record(
        action="analytics.export_downloaded",
        actor=user,
        target=Export(pk=download.export_id),
        details=details,
    )


# --- Build -----------------------------------------------------------------------------------


class ExportBuildError(Exception):
    """A failure the requester may read: a short reason, no data, no stack."""


def _zone(name: str) -> zoneinfo.ZoneInfo:
    """The zone called ``name``, or UTC for anything that is not one ("America" is a
    folder: IsADirectoryError; an overlong name: OSError)."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return zoneinfo.ZoneInfo("UTC")


def _local(value: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    if timezone.is_naive(value):
        # Cells hold aware datetimes (tables.py); a naive one is taken as UTC, as Django
        # stores them, rather than silently as the requester's wall clock.
        value = value.replace(tzinfo=UTC)
    return value.astimezone(zone)


def _hours(value: timedelta) -> float:
    return round(value.total_seconds() / 3600, 4)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal) and not isinstance(value, bool)


def _is_blank(value: Any) -> bool:
    """``None``, and floats or decimals that are not figures (NaN, infinity; PostgreSQL
    ``numeric`` holds both): an empty cell. XlsxWriter refuses them outright."""
    if isinstance(value, Decimal):
        return not value.is_finite()
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _number_text(value: int | float | Decimal) -> str:
    if isinstance(value, int):
        return str(value)
    text = format(Decimal(str(value)) if isinstance(value, float) else value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _first_visible(text: str) -> str:
    for char in unicodedata.normalize("NFKC", text):
        if char.isspace() or unicodedata.category(char) in ("Cc", "Cf"):
            continue
        return char
    return ""


def _defuse(text: str) -> str:
    if text.startswith(_FORMULA_START) or _first_visible(text) in _FORMULA_LEAD:
        return "'" + text
    return text


def header_labels(columns: Sequence[Column]) -> list[str]:
    """Column labels in the active language; durations say they are in hours."""
    return [
        _("%(label)s (hours)") % {"label": column.label}
        if column.kind == "duration"
        else str(column.label)
        for column in columns
    ]


def csv_cell(value: Any, column: Column, zone: zoneinfo.ZoneInfo) -> str:
    """One CSV cell as text (see the module docstring for the formats)."""
    if _is_blank(value):
        return ""
    kind = column.kind
    # Dates, numbers and durations are written by us and start with a digit or "-"
    # followed by digits, which no spreadsheet runs as a formula; only text is defused.
    if isinstance(value, datetime):
        local = _local(value, zone)
        return local.date().isoformat() if kind == "date" else local.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return _number_text(_hours(value))
    if _is_number(value):
        return _number_text(value) + ("%" if kind == "percent" else "")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return _defuse(str(value))


class _CsvWriter:
    extension = "csv"

    def __init__(self, path: str, columns: Sequence[Column], zone: zoneinfo.ZoneInfo) -> None:
        # UTF-8 with a byte-order mark ("utf-8-sig"): Excel reads Hebrew correctly.
        self._file = open(path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
        self._writer = csv.writer(self._file, lineterminator="\r\n")
        self._columns = columns
        self._zone = zone
        self._writer.writerow([_defuse(label) for label in header_labels(columns)])

    def write(self, row: Sequence[Any]) -> None:
        self._writer.writerow(
            [
                csv_cell(value, column, self._zone)
                for value, column in zip(row, self._columns, strict=True)
            ]
        )

    def close(self) -> None:
        self._file.close()


def sheet_name(title: str) -> str:
    """A valid worksheet name: no ``[]:*?/\\``, at most 31 characters, not blank."""
    name = _SHEET_NAME_FORBIDDEN.sub(" ", title).strip().strip("'")[:31].strip()
    return name or "Export"


class _XlsxWriter:
    extension = "xlsx"

    def __init__(
        self,
        path: str,
        columns: Sequence[Column],
        zone: zoneinfo.ZoneInfo,
        *,
        title: str,
        right_to_left: bool,
    ) -> None:
        import xlsxwriter

        self._book = xlsxwriter.Workbook(
            path,
            {
                # Rows are flushed to disk as they are written: memory stays flat.
                "constant_memory": True,
                # Text is text: nothing a cell says is ever turned into a formula or link.
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "tmpdir": os.path.dirname(path),
            },
        )
        self._sheet = self._book.add_worksheet(sheet_name(title))
        if right_to_left:
            self._sheet.right_to_left()
        self._columns = columns
        self._zone = zone
        self._row = 0
        header = self._book.add_format({"bold": True, "bottom": 1})
        self._formats = {
            "int": self._book.add_format({"num_format": "#,##0"}),
            "float": self._book.add_format({"num_format": "#,##0.00"}),
            "percent": self._book.add_format({"num_format": "0.0%"}),
            "date": self._book.add_format({"num_format": "yyyy-mm-dd"}),
            "datetime": self._book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
            "duration": self._book.add_format({"num_format": "0.00"}),
        }
        labels = header_labels(columns)
        # Column widths must be set before any row in constant_memory mode.
        for index, (label, column) in enumerate(zip(labels, columns, strict=True)):
            width = 18 if column.kind == "datetime" else 12
            self._sheet.set_column(index, index, max(width, min(len(label) + 2, 50)))
        self._sheet.freeze_panes(1, 0)
        for index, label in enumerate(labels):
            self._sheet.write_string(0, index, label, header)
        self._row = 1

    def _cell(self, col: int, value: Any, column: Column) -> None:
        row, sheet, kind = self._row, self._sheet, column.kind
        if _is_blank(value):
            return
        if isinstance(value, datetime):
            local = _local(value, self._zone).replace(tzinfo=None)
            if kind == "date":
                sheet.write_datetime(row, col, local.date(), self._formats["date"])
            else:
                sheet.write_datetime(row, col, local, self._formats["datetime"])
        elif isinstance(value, date):
            sheet.write_datetime(row, col, value, self._formats["date"])
        elif isinstance(value, timedelta):
            sheet.write_number(row, col, _hours(value), self._formats["duration"])
        elif _is_number(value):
            number = float(value)
            if kind == "percent":
                # A percentage figure (42.5) becomes the fraction a "%" format expects.
                sheet.write_number(row, col, number / 100, self._formats["percent"])
            else:
                fmt = self._formats["int"] if isinstance(value, int) else self._formats["float"]
                sheet.write_number(row, col, number, fmt)
        elif isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        else:
            sheet.write_string(row, col, str(value)[:MAX_CELL_CHARS])

    def write(self, row: Sequence[Any]) -> None:
        for col, (value, column) in enumerate(zip(row, self._columns, strict=True)):
            self._cell(col, value, column)
        self._row += 1

    def close(self) -> None:
        self._book.close()


def write_table(
    *,
    path: str,
    fmt: str,
    table: Table,
    rows: Iterable[Sequence[Any]],
    zone: zoneinfo.ZoneInfo,
    right_to_left: bool,
) -> int:
    """Write ``rows`` of ``table`` to ``path`` in ``fmt`` (active language); the row count."""
    writer: _CsvWriter | _XlsxWriter
    if fmt == ExportFormat.CSV:
        writer = _CsvWriter(path, table.columns, zone)
    else:
        writer = _XlsxWriter(
            path, table.columns, zone, title=str(table.title), right_to_left=right_to_left
        )
    count = 0
    try:
        for row in rows:
            if count >= MAX_ROWS:
                raise ExportBuildError(f"more than {MAX_ROWS} rows")
            if len(row) != len(table.columns):
                raise ExportBuildError("a row does not match the table's columns")
            writer.write(row)
            count += 1
    finally:
        writer.close()
    return count


def _storage_name(export: Export) -> str:
    now = timezone.now()
    return f"exports/{now:%Y/%m}/{secrets.token_urlsafe(18)}.{export.format}"


def _claim(export_id: uuid.UUID) -> bool:
    """Move a queued export to running; False when it is not queued (a duplicate task,
    or one another worker has, or one already done): the task then does nothing."""
    return bool(
        Export.objects.filter(pk=export_id, status=ExportStatus.QUEUED).update(
            status=ExportStatus.RUNNING
        )
    )


def _fail(export_id: uuid.UUID, reason: str) -> None:
    # Called after any half-written file was deleted: the row names none.
    Export.objects.filter(pk=export_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED,
        file="",
        error=reason[:200],
        finished_at=timezone.now(),
    )


def _delete_quietly(name: str) -> None:
    """Remove a half-written file; a failure here must not hide the build's own."""
    try:
        default_storage.delete(name)
    except Exception:
        logger.exception("export file not deleted", extra={"file": name})


def export_run(*, export_id: uuid.UUID | str) -> str:
    """Build the file of a queued export. Safe to run twice: only a queued export is
    built. Runs as the system (the caller's context) except for reading the rows.

    Returns the export's status afterwards. A failure is recorded on the export as a
    short reason (never a stack or any data) and logged for the operators.
    """
    try:
        key = export_id if isinstance(export_id, uuid.UUID) else uuid.UUID(str(export_id))
    except ValueError:
        return "missing"
    if not _claim(key):
        current = Export.objects.filter(pk=key).values_list("status", flat=True).first()
        return str(current or "missing")
    export = Export.objects.select_related("requested_by").get(pk=key)
    table = table_for(export.table)
    if table is None:
        _fail(key, "The table no longer exists.")
        return ExportStatus.FAILED
    if not audience_allows(export.requested_by, table):
        # The requester's role or account changed since they asked.
        _fail(key, "The requester may no longer export this table.")
        return ExportStatus.FAILED

    zone = _zone(export.timezone)
    saved_name = ""
    # Chosen before the upload: a storage that fails half-way through (disk full, a
    # dropped connection) may leave part of the file under this name, and save() then
    # never returns it. The random part makes it this export's alone.
    target_name = _storage_name(export)
    with tempfile.TemporaryDirectory(prefix="loom-export-") as tmp:
        path = os.path.join(tmp, f"export.{export.format}")
        try:
            requester = export.requested_by
            # The rows are read acting as the requester, so row-level security and the
            # selectors' scoping apply exactly as on their page. No transaction around
            # it: on SQLite a writing transaction would hold the database for the whole
            # build, and the acting user is set per query outside one (loom.core.rls).
            with (
                translation.override(export.language),
                timezone.override(zone),
                acting_as(requester.pk),
            ):
                count = write_table(
                    path=path,
                    fmt=export.format,
                    table=table,
                    rows=table.rows(requester, export.params),
                    zone=zone,
                    right_to_left=translation.get_language_bidi(),
                )
            size = os.path.getsize(path)
            # Name the file on the row before uploading it: if the worker dies during
            # or after the upload, the prune fails the stale export and later deletes
            # the row *and this file* — no orphan copy of the table stays in storage.
            Export.objects.filter(pk=key, status=ExportStatus.RUNNING).update(file=target_name)
            with open(path, "rb") as handle:
                saved_name = default_storage.save(target_name, File(handle))
        except ExportBuildError as exc:
            logger.warning("export failed", extra={"export_id": str(key), "reason": str(exc)})
            _fail(key, f"The table could not be written: {exc}.")
            return ExportStatus.FAILED
        except Exception as exc:
            # Logged with its stack for the operators; the export keeps only the kind.
            logger.exception("export failed", extra={"export_id": str(key)})
            _delete_quietly(saved_name or target_name)
            _fail(key, f"The export could not be built ({type(exc).__name__}).")
            return ExportStatus.FAILED

    finished = timezone.now()
    updated = Export.objects.filter(pk=key, status=ExportStatus.RUNNING).update(
        status=ExportStatus.READY,
        file=saved_name,
        row_count=count,
        size=size,
        error="",
        finished_at=finished,
        expires_at=finished + timedelta(hours=settings.ANALYTICS_EXPORT_RETENTION_HOURS),
    )
    if not updated:
        # Deleted (or failed as stale) while it was being built: keep no orphan file.
        default_storage.delete(saved_name)
        return str(
            Export.objects.filter(pk=key).values_list("status", flat=True).first() or "missing"
        )
    return ExportStatus.READY


# --- Prune -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pruned:
    expired: int
    failed: int
    stale: int

    def as_line(self) -> str:
        return f"exports pruned: {self.expired} expired, {self.failed} failed, {self.stale} stale"


def _delete_batch(rows: QuerySet[Export]) -> int:
    batch = list(rows.order_by("created_at").values_list("pk", "file")[:PRUNE_BATCH])
    if not batch:
        return 0
    with transaction.atomic():
        Export.objects.filter(pk__in=[pk for pk, _file in batch]).delete()
        for _pk, name in batch:
            if name:
                transaction.on_commit(partial(_delete_file, str(name)), robust=True)
    return len(batch)


def _delete_file(name: str) -> None:
    default_storage.delete(name)


def export_prune(*, now: datetime | None = None) -> Pruned:
    """Delete expired exports (file and row) and failed ones older than the retention;
    mark as failed the exports stuck queued or running past ``STALE_AFTER`` (their
    worker died). Call as the system. Files go after their rows' deletion commits."""
    now = now or timezone.now()
    stale = Export.objects.filter(
        status__in=ACTIVE_STATUSES, created_at__lt=now - STALE_AFTER
    ).update(
        status=ExportStatus.FAILED,
        error="The export took too long and was stopped.",
        finished_at=now,
    )
    retention = timedelta(hours=settings.ANALYTICS_EXPORT_RETENTION_HOURS)
    expired = failed = 0
    while batch := _delete_batch(
        Export.objects.filter(status=ExportStatus.READY, expires_at__lte=now)
    ):
        expired += batch
    while batch := _delete_batch(
        Export.objects.filter(status=ExportStatus.FAILED, created_at__lt=now - retention)
    ):
        failed += batch
    return Pruned(expired=expired, failed=failed, stale=stale)


# The statuses as the list and detail pages word them; "expired" is not stored (the
# prune deletes the row) but a ready export can be past its expiry until then.
STATUS_EXPIRED = gettext_lazy("Expired")


def status_label(export: Export, now: datetime | None = None) -> str:
    if export.status == ExportStatus.READY and is_expired(export, now):
        return str(STATUS_EXPIRED)
    return str(export.get_status_display())


_STATUS_TONES: dict[str, str] = {
    ExportStatus.QUEUED: "info",
    ExportStatus.RUNNING: "info",
    ExportStatus.READY: "success",
    ExportStatus.FAILED: "danger",
}


@dataclass(frozen=True)
class ExportRow:
    """One export as the pages show it."""

    export: Export
    title: str
    status: str
    tone: str
    active: bool
    downloadable: bool
    expired: bool


def export_rows(exports: Iterable[Export], *, now: datetime | None = None) -> list[ExportRow]:
    """The pages' view of ``exports`` (no queries: titles come from the table registry)."""
    now = now or timezone.now()
    rows = []
    for export in exports:
        expired = export.status == ExportStatus.READY and is_expired(export, now)
        rows.append(
            ExportRow(
                export=export,
                title=export_title(export),
                status=status_label(export, now),
                tone="neutral" if expired else _STATUS_TONES.get(export.status, "neutral"),
                active=export.status in ACTIVE_STATUSES,
                downloadable=is_downloadable(export, now),
                expired=expired,
            )
        )
    return rows
