"""Throughput benchmarks: `oe bench ingest [--rows N]`; `oe bench delivery` (oe_platform/bench_delivery.py).

`bench_ingest` builds a large landing zone in a scratch folder and measures how fast ingest turns it
into bronze: rows read per second, end to end (discovery, checksums, parsing, bronze/rejects/warnings
Parquet, manifest), then checks reconciliation. The landing zone is synthesised from the landing
contracts themselves — every layout of every source (CSV in each delimiter and encoding, JSON lines
with nested arrays, Parquet, a little XLSX) — with plausible text, dates in each layout's format,
local codes, quoted fields with commas, some formula-like cells, and (by default) a few dirty files
with ragged rows so the careful parser is part of the measure. The synthetic generator
(`oe generate`) writes realistic but small deliveries; this builder reaches a million rows in
seconds.
"""

from __future__ import annotations

import csv
import io
import json
import random
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

import click
import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.config import load_settings
from oe_platform.contracts import DATE_PATTERNS, NATIONAL, Contract, FileSpec, Layout, load_contracts

# Share of the rows each format gets (XLSX is slow to write and rare in practice).
FORMAT_WEIGHTS = {"csv": 1.0, "jsonl": 0.6, "parquet": 0.5, "xlsx": 0.01}
ROWS_PER_FILE = 100_000
SKIP_SOURCES = {"police_uk"}  # real open data: never synthesised
BENCH_PARTNER = "bench-partner"


@dataclass
class BenchResult:
    rows_target: int
    files: int
    landing_bytes: int
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    rows_flagged: int
    seconds: float
    workers: int
    build_seconds: float
    modes: dict[str, int] = field(default_factory=dict)
    reconciled: bool = True

    @property
    def rows_per_second(self) -> float:
        return self.rows_read / self.seconds if self.seconds else 0.0

    def as_text(self) -> str:
        modes = ", ".join(f"{mode} {n}" for mode, n in sorted(self.modes.items()))
        return (
            f"ingest: {self.rows_read:,} rows read from {self.files:,} files ({self.landing_bytes / 1e6:,.0f} MB) "
            f"in {self.seconds:.1f} s with {self.workers} worker(s): {self.rows_per_second:,.0f} rows/s\n"
            f"  accepted {self.rows_accepted:,}, rejected {self.rows_rejected:,}, flagged {self.rows_flagged:,}; "
            f"files by parser: {modes}\n"
            f"  reconciliation: {'every row accounted for' if self.reconciled else 'FAILED'}; "
            f"landing zone built in {self.build_seconds:.1f} s"
        )


# ---------------------------------------------------------------------------------------------
# Building a landing zone from the contracts


