"""Person resolution as an asset: conformed.int_person_records (warehouse, read-only) -> Splink with
the committed model -> <lake>/linkage/{clusters,pairs,review,quality}.parquet (docs/linkage.md)."""

from dagster import AssetExecutionContext, AssetKey, MaterializeResult, MetadataValue, asset

from oe_platform.config import load_settings

PERSON_CLUSTERS_KEY = AssetKey(["linkage", "person_clusters"])
PERSON_RECORDS_KEY = AssetKey(["conformed", "int_person_records"])


@asset(
    key=PERSON_CLUSTERS_KEY,
    deps=[PERSON_RECORDS_KEY],
    group_name="conformed",
    kinds={"python", "splink", "parquet"},
    description="Person clusters: every person record with its stable person_id and match confidence, "
    "the scored pairs, the review list and the quality report, as Parquet under <lake>/linkage/.",
    owners=["data-engineering@oe-platform.example"],
)
def person_clusters(context: AssetExecutionContext) -> MaterializeResult:
    """Link the person records with the committed model (never trains); carry person ids forward."""
    # imported here, not at module load: Splink and pandas would slow every import of the code location
    from oe_platform.linkage.pipeline import link_warehouse
    from oe_platform.linkage.quality import format_report

    settings = load_settings()
    run = link_warehouse(settings)
    context.log.info(format_report(run.quality))
    summary = run.summary
    metadata = {
        "model_version": int(run.model.version),
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
    return MaterializeResult(asset_key=PERSON_CLUSTERS_KEY, metadata=metadata)
