"""The audit log: who did what to which personal data, when (in the spirit of DPA 2018 Part 3 s62).

Append-only JSON lines stored outside the warehouse (default `<lake>/_audit/audit.jsonl`, or the
file named by OE_AUDIT), so rebuilding the warehouse keeps it. Every entry is chained to the one
before it: `hash = sha256(prev_hash + canonical JSON of the entry without its hash)`, so editing,
deleting or reordering a line breaks the chain from that line on (`verify`).

Operations, as s62 lists them:
- collection: each landed file ingest registered (loaded, duplicate, quarantined, failed);
- alteration: each dbt build through the platform (models built with their row counts);
- combination: each linkage run (person records in, persons out);
- disclosure: each publish of a mart (with the recipient audience);
- consultation: each query through the platform's own command (`oe query`), with a justification;
- erasure: metadata only (source, how many records, reason, request), never the erased values;
- run_failure: a pipeline run that failed, with the failed step.
"""

from __future__ import annotations

import contextlib
import fcntl
import getpass
import hashlib
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from oe_platform.config import Settings

AUDIT_ENV = "OE_AUDIT"
IDENTITY_ENV = "OE_AUDIT_IDENTITY"
GENESIS_HASH = "0" * 64
OPERATIONS = (
    "collection",
    "alteration",
    "combination",
    "disclosure",
    "consultation",
    "erasure",
    "run_failure",
)
# What an erasure entry may say: the fact of the erasure, never the erased values.
ERASURE_FIELDS = frozenset({"source", "records", "reason", "request_id", "layers", "files_rewritten"})

# The orchestrator's run (a Dagster run id) that library calls made inside it belong to.
_current_run: ContextVar[str | None] = ContextVar("oe_audit_run", default=None)


class AuditError(Exception):
    """The audit log cannot be written or read as asked."""


@dataclass(frozen=True)
class Event:
    """One thing to record; `what` holds files, models, row counts: never personal values."""

    operation: str
    what: Mapping[str, Any]
    run_id: str | None = None
    who: str | None = None


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    broken_line: int | None = None  # 1-based line number of the first entry that does not verify
    broken_seq: int | None = None
    reason: str = ""

    def describe(self) -> str:
        if self.ok:
            return f"audit log intact: {self.entries} entries, hash chain verified"
        seq = f" (seq {self.broken_seq})" if self.broken_seq is not None else ""
        return f"audit log broken at line {self.broken_line}{seq}: {self.reason}"


def audit_path(settings: Settings | None = None) -> Path:
    """OE_AUDIT when set, else <lake>/_audit/audit.jsonl."""
    configured = os.environ.get(AUDIT_ENV)
    if configured:
        return Path(configured).resolve()
    if settings is None:
        from oe_platform.config import load_settings

        settings = load_settings()
    return settings.lake / "_audit" / "audit.jsonl"


def identity() -> str:
    """Who is acting: OE_AUDIT_IDENTITY when configured, else the operating-system user."""
    configured = os.environ.get(IDENTITY_ENV, "").strip()
    if configured:
        return configured
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


@contextlib.contextmanager
def audit_run(run_id: str | None) -> Iterator[None]:
    """Entries recorded inside this block carry `run_id` (e.g. the Dagster run) unless given one."""
    token = _current_run.set(run_id)
    try:
        yield
    finally:
        _current_run.reset(token)


