"""The whole pipeline at a given size: `oe bench pipeline --tier XS|S|M|L`.

For a tier (a population and a number of months of the synthetic generator) the bench

1. generates a landing zone and the delivery day after it, once, into a cache keyed by tier, seed,
   size and generator version (a hash of the generator's code and the landing contracts);
2. measures the floor: DuckDB reading every landed file once (CSV, JSON lines, Parquet);
3. runs the full pipeline through Dagster (`oe run` in a child process: real materialisations into a
   fresh lake and warehouse), sampling the resident memory of the process tree;
4. adds the next delivery day to the landing zone and runs the pipeline again (the incremental run),
   then once more with nothing new landed (the fixed cost of a run: what no delivery day goes below);
5. splits each run's wall time into stages from the Dagster step events (ingest, linkage, publish)
   and dbt's run_results.json per node (staging, conformed, marts within the two dbt steps).

`write_report` writes bench.json, report.md (with an SVG chart) and appends to history.jsonl, where
each stage is compared with the previous run of the same tier.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.governance.pseudonym import ensure_ephemeral_key

STAGES = ("ingest", "staging", "linkage", "conformed", "marts", "publish")
# Dagster steps of oe_full_pipeline and the stage each belongs to; the dbt steps are split by node.
STEP_STAGE = {"ingest_landing_zone": "ingest", "person_resolution": "linkage", "publish_marts": "publish"}
DBT_STEPS = ("oe_dbt_before_linkage", "oe_dbt_after_linkage")
# A stage this much slower than in the previous run of the same tier is flagged (and at least
# MIN_SLOWER_SECONDS slower, so that sub-second stages do not flag on noise).
SLOWER_RATIO = 1.2
MIN_SLOWER_SECONDS = 1.0
SEED = 7
START = date(2024, 1, 1)


@dataclass(frozen=True)
class Tier:
    name: str
    persons: int
    months: int
    rows_target: int


# Twelve months of the generator give about 8.6 source rows per person at 100,000 persons (862,704
# rows) and 9.7 at 11,600 (112,664 rows): persons are chosen so that 12 months reach each tier's row
# target. XS is the smallest population the generator allows, for tests.
TIERS = {
    "XS": Tier("XS", 500, 2, 1_000),
    "S": Tier("S", 10_300, 12, 100_000),
    "M": Tier("M", 116_000, 12, 1_000_000),
    "L": Tier("L", 1_160_000, 12, 10_000_000),
}


def generator_version() -> str:
    """Hash of the generator's code and the landing contracts: a cached landing zone is reused only
    when both are unchanged."""
    digest = hashlib.sha256()
    files = sorted((REPO_ROOT / "oe_platform" / "synth").glob("*.py")) + sorted((REPO_ROOT / "contracts").glob("*.yml"))
    for path in files:
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def default_bench_dir() -> Path:
    return Path(os.environ.get("OE_BENCH_DIR") or REPO_ROOT / "build" / "bench").resolve()


# ---------------------------------------------------------------------------------------------
# The cached landing zone


@dataclass
class CachedLanding:
    key: str
    folder: Path
    landing: Path  # the full landing zone
    next_day: Path  # only the files of the delivery day after it (same layout under this folder)
    files: int
    rows: int
    next_day_files: int
    next_day_rows: int
    generate_seconds: float
    reused: bool = False


def _landed_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def _link_tree(source: Path, target: Path) -> None:
    """Hard-link every file of `source` under `target` (copies when links are impossible)."""
    for path in _landed_files(source):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, dest)
        except OSError:
            shutil.copy2(path, dest)


def cached_landing(tier: Tier, bench_dir: Path, seed: int = SEED) -> CachedLanding:
    """The tier's landing zone and next delivery day, generated on first use."""
    from oe_platform.synth import generate

    key = f"{tier.name}-p{tier.persons}-m{tier.months}-s{seed}-g{generator_version()}"
    folder = bench_dir / "cache" / key
    info_path = folder / "landing.json"
    if info_path.exists():
        info = json.loads(info_path.read_text())
        return CachedLanding(key=key, folder=folder, landing=folder / "landing", next_day=folder / "next_day",
                             reused=True, **info)
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    began = time.perf_counter()
    full = generate(persons=tier.persons, seed=seed, start=START, months=tier.months, out=folder / "landing",
                    truth_out=folder / "truth", progress=False)
    # the next day is generated into a linked copy, then only its new files are kept apart
    scratch = folder / "with_next_day"
    _link_tree(folder / "landing", scratch)
    before = {p.relative_to(scratch) for p in _landed_files(scratch)}
    nxt = generate(persons=tier.persons, seed=seed, start=START, months=tier.months, out=scratch,
                   truth_out=folder / "truth_next_day", next_delivery=True, progress=False)
    for path in _landed_files(scratch):
        relative = path.relative_to(scratch)
        if relative not in before:
            (folder / "next_day" / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, folder / "next_day" / relative)
    shutil.rmtree(scratch)
    (folder / "next_day").mkdir(exist_ok=True)
    info = {
        "files": full.total_files, "rows": full.total_records,
        "next_day_files": nxt.total_files, "next_day_rows": nxt.total_records,
        "generate_seconds": round(time.perf_counter() - began, 2),
    }
    info_path.write_text(json.dumps(info, indent=2))
    return CachedLanding(key=key, folder=folder, landing=folder / "landing", next_day=folder / "next_day", **info)