class _Values:
    """Plausible delivered values for one layout, column by column: key columns unique, the others
    cycling through a pool of varied values (dates in the layout's format, local codes, quoted
    commas, formula-like cells, empty values)."""

    POOL = 997

    def __init__(self, contract: Contract, layout: Layout, rnd: random.Random):
        self.contract, self.layout, self.rnd = contract, layout, rnd
        self.date_fmt, self.datetime_fmt = DATE_PATTERNS[layout.date_format]
        self._pools: dict[tuple[str, str, bool], list] = {}

    def _pool(self, entity: str, canonical: str, native: bool) -> list:
        key = (entity, canonical, native)
        if key in self._pools:
            return self._pools[key]
        kind = next((c.type for c in self.contract.entities[entity].columns if c.name == canonical), "text")
        rnd = self.rnd
        base = datetime(2024, 1, 1)
        pool: list = []
        for i in range(self.POOL):
            if kind in ("date", "datetime"):
                moment = base + timedelta(minutes=rnd.randrange(700_000))
                value = (moment.date() if kind == "date" else moment) if native else moment.strftime(
                    self.date_fmt if kind == "date" else self.datetime_fmt)
            elif kind == "integer":
                value = rnd.randrange(1000) if native else str(rnd.randrange(1000))
            elif canonical == "record_action":
                value = "D" if i % 100 == 0 else "I"
            elif canonical in self.layout.codes:
                value = rnd.choice(list(self.layout.codes[canonical]))
            elif i % 11 == 0:
                value = None
            elif any(part in canonical for part in ("address", "location", "description", "text")):
                value = f"{rnd.randrange(1, 200)} {rnd.choice(_STREETS)}"
            else:
                value = rnd.choice(_WORDS) if i % 5 == 0 else f"{canonical[:4].upper()}{rnd.randrange(10**6)}"
            pool.append(value)
        self._pools[key] = pool
        return pool

    def column(self, entity: str, canonical: str, start: int, n: int, native: bool = False) -> list:
        keys = self.contract.entities[entity].key
        if canonical in keys[:1]:
            return [f"{canonical[:3].upper()}-{i}" for i in range(start, start + n)]
        pool = self._pool(entity, canonical, native)
        size = len(pool)
        return [pool[i % size] for i in range(start, start + n)]

    def rows(self, spec: FileSpec, start: int, n: int, native: bool = False) -> list[tuple]:
        columns = [self.column(spec.entity, c, start, n, native) for c in spec.columns.values()]
        return list(zip(*columns, strict=True))


_STREETS = ["High Street", "Church Lane", "Station Road, Flat 2", "Mill Lane", "Park Road"]
_WORDS = ["Supply class A", "Assault ABH", "Burglary dwelling", "Theft", "Criminal damage",
          '=HYPERLINK("x")', "-knife found", "Possession, with intent", "Café – “quoted”"]


def _file_name(spec: FileSpec, stamp: str) -> str:
    return (spec.pattern or "file").replace("*", stamp, 1).replace("*", "").replace("?", "x")


def _org(contract: Contract, layout: Layout, n: int) -> str:
    forces = [f for f in layout.forces if f != "*"]
    if not forces:
        return BENCH_PARTNER
    return forces[n % len(forces)] if forces != [NATIONAL] else NATIONAL


def _write_csv(path: Path, layout: Layout, spec: FileSpec, values: _Values, start: int, n: int, dirty: bool) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=layout.delimiter, lineterminator="\r\n" if layout.encoding != "utf-8"
                        else "\n")
    writer.writerow(list(spec.columns))
    rows = values.rows(spec, start, n)
    if dirty:  # a ragged row every 5,000: the file goes down the careful path
        for at in range(len(rows) - 1, 0, -5000):
            rows.insert(at, (f"RAGGED{start + at}", "only two fields"))
    writer.writerows(rows)
    path.write_bytes(buffer.getvalue().encode(layout.encoding, errors="replace"))


def _nest(target: dict, dotted: str, value) -> None:
    keys = dotted.split(".")
    for key in keys[:-1]:
        target = target.setdefault(key, {})
    target[keys[-1]] = value


def _write_jsonl(path: Path, layout: Layout, spec: FileSpec, values: _Values, start: int, n: int) -> None:
    children = [s for s in layout.files.values() if s.nested_in == spec.entity]
    delivered = list(spec.columns)
    child_rows = {c.entity: values.rows(c, start * 2, n * 2) for c in children}
    with open(path, "w", encoding=layout.encoding, errors="replace") as handle:
        for k, row in enumerate(values.rows(spec, start, n)):
            record: dict = {}
            for name, value in zip(delivered, row, strict=True):
                if value is not None:
                    _nest(record, name, value)
            for child in children:
                items = []
                for item_row in child_rows[child.entity][2 * k: 2 * k + (k % 3)]:
                    item: dict = {}
                    for name, value in zip(child.columns, item_row, strict=True):
                        _nest(item, name, value)
                    items.append(item)
                _nest(record, child.path or "items", items)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def _write_parquet(path: Path, spec: FileSpec, values: _Values, start: int, n: int) -> None:
    columns = {
        delivered: values.column(spec.entity, canonical, start, n, native=True)
        for delivered, canonical in spec.columns.items()
    }
    pq.write_table(pa.table(columns), path)


