"""`oe demo`: a small synthetic landing zone, the whole pipeline through Dagster, docs, a summary."""

from __future__ import annotations

import shutil
import sys
from datetime import date

import click
import duckdb

from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.governance.pseudonym import ensure_ephemeral_key

DEMO_PERSONS = 2000
DEMO_SEED = 7
DEMO_START = date(2025, 1, 1)
DEMO_MONTHS = 3


def warehouse_summary(settings: Settings) -> list[tuple[str, str, int]]:
    """(schema, table, rows) of every table the pipeline built."""
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' and table_schema in ('conformed', 'marts') order by 1, 2"
        ).fetchall()
        return [
            (schema, name, con.execute(f'select count(*) from "{schema}"."{name}"').fetchall()[0][0])
            for schema, name in tables
        ]
    finally:
        con.close()


@click.command()
@click.option("--persons", default=DEMO_PERSONS, show_default=True, help="Size of the synthetic population.")
@click.option("--keep", is_flag=True, help="Keep an existing landing zone, lake and warehouse (default: start clean).")
def demo_command(persons: int, keep: bool) -> None:
    """Start to finish on a small synthetic landing zone: generate, run through Dagster
    (ingest, dbt build with tests, publish), build the docs site, print a summary."""
    from oe_platform.dbt_runner import prepare_manifest
    from oe_platform.docs_site import build_docs_site
    from oe_platform.synth import generate
    from orchestration.run import run_pipeline

    settings = load_settings()
    if ensure_ephemeral_key():
        click.echo("OE_PSEUDONYM_KEY is not set: the demo made an ephemeral key for this run only (kept in memory, "
                   "never written), so the wide-sharing marts are published pseudonymised and their pseudonyms "
                   "link to no other run. Set OE_PSEUDONYM_KEY from your secret store for real releases.")
    truth = REPO_ROOT / "data" / "truth"
    if not keep:
        for path in (settings.landing, truth, settings.lake):
            shutil.rmtree(path, ignore_errors=True)
        settings.warehouse.unlink(missing_ok=True)
    click.echo(f"1/3 generating a synthetic landing zone of {persons} persons in {settings.landing}")
    generate(persons=persons, seed=DEMO_SEED, start=DEMO_START, months=DEMO_MONTHS,
             out=settings.landing, truth_out=truth)
    click.echo("2/3 running the pipeline through Dagster (ingest → bronze → dbt build → gold)")
    prepare_manifest(settings)
    result = run_pipeline(settings)
    if not result.success or result.failed_checks:
        click.secho(f"pipeline failed: {result.failed_checks or 'see the log above'}", fg="red", err=True)
        sys.exit(1)
    from oe_platform.delivery_report import run_report_lines

    for line in run_report_lines(settings.meta, result.run_id, limit=5):  # as oe run prints it
        click.echo(line)
    click.echo("3/3 building the docs site")
    site = build_docs_site(settings, REPO_ROOT / "site")

    click.echo("\n== OE Data Platform demo: done")
    click.echo(f"Warehouse (DuckDB): {settings.warehouse}")
    for schema, name, rows in warehouse_summary(settings):
        click.echo(f"  {schema}.{name:<45} {rows:>10,} rows")
    gold = sorted(p for p in settings.gold.rglob("*.parquet") if not p.name.startswith("."))
    click.echo(f"Published Parquet (gold): {settings.gold} ({len(gold)} file(s); manifest.json lists them)")
    for path in gold:
        click.echo(f"  {path.relative_to(settings.gold)}")
    serving = sorted(settings.serving.glob("*.duckdb"))
    click.echo(f"Serving files (read-only DuckDB, one per audience; docs/bi.md): {settings.serving}")
    for path in serving:
        click.echo(f"  {path.name}")
    click.echo(f"Docs site: {site} (governance report: {site.parent / 'governance.html'})")
    click.echo(f"Dagster run {result.run_id} recorded in {result.dagster_home}")
    click.echo("Open the Dagster UI:  .venv/bin/oe ui   (then http://127.0.0.1:3000)")
    click.echo("Open the dashboard:   .venv/bin/oe dashboard   (then http://127.0.0.1:8501)")