# ---------------------------------------------------------------------------------------------
# The floor: DuckDB reading every landed file once


@dataclass
class Floor:
    seconds: float
    files: int
    rows: int
    skipped: list[str] = field(default_factory=list)  # files DuckDB cannot read natively (e.g. XLSX)


def _count_file(con, path: Path) -> int:
    literal = "'" + str(path).replace("'", "''") + "'"
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        query = f"select count(*) from read_parquet({literal})"
    elif suffix in (".jsonl", ".json", ".ndjson"):
        query = f"select count(*) from read_json({literal}, format = 'newline_delimited')"
    else:
        query = (f"select count(*) from read_csv({literal}, all_varchar = true, strict_mode = false, "
                 "null_padding = true)")
    import duckdb

    try:
        return int(con.execute(query).fetchone()[0])
    except duckdb.InvalidInputException:
        # a CSV that is not UTF-8 (a legacy extract): read it as latin-1, as ingest does
        if suffix in (".parquet", ".jsonl", ".json", ".ndjson"):
            raise
        return int(con.execute(query[:-1] + ", encoding = 'latin-1')").fetchone()[0])


def measure_floor(landing: Path) -> Floor:
    """Read every landed file once with DuckDB (count its rows): the least any ingest could cost."""
    import duckdb

    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    files, rows, skipped = 0, 0, []
    began = time.perf_counter()
    for path in _landed_files(landing):
        if path.suffix.lower() in (".xlsx", ".xls"):
            skipped.append(str(path.relative_to(landing)))
            continue
        rows += _count_file(con, path)
        files += 1
    con.close()
    return Floor(seconds=time.perf_counter() - began, files=files, rows=rows, skipped=skipped)


