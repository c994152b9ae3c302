"""Gold Parquet and the serving DuckDB files, after a real Dagster run of a generated landing zone."""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import load_settings
from oe_platform.marts_catalog import DBT_MANIFEST, list_mart_versions
from oe_platform.publish import PublishError, publish, rows_checksum

pytestmark = pytest.mark.slow

STRATEGIC = "mart_strategic__oe_monthly_by_force"


def gold_manifest(settings) -> dict:
    return json.loads((settings.gold / "manifest.json").read_text())


def test_gold_holds_every_mart_version_the_dbt_manifest_lists(served_pipeline):
    settings = served_pipeline.settings
    manifest = gold_manifest(settings)
    marts = list_mart_versions(DBT_MANIFEST)
    assert STRATEGIC in {m.name for m in marts}
    assert [(e["mart"], e["version"]) for e in manifest["marts"]] == [(m.name, m.version) for m in marts]
    assert manifest["run_id"] == served_pipeline.result.run_id
    assert (settings.gold / "_manifests").is_dir() and any((settings.gold / "_manifests").iterdir())

    warehouse = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        for mart, entry in zip(marts, manifest["marts"], strict=True):
            path = settings.gold / entry["path"]
            assert path == settings.gold / mart.name / f"v{mart.version}" / f"{mart.name}.parquet"
            relation = f'"{mart.schema}"."{mart.alias}"'
            assert entry["rows"] == warehouse.execute(f"select count(*) from {relation}").fetchone()[0]
            # the checksum covers the rows, not their order or the file's bytes; a mart for wide sharing
            # holds keyed hashes where the warehouse holds ids (tests/governance/test_pseudonymised_sharing.py)
            if not mart.pseudonymised_columns:
                assert entry["checksum"] == rows_checksum(warehouse, relation)
            assert entry["checksum"] == rows_checksum(warehouse, f"read_parquet('{path}')")
            assert [c["name"] for c in entry["schema"]] == [c.name for c in mart.columns]
            assert all(c["pii"] in {"none", "indirect", "direct"} for c in entry["schema"])
            assert entry["group"] == mart.group and entry["access"] == mart.access
    finally:
        warehouse.close()
    strategic = next(e for e in manifest["marts"] if e["mart"] == STRATEGIC)
    assert strategic["rows"] > 20, "the generated landing zone should give a real strategic aggregate"


def test_the_checksum_changes_when_a_row_changes():
    con = duckdb.connect()
    con.execute("create table t as select * from (values (1, 'a'), (2, 'b')) as v (k, x)")
    before = rows_checksum(con, "t")
    con.execute("create table reordered as select * from t order by k desc")
    assert rows_checksum(con, "reordered") == before
    con.execute("update t set x = 'c' where k = 2")
    assert rows_checksum(con, "t") != before


def _frames(settings):
    for entry in gold_manifest(settings)["marts"]:
        yield entry, settings.gold / entry["path"]


def test_gold_is_readable_by_pandas_pyarrow_and_polars(served_pipeline):
    import pandas as pd
    import polars as pl
    import pyarrow.parquet as pq

    for entry, path in _frames(served_pipeline.settings):
        columns = [c["name"] for c in entry["schema"]]
        by_pandas = pd.read_parquet(path)
        by_arrow = pq.read_table(path)
        by_polars = pl.read_parquet(path)
        assert list(by_pandas.columns) == columns == by_arrow.column_names == by_polars.columns
        assert len(by_pandas) == by_arrow.num_rows == by_polars.height == entry["rows"]
        if entry["mart"] == STRATEGIC:
            total = int(by_pandas["event_count"].sum())
            assert total > 0
            assert by_arrow.column("event_count").to_pandas().sum() == total
            assert by_polars["event_count"].sum() == total
            # suppression survives the trip: suppressed cells have no count in every reader
            assert by_polars.filter(pl.col("is_suppressed"))["event_count"].null_count() == (
                by_polars["is_suppressed"].sum()
            )
            assert str(by_arrow.schema.field("month_start").type) == "date32[day]"


def test_gold_is_readable_by_spark(served_pipeline, tmp_path):
    from oe_platform.linkage.spark_backend import local_spark_session

    spark = local_spark_session(tmp_path / "spark", cores=1)
    try:
        for entry, path in _frames(served_pipeline.settings):
            frame = spark.read.parquet(str(path))
            assert frame.columns == [c["name"] for c in entry["schema"]]
            assert frame.count() == entry["rows"]
            if entry["mart"] == STRATEGIC:
                total = frame.agg({"event_count": "sum"}).collect()[0][0]
                expected = duckdb.sql(f"select sum(event_count) from read_parquet('{path}')").fetchall()[0][0]
                assert total == expected > 0
                assert dict(frame.dtypes)["month_start"] == "date"
    finally:
        spark.stop()


