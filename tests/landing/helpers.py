"""Helpers shared by the ingest tests: read bronze, rejects, warnings; assert nothing was lost."""

from __future__ import annotations

import duckdb
import pyarrow.parquet as pq

from oe_platform.config import Settings
from oe_platform.landing.ingest import IngestSummary, read_manifest
from oe_platform.landing.reconcile import reconcile

CRIMES_HEADER = (
    "CrimeRef,RecordedDate,OccurredFrom,OccurredTo,HOOffenceCode,OffenceTitle,LocationPostcode,"
    "LocationText,Status,RecordAction"
)


def crime_row(ref: str, description: str = "Shoplifting", location: str = "Shop", action: str = "I",
              status: str = "open") -> str:
    return f"{ref},2025-01-08,2025-01-08,,46,{description},ME1 1AA,{location},{status},{action}"


def bronze(settings: Settings, source: str, entity: str, where: str = "true") -> list[dict]:
    glob = settings.bronze / source / entity / "**" / "*.parquet"
    con = duckdb.connect()
    try:
        rel = con.sql(
            f"select * from read_parquet('{glob}', union_by_name = true, hive_partitioning = false) "
            f"where {where} order by _file_id, _row_number"
        )
        names = rel.columns
        return [dict(zip(names, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()


def side_table(settings: Settings, name: str) -> list[dict]:
    """Rows of _meta/rejects or _meta/warnings, ordered by path and row."""
    rows = pq.read_table(settings.meta / name).to_pylist()
    return sorted(rows, key=lambda r: (r["path"], r["row_number"] or 0, r.get("column_name") or ""))


def rejects_of(settings: Settings, fragment: str) -> list[dict]:
    return [r for r in side_table(settings, "rejects") if fragment in r["path"]]


def warnings_of(settings: Settings, fragment: str) -> list[dict]:
    return [r for r in side_table(settings, "warnings") if fragment in r["path"]]


def only_file(summary: IngestSummary, fragment: str):
    matches = [f for f in summary.files if fragment in f.path]
    assert len(matches) == 1, f"expected one file matching {fragment!r}, got {[f.path for f in summary.files]}"
    return matches[0]


def assert_nothing_lost(settings: Settings) -> None:
    """The ingest invariant: reconciliation is empty and every manifest row adds up."""
    problems = reconcile(settings)
    assert problems == [], "\n".join(p.describe() for p in problems)
    for row in read_manifest(settings.meta):
        assert row["rows_read"] == row["rows_accepted"] + row["rows_rejected"], row["path"]
        assert row["status"] in {"loaded", "duplicate", "quarantined", "failed", "skipped"}
        if row["status"] in {"quarantined", "failed", "skipped"}:
            assert row["error"], f"{row['path']}: {row['status']} without a reason"


def lake_snapshot(settings: Settings) -> dict[str, list]:
    """Every bronze entity's rows, the rejects and the warnings, sorted (load times left out)."""
    con = duckdb.connect()
    out = {}
    try:
        for folder in sorted(settings.bronze.glob("*/*")):
            glob = folder / "**" / "*.parquet"
            rel = con.sql(f"select * exclude (_loaded_at) from read_parquet('{glob}', union_by_name = true, "
                          "hive_partitioning = false) order by all")
            out[f"bronze/{folder.parent.name}/{folder.name}"] = rel.fetchall()
        for name, stamp in (("rejects", "rejected_at"), ("warnings", "warned_at")):
            glob = settings.meta / name / "*.parquet"
            out[name] = con.sql(f"select * exclude ({stamp}) from read_parquet('{glob}', union_by_name = true) "
                                "order by all").fetchall()
    finally:
        con.close()
    return out
