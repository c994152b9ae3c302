"""Every dbt model, seed, snapshot and test as Dagster assets and asset checks."""

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.project import oe_dbt_project
from orchestration.translator import OeDbtTranslator


@dbt_assets(
    manifest=oe_dbt_project.manifest_path,
    project=oe_dbt_project,
    dagster_dbt_translator=OeDbtTranslator(),
)
def oe_dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """dbt build: run each selected model and seed with its data and unit tests."""
    yield from dbt.cli(["build"], context=context).stream()
