"""Landing zone → bronze, as assets: one external asset per landed source, one bronze asset per
contract entity, materialised together by `oe ingest` with a reconciliation check."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from oe_platform.config import load_settings
from oe_platform.contracts import load_contracts
from oe_platform.landing.ingest import ingest
from oe_platform.landing.reconcile import reconcile
from orchestration.translator import bronze_asset_key, landing_asset_key

CONTRACTS = load_contracts()

landing_specs = [
    AssetSpec(
        key=landing_asset_key(contract.source),
        description=f"Files delivered for {contract.title} under <landing>/{contract.source}/ "
        f"(landing contract contracts/{contract.source}.yml).",
        group_name="landing",
        metadata={"contract": f"contracts/{contract.source}.yml"},
    )
    for contract in CONTRACTS.values()
]

bronze_specs = [
    AssetSpec(
        key=bronze_asset_key(contract.source, entity.name),
        description=f"Bronze Parquet of {contract.title}: {entity.description}",
        group_name="bronze",
        deps=[landing_asset_key(contract.source)],
        kinds={"parquet", "python"},
        metadata={"contract": f"contracts/{contract.source}.yml", "key": list(entity.key)},
    )
    for contract in CONTRACTS.values()
    for entity in contract.entities.values()
]

RECONCILIATION_CHECK = AssetCheckSpec(
    name="every_landed_row_accounted_for",
    asset=bronze_specs[0].key,
    description="For every landed file: rows read = accepted + rejected, and bronze holds the accepted rows.",
    blocking=True,
)

@multi_asset(specs=bronze_specs, check_specs=[RECONCILIATION_CHECK], name="ingest_landing_zone")
def ingest_landing_zone(context: AssetExecutionContext):
    """Register, parse and load every new landed file (oe ingest); quarantine what cannot be read."""
    settings = load_settings()
    summary = ingest(settings)
    context.log.info(
        f"ingest: {len(summary.files)} new file(s); {summary.rows_accepted} rows accepted, "
        f"{summary.rows_rejected} rejected, {summary.count('quarantined')} file(s) quarantined"
    )
    for spec in bronze_specs:
        yield MaterializeResult(
            asset_key=spec.key,
            metadata={
                "new_files": len(summary.files),
                "rows_accepted_this_run": summary.rows_accepted,
                "rows_rejected_this_run": summary.rows_rejected,
                "files_quarantined_this_run": summary.count("quarantined"),
            },
        )
    problems = reconcile(settings)
    yield AssetCheckResult(
        check_name=RECONCILIATION_CHECK.name,
        asset_key=RECONCILIATION_CHECK.asset_key,
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={"discrepancies": MetadataValue.md("\n".join(f"- {p.describe()}" for p in problems) or "none")},
    )
