"""The audit entries the pipeline's steps record, built from what each step already knows.

Each function here is one call from the place the processing happens (ingest, the dbt assets,
linkage, publish, a failed run): they describe files, models, row counts and run ids, never values.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.governance.audit import Event, audit_path, read_entries, record

GROUPS_FILE = REPO_ROOT / "models" / "_groups.yml"
_MART_AUDIENCE = re.compile(r"^(?:mart|int)_([a-z0-9]+)__")


def record_ingest(settings: Settings, ingest_run_id: str, manifest_rows: Iterable[Mapping[str, Any]]) -> list[dict]:
    """Collection: one entry per landed file this ingest registered (loaded, duplicate, quarantined, failed)."""
    events = [
        Event(
            "collection",
            {
                "file": row.get("path"),
                "source": row.get("source"),
                "force": row.get("force_code"),
                "sha256": row.get("sha256"),
                "status": row.get("status"),
                "rows_read": int(row.get("rows_read") or 0),
                "rows_accepted": int(row.get("rows_accepted") or 0),
                "rows_rejected": int(row.get("rows_rejected") or 0),
                "ingest_run_id": ingest_run_id,
                **({"reason": row["error"]} if row.get("error") else {}),
            },
        )
        for row in manifest_rows
    ]
    return record(events, audit_path(settings))


def _relation_counts(warehouse: Path) -> dict[str, int]:
    """Row counts of the warehouse's tables (views are not counted: they read bronze on demand)."""
    if not warehouse.exists():
        return {}
    import duckdb  # here, not at module load: the Dagster definitions import this module (≤ 3 s to load)

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select database_name, schema_name, table_name from duckdb_tables() where not temporary"
        ).fetchall()
        counts = {}
        for database, schema, table in tables:
            relation = f'"{database}"."{schema}"."{table}"'
            counts[relation.lower()] = int(con.execute(f"select count(*) from {relation}").fetchall()[0][0])
        return counts
    finally:
        con.close()


def dbt_build_event(settings: Settings, run_results: Mapping[str, Any], step: str) -> Event:
    """Alteration: the models and seeds one dbt build wrote, with their row counts, and its test outcome."""
    counts = _relation_counts(settings.warehouse)
    built, tests = [], Counter()
    for result in run_results.get("results", []):
        unique_id = result.get("unique_id", "")
        kind = unique_id.split(".", 1)[0]
        if kind in ("test", "unit_test"):
            tests[result.get("status")] += 1
            continue
        if kind not in ("model", "seed", "snapshot"):
            continue
        relation = (result.get("relation_name") or "").lower()
        built.append({
            "node": unique_id,
            "status": result.get("status"),
            "rows": counts.get(relation),
        })
    args = run_results.get("args", {})
    return Event(
        "alteration",
        {
            "step": step,
            "command": args.get("which", "build"),
            "dbt_invocation_id": run_results.get("metadata", {}).get("invocation_id"),
            "warehouse": str(settings.warehouse),
            "models": built,
            "tests": dict(sorted((str(k), v) for k, v in tests.items())),
        },
    )


def record_dbt_build(settings: Settings, run_results: Mapping[str, Any], step: str) -> list[dict]:
    return record(dbt_build_event(settings, run_results, step), audit_path(settings))


def record_linkage(settings: Settings, relation: str, summary: Mapping[str, Any], written: Iterable[Path],
                   engine: str) -> list[dict]:
    """Combination: one linkage run, person records in, persons and accepted pairs out."""
    keys = ("model_version", "linkage_mode", "linkage_mode_reason", "person_records", "persons",
            "profiles_new_or_changed", "pairs_compared", "pairs_reused_from_state", "pairs_accepted",
            "largest_cluster")
    return record(
        Event(
            "combination",
            {
                "input": relation,
                "engine": engine,
                **{key: _plain(summary[key]) for key in keys if key in summary},
                "outputs": [str(path) for path in written],
            },
        ),
        audit_path(settings),
    )


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def load_audiences(groups_file: Path = GROUPS_FILE) -> dict[str, str]:
    """Each dbt group (a mart's audience) with its owner, the recipient of what is published to it."""
    if not groups_file.exists():
        return {}
    groups = yaml.safe_load(groups_file.read_text()).get("groups", [])
    return {
        group["name"]: f"{group.get('owner', {}).get('name', '')} <{group.get('owner', {}).get('email', '')}>"
        for group in groups
    }


def mart_audience(table: str) -> str | None:
    """The audience of a mart from its name, mart_<audience>__ or int_<audience>__ (models/marts/<audience>/,
    group <audience>: tests/governance/test_access.py keeps names, folders and groups in step)."""
    match = _MART_AUDIENCE.match(table)
    return match.group(1) if match else None


def record_publish(settings: Settings, published: Iterable[Any], serving: Iterable[Any] = (),
                   run_id: str | None = None) -> list[dict]:
    """Disclosure: one entry per published gold file (a mart version) and per serving file, naming its
    audience (the mart's dbt group, else read from its name) and that audience's owner."""
    audiences = load_audiences()

    def recipient(audience: str | None) -> str:
        return audiences.get(audience or "", "unknown: the mart names no dbt group")

    events = []
    for item in published:
        audience = getattr(item, "audience", None) or mart_audience(item.mart)
        events.append(Event(
            "disclosure",
            {
                "table": item.relation,
                "mart": item.mart,
                "version": item.version,
                "file": str(item.path),
                "rows": int(item.rows),
                "checksum": item.checksum,
                "audience": audience,
                "recipient": recipient(audience),
            },
            run_id=run_id,
        ))
    for served in serving:
        events.append(Event(
            "disclosure",
            {
                "file": str(served.path),
                "tables": list(served.tables),
                "rows": int(served.rows),
                "audience": served.audience,
                "recipient": recipient(served.audience),
            },
            run_id=run_id,
        ))
    return record(events, audit_path(settings))


def record_run_failure(settings: Settings, run_id: str, job: str, failed_steps: list[str], error: str) -> list[dict]:
    """run_failure: once per run (a hook and the runner may both report the same run)."""
    path = audit_path(settings)
    known = {
        step
        for entry in read_entries(path)
        if entry.get("operation") == "run_failure" and entry.get("run_id") == run_id
        for step in entry["what"].get("failed_steps", [])
    }
    if known and set(failed_steps) <= known | {"run"}:
        return []
    return record(
        # the error's first line only (an exception's text could quote a value deeper down)
        Event("run_failure", {"job": job, "failed_steps": failed_steps, "error": error.splitlines()[0][:300]
                              if error else ""}, run_id=run_id),
        path,
    )
