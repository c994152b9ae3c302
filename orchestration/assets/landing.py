"""Landing zone → bronze, as assets: one external asset per landed source, one bronze asset per
contract entity, materialised together by `oe ingest` with a reconciliation check."""

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from oe_platform.config import load_settings
from oe_platform.contracts import load_contracts
from oe_platform.governance.audit import audit_run
from oe_platform.landing.discover import POLICE_UK
from orchestration.resources import WAREHOUSE_LOCK
from orchestration.translator import bronze_asset_key, landing_asset_key

CONTRACTS = load_contracts()


def _landing_description(source: str, title: str) -> str:
    where = f"<landing>/{source}/"
    if source == POLICE_UK:
        where = "$OE_SHARED_DATA/police_uk/<YYYY-MM>/ (read in place) and <landing>/police_uk/"
    return f"Files delivered for {title} under {where} (landing contract contracts/{source}.yml)."


landing_specs = [
    AssetSpec(
        key=landing_asset_key(contract.source),
        description=_landing_description(contract.source, contract.title),
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

# The ingest bookkeeping under <lake>/_meta/, read by dbt as source `ingest` (the translator keys dbt
# sources <source_name>/<table>, so these keys join the dbt lineage).
INGEST_META_TABLES = {
    "file_manifest": "One row per landed file and ingest attempt: checksum, layout, rows read/accepted/rejected, "
    "status and reason (_meta/file_manifest.parquet).",
    "rejects": "Rejected landed rows with raw text, reason and column (_meta/rejects/*.parquet).",
    "warnings": "Values kept but flagged: formula-like cells, huge fields… (_meta/warnings/*.parquet).",
}
meta_specs = [
    AssetSpec(
        key=AssetKey(["ingest", name]),
        description=description,
        group_name="bronze",
        deps=[spec.key for spec in landing_specs],
        kinds={"parquet", "python"},
    )
    for name, description in INGEST_META_TABLES.items()
]

RECONCILIATION_CHECK = AssetCheckSpec(
    name="every_landed_row_accounted_for",
    asset=bronze_specs[0].key,
    description=(
        "For every loaded file: rows read = accepted + rejected, bronze holds exactly the accepted rows and "
        "the rejects table exactly the rejected rows; bronze holds no rows of an unregistered file."
    ),
    blocking=True,
)


def _file_list(lines: list[str], limit: int = 20) -> str:
    shown = "\n".join(f"- {line}" for line in lines[:limit])
    return shown + (f"\n- … and {len(lines) - limit} more" if len(lines) > limit else "") or "none"


@multi_asset(specs=[*bronze_specs, *meta_specs], check_specs=[RECONCILIATION_CHECK], name="ingest_landing_zone",
             required_resource_keys={WAREHOUSE_LOCK})
def ingest_landing_zone(context: AssetExecutionContext):
    """Register, parse and load every new landed file (oe ingest); quarantine what cannot be read."""
    # imported here, not at module load: keeps the code location quick to import
    from oe_platform.governance.erasure import apply_erasures, read_delivered_lists
    from oe_platform.landing.ingest import ingest
    from oe_platform.landing.reconcile import reconcile

    settings = load_settings()
    with audit_run(context.run.run_id):  # the audit log's collection entries carry this run
        summary = ingest(settings)
        # erasure requests, before anything reads bronze: landing, bronze, rejects, warnings, quarantine
        _, bad_lists = read_delivered_lists(settings)
        erased = apply_erasures(settings, run_id=context.run.run_id)
    for problem in bad_lists:
        context.log.warning(f"erasure list not applied: {problem}")
    for outcome in erased:
        context.log.info(f"erasure {outcome.request_id} ({outcome.source}): {outcome.rows} row(s) removed from "
                         f"{len(outcome.files)} file(s)")
    # an ingest error names its file first; a line says the path once
    set_aside = [f.error if f.error and f.error.startswith(f.path) else f"{f.path}: {f.error}"
                 for f in summary.files if f.status in ("quarantined", "failed")]
    skipped = [f.error or f.path for f in summary.files if f.status == "skipped"]
    context.log.info(
        f"ingest: {len(summary.files)} new file(s) in {summary.seconds:.1f}s; {summary.rows_accepted} rows "
        f"accepted, {summary.rows_rejected} rejected, {summary.rows_warned} flagged; "
        f"{summary.count('duplicate')} duplicate, {len(set_aside)} file(s) quarantined, {len(skipped)} skipped"
    )
    for line in set_aside:
        context.log.warning(f"quarantined: {line}")
    for line in skipped:
        context.log.warning(f"skipped: {line}")
    for spec in [*bronze_specs, *meta_specs]:
        yield MaterializeResult(
            asset_key=spec.key,
            metadata={
                "new_files": len(summary.files),
                "rows_accepted_this_run": summary.rows_accepted,
                "rows_rejected_this_run": summary.rows_rejected,
                "rows_flagged_this_run": summary.rows_warned,
                "files_quarantined_this_run": len(set_aside),
                "quarantined": MetadataValue.md(_file_list(set_aside)),
                "files_skipped_this_run": len(skipped),
                "skipped": MetadataValue.md(_file_list(skipped)),
                "ingest_run_id": summary.run_id,
            },
        )
    problems = reconcile(settings)
    yield AssetCheckResult(
        check_name=RECONCILIATION_CHECK.name,
        asset_key=RECONCILIATION_CHECK.asset_key,
        passed=not problems,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "discrepancies": MetadataValue.md(_file_list([p.describe() for p in problems])),
            "files_failed_this_run": summary.count("failed"),
        },
    )
