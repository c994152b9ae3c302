"""Erasure: a source person record removed from every layer on the next run, and logged.

A request (`oe erase --source S --record R --reason TEXT`, or a force's erasure list in the landing
zone, see `read_delivered_lists`) names one source person record by its `person_record_id`, the id
`conformed.person_source_record` and the retention review show. Requests are kept in
`<lake>/_erasure/requests.json` (ids and reasons, never the record's values). Every run, after
ingest and before dbt, `apply_erasures`:

- finds the record's rows in bronze (the source's person entities, and link entities that carry the
  person key, e.g. canonical person_events), in every delivery that holds it;
- removes them from the landed file (landing copy, in its own format), from bronze (the Parquet
  files rewritten), from the rejects and warnings tables, and from any quarantine copy of the file;
- corrects the file manifest (rows read and accepted, and the new checksum, so ingest does not load
  the rewritten file again);
- records one `erasure` audit entry per request (source, record count, reason, request id, layers,
  files rewritten: metadata only).

The warehouse, linkage outputs, gold and serving files are rebuilt from bronze by the same run (dbt
rebuilds every table, linkage replaces its outputs, publish rewrites every mart version and builds
each serving file afresh), and `compact_warehouse` then copies the warehouse into a new file, so the
bytes of dropped tables do not linger in free blocks. A request stays in force: a re-delivery of the
record is erased on the run that loads it.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from oe_platform.config import Settings
from oe_platform.contracts import Contract, Entity, load_contracts
from oe_platform.governance.audit import Event, audit_path, identity, record
from oe_platform.governance.erasure_files import rewrite_delivery
from oe_platform.landing.bronze import EMPTY_NAME, entity_dir
from oe_platform.landing.discover import ERASURE_LISTS
from oe_platform.landing.ingest import MANIFEST_NAME, ingest_lock, read_manifest, sha256_of, write_manifest
from oe_platform.staging_state import bronze_rewritten
from oe_platform.warehouse import has_relation

ERASURE_DIR = "_erasure"
REQUESTS_NAME = "requests.json"
COMPACT_MARKER = "compact_warehouse.pending"
# a force's erasure list: <landing>/erasure/<force>/<YYYY-MM-DD>/erasures*.csv (source, record, reason)
DELIVERED_COLUMNS = ("source", "record", "reason")
_RECORD_ID = re.compile(r"^[0-9a-f]{32}$")
MIN_REASON = 10
"""Characters an erasure's reason needs: "x" records no basis (the request reference and its legal basis do)."""


class ErasureError(ValueError):
    """An erasure request that cannot be accepted (unknown source, malformed record id, no reason)."""

    def __init__(self, message: str, column: str | None = None) -> None:
        super().__init__(message)
        self.column = column  # the request field at fault: source, record or reason


@dataclass
class ErasureRequest:
    request_id: str
    source: str
    record: str  # person_record_id
    reason: str
    requested_by: str
    requested_at: str
    origin: str  # "cli" or the landed erasure list it came from
    applied_runs: list[str] = field(default_factory=list)
    rows_erased: int = 0


@dataclass(frozen=True)
class ErasureOutcome:
    request_id: str
    source: str
    rows: int
    files: list[str]
    layers: list[str]


def erasure_dir(settings: Settings) -> Path:
    return settings.lake / ERASURE_DIR


@contextmanager
def _locked(settings: Settings) -> Iterator[Path]:
    folder = erasure_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield folder / REQUESTS_NAME
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _read(path: Path) -> list[ErasureRequest]:
    if not path.exists():
        return []
    return [ErasureRequest(**item) for item in json.loads(path.read_text())]


def _write(path: Path, requests: list[ErasureRequest]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps([asdict(r) for r in requests], indent=2) + "\n")
    os.replace(tmp, path)


def list_requests(settings: Settings) -> list[ErasureRequest]:
    with _locked(settings) as path:
        return _read(path)


def person_entities(contract: Contract) -> list[Entity]:
    return [e for e in contract.entities.values() if e.person_key]