# ---------------------------------------------------------------------------------------------
# Running the pipeline and sampling memory


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        # the command name (field 2) may hold spaces: the parent pid is the 2nd field after ')'
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and all its descendants (Linux /proc)."""
    total, todo, seen = 0, [pid], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        try:
            with open(f"/proc/{current}/status") as handle:
                for line in handle:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            continue
        todo.extend(_children(current))
    return total


class MemorySampler:
    """Samples the resident memory of a process tree in a thread; keeps the peak."""

    def __init__(self, pid: int, interval: float = 0.5):
        self.pid, self.interval, self.peak = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.pid))
            self._stop.wait(self.interval)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass
class RunMeasure:
    name: str  # "full", "incremental" or "nothing_new"
    success: bool
    run_id: str
    wall_seconds: float
    peak_rss_bytes: int
    stages: dict[str, float]
    steps: dict[str, float]
    rows: int  # source rows landed for this run (the whole zone for full, the new day for incremental, 0)
    top_nodes: list[dict] = field(default_factory=list)
    log: str = ""

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.wall_seconds if self.wall_seconds else 0.0


def run_settings(run_dir: Path) -> Settings:
    """The paths of a bench run: everything under run_dir, no shared police_uk data."""
    return load_settings(landing=run_dir / "landing", lake=run_dir / "lake", warehouse=run_dir / "oe.duckdb",
                         shared_data=run_dir / "no-shared-data")


RUN_ID = re.compile(r"Dagster run ([0-9a-f-]{36})")


def run_pipeline_process(run_dir: Path, name: str, rows: int, target: str = "dev") -> RunMeasure:
    """`oe run` in a child process over run_dir's landing/lake/warehouse, with its own Dagster home and
    dbt target path; returns wall time, peak memory of the process tree and the stage split."""
    dagster_home = run_dir / "dagster_home"
    dbt_target = run_dir / "dbt_target" / name
    dagster_home.mkdir(parents=True, exist_ok=True)
    dbt_target.mkdir(parents=True, exist_ok=True)
    settings = run_settings(run_dir)
    # start from the parse the bench made (same settings and target), as `oe run` does from target/
    parsed = REPO_ROOT / "target" / "partial_parse.msgpack"
    if parsed.exists():
        shutil.copy2(parsed, dbt_target / parsed.name)
    env = {**os.environ, **settings.env(), "DAGSTER_HOME": str(dagster_home), "DBT_TARGET_PATH": str(dbt_target),
           "DBT_PROFILES_DIR": str(REPO_ROOT), "OE_DBT_TARGET": target, "PYTHONUNBUFFERED": "1"}
    if target == "spark":
        # the spark target's catalogue (warehouse folder, Derby metastore, scratch) is the run's own, as
        # the DuckDB file is on dev: the incremental run finds the full run's tables there
        env["OE_SPARK_DIR"] = str(run_dir / "spark")
    ensure_ephemeral_key(env)  # synthetic data: the wide-sharing marts are published with a throw-away key
    oe = Path(sys.executable).parent / "oe"
    log_path = run_dir / f"{name}.log"
    began = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen([str(oe), "run"], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        with MemorySampler(process.pid) as sampler:
            returncode = process.wait()
    wall = time.perf_counter() - began
    text = log_path.read_text(errors="replace")
    found = RUN_ID.search(text)
    run_id = found.group(1) if found else ""
    steps = step_seconds(dagster_home, run_id) if run_id else {}
    nodes = dbt_node_timings(dbt_target, run_id) if run_id else []
    stages = split_stages(steps, nodes)
    top = sorted(nodes, key=lambda n: -n["seconds"])[:15]
    return RunMeasure(name=name, success=returncode == 0, run_id=run_id, wall_seconds=wall,
                      peak_rss_bytes=sampler.peak, stages=stages, steps=steps, rows=rows, top_nodes=top,
                      log=str(log_path))


def step_seconds(dagster_home: Path, run_id: str) -> dict[str, float]:
    """Seconds per Dagster step of a run, from STEP_START to STEP_SUCCESS/STEP_FAILURE in the event log."""
    from dagster import DagsterEventType, DagsterInstance

    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    ends = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    with DagsterInstance.from_config(str(dagster_home)) as instance:
        for entry in instance.all_logs(run_id):
            event = entry.dagster_event
            if event is None or not entry.step_key:
                continue
            if event.event_type == DagsterEventType.STEP_START:
                started[entry.step_key] = entry.timestamp
            elif event.event_type in ends and entry.step_key in started:
                seconds[entry.step_key] = entry.timestamp - started[entry.step_key]
    return seconds


def _layer(node: dict, nodes: dict) -> str:
    """The pipeline stage of a dbt node: its folder under models/ (seeds count as staging); a test or
    unit test belongs to the stage of the model it tests."""
    if node["resource_type"] in ("test", "unit_test"):
        parents = [nodes[p] for p in node.get("depends_on", {}).get("nodes", []) if p in nodes
                   and nodes[p]["resource_type"] not in ("test", "unit_test")]
        # a relationships test depends on two models: the one it is attached to decides
        attached = node.get("attached_node")
        parents.sort(key=lambda p: p.get("unique_id") != attached)
        return _layer(parents[0], nodes) if parents else "staging"
    if node["resource_type"] == "seed":
        return "staging"
    parts = Path(node.get("original_file_path", "")).parts
    if len(parts) > 1 and parts[0] == "models":
        return {"conformed": "conformed", "marts": "marts"}.get(parts[1], "staging")
    return "staging"


def dbt_node_timings(dbt_target: Path, run_id: str) -> list[dict]:
    """Every dbt node executed by the run's two dbt steps: step, unique id, stage, status and seconds."""
    rows = []
    for step in DBT_STEPS:
        for folder in sorted(dbt_target.glob(f"{step}-{run_id[:7]}-*")):
            results_path, manifest_path = folder / "run_results.json", folder / "manifest.json"
            if not results_path.exists() or not manifest_path.exists():
                continue
            manifest = json.loads(manifest_path.read_text())
            nodes = {**manifest.get("nodes", {}), **manifest.get("unit_tests", {})}
            for uid, node in nodes.items():
                node.setdefault("unique_id", uid)
            for result in json.loads(results_path.read_text())["results"]:
                uid = result["unique_id"]
                node = nodes.get(uid)
                rows.append({
                    "step": step, "unique_id": uid, "status": result["status"],
                    "stage": _layer(node, nodes) if node else "staging",
                    "seconds": round(float(result.get("execution_time") or 0.0), 3),
                })
    return rows


