"""`oe query`: read-only consultation of the warehouse, refused without a justification and audited.

The audit entry holds the SQL text, the row count, the user and the justification; never the
values the query returned."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import duckdb

from oe_platform.config import Settings
from oe_platform.governance.audit import Event, audit_path, identity, record

MIN_JUSTIFICATION = 10  # characters: "x" or "test" does not explain why personal data is consulted
VIEW_FOLDERS = ("bronze", "linkage", "_meta")
"""The lake's folders the warehouse's views read (models/**/_*sources.yml: parquet_path, parquet_glob)."""


class QueryRefused(Exception):
    """The query was not run: no justification, not one read-only SELECT, or no warehouse."""


@dataclass(frozen=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple[Any, ...]]
    audit_seq: int


def _only_select(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as err:
        raise QueryRefused(f"the SQL does not parse: {err}") from err
    if len(statements) != 1:
        raise QueryRefused(f"give exactly one statement ({len(statements)} given)")
    kind = statements[0].type
    if kind != duckdb.StatementType.SELECT:
        raise QueryRefused(f"only a SELECT is allowed through oe query ({kind.name} given): "
                           "exports and changes go through the platform's own commands")


def run_query(settings: Settings, sql: str, justification: str, user: str | None = None) -> QueryResult:
    """Run one SELECT on a read-only connection to the warehouse and record a consultation entry.

    A query that fails is recorded too (with the error type), since the attempt is a consultation."""
    reason = (justification or "").strip()
    if len(reason) < MIN_JUSTIFICATION:
        raise QueryRefused(
            f"a justification of at least {MIN_JUSTIFICATION} characters is required "
            "(--justification: why this personal data is consulted, e.g. a case or task reference)"
        )
    if not settings.warehouse.exists():
        raise QueryRefused(f"no warehouse at {settings.warehouse}: run `oe run` first")
    who = (user or "").strip() or identity()
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        # no file but the warehouse: a SELECT may call read_csv('/etc/passwd') or read_parquet on any file
        # the process can read. The views dbt's run-start hook registers (the dbt sources with a
        # parquet_path or parquet_glob) read the lake's folders VIEW_FOLDERS, which stay readable. The
        # setting cannot be undone, and holds for the warehouse's database instance in this process (each
        # oe query is a process of its own).
        allowed = [f"{(settings.lake / folder).resolve()}/" for folder in VIEW_FOLDERS]
        con.execute("set allowed_directories = ?", [allowed])
        con.execute("set enable_external_access = false")
        _only_select(con, sql)
        what: dict[str, Any] = {"sql": sql, "justification": reason, "os_user": identity(),
                                "warehouse": str(settings.warehouse)}
        try:
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description or []]
            rows = cursor.fetchall()
        except duckdb.Error as err:
            record(Event("consultation", {**what, "status": "error", "error_type": type(err).__name__}, who=who),
                   audit_path(settings))
            raise
        [entry] = record(
            Event("consultation", {**what, "status": "ok", "rows": len(rows), "columns": columns}, who=who),
            audit_path(settings),
        )
        return QueryResult(columns, rows, entry["seq"])
    finally:
        con.close()
