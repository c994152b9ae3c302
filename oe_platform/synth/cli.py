"""`oe generate`: the synthetic landing zone generator as a click command (registered by oe_platform.cli)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from oe_platform.synth import DEFAULT_MONTHS, DEFAULT_PERSONS, DEFAULT_SEED, DEFAULT_START, NoiseRates, generate
from oe_platform.synth.population import MIN_PERSONS


def _default_landing() -> str:
    from oe_platform.config import load_settings

    return str(load_settings().landing)


def _default_truth() -> str:
    from oe_platform.config import REPO_ROOT

    return str(REPO_ROOT / "data" / "truth")


@click.command("generate")
@click.option("--persons", type=click.IntRange(min=MIN_PERSONS), default=DEFAULT_PERSONS, show_default=True,
              help="Size of the synthetic population (people known to the forces' systems).")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Random seed: the same arguments give byte-identical files.")
@click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=DEFAULT_START.isoformat(),
              show_default=True, help="First delivery date (YYYY-MM-DD).")
@click.option("--months", type=click.IntRange(min=1), default=DEFAULT_MONTHS, show_default=True,
              help="Months of deliveries from --start (daily, weekly or monthly per source contract).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Landing zone to write (default: $OE_LANDING or data/landing). The generated sources' "
                   "folders are replaced; other folders (e.g. police_uk) are left alone.")
@click.option("--truth-out", "truth_out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where the ground truth goes (default: data/truth); never inside the landing zone.")
@click.option("--next-delivery", is_flag=True,
              help="Write only the next delivery day after the latest one in --out (use the same other "
                   "arguments as the run that made it); the truth is rewritten to cover it.")
@click.option("--noise-profile", "noise_profile", type=click.Choice(["default", "heavy", "census"]),
              default="default", show_default=True,
              help="Noise profile: the default rates, heavy keying noise, or census-like sources "
                   "(docs/generator.md, 'Noise profiles').")
@click.option("--progress/--no-progress", default=True, show_default=True, help="Progress bar on stderr.")
def generate_command(persons: int, seed: int, start, months: int, out: Path | None, truth_out: Path | None,
                     next_delivery: bool, noise_profile: str, progress: bool) -> None:
    """Generate a synthetic landing zone: every force's crime, intel, custody and missing extracts,
    the national OCGM, CLICM, NRM and OSINT datasets and a partner delivery in the canonical
    format, each in the layouts of its landing contract, with planted OE scenarios and noise; the
    ground truth (who every person record really is) is written apart, under --truth-out."""
    start_date: date = start.date() if hasattr(start, "date") else start
    try:
        summary = generate(persons=persons, seed=seed, start=start_date, months=months,
                           out=out or Path(_default_landing()), truth_out=truth_out or Path(_default_truth()),
                           next_delivery=next_delivery, rates=NoiseRates.profile(noise_profile),
                           progress=progress)
    except ValueError as err:
        click.secho(f"oe generate: {err}", fg="red", err=True)
        sys.exit(2)
    click.echo(summary.as_text())