def canonical_json(value: Mapping[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_jsonable)


def _jsonable(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    raise TypeError(f"cannot record a {type(value).__name__} in the audit log")


def entry_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    return hashlib.sha256((prev_hash + canonical_json(body)).encode("utf-8")).hexdigest()


def _check(event: Event) -> None:
    if event.operation not in OPERATIONS:
        raise AuditError(f"unknown audit operation {event.operation!r}; expected one of {', '.join(OPERATIONS)}")
    if event.operation == "erasure":
        extra = sorted(set(event.what) - ERASURE_FIELDS)
        if extra:
            raise AuditError(
                f"an erasure entry holds metadata only ({', '.join(sorted(ERASURE_FIELDS))}); "
                f"refusing field(s) {', '.join(extra)}"
            )


def _last_line(handle) -> bytes:
    """The last non-empty line of a file opened in binary mode, reading backwards from the end."""
    handle.seek(0, os.SEEK_END)
    end = handle.tell()
    block, data = 4096, b""
    position = end
    while position > 0:
        step = min(block, position)
        position -= step
        handle.seek(position)
        data = handle.read(step) + data
        stripped = data.rstrip(b"\n")
        if b"\n" in stripped:
            return stripped.rsplit(b"\n", 1)[1]
    return data.rstrip(b"\n")


def record(events: Event | Iterable[Event], path: Path | None = None) -> list[dict]:
    """Append events to the log under an exclusive lock, chaining each to the last; return the entries."""
    batch = [events] if isinstance(events, Event) else list(events)
    if not batch:
        return []
    for event in batch:
        _check(event)
    target = path or audit_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    written: list[dict] = []
    with open(target, "ab+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            last = _last_line(handle)
            if last:
                try:
                    previous = json.loads(last)
                    prev_hash, seq = previous["hash"], int(previous["seq"])
                except (ValueError, KeyError, TypeError) as err:
                    raise AuditError(
                        f"{target}: the last line is not an audit entry ({err}); run `oe audit verify` "
                        "and restore the log from its backup before recording more"
                    ) from err
            else:
                prev_hash, seq = GENESIS_HASH, 0
            lines = []
            for event in batch:
                seq += 1
                body = {
                    "seq": seq,
                    "at": datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
                    "operation": event.operation,
                    "who": event.who or identity(),
                    "run_id": event.run_id or _current_run.get(),
                    "what": dict(event.what),
                    "prev_hash": prev_hash,
                }
                # round-trip so the stored entry is exactly what is hashed (dates as text, etc.)
                body = json.loads(canonical_json(body))
                prev_hash = entry_hash(prev_hash, body)
                entry = {**body, "hash": prev_hash}
                lines.append(canonical_json(entry) + "\n")
                written.append(entry)
            handle.seek(0, os.SEEK_END)
            handle.write("".join(lines).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
    return written


def read_entries(path: Path | None = None) -> list[dict]:
    """Every entry of the log, oldest first (an absent log is empty)."""
    target = path or audit_path()
    if not target.exists():
        return []
    entries = []
    with open(target, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                entries.append(json.loads(line))
            except ValueError as err:
                raise AuditError(f"{target}, line {number}: not JSON ({err}); run `oe audit verify`") from err
    return entries


def verify(path: Path | None = None) -> VerifyResult:
    """Walk the chain; name the first line whose hash, link or sequence does not hold."""
    target = path or audit_path()
    if not target.exists():
        return VerifyResult(ok=True, entries=0)
    prev_hash, expected_seq, count = GENESIS_HASH, 1, 0
    with open(target, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                return VerifyResult(False, count, number, None, "an empty line (entries were removed or split)")
            try:
                entry = json.loads(line)
            except ValueError as err:
                return VerifyResult(False, count, number, None, f"not JSON ({err})")
            seq = entry.get("seq") if isinstance(entry, dict) else None
            if not isinstance(entry, dict) or "hash" not in entry:
                return VerifyResult(False, count, number, None, "not an audit entry (no hash)")
            if seq != expected_seq:
                return VerifyResult(False, count, number, seq, f"sequence {seq}, expected {expected_seq} "
                                    "(an entry was removed, inserted or reordered)")
            if entry.get("prev_hash") != prev_hash:
                return VerifyResult(False, count, number, seq, "prev_hash does not match the previous entry's hash")
            body = {k: v for k, v in entry.items() if k != "hash"}
            if entry_hash(prev_hash, body) != entry["hash"]:
                return VerifyResult(False, count, number, seq, "the entry's content does not match its hash "
                                    "(it was edited after it was written)")
            prev_hash, expected_seq, count = entry["hash"], expected_seq + 1, count + 1
    return VerifyResult(ok=True, entries=count)


def _parse_bound(value: str | date | datetime | None, end: bool) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    else:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if end and len(value) == 10:  # a bare date: --until 2026-01-31 includes that whole day
            moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    if isinstance(value, date) and not isinstance(value, datetime) and end:
        moment = moment.replace(hour=23, minute=59, second=59, microsecond=999999)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def filter_entries(
    entries: Iterable[dict],
    operation: str | None = None,
    since: str | date | datetime | None = None,
    until: str | date | datetime | None = None,
    record_filter: str | None = None,
) -> list[dict]:
    """Entries of one operation, within [since, until] (UTC; a bare date is a whole day), and whose
    run id or `what` (files, models, record ids) contains `record_filter` (case-insensitive)."""
    if operation is not None and operation not in OPERATIONS:
        raise AuditError(f"unknown operation {operation!r}; expected one of {', '.join(OPERATIONS)}")
    start, stop = _parse_bound(since, end=False), _parse_bound(until, end=True)
    needle = record_filter.lower() if record_filter else None
    chosen = []
    for entry in entries:
        if operation and entry.get("operation") != operation:
            continue
        at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00"))
        if (start and at < start) or (stop and at > stop):
            continue
        if needle and needle not in canonical_json({"run_id": entry.get("run_id"), "what": entry.get("what")}).lower():
            continue
        chosen.append(entry)
    return chosen


# the keys a reader looks for first in the table view
_LEAD_KEYS = ("file", "table", "step", "sql", "status", "rows", "rows_accepted", "audience", "persons", "source",
              "records", "failed_steps")


def summarise(what: Mapping[str, Any], width: int = 100) -> str:
    """One line about an entry's `what`, for the table view."""
    parts = []
    ordered = [k for k in _LEAD_KEYS if k in what] + [k for k in what if k not in _LEAD_KEYS]
    for key in ordered:
        value = what[key]
        if isinstance(value, list):
            text = f"{len(value)} item(s)"
        elif isinstance(value, dict):
            text = ", ".join(f"{k}={v}" for k, v in value.items())
        else:
            text = str(value)
        parts.append(f"{key}={text}")
    line = "; ".join(parts)
    return line if len(line) <= width else line[: width - 1] + "…"
