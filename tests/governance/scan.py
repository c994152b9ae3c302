"""Search files for personal values: as bytes (UTF-8 and UTF-16) and decoded (every Parquet file and
DuckDB database read with DuckDB, every cell cast to text). Shared by the governance tests."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import duckdb

# the staging columns that hold names, dates of birth, PNC ids, phones and postcodes (as delivered and normalised)
IDENTIFIER_COLUMN = re.compile(
    r"^(forename|forename_raw|middle_names|middle_names_raw|surname|surname_raw|date_of_birth|date_of_birth_raw|"
    r"pnc_id|pnc_id_raw|phone_e164|phone_raw|postcode|postcode_raw)$"
)
MIN_LENGTH = 6  # shorter values (a 4-letter forename) are not distinctive enough to search bytes for


def source_identifiers(warehouse: Path, except_records: set[str] | None = None) -> set[str]:
    """Every distinct name, date of birth, PNC id, phone and postcode of the staged source records
    (leaving out the rows of the person records `except_records`, by person_record_id)."""
    values: set[str] = set()
    excluded = sorted(except_records or ())
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = con.execute(
            "select table_schema, table_name, column_name from information_schema.columns "
            "where table_schema = 'staging' and table_catalog = current_database()"
        ).fetchall()
        keyed = {(s, t) for s, t, c in columns if c == "person_record_id"}
        for schema, table, column in columns:
            if not IDENTIFIER_COLUMN.match(column):
                continue
            where = f'"{column}" is not null'
            if excluded and (schema, table) in keyed:
                where += " and person_record_id not in (" + ", ".join("?" for _ in excluded) + ")"
            sql = f'select distinct cast("{column}" as varchar) from "{schema}"."{table}" where {where}'
            params = excluded if excluded and (schema, table) in keyed else []
            for (value,) in con.execute(sql, params).fetchall():
                if value.strip():
                    values.add(value.strip())
    finally:
        con.close()
    return values


def distinctive(values: Iterable[str]) -> set[str]:
    return {v for v in values if len(v) >= MIN_LENGTH}


def scan_bytes(paths: Iterable[Path], values: set[str]) -> list[str]:
    """Files whose bytes hold a distinctive value (shorter ones, e.g. 'Mo', occur by chance in any
    binary file; the decoded scan compares those cell by cell)."""
    kept = distinctive(values)
    needles = [(v, v.encode("utf-8")) for v in kept] + [(v, v.encode("utf-16-le")) for v in kept]
    hits = []
    for path in paths:
        data = path.read_bytes()
        hits += [f"{path}: bytes of {value!r}" for value, needle in needles if needle in data]
    return hits


def _rows(con: duckdb.DuckDBPyConnection, path: Path) -> Iterable[tuple[str, list[tuple]]]:
    text = str(path).replace("'", "''")
    if path.suffix == ".parquet":
        yield str(path), con.execute(f"select * from read_parquet('{text}')").fetchall()
    elif path.suffix == ".duckdb":
        con.execute(f"attach '{text}' as scanned (read_only)")
        try:
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() where database_name = 'scanned'"
            ).fetchall():
                yield f"{path} {schema}.{table}", con.execute(f'select * from scanned."{schema}"."{table}"').fetchall()
        finally:
            con.execute("detach scanned")


def scan_decoded(paths: Iterable[Path], values: set[str]) -> list[str]:
    """Cells (as text) equal to a value, or containing a distinctive one (case-insensitive)."""
    exact = {v.lower() for v in values}
    long_values = sorted(distinctive(values), key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(v) for v in long_values), re.IGNORECASE) if long_values else None
    hits = []
    con = duckdb.connect()
    try:
        for path in paths:
            for label, rows in _rows(con, path):
                for row in rows:
                    for cell in row:
                        if cell is None:
                            continue
                        text = str(cell)
                        if text.lower() in exact or (pattern and pattern.search(text)):
                            hits.append(f"{label}: {text!r}")
    finally:
        con.close()
    return hits
