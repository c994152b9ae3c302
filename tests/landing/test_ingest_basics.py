"""Ingest of the crime slice: three layouts, manifest, idempotence, rejects, quarantine."""

import shutil

import duckdb
import pyarrow.parquet as pq

from oe_platform.landing.ingest import ingest, read_manifest
from oe_platform.landing.reconcile import reconcile


def bronze_rows(settings, source, entity):
    glob = settings.bronze / source / entity / "**" / "*.parquet"
    return duckdb.sql(
        f"select * from read_parquet('{glob}', union_by_name = true, hive_partitioning = false)"
    ).fetchall()


def test_three_layouts_land_in_one_bronze_schema(slice_landing):
    summary = ingest(slice_landing)
    assert summary.count("loaded") == 5
    assert summary.count("quarantined") == 0
    assert len(bronze_rows(slice_landing, "crime", "crimes")) == 7
    # two CSV persons, one pipe-delimited cp1252 person, two nested JSON people
    assert len(bronze_rows(slice_landing, "crime", "persons")) == 5
    assert reconcile(slice_landing) == []


def test_cp1252_text_and_nested_json_are_read_faithfully(slice_landing):
    ingest(slice_landing)
    con = duckdb.connect()
    glob = slice_landing.bronze / "crime" / "crimes" / "**" / "*.parquet"
    where = f"from read_parquet('{glob}', union_by_name = true, hive_partitioning = false)"
    assert con.sql(f"select location_description {where} where crime_ref = 'BD/56/25'").fetchall() == [
        ("Rear of shops",)
    ]
    assert con.sql(f"select location_description {where} where crime_ref = 'BD/55/25'").fetchall() == [
        ("Café on George St",)
    ]
    pglob = slice_landing.bronze / "crime" / "persons" / "**" / "*.parquet"
    people = con.sql(
        f"select crime_ref, person_ref, surname, _row_number from read_parquet('{pglob}', "
        "union_by_name = true, hive_partitioning = false) where _force_code = 'warwickshire' order by 2"
    ).fetchall()
    assert people == [("WK-9001", "P1", "Nowak", 1), ("WK-9001", "P2", "Reed", 1)]


def test_rerun_and_identical_redelivery_change_nothing(slice_landing):
    ingest(slice_landing)
    before = read_manifest(slice_landing.meta)
    assert ingest(slice_landing).files == []
    # the same file delivered again under another date: registered as a duplicate, not loaded
    src = slice_landing.landing / "crime" / "essex" / "2025-01-06"
    again = slice_landing.landing / "crime" / "essex" / "2025-01-07"
    again.mkdir()
    shutil.copy(src / "crimes_20250106.csv", again / "crimes_20250106.csv")
    summary = ingest(slice_landing)
    assert [f.status for f in summary.files] == ["duplicate"]
    assert "already loaded" in summary.files[0].error
    assert len(bronze_rows(slice_landing, "crime", "crimes")) == 7
    assert len(read_manifest(slice_landing.meta)) == len(before) + 1


def test_ragged_row_is_rejected_with_its_raw_text(slice_landing):
    day = slice_landing.landing / "crime" / "kent" / "2025-01-08"
    day.mkdir(parents=True)
    (day / "crimes_20250108.csv").write_text(
        "CrimeRef,RecordedDate,OccurredFrom,OccurredTo,HOOffenceCode,OffenceTitle,LocationPostcode,"
        "LocationText,Status,RecordAction\n"
        "K1,2025-01-08,2025-01-08,,46,Shoplifting,ME1 1AA,Shop,open,I\n"
        "K2,2025-01-08,2025-01-08,46\n",
        encoding="utf-8",
    )
    summary = ingest(slice_landing)
    kent = [f for f in summary.files if "kent" in f.path][0]
    assert (kent.rows_read, kent.rows_accepted, kent.rows_rejected) == (2, 1, 1)
    rejects = pq.read_table(slice_landing.meta / "rejects").to_pylist()
    assert rejects[0]["row_number"] == 3
    assert rejects[0]["raw_text"] == "K2,2025-01-08,2025-01-08,46"
    assert "4 fields, the header has 10" in rejects[0]["reason"]
    assert reconcile(slice_landing) == []


def test_header_drift_quarantines_the_file_and_names_the_column(slice_landing):
    day = slice_landing.landing / "crime" / "norfolk" / "2025-01-08"
    day.mkdir(parents=True)
    (day / "crimes_20250108.csv").write_text("CrimeRef,RecordedOn\nN1,2025-01-08\n", encoding="utf-8")
    summary = ingest(slice_landing)
    norfolk = [f for f in summary.files if "norfolk" in f.path][0]
    assert norfolk.status == "quarantined"
    assert "unexpected column(s) ['RecordedOn']" in norfolk.error
    assert "crimes_20250108.csv" in norfolk.error
    assert any((slice_landing.lake / "_quarantine").rglob("crimes_20250108.csv"))
    # the other forces' files still loaded
    assert summary.count("loaded") == 5
