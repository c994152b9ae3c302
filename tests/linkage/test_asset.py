"""The Dagster asset linkage/person_clusters: reads the warehouse read-only, writes the Parquet."""

from __future__ import annotations

import duckdb
import pandas as pd
from dagster import AssetKey, DagsterInstance, materialize

from orchestration.assets.linkage import person_clusters
from orchestration.resources import WAREHOUSE_LOCK, WarehouseLock
from tests.linkage.conftest import record

# every pipeline step holds the warehouse lock (orchestration/resources.py)
LOCK = {WAREHOUSE_LOCK: WarehouseLock()}


def test_the_asset_links_the_warehouse_records_and_keeps_person_ids(tmp_path, monkeypatch, background_rows):
    warehouse = tmp_path / "oe.duckdb"
    frame = pd.DataFrame([
        *background_rows,
        record("as-1", "ISLA", "CRISPIN", "2000-12-24", postcode="HR1 2BB", force="west-mercia"),
        record("as-2", "ISLA", "CRISPIN", "2000-12-24", postcode="HR1 2BB", force="warwickshire"),
    ])
    con = duckdb.connect(str(warehouse))
    con.execute("create schema conformed")
    con.register("frame", frame)
    con.execute("create table conformed.int_person_records as select * from frame")
    con.close()
    monkeypatch.setenv("OE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("OE_LAKE", str(tmp_path / "lake"))

    assert person_clusters.keys == {AssetKey(["linkage", name])
                                    for name in ("person_clusters", "linkage_quality", "linkage_review")}
    assert AssetKey(["conformed", "int_person_records"]) in person_clusters.dependency_keys
    first = materialize([person_clusters], instance=DagsterInstance.ephemeral(), resources=LOCK)
    assert first.success
    clusters_path = tmp_path / "lake" / "linkage" / "clusters.parquet"
    clusters = pd.read_parquet(clusters_path).set_index("person_record_id")
    assert len(clusters) == len(frame)
    assert clusters.loc["as-1", "person_id"] == clusters.loc["as-2", "person_id"]

    second = materialize([person_clusters], instance=DagsterInstance.ephemeral(), resources=LOCK)
    assert second.success
    again = pd.read_parquet(clusters_path).set_index("person_record_id")
    assert again["person_id"].equals(clusters["person_id"])


def test_the_asset_closes_the_linkage_connection_so_its_memory_returns(tmp_path, monkeypatch, background_rows):
    """The linkage's in-memory DuckDB holds every intermediate table of the run until it is closed (at
    tier L 13.9 GB were left in Dagster's process beside the next dbt step): the asset closes it."""
    import pytest

    import oe_platform.linkage.pipeline as pipeline

    warehouse = tmp_path / "oe.duckdb"
    con = duckdb.connect(str(warehouse))
    con.execute("create schema conformed")
    con.register("frame", pd.DataFrame(background_rows))
    con.execute("create table conformed.int_person_records as select * from frame")
    con.close()
    monkeypatch.setenv("OE_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("OE_LAKE", str(tmp_path / "lake"))
    runs = []
    link_warehouse = pipeline.link_warehouse

    def kept(*args, **kwargs):
        runs.append(link_warehouse(*args, **kwargs))
        return runs[-1]

    monkeypatch.setattr(pipeline, "link_warehouse", kept)
    assert materialize([person_clusters], instance=DagsterInstance.ephemeral(), resources=LOCK).success
    assert len(runs) == 1
    with pytest.raises(duckdb.ConnectionException):
        runs[0].con.execute("select count(*) from lk_review")
