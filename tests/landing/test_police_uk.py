"""The real data.police.uk files, read in place from $OE_SHARED_DATA/police_uk (never copied into the
repository), with their quirks kept: no Crime ID for anti-social behaviour, blank coordinates,
"On or near" locations, repeated outcome rows, stop-and-search columns of their own."""

from __future__ import annotations

import csv
import shutil

from oe_platform.config import REPO_ROOT
from oe_platform.landing.ingest import ingest, read_manifest
from tests.landing.conftest import REAL_SHARED_DATA
from tests.landing.helpers import assert_nothing_lost, bronze, warnings_of


def data_rows(path) -> int:
    with open(path, newline="", encoding="utf-8") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def test_every_police_uk_row_is_loaded_in_place(police_uk_dirs):
    source_files = sorted((police_uk_dirs.police_uk).glob("*/*.csv"))
    summary = ingest(police_uk_dirs)
    assert summary.count("loaded") == len(source_files) and summary.count("quarantined") == 0
    manifest = {m["path"]: m for m in read_manifest(police_uk_dirs.meta)}
    for path in source_files:
        entry = manifest[f"police_uk/{path.parent.name}/{path.name}"]
        assert entry["root"] == "police_uk"
        assert entry["rows_read"] == entry["rows_accepted"] == data_rows(path), path.name
        month, force = path.parent.name, path.name[8:].rsplit("-", 1)[0]
        if path.name.endswith("-stop-and-search.csv"):
            force = path.name[8:-len("-stop-and-search.csv")]
        assert entry["force_code"] == force
        assert entry["delivery_date"].isoformat() == f"{month}-01"
    # nothing was copied into the repository or the landing zone
    assert not (REPO_ROOT / "police_uk").exists() and not police_uk_dirs.landing.exists()
    assert_nothing_lost(police_uk_dirs)
    assert ingest(police_uk_dirs).files == []


def test_police_uk_quirks_are_kept_not_dropped(police_uk_dirs):
    ingest(police_uk_dirs)
    street = bronze(police_uk_dirs, "police_uk", "street_crimes")
    asb = [r for r in street if r["crime_type"] == "Anti-social behaviour"]
    assert asb and all(r["crime_id"] is None and r["last_outcome_category"] is None for r in asb)
    unmapped = [r for r in street if r["longitude"] is None]
    assert unmapped and all(r["lsoa_code"] is None for r in unmapped)
    assert {r["location"] for r in unmapped} <= {"No Location", "No location"} | {r["location"] for r in street}
    assert sum(r["location"].startswith("On or near ") for r in street) > 0.9 * len(street)
    outcomes = bronze(police_uk_dirs, "police_uk", "outcomes")
    keys = [(r["crime_id"], r["outcome_type"], r["month"]) for r in outcomes]
    assert len(keys) > len(set(keys))  # identical outcome rows are all kept
    searches = bronze(police_uk_dirs, "police_uk", "stop_and_search")
    if searches:
        assert all(r["searched_at"] and "T" in r["searched_at"] for r in searches)
        assert {r["search_type"] for r in searches} <= {"Person search", "Vehicle search", "Person and Vehicle search"}


