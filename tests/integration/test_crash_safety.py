"""Crash safety (issue 10): `oe run` killed with SIGKILL during ingest, the dbt build, linkage and
publish, then run again, ends in exactly the state of an uninterrupted run: every warehouse table,
bronze/_meta/linkage/gold Parquet set and serving table compared by row count and a checksum of its
sorted rows (columns that only say when or in which run a row was written left out).

The kills are chained on one site, as a bad day would chain them: a run killed mid-ingest, its
re-run killed mid-dbt, that one's re-run killed mid-linkage, the next killed mid-publish, and a last
re-run to the end. Each run is paused at a real point inside its stage (oe_platform/pause.py: with
that stage's work half done) and its whole process group is killed there, as a crash would, dbt
child included. At each kill the tests check the run log and Dagster's record of the run it
interrupted, that the stage was really half done, and that what the re-run had already redone (the
stages before the one it was killed in) equals the uninterrupted run's state; at the end, the whole
state. A damaged warehouse is then rebuilt on the same site.

Cost: the shared uninterrupted baseline, about three whole runs for the chain (each re-run redoes
every stage up to its kill), and one for the rebuild."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.pause import PAUSE_AT, PAUSE_MARKER, POINTS
from tests.conftest import BASELINE_SITE
from tests.integration.pipeline_runs import (
    OE,
    Site,
    differences,
    file_checksum,
    run_log,
    run_to_end,
    start_run,
    state_fingerprint,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]

CHAIN_SITE = "killed-chain"
# where a run killed in each stage would leave a temporary file (written beside its target, renamed
# over it): one is put there after each kill, and the next run must remove it
LEFTOVER = {"ingest": "bronze/.crime.parquet.tmp", "dbt": "_meta/.file_manifest.parquet.tmp",
            "linkage": "linkage/.pairs.parquet.tmp", "publish": "gold/.manifest.json.tmp"}


@dataclass
class Stop:
    """What one killed run left: observed right after the kill, before the next run starts."""

    point: str
    run_id: str
    events: list[dict]  # the run log
    statuses: dict[str, str]  # Dagster's status of every run of the site, by run id
    state: dict[str, str]  # state_fingerprint(partial=True)
    bronze_files: dict[str, str]  # every bronze file by path under the lake: rows and checksum
    leftovers: list[str]  # temporary files in the lake
    output: str  # the killed run's console output


@dataclass
class Chain:
    stops: dict[str, Stop] = field(default_factory=dict)
    planted: dict[str, Path] = field(default_factory=dict)  # leftover planted after each kill
    final_code: int | None = None
    final_output: str = ""
    final_events: list[dict] = field(default_factory=list)
    final_statuses: dict[str, str] = field(default_factory=dict)
    final_state: dict[str, str] = field(default_factory=dict)
    final_leftovers: list[str] = field(default_factory=list)


def _statuses(site: Site) -> dict[str, str]:
    from dagster import DagsterInstance

    with DagsterInstance.from_config(str(site.root / "dagster_home")) as instance:
        return {run.run_id: run.status.value for run in instance.get_runs()}


def _bronze_files(settings: Settings) -> dict[str, str]:
    return {str(p.relative_to(settings.lake)): file_checksum(p) for p in sorted(settings.bronze.rglob("*.parquet"))}


def _leftovers(settings: Settings) -> list[str]:
    return [str(p.relative_to(settings.lake)) for p in settings.lake.rglob(".*.tmp")] if settings.lake.exists() else []


def _kill_at(site: Site, point: str, log: Path, timeout: float = 1800) -> None:
    marker = site.root / "paused"
    marker.unlink(missing_ok=True)
    # unbuffered: what the run printed before the kill reaches the log (block-buffered, it would be lost)
    proc = start_run(site, log, {PAUSE_AT: point, PAUSE_MARKER: str(marker), "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            assert proc.poll() is None, (f"the run ended before reaching {point}:\n"
                                         f"{log.read_text(errors='replace')[-3000:]}")
            assert time.monotonic() < deadline, f"the run did not reach {point} in {timeout}s"
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


def _after_linkage_tables() -> set[str]:
    """The warehouse tables dbt builds after linkage: everything downstream of the dbt source
    `linkage` in the manifest `oe run` parsed (orchestration/assets/dbt.py, AFTER_LINKAGE)."""
    manifest = json.loads((REPO_ROOT / "target" / "manifest.json").read_text(encoding="utf-8"))
    children = manifest["child_map"]
    todo = [key for key, source in manifest["sources"].items() if source["source_name"] == "linkage"]
    seen: set[str] = set()
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    nodes = [manifest["nodes"][key] for key in seen if key.split(".")[0] in ("model", "seed", "snapshot")]
    return {f"warehouse:{node['schema']}.{node['alias']}" for node in nodes}


@pytest.fixture(scope="module")
def chain(tmp_path_factory, site_slot, robust_landing, uninterrupted) -> Chain:
    """One site: a run killed in each of POINTS in turn (each the re-run of the one before), then a
    re-run to the end; everything the tests check is observed as it happens. The site is kept aside
    as CHAIN_SITE."""
    logs = tmp_path_factory.mktemp("killed_chain")
    site = site_slot.fresh(robust_landing)
    chain = Chain()
    for point in POINTS:
        log = logs / f"killed-in-{point}.log"
        _kill_at(site, point, log)
        events = run_log(site.settings)
        started = [e for e in events if e["event"] == "started"]
        chain.stops[point] = Stop(
            point=point,
            run_id=started[-1]["run_id"] if started else "",
            events=events,
            statuses=_statuses(site),
            state=state_fingerprint(site.settings, partial=True),
            bronze_files=_bronze_files(site.settings),
            leftovers=_leftovers(site.settings),
            output=log.read_text(errors="replace"),
        )
        # what a run killed while writing would leave: the next run must remove it
        planted = site.settings.lake / LEFTOVER[point]
        planted.parent.mkdir(parents=True, exist_ok=True)
        planted.write_bytes(b"half a file")
        chain.planted[point] = planted
    log = logs / "rerun.log"
    proc = start_run(site, log)
    try:
        chain.final_code = proc.wait(timeout=1800)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    chain.final_output = log.read_text(errors="replace")
    chain.final_events = run_log(site.settings)
    chain.final_statuses = _statuses(site)
    chain.final_leftovers = _leftovers(site.settings)
    if chain.final_code == 0:
        chain.final_state = state_fingerprint(site.settings)
    site_slot.keep(CHAIN_SITE)
    return chain


def _baseline_bronze(site_slot) -> dict[str, str]:
    from tests.integration.pipeline_runs import site_at

    return _bronze_files(site_at(site_slot.root / BASELINE_SITE).settings)


def _keys(state: dict[str, str], *prefixes: str) -> dict[str, str]:
    return {k: v for k, v in state.items() if k.startswith(prefixes)}


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_run_is_recorded_and_its_next_run_notices_it(chain, point):
    """Run log and Dagster after each kill: the killed run started and never finished; the run before
    it (killed at the previous point) is recorded interrupted, noticed by this one, and shows failed
    in Dagster; the temporary file put where the previous run could have left one is gone."""
    stop = chain.stops[point]
    index = POINTS.index(point)
    assert stop.run_id, f"the run killed in {point} never started:\n{stop.output[-3000:]}"
    assert [e["event"] for e in stop.events] == ["started"] + ["interrupted", "started"] * index
    assert stop.events[-1]["run_id"] == stop.run_id
    assert not [e for e in stop.events if e["event"] == "finished"], "a killed run recorded itself finished"
    assert stop.statuses[stop.run_id] == "STARTED", "Dagster still shows the killed run as it was when killed"
    if index:
        previous = chain.stops[POINTS[index - 1]]
        interrupted = stop.events[-2]
        assert interrupted["run_id"] == previous.run_id and interrupted["noticed_by"] == stop.run_id
        assert stop.statuses[previous.run_id] == "FAILURE", "the interrupted run shows failed in Dagster"
        planted = chain.planted[POINTS[index - 1]]
        assert not planted.exists() and stop.leftovers == []
        assert f"removed a temporary file an interrupted run left: {planted}" in stop.output
        assert f"run {previous.run_id} started and never finished" in stop.output
    assert len(stop.statuses) == index + 1


def test_killed_mid_ingest_some_files_were_loaded_and_none_registered(chain, site_slot):
    stop = chain.stops["ingest"]
    baseline = _baseline_bronze(site_slot)
    assert 0 < len(stop.bronze_files) < len(baseline), "the run was killed with ingest half done"
    # every bronze file written before the kill is whole: the uninterrupted run's file, row for row
    assert {k: baseline.get(k) for k in stop.bronze_files} == stop.bronze_files
    assert "lake:_meta/file_manifest.parquet" not in stop.state, "the file manifest was not yet written"
    assert not _keys(stop.state, "warehouse:", "lake:linkage/", "lake:gold/", "serving:")


def test_killed_mid_dbt_ingest_was_redone_as_in_an_uninterrupted_run(chain, site_slot, uninterrupted):
    stop = chain.stops["dbt"]
    assert stop.bronze_files == _baseline_bronze(site_slot)
    redone = _keys(stop.state, "lake:bronze/", "lake:_meta/")
    assert redone and redone == _keys(uninterrupted, "lake:bronze/", "lake:_meta/")
    built = _keys(stop.state, "warehouse:")
    # half done: some tables built (each one in one transaction, so whole), not all
    assert 0 < len(built) < len(_keys(uninterrupted, "warehouse:")), sorted(built)
    assert {k: uninterrupted.get(k) for k in built} == built
    assert not _keys(stop.state, "lake:linkage/", "lake:gold/", "serving:")


def test_killed_mid_linkage_the_tables_before_linkage_are_the_uninterrupted_runs(chain, uninterrupted):
    stop = chain.stops["linkage"]
    after = _after_linkage_tables()
    assert after and after <= set(uninterrupted), sorted(after - set(uninterrupted))
    before = {k: v for k, v in _keys(uninterrupted, "warehouse:").items() if k not in after}
    assert _keys(stop.state, "warehouse:") == before
    assert _keys(stop.state, "lake:bronze/", "lake:_meta/") == _keys(uninterrupted, "lake:bronze/", "lake:_meta/")
    # half done: the first linkage output replaced (as the uninterrupted run wrote it), the others not yet
    linkage = _keys(stop.state, "lake:linkage/")
    assert linkage == {"lake:linkage/clusters.parquet": uninterrupted["lake:linkage/clusters.parquet"]}
    assert not _keys(stop.state, "lake:gold/", "serving:")


def test_killed_mid_publish_linkage_and_every_table_are_the_uninterrupted_runs(chain, uninterrupted):
    stop = chain.stops["publish"]
    assert _keys(stop.state, "warehouse:", "lake:bronze/", "lake:_meta/", "lake:linkage/") == _keys(
        uninterrupted, "warehouse:", "lake:bronze/", "lake:_meta/", "lake:linkage/")
    gold = _keys(stop.state, "lake:gold/")
    # half done: some gold files written (each whole), not all; no manifest, no serving files yet
    assert 0 < len(gold) < len(_keys(uninterrupted, "lake:gold/")), sorted(gold)
    assert {k: uninterrupted.get(k) for k in gold} == gold
    assert not _keys(stop.state, "gold-manifest:", "serving:")


def test_the_last_rerun_ends_in_the_uninterrupted_runs_state(chain, uninterrupted):
    assert chain.final_code == 0, chain.final_output[-3000:]
    publish = chain.stops["publish"]
    events = chain.final_events
    assert [e["event"] for e in events] == ["started"] + ["interrupted", "started"] * len(POINTS) + ["finished"]
    assert events[-3]["run_id"] == publish.run_id and events[-1]["status"] == "succeeded"
    final_run = events[-1]["run_id"]
    assert chain.final_statuses[final_run] == "SUCCESS"
    killed = [chain.stops[p].run_id for p in POINTS]
    assert [chain.final_statuses[r] for r in killed] == ["FAILURE"] * len(POINTS)
    assert not chain.planted["publish"].exists() and chain.final_leftovers == []
    assert differences(uninterrupted, chain.final_state) == []
    assert any(k.startswith("warehouse:marts.") for k in chain.final_state)
    assert any(k.startswith("lake:gold/") for k in chain.final_state)
    assert any(k.startswith("serving:") for k in chain.final_state)


def test_a_damaged_warehouse_is_named_and_rebuilt_from_bronze_by_one_command(tmp_path, site_slot, chain,
                                                                             uninterrupted):
    """On the site the chain of killed runs left (its state is the uninterrupted run's)."""
    assert chain.final_code == 0, "the chain of killed runs did not end"
    site = site_slot.restore(CHAIN_SITE)
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
