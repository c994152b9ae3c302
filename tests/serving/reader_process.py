"""A BI tool's reads, in their own process, while a pipeline run goes on: run as
`python reader_process.py held|fresh <lake> <stop file> <out.jsonl>` by test_readers_during_a_run.py.

`held` holds one read-only connection on serving/strategic.duckdb and one open Parquet file from
gold for its whole life; `fresh` opens the current serving file and the current gold files afresh
in each round. (Two processes: DuckDB shares one database instance per file path within a process,
so a connection opened beside a held one would reuse the held, old file.) Every serving read is
checked for consistency (each table's rows against the checksum published with it); every gold
file's checksum is logged. One JSON line per round; an exception is written, never raised."""

from __future__ import annotations

import json
import sys
import time
import traceback
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

CHECKSUM = (
    "select md5(coalesce(string_agg(h, '' order by h), '')) "
    "from (select md5(cast(t as varchar)) as h from {relation} as t)"
)


def check_serving(con: duckdb.DuckDBPyConnection) -> dict:
    published = con.execute("select table_name, row_count, checksum, run_id from meta.published_marts").fetchall()
    consistent = all(
        con.execute(f"select count(*) from {table}").fetchone()[0] == rows
        and con.execute(CHECKSUM.format(relation=table)).fetchone()[0] == checksum
        for table, rows, checksum, _ in published
    )
    return {"tables": len(published), "consistent": consistent, "run_id": published[0][3]}


def check_gold(gold: Path) -> dict:
    """Read every file the current manifest lists, in full, and its rows' checksum: the test checks
    afterwards that each is the content some publish recorded (a file is renamed in just before the
    manifest that lists it, so the newest checksums are known only once the publish ends)."""
    current = json.loads((gold / "manifest.json").read_text())
    con = duckdb.connect()
    try:
        checksums = {}
        for entry in current["marts"]:
            # the whole file through one open handle, footer and pages (pyarrow), then its rows'
            # checksum over what was read. Not DuckDB's read_parquet on the path: it can open a path
            # more than once in one query (the footer, then the pages), and a swap between the opens
            # failed such a query once ("TProtocolException: Invalid data"; docs/bi.md)
            gold_file = pq.read_table(gold / entry["path"])  # noqa: F841 - read by name below
            checksums[entry["path"]] = con.execute(CHECKSUM.format(relation="gold_file")).fetchone()[0]
    finally:
        con.close()
    return {"files": len(checksums), "checksums": checksums, "run_id": current["run_id"]}


def main(mode: str, lake: Path, stop: Path, out: Path) -> None:
    serving = lake / "serving" / "strategic.duckdb"
    if mode == "held":
        held = duckdb.connect(str(serving), read_only=True)
        held_gold = pq.ParquetFile(next((lake / "gold").rglob("*.parquet")))
        reads = {"held": lambda: check_serving(held), "held_gold": lambda: {"rows": held_gold.read().num_rows}}
    else:
        reads = {"fresh": lambda: _fresh(serving), "gold": lambda: check_gold(lake / "gold")}
    with out.open("w") as log:
        while True:
            stopping = stop.exists()
            record: dict = {"at": time.time()}
            for name, read in reads.items():
                try:
                    record[name] = read()
                except Exception:  # noqa: BLE001 - the test reads the error from the log
                    record[name] = {"error": traceback.format_exc(limit=3)}
            log.write(json.dumps(record) + "\n")
            log.flush()
            if stopping:
                break
            time.sleep(0.3)
    if mode == "held":
        held.close()


def _fresh(serving: Path) -> dict:
    con = duckdb.connect(str(serving), read_only=True)
    try:
        return check_serving(con)
    finally:
        con.close()


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]))
