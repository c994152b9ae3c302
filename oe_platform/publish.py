"""Publish the marts for BI tools: gold Parquet per mart and version, a manifest per publish, and
the read-only serving DuckDB files (oe_platform/serving.py).

Layout (under the lake):

    gold/<mart>/v<N>/<mart>.parquet     one file per mart version the dbt manifest lists
    gold/manifest.json                  the latest publish (what is in gold now)
    gold/_manifests/<built at>_<run>.json  every publish, kept as history
    serving/<audience>.duckdb           one read-only database per dbt group (serving.py)

Every file is written beside its target and renamed over it (os.replace), so a reader sees either
the previous file or the new one, never half of one. A mart or version the manifest no longer lists
is removed from gold on the next publish, and the manifest records what was removed.

A mart for wide sharing (model meta `sharing: wide`) is written with its person-level columns as
keyed hashes (oe_platform/governance/pseudonym.py): the HMAC is applied here, in the publishing
process, so the key stays out of dbt's artefacts and the warehouse. Without OE_PSEUDONYM_KEY, or
when such a mart has a person-level column not declared `pseudonymise`, the mart is withheld (any
earlier copy removed), the other marts are published, and publish raises naming what to fix.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from oe_platform.config import Settings, duckdb_memory_limit, working_connection
from oe_platform.governance.events import record_publish
from oe_platform.governance.pseudonym import (
    PSEUDONYM_FUNCTION,
    PseudonymKeyError,
    SharedColumn,
    pseudonym_key,
    pseudonymiser,
    sharing_violations,
)
from oe_platform.marts_catalog import DBT_MANIFEST, MartVersion, list_mart_versions
from oe_platform.pause import pause_point
from oe_platform.serving import ServingFile, build_serving_files
from oe_platform.spark_catalog import export_relations, warehouse_engine
from oe_platform.warehouse import has_relation

MANIFEST_NAME = "manifest.json"
HISTORY_DIR = "_manifests"


class PublishError(RuntimeError):
    """A mart the dbt manifest lists could not be published."""


@dataclass(frozen=True)
class PublishedFile:
    mart: str
    version: str
    relation: str  # schema.alias in the warehouse (and in the serving file)
    path: Path
    rows: int
    checksum: str
    audience: str | None = None  # the mart's dbt group, the audience it is published to


@dataclass(frozen=True)
class PublishResult:
    files: list[PublishedFile]
    removed: list[str]
    serving: list[ServingFile]
    manifest: Path
    seconds: float
    withheld: dict[str, str] = field(default_factory=dict)  # mart unique id -> why it was not published


def atomic_write_text(path: Path, text: str) -> None:
    """Write text beside path, flush it to disk, then rename it over path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def rows_checksum(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """md5 over the md5 of every row, rows sorted: the same rows give the same checksum in any order."""
    sql = (
        "select md5(coalesce(string_agg(h, '' order by h), '')) "
        f"from (select md5(cast(t as varchar)) as h from {relation} as t)"
    )
    return con.execute(sql).fetchone()[0]


def parquet_schema(con: duckdb.DuckDBPyConnection, path: Path, mart: MartVersion) -> list[dict]:
    """The file's columns with their Parquet-read types, and the contract's type, PII class and description."""
    described = {c.name: c for c in mart.columns}
    schema = []
    for name, duck_type, *_ in con.execute(f"describe select * from read_parquet('{path}')").fetchall():
        column = described.get(name)
        schema.append({
            "name": name,
            "type": duck_type,
            "contract_type": column.data_type if column else None,
            "pii": column.pii if column else None,
            "pseudonymised": bool(column and column.pseudonymise),
            "description": column.description if column else "",
        })
    return schema


def _write_gold_file(con: duckdb.DuckDBPyConnection, mart: MartVersion, gold: Path) -> tuple[Path, int]:
    target = gold / mart.gold_relpath
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    relation = f'"{mart.schema}"."{mart.alias}"'
    if not has_relation(con, mart.schema, mart.alias):
        raise PublishError(
            f"{mart.unique_id}: the dbt manifest lists it but the warehouse has no {relation}; "
            "build it (oe run, or dbt build --select it) before publishing"
        )
    pseudonymised = set(mart.pseudonymised_columns)
    if pseudonymised:
        # the keyed hash is computed by oe_pseudonym(), registered on this connection by _publish_gold
        select = ", ".join(
            f'{PSEUDONYM_FUNCTION}(cast("{c}" as varchar)) as "{c}"' if c in pseudonymised else f'"{c}"'
            for c in _relation_columns(con, mart)
        )
        query = f"select * from (select {select} from {relation}) order by all"
    else:
        query = f"select * from {relation} order by all"
    con.execute(f"copy ({query}) to '{tmp}' (format parquet, compression zstd)")
    os.replace(tmp, target)
    rows = con.execute(f"select count(*) from read_parquet('{target}')").fetchone()[0]
    return target, rows


def _relation_columns(con: duckdb.DuckDBPyConnection, mart: MartVersion) -> list[str]:
    return [row[0] for row in con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
        "order by ordinal_position",
        [mart.schema, mart.alias],
    ).fetchall()]


