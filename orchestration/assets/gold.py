"""Gold: the public marts published as Parquet for BI tools."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset

from oe_platform.config import load_settings
from oe_platform.governance.audit import audit_run
from oe_platform.publish import publish
from orchestration.assets.dbt import DBT_ASSETS

MART_KEYS = sorted(
    (key for assets in DBT_ASSETS for key in assets.keys if key.path[0] == "marts"), key=lambda k: k.path
)

gold_specs = [
    AssetSpec(
        key=AssetKey(["gold", key.path[-1]]),
        deps=[key],
        group_name="gold",
        kinds={"parquet"},
        description=f"Published Parquet copy of {key.path[-1]} for BI tools (lake/gold).",
    )
    for key in MART_KEYS
]

@multi_asset(specs=gold_specs, name="publish_marts")
def publish_marts(context: AssetExecutionContext):
    """oe publish: write every mart to gold/<mart>.parquet."""
    settings = load_settings()
    with audit_run(context.run.run_id):  # the audit log's disclosure entries carry this run
        files = publish(settings, [k.path[-1] for k in MART_KEYS])
    for spec, published in zip(gold_specs, files, strict=True):
        yield MaterializeResult(
            asset_key=spec.key, metadata={"path": str(published.path), "rows": published.rows}
        )
