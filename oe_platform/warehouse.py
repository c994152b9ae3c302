"""The warehouse file: check it opens before a run writes to it, and move a damaged one aside.

The warehouse (one DuckDB file) holds nothing that is not rebuilt from the lake: dbt builds every
table from bronze and `<lake>/_meta`, linkage carries person ids forward from
`<lake>/linkage/clusters.parquet`, and gold is published from the rebuilt marts. So a missing
warehouse is simply rebuilt by the next run, and a damaged one is moved aside (kept for whoever
wants to look at it) and rebuilt the same way: `oe rebuild-warehouse`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from oe_platform.config import Settings

if TYPE_CHECKING:
    import duckdb

REBUILD_COMMAND = "oe rebuild-warehouse"


def has_relation(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    """Whether the connection's database holds the table or view `schema.name`."""
    return bool(con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()[0][0])


class WarehouseDamaged(RuntimeError):
    """The warehouse file exists but DuckDB cannot open it."""


def check_warehouse(settings: Settings) -> None:
    """Open the warehouse (if it exists) and read its catalogue; raise WarehouseDamaged, naming the
    file and what to do, when that fails. A missing warehouse is fine: the run creates it."""
    path = settings.warehouse
    if not path.exists():
        return
    import duckdb  # here, not at module load: the Dagster definitions import this module (≤ 3 s to load)

    try:
        con = duckdb.connect(str(path))
        try:
            con.execute("select count(*) from information_schema.tables").fetchone()
        finally:
            con.close()
    except duckdb.Error as err:
        if "lock" in str(err).lower():
            raise WarehouseDamaged(
                f"the warehouse file {path} is held by a process outside the platform's run lock ({err}). "
                "Stop that process (often a dbt child left behind by a killed run: `ps` shows it), then run again"
            ) from err
        raise WarehouseDamaged(
            f"the warehouse file {path} cannot be opened ({type(err).__name__}: {err}). Nothing accepted is "
            f"lost: bronze and the file manifest under {settings.lake} hold every loaded row. Run "
            f"`{REBUILD_COMMAND}` (with the same --lake/--warehouse or OE_* settings) to move the damaged file "
            "aside and rebuild the warehouse from bronze"
        ) from err


def move_aside(settings: Settings) -> list[Path]:
    """Rename the warehouse file and its write-ahead log to `<name>.damaged-<UTC time>`; return the new paths."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved = []
    for path in (settings.warehouse, settings.warehouse.with_name(settings.warehouse.name + ".wal")):
        if path.exists():
            target = path.with_name(f"{path.name}.damaged-{stamp}")
            path.rename(target)
            moved.append(target)
    return moved
