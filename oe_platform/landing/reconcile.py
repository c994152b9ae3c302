"""Reconciliation: for every loaded file, rows read = rows accepted + rows rejected, bronze holds exactly
the rows accepted, the rejects table exactly the rows rejected; and bronze holds no row of a file the
manifest does not list as loaded."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import duckdb

from oe_platform.config import Settings
from oe_platform.contracts import load_contracts
from oe_platform.landing.bronze import EMPTY_NAME
from oe_platform.landing.ingest import read_manifest


@dataclass(frozen=True)
class Discrepancy:
    path: str
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_in_bronze: int
    rows_in_rejects: int
    problem: str = ""

    def describe(self) -> str:
        text = (
            f"{self.path}: read {self.rows_read}, accepted {self.rows_accepted} "
            f"(bronze holds {self.rows_in_bronze}), rejected {self.rows_rejected} "
            f"(rejects hold {self.rows_in_rejects})"
        )
        return f"{text}: {self.problem}" if self.problem else text


def _sql_path(path: object) -> str:
    return str(path).replace("'", "''")


def _bronze_counts(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[tuple[str, str, str], int]:
    """Rows per (source, entity, file id) of every top-level bronze entity."""
    pairs = sorted(
        {
            (contract.source, spec.entity)
            for contract in load_contracts().values()
            for layout in contract.layouts
            for spec in layout.files.values()
            if spec.pattern
        }
    )
    counts: dict[tuple[str, str, str], int] = {}
    for source, entity in pairs:
        folder = settings.bronze / source / entity
        if not any(p.name != EMPTY_NAME for p in folder.rglob("*.parquet")):
            continue
        glob = _sql_path(folder / "**" / "*.parquet")
        rows = con.sql(
            f"select _file_id, count(*) from read_parquet('{glob}', union_by_name = true, "
            "hive_partitioning = false) group by 1"
        ).fetchall()
        for file_id, n in rows:
            counts[(source, entity, file_id)] = n
    return counts


def _reject_counts(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[tuple[str, str], int]:
    """Rejected records per (file id, entity)."""
    folder = settings.meta / "rejects"
    if not any(p.name != EMPTY_NAME for p in folder.glob("*.parquet")):
        return {}
    glob = _sql_path(folder / "*.parquet")
    rows = con.sql(
        f"select file_id, entity, count(*) from read_parquet('{glob}', union_by_name = true) group by 1, 2"
    ).fetchall()
    return {(file_id, entity): n for file_id, entity, n in rows}


def reconcile(settings: Settings) -> list[Discrepancy]:
    """Files whose counts do not add up; an empty list means every landed row is accounted for.
    Raises BronzeDamaged, naming each file, its landed file and the command that rebuilds it, when
    a bronze, rejects or warnings file cannot be read (oe_platform/landing/repair.py)."""
    from oe_platform.landing.repair import BronzeDamaged, describe, find_damage

    damage = find_damage(settings)
    if damage:
        raise BronzeDamaged(describe(damage))
    manifest = read_manifest(settings.meta)
    if not manifest:
        return []
    # the latest manifest row per file id says whether its rows belong in bronze (a duplicate row
    # only points at the copy that was loaded)
    latest: dict[str, dict] = {}
    for row in manifest:
        if row["file_id"] and row["status"] != "duplicate":
            latest[row["file_id"]] = row
    con = duckdb.connect()
    try:
        bronze = _bronze_counts(con, settings)
        rejects = _reject_counts(con, settings)
    finally:
        con.close()
    problems: list[Discrepancy] = []
    for file_id, row in sorted(latest.items(), key=lambda kv: kv[1]["path"]):
        if row["status"] != "loaded":
            continue
        entities = (row["entity"] or "").split(",")
        in_bronze = 0
        for entity in entities:
            key = (row["source"], entity, file_id)
            in_bronze += bronze.get(key, 0)
        in_rejects = sum(rejects.get((file_id, entity), 0) for entity in entities)
        read, accepted, rejected = row["rows_read"] or 0, row["rows_accepted"] or 0, row["rows_rejected"] or 0
        issues = []
        if read != accepted + rejected:
            issues.append("rows read differ from accepted + rejected")
        if in_bronze != accepted:
            issues.append("bronze does not hold the accepted rows")
        if in_rejects != rejected:
            issues.append("the rejects table does not hold the rejected rows")
        if issues:
            problems.append(Discrepancy(row["path"], read, accepted, rejected, in_bronze, in_rejects,
                                        "; ".join(issues)))
    orphans: dict[tuple[str, str], int] = defaultdict(int)
    loaded = {file_id for file_id, row in latest.items() if row["status"] == "loaded"}
    for (source, entity, file_id), n in bronze.items():
        if file_id not in loaded:
            orphans[(f"{source}/{entity}", file_id)] += n
    for (where, file_id), n in sorted(orphans.items()):
        path = latest[file_id]["path"] if file_id in latest else f"bronze/{where} file id {file_id}"
        problems.append(Discrepancy(path, 0, 0, 0, n, 0, "bronze holds rows of a file the manifest does not "
                                    "list as loaded (an interrupted ingest: run ingest again)"))
    return problems
