"""The Dagster definitions: landing → bronze → dbt (staging, conformed) → linkage → dbt (persons, marts) → gold."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster import AssetSelection, Definitions, define_asset_job, in_process_executor

from orchestration.assets.dbt import DBT_ASSETS
from orchestration.assets.gold import publish_marts
from orchestration.assets.landing import ingest_landing_zone, landing_specs
from orchestration.assets.linkage import person_clusters
from orchestration.audit import audit_run_failure
from orchestration.project import oe_dbt_project
from orchestration.resources import WAREHOUSE_LOCK, OeDbtCliResource, WarehouseLock
from orchestration.sensors import landing_zone_sensor

# One writer per DuckDB file: everything runs in one process, one step at a time, and every run holds
# the warehouse lock (orchestration/resources.py) from its first step to its last.
oe_full_pipeline = define_asset_job(
    name="oe_full_pipeline",
    selection=AssetSelection.all(),
    description="Ingest every new landed file, build every dbt model with its tests, publish the marts.",
    hooks={audit_run_failure},  # a failed step is written to the audit log (run_failure)
)

defs = Definitions(
    assets=[*landing_specs, ingest_landing_zone, *DBT_ASSETS, person_clusters, publish_marts],
    jobs=[oe_full_pipeline],
    sensors=[landing_zone_sensor],
    resources={
        WAREHOUSE_LOCK: WarehouseLock(),
        "dbt": OeDbtCliResource(
            project_dir=oe_dbt_project,
            target=os.environ.get("OE_DBT_TARGET", "dev"),
            # The dbt installed beside this Python (the project's virtualenv), not whatever is on PATH.
            dbt_executable=str(Path(sys.executable).parent / "dbt"),
        ),
    },
    executor=in_process_executor,
)
