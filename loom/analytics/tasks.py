"""Background tasks of the analytics app: thin entry points (DESIGN.md, STYLE.md rule 7).

``export_build`` takes an export's id, re-reads it and builds its file; it runs as the
system (it writes the export row and the file) and reads the table's rows acting as the
requester (``loom.analytics.exports.export_run``). Safe to run twice: only a queued
export is built.
"""

from __future__ import annotations

from django.tasks import task

from loom.analytics.exports import export_run
from loom.core.context import system_context


@task()
def export_build(export_id: str) -> str:
    """Build the CSV or XLSX file of one export; returns its status afterwards."""
    with system_context():
        return export_run(export_id=export_id)
