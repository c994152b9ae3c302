"""`oe marts …`: how the OE marts rank the generator's planted scenarios. Thin: parse, call, print."""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import date
from pathlib import Path

import click


@click.group("marts")
def marts_group() -> None:
    """The OE marts: evaluate their rankings against the generator's truth."""


@marts_group.command("evaluate")
@click.option("--warehouse", type=click.Path(path_type=Path, exists=True), default=None,
              help="Evaluate this built warehouse (with --truth) instead of generating a landing zone.")
@click.option("--truth", type=click.Path(path_type=Path, exists=True), default=None,
              help="The generator's truth folder of that warehouse's landing zone.")
@click.option("--persons", type=int, default=100_000, show_default=True, help="Persons to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Generator seed.")
@click.option("--start", default="2024-01-01", show_default=True, help="First delivery month.")
@click.option("--months", type=int, default=12, show_default=True, help="Months of deliveries.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Where the landing zone, lake and warehouse are built [default: a temporary folder].")
@click.option("--json-out", type=click.Path(path_type=Path), default=None, help="Also write the figures as JSON.")
@click.option("--strict", is_flag=True, help="Exit 1 when a target is missed.")
def evaluate_command(warehouse: Path | None, truth: Path | None, persons: int, seed: int, start: str, months: int,
                     workdir: Path | None, json_out: Path | None, strict: bool) -> None:
    """Report how planted scenarios (exploited children, cuckooed adults, OCG principals, line
    holders) and innocent look-alikes rank in the marts, per scenario type and role.

    Without --warehouse: generate a landing zone, run the whole pipeline through Dagster (ingest,
    dbt, linkage, marts) and evaluate that."""
    from oe_platform.marts.evaluate import evaluate_marts

    if (warehouse is None) != (truth is None):
        click.secho("error: give --warehouse and --truth together, or neither", fg="red", err=True)
        sys.exit(2)
    if warehouse is None:
        warehouse, truth = _generate_and_run(persons, seed, start, months, workdir)
    result = evaluate_marts(warehouse, truth)
    click.echo(result.as_text())
    if json_out:
        json_out.write_text(json.dumps({
            "by_role": result.by_role,
            "groups": [{**g.__dict__, "top_decile_share": g.top_decile_share} for g in result.groups],
            "lookalikes": result.lookalikes, "cross_border": result.cross_border,
            "targets": result.targets()}, indent=2, default=str) + "\n")
    if strict and not all(result.targets().values()):
        sys.exit(1)


def _generate_and_run(persons: int, seed: int, start: str, months: int, workdir: Path | None) -> tuple[Path, Path]:
    import os

    from oe_platform.config import load_settings
    from oe_platform.dbt_runner import prepare_manifest
    from oe_platform.synth import generate

    workdir = workdir or Path(tempfile.mkdtemp(prefix="oe-marts-evaluate-"))
    settings = load_settings(landing=workdir / "landing", lake=workdir / "lake", warehouse=workdir / "oe.duckdb")
    truth = workdir / "truth"
    generate(out=settings.landing, truth_out=truth, persons=persons, seed=seed, start=date.fromisoformat(start),
             months=months)
    os.environ.update(settings.env())
    os.environ.setdefault("DAGSTER_HOME", str(workdir / "dagster_home"))
    from oe_platform.governance.pseudonym import ensure_ephemeral_key

    ensure_ephemeral_key()  # synthetic data: the wide-sharing marts are published with a throw-away key
    prepare_manifest(settings)
    from orchestration.run import run_pipeline

    result = run_pipeline(settings, log_level="WARNING")
    if not result.success:
        click.secho(f"error: the pipeline failed (Dagster run {result.run_id}, DAGSTER_HOME "
                    f"{result.dagster_home}); the marts cannot be evaluated", fg="red", err=True)
        sys.exit(1)
    return settings.warehouse, truth
