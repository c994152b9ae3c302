"""Crash safety (issue 10): `oe run` killed with SIGKILL during ingest, the dbt build, linkage and
publish, then run again, ends in exactly the state of an uninterrupted run: every warehouse table,
bronze/_meta/linkage/gold Parquet set and serving table compared by row count and a checksum of its
sorted rows (columns that only say when or in which run a row was written left out). With them, on
the same site, a damaged warehouse (named, then rebuilt from bronze by one command) and two runs
started at once (one waits for the other).

The faults are chained on one site, as a bad day would chain them:
1. a run killed mid-ingest; 2. its re-run killed mid-dbt; 3. that one's re-run killed mid-linkage;
4. the warehouse file damaged: the next run fails at once, naming it and `oe rebuild-warehouse`;
5. `oe rebuild-warehouse` killed mid-publish; 6. two `oe run`s started at once: both complete, one
after the other, and the site ends in the uninterrupted run's state.
Each run is paused at a real point inside its stage (oe_platform/pause.py: with that stage's work
half done) and its whole process group is killed there, as a crash would, dbt child included. At
each kill the tests check the run log and Dagster's record of the run before, that the stage was
really half done (what it wrote so far whole, as the uninterrupted run wrote it), and that what the
killed run had already redone (the stages before its own) equals the uninterrupted run's state; at
the end, the whole state.

Cost: the shared uninterrupted baseline, about three whole runs for the chain (each run redoes every
stage up to its kill), one more for the second of the two runs at once, and a run that stops at its
first step (the damaged warehouse)."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.landing.reconcile import reconcile
from oe_platform.pause import PAUSE_AT, PAUSE_MARKER, POINTS
from tests.conftest import BASELINE_SITE
from tests.integration.pipeline_runs import (
    Site,
    differences,
    file_checksum,
    run_log,
    run_to_end,
    site_at,
    start_run,
    state_fingerprint,
)

pytestmark = [pytest.mark.slow, pytest.mark.faults]

# where a run killed in each stage could leave a temporary file (written beside its target, renamed
# over it): one is put there after each kill, and the next run must remove it
LEFTOVER = {"ingest": "bronze/.crime.parquet.tmp", "dbt": "_meta/.file_manifest.parquet.tmp",
            "linkage": "linkage/.pairs.parquet.tmp", "publish": "gold/.manifest.json.tmp"}
# the run log after each kill (the log is append-only: each step adds to the one before)
LOG_AFTER = {
    "ingest": ["started"],
    "dbt": ["started", "interrupted", "started"],
    "linkage": ["started", "interrupted", "started", "interrupted", "started"],
    # the run that found the warehouse damaged (noticing the run killed in linkage), then
    # `oe rebuild-warehouse`: the lock held to move the file aside, and its run, killed in publish
    "publish": ["started", "interrupted", "started", "interrupted", "started",
                "interrupted", "started", "finished", "started", "finished", "started"],
}
# two runs at once: the first notices the run killed in publish; the second waits for the first
LOG_AT_END = [*LOG_AFTER["publish"], "interrupted", "started", "waiting", "finished", "started", "finished"]
# the output of each run unbuffered: what a killed run printed reaches its log
UNBUFFERED = {"PYTHONUNBUFFERED": "1"}
# views dbt's on-run-start hook puts over linkage's Parquet outputs in the lake (empty until linkage
# has written them): they show the lake's linkage files, not what the dbt build has built
LINKAGE_VIEWS = "warehouse:linkage."


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
    site: Site
    stops: dict[str, Stop] = field(default_factory=dict)
    planted: dict[str, Path] = field(default_factory=dict)  # leftover planted after each kill
    damaged_code: int | None = None  # the run that found the warehouse damaged
    damaged_output: str = ""
    damaged_events: list[dict] = field(default_factory=list)
    final_codes: list[int] = field(default_factory=list)  # the two runs started at once
    final_outputs: list[str] = field(default_factory=list)
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


def _kill_at(site: Site, point: str, log: Path, command: str = "run", timeout: float = 1800) -> None:
    marker = site.root / "paused"
    marker.unlink(missing_ok=True)
    proc = start_run(site, log, {PAUSE_AT: point, PAUSE_MARKER: str(marker), **UNBUFFERED}, command)
    deadline = time.monotonic() + timeout
    try:
        while not marker.exists():
            assert proc.poll() is None, (f"`oe {command}` ended before reaching {point}:\n"
                                         f"{log.read_text(errors='replace')[-3000:]}")
            assert time.monotonic() < deadline, f"`oe {command}` did not reach {point} in {timeout}s"
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)


def _stop(site: Site, point: str, log: Path) -> Stop:
    events = run_log(site.settings)
    started = [e for e in events if e["event"] == "started"]
    return Stop(point=point, run_id=started[-1]["run_id"] if started else "", events=events,
                statuses=_statuses(site), state=state_fingerprint(site.settings, partial=True),
                bronze_files=_bronze_files(site.settings), leftovers=_leftovers(site.settings),
                output=log.read_text(errors="replace"))


def _plant_leftover(chain: Chain, point: str) -> None:
    """What a run killed while writing a file leaves beside it: the next run must remove it."""
    planted = chain.site.settings.lake / LEFTOVER[point]
    planted.parent.mkdir(parents=True, exist_ok=True)
    planted.write_bytes(b"half a file")
    chain.planted[point] = planted


def _two_runs_at_once(chain: Chain, logs: Path) -> None:
    site = chain.site
    procs = [start_run(site, logs / "first.log", UNBUFFERED)]
    time.sleep(0.5)
    procs.append(start_run(site, logs / "second.log", UNBUFFERED))
    try:
        chain.final_codes = [p.wait(timeout=3600) for p in procs]
    finally:
        for proc in procs:
            if proc.poll() is None:  # timed out: leave no run behind
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
    chain.final_outputs = [(logs / name).read_text(errors="replace") for name in ("first.log", "second.log")]


@pytest.fixture(scope="module")
def chain(tmp_path_factory, site_slot, robust_landing, uninterrupted) -> Chain:
    """The chain of faults of the module docstring on one site, everything the tests check observed
    as it happens. The site stays in the slot for this module's tests (the next site replaces it)."""
    logs = tmp_path_factory.mktemp("killed_chain")
    chain = Chain(site_slot.fresh(robust_landing))
    site = chain.site
    for point in ("ingest", "dbt", "linkage"):
        log = logs / f"killed-in-{point}.log"
        _kill_at(site, point, log)
        chain.stops[point] = _stop(site, point, log)
        _plant_leftover(chain, point)

    with site.settings.warehouse.open("r+b") as handle:  # overwrite the header: DuckDB cannot open it
        handle.write(b"not a duckdb file" * 512)
    log = logs / "damaged.log"
    chain.damaged_code = run_to_end(site, log, extra_env=UNBUFFERED)
    chain.damaged_output = log.read_text(errors="replace")
    chain.damaged_events = run_log(site.settings)
    if chain.damaged_code == 0:
        return chain  # the tests say what went wrong

    log = logs / "rebuild-killed-in-publish.log"
    _kill_at(site, "publish", log, command="rebuild-warehouse")
    chain.stops["publish"] = _stop(site, "publish", log)
    _plant_leftover(chain, "publish")

    _two_runs_at_once(chain, logs)
    chain.final_events = run_log(site.settings)
    chain.final_statuses = _statuses(site)
    chain.final_leftovers = _leftovers(site.settings)
    if chain.final_codes == [0, 0]:
        chain.final_state = state_fingerprint(site.settings)
    return chain


