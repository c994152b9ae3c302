"""The audit log from Dagster: dbt builds (alteration) and failed steps (run_failure).

Ingest, linkage and publish record their own entries (oe_platform.governance.events), inside
`audit_run(context.run.run_id)` so the entries carry the Dagster run id."""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, HookContext, failure_hook
from dagster_dbt import DbtCliResource

from oe_platform.config import load_settings
from oe_platform.governance.events import record_dbt_build, record_run_failure


def _run_results(invocation: Any) -> dict:
    """run_results.json of a finished (or failed) dbt invocation; empty when dbt wrote none."""
    path = invocation.target_path / "run_results.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


# dbt's own log file (written beside the invocation's artefacts): dagster-dbt already keeps every dbt
# event at info level in the run's Dagster logs, and a debug-level file of JSON events cost about a
# sixth of dbt's own time in a run (docs/scale.md, "Session 14"). The file keeps warnings and errors;
# an operator who wants dbt's debug log sets DBT_LOG_LEVEL_FILE=debug, which is then left alone.
DBT_FILE_LOG_DEFAULTS = {"DBT_LOG_LEVEL_FILE": "warn", "DBT_LOG_FORMAT_FILE": "text"}


@contextmanager
def dbt_file_log_defaults() -> Iterator[None]:
    """Put DBT_FILE_LOG_DEFAULTS into this process's environment, where not set, while dbt is started."""
    added = [name for name in DBT_FILE_LOG_DEFAULTS if name not in os.environ]
    os.environ.update({name: DBT_FILE_LOG_DEFAULTS[name] for name in added})
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


# Each dbt step of a run leaves its own folder under the dbt target path, named
# `<step>-<run id prefix>-<random>` by dagster-dbt: compiled SQL, a copy of the manifest, run_results
# (about 37 MB for the first step). Without pruning they pile up, every run, for good. A folder is
# removed once it is older than OE_DBT_STEP_FOLDERS_DAYS days (default 14) and not among the newest
# DBT_STEP_FOLDERS_KEPT: the last runs' compiled SQL stays to debug a failure with (docs/runbook.md).
DBT_STEP_FOLDER = re.compile(r"^oe_dbt_[a-z_]+-[0-9a-f]{7}-[0-9a-f]{7}$")
DBT_STEP_FOLDERS_DAYS_ENV = "OE_DBT_STEP_FOLDERS_DAYS"
DBT_STEP_FOLDERS_DAYS = 14
DBT_STEP_FOLDERS_KEPT = 20


def prune_dbt_step_folders(target: Path, days: float | None = None, kept: int = DBT_STEP_FOLDERS_KEPT,
                           now: float | None = None) -> list[Path]:
    """Remove the dbt step folders in `target` older than `days` (default: $OE_DBT_STEP_FOLDERS_DAYS,
    else 14) except the `kept` newest; returns the removed folders. Anything else in `target` (the
    project's manifest, partial parse, compiled/ and run/ of a plain dbt command) is never touched."""
    if days is None:
        days = float(os.environ.get(DBT_STEP_FOLDERS_DAYS_ENV) or DBT_STEP_FOLDERS_DAYS)
    now = time.time() if now is None else now
    folders = []
    for path in target.iterdir() if target.is_dir() else ():
        if DBT_STEP_FOLDER.match(path.name) and path.is_dir():
            try:
                folders.append((path.stat().st_mtime, path))
            except OSError:
                continue  # removed meanwhile by another run's pruning
    folders.sort(reverse=True)
    removed = []
    for modified, path in folders[kept:]:
        if now - modified > days * 86400:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def audited_dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, step: str,
                      args: list[str] | None = None,
                      on_results: Callable[[dict], None] | None = None) -> Iterator[Any]:
    """`dbt build` (or `args`) streamed to Dagster; afterwards, even when it failed, one alteration entry
    and `on_results(run_results)`."""
    from oe_platform.governance.pseudonym import key_hidden_from_subprocesses

    # dbt is started without the pseudonymisation key, and with a lean log file
    with key_hidden_from_subprocesses(), dbt_file_log_defaults():
        invocation = dbt.cli(args or ["build"], context=context)
    try:
        yield from invocation.stream()
    finally:
        results = _run_results(invocation)
        if results:
            from oe_platform.governance.audit import audit_run

            with audit_run(context.run.run_id):
                record_dbt_build(load_settings(), results, step)
        if on_results is not None:
            on_results(results)
        removed = prune_dbt_step_folders(Path(invocation.target_path).parent)
        if removed:
            context.log.info(f"removed {len(removed)} dbt step folder(s) of earlier runs from "
                             f"{Path(invocation.target_path).parent}")


@failure_hook(name="audit_run_failure")
def audit_run_failure(context: HookContext) -> None:
    """A failed step of a pipeline run: recorded as run_failure (once per run and step)."""
    error = context.op_exception
    message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}" if error else "failed"
    record_run_failure(load_settings(), context.run_id, context.job_name, [context.step_key or context.op.name],
                       message)
