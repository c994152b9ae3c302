"""One writer at a time: an OS lock on the warehouse, held for a whole pipeline run, and the run log.

DuckDB allows one writer per database file, and a run also rewrites bronze, linkage and gold files in
the lake. Dagster's run queue (orchestration/dagster.yaml, one run at a time) orders the runs the
daemon launches (the landing sensor, the UI's Materialize); `oe run` executes in its own process
and bypasses that queue. So every run, however started, takes this lock first: an exclusive
`flock` on `<warehouse>.lock`. A second run waits, saying which run holds the lock, and starts
when it is released. The operating system releases the lock when its process ends, killed or not,
so a crashed run never leaves the platform locked.

Every run also appends to the run log `<lake>/_meta/run_log.jsonl` (one JSON object per line):
`waiting`, `started`, `finished` (with its status and what failed), and, at the next start,
`interrupted` for a run that started and never finished (it was killed or the machine stopped).
After taking the lock, a run removes the temporary files a killed run left in the lake
(`.<name>.tmp` files written beside their targets before the rename), and logs them.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from oe_platform.config import Settings

RUN_LOG_NAME = "run_log.jsonl"
POLL_SECONDS = 1.0


class LockTimeout(TimeoutError):
    """The warehouse stayed locked by another run for longer than the caller would wait."""


@dataclass(frozen=True)
class Holder:
    run_id: str
    pid: int
    host: str
    since: str

    def describe(self) -> str:
        return f"run {self.run_id} (pid {self.pid} on {self.host}, since {self.since})"


def lock_path(settings: Settings) -> Path:
    return settings.warehouse.with_name(settings.warehouse.name + ".lock")


def run_log_path(settings: Settings) -> Path:
    return settings.meta / RUN_LOG_NAME


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def append_run_log(settings: Settings, event: str, run_id: str, **fields: object) -> None:
    """Append one event to the run log; one write of one line, so concurrent appends do not mix."""
    settings.meta.mkdir(parents=True, exist_ok=True)
    record = {"at": now_text(), "event": event, "run_id": run_id, "pid": os.getpid(), **fields}
    with run_log_path(settings).open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, default=str) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def read_run_log(settings: Settings) -> list[dict]:
    path = run_log_path(settings)
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash mid-append: the next lines are still good
    return records


def current_holder(settings: Settings) -> Holder | None:
    """Who holds the lock, as it wrote itself into the lock file (None if nobody wrote there)."""
    try:
        data = json.loads(lock_path(settings).read_text(encoding="utf-8") or "null")
    except (OSError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    return Holder(str(data.get("run_id")), int(data.get("pid", 0)), str(data.get("host")), str(data.get("since")))


def unfinished_runs(settings: Settings) -> list[str]:
    """Runs the log shows started and never finished (nor already reported as interrupted)."""
    open_runs: dict[str, None] = {}
    for record in read_run_log(settings):
        if record.get("event") == "started":
            open_runs[record["run_id"]] = None
        elif record.get("event") in ("finished", "interrupted"):
            open_runs.pop(record.get("run_id"), None)
    return list(open_runs)


def leftover_temporary_files(settings: Settings) -> list[Path]:
    """Temporary files a killed writer left beside their targets in the lake (`.<name>.tmp`)."""
    if not settings.lake.exists():
        return []
    return sorted(p for p in settings.lake.rglob(".*.tmp") if p.is_file())


@contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive flock on `path` for the block, waiting as long as another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def warehouse_lock(
    settings: Settings,
    run_id: str,
    on_wait: Callable[[str], None] | None = None,
    timeout: float | None = None,
    outcome: Callable[[], dict] | None = None,
) -> Iterator[list[str]]:
    """Hold the warehouse for one run. Waits (calling `on_wait` once with who holds it) while another
    run does; raises LockTimeout after `timeout` seconds if given. Yields the notes of recovery
    (interrupted runs found, temporary files removed) for the caller to log. On release it logs the
    run `finished`, with `outcome()` (a dict with at least `status`) when given, else with
    succeeded, or failed and the error when the block raised."""
    path = lock_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (held for the run, closed below)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = current_holder(settings)
            who = holder.describe() if holder else "another run"
            message = (f"waiting for {who} to finish: one writer at a time on {settings.warehouse} "
                       f"(lock {path})")
            if on_wait:
                on_wait(message)
            append_run_log(settings, "waiting", run_id, holder=holder.run_id if holder else None)
            started = time.monotonic()
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if timeout is not None and time.monotonic() - started > timeout:
                        raise LockTimeout(f"{message}: gave up after {timeout:.0f}s") from None
                    time.sleep(POLL_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(json.dumps({"run_id": run_id, "pid": os.getpid(), "host": socket.gethostname(),
                                 "since": now_text()}))
        handle.flush()
        notes = _recover(settings, run_id)
        append_run_log(settings, "started", run_id, warehouse=str(settings.warehouse))
        fields: dict = {"status": "succeeded"}
        try:
            yield notes
        except BaseException as err:
            fields = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
            raise
        finally:
            if outcome is not None and fields["status"] == "succeeded":
                fields = outcome()
            try:
                append_run_log(settings, "finished", run_id, **fields)
            except OSError:
                pass  # a full disk: the run's own error says so; the next run reports this one interrupted
            handle.seek(0)
            handle.truncate()
            handle.flush()
            fcntl.flock(handle, fcntl.LOCK_UN)
    finally:
        handle.close()


def _recover(settings: Settings, run_id: str) -> list[str]:
    """With the lock held: report runs that never finished, remove their temporary files."""
    notes = []
    for interrupted in unfinished_runs(settings):
        note = (f"run {interrupted} started and never finished (killed, or the machine stopped); "
                f"run {run_id} redoes its work")
        append_run_log(settings, "interrupted", interrupted, noticed_by=run_id)
        notes.append(note)
    for leftover in leftover_temporary_files(settings):
        leftover.unlink(missing_ok=True)
        notes.append(f"removed a temporary file an interrupted run left: {leftover}")
    return notes
