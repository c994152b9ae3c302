"""Ingest a landing zone into bronze: every landed row ends in bronze or in rejects, never lost.

Roots: the landing zone `<landing>/<source>/<force_code|national|partner>/<YYYY-MM-DD>/<file>` and
the public data.police.uk files read in place (see discover.py). Each file is registered in the file
manifest with its checksum and what became of it:

- loaded: accepted rows in bronze, rejected rows in `_meta/rejects/` with raw text and reason;
- duplicate: byte-identical to a file already loaded, not loaded again;
- quarantined: the file breaks its landing contract (location, layout, header, format): nothing is
  loaded, a copy and the reason go to `_quarantine/<file_id>/`; the other files carry on;
- failed: ingest itself failed on the file (a platform bug): treated like quarantined;
- skipped: not a delivery (yet): a hidden file, a partial download or an office lock file; nothing
  is read or copied, the reason is recorded (once per path and content) so an operator sees it.

A file is read and written in batches of at most OE_INGEST_BATCH_ROWS records (batches.py, textstream.py):
memory grows with the batch, not the file. Its bronze, rejects and warnings files are written batch by
batch under hidden temporary names and renamed into place when the whole file is done, so a file
quarantined half way, a full disk or a killed ingest leaves nothing that is counted.

Idempotent: a file already registered (same path and checksum) is skipped, so re-running changes
nothing. A quarantined file is tried again when its source's contract changes (onboard the layout,
re-run). A corrected re-delivery is a new file: its rows are loaded beside the earlier ones (bronze
keeps every version) and staging keeps the latest per source key (`_delivery_date`, then `_loaded_at`,
which ingest makes strictly increasing in load order).
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import multiprocessing
import os
import re
import shutil
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.config import Settings
from oe_platform.contracts import Contract, load_contracts
from oe_platform.governance.events import record_ingest
from oe_platform.landing import discover
from oe_platform.landing.batches import parse_delimited, parse_jsonl
from oe_platform.landing.bronze import (
    MANIFEST_SCHEMA,
    REJECT_SCHEMA,
    WARNING_SCHEMA,
    ensure_empty_meta_tables,
    ensure_empty_tables,
    entity_schema,
    partition_path,
)
from oe_platform.landing.discover import LandedFile, Location, LocationError, locate, safe_file_name
from oe_platform.landing.parse import FileRejected, ParsedFile, match_file_specs
from oe_platform.landing.tabular import parse_parquet, parse_xlsx
from oe_platform.landing.textstream import batch_rows as resolve_batch_rows
from oe_platform.landing.textstream import whole_number_above_zero
from oe_platform.pause import BATCH_POINT, pause_point

MANIFEST_NAME = "file_manifest.parquet"
LOCK_NAME = ".ingest.lock"
# Files are read and written in batches (textstream.batch_rows), but one delivery is still checksummed,
# parsed and kept in quarantine as one unit: larger files are quarantined with a request to split them.
MAX_FILE_BYTES = 4 << 30
# The fast paths (pyarrow readers) are tried on every batch; False reads every text file carefully
# (the tests compare the two).
FAST_PATHS = True
RETRYABLE = ("quarantined", "failed")
# no space left, the file size limit, the disk quota: the disk is full for this process
DISK_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
DISK_FULL_ADVICE = ("Nothing accepted is lost: the files loaded before stay in bronze and the manifest, and this "
                    "file's partial output was removed. Free space on the lake's disk, then run the ingest again: "
                    "it loads this file and the ones after it")


class DiskFull(OSError):
    """Ingest stopped because the lake's disk (or the process's file size limit) is full."""


def is_disk_full(err: OSError) -> bool:
    """ENOSPC, EFBIG or EDQUOT, from Python (errno) or from Arrow (the errno only in the message)."""
    if err.errno in DISK_FULL_ERRNOS:
        return True
    text = str(err)
    return any(f"errno {code}]" in text.lower() for code in DISK_FULL_ERRNOS) or any(
        os.strerror(code) in text for code in DISK_FULL_ERRNOS)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

WORKERS_ENV = "OE_INGEST_WORKERS"
MAX_DEFAULT_WORKERS = 4
"""Without a setting ingest parses in as many processes as the machine gives this one, up to this many
(each worker holds at most one batch of one file, so memory grows with the workers: docs/runbook.md, "A very
large delivery")."""
PARALLEL_MIN_FILES = 64
"""Fewer new files than this are parsed in this process: starting a worker (a new interpreter importing
pyarrow) costs about as much as parsing a few dozen small files."""


class WorkersError(ValueError):
    """OE_INGEST_WORKERS or --workers is not a whole number above 0."""


def resolve_workers(value: int | str | None = None) -> int:
    """Processes parsing files: the given value, else OE_INGEST_WORKERS, else the CPUs this process may use
    (at most MAX_DEFAULT_WORKERS)."""
    if value is None:
        value = os.environ.get(WORKERS_ENV)
    if value is None or value == "":
        return max(1, min(len(os.sched_getaffinity(0)), MAX_DEFAULT_WORKERS))
    workers = whole_number_above_zero(value)
    if workers is None:
        raise WorkersError(f"ingest workers {value!r} ({WORKERS_ENV} or --workers) must be a whole number above 0; "
                           f"unset, ingest uses the machine's CPUs (at most {MAX_DEFAULT_WORKERS})")
    return workers

__all__ = ["DiskFull", "FileResult", "IngestSummary", "MANIFEST_NAME", "ingest", "landed_files", "read_manifest",
           "sha256_of"]


@dataclass
class FileResult:
    path: str
    status: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    rows_warned: int = 0
    error: str | None = None
    parse_mode: str | None = None


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)
    run_id: str = ""
    seconds: float = 0.0

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_read(self) -> int:
        return sum(f.rows_read for f in self.files)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def rows_warned(self) -> int:
        return sum(f.rows_warned for f in self.files)


