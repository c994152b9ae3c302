"""`oe`: the one entry point of the OE Data Platform. Thin: parse arguments, call the library."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from oe_platform.config import REPO_ROOT, Settings, load_settings

PATH_OPTIONS = [
    click.option("--landing", type=click.Path(path_type=Path), default=None,
                 help="Landing zone directory [env OE_LANDING; default data/landing]."),
    click.option("--lake", type=click.Path(path_type=Path), default=None,
                 help="Lake directory for bronze, rejects and gold Parquet [env OE_LAKE; default lake]."),
    click.option("--warehouse", type=click.Path(path_type=Path), default=None,
                 help="DuckDB warehouse file [env OE_WAREHOUSE; default warehouse/oe.duckdb]."),
]


def path_options(func):
    for option in reversed(PATH_OPTIONS):
        func = option(func)
    return func


def settings_from(landing: Path | None, lake: Path | None, warehouse: Path | None) -> Settings:
    settings = load_settings(landing=landing, lake=lake, warehouse=warehouse)
    os.environ.update(settings.env())
    return settings


@contextmanager
def one_writer(settings: Settings, command: str) -> Iterator[None]:
    """Hold the warehouse lock while a command writes the lake (a pipeline run may be under way)."""
    from oe_platform.run_lock import warehouse_lock

    def say(message: str) -> None:
        click.secho(message, fg="yellow", err=True)

    with warehouse_lock(settings, f"oe-{command}-{os.getpid()}", on_wait=say) as notes:
        for note in notes:
            say(note)
        yield


def fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="oe-platform")
def main() -> None:
    """OE Data Platform: land police force extracts and national OE datasets, resolve people,
    publish conformed POLE tables and organised-exploitation marts."""


@main.command()
@path_options
@click.option("--public/--no-public", "include_public", default=True, show_default=True,
              help="Also read the real data.police.uk files under OE_SHARED_DATA/police_uk in place.")
@click.option("--retry", is_flag=True,
              help="Try quarantined and failed files again even if their contract is unchanged.")
@click.option("--reload", "reload_ids", multiple=True, metavar="FILE_ID",
              help="Rebuild the bronze files of this loaded file from its landed file (a damaged bronze "
                   "file: the message that reports it gives the id). Repeatable.")
@click.option("--batch-rows", type=int, default=None,
              help="Read and write each file this many records at a time (memory grows with it, not with the "
                   "file) [default: OE_INGEST_BATCH_ROWS, else 100000].")
@click.option("--workers", type=int, default=None,
              help="Processes parsing files when there are many new files [default: OE_INGEST_WORKERS, else the "
                   "machine's CPUs, at most 4].")
def ingest(
    landing: Path | None, lake: Path | None, warehouse: Path | None, include_public: bool, retry: bool,
    reload_ids: tuple[str, ...], batch_rows: int | None, workers: int | None,
) -> None:
    """Load every new landed file into bronze Parquet, with a file manifest and rejects.

    Idempotent: a file already loaded (same path and checksum) or an identical copy is not loaded
    again. Files that cannot be read are quarantined with the reason; rows that cannot be read are
    kept in rejects with their raw text. Ends with a reconciliation of every file's counts.
    """
    from tqdm import tqdm

    from oe_platform.landing.ingest import DiskFull, WorkersError, landed_files, resolve_workers
    from oe_platform.landing.ingest import ingest as run_ingest
    from oe_platform.landing.reconcile import reconcile
    from oe_platform.landing.repair import BronzeDamaged
    from oe_platform.landing.textstream import BatchSizeError
    from oe_platform.landing.textstream import batch_rows as resolve_batch_rows

    try:
        batch_rows = resolve_batch_rows(batch_rows)
        workers = resolve_workers(workers)
    except (BatchSizeError, WorkersError) as err:
        fail(str(err))
    settings = settings_from(landing, lake, warehouse)
    if reload_ids:
        from oe_platform.landing.repair import reload_files

        try:
            with one_writer(settings, "ingest-reload"):
                moved = reload_files(settings, list(reload_ids))
        except BronzeDamaged as err:
            fail(str(err))
        for path in moved:
            click.echo(f"damaged file moved aside: {path}")
        click.echo(f"{len(reload_ids)} file(s) reloaded from the landing zone")
    total = len(landed_files(settings, include_public=include_public, include_skipped=True))
    try:
        with one_writer(settings, "ingest"), tqdm(total=total, desc="ingest", unit="file", file=sys.stderr) as bar:
            summary = run_ingest(
                settings, on_file=lambda _: bar.update(1), include_public=include_public, retry_failed=retry,
                batch_rows=batch_rows, workers=workers,
            )
    except DiskFull as err:
        fail(f"ingest stopped, the disk is full: {err}")
    click.echo(
        f"{len(summary.files)} new file(s): {summary.count('loaded')} loaded, "
        f"{summary.count('duplicate')} duplicate, {summary.count('quarantined')} quarantined, "
        f"{summary.count('skipped')} skipped; {summary.rows_accepted} rows accepted, {summary.rows_rejected} rejected"
    )
    for result in summary.files:
        if result.status in ("quarantined", "skipped"):
            click.secho(f"{result.status}: {result.error}", fg="yellow", err=True)
    try:
        problems = reconcile(settings)
    except BronzeDamaged as err:
        fail(str(err))
    if problems:
        fail("reconciliation failed:\n" + "\n".join(p.describe() for p in problems))


@main.command()
def prepare() -> None:
    """Parse the dbt project into target/manifest.json (the Dagster definitions load it)."""
    from oe_platform.dbt_runner import prepare_manifest

    path = prepare_manifest(load_settings())
    click.echo(f"dbt manifest written to {path}")


@main.group()
def contracts() -> None:
    """Landing contracts (contracts/*.yml) and what is generated from them."""


@contracts.command("sync")
def contracts_sync() -> None:
    """Regenerate every dbt source YAML from its landing contract."""
    from oe_platform.dbt_sources import sync_sources

    changed = sync_sources()
    click.echo(f"{len(changed)} source file(s) rewritten" + "".join(f"\n  {p}" for p in changed))


@contracts.command("check")
def contracts_check() -> None:
    """Fail when a dbt source YAML differs from what its contract renders."""
    from oe_platform.dbt_sources import stale_sources

    stale = stale_sources()
    if stale:
        fail("out of date with contracts/ (run `oe contracts sync`): " + ", ".join(map(str, stale)))
    click.echo("dbt sources match the landing contracts")


@main.command()
@path_options
def run(landing: Path | None, lake: Path | None, warehouse: Path | None) -> None:
    """Run everything through Dagster in this process: ingest, dbt build (with tests), publish."""
    _run_pipeline(settings_from(landing, lake, warehouse))


def _run_pipeline(settings: Settings) -> None:
    from oe_platform.dbt_runner import prepare_manifest
    from oe_platform.run_lock import file_lock

    # The manifest the Dagster definitions load must match the project being run. Two `oe run`s
    # started together parse one at a time and load a whole manifest (the run itself then waits
    # for the warehouse lock: orchestration/resources.py).
    with file_lock(REPO_ROOT / "target" / ".oe-parse.lock"):
        prepare_manifest(settings)
        import orchestration.definitions  # noqa: F401 (loads target/manifest.json now, under the lock)
    from orchestration.run import run_pipeline

    result = run_pipeline(settings)
    click.echo(f"Dagster run {result.run_id}: {result.materialized} asset materialisations")
    from oe_platform.delivery_report import run_report_lines

    for line in run_report_lines(settings.meta, result.run_id):
        click.echo(line)
    if result.warned_checks:
        click.secho("warnings (rows quarantined, see staging.stg_data_quality__issues): "
                    + ", ".join(result.warned_checks), fg="yellow", err=True)
    if result.failed_checks:
        click.secho("failed checks: " + ", ".join(result.failed_checks), fg="red", err=True)
    for error in result.errors:
        click.secho(f"failed: {error}", fg="red", err=True)
    if not result.success or result.failed_checks:
        fail(f"the pipeline failed; open the run in the Dagster UI (oe ui, DAGSTER_HOME={result.dagster_home})")


@main.command("rebuild-warehouse")
@path_options
def rebuild_warehouse(landing: Path | None, lake: Path | None, warehouse: Path | None) -> None:
    """Move a damaged (or unwanted) warehouse file aside and rebuild it from bronze: a full `oe run`
    on an empty warehouse. Bronze, the file manifest and linkage's person ids are kept."""
    from oe_platform.warehouse import move_aside

    settings = settings_from(landing, lake, warehouse)
    with one_writer(settings, "rebuild-warehouse"):
        moved = move_aside(settings)
    for path in moved:
        click.echo(f"moved aside: {path}")
    _run_pipeline(settings)


@main.command()
@path_options
def publish(landing: Path | None, lake: Path | None, warehouse: Path | None) -> None:
    """Publish every mart version the dbt manifest lists: <lake>/gold/<mart>/v<N>/<mart>.parquet with
    <lake>/gold/manifest.json, and one read-only DuckDB file per audience in <lake>/serving/."""
    from oe_platform.marts_catalog import ManifestError
    from oe_platform.publish import PublishError
    from oe_platform.publish import publish as run_publish

    settings = settings_from(landing, lake, warehouse)
    try:
        with one_writer(settings, "publish"):
            result = run_publish(settings)
    except (ManifestError, PublishError) as exc:
        fail(str(exc))
    for published in result.files:
        click.echo(f"{published.mart} v{published.version}: {published.rows} rows -> {published.path}")
    for served in result.serving:
        click.echo(f"serving {served.audience}: {len(served.tables)} table(s) -> {served.path}")
    for removed in result.removed:
        click.echo(f"removed (no longer built): {removed}")
    click.echo(f"manifest: {result.manifest} ({result.seconds:.2f}s)")


@main.command()
@path_options
@click.option("--out", type=click.Path(path_type=Path), default=REPO_ROOT / "site",
              show_default=True, help="Directory of the static docs site.")
def docs(landing: Path | None, lake: Path | None, warehouse: Path | None, out: Path) -> None:
    """Build the static docs site (dbt docs: models, columns, lineage) and the governance report
    (governance.html: PII register with column lineage, equality, retention, audit) into --out."""
    from oe_platform.docs_site import build_docs_site

    settings = settings_from(landing, lake, warehouse)
    index = build_docs_site(settings, out)
    click.echo(f"docs site: {index}")
    click.echo(f"governance report: {index.parent / 'governance.html'}")


@main.command()
@path_options
@click.option("--port", default=8501, show_default=True, help="Port of the dashboard on 127.0.0.1.")
def dashboard(landing: Path | None, lake: Path | None, warehouse: Path | None, port: int) -> None:
    """Open the analysts' dashboard (Streamlit) on http://127.0.0.1:PORT: the strategic monthly view
    by force, the high-harm and vulnerable lists, county lines. Reads only <lake>/serving/*.duckdb."""
    from oe_platform.dashboard.server import streamlit_command, streamlit_env

    settings = settings_from(landing, lake, warehouse)
    if not any(settings.serving.glob("*.duckdb")):
        fail(f"no serving files in {settings.serving}: run the pipeline (oe run) or oe publish first")
    click.echo(f"dashboard on http://127.0.0.1:{port} (serving files in {settings.serving}); Ctrl-C stops it")
    sys.exit(subprocess.call(streamlit_command(port), cwd=REPO_ROOT, env=streamlit_env(settings)))


@main.command()
@click.option("--port", default=3000, show_default=True, help="Port of the Dagster UI.")
def ui(port: int) -> None:
    """Open the Dagster UI (asset lineage, runs, checks) on http://127.0.0.1:PORT."""
    from orchestration.run import dagster_home

    env = {**os.environ, **load_settings().env(), "DAGSTER_HOME": dagster_home()}
    dagster = shutil.which("dagster", path=str(Path(sys.executable).parent)) or "dagster"
    cmd = [dagster, "dev", "-m", "orchestration.definitions", "-h", "127.0.0.1", "-p", str(port)]
    sys.exit(subprocess.call(cmd, cwd=REPO_ROOT, env=env))


def _register_package_commands() -> None:
    """Commands defined beside the library they drive."""
    from oe_platform.bench import bench_command
    from oe_platform.demo import demo_command
    from oe_platform.governance.cli import audit_group, erase_command, query_command
    from oe_platform.linkage.cli import linkage_group
    from oe_platform.marts.cli import marts_group
    from oe_platform.synth.cli import generate_command

    main.add_command(bench_command, "bench")
    main.add_command(demo_command, "demo")
    main.add_command(audit_group, "audit")
    main.add_command(erase_command, "erase")
    main.add_command(generate_command, "generate")
    main.add_command(linkage_group, "linkage")
    main.add_command(marts_group, "marts")
    main.add_command(query_command, "query")


_register_package_commands()
