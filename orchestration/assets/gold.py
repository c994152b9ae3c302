"""Gold and serving: the marts published for BI tools (oe_platform/publish.py).

One gold asset per mart version (gold/<dbt alias>: the Parquet file under lake/gold/<mart>/v<N>/)
and one serving asset per audience (serving/<dbt group>: lake/serving/<group>.duckdb), all written
by one step after the marts build. The publish library (duckdb) is imported when the step runs,
not when the code location loads."""

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, multi_asset
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from oe_platform.marts_catalog import mart_versions
from orchestration.assets.dbt import DBT_ASSETS
from orchestration.project import oe_dbt_project
from orchestration.resources import WAREHOUSE_LOCK

# the marts the dbt manifest lists (public models under models/marts/), from the manifest dagster-dbt
# has already loaded
_MART_IDS = {m.unique_id for m in mart_versions(get_manifest_and_translator_from_dbt_assets(DBT_ASSETS[:1])[0])}
MART_SPECS = sorted(
    (spec for assets in DBT_ASSETS for spec in assets.specs if spec.metadata.get("dagster_dbt/unique_id") in _MART_IDS),
    key=lambda s: s.key.path,
)
AUDIENCES = sorted({spec.group_name for spec in MART_SPECS if spec.group_name})


def gold_key(mart_alias: str) -> AssetKey:
    return AssetKey(["gold", mart_alias])


def serving_key(audience: str) -> AssetKey:
    return AssetKey(["serving", audience])


gold_specs = [
    AssetSpec(
        key=gold_key(spec.key.path[-1]),
        deps=[spec.key],
        group_name="gold",
        kinds={"parquet"},
        description=f"Published Parquet of {spec.key.path[-1]} for BI tools and notebooks "
        "(lake/gold/<mart>/v<N>/, listed in lake/gold/manifest.json).",
    )
    for spec in MART_SPECS
]

serving_specs = [
    AssetSpec(
        key=serving_key(audience),
        deps=[gold_key(spec.key.path[-1]) for spec in MART_SPECS if spec.group_name == audience],
        group_name="serving",
        kinds={"duckdb"},
        # a group whose marts are not public has no serving file
        skippable=True,
        description=f"Read-only DuckDB file of the public {audience} marts for BI tools "
        f"(lake/serving/{audience}.duckdb), swapped in atomically after each publish.",
    )
    for audience in AUDIENCES
]


@multi_asset(specs=[*gold_specs, *serving_specs], name="publish_marts", required_resource_keys={WAREHOUSE_LOCK})
def publish_marts(context: AssetExecutionContext):
    """oe publish: every mart version to gold Parquet with a manifest, then the serving files."""
    from oe_platform.config import load_settings
    from oe_platform.governance.audit import audit_run
    from oe_platform.governance.erasure import compact_warehouse, compaction_pending
    from oe_platform.publish import publish

    settings = load_settings()
    with audit_run(context.run.run_id):  # the audit log's disclosure entries carry this run
        result = publish(settings, run_id=context.run.run_id, manifest_path=oe_dbt_project.manifest_path)
    if compaction_pending(settings):
        # an erasure was applied: the rebuilt warehouse is copied into a fresh file (no freed blocks kept)
        compact_warehouse(settings)
        context.log.info(f"warehouse compacted after an erasure: {settings.warehouse}")
    by_alias = {f.relation.split(".")[-1]: f for f in result.files}
    for spec in gold_specs:
        published = by_alias[spec.key.path[-1]]
        yield MaterializeResult(
            asset_key=spec.key,
            metadata={
                "path": str(published.path),
                "version": published.version,
                "rows": published.rows,
                "checksum": published.checksum,
                "manifest": str(result.manifest),
            },
        )
    for served in result.serving:
        yield MaterializeResult(
            asset_key=serving_key(served.audience),
            metadata={"path": str(served.path), "tables": ", ".join(served.tables), "rows": served.rows},
        )
    context.log.info(
        f"published {len(result.files)} mart version(s) in {result.seconds:.2f}s; "
        f"removed {len(result.removed)} stale file(s): {', '.join(result.removed) or 'none'}"
    )
