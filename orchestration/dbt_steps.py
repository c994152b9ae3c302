"""What a pipeline dbt step starts dbt with, and what it leaves behind: dbt's own log file (level and
format) and the step folders dagster-dbt writes under the dbt target path, pruned after a retention.
Used by orchestration/audit.py's `audited_dbt_build`, the wrapper of every dbt step."""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# dbt's own log file (written beside the invocation's artefacts): dagster-dbt already keeps every dbt
# event at info level in the run's Dagster logs, and a debug-level file of JSON events cost about a
# sixth of dbt's own time (its first step run alone at tier XS; docs/scale.md, "Session 14"). The
# file keeps warnings and errors; an operator who wants dbt's debug log sets DBT_LOG_LEVEL_FILE=debug,
# which is then left alone.
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


@contextmanager
def environment_for_dbt(variables: dict[str, str]) -> Iterator[None]:
    """Put `variables` into this process's environment while dbt is started (its subprocess inherits
    them), and restore what was there after."""
    before = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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