def _baseline_bronze(site_slot) -> dict[str, str]:
    return _bronze_files(site_at(site_slot.root / BASELINE_SITE).settings)


def _keys(state: dict[str, str], *prefixes: str) -> dict[str, str]:
    return {k: v for k, v in state.items() if k.startswith(prefixes)}


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


def _noticed(events: list[dict], run_id: str) -> dict:
    """The run log's `interrupted` record for run_id."""
    found = [e for e in events if e["event"] == "interrupted" and e["run_id"] == run_id]
    assert len(found) == 1, f"run {run_id} is recorded interrupted {len(found)} times"
    return found[0]


@pytest.mark.parametrize("point", POINTS)
def test_a_killed_run_is_recorded_and_the_next_run_notices_it(chain, point):
    """Run log and Dagster after each kill: the killed run started and never finished; the run killed
    before it is recorded interrupted, noticed by the run after it, and shows failed in Dagster; the
    temporary file put where that run could have left one is gone, and the noticing run said so."""
    stop = chain.stops.get(point)
    assert stop is not None and stop.run_id, f"no run was killed in {point}"
    assert [e["event"] for e in stop.events] == LOG_AFTER[point]
    assert stop.events[-1]["run_id"] == stop.run_id, "the killed run is the last one started"
    assert stop.statuses[stop.run_id] == "STARTED", "Dagster shows the killed run as it was when killed"
    index = POINTS.index(point)
    if not index:
        return
    previous = chain.stops[POINTS[index - 1]]
    noticed = _noticed(stop.events, previous.run_id)
    assert stop.statuses[previous.run_id] == "FAILURE", "the interrupted run shows failed in Dagster"
    # the run killed in linkage was noticed by the next run, the one that found the warehouse damaged
    noticer, output = stop.run_id, stop.output
    if point == "publish":
        noticer, output = chain.damaged_events[-1]["run_id"], chain.damaged_output
        assert noticer != stop.run_id and stop.statuses[noticer] == "FAILURE"
    assert noticed["noticed_by"] == noticer
    planted = chain.planted[previous.point]
    assert not planted.exists() and stop.leftovers == []
    assert f"removed a temporary file an interrupted run left: {planted}" in output
    assert f"run {previous.run_id} started and never finished" in output