def withheld_marts(marts: list[MartVersion], environ: dict[str, str] | None = None) -> dict[str, str]:
    """The marts publish must not write, each with the reason: a wide mart whose person-level columns are
    not all declared `pseudonymise`, and any mart with pseudonymised columns when there is no usable key."""
    withheld: dict[str, str] = {}
    key_error: str | None = None
    try:
        pseudonym_key(environ)
    except PseudonymKeyError as exc:
        key_error = str(exc)
    for mart in marts:
        if mart.is_wide:
            violations = sharing_violations(
                mart.name, [SharedColumn(c.name, c.pii, c.pseudonymise) for c in mart.columns]
            )
            if violations:
                withheld[mart.unique_id] = "; ".join(violations)
                continue
        if mart.pseudonymised_columns and key_error:
            withheld[mart.unique_id] = f"{mart.name} has pseudonymised columns but {key_error}"
    return withheld


def _stale_gold_paths(gold: Path, keep: set[Path]) -> list[Path]:
    """Parquet files in gold that no listed mart version owns (marts or versions no longer built,
    and files of the earlier flat layout gold/<mart>.parquet)."""
    stale = []
    for path in sorted(gold.rglob("*.parquet")):
        rel = path.relative_to(gold)
        if rel.parts[0] == HISTORY_DIR or path.name.startswith("."):
            continue
        if rel not in keep:
            stale.append(path)
    return stale


def _remove_empty_dirs(root: Path) -> None:
    for directory in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: len(p.parts), reverse=True):
        if directory.name != HISTORY_DIR and not any(directory.iterdir()):
            directory.rmdir()


def _warehouse_connection(settings: Settings, marts: list[MartVersion]) -> duckdb.DuckDBPyConnection:
    """The marts to publish as relations of a DuckDB connection: the warehouse file (read-only), or on
    the spark target ($OE_DBT_TARGET=spark) an in-memory database holding the spark target's mart
    tables, read through oe_platform/spark_catalog.py, so that the gold files, checksums and schemas
    are written by the same code whatever the engine."""
    if warehouse_engine() != "spark":
        return duckdb.connect(str(settings.warehouse), read_only=True,
                              config={"memory_limit": duckdb_memory_limit()})
    import tempfile

    con = working_connection("publish")
    relations = sorted({f"{mart.schema}.{mart.alias}" for mart in marts})
    with tempfile.TemporaryDirectory(prefix="oe-publish-spark-") as tmp:
        for relation, path in export_relations(relations, Path(tmp)).items():
            schema, table = relation.split(".", 1)
            con.execute(f'create schema if not exists "{schema}"')
            con.execute(f"create table \"{schema}\".\"{table}\" as select * from read_parquet('{path}')")
    return con


