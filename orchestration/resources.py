"""The warehouse lock as a Dagster resource: taken when a run starts, released when it ends.

Every step of oe_full_pipeline requires it. With the in-process executor a run initialises its
resources once, before the first step, and tears them down after the last, so the lock covers the
whole run, whether `oe run`, the UI or the landing sensor started it (oe_platform/run_lock.py)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cached_property
from importlib.metadata import version as installed_version

from dagster import (
    AssetCheckSeverity,
    AssetKey,
    ConfigurableResource,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    InitResourceContext,
)
from dagster_dbt import DbtCliResource
from packaging import version

from oe_platform.config import Settings, load_settings
from oe_platform.delivery_report import COMPLETE, NOT_REBUILT, UNFINISHED
from oe_platform.run_lock import read_run_log, warehouse_lock
from oe_platform.warehouse import check_warehouse

WAREHOUSE_LOCK = "warehouse_lock"


def _run_id(context: InitResourceContext) -> str | None:
    return context.run.run_id if context.run is not None else None


def _outcome(context: InitResourceContext) -> dict:
    """What failed in this run so far, from its own event log: the steps and the error checks."""
    instance, run_id = context.instance, _run_id(context)
    if instance is None or run_id is None:
        return {"status": "unknown"}
    failed_steps = sorted({
        record.dagster_event.step_key
        for record in instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
        if record.dagster_event and record.dagster_event.step_key
    })
    failed_checks = sorted({
        f"{data.asset_key.to_user_string()}:{data.check_name}"
        for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_CHECK_EVALUATION)
        if record.dagster_event
        and not (data := record.dagster_event.event_specific_data).passed
        and data.severity == AssetCheckSeverity.ERROR
    })
    status = "failed" if failed_steps or failed_checks else "succeeded"
    return {"status": status, "failed_steps": failed_steps, "failed_checks": failed_checks}


def _fail_interrupted_runs(context: InitResourceContext, settings: Settings, run_id: str) -> None:
    """Mark the Dagster runs this run found interrupted (killed: still STARTED) as failed, with why,
    so the UI does not show them running for ever."""
    instance = context.instance
    if instance is None:
        return
    for record in read_run_log(settings):
        if record.get("event") != "interrupted" or record.get("noticed_by") != run_id:
            continue
        run = instance.get_run_by_id(record["run_id"])
        if run is not None and run.status in (DagsterRunStatus.STARTED, DagsterRunStatus.STARTING):
            instance.report_run_failed(run, f"interrupted: the run's process ended without finishing (killed, or "
                                            f"the machine stopped); run {run_id} redid its work")


DATA_QUALITY_STEP = "oe_dbt_before_linkage"
"""The name of the dbt step (orchestration/assets/dbt.py takes it from here) whose build rebuilds the
data-quality tables a run's delivery report reads."""

DATA_QUALITY_ASSET = AssetKey(["staging", "stg_data_quality__issues"])
"""The data-quality table a delivery report reads (its key as orchestration/translator.py gives it)."""


def _run_asset_keys(instance: DagsterInstance, run_id: str, event_type: DagsterEventType) -> set[AssetKey]:
    return {record.dagster_event.asset_key
            for record in instance.all_logs(run_id, of_type=event_type)
            if record.dagster_event and record.dagster_event.asset_key}


def data_quality_outcome(instance: DagsterInstance, run_id: str) -> str:
    """What run `run_id` did to the data-quality table its delivery report reads: COMPLETE when it
    materialised it (the values its rules flag in the run's deliveries are known, whatever failed after);
    NOT_REBUILT when its selection never planned it (a run of some assets only); UNFINISHED when it was
    planned and not materialised (the run was cancelled or killed first, which logs no failure, or a step
    before it failed)."""
    if DATA_QUALITY_ASSET not in _run_asset_keys(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION_PLANNED):
        return NOT_REBUILT
    if DATA_QUALITY_ASSET in _run_asset_keys(instance, run_id, DagsterEventType.ASSET_MATERIALIZATION):
        return COMPLETE
    return UNFINISHED


def _keep_run_report(context: InitResourceContext, settings: Settings, run_id: str) -> None:
    """Read the run's delivery report while the lock is still held, and keep it for `oe run` to print
    (oe_platform/delivery_report.py): the next run may open the warehouse the moment the lock is
    released, and DuckDB refuses its writer while a reader has the file open."""
    from oe_platform.delivery_report import save_run_report

    instance = context.instance
    if instance is None or run_id == "unknown":
        return
    try:
        ingest_run_id = next((
            str(entry.value)
            for record in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
            if record.dagster_event
            for key, entry in record.dagster_event.event_specific_data.materialization.metadata.items()
            if key == "ingest_run_id"), None)
        outcome = data_quality_outcome(instance, run_id)
        save_run_report(settings.meta, settings.warehouse, run_id, ingest_run_id, outcome)
    except Exception as err:  # the report is for the operator: its failure never fails the run, nor hides its error
        if context.log:
            context.log.warning(f"the run's delivery report could not be read: {type(err).__name__}: {err}")


class WarehouseLock(ConfigurableResource):
    """Exclusive use of the warehouse and lake for the run (see oe_platform/run_lock.py)."""

    @contextmanager
    def yield_for_execution(self, context: InitResourceContext) -> Iterator[WarehouseLock]:
        settings = load_settings()
        run_id = _run_id(context) or "unknown"
        log = context.log
        with warehouse_lock(settings, run_id, on_wait=log.warning if log else None,
                            outcome=lambda: _outcome(context)) as notes:
            for note in notes:
                if log:
                    log.warning(note)
            _fail_interrupted_runs(context, settings, run_id)
            # a damaged warehouse stops the run here, with the file and the command to rebuild it
            check_warehouse(settings)
            try:
                yield self
            finally:
                _keep_run_report(context, settings, run_id)


class OeDbtCliResource(DbtCliResource):
    """dagster-dbt's dbt resource, told the dbt version instead of asking for it.

    DbtCliResource learns the version by running `dbt --version`: one more dbt process start (dbt's
    imports: seconds, ten on a busy 2-core machine) in every run. The executable the platform gives
    it is the dbt of this virtualenv (orchestration/definitions.py), so its version is the installed
    dbt-core's, read from the package metadata."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        """No dbt adapter in Dagster's process. DbtCliResource opens one before every dbt command (dbt's
        imports, the profile, the project's macros: 3.3 s for the first step of a run and 1.1 s for the
        next, measured) only to fetch column metadata and row counts after the build, which the
        platform does not ask for (its column docs and row counts come from the manifest and the audit
        log). Without it dagster-dbt streams the same events; nothing else reads the adapter."""
        return None
