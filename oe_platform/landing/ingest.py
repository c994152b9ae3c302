"""Ingest a landing zone into bronze: every landed row ends in bronze or in rejects, never lost.

The landing zone is laid out as <landing>/<source>/<force_code|national|partner>/<YYYY-MM-DD>/<file>.
Each file is registered in the file manifest with its checksum; a file already loaded (same path and
checksum) or an identical copy of a loaded file is not loaded again, so re-running changes nothing.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.config import Settings
from oe_platform.contracts import Contract, load_contracts
from oe_platform.landing.bronze import (
    MANIFEST_SCHEMA,
    REJECT_SCHEMA,
    ensure_empty_tables,
    entity_schema,
    partition_path,
)
from oe_platform.landing.parse import FileRejected, ParsedFile, match_file_spec, parse_file

MANIFEST_NAME = "file_manifest.parquet"


@dataclass
class FileResult:
    path: str
    status: str
    rows_read: int = 0
    rows_accepted: int = 0
    rows_rejected: int = 0
    error: str | None = None


@dataclass
class IngestSummary:
    files: list[FileResult] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for f in self.files if f.status == status)

    @property
    def rows_accepted(self) -> int:
        return sum(f.rows_accepted for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landed_files(landing: Path) -> list[Path]:
    """Every regular file under the landing zone, in a stable order (hidden files ignored)."""
    if not landing.exists():
        return []
    return sorted(
        p for p in landing.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)
    )


def read_manifest(meta: Path) -> list[dict]:
    path = meta / MANIFEST_NAME
    if not path.exists():
        return []
    return pq.read_table(path).to_pylist()


def write_manifest(meta: Path, rows: list[dict]) -> None:
    meta.mkdir(parents=True, exist_ok=True)
    tmp = meta / f".{MANIFEST_NAME}.tmp"
    pq.write_table(pa.Table.from_pylist(rows, schema=MANIFEST_SCHEMA), tmp)
    tmp.replace(meta / MANIFEST_NAME)


def _locate(relative: Path, contracts: dict[str, Contract]) -> tuple[Contract, str, date]:
    """Check a landed path against the landing layout; raise FileRejected naming what is wrong."""
    parts = relative.parts
    if len(parts) != 4:
        raise FileRejected(
            f"{relative}: a landed file must be at <source>/<force_code>/<YYYY-MM-DD>/<file>; "
            "move it there and run ingest again"
        )
    source, force, day, _ = parts
    contract = contracts.get(source)
    if contract is None:
        raise FileRejected(
            f"{relative}: unknown source {source!r}; known sources are {sorted(contracts)}"
        )
    try:
        delivery = date.fromisoformat(day)
    except ValueError as err:
        raise FileRejected(f"{relative}: delivery folder {day!r} is not a date (YYYY-MM-DD)") from err
    return contract, force, delivery


def ingest(
    settings: Settings,
    on_file: Callable[[Path], None] | None = None,
) -> IngestSummary:
    """Load every new landed file into bronze and record it in the file manifest."""
    contracts = load_contracts()
    for contract in contracts.values():
        ensure_empty_tables(settings.bronze, contract)
    manifest = read_manifest(settings.meta)
    loaded = {(m["path"], m["sha256"]) for m in manifest}
    loaded_checksums = {m["sha256"]: m["path"] for m in manifest if m["status"] == "loaded"}
    summary = IngestSummary()

    for path in landed_files(settings.landing):
        if on_file:
            on_file(path)
        relative = path.relative_to(settings.landing)
        checksum = sha256_of(path)
        if (str(relative), checksum) in loaded:
            continue
        started = datetime.now(UTC)
        file_id = checksum[:24]
        entry = {
            "file_id": file_id,
            "path": str(relative),
            "sha256": checksum,
            "size_bytes": path.stat().st_size,
            "source": relative.parts[0] if len(relative.parts) > 1 else None,
            "force_code": relative.parts[1] if len(relative.parts) > 2 else None,
            "delivery_date": None,
            "layout": None,
            "entity": None,
            "rows_read": 0,
            "rows_accepted": 0,
            "rows_rejected": 0,
            "status": "loaded",
            "error": None,
            "started_at": started,
            "finished_at": None,
        }
        result = FileResult(path=str(relative), status="loaded")
        try:
            contract, force, delivery = _locate(relative, contracts)
            entry["delivery_date"] = delivery
            if checksum in loaded_checksums:
                entry["status"] = result.status = "duplicate"
                entry["error"] = result.error = (
                    f"identical to {loaded_checksums[checksum]} (sha256 {checksum[:12]}…), already loaded"
                )
            else:
                layout = contract.layout_for(force)
                if layout is None:
                    raise FileRejected(
                        f"{relative}: {force!r} has no {contract.source} layout in "
                        f"contracts/{contract.source}.yml; onboard it there or deliver in the canonical format"
                    )
                entry["layout"] = layout.name
                spec = match_file_spec(contract, layout, path.name)
                if spec is None:
                    patterns = [s.pattern for s in layout.files.values() if s.pattern]
                    raise FileRejected(
                        f"{relative}: file name does not match layout {layout.name!r} "
                        f"(expected one of {patterns})"
                    )
                entry["entity"] = spec.entity
                parsed = parse_file(path, contract, layout, spec)
                _write_bronze(settings, contract, force, delivery, layout.name, layout.date_format,
                              file_id, parsed, started)
                _write_rejects(settings, contract.source, force, file_id, str(relative), parsed)
                top_accepted = len(parsed.rows[spec.entity])
                top_rejected = sum(1 for r in parsed.rejects if r.entity == spec.entity)
                entry.update(
                    rows_read=parsed.rows_read, rows_accepted=top_accepted, rows_rejected=top_rejected
                )
                result.rows_read, result.rows_accepted, result.rows_rejected = (
                    parsed.rows_read, top_accepted, top_rejected,
                )
                loaded_checksums[checksum] = str(relative)
        except FileRejected as err:
            entry["status"] = result.status = "quarantined"
            entry["error"] = result.error = str(err)
            _quarantine(settings, path, file_id)
        entry["finished_at"] = datetime.now(UTC)
        manifest.append(entry)
        summary.files.append(result)

    write_manifest(settings.meta, manifest)
    return summary


def _write_bronze(
    settings: Settings,
    contract: Contract,
    force: str,
    delivery: date,
    layout_name: str,
    date_format: str,
    file_id: str,
    parsed: ParsedFile,
    loaded_at: datetime,
) -> None:
    for entity_name, rows in parsed.rows.items():
        if not rows:
            continue
        entity = contract.entities[entity_name]
        schema = entity_schema(entity)
        columns: dict[str, list] = {c: [row.get(c) for _, row in rows] for c in entity.column_names}
        n = len(rows)
        columns.update(
            {
                "_file_id": [file_id] * n,
                "_row_number": [rn for rn, _ in rows],
                "_source": [contract.source] * n,
                "_force_code": [force] * n,
                "_delivery_date": [delivery] * n,
                "_layout": [layout_name] * n,
                "_date_format": [date_format] * n,
                "_loaded_at": [loaded_at] * n,
            }
        )
        target = partition_path(settings.bronze, contract.source, entity_name, force, delivery.isoformat(), file_id)
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pydict(columns, schema=schema), target)


def _write_rejects(
    settings: Settings, source: str, force: str, file_id: str, relative: str, parsed: ParsedFile
) -> None:
    if not parsed.rejects:
        return
    rows = [
        {
            "file_id": file_id,
            "path": relative,
            "source": source,
            "force_code": force,
            "entity": r.entity,
            "row_number": r.row_number,
            "column_name": r.column_name,
            "reason": r.reason,
            "raw_text": r.raw_text,
        }
        for r in parsed.rejects
    ]
    target = settings.meta / "rejects" / f"{file_id}.parquet"
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=REJECT_SCHEMA), target)


def _quarantine(settings: Settings, path: Path, file_id: str) -> None:
    target = settings.lake / "_quarantine" / file_id / path.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(path, target)