def _write_xlsx(path: Path, specs: list[FileSpec], values: _Values, start: int, n: int) -> None:
    import openpyxl

    workbook = openpyxl.Workbook(write_only=True)
    for spec in specs:
        sheet = workbook.create_sheet(spec.sheet or spec.entity)
        sheet.append(list(spec.columns))
        for row in values.rows(spec, start, n, native=True):
            sheet.append(list(row))
    workbook.save(path)


def build_landing_zone(landing: Path, rows: int = 1_000_000, seed: int = 7, dirty: bool = True) -> int:
    """Write about `rows` top-level records over every synthesisable layout; returns the number written."""
    rnd = random.Random(seed)
    plans: list[tuple[Contract, Layout, list[FileSpec]]] = []
    for contract in load_contracts().values():
        if contract.source in SKIP_SOURCES:
            continue
        for layout in contract.layouts:
            top = [s for s in layout.files.values() if s.pattern]
            groups: dict[str, list[FileSpec]] = {}
            for spec in top:
                groups.setdefault(spec.pattern if layout.format == "xlsx" else spec.entity, []).append(spec)
            plans += [(contract, layout, specs) for specs in groups.values()]
    weight = sum(FORMAT_WEIGHTS[layout.format] for _, layout, _ in plans)
    written = 0
    file_number = 0
    for contract, layout, specs in plans:
        share = int(rows * FORMAT_WEIGHTS[layout.format] / weight)
        values = _Values(contract, layout, rnd)
        start = 0
        while start < share:
            n = min(ROWS_PER_FILE if layout.format != "xlsx" else 5_000, share - start)
            day = date(2025, 1, 1) + timedelta(days=file_number % 60)
            folder = landing / contract.source / _org(contract, layout, file_number) / day.isoformat()
            folder.mkdir(parents=True, exist_ok=True)
            stamp = f"{day:%Y%m%d}{file_number:05d}"
            path = folder / _file_name(specs[0], stamp)
            if layout.format == "csv":
                _write_csv(path, layout, specs[0], values, start, n, dirty and file_number % 10 == 3)
            elif layout.format == "jsonl":
                _write_jsonl(path, layout, specs[0], values, start, n)
            elif layout.format == "parquet":
                _write_parquet(path, specs[0], values, start, n)
            else:
                _write_xlsx(path, specs, values, start, n)
                n *= len(specs)
            written += n
            start += n if layout.format != "xlsx" else n // len(specs)
            file_number += 1
    return written


# ---------------------------------------------------------------------------------------------
# The benchmark


def bench_ingest(
    rows: int = 1_000_000, workers: int = 1, workdir: Path | None = None, keep: bool = False, dirty: bool = True
) -> BenchResult:
    """Build a landing zone of about `rows` records and time ingest over it (a fresh lake)."""
    from oe_platform.landing.ingest import ingest
    from oe_platform.landing.reconcile import reconcile

    scratch = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="oe-bench-"))
    scratch.mkdir(parents=True, exist_ok=True)
    settings = load_settings(landing=scratch / "landing", lake=scratch / "lake",
                             warehouse=scratch / "oe.duckdb", shared_data=scratch / "no-shared-data")
    try:
        shutil.rmtree(settings.landing, ignore_errors=True)
        shutil.rmtree(settings.lake, ignore_errors=True)
        began = time.perf_counter()
        build_landing_zone(settings.landing, rows, dirty=dirty)
        build_seconds = time.perf_counter() - began
        files = [p for p in settings.landing.rglob("*") if p.is_file()]
        began = time.perf_counter()
        summary = ingest(settings, include_public=False, workers=workers)
        seconds = time.perf_counter() - began
        reconciled = not reconcile(settings)
        return BenchResult(
            rows_target=rows,
            files=len(files),
            landing_bytes=sum(p.stat().st_size for p in files),
            rows_read=summary.rows_read,
            rows_accepted=summary.rows_accepted,
            rows_rejected=summary.rows_rejected,
            rows_flagged=summary.rows_warned,
            seconds=seconds,
            workers=workers,
            build_seconds=build_seconds,
            modes=dict(Counter(f.parse_mode or f.status for f in summary.files)),
            reconciled=reconciled,
        )
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