def test_misplaced_police_uk_files_are_quarantined(platform_dirs, tmp_path):
    real = sorted((REAL_SHARED_DATA / "police_uk").glob("*/*-street.csv"))
    if not real:
        return
    shared = platform_dirs.police_uk
    (shared / "2023-05").mkdir(parents=True)
    shutil.copy(real[0], shared / "2023-05" / "2023-06-bedfordshire-street.csv")  # wrong month folder
    shutil.copy(real[0], shared / "2023-05" / "bedfordshire-street.csv")  # not the download name
    # the same kind of file landed in the landing zone the ordinary way is read too
    day = platform_dirs.landing / "police_uk" / "bedfordshire" / "2023-08-01"
    day.mkdir(parents=True)
    shutil.copy(real[0], day / "2023-08-bedfordshire-street.csv")
    # a month re-published later is filed under the month it covers; a file in another force's folder
    # or without its downloaded name is quarantined with the fix
    later = platform_dirs.landing / "police_uk" / "bedfordshire" / "2023-09-14"
    later.mkdir(parents=True)
    lines = real[0].read_bytes().splitlines(keepends=True)
    (later / "2023-06-bedfordshire-street.csv").write_bytes(b"".join(lines[:-1]))  # another month's content
    shutil.copy(real[0], later / "2023-06-essex-street.csv")
    shutil.copy(real[0], later / "street.csv")
    summary = ingest(platform_dirs)
    status = {f.path: (f.status, f.error or "") for f in summary.files}
    landed = "police_uk/bedfordshire/2023-09-14/"
    assert status[landed + "2023-06-bedfordshire-street.csv"][0] == "loaded"
    manifest = {row["path"]: row for row in read_manifest(platform_dirs.meta)}
    assert str(manifest[landed + "2023-06-bedfordshire-street.csv"]["delivery_date"]) == "2023-06-01"
    assert status[landed + "2023-06-essex-street.csv"][0] == "quarantined"
    assert "sits in the folder of bedfordshire" in status[landed + "2023-06-essex-street.csv"][1]
    assert status[landed + "street.csv"][0] == "quarantined"
    assert "keeps its downloaded name" in status[landed + "street.csv"][1]
    assert status["police_uk/2023-05/2023-06-bedfordshire-street.csv"][0] == "quarantined"
    assert "sits in the folder for 2023-05" in status["police_uk/2023-05/2023-06-bedfordshire-street.csv"][1]
    assert status["police_uk/2023-05/bedfordshire-street.csv"][0] == "quarantined"
    assert status["police_uk/bedfordshire/2023-08-01/2023-08-bedfordshire-street.csv"][0] == "loaded"
    assert_nothing_lost(platform_dirs)


def _without_columns(source, target, dropped: set[str]) -> int:
    """Copy a real data.police.uk file leaving out some columns (as an older month was published)."""
    with open(source, newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    keep = [i for i, name in enumerate(rows[0]) if name not in dropped]
    assert len(keep) == len(rows[0]) - len(dropped)
    with open(target, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([[row[i] for i in keep] for row in rows])
    return len(rows) - 1


def test_a_month_published_without_an_optional_column_loads_and_says_so(platform_dirs):
    """Open data changes shape over the years: a month without a column the contract lists as optional
    loads in full with the column empty and a column_absent warning; a month without a column that is
    not optional (Month) is quarantined, naming what may be left out."""
    street = sorted((REAL_SHARED_DATA / "police_uk").glob("*/*-bedfordshire-street.csv"))[0]
    searches = sorted((REAL_SHARED_DATA / "police_uk").glob("*/*-bedfordshire-stop-and-search.csv"))[0]
    month = platform_dirs.police_uk / street.parent.name
    month.mkdir(parents=True)
    street_rows = _without_columns(street, month / street.name, {"Context"})
    search_rows = _without_columns(searches, month / searches.name,
                                   {"Outcome linked to object of search", "Removal of more than just outer clothing"})
    older = platform_dirs.police_uk / "2023-04"
    older.mkdir()
    _without_columns(street, older / "2023-04-bedfordshire-street.csv", {"Month"})
    summary = ingest(platform_dirs)
    status = {f.path: (f.status, f.rows_accepted, f.error or "") for f in summary.files}
    assert status[f"police_uk/{month.name}/{street.name}"][:2] == ("loaded", street_rows)
    assert status[f"police_uk/{month.name}/{searches.name}"][:2] == ("loaded", search_rows)
    quarantined, _, error = status["police_uk/2023-04/2023-04-bedfordshire-street.csv"]
    assert quarantined == "quarantined"
    assert "missing column(s) ['Month']" in error and "of which ['Last outcome category', 'Context'] may be left out" \
        in error
    absent = {(w["entity"], w["column_name"]) for w in warnings_of(platform_dirs, month.name)
              if w["kind"] == "column_absent"}
    assert absent == {("street_crimes", "context"), ("stop_and_search", "outcome_linked_to_object_of_search"),
                      ("stop_and_search", "removal_of_more_than_outer_clothing")}
    loaded = bronze(platform_dirs, "police_uk", "stop_and_search")
    assert len(loaded) == search_rows and all(r["removal_of_more_than_outer_clothing"] is None for r in loaded)
    assert {r["outcome"] for r in loaded} - {None}  # the columns delivered arrive as delivered
    assert_nothing_lost(platform_dirs)