def _validate(source: str, record_id: str, reason: str, contracts: dict[str, Contract], new: bool = True) -> None:
    """Why a request cannot be accepted; `new` false for a record already requested, whose reason was
    accepted then (a list delivered before MIN_REASON is read again every run, and stays valid)."""
    contract = contracts.get(source)
    if contract is None or not person_entities(contract):
        with_people = sorted(s for s, c in contracts.items() if person_entities(c))
        raise ErasureError(f"source {source!r} holds no person records; expected one of {', '.join(with_people)}",
                           "source")
    if not _RECORD_ID.match(record_id):
        raise ErasureError(
            f"record {record_id!r} is not a person_record_id (32 hexadecimal characters, as "
            "conformed.person_source_record and mart_governance__retention_review show it)",
            "record",
        )
    if len(reason.strip()) < (MIN_REASON if new else 1):
        raise ErasureError(f"an erasure needs a reason of at least {MIN_REASON} characters (--reason), e.g. the "
                           "request reference and its legal basis", "reason")


def _check_in_warehouse(settings: Settings, source: str, record_id: str) -> None:
    """Refuse a request whose record the warehouse holds under another source: it would be applied to
    nothing (a record's id is a hash of its source and key, so it belongs to one source). A record the
    warehouse does not hold is accepted: conformed.person_source_record holds current records only, and
    an earlier version, or a record staging left out, is still in landing and bronze, where the erasure
    finds it. Not checked when there is no warehouse yet, or a run holds it (DuckDB lets no reader in
    beside its writer)."""
    if not settings.warehouse.exists():
        return
    try:
        con = duckdb.connect(str(settings.warehouse), read_only=True)
    except duckdb.Error:
        return
    try:
        if not has_relation(con, "conformed", "person_source_record"):
            return
        found = [row[0] for row in con.execute(
            "select distinct source_name from conformed.person_source_record where person_record_id = ?",
            [record_id]).fetchall()]
    finally:
        con.close()
    if found and source not in found:
        raise ErasureError(
            f"record {record_id} is a {found[0]} record, not {source}'s (conformed.person_source_record): "
            f"request it with --source {found[0]}", "source")


def request_erasure(settings: Settings, source: str, record_id: str, reason: str, requested_by: str | None = None,
                    origin: str = "cli") -> ErasureRequest:
    """Register an erasure for the next run; a request for a record already requested returns that one."""
    record_id = record_id.strip().lower()
    contracts = load_contracts()
    _validate(source, record_id, reason, contracts, new=False)
    with _locked(settings) as path:
        requests = _read(path)
        for existing in requests:
            if existing.source == source and existing.record == record_id:
                return existing
        _validate(source, record_id, reason, contracts)
        if origin == "cli":  # a force's list is read by the run itself, which holds the warehouse
            _check_in_warehouse(settings, source, record_id)
        request = ErasureRequest(
            request_id=uuid.uuid4().hex[:12], source=source, record=record_id, reason=reason.strip(),
            requested_by=requested_by or identity(), requested_at=datetime.now(UTC).isoformat(timespec="seconds"),
            origin=origin,
        )
        _write(path, [*requests, request])
    return request


