"""When the incremental staging models may add a day, and when they must be rebuilt whole.

Most staging models are incremental on DuckDB (macros/incremental_staging.sql): a build stages only
the bronze files it has not staged yet, and re-stages every version of the keys those files touch.
That is exact as long as nothing else changed since the last build. Two things can:

- **bronze was rewritten**: an erasure removes rows from files already staged (and a re-ingest of a
  file interrupted half way removes its partial outputs). Whoever rewrites or removes bronze files
  calls `bronze_rewritten` *before* doing so, which records a new bronze epoch.
- **the staging code changed**: a model, macro, seed, contract or dbt_project.yml differs from the
  build's, so rows already staged would be staged differently now.

`plan_staging_build` compares both with what the last successful build recorded
(`<lake>/_meta/staging_state.json`) and gives the reason for a full refresh, or None;
`record_staging_build` records the build once every staging model in it succeeded. A lake without
the record (new, or from an older version of the platform) gets a full refresh.

**A delivery day's data tests.** The record also says until when the data tests passed
(`tests_passed_through`: when the last build whose data tests all passed or warned was planned). An
incremental build then has its row-level data tests of incremental staging models check only the
rows of the bronze files ingested since (`StagingPlan.test_files`, passed to dbt as
OE_STAGING_TEST_FILES; macros/staging_test_scope.sql): the rows before were checked and have not
changed. A build with a failed test leaves the mark where it was, so the next one checks those files
again; a full refresh checks every row.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oe_platform.config import REPO_ROOT, Settings

STATE_FILE = "staging_state.json"
EPOCH_FILE = "bronze_epoch.json"
TEST_FILES_ENV = "OE_STAGING_TEST_FILES"
TEST_FILES_MAX = 2000
"""More new files than this (a backlog, a first day after an outage) and the day's tests read every
row: the list travels in an environment variable, and at that size a scan is as cheap."""
# the statuses of a data test that leave its rows checked (warn: rows quarantined, by design)
TEST_PASSED = frozenset({"pass", "warn"})
# what staging rows are made from, besides bronze
CODE_GLOBS = ("models/staging/**/*.sql", "models/staging/**/*.yml", "macros/**/*.sql", "seeds/**/*.csv",
              "seeds/**/*.yml", "contracts/*.yml", "dbt_project.yml")


@dataclass(frozen=True)
class StagingPlan:
    fingerprint: str
    """The staging code's fingerprint (code_fingerprint)."""
    bronze_epoch: str
    """The bronze epoch when the build was planned."""
    full_refresh_reason: str | None
    """Why this build must rebuild staging whole; None: it may add only what is new."""
    planned_at: str = ""
    """When the build was planned (UTC, ISO 8601): what `tests_passed_through` becomes if its tests pass."""
    test_files: tuple[str, ...] | None = None
    """The bronze files whose rows the row-level data tests of incremental staging models check; None:
    every row (a full refresh, no earlier build whose tests passed, or more than TEST_FILES_MAX)."""
    test_scope_reason: str = ""
    """Why the tests check what they check, for the run's log."""

    def test_env(self) -> dict[str, str]:
        """The environment the build's dbt gets for its data tests (empty: every row is checked)."""
        if self.test_files is None:
            return {}
        return {TEST_FILES_ENV: "files:" + ",".join(self.test_files)}


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def code_fingerprint(root: Path = REPO_ROOT) -> str:
    """A hash of every file staging rows depend on besides bronze (CODE_GLOBS), names and contents."""
    digest = hashlib.sha256()
    files = sorted({path for pattern in CODE_GLOBS for path in root.glob(pattern) if path.is_file()})
    for path in files:
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def bronze_epoch(settings: Settings) -> str:
    """The current bronze epoch ("initial" until bronze was first rewritten)."""
    data = _read_json(settings.meta / EPOCH_FILE)
    return str(data.get("epoch")) if data and data.get("epoch") else "initial"


def bronze_rewritten(settings: Settings, reason: str) -> str:
    """Record that bronze rows already staged are about to change (call it before changing them):
    the next staging build is a full refresh. Returns the new epoch."""
    epoch = uuid.uuid4().hex
    _write_json(settings.meta / EPOCH_FILE, {"epoch": epoch, "reason": reason,
                                             "at": datetime.now(UTC).isoformat()})
    return epoch