def split_stages(steps: dict[str, float], nodes: Iterable[dict]) -> dict[str, float]:
    """Wall seconds per stage. Ingest, linkage and publish are Dagster steps; each dbt step's wall
    time (two threads, so node times overlap) is shared between staging, conformed and marts in
    proportion to the node seconds of each. The stages add up to the steps' total."""
    stages = dict.fromkeys(STAGES, 0.0)
    for step, seconds in steps.items():
        if step in STEP_STAGE:
            stages[STEP_STAGE[step]] += seconds
    nodes = list(nodes)
    for step in DBT_STEPS:
        if step not in steps:
            continue
        by_stage: dict[str, float] = {}
        for node in nodes:
            if node["step"] == step:
                by_stage[node["stage"]] = by_stage.get(node["stage"], 0.0) + node["seconds"]
        total = sum(by_stage.values())
        if not total:  # no node timings: the whole step goes to the stage its models mostly are
            stages["staging" if step == DBT_STEPS[0] else "conformed"] += steps[step]
            continue
        for stage, seconds in by_stage.items():
            stages[stage] += steps[step] * seconds / total
    return {k: round(v, 2) for k, v in stages.items()}


# ---------------------------------------------------------------------------------------------
# The benchmark


@dataclass
class BenchReport:
    tier: str
    persons: int
    months: int
    seed: int
    target: str
    generator_version: str
    landing_key: str
    landing_files: int
    landing_rows: int
    next_day_files: int
    next_day_rows: int
    landing_reused: bool
    floor: Floor
    runs: list[RunMeasure]
    started_at: str
    machine: dict
    definitions_load_seconds: list[float] = field(default_factory=list)
    comparison: dict = field(default_factory=dict)
    run_dir: str = ""

    @property
    def success(self) -> bool:
        return all(r.success for r in self.runs)

    def to_json(self) -> dict:
        data = asdict(self)
        for run, measured in zip(data["runs"], self.runs, strict=True):
            run["rows_per_second"] = round(measured.rows_per_second, 1)
        full = self.runs[0] if self.runs else None
        over = full.wall_seconds / self.floor.seconds if full and self.floor.seconds else None
        data["full_over_floor"] = round(over, 2) if over else None
        if full and full.wall_seconds:
            for run in self.runs[1:]:
                data[f"{run.name}_over_full"] = round(run.wall_seconds / full.wall_seconds, 3)
        return data


