"""``LoopCommand --loop`` leaves a heartbeat per round for the operations dashboard."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import DatabaseError

from loom.core import loop_command
from loom.core.loop_command import LoopCommand
from loom.core.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


class _Rounds(threading.Event):
    """A stop flag that is raised after ``ROUNDS`` pauses (instead of a signal)."""

    ROUNDS = 1
    waited = 0

    def wait(self, timeout: float | None = None) -> bool:
        type(self).waited += 1
        return type(self).waited >= self.ROUNDS


@pytest.fixture
def rounds(monkeypatch: pytest.MonkeyPatch) -> Iterator[type[_Rounds]]:
    _Rounds.waited = 0
    _Rounds.ROUNDS = 1
    monkeypatch.setattr(loop_command.threading, "Event", _Rounds)
    # handle() installs SIGINT/SIGTERM handlers in --loop mode; keep the test runner's.
    monkeypatch.setattr(loop_command.signal, "signal", lambda *args: None)
    # Between rounds the loop closes stale connections, which would close the test's
    # transaction (not in autocommit) under it.
    monkeypatch.setattr(loop_command, "close_old_connections", lambda: None)
    yield _Rounds


class Command(LoopCommand):
    default_interval = 7.0

    def __init__(self, lines: list[Any]) -> None:
        super().__init__()
        self.lines = lines

    def run_once(self, options: dict[str, Any]) -> str | None:
        line = self.lines.pop(0)
        if isinstance(line, Exception):
            raise line
        return line


def _run(lines: list[Any], *args: str) -> Command:
    command = Command(lines)
    parser = command.create_parser("loom", "test_loop_heartbeat")
    options = vars(parser.parse_args(list(args)))
    command.execute(**options)
    return command


def test_each_round_writes_a_heartbeat(rounds: type[_Rounds]) -> None:
    rounds.ROUNDS = 2
    _run(["first round", None], "--loop", "--interval", "0.1")
    beat = WorkerHeartbeat.objects.get()
    # Named after the command's module, as ``loom <name> --loop`` is.
    assert beat.name == "test_loop_heartbeat"
    assert beat.interval_seconds == pytest.approx(0.1)
    assert beat.last_line == ""  # the second round had nothing to say
    assert not beat.failed
    assert beat.pid == os.getpid()


def test_a_failing_round_is_recorded_and_raised(rounds: type[_Rounds]) -> None:
    with pytest.raises(ZeroDivisionError):
        _run([ZeroDivisionError("boom")], "--loop")
    beat = WorkerHeartbeat.objects.get()
    assert beat.failed
    assert beat.last_line == "ZeroDivisionError"
    assert beat.interval_seconds == 7.0


def test_a_single_run_writes_no_heartbeat(rounds: type[_Rounds]) -> None:
    _run(["once"])
    assert not WorkerHeartbeat.objects.exists()


def test_a_heartbeat_that_cannot_be_written_does_not_stop_the_loop(
    rounds: type[_Rounds], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(**kwargs: Any) -> None:
        raise DatabaseError("heartbeat table locked")

    monkeypatch.setattr(WorkerHeartbeat.objects, "update_or_create", broken)
    rounds.ROUNDS = 2
    command = _run(["one", "two"], "--loop")
    assert command.lines == []  # both rounds ran


class _KillsItsConnection(LoopCommand):
    """A round that loses its database connection (PostgreSQL restarted, or the
    connection killed), as a crashing loop typically does."""

    def run_once(self, options: dict[str, Any]) -> str | None:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return "never"


@pytest.mark.postgres
def test_a_round_that_broke_the_connection_still_leaves_a_failed_heartbeat(
    transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loop_command.signal, "signal", lambda *args: None)
    command = _KillsItsConnection()
    options = vars(command.create_parser("loom", "x").parse_args(["--loop"]))
    with pytest.raises(DatabaseError):
        command.execute(**options)
    # The dashboard must see the crash: the heartbeat is written on a fresh connection.
    beat = WorkerHeartbeat.objects.get(name="test_loop_heartbeat")
    assert beat.failed
    assert beat.last_line == "OperationalError"


class _NextDueFails(Command):
    def next_due_at(self) -> Any:
        # Looking up the next due piece of work queries the database too.
        raise DatabaseError("database went away between rounds")


def test_a_failure_between_rounds_also_leaves_a_failed_heartbeat(
    rounds: type[_Rounds],
) -> None:
    command = _NextDueFails(["first round"])
    options = vars(command.create_parser("loom", "x").parse_args(["--loop"]))
    with pytest.raises(DatabaseError):
        command.execute(**options)
    beat = WorkerHeartbeat.objects.get()
    assert beat.failed
    assert beat.last_line == "DatabaseError"
