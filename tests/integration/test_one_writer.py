"""One writer at a time (issue 10): the committed Dagster instance configuration queues runs one at a
time, and two `oe run`s started at once both complete, one after the other, with the state of one
run; a failed run is recorded in the run log. Real `oe run` subprocesses, real Dagster, dbt, DuckDB."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import duckdb
import pytest

from oe_platform.landing.ingest import ingest
from oe_platform.landing.reconcile import reconcile
from oe_platform.run_lock import warehouse_lock
from tests.integration.pipeline_runs import (
    Site,
    differences,
    run_log,
    run_to_end,
    start_run,
    state_fingerprint,
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


@pytest.mark.faults  # compares with the shared uninterrupted baseline of make test-faults
def test_two_runs_started_at_once_complete_one_after_the_other(tmp_path, site_slot, robust_landing, uninterrupted):
    site = site_slot.fresh(robust_landing)
    logs = [tmp_path / "first.log", tmp_path / "second.log"]
    procs = [start_run(site, logs[0])]
    time.sleep(0.5)
    procs.append(start_run(site, logs[1]))
    try:
        codes = [p.wait(timeout=3600) for p in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:  # timed out: leave no run behind
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    outputs = [log.read_text(errors="replace") for log in logs]
    assert codes == [0, 0], outputs[0][-3000:] + outputs[1][-3000:]
    assert_serialised_to_one_state(site, outputs)
    # and exactly the state one uninterrupted run leaves: the second run changed nothing
    assert differences(uninterrupted, state_fingerprint(site.settings)) == []


def assert_serialised_to_one_state(site: Site, outputs: list[str]) -> None:
    # one of them waited for the other, and said for which run
    waited = [out for out in outputs if "waiting for run" in out]
    assert len(waited) == 1, "exactly one run waits for the other"
    events = run_log(site.settings)
    started = [r for r in events if r["event"] == "started"]
    finished = [r for r in events if r["event"] == "finished"]
    assert len(started) == 2 and len(finished) == 2
    assert [r["event"] for r in events] == ["started", "waiting", "finished", "started", "finished"]
    assert events[1]["holder"] == events[0]["run_id"]  # the waiting run named the one holding the lock
    assert all(r["status"] == "succeeded" for r in finished)
    assert started[1]["at"] >= finished[0]["at"], "the second run started only after the first finished"

    # the state of one run: every landed file loaded once, bronze reconciles, marts built and published
    assert reconcile(site.settings) == []
    con = duckdb.connect(str(site.settings.warehouse), read_only=True)
    try:
        per_path = con.execute(
            "select path, count(*) from read_parquet(?) where status = 'loaded' group by 1 having count(*) > 1",
            [str(site.settings.meta / "file_manifest.parquet")],
        ).fetchall()
        assert per_path == [], "a file was loaded twice"
        loaded = con.execute("select count(*) from read_parquet(?) where status = 'loaded'",
                             [str(site.settings.meta / "file_manifest.parquet")]).fetchone()[0]
        assert loaded > 50
        # every resolved person once: the second run did not add or double anyone
        persons, resolved, records = con.execute(
            "select (select count(*) from conformed.person), "
            "(select count(distinct person_id) from conformed.person_source_record), "
            "(select count(*) from conformed.person_source_record)"
        ).fetchone()
        assert persons == resolved > 50
        assert resolved < records, "linkage resolved records from several sources to one person"
    finally:
        con.close()
    assert (site.settings.gold / "manifest.json").exists()


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
