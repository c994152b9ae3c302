"""What the dashboard shows, as queries on the read-only serving files (never the warehouse).

Each call opens the current serving file read-only and closes it again, so a page shows the last
complete publish and a new publish (which swaps the file in) is picked up on the next rerun."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

STRATEGIC_MART = "mart_strategic__oe_monthly_by_force"
HIGH_HARM_MART = "mart_oe__high_harm_offenders"
VULNERABLE_MART = "mart_safeguarding__vulnerable_persons"
COUNTY_LINES_MART = "mart_oe__county_lines"


@dataclass(frozen=True)
class ServedMart:
    mart: str
    version: str
    audience: str
    path: Path
    table: str
    rows: int
    built_at: object
    run_id: str | None


@contextmanager
def connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def served_marts(serving_dir: Path) -> dict[str, ServedMart]:
    """The latest version of every mart in the serving files, by mart name."""
    found = {}
    for path in sorted(serving_dir.glob("*.duckdb")):
        with connect(path) as con:
            rows = con.execute(
                "select mart, version, table_name, row_count, built_at, run_id "
                "from meta.published_marts where is_latest"
            ).fetchall()
        for mart, version, table, count, built_at, run_id in rows:
            found[mart] = ServedMart(mart, version, path.stem, path, table, count, built_at, run_id)
    return found


def query(served: ServedMart, sql: str, params: list | None = None) -> pd.DataFrame:
    """Run sql on the mart's serving file; {table} in sql is the mart's table."""
    with connect(served.path) as con:
        return con.execute(sql.format(table=served.table), params or []).df()


def strategic_monthly(served: ServedMart) -> pd.DataFrame:
    """Cells by month, force and event type (and the force-month totals, is_total), with a withheld
    cell shown as text saying why."""
    return query(
        served,
        """
        select
            month_start, force_code, coalesce(force_name, force_code) as force_name, event_type,
            is_total, is_suppressed, suppression_reason, event_count, person_count, harm_days,
            case
                when is_suppressed then 'withheld (' || coalesce(suppression_reason, 'suppressed') || ')'
                else cast(event_count as varchar)
            end as shown
        from {table}
        order by month_start, force_code, is_total, event_type
        """,
    )


def ranked_list(served: ServedMart, limit: int) -> pd.DataFrame:
    """The top of a ranked mart (rank 1 first) with every column, reasons included."""
    return query(served, "select * from {table} order by rank, person_id limit ?", [limit])


def county_lines(served: ServedMart) -> pd.DataFrame:
    return query(served, "select * from {table} order by line_status, exporting_force, line_name")