DEFINITIONS_LOADS = 3


def measure_definitions_load(settings: Settings, times: int = DEFINITIONS_LOADS) -> list[float]:
    """Seconds for a new Python process to load the Dagster definitions (`orchestration.definitions`:
    Dagster, dagster-dbt and dbt imported, every asset and check built from target/manifest.json), as
    `oe run`, `oe ui` and the daemon's code server each do on start; `times` fresh processes, the
    interpreter's own start measured apart and left out."""
    env = {**os.environ, **settings.env(), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    code = ("import time; t = time.perf_counter(); import orchestration.definitions as d; "
            "d.defs.resolve_all_asset_specs(); print(time.perf_counter() - t)")
    seconds = []
    for _ in range(times):
        done = subprocess.run([sys.executable, "-c", code], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"loading the Dagster definitions failed:\n{done.stderr[-3000:]}")
        seconds.append(round(float(done.stdout.strip().splitlines()[-1]), 2))
    return seconds


def _machine() -> dict:
    mem = 0
    try:
        with open("/proc/meminfo") as handle:
            mem = int(handle.readline().split()[1]) * 1024
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "memory_bytes": mem, "python": sys.version.split()[0]}


def bench_pipeline(tier: Tier, bench_dir: Path, seed: int = SEED, target: str = "dev",
                   incremental: bool = True, keep: bool = False, nothing_new: bool = True) -> BenchReport:
    """Generate (or reuse) the tier's landing zone, measure the floor, run the full pipeline, then the
    incremental day and (`nothing_new`) a run with nothing new landed; the run's folder is removed
    afterwards unless `keep`."""
    from oe_platform.dbt_runner import prepare_manifest

    bench_dir.mkdir(parents=True, exist_ok=True)
    started_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    cached = cached_landing(tier, bench_dir, seed)
    run_dir = bench_dir / "runs" / f"{tier.name}-{started_at.replace(':', '')}"
    shutil.rmtree(run_dir, ignore_errors=True)
    _link_tree(cached.landing, run_dir / "landing")
    # the definitions load target/manifest.json: it must match the project being run
    os.environ["OE_DBT_TARGET"] = target
    prepare_manifest(run_settings(run_dir))
    floor = measure_floor(run_dir / "landing")
    definitions = measure_definitions_load(run_settings(run_dir))
    runs = [run_pipeline_process(run_dir, "full", cached.rows, target)]
    if incremental and runs[0].success:
        _link_tree(cached.next_day, run_dir / "landing")
        runs.append(run_pipeline_process(run_dir, "incremental", cached.next_day_rows, target))
        if nothing_new and runs[-1].success:
            runs.append(run_pipeline_process(run_dir, "nothing_new", 0, target))
    report = BenchReport(
        tier=tier.name, persons=tier.persons, months=tier.months, seed=seed, target=target,
        generator_version=generator_version(), landing_key=cached.key, landing_files=cached.files,
        landing_rows=cached.rows, next_day_files=cached.next_day_files, next_day_rows=cached.next_day_rows,
        landing_reused=cached.reused, floor=floor, runs=runs, started_at=started_at, machine=_machine(),
        run_dir=str(run_dir), definitions_load_seconds=definitions,
    )
    if not keep and report.success:
        shutil.rmtree(run_dir, ignore_errors=True)
    return report


# ---------------------------------------------------------------------------------------------
# History, table, chart and report


