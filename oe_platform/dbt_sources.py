"""Render the dbt source YAML of each landing contract, so dbt sources never drift from contracts.

`oe contracts sync` writes models/staging/<source>/_<source>__sources.yml; a test fails when the
committed files differ from what the contracts render.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from oe_platform.config import REPO_ROOT
from oe_platform.contracts import Contract, load_contracts
from oe_platform.landing.bronze import LINEAGE_FIELDS, bronze_table_name

HEADER = (
    "# Generated from contracts/{source}.yml by `oe contracts sync`: edit the contract, not this file.\n"
)

LINEAGE_DESCRIPTIONS = {
    "_file_id": "Landed file the row came from (file_manifest.file_id: first 24 hex digits of its sha256).",
    "_row_number": "Line (CSV) or record (JSON lines) number of the row in the landed file.",
    "_source": "Source name of the landing contract.",
    "_force_code": "Force or partner code that delivered the file (landing folder).",
    "_delivery_date": "Delivery date (landing folder).",
    "_layout": "Contract layout the file was parsed with.",
    "_date_format": "Date format token of the layout (iso, dmy, mdy, ymd_compact) for staging to parse dates.",
    "_loaded_at": "When ingest wrote the row to bronze (UTC).",
}


LINEAGE_SQL_TYPES = {
    "_file_id": "varchar",
    "_row_number": "bigint",
    "_source": "varchar",
    "_force_code": "varchar",
    "_delivery_date": "date",
    "_layout": "varchar",
    "_date_format": "varchar",
    "_loaded_at": "timestamp with time zone",
}


def parquet_path(source: str, entity: str) -> str:
    """Folder of the entity's bronze Parquet under the lake (macro register_parquet_sources)."""
    return f"bronze/{source}/{entity}"


def render_sources(contract: Contract) -> str:
    tables = []
    for entity in contract.entities.values():
        columns = [
            {
                "name": col.name,
                "description": col.description,
                "data_type": "varchar",
                "config": {"meta": {"pii": col.pii}},
            }
            for col in entity.columns
        ]
        columns += [
            {
                "name": f.name,
                "description": LINEAGE_DESCRIPTIONS[f.name],
                "data_type": LINEAGE_SQL_TYPES[f.name],
                "config": {"meta": {"pii": "none"}},
            }
            for f in LINEAGE_FIELDS
        ]
        tables.append(
            {
                "name": bronze_table_name(contract.source, entity.name),
                "description": f"{contract.title}: {entity.description} Bronze copy, every value as delivered (text).",
                "config": {
                    "loaded_at_field": "_loaded_at",
                    "freshness": {
                        "warn_after": {"count": contract.warn_after_days, "period": "day"},
                        "error_after": {"count": contract.error_after_days, "period": "day"},
                    },
                    "meta": {
                        "parquet_path": parquet_path(contract.source, entity.name),
                        "contract": f"contracts/{contract.source}.yml",
                        "entity": entity.name,
                        "key": list(entity.key),
                        "cadence": contract.cadence,
                    },
                },
                "columns": columns,
            }
        )
    document = {
        "sources": [
            {
                "name": "bronze",
                "schema": "bronze",
                "description": (
                    "Immutable Parquet copy of every accepted landed row, written by `oe ingest`; "
                    "exposed as views by the on-run-start macro register_parquet_sources."
                ),
                "loader": "oe ingest",
                "tables": tables,
            }
        ]
    }
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=120)
    return HEADER.format(source=contract.source) + body


def sources_path(source: str, root: Path = REPO_ROOT) -> Path:
    return root / "models" / "staging" / source / f"_{source}__sources.yml"


def sync_sources(root: Path = REPO_ROOT) -> list[Path]:
    """Write every contract's source YAML; return the files that changed."""
    changed = []
    for contract in load_contracts().values():
        path = sources_path(contract.source, root)
        text = render_sources(contract)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_sources(root: Path = REPO_ROOT) -> list[Path]:
    """Source YAML files that differ from what their contracts render."""
    stale = []
    for contract in load_contracts().values():
        path = sources_path(contract.source, root)
        if not path.exists() or path.read_text(encoding="utf-8") != render_sources(contract):
            stale.append(path)
    return stale