@click.group(name="bench")
def bench_command() -> None:
    """Throughput benchmarks."""


@bench_command.command("ingest")
@click.option("--rows", default=1_000_000, show_default=True, help="Records in the synthesised landing zone.")
@click.option("--workers", default=1, show_default=True, help="Processes parsing files in parallel.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Scratch folder for the landing zone and lake [default: a temporary folder].")
@click.option("--keep", is_flag=True, help="Keep the scratch landing zone and lake afterwards.")
@click.option("--clean", is_flag=True, help="No dirty files (every CSV takes the fast path).")
def bench_ingest_command(rows: int, workers: int, workdir: Path | None, keep: bool, clean: bool) -> None:
    """Build a landing zone of about --rows records from the contracts and time `oe ingest` over it."""
    result = bench_ingest(rows=rows, workers=workers, workdir=workdir, keep=keep, dirty=not clean)
    click.echo(result.as_text())
    if not result.reconciled:
        raise click.ClickException("reconciliation failed: some landed rows are not accounted for")


@bench_command.command("delivery")
@click.option("--rows", default=100_000, show_default=True,
              help="Rows in each file of the usual delivery (the large one has --scale times as many).")
@click.option("--scale", default=10, show_default=True, help="How many times larger the large delivery is.")
@click.option("--source", default="crime", show_default=True, help="The delivered source (a landing contract).")
@click.option("--force", default="kent", show_default=True, help="The delivering force (its layout is used).")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Scratch folder for the landing zones and lakes [default: a temporary folder].")
@click.option("--keep", is_flag=True, help="Keep the scratch folder afterwards.")
def bench_delivery_command(rows: int, scale: int, source: str, force: str, workdir: Path | None, keep: bool) -> None:
    """Peak memory and time of `oe ingest` on one delivery of the usual size and one --scale times larger."""
    from oe_platform.bench_delivery import DeliveryBenchError, bench_delivery

    try:
        result = bench_delivery(rows=rows, scale=scale, source=source, force=force, workdir=workdir, keep=keep)
    except DeliveryBenchError as err:
        raise click.ClickException(str(err)) from err
    click.echo(result.as_text())
    if not (result.usual.reconciled and result.large.reconciled):
        raise click.ClickException("reconciliation failed: some landed rows are not accounted for")


IMPORT_PROBE = (
    "import time; t = time.perf_counter(); import orchestration.definitions; "
    "print(time.perf_counter() - t)"
)


def bench_definitions_import(repeats: int = 5) -> list[float]:
    """Seconds to import the Dagster code location, each in a fresh interpreter (target: < 3 s)."""
    import subprocess
    import sys

    from oe_platform.config import REPO_ROOT

    timings = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-c", IMPORT_PROBE], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        )
        timings.append(float(done.stdout.strip().splitlines()[-1]))
    return timings


