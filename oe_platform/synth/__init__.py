"""Synthetic landing zone: files that look like real force and national deliveries, plus a ground
truth kept apart so that linkage and marts can be measured.

``generate`` writes ``<out>/<source>/<force_code | national | partner>/<YYYY-MM-DD>/<file>`` for every
source of the landing contracts except police_uk (real open data), and the truth under
``truth_out`` only. The same arguments give byte-identical files.
"""

from __future__ import annotations

import calendar
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
from tqdm import tqdm

from oe_platform.contracts import load_contracts
from oe_platform.synth import background, scenarios
from oe_platform.synth.assemble import MAIN_ENTITY, PARTNER, SOURCE_ORDER, assemble
from oe_platform.synth.context import Context
from oe_platform.synth.noise import NoiseRates
from oe_platform.synth.population import assign_phones, build_population, day_number, iso_days
from oe_platform.synth.render import render_source
from oe_platform.synth.truth import write_truth
from oe_platform.synth.world import RefBook, SourceData, schedule

__all__ = ["GENERATED_SOURCES", "GenerationSummary", "NoiseRates", "existing_delivery_dates", "generate"]

GENERATED_SOURCES = SOURCE_ORDER
FORCE_SOURCES = ("crime", "intel", "custody", "missing")
DEFAULT_PERSONS = 2000
DEFAULT_SEED = 7
DEFAULT_START = date(2025, 1, 1)
DEFAULT_MONTHS = 3


@dataclass
class GenerationSummary:
    """What a run wrote: files and records (rows, nested rows included) per source."""

    persons: int
    seed: int
    start: str
    months: int
    delivery_dates: list[str]
    files: dict[str, int] = field(default_factory=dict)
    records: dict[str, int] = field(default_factory=dict)
    person_records: int = 0
    elapsed_seconds: float = 0.0

    @property
    def total_files(self) -> int:
        return sum(self.files.values())

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    def as_text(self) -> str:
        lines = [f"{'source':<10} {'files':>8} {'records':>10}"]
        for source in self.files:
            lines.append(f"{source:<10} {self.files[source]:>8,} {self.records[source]:>10,}")
        lines.append(f"{'total':<10} {self.total_files:>8,} {self.total_records:>10,}")
        span = f"{self.delivery_dates[0]} .. {self.delivery_dates[-1]}" if self.delivery_dates else "none"
        lines.append(f"{len(self.delivery_dates)} delivery date(s) {span}; {self.person_records:,} person records "
                     f"in the truth; {self.elapsed_seconds:.1f} s")
        return "\n".join(lines)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def existing_delivery_dates(out: Path) -> list[str]:
    """Delivery dates (YYYY-MM-DD folders) already in a landing zone, over the generated sources."""
    dates = set()
    for source in GENERATED_SOURCES:
        for folder in (out / source).glob("*/*"):
            name = folder.name
            if folder.is_dir() and len(name) == 10 and name[4] == "-" and name[7] == "-":
                try:
                    date.fromisoformat(name)
                except ValueError:
                    continue
                dates.add(name)
    return sorted(dates)


def _check_paths(out: Path, truth_out: Path) -> tuple[Path, Path]:
    out, truth_out = out.resolve(), truth_out.resolve()
    if truth_out == out or truth_out.is_relative_to(out):
        raise ValueError(f"the truth ({truth_out}) must not be inside the landing zone ({out})")
    if out.is_relative_to(truth_out):
        raise ValueError(f"the landing zone ({out}) must not be inside the truth folder ({truth_out})")
    return out, truth_out


def _orgs(source: str, force_codes: list[str]) -> list[str]:
    if source in FORCE_SOURCES:
        return list(force_codes)
    if source == "canonical":
        return [PARTNER]
    return ["national"]