def test_a_mart_or_version_no_longer_built_is_removed_and_recorded(served_pipeline, tmp_path):
    settings = load_settings(
        landing=served_pipeline.settings.landing, lake=tmp_path / "lake", warehouse=served_pipeline.settings.warehouse
    )
    shutil.copytree(served_pipeline.settings.gold, settings.gold)
    shutil.copytree(served_pipeline.settings.serving, settings.serving)
    # what an earlier publish left: a mart since dropped, a version since retired, the old flat layout,
    # and the serving file of an audience that no longer has a mart
    stale = [
        settings.gold / "mart_oe__dropped" / "v1" / "mart_oe__dropped.parquet",
        settings.gold / STRATEGIC / "v0" / f"{STRATEGIC}.parquet",
        settings.gold / f"{STRATEGIC}.parquet",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        duckdb.sql(f"copy (select 1 as x) to '{path}' (format parquet)")
    stale_serving = settings.serving / "retired_audience.duckdb"
    duckdb.connect(str(stale_serving)).close()

    result = publish(settings, run_id="test-removal")

    assert not any(p.exists() for p in [*stale, stale_serving])
    assert not (settings.gold / "mart_oe__dropped").exists() and not (settings.gold / STRATEGIC / "v0").exists()
    expected = sorted(str(p.relative_to(settings.lake)) for p in [*stale, stale_serving])
    assert sorted(result.removed) == expected
    manifest = gold_manifest(settings)
    assert sorted(manifest["removed"]) == expected and manifest["run_id"] == "test-removal"
    assert (settings.gold / STRATEGIC / "v1" / f"{STRATEGIC}.parquet").exists()
    # the next publish has nothing more to remove
    assert publish(settings, run_id="again").removed == []


def test_a_mart_listed_but_not_built_stops_the_publish_with_its_name(served_pipeline, tmp_path):
    settings = load_settings(
        landing=served_pipeline.settings.landing, lake=tmp_path / "lake", warehouse=served_pipeline.settings.warehouse
    )
    manifest = json.loads(DBT_MANIFEST.read_text())
    node = json.loads(json.dumps(manifest["nodes"][f"model.oe_platform.{STRATEGIC}.v1"]))
    node.update(name="mart_strategic__not_built", alias="mart_strategic__not_built", version=1)
    manifest["nodes"]["model.oe_platform.mart_strategic__not_built.v1"] = node
    edited = tmp_path / "manifest.json"
    edited.write_text(json.dumps(manifest))

    with pytest.raises(PublishError, match="mart_strategic__not_built.*build it"):
        publish(settings, run_id="broken", manifest_path=edited)
    # nothing half-published: no manifest, no serving file
    assert not (settings.gold / "manifest.json").exists()
    assert not settings.serving.exists() or not any(settings.serving.glob("*.duckdb"))


def _tables(path: Path) -> set[str]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {
            f"{s}.{t}"
            for s, t in con.execute(
                "select table_schema, table_name from information_schema.tables "
                "where table_catalog = current_database()"
            ).fetchall()
        }
    finally:
        con.close()


def test_one_serving_file_per_audience_holding_only_that_groups_public_marts(served_pipeline):
    settings = served_pipeline.settings
    marts = list_mart_versions(DBT_MANIFEST)
    groups = {m.group for m in marts if m.access == "public" and m.group}
    assert "strategic" in groups
    assert sorted(p.stem for p in settings.serving.glob("*.duckdb")) == sorted(groups)
    for group in groups:
        path = settings.serving / f"{group}.duckdb"
        expected = {f"marts.{m.alias}" for m in marts if m.group == group and m.access == "public"}
        assert _tables(path) == expected | {"meta.published_marts"}
        assert not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH), "a serving file is read-only"
        con = duckdb.connect(str(path), read_only=True)
        try:
            published = con.execute(
                "select table_name, row_count, checksum, run_id from meta.published_marts"
            ).fetchall()
            assert {p[0] for p in published} == expected
            for table, rows, checksum, run_id in published:
                assert con.execute(f"select count(*) from {table}").fetchone()[0] == rows
                assert rows_checksum(con, table) == checksum
                assert run_id == served_pipeline.result.run_id
            # the dbt docs travel with the file, for BI tools that show column descriptions
            comment = con.execute(
                "select comment from duckdb_columns() where column_name = 'is_suppressed'"
            ).fetchall()
            if group == "strategic":
                assert comment and "suppression" in comment[0][0]
        finally:
            con.close()
    # the strategic file, the one shared widely, has no person identifier at all
    strategic_columns = duckdb.connect(str(settings.serving / "strategic.duckdb"), read_only=True).execute(
        "select column_name from duckdb_columns() where schema_name = 'marts'"
    ).fetchall()
    assert "person_id" not in {c[0] for c in strategic_columns}
