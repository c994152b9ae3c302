"""The bronze layout: where accepted rows, rejects and the file manifest are written.

bronze/<source>/<entity>/force=<force>/delivery=<YYYY-MM-DD>/<file_id>.parquet
    every canonical column of the entity as text, plus the lineage columns below.
bronze/<source>/<entity>/_empty.parquet
    zero rows, full schema: keeps the dbt source readable before the first delivery.
_meta/file_manifest.parquet    one row per landed file (see MANIFEST_SCHEMA).
_meta/rejects/<file_id>.parquet  rejected rows with their raw text and the reason.
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

MANIFEST_SCHEMA = pa.schema(
    [
        pa.field("file_id", pa.string()),
        pa.field("path", pa.string()),
        pa.field("sha256", pa.string()),
        pa.field("size_bytes", pa.int64()),
        pa.field("source", pa.string()),
        pa.field("force_code", pa.string()),
        pa.field("delivery_date", pa.date32()),
        pa.field("layout", pa.string()),
        pa.field("entity", pa.string()),
        pa.field("rows_read", pa.int64()),
        pa.field("rows_accepted", pa.int64()),
        pa.field("rows_rejected", pa.int64()),
        pa.field("status", pa.string()),
        pa.field("error", pa.string()),
        pa.field("started_at", pa.timestamp("us", tz="UTC")),
        pa.field("finished_at", pa.timestamp("us", tz="UTC")),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        pa.field("file_id", pa.string()),
        pa.field("path", pa.string()),
        pa.field("source", pa.string()),
        pa.field("force_code", pa.string()),
        pa.field("entity", pa.string()),
        pa.field("row_number", pa.int64()),
        pa.field("column_name", pa.string()),
        pa.field("reason", pa.string()),
        pa.field("raw_text", pa.string()),
    ]
)


def entity_schema(entity: Entity) -> pa.Schema:
    return pa.schema([pa.field(c, pa.string()) for c in entity.column_names] + LINEAGE_FIELDS)


def entity_dir(bronze: Path, source: str, entity: str) -> Path:
    return bronze / source / entity


def bronze_table_name(source: str, entity: str) -> str:
    """The dbt source table name of one bronze entity."""
    return f"{source}__{entity}"


def ensure_empty_tables(bronze: Path, contract: Contract) -> None:
    """Write the zero-row schema file of every entity of a contract (idempotent)."""
    for entity in contract.entities.values():
        target = entity_dir(bronze, contract.source, entity.name) / "_empty.parquet"
        schema = entity_schema(entity)
        if target.exists() and pq.read_schema(target).equals(schema, check_metadata=False):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(schema.empty_table(), target)


def partition_path(bronze: Path, source: str, entity: str, force: str, delivery: str, file_id: str) -> Path:
    return entity_dir(bronze, source, entity) / f"force={force}" / f"delivery={delivery}" / f"{file_id}.parquet"