def files_ingested_since(settings: Settings, since: str) -> list[str] | None:
    """The ids of the landed files whose ingest finished after `since` (ISO 8601), from the ingest
    manifest; None when the manifest cannot be read."""
    import duckdb

    from oe_platform.landing.ingest import MANIFEST_NAME  # here: keeps the definitions' import light

    manifest = settings.meta / MANIFEST_NAME
    if not manifest.is_file():
        return None
    try:
        with duckdb.connect() as con:
            rows = con.execute(
                "select distinct file_id from read_parquet(?) where finished_at > cast(? as timestamptz) "
                "order by file_id", [str(manifest), since]).fetchall()
    except duckdb.Error:
        return None
    return [row[0] for row in rows]


def plan_staging_build(settings: Settings, root: Path = REPO_ROOT) -> StagingPlan:
    """What the next build of staging may do: add what is new, or rebuild whole, and why; and which
    rows its data tests check."""
    planned_at = datetime.now(UTC).isoformat()
    fingerprint, epoch = code_fingerprint(root), bronze_epoch(settings)
    state = _read_json(settings.meta / STATE_FILE)
    if state is None:
        reason = "no record of an earlier staging build in this lake"
    elif state.get("bronze_epoch") != epoch:
        why = (_read_json(settings.meta / EPOCH_FILE) or {}).get("reason") or "bronze files were rewritten"
        reason = f"bronze rows already staged have changed since the last build ({why})"
    elif state.get("fingerprint") != fingerprint:
        reason = "the staging code (models, macros, seeds, contracts or dbt_project.yml) changed since the last build"
    else:
        reason = None
    test_files, scope = None, "every row: staging is rebuilt whole"
    if reason is None:
        since = state.get("tests_passed_through") if state else None
        files = files_ingested_since(settings, since) if since else None
        if not since:
            scope = "every row: no earlier build recorded that its data tests passed"
        elif files is None:
            scope = "every row: the ingest manifest could not be read"
        elif len(files) > TEST_FILES_MAX:
            scope = f"every row: {len(files)} files ingested since the data tests last passed (> {TEST_FILES_MAX})"
        else:
            test_files = tuple(files)
            scope = (f"the rows of the {len(files)} file(s) ingested since the data tests last passed "
                     f"({since}); tests of whole-table rules and of models rebuilt whole read every row")
    return StagingPlan(fingerprint, epoch, reason, planned_at, test_files, scope)


def staging_models_succeeded(run_results: dict[str, Any]) -> bool:
    """Whether a dbt invocation built staging models (`model.<project>.stg_*`) and every one of them
    succeeded, from its run_results.json."""
    statuses = [
        result.get("status") for result in run_results.get("results", [])
        if str(result.get("unique_id", "")).startswith("model.")
        and str(result["unique_id"]).split(".")[2].startswith("stg_")
    ]
    return bool(statuses) and all(status == "success" for status in statuses)


def data_tests_passed(run_results: dict[str, Any]) -> bool:
    """Whether every data test of a dbt invocation passed or warned (none failed, errored or was
    skipped), from its run_results.json; False when it ran none."""
    statuses = [result.get("status") for result in run_results.get("results", [])
                if str(result.get("unique_id", "")).startswith("test.")]
    return bool(statuses) and all(status in TEST_PASSED for status in statuses)


def record_staging_build(settings: Settings, plan: StagingPlan, run_results: dict[str, Any]) -> bool:
    """Record a build planned by `plan` when every staging model in it succeeded; True if recorded.

    A build that failed part way records nothing, so the next one plans again from the last good
    record (an incremental build re-stages whatever files its tables lack; a full refresh is redone).
    `tests_passed_through` moves to the plan's time only when every data test of the build passed or
    warned; otherwise it stays, and the next build's tests check the files since then again."""
    if not staging_models_succeeded(run_results):
        return False
    if bronze_epoch(settings) != plan.bronze_epoch:
        return False  # bronze changed during the build (it cannot under the run lock; be safe anyway)
    previous = _read_json(settings.meta / STATE_FILE) or {}
    tested = plan.planned_at if plan.planned_at and data_tests_passed(run_results) else (
        None if plan.full_refresh_reason else previous.get("tests_passed_through"))
    _write_json(settings.meta / STATE_FILE, {
        "fingerprint": plan.fingerprint,
        "bronze_epoch": plan.bronze_epoch,
        "full_refresh": plan.full_refresh_reason is not None,
        "full_refresh_reason": plan.full_refresh_reason,
        "built_at": datetime.now(UTC).isoformat(),
        "tests_passed_through": tested,
    })
    return True
