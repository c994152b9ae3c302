"""Person resolution as an asset: conformed.int_person_records (warehouse, read-only) -> Splink with
the committed model -> <lake>/linkage/{clusters,pairs,review,quality}.parquet (docs/linkage.md)."""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetKey, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from oe_platform.config import load_settings
from oe_platform.governance.audit import audit_run
from orchestration.resources import WAREHOUSE_LOCK

PERSON_CLUSTERS_KEY = AssetKey(["linkage", "person_clusters"])
LINKAGE_QUALITY_KEY = AssetKey(["linkage", "linkage_quality"])
LINKAGE_REVIEW_KEY = AssetKey(["linkage", "linkage_review"])
PERSON_RECORDS_KEY = AssetKey(["conformed", "int_person_records"])
_OWNERS = ["data-engineering@oe-platform.example"]
_KINDS = {"python", "splink", "parquet"}


@multi_asset(
    name="person_resolution",
    required_resource_keys={WAREHOUSE_LOCK},
    specs=[
        AssetSpec(
            PERSON_CLUSTERS_KEY, deps=[PERSON_RECORDS_KEY], group_name="conformed", kinds=_KINDS, owners=_OWNERS,
            description="Person clusters: every person record with its stable person_id and match confidence "
            "(<lake>/linkage/clusters.parquet; the scored pairs beside it in pairs.parquet).",
        ),
        AssetSpec(
            LINKAGE_QUALITY_KEY, deps=[PERSON_RECORDS_KEY], group_name="conformed", kinds=_KINDS, owners=_OWNERS,
            description="The run's quality report (<lake>/linkage/quality.parquet) and its match-weight chart.",
        ),
        AssetSpec(
            LINKAGE_REVIEW_KEY, deps=[PERSON_RECORDS_KEY], group_name="conformed", kinds=_KINDS, owners=_OWNERS,
            description="What the run wants a person to look at (<lake>/linkage/review.parquet).",
        ),
    ],
)
def person_clusters(context: AssetExecutionContext) -> Iterator[MaterializeResult]:
    """Link the person records with the committed model (never trains); carry person ids forward."""
    # imported here, not at module load: Splink and pandas would slow every import of the code location
    from oe_platform.linkage.pipeline import default_engine, link_warehouse
    from oe_platform.linkage.quality import format_report

    settings = load_settings()
    engine = default_engine()
    with audit_run(context.run.run_id):  # the audit log's combination entry carries this run
        run = link_warehouse(settings, engine=engine)
    try:
        context.log.info(format_report(run.quality))
        summary = run.summary
        metadata = {
            "model_version": int(run.model.version),
            "engine": engine,
            # incremental (only pairs with a new or changed profile scored) or full, and why
            "linkage_mode": run.mode.name if run.mode else "full",
            "linkage_mode_reason": run.mode.reason if run.mode else "",
            "threshold": float(run.config.threshold),
            "person_records": int(summary["person_records"]),
            "persons": int(summary["persons"]),
            "largest_cluster": int(summary["largest_cluster"]),
            "pairs_accepted": int(summary["pairs_accepted"]),
            "clusters_split_by_guard": int(summary["components_split_by_guard"]),
            "review_rows": int(run.con.execute("select count(*) from lk_review").fetchall()[0][0]),
            "outputs": MetadataValue.md("\n".join(f"- `{path}`" for path in run.written)),
        }
        metadata.update({k: float(v) for k, v in run.timings.items()})
        yield MaterializeResult(asset_key=PERSON_CLUSTERS_KEY, metadata=metadata)
        accuracy = run.accuracy
        yield MaterializeResult(asset_key=LINKAGE_QUALITY_KEY, metadata={
            "prior_probability_two_random_records_match": float(summary["prior_probability_two_random_records_match"]),
            "expected_matches_per_profile": float(summary["expected_matches_per_profile"]),
            "rows": len(run.quality),
            **({"precision": accuracy.precision, "recall": accuracy.recall} if accuracy else {}),
        })
        review_counts = dict(run.con.execute("select review_type, count(*) from lk_review group by 1").fetchall())
        yield MaterializeResult(asset_key=LINKAGE_REVIEW_KEY, metadata={
            f"{kind}_rows": int(count) for kind, count in sorted(review_counts.items())
        } or {"rows": 0})
    finally:
        # the linkage's in-memory DuckDB holds every table of the run until it is closed: at tier L it
        # left 13.9 GB in Dagster's process beside the next dbt step (docs/scale.md, "Tier L")
        run.con.close()