def generate(persons: int = DEFAULT_PERSONS, seed: int = DEFAULT_SEED, start: date = DEFAULT_START,
             months: int = DEFAULT_MONTHS, out: Path = Path("data/landing"), truth_out: Path = Path("data/truth"),
             next_delivery: bool = False, rates: NoiseRates | None = None, progress: bool = True) -> GenerationSummary:
    """Generate a synthetic landing zone and its ground truth.

    ``months`` of deliveries from ``start``; with ``next_delivery`` only the delivery day after the
    latest one already in ``out`` is written (the same arguments as the first run keep it consistent)
    and the truth is rewritten to cover every delivery up to it.
    """
    began = time.perf_counter()
    if months < 1:
        raise ValueError("--months must be at least 1")
    rates = rates or NoiseRates()
    out, truth_out = _check_paths(Path(out), Path(truth_out))
    contracts = load_contracts()
    missing = [s for s in GENERATED_SOURCES if s not in contracts]
    if missing:
        raise ValueError(f"no landing contract for {missing} under contracts/")
    start_day = day_number(start)
    if next_delivery:
        existing = existing_delivery_dates(out)
        if not existing:
            raise ValueError(f"--next-delivery: no deliveries in {out}; generate a landing zone first")
        last_day = day_number(date.fromisoformat(existing[-1])) + 1
        only_day: int | None = last_day
    else:
        last_day = day_number(add_months(start, months)) - 1
        only_day = None

    bar = tqdm(total=1, desc="generate", unit="step", file=sys.stderr, disable=not progress, leave=False)
    pop, factory = build_population(persons, seed, start)
    ctx = Context(seed=seed, pop=pop, factory=factory, contracts=contracts, rates=rates, start_day=start_day,
                  last_day=last_day)
    ctx.sources = {s: SourceData(s, contracts[s], MAIN_ENTITY[s]) for s in GENERATED_SOURCES}
    plans = scenarios.plan(ctx)
    assign_phones(pop, seed, scenarios.priority_people(plans), scenarios.deal_lines_needed(plans))
    scenarios.plant(ctx, plans)
    background.ocgm_background(ctx)
    month_list = ctx.months()
    bar.total = len(month_list) + len(GENERATED_SOURCES) * 2
    bar.refresh()
    for month in month_list:
        view = ctx.month_view(month)
        background.crime_month(ctx, view)
        background.intel_month(ctx, view)
        background.missing_month(ctx, view)
        background.nrm_month(ctx, view)
        background.osint_month(ctx, view)
        background.btp_month(ctx, view)
        bar.update(1)

    books = RefBook(seed, pop.n)
    keys: dict = {}
    delivered = {}
    for source in GENERATED_SOURCES:
        delivered[source] = assemble(ctx, ctx.sources[source], books, start_day, last_day, keys)
        bar.update(1)

    if not next_delivery:
        for source in GENERATED_SOURCES:
            shutil.rmtree(out / source, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    truth_rows: list = []
    scenario_rows: list = []
    summary = GenerationSummary(persons=persons, seed=seed, start=start.isoformat(), months=months,
                                delivery_dates=[])
    all_days: set[int] = set()
    for source in GENERATED_SOURCES:
        contract = contracts[source]
        days = schedule(contract.cadence, start_day, last_day)
        write_days = [d for d in days if only_day is None or d == only_day]
        frames = delivered[source].frames
        # The truth covers every delivery up to the last one, even when only the next day is written.
        orgs = _orgs(source, ctx.force_codes)
        if only_day is not None:
            render_source(contract, frames, orgs, days, out, truth_rows, scenario_rows, write=False)
            written = render_source(contract, frames, orgs, write_days, out, [], [])
        else:
            written = render_source(contract, frames, orgs, write_days, out, truth_rows, scenario_rows)
        all_days.update(write_days)
        summary.files[source] = len(written)
        summary.records[source] = sum(w.rows for w in written)
        bar.update(1)
    manifest = {
        "generator": "oe_platform.synth", "persons": persons, "seed": seed, "start": start.isoformat(),
        "months": months, "last_delivery": str(iso_days(np.array([last_day]))[0]), "noise_rates": asdict(rates),
        "sources": {s: {"cadence": contracts[s].cadence} for s in GENERATED_SOURCES},
    }
    summary.person_records = write_truth(truth_out, pop, ctx.force_codes, truth_rows, ctx.scenario_members,
                                         scenario_rows, manifest)
    bar.close()
    summary.delivery_dates = [str(d) for d in iso_days(np.array(sorted(all_days), dtype=np.int64))]
    summary.elapsed_seconds = time.perf_counter() - began
    return summary