def read_delivered_lists(settings: Settings) -> tuple[list[ErasureRequest], list[str]]:
    """Register the erasure lists forces deliver: <landing>/erasure/<force>/<date>/erasures*.csv with a
    header `source,record,reason`. A list with a bad row is not registered at all (nothing half-applied)
    and its problem, naming the file, row and column, is returned; other lists carry on."""
    root = settings.landing / ERASURE_LISTS
    registered: list[ErasureRequest] = []
    problems: list[str] = []
    contracts = load_contracts()
    requested = {(r.source, r.record) for r in list_requests(settings)}
    for path in sorted(root.glob("*/*/erasures*.csv")):
        where = f"{ERASURE_LISTS}/{path.relative_to(root)}"
        force = path.relative_to(root).parts[0]
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                missing = [c for c in DELIVERED_COLUMNS if c not in (reader.fieldnames or [])]
                if missing:
                    raise ErasureError(f"{where}: the header lacks column(s) {', '.join(missing)}; expected "
                                       f"{','.join(DELIVERED_COLUMNS)}")
                rows = list(reader)
            for number, row in enumerate(rows, start=2):
                values = {c: str(row.get(c) or "").strip() for c in DELIVERED_COLUMNS}
                try:
                    _validate(values["source"], values["record"].lower(), values["reason"], contracts,
                              new=(values["source"], values["record"].lower()) not in requested)
                except ErasureError as err:
                    raise ErasureError(f"{where}, row {number}, column {err.column}: {err}; correct the row and "
                                       "re-deliver the list") from err
        except (ErasureError, UnicodeDecodeError, csv.Error) as err:
            problems.append(str(err) if isinstance(err, ErasureError) else f"{where}: cannot be read ({err})")
            continue
        for row in rows:
            registered.append(request_erasure(settings, row["source"].strip(), row["record"].strip(),
                                              row["reason"].strip(), requested_by=f"force:{force}", origin=where))
    return registered, problems


def _sql_text(value: object) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _bronze_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*.parquet") if p.name != EMPTY_NAME and not p.name.startswith(".")]


def _find_rows(con: duckdb.DuckDBPyConnection, settings: Settings, contract: Contract, record_id: str) -> list[dict]:
    """Bronze rows of the record: its person entity rows, and rows of link entities (no person key of
    their own) carrying the same force and person key value."""
    found: list[dict] = []
    for entity in person_entities(contract):
        files = _bronze_files(entity_dir(settings.bronze, contract.source, entity.name))
        if not files:
            continue
        key_sql = ", ".join(f"coalesce(cast(\"{c}\" as varchar), '')" for c in entity.key)
        listing = ", ".join(_sql_text(p) for p in files)
        rows = con.execute(
            f"select _file_id, _row_number, _force_code, {', '.join(chr(34) + c + chr(34) for c in entity.key)} "
            f"from read_parquet([{listing}], union_by_name = true) "
            f"where md5(concat_ws('|', {_sql_text(contract.source)}, coalesce(_force_code, ''), {key_sql})) = ?",
            [record_id],
        ).fetchall()
        for file_id, row_number, force, *key in rows:
            keys = dict(zip(entity.key, key, strict=True))
            found.append({"entity": entity.name, "file_id": file_id, "row_number": row_number, "key": keys})
            found.extend(_linked_rows(con, settings, contract, entity, force, keys))
    return found


def _linked_rows(con: duckdb.DuckDBPyConnection, settings: Settings, contract: Contract, person: Entity,
                 force: str, keys: dict[str, str]) -> list[dict]:
    rows = []
    for other in contract.entities.values():
        if other.person_key or other.name == person.name or person.person_key not in other.column_names:
            continue
        shared = [c for c in person.key if c in other.column_names]
        files = _bronze_files(entity_dir(settings.bronze, contract.source, other.name))
        if not files:
            continue
        listing = ", ".join(_sql_text(p) for p in files)
        where = " and ".join(f'"{c}" = ?' for c in shared)
        hits = con.execute(
            f"select _file_id, _row_number, {', '.join(chr(34) + c + chr(34) for c in other.key)} "
            f"from read_parquet([{listing}], union_by_name = true) where _force_code = ? and {where}",
            [force, *[keys[c] for c in shared]],
        ).fetchall()
        for file_id, row_number, *key in hits:
            rows.append({"entity": other.name, "file_id": file_id, "row_number": row_number,
                         "key": dict(zip(other.key, key, strict=True))})
    return rows


def _drop_rows(path: Path, pairs: set[tuple[str, int]], entity_column: str | None, row_column: str) -> int:
    """Rewrite one Parquet file without the rows whose (entity, row number) is listed."""
    table = pq.read_table(path)
    if entity_column is None:
        numbers = pa.array(sorted({n for _, n in pairs}), pa.int64())
        drop = pc.is_in(table.column(row_column), value_set=numbers)
    else:
        tags = pc.binary_join_element_wise(table.column(entity_column),
                                           pc.cast(table.column(row_column), pa.string()), "#")
        drop = pc.is_in(tags, value_set=pa.array(sorted(f"{e}#{n}" for e, n in pairs)))
    drop = pc.fill_null(drop, False)
    removed = pc.sum(pc.cast(drop, pa.int64())).as_py() or 0
    if removed:
        tmp = path.with_name(f".{path.name}.erase.tmp")
        pq.write_table(table.filter(pc.invert(drop)), tmp)
        os.replace(tmp, path)
    return removed


