"""Reconciliation: for every landed file, rows read = rows accepted + rows rejected, and the rows
accepted are the rows actually present in bronze."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from oe_platform.config import Settings
from oe_platform.contracts import load_contracts
from oe_platform.landing.ingest import MANIFEST_NAME


@dataclass(frozen=True)
class Discrepancy:
    path: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_in_bronze: int
    rows_in_rejects: int

    def describe(self) -> str:
        return (
            f"{self.path}: read {self.rows_read}, accepted {self.rows_accepted} "
            f"(bronze holds {self.rows_in_bronze}), rejected {self.rows_rejected} "
            f"(rejects hold {self.rows_in_rejects})"
        )


def reconcile(settings: Settings) -> list[Discrepancy]:
    """Files whose counts do not add up; an empty list means every landed row is accounted for."""
    manifest = settings.meta / MANIFEST_NAME
    if not manifest.exists():
        return []
    # Count the rows of every entity a file can be matched to; the manifest names the entity.
    top_level = [
        (contract.source, spec.entity)
        for contract in load_contracts().values()
        for layout in contract.layouts
        for spec in layout.files.values()
        if spec.pattern
    ]
    con = duckdb.connect()
    try:
        bronze_parts = []
        for source, entity in sorted(set(top_level)):
            glob = settings.bronze / source / entity / "**" / "*.parquet"
            bronze_parts.append(
                f"select '{source}' as source, '{entity}' as entity, _file_id, count(distinct _row_number) as n "
                f"from read_parquet('{glob}', union_by_name = true, hive_partitioning = false) group by all"
            )
        empty = "select null as source, null as entity, null as _file_id, 0 as n"
        bronze_sql = " union all ".join(bronze_parts) or empty
        rejects_glob = settings.meta / "rejects" / "*.parquet"
        has_rejects = any((settings.meta / "rejects").glob("*.parquet"))
        rejects_sql = (
            f"select file_id, count(distinct row_number) as n from read_parquet('{rejects_glob}') group by 1"
            if has_rejects
            else "select null as file_id, 0 as n"
        )
        rows = con.sql(
            f"""
            with manifest as (select * from read_parquet('{manifest}') where status = 'loaded'),
            bronze as ({bronze_sql}),
            rejects as ({rejects_sql})
            select m.path, m.rows_read, m.rows_accepted, m.rows_rejected,
                   coalesce(b.n, 0) as in_bronze, coalesce(r.n, 0) as in_rejects
            from manifest as m
            left join bronze as b on b._file_id = m.file_id and b.source = m.source and b.entity = m.entity
            left join rejects as r on r.file_id = m.file_id
            where m.rows_read <> m.rows_accepted + m.rows_rejected
               or coalesce(b.n, 0) <> m.rows_accepted
               or coalesce(r.n, 0) < m.rows_rejected
            order by m.path
            """
        ).fetchall()
    finally:
        con.close()
    return [Discrepancy(*row) for row in rows]
