"""One writer at a time (issue 10): the committed Dagster instance configuration queues runs one at a
time, a second writer waits and is told for whom, and a failed run is recorded in the run log. Real
`oe run` subprocesses, real Dagster, dbt, DuckDB.

Two `oe run`s started at once, both completing one after the other with the state of one
uninterrupted run, are the last step of the chain of killed runs (tests/integration/
test_crash_safety.py, test_two_runs_started_at_once_end_the_chain_one_after_the_other): a whole
pipeline run fewer than a site of their own would cost."""

from __future__ import annotations

from pathlib import Path

import pytest

from oe_platform.landing.ingest import ingest
from oe_platform.run_lock import warehouse_lock
from tests.integration.pipeline_runs import (
    run_log,
    run_to_end,
)

pytestmark = pytest.mark.slow


def test_the_instance_configuration_queues_one_run_at_a_time(tmp_path, monkeypatch):
    from dagster import DagsterInstance, QueuedRunCoordinator

    from orchestration.run import INSTANCE_CONFIG, dagster_home

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    home = Path(dagster_home())
    assert (home / "dagster.yaml").read_text() == INSTANCE_CONFIG.read_text()
    with DagsterInstance.from_config(str(home)) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1


def test_a_second_writer_waits_and_is_told_for_whom(platform_dirs):
    messages: list[str] = []
    with warehouse_lock(platform_dirs, "first-run"):
        with pytest.raises(TimeoutError) as waited:
            with warehouse_lock(platform_dirs, "second-run", on_wait=messages.append, timeout=1.5):
                pass
    assert "first-run" in messages[0] and "waiting for run first-run" in messages[0]
    assert "gave up" in str(waited.value)
    with warehouse_lock(platform_dirs, "third-run"):  # released: taken at once
        pass
    events = [(r["event"], r["run_id"]) for r in run_log(platform_dirs)]
    assert events == [("started", "first-run"), ("waiting", "second-run"), ("finished", "first-run"),
                      ("started", "third-run"), ("finished", "third-run")]


def test_a_failed_run_is_recorded_in_the_run_log(tmp_path, site_slot, robust_landing):
    site = site_slot.fresh(robust_landing)
    ingest(site.settings)
    # a bronze file damaged after it was loaded: the run's ingest step stops at the reconciliation
    victim = max(site.settings.bronze.rglob("*.parquet"), key=lambda p: p.stat().st_size)
    victim.write_bytes(victim.read_bytes()[:100])
    log = tmp_path / "run.log"
    code = run_to_end(site, log)
    output = log.read_text(errors="replace")
    assert code != 0
    assert "the pipeline failed" in output
    assert "failed: ingest_landing_zone: " in output and f"damaged file {victim}" in output
    finished = [r for r in run_log(site.settings) if r["event"] == "finished"]
    assert len(finished) == 1
    assert finished[0]["status"] == "failed"
    assert finished[0]["failed_steps"] == ["ingest_landing_zone"], finished[0]
