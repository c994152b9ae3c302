"""Memory of one large delivery: `oe bench delivery [--rows N] [--scale K] [--source S] [--force F]`.

Writes one force's delivery of one source for one day, every top-level file of the force's layout
with N rows (the usual size), and the same delivery K times larger (K x N rows), each in its own
scratch landing zone, and runs `oe ingest` on each as a separate process: wall time and the peak
resident memory of that process (the kernel's own high-water mark, `ru_maxrss` from wait4, taken by a
small interpreter that starts it, so this process's own memory is not counted), beside
the peak of an `oe ingest` with nothing to load (the interpreter, pyarrow and DuckDB: the floor).
Every run is checked: the rows read add up to the rows written, and bronze reconciles.

The rows come from the landing contracts, as `oe bench ingest` writes them (oe_platform/bench.py).
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from oe_platform.bench import _file_name, _Values, _write_csv, _write_jsonl, _write_parquet
from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.contracts import Layout, load_contracts

DELIVERY_DAY = date(2025, 1, 15)
# Runs one command and writes its peak resident memory (kilobytes, ru_maxrss from wait4) to argv[1].
_MEASURE = """
import os, subprocess, sys
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


class DeliveryBenchError(RuntimeError):
    """The delivery cannot be built (unknown source or force) or its ingest failed."""


@dataclass(frozen=True)
class IngestMeasure:
    label: str
    rows_written: int
    landing_bytes: int
    rows_read: int
    rows_accepted: int
    rows_rejected: int
    seconds: float
    peak_rss_mb: float
    reconciled: bool


@dataclass(frozen=True)
class DeliveryBench:
    source: str
    force: str
    floor: IngestMeasure
    usual: IngestMeasure
    large: IngestMeasure
    scale: int

    @property
    def memory_ratio(self) -> float:
        """Peak memory of the large delivery's ingest over the usual one's."""
        return self.large.peak_rss_mb / self.usual.peak_rss_mb if self.usual.peak_rss_mb else 0.0

    @property
    def growth_ratio(self) -> float:
        """Memory above the floor (what the delivery itself costs), large over usual."""
        usual = self.usual.peak_rss_mb - self.floor.peak_rss_mb
        large = self.large.peak_rss_mb - self.floor.peak_rss_mb
        return large / usual if usual > 0 else float("inf")

    def as_text(self) -> str:
        lines = [f"one {self.source} delivery from {self.force}, usual size and {self.scale}x",
                 f"{'run':<10} {'rows':>10} {'MB landed':>10} {'seconds':>8} {'peak RSS MB':>12} reconciled"]
        for m in (self.floor, self.usual, self.large):
            lines.append(f"{m.label:<10} {m.rows_written:>10,} {m.landing_bytes / 1e6:>10.1f} {m.seconds:>8.1f} "
                         f"{m.peak_rss_mb:>12.0f} {'yes' if m.reconciled else 'NO'}")
        lines.append(f"peak memory {self.scale}x / 1x: {self.memory_ratio:.2f}; above the floor: "
                     f"{self.growth_ratio:.2f} (rows {self.scale}x)")
        return "\n".join(lines)


def _layout_for(source: str, force: str) -> Layout:
    contracts = load_contracts()
    if source not in contracts:
        raise DeliveryBenchError(f"no landing contract for source {source!r}; known: {', '.join(sorted(contracts))}")
    layout = contracts[source].layout_for(force)
    if layout is None:
        raise DeliveryBenchError(f"{force!r} has no onboarded layout for {source!r} (contracts/{source}.yml)")
    if layout.format == "xlsx":
        raise DeliveryBenchError(f"{force!r} delivers {source!r} as XLSX; choose a delimited, JSON lines or "
                                 "Parquet layout")
    return layout


