"""The ingest multi-asset materialises every bronze entity and passes its reconciliation check."""

from dagster import materialize

from orchestration.assets.landing import RECONCILIATION_CHECK, ingest_landing_zone
from orchestration.resources import WAREHOUSE_LOCK, WarehouseLock
from tests.landing.helpers import CRIMES_HEADER, crime_row


def test_ingest_asset_materialises_and_reconciles(slice_landing, landing_day):
    kent = landing_day("crime", "kent")
    (kent / "crimes_20250108.csv").write_text(CRIMES_HEADER + "\n" + crime_row("K1") + "\nbad\n")
    (kent / "crimes_20250109.csv").write_text("not,the,header\n")
    result = materialize([ingest_landing_zone], resources={WAREHOUSE_LOCK: WarehouseLock()})
    assert result.success
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == RECONCILIATION_CHECK.name and check.passed
    metadata = result.asset_materializations_for_node("ingest_landing_zone")[0].metadata
    assert metadata["rows_rejected_this_run"].value == 1
    assert metadata["files_quarantined_this_run"].value == 1
    assert "crimes_20250109.csv" in metadata["quarantined"].value
    # the step held the warehouse lock and logged the run
    from oe_platform.config import load_settings
    from oe_platform.run_lock import read_run_log

    assert [r["event"] for r in read_run_log(load_settings())] == ["started", "finished"]