def compare_with_previous(report: dict, history: list[dict]) -> dict:
    """Per run and stage: the previous run of the same tier, size and target, the ratio, and a flag when a
    stage is more than 20% (and a second) slower."""
    def same_size(h: dict) -> bool:  # --persons/--months overrides are another size
        return all(h.get(k) == report.get(k) for k in ("tier", "target", "persons", "months"))

    previous = next((h for h in reversed(history) if same_size(h) and h.get("success", True)), None)
    if previous is None:
        return {"previous": None, "slower": []}
    slower, ratios = [], {}
    before_runs = {r["name"]: r for r in previous["runs"]}
    for run in report["runs"]:
        before = before_runs.get(run["name"])
        if not before:
            continue
        pairs = {**{s: (run["stages"].get(s, 0.0), before["stages"].get(s, 0.0)) for s in STAGES},
                 "total": (run["wall_seconds"], before["wall_seconds"])}
        for stage, (now, then) in pairs.items():
            ratio = now / then if then else None
            ratios[f"{run['name']}.{stage}"] = round(ratio, 2) if ratio else None
            if then and now > then * SLOWER_RATIO and now - then >= MIN_SLOWER_SECONDS:
                slower.append({"run": run["name"], "stage": stage, "seconds": now, "previous_seconds": then,
                               "ratio": round(now / then, 2)})
    return {"previous": previous["started_at"], "ratios": ratios, "slower": slower}


def read_history(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def format_table(report: dict) -> str:
    """The stage table printed by the CLI (seconds, share of the run)."""
    runs = report["runs"]
    header = f"{'stage':<12}" + "".join(f"{r['name']:>14}{'share':>7}" for r in runs)
    lines = [header, "-" * len(header)]
    for stage in STAGES:
        cells = ""
        for run in runs:
            seconds = run["stages"].get(stage, 0.0)
            share = seconds / run["wall_seconds"] * 100 if run["wall_seconds"] else 0.0
            cells += f"{seconds:>13.1f}s{share:>6.0f}%"
        lines.append(f"{stage:<12}{cells}")
    lines.append(f"{'other':<12}" + "".join(
        f"{r['wall_seconds'] - sum(r['stages'].values()):>13.1f}s{'':>7}" for r in runs))
    lines.append(f"{'wall':<12}" + "".join(f"{r['wall_seconds']:>13.1f}s{'':>7}" for r in runs))
    lines.append(f"{'peak RSS':<12}" + "".join(f"{r['peak_rss_bytes'] / 2**30:>12.2f}GB{'':>7}" for r in runs))
    lines.append(f"{'rows/s':<12}" + "".join(f"{r['rows_per_second']:>14,.0f}{'':>7}" for r in runs))
    floor = report["floor"]
    lines.append(f"floor (DuckDB reads every landed file once): {floor['seconds']:.1f} s for {floor['files']:,} files, "
                 f"{floor['rows']:,} rows; full run = {report.get('full_over_floor')}× the floor")
    if "incremental_over_full" in report:
        lines.append(f"incremental day = {report['incremental_over_full'] * 100:.1f}% of the full run")
    if "nothing_new_over_full" in report:
        lines.append(f"a run with nothing new landed = {report['nothing_new_over_full'] * 100:.1f}% of the full "
                     "run (the fixed cost of a run)")
    if report.get("definitions_load_seconds"):
        loads = sorted(report["definitions_load_seconds"])
        lines.append(f"Dagster definitions load (new process, median of {len(loads)}): {loads[len(loads) // 2]:.2f} s")
    for slow in report.get("comparison", {}).get("slower", []):
        lines.append(f"SLOWER: {slow['run']} {slow['stage']} {slow['seconds']:.1f}s vs {slow['previous_seconds']:.1f}s "
                     f"({slow['ratio']}×)")
    return "\n".join(lines)


COLOURS = {"ingest": "#4e79a7", "staging": "#f28e2b", "linkage": "#e15759", "conformed": "#76b7b2",
           "marts": "#59a14f", "publish": "#edc948", "other": "#bab0ac"}


def stage_chart_svg(report: dict, width: int = 720) -> str:
    """A stacked horizontal bar per run (stages in seconds), plus the floor, as an inline SVG."""
    rows = [(r["name"], [(s, r["stages"].get(s, 0.0)) for s in STAGES]
             + [("other", max(r["wall_seconds"] - sum(r["stages"].values()), 0.0))]) for r in report["runs"]]
    rows.append(("floor", [("ingest", report["floor"]["seconds"])]))
    longest = max((sum(v for _, v in parts) for _, parts in rows), default=1.0) or 1.0
    left, bar_h, gap, top = 100, 26, 14, 30
    plot = width - left - 20
    height = top + len(rows) * (bar_h + gap) + 40
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'font-family="sans-serif" font-size="12">',
           f'<text x="{left}" y="18">wall seconds per stage, tier {report["tier"]}</text>']
    for i, (name, parts) in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(f'<text x="{left - 8}" y="{y + bar_h / 2 + 4}" text-anchor="end">{name}</text>')
        x = float(left)
        for stage, seconds in parts:
            w = plot * seconds / longest
            if w <= 0:
                continue
            out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{COLOURS[stage]}">'
                       f'<title>{stage}: {seconds:.1f} s</title></rect>')
            x += w
        out.append(f'<text x="{x + 4:.1f}" y="{y + bar_h / 2 + 4}">{sum(v for _, v in parts):.1f} s</text>')
    y = top + len(rows) * (bar_h + gap) + 10
    x = left
    for stage, colour in COLOURS.items():
        out.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>'
                   f'<text x="{x + 16}" y="{y + 11}">{stage}</text>')
        x += 90
    out.append("</svg>")
    return "\n".join(out)