def build_delivery(landing: Path, source: str, force: str, rows: int, seed: int = 7) -> int:
    """One day's delivery of `source` from `force`: each top-level file of its layout with `rows`
    rows. Returns the rows written."""
    contract = load_contracts()[source]
    layout = _layout_for(source, force)
    values = _Values(contract, layout, random.Random(seed))
    folder = landing / source / force / DELIVERY_DAY.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for spec in (s for s in layout.files.values() if s.pattern):
        path = folder / _file_name(spec, f"{DELIVERY_DAY:%Y%m%d}")
        if layout.format == "csv":
            _write_csv(path, layout, spec, values, 0, rows, dirty=False)
        elif layout.format == "jsonl":
            _write_jsonl(path, layout, spec, values, 0, rows)
        else:
            _write_parquet(path, spec, values, 0, rows)
        written += rows
    return written


def measure_ingest(settings: Settings, label: str, rows_written: int) -> IngestMeasure:
    """`oe ingest` over the settings' landing zone as its own process: time and peak RSS."""
    from oe_platform.landing.ingest import read_manifest
    from oe_platform.landing.reconcile import reconcile

    oe = Path(sys.executable).parent / "oe"
    env = {**os.environ, **settings.env(), "PYTHONPATH": str(REPO_ROOT)}
    log = settings.lake.parent / f"ingest-{label}.log"
    peak = settings.lake.parent / f"ingest-{label}.maxrss"
    log.parent.mkdir(parents=True, exist_ok=True)
    began = time.perf_counter()
    with log.open("wb") as handle:
        # started by a small fresh interpreter, not by this process: Linux carries the parent's
        # high-water mark over fork (or vfork) and exec into the child's ru_maxrss, so a child of
        # this process (grown by writing the delivery) would report this process's peak as its own
        status = subprocess.run([sys.executable, "-c", _MEASURE, str(peak), str(oe), "ingest"], cwd=REPO_ROOT,
                                env=env, stdout=handle, stderr=subprocess.STDOUT, check=False).returncode
    seconds = time.perf_counter() - began
    if status != 0:
        raise DeliveryBenchError(f"oe ingest ({label}) failed, exit {status}: "
                                 f"{log.read_text(errors='replace')[-2000:]}")
    peak_kb = int(peak.read_text())
    manifest = read_manifest(settings.meta)
    files = [p for p in settings.landing.rglob("*") if p.is_file()] if settings.landing.exists() else []
    return IngestMeasure(
        label=label,
        rows_written=rows_written,
        landing_bytes=sum(p.stat().st_size for p in files),
        rows_read=sum(int(m.get("rows_read") or 0) for m in manifest),
        rows_accepted=sum(int(m.get("rows_accepted") or 0) for m in manifest),
        rows_rejected=sum(int(m.get("rows_rejected") or 0) for m in manifest),
        seconds=seconds,
        peak_rss_mb=peak_kb / 1024,  # kilobytes on Linux
        reconciled=not reconcile(settings),
    )


def bench_delivery(rows: int = 100_000, scale: int = 10, source: str = "crime", force: str = "kent",
                   workdir: Path | None = None, keep: bool = False) -> DeliveryBench:
    """Ingest an empty landing zone (the floor), a usual delivery of `rows` rows per file and one
    `scale` times larger, each in a fresh lake, measuring each `oe ingest` process."""
    _layout_for(source, force)  # a clear error before anything is written
    scratch = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="oe-bench-delivery-"))
    scratch.mkdir(parents=True, exist_ok=True)
    try:
        measures = []
        for label, size in (("floor", 0), ("1x", rows), (f"{scale}x", rows * scale)):
            root = scratch / label
            shutil.rmtree(root, ignore_errors=True)
            settings = load_settings(landing=root / "landing", lake=root / "lake", warehouse=root / "oe.duckdb",
                                     shared_data=root / "no-shared-data")
            settings.landing.mkdir(parents=True, exist_ok=True)
            written = build_delivery(settings.landing, source, force, size) if size else 0
            measures.append(measure_ingest(settings, label, written))
        return DeliveryBench(source, force, *measures, scale=scale)
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)