@bench_command.command("import")
@click.option("--repeats", default=5, show_default=True, help="Fresh interpreters to time.")
def bench_import_command(repeats: int) -> None:
    """Time `import orchestration.definitions` (the manifest is read, never parsed; target < 3 s)."""
    timings = sorted(bench_definitions_import(repeats))
    median = timings[len(timings) // 2]
    click.echo(f"definitions import: median {median:.2f} s, min {timings[0]:.2f} s, max {timings[-1]:.2f} s "
               f"over {repeats} fresh interpreters (target < 3 s)")
    if median >= 3.0:
        raise click.ClickException("the code location imports too slowly (median >= 3 s)")


@bench_command.command("generate")
@click.option("--persons", default=100_000, show_default=True, help="Population size.")
@click.option("--months", default=12, show_default=True, help="Months of deliveries.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Scratch folder [default: a temporary folder, removed afterwards].")
def bench_generate_command(persons: int, months: int, workdir: Path | None) -> None:
    """Time `oe generate` for --persons over --months (target: 100,000 persons in under 2 minutes)."""
    from oe_platform.synth import generate

    scratch = workdir or Path(tempfile.mkdtemp(prefix="oe-bench-generate-"))
    try:
        started = time.perf_counter()
        summary = generate(persons=persons, seed=7, start=date(2025, 1, 1), months=months,
                           out=scratch / "landing", truth_out=scratch / "truth")
        seconds = time.perf_counter() - started
        records = sum(summary.records.values())
        click.echo(f"generate: {persons:,} persons, {months} months: {records:,} records in "
                   f"{summary.total_files:,} files ({summary.person_records:,} person records) in {seconds:.1f} s")
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)


LINKAGE_TARGET_SECONDS = 180.0


@bench_command.command("linkage")
@click.option("--persons", default=200_000, show_default=True,
              help="Population size of the synthetic landing zone (200,000 × 12 months ≈ 940,000 person records).")
@click.option("--months", default=12, show_default=True, help="Months of deliveries.")
@click.option("--seed", default=7, show_default=True, help="Generator seed.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Folder for the landing zone and warehouse; a warehouse already built there is reused "
                   "[default: a temporary folder, removed afterwards].")
def bench_linkage_command(persons: int, months: int, seed: int, workdir: Path | None) -> None:
    """Time a normal linkage run (prepare, score, prior, cluster, ids, outputs) over one landing zone's
    person records (target: about a million records in under 3 minutes)."""
    import resource

    from oe_platform.config import working_connection
    from oe_platform.linkage.evaluate import blocking_recall, build_warehouse, load_truth, workdir_settings
    from oe_platform.linkage.pipeline import WAREHOUSE_RELATION, link_records, write_outputs
    from oe_platform.synth import generate

    scratch = workdir or Path(tempfile.mkdtemp(prefix="oe-bench-linkage-"))
    try:
        settings = workdir_settings(scratch)
        if not settings.warehouse.exists():
            click.echo(f"building a landing zone of {persons:,} persons × {months} months in {scratch} …")
            generate(persons=persons, seed=seed, start=date(2025, 1, 1), months=months, out=settings.landing,
                     truth_out=scratch / "truth")
            build_warehouse(settings, scratch / "target")
        con = working_connection("linkage")  # as the pipeline's linkage: held to its memory limit
        con.execute(f"attach '{settings.warehouse}' as warehouse (read_only)")
        con.execute(f"create temp table lk_input as select * from warehouse.{WAREHOUSE_RELATION}")
        con.execute("detach warehouse")
        # the landing zone's truth, where the generator wrote one (a landing zone built here, or
        # `oe bench pipeline`'s cached truth put beside the warehouse): precision and recall as well
        truth = scratch / "truth"
        has_truth = (truth / "person_records.parquet").exists()
        if has_truth:
            load_truth(con, truth)
        started = time.perf_counter()
        run = link_records(con, "lk_input", truth_table="lk_truth" if has_truth else None)
        write_outputs(run, scratch / "lake" / "linkage")
        seconds = time.perf_counter() - started
        peak_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
        s = run.summary
        click.echo(f"linkage: {s['person_records']:,} person records ({s['profiles']:,} profiles), "
                   f"{s['pairs_compared']:,} candidate pairs, {s['persons']:,} persons in {seconds:.1f} s "
                   f"(target < {LINKAGE_TARGET_SECONDS:.0f} s); peak memory of this process {peak_gb:.1f} GB")
        click.echo("  " + ", ".join(f"{k.removesuffix('_seconds')} {v:.1f} s" for k, v in run.timings.items())
                   + f", outputs {seconds - sum(run.timings.values()):.1f} s")
        if run.accuracy is not None:
            blocking = blocking_recall(con, "lk_truth")
            click.echo(f"  against the truth: precision {run.accuracy.precision:.5f}, recall "
                       f"{run.accuracy.recall:.5f}; blocking alone brings together {blocking['pair_recall']:.4f} of "
                       f"the true pairs of profiles (ceiling on recall {blocking['ceiling_recall']:.5f})")
        if seconds >= LINKAGE_TARGET_SECONDS:
            raise click.ClickException(f"linkage took {seconds:.0f} s, over the {LINKAGE_TARGET_SECONDS:.0f} s target")
    finally:
        if workdir is None:
            shutil.rmtree(scratch, ignore_errors=True)