def landed_files(where: Settings | Path, include_public: bool = True, include_skipped: bool = False
                 ) -> list[LandedFile]:
    """Files ingest will look at: every root of `Settings` (landing zone and, with include_public, the
    data.police.uk folder), or the files under one landing-zone folder given as a path; with
    include_skipped also the files it records as skipped (hidden, partial, lock files)."""
    if isinstance(where, Settings):
        return discover.landed_files(where, include_public=include_public, include_skipped=include_skipped)
    return list(discover.walk_root(Path(where), "landing", include_skipped=include_skipped))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_manifest(meta: Path) -> list[dict]:
    """Every manifest row (oldest first); rows written by older versions get the new columns as null."""
    path = meta / MANIFEST_NAME
    if not path.exists():
        return []
    table = pq.read_table(path)
    rows = table.to_pylist()
    names = MANIFEST_SCHEMA.names
    return [{name: row.get(name) for name in names} for row in rows]


def write_manifest(meta: Path, rows: list[dict]) -> None:
    meta.mkdir(parents=True, exist_ok=True)
    tmp = meta / f".{MANIFEST_NAME}.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA), tmp)
    tmp.replace(meta / MANIFEST_NAME)


@contextmanager
def ingest_lock(meta: Path) -> Iterator[None]:
    """One ingest at a time per lake (the sensor and a person running `oe ingest` may overlap)."""
    meta.mkdir(parents=True, exist_ok=True)
    with open(meta / LOCK_NAME, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def contract_fingerprints(contracts: dict[str, Contract]) -> dict[str, str]:
    """sha256 of each contract file: a quarantined file is retried when its contract changes."""
    return {source: sha256_of(c.path) for source, c in contracts.items()}


class _Outputs:
    """The bronze, rejects and warnings files of one landed file, written a batch at a time to hidden
    temporary files (`.<name>.tmp`: readers globbing *.parquet never see them) and renamed into place
    when the whole file is done; `discard` removes them all again."""

    def __init__(self) -> None:
        self._writers: dict[Path, tuple[Path, pq.ParquetWriter]] = {}
        self.committed: list[Path] = []

    def write(self, target: Path, table: pa.Table) -> None:
        if target not in self._writers:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(f".{target.name}.tmp")
            self._writers[target] = (tmp, pq.ParquetWriter(tmp, table.schema))
        self._writers[target][1].write_table(table)

    @property
    def pending(self) -> bool:
        """Something written and not yet renamed into place."""
        return bool(self._writers)

    def commit(self) -> list[Path]:
        for _, writer in self._writers.values():
            writer.close()
        for target, (tmp, _) in self._writers.items():
            tmp.replace(target)
            self.committed.append(target)
        self._writers = {}
        return self.committed

    def discard(self) -> None:
        for tmp, writer in self._writers.values():
            try:
                writer.close()
            except (OSError, pa.ArrowException):
                pass  # the disk may be full: the file is removed below either way
            tmp.unlink(missing_ok=True)
        self._writers = {}
        _remove(self.committed)
        self.committed = []


# ---------------------------------------------------------------------------------------------
# One file


@dataclass
class _Job:
    """What the main process decided about one landed file before it is parsed."""

    landed: LandedFile
    entry: dict
    location: Location | None = None
    loaded_at: datetime | None = None
    batch_rows: int | None = None  # None: OE_INGEST_BATCH_ROWS or the default


def parse_landed(
    path: Path, where: str, contract: Contract, force: str, batch_rows: int, fast: bool = True
) -> tuple[Iterator[ParsedFile], str, str]:
    """Parse one landed file by its contract, a batch of at most `batch_rows` records at a time;
    returns the batches (rows without a required value moved to the rejects in each), the layout name
    and the entity list. Raises FileRejected, before or while the batches are read, when the file as a
    whole breaks the contract."""
    batches, layout, entities = _parse_by_layout(path, where, contract, force, batch_rows, fast)

    def checked() -> Iterator[ParsedFile]:
        for batch in batches:
            batch.reject_missing_required(contract)
            yield batch
            del batch

    return checked(), layout, entities


def _parse_by_layout(path: Path, where: str, contract: Contract, force: str, batch_rows: int, fast: bool
                     ) -> tuple[Iterator[ParsedFile], str, str]:
    layout = contract.layout_for(force)
    if layout is None:
        raise FileRejected(
            f"{where}: {force!r} has no {contract.source} layout in contracts/{contract.path.name}; "
            "onboard it there (then run ingest again: quarantined files are retried when the contract "
            "changes) or deliver in the canonical format"
        )
    name = where.rsplit("/", 1)[-1]
    specs = match_file_specs(layout, name)
    if not specs:
        patterns = sorted({s.pattern for s in layout.files.values() if s.pattern})
        raise FileRejected(
            f"{where}: the file name does not match layout {layout.name!r} of contracts/{contract.path.name} "
            f"(expected one of {patterns}); rename it and re-deliver"
        )
    if layout.format == "xlsx":
        return parse_xlsx(path, where, contract, layout, specs, batch_rows), layout.name, ",".join(
            s.entity for s in specs)
    spec = specs[0]
    if layout.format == "parquet":
        return parse_parquet(path, where, contract, layout, spec, batch_rows), layout.name, spec.entity
    if layout.format == "jsonl":
        return parse_jsonl(path, where, contract, layout, spec, batch_rows, fast), layout.name, spec.entity
    if layout.format == "csv":
        return parse_delimited(path, where, contract, layout, spec, batch_rows, fast), layout.name, spec.entity
    raise FileRejected(f"{where}: format {layout.format!r} is not supported by ingest")


def _bronze_table(table: pa.Table, contract: Contract, entity: str, job: _Job, layout: str) -> pa.Table:
    location = job.location
    assert location is not None and job.loaded_at is not None
    schema = entity_schema(contract.entities[entity])
    n = table.num_rows
    columns = {name: table.column(name) for name in contract.entities[entity].column_names}
    lineage = {
        "_file_id": pa.repeat(pa.scalar(job.entry["file_id"]), n),
        "_row_number": table.column("_row_number"),
        "_source": pa.repeat(pa.scalar(contract.source), n),
        "_force_code": pa.repeat(pa.scalar(location.force), n),
        "_delivery_date": pa.repeat(pa.scalar(location.delivery, pa.date32()), n),
        "_layout": pa.repeat(pa.scalar(layout), n),
        "_date_format": pa.repeat(pa.scalar(contract.layout_named(layout).date_format), n),
        "_loaded_at": pa.repeat(pa.scalar(job.loaded_at, pa.timestamp("us", tz="UTC")), n),
    }
    return pa.table({**columns, **lineage}).cast(schema)


def _warnings_table(flags: pa.Table, job: _Job) -> pa.Table:
    n = flags.num_rows
    location = job.location
    constants = {
        "file_id": pa.scalar(job.entry["file_id"], pa.string()),
        "path": pa.scalar(job.entry["path"], pa.string()),
        "source": pa.scalar(job.entry["source"], pa.string()),
        "force_code": pa.scalar(location.force if location else None, pa.string()),
        "delivery_date": pa.scalar(location.delivery if location else None, pa.date32()),
    }
    columns = {name: pa.repeat(value, n) for name, value in constants.items()}
    columns.update({name: flags.column(name) for name in flags.column_names})
    columns["warned_at"] = pa.repeat(pa.scalar(job.loaded_at, pa.timestamp("us", tz="UTC")), n)
    return pa.table(columns).select(WARNING_SCHEMA.names).cast(WARNING_SCHEMA)


def _side_rows(items: list, job: _Job, stamp_field: str, build: Callable[[object], dict]) -> list[dict]:
    location = job.location
    base = {
        "file_id": job.entry["file_id"],
        "path": job.entry["path"],
        "source": job.entry["source"],
        "force_code": location.force if location else job.entry["force_code"],
        "delivery_date": location.delivery if location else None,
        stamp_field: job.loaded_at,
    }
    return [{**base, **build(item)} for item in items]


def process_file(job: _Job, settings: Settings) -> tuple[dict, FileResult]:
    """Parse one located file and write its bronze rows, rejects and warnings. Runs in a worker
    process when ingest is parallel; returns the finished manifest row and the result."""
    entry = job.entry
    began = time.perf_counter()
    result = FileResult(path=entry["path"], status="loaded")
    contract = job.location.contract if job.location else None
    outputs = _Outputs()  # removed again if the file does not end loaded: no orphan rows in bronze
    try:
        if contract is None or job.location is None:
            raise FileRejected(f"{entry['path']}: not located")
        location = job.location
        batches, layout, entity = parse_landed(job.landed.path, entry["path"], contract, location.force,
                                               resolve_batch_rows(job.batch_rows), FAST_PATHS)
        counts = {"rows_read": 0, "rows_accepted": 0, "rows_rejected": 0, "rows_warned": 0}
        modes: list[str] = []
        truncated = False
        for batch in batches:
            for name, table in batch.tables.items():
                if table.num_rows:
                    target = partition_path(settings.bronze, contract.source, name, location.force,
                                            location.delivery.isoformat(), entry["file_id"])
                    outputs.write(target, _bronze_table(table, contract, name, job, layout))
            if batch.rejects:
                rows = _side_rows(batch.rejects, job, "rejected_at", lambda r: {
                    "entity": r.entity, "row_number": r.row_number, "column_name": r.column_name,
                    "reason": r.reason, "raw_text": r.raw_text, "raw_text_truncated": r.raw_text_truncated,
                })
                outputs.write(settings.meta / "rejects" / f"{entry['file_id']}.parquet",
                              pa.Table.from_pylist(rows, schema=REJECT_SCHEMA))
                truncated = truncated or any(r.raw_text_truncated for r in batch.rejects)
            warnings = batch.warnings_table()
            if warnings.num_rows:
                outputs.write(settings.meta / "warnings" / f"{entry['file_id']}.parquet",
                              _warnings_table(warnings, job))
            # a record's rows, rejects and warnings are all in one batch: the counts add up
            counts["rows_read"] += batch.rows_read
            counts["rows_accepted"] += batch.rows_accepted
            counts["rows_rejected"] += batch.rows_rejected
            counts["rows_warned"] += batch.rows_warned()
            if batch.mode:
                modes.append(batch.mode)
            del batch, warnings
            if outputs.pending:
                pause_point(BATCH_POINT)
        outputs.commit()
        mode = "careful" if "careful" in modes else modes[0] if modes else "careful"
        entry.update(layout=layout, entity=entity, format=contract.layout_named(layout).format, parse_mode=mode,
                     **counts)
        result.rows_read, result.rows_accepted, result.rows_rejected, result.rows_warned = (
            counts["rows_read"], counts["rows_accepted"], counts["rows_rejected"], counts["rows_warned"]
        )
        result.parse_mode = mode
        if truncated:
            entry["quarantine_path"] = quarantine(settings, job.landed, entry, "a rejected row's raw text was "
                                                  "truncated in the rejects table; the whole file is kept here")
            _add_note(entry, "raw text of a rejected row truncated; the file is kept in quarantine")
    except FileRejected as err:
        outputs.discard()
        entry.update(status="quarantined", error=str(err), rows_read=0, rows_accepted=0, rows_rejected=0)
        result.status, result.error = "quarantined", str(err)
        entry["quarantine_path"] = quarantine(settings, job.landed, entry, str(err))
    # The boundary of one untrusted file: whatever else goes wrong, this file is set aside with the
    # error and ingest carries on with the others (status failed = report it as a platform bug).
    except Exception as err:
        outputs.discard()
        if isinstance(err, OSError) and is_disk_full(err):
            # the disk, not the file: stop the whole ingest (every next file would fail the same way)
            raise DiskFull(f"{entry['path']}: {err.strerror or err} while writing its bronze rows under "
                           f"{settings.lake}. {DISK_FULL_ADVICE}") from err
        message = (f"{entry['path']}: ingest failed on this file ({type(err).__name__}: {err}); the file is "
                   "kept in quarantine. This is a platform bug: report it with this message")
        entry.update(status="failed", error=message, rows_read=0, rows_accepted=0, rows_rejected=0)
        result.status, result.error = "failed", message
        entry["quarantine_path"] = quarantine(settings, job.landed, entry, message)
    entry["finished_at"] = datetime.now(UTC)
    entry["duration_ms"] = int((time.perf_counter() - began) * 1000)
    return entry, result


def _sweep_temporary_files(settings: Settings) -> None:
    """Remove the hidden temporary outputs (`.<name>.parquet.tmp`) an ingest killed half way through a
    file left behind; under the ingest lock, no other ingest is writing them."""
    folders = [settings.bronze, settings.meta / "rejects", settings.meta / "warnings"]
    for folder in folders:
        if folder.exists():
            _remove([p for p in folder.rglob(".*.parquet.tmp") if p.is_file()])


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _outputs_of(file_ids: set[str], settings: Settings) -> list[Path]:
    """The bronze, rejects and warnings files written for these landed files (named by file id)."""
    candidates = [*settings.bronze.rglob("*.parquet"), *(settings.meta / "rejects").glob("*.parquet"),
                  *(settings.meta / "warnings").glob("*.parquet")]
    return [path for path in candidates if path.stem in file_ids]


def _process_in_worker(job: _Job, settings: Settings) -> tuple[dict, FileResult]:
    return process_file(job, settings)


def _add_note(entry: dict, note: str) -> None:
    entry["note"] = f"{entry['note']}; {note}" if entry.get("note") else note


def quarantine(settings: Settings, landed: LandedFile, entry: dict, reason: str) -> str | None:
    """Copy a file that could not be loaded into `<lake>/_quarantine/<file_id>/` under a safe name,
    with reason.txt beside it. Returns the lake-relative path, or None when the file cannot be copied
    (a symbolic link, or unreadable)."""
    root = (settings.lake / "_quarantine").resolve()
    folder = root / entry["file_id"]
    target = folder / safe_file_name(landed.name)
    if target.resolve().parent != folder.resolve() or root not in target.resolve().parents:
        raise RuntimeError(f"refusing to write outside the quarantine: {target}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "reason.txt").write_text(
        f"path: {entry['path']}\nsha256: {entry['sha256']}\nstatus: {entry.get('status')}\n"
        f"quarantined_at: {datetime.now(UTC).isoformat()}\nreason: {reason}\n",
        encoding="utf-8",
    )
    if landed.is_symlink:
        return None
    try:
        shutil.copyfile(landed.path, target, follow_symlinks=False)
    except OSError:
        return None
    return str(target.relative_to(settings.lake.resolve()))


# ---------------------------------------------------------------------------------------------
# The run


_DIGITS = re.compile(r"[0-9]+")


def delivery_identity(entry: dict) -> tuple:
    """Who delivered a file and which of their files it is: the root, the source, the force or partner
    and the file's name with its digits (dates) blanked. Byte-identical files share an outcome (a
    duplicate, a header-only day, a quarantine) only within one identity: the same bytes from another
    source, force or kind of file (two empty files, a stop-and-search month that is the same for two
    forces) are another delivery, read under its own contract (docs/ingest.md)."""
    name = str(entry.get("path") or "").rsplit("/", 1)[-1].lower()
    return (entry.get("root"), entry.get("source"), entry.get("force_code"), _DIGITS.sub("#", name))


def _content_key(entry: dict) -> tuple:
    return (entry["sha256"], delivery_identity(entry))


def _distinct_file_id(entry: dict) -> str:
    """The file id of a file whose bytes another identity registered first: the file id must name one
    delivery's rows in bronze, so it is the sha256 of the bytes' sha256 and the identity."""
    text = entry["sha256"] + "|" + "|".join(str(part) for part in delivery_identity(entry))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _new_entry(landed: LandedFile, run_id: str) -> dict:
    entry = {name: None for name in MANIFEST_SCHEMA.names}
    entry.update(
        path=landed.relative,
        file_name=landed.name,
        root=landed.root,
        source=landed.parts[0] if len(landed.parts) > 1 else None,
        rows_read=0,
        rows_accepted=0,
        rows_rejected=0,
        rows_warned=0,
        status="loaded",
        run_id=run_id,
        started_at=datetime.now(UTC),
    )
    return entry


def _identify(landed: LandedFile, entry: dict) -> None:
    """Checksum, size and modification time; a symbolic link is identified by its target text."""
    stat = landed.path.lstat()
    entry["size_bytes"] = stat.st_size
    entry["modified_at"] = modified_at(stat.st_mtime_ns)
    if landed.is_symlink:
        entry["sha256"] = hashlib.sha256(os.fsencode(os.readlink(landed.path))).hexdigest()
    else:
        entry["sha256"] = sha256_of(landed.path)
    entry["file_id"] = entry["sha256"][:24]


def modified_at(mtime_ns: int) -> datetime:
    """A file's modification time as the manifest stores it (UTC, microseconds)."""
    return EPOCH + timedelta(microseconds=mtime_ns // 1000)


def _finish_early(entry: dict, status: str, message: str | None, settings: Settings, landed: LandedFile,
                  copy: bool = True) -> tuple[dict, FileResult]:
    entry.update(status=status, error=message)
    if copy and status in RETRYABLE:
        entry["quarantine_path"] = quarantine(settings, landed, entry, message)
    entry["finished_at"] = datetime.now(UTC)
    entry["duration_ms"] = int((entry["finished_at"] - entry["started_at"]).total_seconds() * 1000)
    return entry, FileResult(path=entry["path"], status=status, error=message, parse_mode=entry["parse_mode"])


def _copy_outcome(entry: dict, landed: LandedFile, original: dict, settings: Settings) -> tuple[dict, FileResult]:
    """A file byte-identical to one registered before (earlier, or in this run)."""
    sha = entry["sha256"][:12]
    if original["status"] == "loaded" and not original["rows_read"]:
        # a header-only delivery ("nothing new today") repeats byte for byte: loaded, with no rows
        entry.update({k: original[k] for k in ("layout", "format", "entity", "parse_mode")})
        _add_note(entry, f"header only, identical to {original['path']}")
        return _finish_early(entry, "loaded", None, settings, landed)
    if original["status"] == "loaded":
        return _finish_early(entry, "duplicate", f"identical to {original['path']} (sha256 {sha}…), already "
                             "loaded; nothing to do", settings, landed)
    entry["quarantine_path"] = original["quarantine_path"]
    return _finish_early(entry, original["status"], f"identical to {original['path']}, which was "
                         f"{original['status']}: {original['error']}", settings, landed, copy=False)


def _record_skipped(landed: LandedFile, entry: dict, latest: dict[tuple[str, str], dict],
                    record: Callable[[dict, FileResult], None]) -> None:
    """A file that is not a delivery: recorded as skipped with the reason, once per path and content.
    It has no file id (it is never loaded, so it never counts in reconciliation)."""
    try:
        _identify(landed, entry)
    except OSError as err:
        entry.update(sha256=None, size_bytes=None)
        _add_note(entry, f"the file cannot be read either ({err})")
    entry["file_id"] = None
    if entry["sha256"] is not None and (entry["path"], entry["sha256"]) in latest:
        return  # already recorded as skipped with this content
    entry.update(status="skipped", error=f"{landed.relative}: {landed.skip_reason}",
                 finished_at=datetime.now(UTC), duration_ms=0)
    latest[(entry["path"], entry["sha256"])] = entry
    record(entry, FileResult(path=entry["path"], status="skipped", error=entry["error"]))


def ingest(
    settings: Settings,
    on_file: Callable[[Path], None] | None = None,
    include_public: bool = True,
    workers: int | None = None,
    retry_failed: bool = False,
    batch_rows: int | None = None,
) -> IngestSummary:
    """Load every new landed file into bronze and record it in the file manifest.

    `include_public` also reads the data.police.uk files under `Settings.police_uk` in place.
    `workers` (default: `resolve_workers()`) > 1 parses files in that many processes when there are at least
    PARALLEL_MIN_FILES new files; the results are recorded in the files' order either way. `retry_failed`
    tries quarantined and failed files again even when their contract did not change. Each file is read
    and written at most `batch_rows` records at a time (default: OE_INGEST_BATCH_ROWS, else
    textstream.DEFAULT_BATCH_ROWS); the result does not depend on it.
    """
    batch_rows = resolve_batch_rows(batch_rows)  # a wrong setting stops here, before anything is read
    workers = resolve_workers(workers)
    started = time.perf_counter()
    run_id = uuid.uuid4().hex[:12]
    contracts = load_contracts()
    with ingest_lock(settings.meta):
        for contract in contracts.values():
            ensure_empty_tables(settings.bronze, contract)
        ensure_empty_meta_tables(settings.meta)
        _sweep_temporary_files(settings)
        fingerprints = contract_fingerprints(contracts)
        manifest = read_manifest(settings.meta)
        latest: dict[tuple[str, str], dict] = {}
        by_path: dict[str, dict] = {}
        for row in manifest:
            latest[(row["path"], row["sha256"])] = row
            by_path[row["path"]] = row
        loaded_checksums = {_content_key(m): m for m in manifest if m["status"] == "loaded" and m["sha256"]}
        # which identities registered each content (file_id: the first one's; another's: _distinct_file_id)
        first_identity = {}
        for m in manifest:
            if m["sha256"] and m["file_id"] and m["file_id"] == m["sha256"][:24]:
                first_identity.setdefault(m["sha256"], delivery_identity(m))
        summary = IngestSummary(run_id=run_id)
        last_loaded_at = max((m["started_at"] for m in manifest if m["started_at"]), default=None)
        jobs: list[_Job] = []
        in_run: dict[str, dict] = {}
        in_run_copies: list[tuple[dict, LandedFile, dict]] = []

        def stamp() -> datetime:
            nonlocal last_loaded_at
            now = datetime.now(UTC)
            if last_loaded_at is not None and now <= last_loaded_at:
                now = last_loaded_at + timedelta(microseconds=1)
            last_loaded_at = now
            return now

        def record(entry: dict, result: FileResult) -> None:
            manifest.append(entry)
            summary.files.append(result)

        for landed in discover.landed_files(settings, include_public=include_public, include_skipped=True):
            if on_file:
                on_file(landed.path)
            entry = _new_entry(landed, run_id)
            if landed.skip_reason is not None:
                _record_skipped(landed, entry, latest, record)
                continue
            try:
                _identify(landed, entry)
            except OSError as err:
                # unreadable (permissions, vanished mid-run): registered so nobody wonders, retried next run
                entry.update(file_id=None, sha256=None)
                record(*_finish_early(entry, "failed", f"{landed.relative}: the file cannot be read ({err}); "
                                      "check its permissions", settings, landed, copy=False))
                continue
            previous = latest.get((entry["path"], entry["sha256"]))
            if previous is not None:
                retry = previous["status"] in RETRYABLE and (
                    retry_failed or previous.get("contract_sha256") != fingerprints.get(previous["source"] or "")
                )
                if not retry:
                    continue
                _add_note(entry, f"retry of a file {previous['status']} on {previous['started_at']:%Y-%m-%d}")
            entry["started_at"] = stamp()
            entry["contract_sha256"] = fingerprints.get(entry["source"] or "")
            if landed.is_symlink:
                record(*_finish_early(entry, "quarantined", f"{landed.relative}: a symbolic link; ingest never "
                                      "follows links. Deliver the file itself", settings, landed))
                continue
            try:
                location = locate(landed, contracts)
            except LocationError as err:
                record(*_finish_early(entry, "quarantined", str(err), settings, landed))
                continue
            entry.update(force_code=location.force, delivery_date=location.delivery)
            if first_identity.setdefault(entry["sha256"], delivery_identity(entry)) != delivery_identity(entry):
                entry["file_id"] = _distinct_file_id(entry)  # the same bytes, delivered by another identity
            if _content_key(entry) in in_run:
                in_run_copies.append((entry, landed, in_run[_content_key(entry)]))
                continue
            if _content_key(entry) in loaded_checksums:
                record(*_copy_outcome(entry, landed, loaded_checksums[_content_key(entry)], settings))
                continue
            if entry["size_bytes"] > MAX_FILE_BYTES:
                record(*_finish_early(entry, "quarantined", f"{landed.relative}: {entry['size_bytes']} bytes is "
                                      f"over the {MAX_FILE_BYTES >> 30} GiB limit of one delivery; split it into "
                                      "several files and re-deliver", settings, landed))
                continue
            earlier = by_path.get(entry["path"])
            if earlier is not None and earlier["sha256"] != entry["sha256"] and earlier["status"] == "loaded":
                _add_note(entry, f"replaces the earlier content of this path (sha256 {earlier['sha256'][:12]}…); "
                          "both versions stay in bronze, staging keeps the latest by key")
            in_run[_content_key(entry)] = entry  # a second copy in this run is a duplicate of this one
            jobs.append(_Job(landed, entry, location, entry["started_at"], batch_rows))

        def parsed(entry: dict, result: FileResult) -> None:
            # a worker returns a copy of the entry: copies of this file later in the run follow its outcome
            in_run[_content_key(entry)] = entry
            record(entry, result)
            pause_point("ingest")

        try:
            if workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
                # spawn, not fork: the parent already runs Arrow's thread pools. At most two files per
                # worker are in flight, so a run that stops (an error, a pause, a kill) stops within a few
                # files of the last one recorded, as the serial path does.
                context = multiprocessing.get_context("spawn")
                with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
                    in_flight: deque[Future] = deque()
                    try:
                        for job in jobs:
                            in_flight.append(pool.submit(_process_in_worker, job, settings))
                            if len(in_flight) >= 2 * workers:
                                parsed(*in_flight.popleft().result())
                        while in_flight:
                            parsed(*in_flight.popleft().result())
                    except Exception:
                        # one file stopped the run (a full disk): the files the other workers finished are
                        # in bronze, so they are registered too (bronze holds what the manifest lists)
                        for future in in_flight:
                            try:
                                entry, result = future.result()
                            except Exception:  # noqa: S112 - it removed its own partial output
                                continue
                            in_run[_content_key(entry)] = entry
                            record(entry, result)
                        raise
            else:
                for job in jobs:
                    parsed(*process_file(job, settings))
            for entry, landed, original in in_run_copies:
                record(*_copy_outcome(entry, landed, in_run[_content_key(original)], settings))
        finally:
            if summary.files or not (settings.meta / MANIFEST_NAME).exists():
                try:
                    write_manifest(settings.meta, manifest)
                except OSError as err:
                    if not is_disk_full(err):
                        raise
                    # the files of this run are not registered: take their rows out again, so bronze
                    # holds exactly what the (intact) previous manifest lists; the next ingest loads them
                    # (and nothing is recorded as collected: the audit entries follow the manifest)
                    registered = {row["file_id"] for row in read_manifest(settings.meta) if row["status"] == "loaded"}
                    _remove(_outputs_of({r["file_id"] for r in manifest if r["status"] == "loaded"} - registered,
                                        settings))
                    raise DiskFull(f"{err.strerror or err} while writing the file manifest under {settings.meta}; the "
                                   f"previous manifest is intact. {DISK_FULL_ADVICE}") from err
            # the audit log (collection): one entry per file this run registered, even if it stopped early
            record_ingest(settings, run_id, [m for m in manifest if m.get("run_id") == run_id])
    summary.seconds = time.perf_counter() - started
    return summary


