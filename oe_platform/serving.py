"""Read-only serving DuckDB files for BI tools, one per audience.

The audience of a mart is its dbt group (models/_groups.yml): serving/<group>.duckdb holds the
public marts of that group and nothing else, so sharing serving/strategic.duckdb shares only the
strategic marts. Each file has every built version of its marts as marts.<dbt alias> (the same
name as in the warehouse), column comments from the dbt docs, and meta.published_marts (version,
rows, checksum, built at, run id).

A file is built beside the old one (.<audience>.duckdb.<pid>.tmp) and renamed over it only when
complete, so a BI tool that has the old file open keeps reading the last complete run and never
blocks the pipeline, which never writes to a file anyone reads."""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from oe_platform.config import Settings
from oe_platform.marts_catalog import MartVersion

SERVED_ACCESS = "public"
MARTS_SCHEMA = "marts"


@dataclass(frozen=True)
class ServingFile:
    audience: str
    path: Path
    tables: list[str]
    rows: int


def audiences(marts: list[MartVersion]) -> dict[str, list[MartVersion]]:
    """Public marts by dbt group; a mart without a group or not public is served to nobody."""
    by_group: dict[str, list[MartVersion]] = defaultdict(list)
    for mart in marts:
        if mart.access == SERVED_ACCESS and mart.group:
            by_group[mart.group].append(mart)
    return dict(sorted(by_group.items()))


def serving_path(settings: Settings, audience: str) -> Path:
    return settings.serving / f"{audience}.duckdb"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _build_one(path: Path, marts: list[MartVersion], entries: dict[tuple[str, str], dict], gold: Path,
               built_at: datetime, run_id: str | None) -> int:
    con = duckdb.connect(str(path))
    total = 0
    try:
        con.execute(f"create schema {MARTS_SCHEMA}")
        con.execute("create schema meta")
        con.execute(
            "create table meta.published_marts (mart varchar, version varchar, is_latest boolean, "
            "table_name varchar, row_count bigint, checksum varchar, built_at timestamptz, run_id varchar)"
        )
        for mart in marts:
            entry = entries[(mart.name, mart.version)]
            table = f'{MARTS_SCHEMA}."{mart.alias}"'
            con.execute(f"create table {table} as select * from read_parquet('{gold / entry['path']}')")
            if mart.description:
                con.execute(f"comment on table {table} is {_quote(mart.description)}")
            for column in mart.columns:
                if column.description:
                    con.execute(f'comment on column {table}."{column.name}" is {_quote(column.description)}')
            con.execute(
                "insert into meta.published_marts values (?, ?, ?, ?, ?, ?, ?, ?)",
                [mart.name, mart.version, mart.is_latest, f"{MARTS_SCHEMA}.{mart.alias}", entry["rows"],
                 entry["checksum"], built_at, run_id],
            )
            total += entry["rows"]
        con.execute("checkpoint")
    finally:
        con.close()
    return total


def build_serving_files(
    settings: Settings,
    marts: list[MartVersion],
    entries: list[dict],
    built_at: datetime,
    run_id: str | None,
) -> tuple[list[ServingFile], list[Path]]:
    """Build serving/<audience>.duckdb for every audience and swap each in; remove the files of
    audiences that have no mart any more. `entries` are the gold manifest entries just published.
    Returns the files built and the files removed."""
    settings.serving.mkdir(parents=True, exist_ok=True)
    by_key = {(e["mart"], e["version"]): e for e in entries}
    built = []
    for audience, members in audiences(marts).items():
        target = serving_path(settings, audience)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        tmp.unlink(missing_ok=True)
        try:
            rows = _build_one(tmp, members, by_key, settings.gold, built_at, run_id)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.chmod(0o444)  # a serving file is never written in place: the next run replaces it
        os.replace(tmp, target)
        built.append(ServingFile(audience, target, [f"{MARTS_SCHEMA}.{m.alias}" for m in members], rows))
    current = {f.path for f in built}
    removed = sorted(p for p in settings.serving.glob("*.duckdb") if p not in current)
    for stale in removed:
        stale.unlink()
    return built, removed
