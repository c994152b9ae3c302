"""The bronze layout: where accepted rows, rejects, warnings and the file manifest are written.

bronze/<source>/<entity>/force=<force>/delivery=<YYYY-MM-DD>/<file_id>.parquet
    every canonical column of the entity as text, plus the lineage columns below.
bronze/<source>/<entity>/_empty.parquet
    zero rows, full schema: keeps the dbt source readable before the first delivery.
_meta/file_manifest.parquet         one row per landed file and ingest attempt (MANIFEST_SCHEMA).
_meta/rejects/<file_id>.parquet     rejected rows with their raw text, the reason and the column.
_meta/rejects/_empty.parquet        zero rows, so a dbt source over rejects always reads.
_meta/warnings/<file_id>.parquet    accepted rows with a flagged value (formula-like, huge field…).
_meta/warnings/_empty.parquet       zero rows, likewise.
_quarantine/<file_id>/<safe name>   a copy of every file that could not be loaded, with reason.txt.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.contracts import Contract, Entity

LINEAGE_FIELDS = [
    pa.field("_file_id", pa.string()),
    pa.field("_row_number", pa.int64()),
    pa.field("_source", pa.string()),
    pa.field("_force_code", pa.string()),
    pa.field("_delivery_date", pa.date32()),
    pa.field("_layout", pa.string()),
    pa.field("_date_format", pa.string()),
    pa.field("_loaded_at", pa.timestamp("us", tz="UTC")),
]

# Manifest statuses: loaded (rows in bronze, some perhaps rejected), duplicate (identical to a file
# already loaded, not loaded again), quarantined (the file breaks its contract: nothing loaded, copy
# in _quarantine), failed (ingest itself failed on the file: a platform bug, copy in _quarantine),
# skipped (not a delivery yet: a hidden, partial or lock file; nothing read, the reason recorded).
STATUSES = ("loaded", "duplicate", "quarantined", "failed", "skipped")

MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("file_id", pa.string()),
        pa.field("path", pa.string()),
        pa.field("file_name", pa.string()),
        pa.field("root", pa.string()),
        pa.field("sha256", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("modified_at", pa.timestamp("us", tz="UTC")),
        pa.field("source", pa.string()),
        pa.field("force_code", pa.string()),
        pa.field("delivery_date", pa.date32()),
        pa.field("layout", pa.string()),
        pa.field("format", pa.string()),
        pa.field("entity", pa.string()),
        pa.field("rows_read", pa.int64()),
        pa.field("rows_accepted", pa.int64()),
        pa.field("rows_rejected", pa.int64()),
        pa.field("rows_warned", pa.int64()),
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("note", pa.string()),
        pa.field("parse_mode", pa.string()),
        pa.field("contract_sha256", pa.string()),
        pa.field("quarantine_path", pa.string()),
        pa.field("run_id", pa.string()),
        pa.field("started_at", pa.timestamp("us", tz="UTC")),
        pa.field("finished_at", pa.timestamp("us", tz="UTC")),
        pa.field("duration_ms", pa.int64()),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        pa.field("file_id", pa.string()),
        pa.field("path", pa.string()),
        pa.field("source", pa.string()),
        pa.field("force_code", pa.string()),
        pa.field("delivery_date", pa.date32()),
        pa.field("entity", pa.string()),
        pa.field("row_number", pa.int64()),
        pa.field("column_name", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw_text", pa.string()),
        pa.field("raw_text_truncated", pa.bool_()),
        pa.field("rejected_at", pa.timestamp("us", tz="UTC")),
    ]
)

WARNING_SCHEMA = pa.schema(
    [
        pa.field("file_id", pa.string()),
        pa.field("path", pa.string()),
        pa.field("source", pa.string()),
        pa.field("force_code", pa.string()),
        pa.field("delivery_date", pa.date32()),
        pa.field("entity", pa.string()),
        pa.field("row_number", pa.int64()),
        pa.field("column_name", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("detail", pa.string()),
        pa.field("value_excerpt", pa.string()),
        pa.field("warned_at", pa.timestamp("us", tz="UTC")),
    ]
)

EMPTY_NAME = "_empty.parquet"


def entity_schema(entity: Entity) -> pa.Schema:
    return pa.schema([pa.field(c, pa.string()) for c in entity.column_names] + LINEAGE_FIELDS)


def entity_dir(bronze: Path, source: str, entity: str) -> Path:
    return bronze / source / entity


def bronze_table_name(source: str, entity: str) -> str:
    """The dbt source table name of one bronze entity."""
    return f"{source}__{entity}"


def _write_empty(target: Path, schema: pa.Schema) -> None:
    if target.exists():
        try:
            if pq.read_schema(target).equals(schema, check_metadata=False):
                return
        except (OSError, pa.ArrowException):
            pass  # a damaged schema file is rewritten below
    target.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(schema.empty_table(), target)


def ensure_empty_tables(bronze: Path, contract: Contract) -> None:
    """Write the zero-row schema file of every entity of a contract (idempotent)."""
    for entity in contract.entities.values():
        _write_empty(entity_dir(bronze, contract.source, entity.name) / EMPTY_NAME, entity_schema(entity))


def ensure_empty_meta_tables(meta: Path) -> None:
    """Zero-row rejects and warnings files, so dbt sources over them read before the first reject."""
    _write_empty(meta / "rejects" / EMPTY_NAME, REJECT_SCHEMA)
    _write_empty(meta / "warnings" / EMPTY_NAME, WARNING_SCHEMA)


def partition_path(bronze: Path, source: str, entity: str, force: str, delivery: str, file_id: str) -> Path:
    return entity_dir(bronze, source, entity) / f"force={force}" / f"delivery={delivery}" / f"{file_id}.parquet"
