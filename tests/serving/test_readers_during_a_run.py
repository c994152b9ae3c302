"""A BI tool reading the serving file and gold for the whole of a real Dagster run: the run
succeeds, and every read, by a connection held open throughout or opened afresh, sees one complete
publish: the previous one until the swap, the new one after it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from oe_platform.config import load_settings

pytestmark = pytest.mark.slow

READER = Path(__file__).with_name("reader_process.py")


def test_readers_hold_the_serving_file_and_gold_open_through_a_pipeline_run(served_pipeline, tmp_path, monkeypatch):
    from oe_platform.synth import generate
    from orchestration.run import run_pipeline

    # a copy of the served platform, so this run does not change what the other tests read
    source = served_pipeline.settings
    root = tmp_path / "platform"
    settings = load_settings(landing=root / "landing", lake=root / "lake", warehouse=root / "oe.duckdb",
                             shared_data=source.shared_data)
    shutil.copytree(source.landing, settings.landing)
    shutil.copytree(source.lake, settings.lake)
    shutil.copy2(source.warehouse, settings.warehouse)
    # the next day's deliveries, so the run publishes different data
    generate(persons=500, seed=11, start=date(2025, 1, 1), months=2, out=settings.landing,
             truth_out=root / "truth", next_delivery=True, progress=False)
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(root / "dagster_home"))
    first_run = served_pipeline.result.run_id

    stop = tmp_path / "stop"
    logs = {mode: tmp_path / f"reads_{mode}.jsonl" for mode in ("held", "fresh")}
    readers = {
        mode: subprocess.Popen([sys.executable, str(READER), mode, str(settings.lake), str(stop), str(log)],
                               env={**os.environ, "PYTHONPATH": ""}, stderr=subprocess.PIPE, text=True)
        for mode, log in logs.items()
    }
    try:
        deadline = time.monotonic() + 60
        while not all(log.exists() and log.read_text().count("\n") >= 2 for log in logs.values()):
            for reader in readers.values():
                assert reader.poll() is None, f"a reader exited: {reader.stderr.read()}"
            assert time.monotonic() < deadline, "the readers did not start reading"
            time.sleep(0.2)
        started = time.perf_counter()
        result = run_pipeline(settings, log_level="WARNING")
        run_seconds = time.perf_counter() - started
        time.sleep(2)  # a few reads after the swap
    finally:
        stop.touch()
        for reader in readers.values():
            reader.wait(timeout=120)
    for reader in readers.values():
        assert reader.returncode == 0, reader.stderr.read()

    assert result.success and result.failed_checks == [], "the run failed while readers held the files open"
    held, reads = ([json.loads(line) for line in logs[m].read_text().splitlines()] for m in ("held", "fresh"))
    errors = [(r["at"], k, v["error"]) for r in held + reads for k, v in r.items()
              if isinstance(v, dict) and "error" in v]
    assert errors == [], errors[:3]
    print(f"{len(held)} held and {len(reads)} fresh rounds of reads during a {run_seconds:.0f} s run, none failed")
    assert len(held) >= 20 and len(reads) >= 20

    # the held connection saw the first run's file, whole, the whole time
    assert {r["held"]["run_id"] for r in held} == {first_run}
    assert all(r["held"]["consistent"] for r in held)
    assert len({r["held_gold"]["rows"] for r in held}) == 1
    # fresh readers saw the first run's file, then the second's, each complete, never anything else
    fresh_runs = [r["fresh"]["run_id"] for r in reads]
    assert all(r["fresh"]["consistent"] for r in reads)
    assert fresh_runs[0] == first_run and fresh_runs[-1] == result.run_id != first_run
    switched = fresh_runs.index(result.run_id)
    assert set(fresh_runs[switched:]) == {result.run_id}, "a reader went back to the old file"
    # gold: every file was read in full, and its rows were those of the previous or the new publish
    manifests = sorted((settings.gold / "_manifests").glob("*.json"))
    before, after = (json.loads(m.read_text()) for m in manifests[-2:])
    published = {(e["path"], e["checksum"]) for m in (before, after) for e in m["marts"]}
    read = {(path, checksum) for r in reads for path, checksum in r["gold"]["checksums"].items()}
    assert read <= published, sorted(read - published)[:3]
    assert {e["path"] for e in after["marts"]} <= {path for path, _ in read}
    assert [r["gold"]["run_id"] for r in reads][-1] == result.run_id
    assert all(r["gold"]["files"] == len(before["marts"]) for r in reads)
    # and the new publish holds the next day's data
    assert before["run_id"] == first_run and after["run_id"] == result.run_id
    assert {e["checksum"] for e in before["marts"]} != {e["checksum"] for e in after["marts"]}
