"""Helpers for tests that run `oe run` as a real subprocess (one writer, crash safety, resource
faults): isolated paths, the process started in its own session (so a kill takes its dbt child
with it), and a fingerprint of everything a run leaves behind, to compare two runs' end states."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.synth import generate

OE = str(Path(sys.executable).parent / "oe")

# Columns that say when or in which run a row was written, not what it holds: they differ between
# any two runs, interrupted or not, and are left out of the comparison. Everything else is compared.
VOLATILE_COLUMN = re.compile(
    r"(^|_)(run_id|started_at|finished_at|loaded_at|ingested_at|rejected_at|warned_at|flagged_at|built_at|"
    r"published_at|duration_ms|seconds|generated_at|dbt_updated_at|dbt_valid_from|dbt_valid_to|"
    r"dbt_scd_id|_dbt_loaded_at|created_at|scored_at|linked_at|as_of_run)$"
)


@dataclass(frozen=True)
class Site:
    """One isolated platform: landing, lake, warehouse, shared data and Dagster home under root."""

    root: Path
    settings: Settings

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.settings.env(),
            # every run relinks everyone: a run resumed after a kill would otherwise link incrementally
            # from the killed run's state, equal to a full relink only within 1e-9 bits of weight
            # (tests/linkage/test_incremental.py), and these tests compare end states exactly
            "OE_LINKAGE_FULL": "1",
            "DAGSTER_HOME": str(self.root / "dagster_home"),
            "PYTHONPATH": str(REPO_ROOT),
            "DBT_PROFILES_DIR": str(REPO_ROOT),
        }


def site_at(root: Path) -> Site:
    settings = load_settings(landing=root / "landing", lake=root / "lake",
                             warehouse=root / "warehouse" / "oe.duckdb", shared_data=root / "shared")
    return Site(root, settings)


def make_site(root: Path, landing_from: Path) -> Site:
    """A fresh platform under root whose landing zone is a copy of `landing_from`."""
    site = site_at(root)
    shutil.copytree(landing_from, site.settings.landing)
    site.settings.shared_data.mkdir(parents=True, exist_ok=True)
    return site


class SiteSlot:
    """One fixed place for the platforms of the tests that run `oe run`, used by one test at a time.

    `oe run` parses the dbt project first; dbt re-parses it whole when the warehouse path or OE_LAKE
    (both read by the project) change, and only what changed otherwise. Every site of these tests
    lives at the same path in turn, so each of their runs after the first re-uses the parse (a
    minute per run on a busy 2-core machine). A finished site is moved aside under a name (the
    paths a warehouse holds are valid again once it is moved back)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.path = root / "site"
        self._used = 0

    def _vacate(self) -> None:
        if self.path.exists():
            self._used += 1
            self.path.rename(self.root / f"used-{self._used}")

    def fresh(self, landing_from: Path) -> Site:
        """An empty platform in the slot with a copy of `landing_from` as its landing zone."""
        self._vacate()
        return make_site(self.path, landing_from)

    def keep(self, name: str) -> Path:
        """Move the site in the slot aside as `name` (for `restore`)."""
        kept = self.root / name
        self.path.rename(kept)
        return kept

    def restore(self, name: str) -> Site:
        """Move the site kept as `name` back into the slot."""
        self._vacate()
        (self.root / name).rename(self.path)
        return site_at(self.path)


# The smallest landing zone that still exercises every stage: the generator's minimum population
# over one month, from two forces (each of its force sources: crime in two layouts, custody, missing
# persons, intelligence) and every national and canonical-partner source. Person resolution still
# links across forces and national lists, and every mart has rows.
SMALL_FORCES = ("kent", "west-mercia")


def generate_landing(root: Path) -> Path:
    """A small generated landing zone: 500 persons (the generator's minimum), one month, the force
    sources of SMALL_FORCES only (the other forces' folders are removed), every national source."""
    from datetime import date

    from oe_platform.contracts import known_forces

    landing = root / "landing"
    generate(persons=500, seed=11, start=date(2025, 1, 1), months=1, out=landing, truth_out=root / "truth",
             progress=False)
    dropped = set(known_forces()) - set(SMALL_FORCES)
    for partner in landing.glob("*/*"):
        if partner.is_dir() and partner.name in dropped:
            shutil.rmtree(partner)
    return landing


def start_run(site: Site, log: Path, extra_env: dict[str, str] | None = None,
              command: str = "run") -> subprocess.Popen:
    """`oe run` (or `oe <command>`) in its own session, output to `log`; kill it with
    os.killpg(proc.pid, SIGKILL)."""
    handle = log.open("ab")
    return subprocess.Popen([OE, command], cwd=REPO_ROOT, env={**site.env, **(extra_env or {})},
                            stdout=handle, stderr=subprocess.STDOUT, start_new_session=True)