def _known_rows(settings: Settings, contract: Contract, file_id: str) -> dict[str, set[int]]:
    """Every row number ingest recorded for one file (bronze and rejects), by entity."""
    known: dict[str, set[int]] = defaultdict(set)
    for entity in contract.entities.values():
        for path in entity_dir(settings.bronze, contract.source, entity.name).rglob(f"{file_id}.parquet"):
            known[entity.name].update(pq.read_table(path, columns=["_row_number"]).column(0).to_pylist())
    rejects = settings.meta / "rejects" / f"{file_id}.parquet"
    if rejects.exists():
        for row in pq.read_table(rejects, columns=["entity", "row_number"]).to_pylist():
            if row["row_number"] is not None:
                known[row["entity"]].add(row["row_number"])
    return known


def _erase_request(settings: Settings, contract: Contract, request: ErasureRequest, manifest: list[dict],
                   con: duckdb.DuckDBPyConnection) -> ErasureOutcome:
    rows = _find_rows(con, settings, contract, request.record)
    if rows:  # before any file changes: the next dbt build re-stages bronze whole (oe_platform/staging_state.py)
        bronze_rewritten(settings, f"erasure {request.request_id}")
    by_file: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_file[row["file_id"]].append(row)
    top_level = {spec.entity for layout in contract.layouts for spec in layout.files.values() if spec.pattern}
    touched: list[str] = []
    layers: set[str] = set()
    for file_id, erased in sorted(by_file.items()):
        pairs = {(r["entity"], int(r["row_number"])) for r in erased}
        entries = [m for m in manifest if m["file_id"] == file_id]
        loaded = [m for m in entries if m["status"] == "loaded"]
        layout = contract.layout_named(loaded[-1]["layout"]) if loaded and loaded[-1]["layout"] else None
        known = _known_rows(settings, contract, file_id)
        # every landed copy of this content (the loaded file and any byte-identical duplicate), if the
        # path still holds that content (a later delivery to the same path is another file)
        rewritten: set[str] = set()
        for entry in entries:
            path = settings.landing / entry["path"]
            if (entry["root"] != "landing" or layout is None or entry["path"] in rewritten or not path.is_file()
                    or sha256_of(path) != entry["sha256"]):
                continue
            rewrite_delivery(path, layout, erased, known)
            rewritten.add(entry["path"])
            touched.append(f"landing/{entry['path']}")
            layers.add("landing")
        for entity in {e for e, _ in pairs}:
            for path in entity_dir(settings.bronze, contract.source, entity).rglob(f"{file_id}.parquet"):
                if _drop_rows(path, {p for p in pairs if p[0] == entity}, None, "_row_number"):
                    touched.append(str(path.relative_to(settings.lake)))
                    layers.add("bronze")
        for side in ("rejects", "warnings"):
            path = settings.meta / side / f"{file_id}.parquet"
            if path.exists() and _drop_rows(path, pairs, "entity", "row_number"):
                touched.append(str(path.relative_to(settings.lake)))
                layers.add(side)
        quarantine = settings.lake / "_quarantine" / file_id
        if quarantine.is_dir() and layout is not None:
            for copy in sorted(quarantine.iterdir()):
                if copy.is_file() and copy.name != "reason.txt":
                    rewrite_delivery(copy, layout, erased, known)
                    touched.append(str(copy.relative_to(settings.lake)))
                    layers.add("quarantine")
        top_rows = sum(1 for e, _ in pairs if e in top_level)
        for entry in entries:
            if entry["status"] == "loaded":
                entry["rows_read"] = max(0, int(entry["rows_read"] or 0) - top_rows)
                entry["rows_accepted"] = max(0, int(entry["rows_accepted"] or 0) - top_rows)
            if entry["path"] in rewritten:
                # the rewritten file is the registered one: the next ingest finds it unchanged
                path = settings.landing / entry["path"]
                entry["sha256"], entry["size_bytes"] = sha256_of(path), path.stat().st_size
                entry["modified_at"] = datetime.fromtimestamp(path.stat().st_mtime, UTC)
            note = f"erasure {request.request_id}: {len(pairs)} row(s) removed"
            entry["note"] = f"{entry['note']}; {note}" if entry.get("note") else note
    return ErasureOutcome(request.request_id, request.source, len(rows), touched, sorted(layers))


