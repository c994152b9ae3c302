"""Publish the public marts as Parquet (gold) for BI tools."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from oe_platform.config import Settings
from oe_platform.governance.events import record_publish

MART_SCHEMA = "marts"


@dataclass(frozen=True)
class PublishedFile:
    table: str
    path: Path
    rows: int


def list_marts(settings: Settings) -> list[str]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        rows = con.execute(
            "select table_name from information_schema.tables where table_schema = ? order by 1",
            [MART_SCHEMA],
        ).fetchall()
    finally:
        con.close()
    return [r[0] for r in rows]


def publish(settings: Settings, tables: list[str] | None = None) -> list[PublishedFile]:
    """Write each mart to gold/<mart>.parquet (atomically replaced); return what was written."""
    names = tables if tables is not None else list_marts(settings)
    settings.gold.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    published = []
    try:
        for name in names:
            target = settings.gold / f"{name}.parquet"
            tmp = settings.gold / f".{name}.parquet.tmp"
            relation = f'"{MART_SCHEMA}"."{name}"'
            con.execute(f"copy (select * from {relation} order by all) to '{tmp}' (format parquet)")
            tmp.replace(target)
            rows = con.execute(f"select count(*) from {relation}").fetchall()[0][0]
            published.append(PublishedFile(name, target, rows))
    finally:
        con.close()
        record_publish(settings, published)  # the audit log: disclosure, what was written before any error
    return published