def test_killed_mid_ingest_some_files_were_loaded_whole_and_none_registered(chain, site_slot):
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
    built = {k: v for k, v in _keys(stop.state, "warehouse:").items() if not k.startswith(LINKAGE_VIEWS)}
    # half done: some tables built (each one in one transaction, so whole), not all
    assert 0 < len(built) < len(_keys(uninterrupted, "warehouse:")), sorted(built)
    assert {k: uninterrupted.get(k) for k in built} == built
    assert not _keys(stop.state, "lake:linkage/", "lake:gold/", "serving:")
    views = _keys(stop.state, LINKAGE_VIEWS)
    assert views and all(v.startswith("0 rows") for v in views.values()), "linkage has not written yet"


def test_killed_mid_linkage_the_tables_before_linkage_are_the_uninterrupted_runs(chain, uninterrupted):
    stop = chain.stops["linkage"]
    after = _after_linkage_tables()
    assert after and after <= set(uninterrupted), sorted(after - set(uninterrupted))
    before = {k: v for k, v in _keys(uninterrupted, "warehouse:").items()
              if k not in after and not k.startswith(LINKAGE_VIEWS)}
    assert {k: v for k, v in _keys(stop.state, "warehouse:").items() if not k.startswith(LINKAGE_VIEWS)} == before
    assert _keys(stop.state, "lake:bronze/", "lake:_meta/") == _keys(uninterrupted, "lake:bronze/", "lake:_meta/")
    # half done: the first linkage output replaced (as the uninterrupted run wrote it), the others not yet
    linkage = _keys(stop.state, "lake:linkage/")
    assert linkage == {"lake:linkage/clusters.parquet": uninterrupted["lake:linkage/clusters.parquet"]}
    assert not _keys(stop.state, "lake:gold/", "serving:")


def test_a_damaged_warehouse_stops_the_next_run_naming_the_file_and_the_command(chain):
    warehouse = chain.site.settings.warehouse
    assert chain.damaged_code not in (None, 0), chain.damaged_output[-3000:]
    assert f"the warehouse file {warehouse} cannot be opened" in chain.damaged_output
    assert "oe rebuild-warehouse" in chain.damaged_output and "Nothing accepted is lost" in chain.damaged_output
    finished = chain.damaged_events[-1]
    assert finished["event"] == "finished" and finished["status"] == "failed"
    assert str(warehouse) in finished.get("error", "")