def apply_erasures(settings: Settings, run_id: str | None = None) -> list[ErasureOutcome]:
    """Apply every erasure request to landing, bronze, rejects, warnings and quarantine (see the module
    docstring); log each request that removed rows or is applied for the first time. A force's erasure
    list that cannot be read is reported by `read_delivered_lists` (the run logs it) and skipped."""
    contracts = load_contracts()
    outcomes: list[ErasureOutcome] = []
    with _locked(settings) as requests_path, ingest_lock(settings.meta):
        requests = _read(requests_path)
        if not requests:
            return []
        manifest = read_manifest(settings.meta)
        con = duckdb.connect()
        try:
            for request in requests:
                outcome = _erase_request(settings, contracts[request.source], request, manifest, con)
                first = not request.applied_runs
                if outcome.rows or first:
                    request.applied_runs.append(run_id or "cli")
                    request.rows_erased += outcome.rows
                    outcomes.append(outcome)
        finally:
            con.close()
        if any(o.rows for o in outcomes):
            write_manifest(settings.meta, manifest)
            (erasure_dir(settings) / COMPACT_MARKER).write_text(datetime.now(UTC).isoformat() + "\n")
        _write(requests_path, requests)
    by_id = {r.request_id: r for r in requests}
    record([
        Event("erasure", {
            "source": o.source,
            "records": o.rows,
            "reason": by_id[o.request_id].reason,
            "request_id": o.request_id,
            "layers": o.layers + (["warehouse", "linkage", "gold", "serving"] if o.rows else []),
            "files_rewritten": o.files,
        }, run_id=run_id)
        for o in outcomes
    ], audit_path(settings))
    return outcomes


def compaction_pending(settings: Settings) -> bool:
    return (erasure_dir(settings) / COMPACT_MARKER).exists()


def compact_warehouse(settings: Settings) -> Path:
    """Copy the warehouse into a new file and swap it in: a DuckDB file keeps the blocks of dropped
    tables (and their bytes) until they are reused, a fresh copy holds only live data."""
    warehouse = settings.warehouse
    tmp = warehouse.with_name(f".{warehouse.stem}.compact.{os.getpid()}{warehouse.suffix}")
    tmp.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        con.execute(f"attach {_sql_text(warehouse)} as src (read_only)")
        con.execute(f"attach {_sql_text(tmp)} as dst")
        con.execute("copy from database src to dst")
        con.execute("detach dst")
        con.execute("detach src")
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        con.close()
    os.replace(tmp, warehouse)
    Path(f"{warehouse}.wal").unlink(missing_ok=True)
    (erasure_dir(settings) / COMPACT_MARKER).unlink(missing_ok=True)
    return warehouse


def describe(requests: list[ErasureRequest]) -> str:
    out = io.StringIO()
    for r in requests:
        state = f"applied in {len(r.applied_runs)} run(s), {r.rows_erased} row(s)" if r.applied_runs else "pending"
        out.write(f"{r.request_id}  {r.source}  {r.record}  {state}  by {r.requested_by} at {r.requested_at}: "
                  f"{r.reason}\n")
    return out.getvalue()


__all__ = ["MANIFEST_NAME", "ErasureError", "ErasureOutcome", "ErasureRequest", "apply_erasures",
           "compact_warehouse", "compaction_pending", "list_requests", "read_delivered_lists", "request_erasure"]
