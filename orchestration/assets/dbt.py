"""Every dbt model, seed, snapshot and test as Dagster assets and asset checks.

Person resolution runs in Python between two parts of the dbt project: everything up to
conformed.int_person_records builds first; the models downstream of the dbt source `linkage`
(person_source_record, person and what reads them) build after linkage/person_clusters."""

import os

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from oe_platform.config import load_settings
from oe_platform.pause import pause_point
from oe_platform.staging_state import plan_staging_build, record_staging_build
from orchestration.audit import audited_dbt_build
from orchestration.project import oe_dbt_project
from orchestration.resources import DATA_QUALITY_STEP, WarehouseLock
from orchestration.translator import OeDbtTranslator

# with this many dbt results streamed, the build is well under way: the crash-safety pause point
PAUSE_AFTER_EVENTS = 40
AFTER_LINKAGE = "source:linkage+"
# dbt unit tests check the models' logic on fixed inputs, not the delivered data: CI runs them
# (`make dbt-build-fresh`); a pipeline run builds the models with their data tests only. They were
# a fifth of every run's dbt time (docs/scale.md).
BUILD = ["build", "--exclude-resource-type", "unit_test"]
# targets whose staging models are incremental (macros/incremental_staging.sql)
INCREMENTAL_TARGETS = ("dev", "ci")


@dbt_assets(
    manifest=oe_dbt_project.manifest_path,
    project=oe_dbt_project,
    dagster_dbt_translator=OeDbtTranslator(),
    exclude=AFTER_LINKAGE,
    name=DATA_QUALITY_STEP,
)
def oe_dbt_before_linkage(context: AssetExecutionContext, dbt: DbtCliResource, warehouse_lock: WarehouseLock):
    """dbt build up to the linkage input: seeds, staging, conformed events, int_person_records, marts.
    Holds the run's warehouse lock (a resource: taken before the first step, released after the last).

    Staging is incremental on DuckDB: the build stages only new bronze files unless something already
    staged changed (oe_platform/staging_state.py), when it rebuilds staging whole (--full-refresh)."""
    args, on_results, env = BUILD, None, {}
    if os.environ.get("OE_DBT_TARGET", "dev") in INCREMENTAL_TARGETS:
        settings = load_settings()
        plan = plan_staging_build(settings)
        if plan.full_refresh_reason:
            context.log.info(f"staging rebuilt whole (--full-refresh): {plan.full_refresh_reason}")
            args = [*BUILD, "--full-refresh"]
        else:
            context.log.info("staging incremental: only bronze files not staged yet are staged")
        # the row-level data tests of incremental staging models check the new files' rows only
        # (macros/staging_test_scope.sql)
        context.log.info(f"data tests of incremental staging models check {plan.test_scope_reason}")
        env = plan.test_env()

        def on_results(results: dict) -> None:
            record_staging_build(settings, plan, results)
    events = audited_dbt_build(context, dbt, "dbt_before_linkage", args, on_results=on_results, env=env)
    for count, event in enumerate(events, start=1):
        if count == PAUSE_AFTER_EVENTS:
            pause_point("dbt")  # a crash-safety test kills the run here, mid-build (oe_platform/pause.py)
        yield event


@dbt_assets(
    manifest=oe_dbt_project.manifest_path,
    project=oe_dbt_project,
    dagster_dbt_translator=OeDbtTranslator(),
    select=AFTER_LINKAGE,
    name="oe_dbt_after_linkage",
)
def oe_dbt_after_linkage(context: AssetExecutionContext, dbt: DbtCliResource, warehouse_lock: WarehouseLock):
    """dbt build of everything that reads the resolved persons (under the run's warehouse lock)."""
    yield from audited_dbt_build(context, dbt, "dbt_after_linkage", BUILD)


DBT_ASSETS = [oe_dbt_before_linkage, oe_dbt_after_linkage]
