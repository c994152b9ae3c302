"""Crash safety (issue 10): `oe run` killed with SIGKILL during ingest, the dbt build, linkage and
publish, then run again, ends in exactly the state of an uninterrupted run: every warehouse table,
bronze/_meta/linkage/gold Parquet set and serving table compared by row count and a checksum of its
sorted rows (columns that only say when or in which run a row was written left out).

The run is paused at a real point inside the stage (oe_platform/pause.py: with that stage's work
half done) and its whole process group is killed there, as a crash would, dbt child included."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT
from oe_platform.pause import PAUSE_AT, PAUSE_MARKER, POINTS
from tests.conftest import BASELINE_SITE
from tests.integration.pipeline_runs import (
    OE,
    differences,
    run_log,
    run_to_end,
    start_run,
    state_fingerprint,
)

# ~10 whole pipeline runs (a shared baseline, four killed runs and their re-runs, a rebuild): `make
# test-faults` runs them; they do not fit beside the rest in make test's 45 minutes (docs/runbook.md)
pytestmark = [pytest.mark.slow, pytest.mark.faults]


def _kill_at(site, point: str, log: Path, timeout: float = 1800) -> None:
    marker = site.root / "paused"
    proc = start_run(site, log, {PAUSE_AT: point, PAUSE_MARKER: str(marker)})
    deadline = time.monotonic() + timeout
    while not marker.exists():
        assert proc.poll() is None, f"the run ended before reaching {point}:\n{log.read_text(errors='replace')[-3000:]}"
        assert time.monotonic() < deadline, f"the run did not reach {point} in {timeout}s"
        time.sleep(0.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)


@pytest.mark.parametrize("point", POINTS)
def test_a_run_killed_mid_stage_then_run_again_ends_as_an_uninterrupted_run(tmp_path, site_slot, robust_landing,
                                                                            uninterrupted, point):
    site = site_slot.fresh(robust_landing)
    _kill_at(site, point, tmp_path / "killed.log")
    events = run_log(site.settings)
    assert [e["event"] for e in events] == ["started"], "the killed run left no finished record"

    log = tmp_path / "rerun.log"
    assert run_to_end(site, log) == 0, log.read_text(errors="replace")[-3000:]
    rerun = run_log(site.settings)
    # the second run noticed the interrupted one, and finished
    assert [e["event"] for e in rerun] == ["started", "interrupted", "started", "finished"]
    assert rerun[1]["run_id"] == events[0]["run_id"] and rerun[-1]["status"] == "succeeded"
    assert not list(site.settings.lake.rglob(".*.tmp")), "temporary files of the killed run are left"
    from dagster import DagsterInstance, DagsterRunStatus

    with DagsterInstance.from_config(str(site.root / "dagster_home")) as instance:
        killed = instance.get_run_by_id(events[0]["run_id"])
        assert killed is not None and killed.status == DagsterRunStatus.FAILURE, "the killed run shows as failed"

    state = state_fingerprint(site.settings)
    assert differences(uninterrupted, state) == []
    assert any(k.startswith("warehouse:marts.") for k in state) and any(k.startswith("lake:gold/") for k in state)


def test_a_damaged_warehouse_is_named_and_rebuilt_from_bronze_by_one_command(tmp_path, site_slot, uninterrupted):
    """Damages the uninterrupted run's own warehouse (the other tests only read its fingerprint)."""
    site = site_slot.restore(BASELINE_SITE)
    warehouse = site.settings.warehouse
    with warehouse.open("r+b") as handle:  # overwrite the header: DuckDB can no longer open the file
        handle.write(b"not a duckdb file" * 512)
    log = tmp_path / "run.log"
    assert run_to_end(site, log) != 0
    output = log.read_text(errors="replace")
    assert f"the warehouse file {warehouse} cannot be opened" in output
    assert "oe rebuild-warehouse" in output and "Nothing accepted is lost" in output
    assert run_log(site.settings)[-1]["status"] == "failed"

    rebuilt = subprocess.run([OE, "rebuild-warehouse"], cwd=REPO_ROOT, env=site.env, capture_output=True,
                             text=True, timeout=1800, check=False)
    assert rebuilt.returncode == 0, rebuilt.stdout[-2000:] + rebuilt.stderr[-3000:]
    assert "moved aside" in rebuilt.stdout
    assert list(warehouse.parent.glob(f"{warehouse.name}.damaged-*")), "the damaged file is kept aside"
    assert differences(uninterrupted, state_fingerprint(site.settings)) == []