def format_markdown(report: dict, chart_name: str) -> str:
    lines = [f"# Pipeline bench: tier {report['tier']} ({report['target']})", "",
             f"{report['started_at']}; {report['persons']:,} persons × {report['months']} months, "
             f"seed {report['seed']}, "
             f"generator {report['generator_version']}; {report['landing_files']:,} files, {report['landing_rows']:,} "
             f"source rows; next day {report['next_day_files']:,} files, {report['next_day_rows']:,} rows; machine "
             f"{report['machine']['cpus']} CPUs, {report['machine']['memory_bytes'] / 2**30:.0f} GB.", "",
             f"![stages]({chart_name})", "", "```", format_table(report), "```", ""]
    comparison = report.get("comparison") or {}
    if comparison.get("previous"):
        slower = comparison["slower"]
        lines += [f"Compared with the previous tier {report['tier']} run ({comparison['previous']}): "
                  + ("no stage more than 20% slower." if not slower else
                     "; ".join(f"**{s['run']} {s['stage']} {s['ratio']}× slower**" for s in slower)), ""]
    else:
        lines += ["No previous run of this tier in the history.", ""]
    for run in report["runs"]:
        if not run["top_nodes"]:
            continue
        lines += [f"## Slowest dbt nodes, {run['name']} run", "", "| node | step | stage | seconds |",
                  "| --- | --- | --- | ---: |"]
        lines += [f"| {n['unique_id']} | {n['step']} | {n['stage']} | {n['seconds']:.1f} |" for n in run["top_nodes"]]
        lines.append("")
    return "\n".join(lines)


def write_report(report: BenchReport, out_dir: Path, history_path: Path) -> dict:
    """bench.json, report.md and stages.svg under out_dir; the run appended to history_path, compared
    with the previous run of the same tier. Returns the JSON written."""
    data = report.to_json()
    data["comparison"] = compare_with_previous(data, read_history(history_path))
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "bench.json").write_text(json.dumps(data, indent=2))
    (out_dir / "stages.svg").write_text(stage_chart_svg(data))
    (out_dir / "report.md").write_text(format_markdown(data, "stages.svg"))
    history_path.parent.mkdir(parents=True, exist_ok=True)
    with open(history_path, "a") as handle:
        kept = ("tier", "target", "started_at", "persons", "months", "landing_rows", "generator_version", "floor",
                "runs", "definitions_load_seconds", "full_over_floor")
        handle.write(json.dumps({k: data[k] for k in kept} | {"success": report.success}) + "\n")
    return data