def _publish_gold(settings: Settings, marts: list[MartVersion], gold: Path, entries: list[dict],
                  files: list[PublishedFile]) -> list[str]:
    """Write every mart version's gold file (appending to entries and files as each is written),
    then remove the gold files no listed version owns; return those removed, relative to the lake."""
    con = _warehouse_connection(settings, marts)
    try:
        if any(m.pseudonymised_columns for m in marts):
            # the key lives only in this closure: never in SQL text, the warehouse or a file
            con.create_function(PSEUDONYM_FUNCTION, pseudonymiser(pseudonym_key()), ["VARCHAR"], "VARCHAR",
                                null_handling="special", side_effects=False)
        for mart in marts:
            path, rows = _write_gold_file(con, mart, gold)
            pause_point("publish")
            checksum = rows_checksum(con, f"read_parquet('{path}')")
            files.append(PublishedFile(mart.name, mart.version, f"{mart.schema}.{mart.alias}", path, rows, checksum,
                                       mart.group))
            entries.append({
                "mart": mart.name,
                "version": mart.version,
                "latest_version": mart.latest_version,
                "is_latest": mart.is_latest,
                "group": mart.group,
                "access": mart.access,
                "dbt_unique_id": mart.unique_id,
                "warehouse_relation": f"{mart.schema}.{mart.alias}",
                "path": str(mart.gold_relpath),
                "rows": rows,
                "checksum": checksum,
                "bytes": path.stat().st_size,
                "schema": parquet_schema(con, path, mart),
            })
    finally:
        con.close()

    stale = _stale_gold_paths(gold, {m.gold_relpath for m in marts})
    removed = [str(p.relative_to(settings.lake)) for p in stale]
    for path in stale:
        path.unlink()
    _remove_empty_dirs(gold)
    return removed


def publish(
    settings: Settings,
    run_id: str | None = None,
    manifest_path: Path = DBT_MANIFEST,
) -> PublishResult:
    """Publish every mart version the dbt manifest lists: gold Parquet, manifest, serving files."""
    started = time.perf_counter()
    built_at = datetime.now(UTC)
    listed = list_mart_versions(manifest_path)
    withheld = withheld_marts(listed)
    marts = [m for m in listed if m.unique_id not in withheld]
    gold = settings.gold
    gold.mkdir(parents=True, exist_ok=True)

    entries: list[dict] = []
    files: list[PublishedFile] = []
    serving: list[ServingFile] = []
    try:
        removed = _publish_gold(settings, marts, gold, entries, files)
        serving, serving_removed = build_serving_files(settings, marts, entries, built_at, run_id)
        removed += [str(p.relative_to(settings.lake)) for p in serving_removed]
    finally:
        # the audit log: disclosure of what was written, also when a later mart failed
        record_publish(settings, files, serving, run_id)

    manifest = {
        "built_at": built_at.isoformat(timespec="seconds"),
        "run_id": run_id,
        "warehouse": str(settings.warehouse),
        "dbt_manifest": str(manifest_path),
        "marts": entries,
        "removed": removed,
        "withheld": withheld,
        "serving": [asdict(s) | {"path": str(s.path)} for s in serving],
        "seconds": round(time.perf_counter() - started, 3),
    }
    text = json.dumps(manifest, indent=2, default=str) + "\n"
    stamp = built_at.strftime("%Y%m%dT%H%M%S%fZ")
    atomic_write_text(gold / HISTORY_DIR / f"{stamp}_{run_id or 'cli'}.json", text)
    latest = gold / MANIFEST_NAME
    atomic_write_text(latest, text)
    if withheld:
        raise PublishError(
            f"{len(withheld)} mart version(s) withheld, the others published ({latest}): "
            + " | ".join(f"{uid}: {why}" for uid, why in sorted(withheld.items()))
        )
    return PublishResult(files, removed, serving, latest, manifest["seconds"], withheld)