@bench_command.command("pipeline")
@click.option("--tier", type=click.Choice(["XS", "S", "M", "L"]), default="S", show_default=True,
              help="Size: S ≈ 100k source rows, M ≈ 1M, L ≈ 10M (XS: the smallest landing zone, for tests).")
@click.option("--target", type=click.Choice(["dev", "spark"]), default="dev", show_default=True,
              help="dbt target the pipeline runs on: dev (DuckDB) or spark (a local Spark session whose "
                   "catalogue lives in the run's folder).")
@click.option("--persons", type=int, default=None, help="Override the tier's population.")
@click.option("--months", type=int, default=None, help="Override the tier's months of deliveries.")
@click.option("--seed", default=7, show_default=True, help="Generator seed.")
@click.option("--bench-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Cache of landing zones, run folders, reports and history "
                   "[default: $OE_BENCH_DIR or build/bench].")
@click.option("--no-incremental", is_flag=True, help="Only the full run, not the next delivery day.")
@click.option("--no-unchanged-run", is_flag=True,
              help="Leave out the last run, with nothing new landed (the fixed cost of a run).")
@click.option("--keep", is_flag=True, help="Keep the run's landing, lake, warehouse and logs.")
def bench_pipeline_command(tier: str, target: str, persons: int | None, months: int | None, seed: int,
                           bench_dir: Path | None, no_incremental: bool, no_unchanged_run: bool, keep: bool) -> None:
    """Run the whole pipeline through Dagster on a cached synthetic landing zone, then an incremental
    delivery day, then a run with nothing new landed; time every stage against the floor, write JSON, a
    markdown report with a chart, and compare with the previous run of the tier (history.jsonl)."""
    from oe_platform.bench_pipeline import (
        TIERS,
        Tier,
        bench_pipeline,
        default_bench_dir,
        format_table,
        write_report,
    )

    chosen = TIERS[tier]
    if persons or months:
        chosen = Tier(tier, persons or chosen.persons, months or chosen.months, chosen.rows_target)
    folder = (bench_dir or default_bench_dir()).resolve()
    click.echo(f"tier {tier}: {chosen.persons:,} persons × {chosen.months} months (seed {seed}) in {folder}", err=True)
    report = bench_pipeline(chosen, folder, seed=seed, target=target, incremental=not no_incremental, keep=keep,
                            nothing_new=not no_unchanged_run)
    out_dir = folder / "reports" / f"{tier}-{report.started_at.replace(':', '')}"
    data = write_report(report, out_dir, folder / "history.jsonl")
    click.echo(format_table(data))
    click.echo(f"report: {out_dir / 'report.md'}; json: {out_dir / 'bench.json'}; history: {folder / 'history.jsonl'}")
    if not report.success:
        logs = ", ".join(r.log for r in report.runs if not r.success)
        raise click.ClickException(f"the pipeline failed; see {logs} (run folder kept: {report.run_dir})")