def run_to_end(site: Site, log: Path, timeout: float = 1800, extra_env: dict[str, str] | None = None) -> int:
    """`oe run` to its end; on timeout its whole process group is killed (no run left behind)."""
    proc = start_run(site, log, extra_env)
    try:
        return proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise


def _checksum(con: duckdb.DuckDBPyConnection, relation: str) -> str:
    """md5 over the sorted md5s of every row's stable columns (volatile ones left out), with the count."""
    columns = [row[0] for row in con.execute(f"describe select * from {relation}").fetchall()]
    kept = [c for c in columns if not VOLATILE_COLUMN.search(c)]
    if not kept:
        return f"{con.execute(f'select count(*) from {relation}').fetchone()[0]} rows"
    select = ", ".join(f'"{c}"' for c in kept)
    # the linkage quality report (lake/linkage/quality.parquet and its warehouse copies) holds, besides
    # the run's figures, how many seconds each phase took: wall-clock, like the columns above
    where = "where section is distinct from 'timing'" if {"section", "metric"} <= set(columns) else ""
    count, digest = con.execute(
        f"select count(*), md5(coalesce(string_agg(h, '' order by h), '')) from "
        f"(select md5(cast(row({select}) as varchar)) as h from {relation} {where})"
    ).fetchone()
    return f"{count} rows {digest}"


def _parquet_relation(paths: list[Path]) -> str:
    listed = ", ".join(f"'{p}'" for p in paths)
    return f"read_parquet([{listed}], union_by_name = true)"


def state_fingerprint(settings: Settings, partial: bool = False) -> dict[str, str]:
    """Every warehouse table, every bronze, _meta, linkage and gold Parquet set, every serving
    table and the gold manifest's mart entries, each as a row count and checksum of sorted rows.

    `partial`: the state a killed run left, where the warehouse or the gold manifest may not exist
    yet (a warehouse a killed run left is read with its write-ahead log, as DuckDB opens it)."""
    state: dict[str, str] = {}
    if not partial or settings.warehouse.exists():
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            tables = con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database() order by 1, 2"
            ).fetchall()
            for schema, table in tables:
                state[f"warehouse:{schema}.{table}"] = _checksum(con, f'"{schema}"."{table}"')
        finally:
            con.close()
    mem = duckdb.connect()
    try:
        lake = settings.lake
        groups: dict[str, list[Path]] = {}
        for path in sorted(lake.rglob("*.parquet")):
            rel = path.relative_to(lake)
            if rel.parts[0] == "gold" and "_manifests" in rel.parts:
                continue
            # bronze, rejects and warnings: one set per directory (one file per landed file)
            key = str(rel.parent) if rel.parts[0] in ("bronze", "_meta") and rel.parent.name != "_meta" else str(rel)
            groups.setdefault(key, []).append(path)
        for key, paths in sorted(groups.items()):
            state[f"lake:{key}"] = _checksum(mem, _parquet_relation(paths))
        for path in sorted(settings.serving.glob("*.duckdb")):
            served = duckdb.connect(str(path), read_only=True)
            try:
                for schema, table in served.execute(
                    "select table_schema, table_name from information_schema.tables order by 1, 2"
                ).fetchall():
                    state[f"serving:{path.name}:{schema}.{table}"] = _checksum(served, f'"{schema}"."{table}"')
            finally:
                served.close()
    finally:
        mem.close()
    if partial and not (settings.gold / "manifest.json").exists():
        return state
    manifest = json.loads((settings.gold / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["marts"]:
        state[f"gold-manifest:{entry['mart']}:{entry['version']}"] = f"{entry['rows']} rows {entry['checksum']}"
    state["gold-manifest:removed"] = ",".join(manifest["removed"])
    return state


def file_checksum(path: Path) -> str:
    """One Parquet file as a row count and checksum of its sorted rows (volatile columns left out)."""
    mem = duckdb.connect()
    try:
        return _checksum(mem, _parquet_relation([path]))
    finally:
        mem.close()


def differences(left: dict[str, str], right: dict[str, str]) -> list[str]:
    keys = sorted(set(left) | set(right))
    return [f"{k}: {left.get(k)} != {right.get(k)}" for k in keys if left.get(k) != right.get(k)]


def run_log(settings: Settings) -> list[dict]:
    from oe_platform.run_lock import read_run_log

    return read_run_log(settings)