def test_rebuild_warehouse_killed_mid_publish_had_rebuilt_every_table_as_the_uninterrupted_run(
        chain, uninterrupted):
    """`oe rebuild-warehouse` moved the damaged file aside and rebuilt the warehouse from bronze (every
    table as the uninterrupted run built it, linkage's outputs too) before it was killed in publish."""
    stop = chain.stops["publish"]
    assert "moved aside" in stop.output
    warehouse = chain.site.settings.warehouse
    kept = list(warehouse.parent.glob(f"{warehouse.name}.damaged-*"))
    assert kept and kept[0].read_bytes().startswith(b"not a duckdb file"), "the damaged file is kept aside"
    rebuilt = ("warehouse:", "lake:bronze/", "lake:_meta/", "lake:linkage/")
    assert _keys(stop.state, *rebuilt) == _keys(uninterrupted, *rebuilt)
    gold = _keys(stop.state, "lake:gold/")
    # half done: some gold files written (each whole), not all; no manifest, no serving files yet
    assert 0 < len(gold) < len(_keys(uninterrupted, "lake:gold/")), sorted(gold)
    assert {k: uninterrupted.get(k) for k in gold} == gold
    assert not _keys(stop.state, "gold-manifest:", "serving:")


def test_two_runs_started_at_once_end_the_chain_one_after_the_other(chain, uninterrupted):
    """The last step: two `oe run`s at once. One waits for the other, saying for which run; both
    complete; the first noticed the run killed in publish; the site ends in the uninterrupted run's
    state, every landed file loaded once, every person once."""
    assert chain.final_codes == [0, 0], "\n".join(out[-3000:] for out in chain.final_outputs)
    events = chain.final_events
    assert [e["event"] for e in events] == LOG_AT_END
    interrupted, first, waiting, first_done, second, second_done = events[-6:]
    assert interrupted["run_id"] == chain.stops["publish"].run_id and interrupted["noticed_by"] == first["run_id"]
    assert waiting["run_id"] == second["run_id"] and waiting["holder"] == first["run_id"]
    assert first_done["run_id"] == first["run_id"] and second_done["run_id"] == second["run_id"]
    assert first_done["status"] == second_done["status"] == "succeeded"
    assert second["at"] >= first_done["at"], "the second run started only after the first finished"
    assert len([out for out in chain.final_outputs if "waiting for run" in out]) == 1, "exactly one run waited"
    statuses = chain.final_statuses
    assert statuses[first["run_id"]] == statuses[second["run_id"]] == "SUCCESS"
    killed = [chain.stops[p].run_id for p in POINTS]
    assert [statuses[r] for r in killed] == ["FAILURE"] * len(POINTS)
    assert not chain.planted["publish"].exists() and chain.final_leftovers == []

    # the linkage state is the incremental linkage's own store: after more runs it holds more files
    # (one per run that scored new pairs, docs/linkage.md); every output it leads to is compared
    def outputs(state: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in state.items() if not k.startswith("lake:linkage/state/")}

    assert differences(outputs(uninterrupted), outputs(chain.final_state)) == []
    for prefix in ("warehouse:marts.", "lake:gold/", "serving:"):
        assert any(k.startswith(prefix) for k in chain.final_state), prefix
    # the state of one run: every landed file loaded once, bronze reconciles, every person once
    settings = chain.site.settings
    assert reconcile(settings) == []
    manifest = str(settings.meta / "file_manifest.parquet")
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        loaded_twice = con.execute("select path from read_parquet(?) where status = 'loaded' "
                                   "group by 1 having count(*) > 1", [manifest]).fetchall()
        assert loaded_twice == [], "a file was loaded twice"
        persons, resolved, records = con.execute(
            "select (select count(*) from conformed.person), "
            "(select count(distinct person_id) from conformed.person_source_record), "
            "(select count(*) from conformed.person_source_record)"
        ).fetchone()
        assert persons == resolved > 50
        assert resolved < records, "linkage resolved records from several sources to one person"
    finally:
        con.close()
