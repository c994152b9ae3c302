"""Erasure's parts on small real files: a landed record removed in each delivered format with the
other rows' numbers kept, requests validated, a force's erasure list read or refused with its row,
and the warehouse compacted into a file without the bytes of dropped tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oe_platform.config import load_settings
from oe_platform.contracts import load_contracts
from oe_platform.governance.erasure import (
    ErasureError,
    compact_warehouse,
    list_requests,
    read_delivered_lists,
    request_erasure,
)
from oe_platform.governance.erasure_files import (
    remove_nested_json,
    remove_parquet_rows,
    remove_sheet_rows,
    remove_text_lines,
)

RECORD = "0123456789abcdef0123456789abcdef"


def test_a_delimited_record_over_two_lines_is_blanked_and_the_others_keep_their_lines(tmp_path: Path):
    path = tmp_path / "persons.csv"
    path.write_bytes(b'ref,name\r\nP1,"Ann\r\nLee"\r\nP2,Bob Stone\r\nP3,Cy\r\n')
    assert remove_text_lines(path, "utf-8", {2}, {2, 4, 5}) == 1
    text = path.read_bytes().decode("utf-8")
    lines = text.split("\n")
    assert "Ann" not in text and "Lee" not in text and lines[0] == "ref,name\r"
    assert lines[3] == "P2,Bob Stone\r" and lines[4] == "P3,Cy\r"  # still on lines 4 and 5


def test_a_person_nested_in_a_crime_line_is_removed_from_its_array_only(tmp_path: Path):
    layout = next(lay for lay in load_contracts()["crime"].layouts if lay.format == "jsonl")
    path = tmp_path / "crimes_1.jsonl"
    crimes = [{"reference": "C1", "people": [{"id": "P1", "name": {"family": "Zorro"}}, {"id": "P2"}]},
              {"reference": "C2", "people": [{"id": "P1", "name": {"family": "Keep"}}]}]
    path.write_text("\n".join(json.dumps(c) for c in crimes) + "\n")
    removed = remove_nested_json(path, "utf-8", layout.files["persons"], {1: [{"crime_ref": "C1", "person_ref": "P1"}]})
    assert removed == 1
    first, second = (json.loads(line) for line in path.read_text().splitlines())
    assert first["people"] == [{"id": "P2"}] and second == crimes[1]


def test_a_parquet_row_is_nulled_and_a_sheet_row_cleared_in_place(tmp_path: Path):
    from openpyxl import Workbook, load_workbook

    parquet = tmp_path / "referrals.parquet"
    pq.write_table(pa.table({"id": ["R1", "R2", "R3"], "name": ["A", "Secret", "C"]}), parquet)
    remove_parquet_rows(parquet, {2})
    assert pq.read_table(parquet).to_pylist()[1] == {"id": None, "name": None}
    assert pq.read_table(parquet).num_rows == 3

    book = Workbook()
    sheet = book.active
    sheet.title = "Nominals"
    for row in (["id", "name"], ["N1", "Secret"], ["N2", "Keep"]):
        sheet.append(row)
    workbook = tmp_path / "ocgm.xlsx"
    book.save(workbook)
    remove_sheet_rows(workbook, {"Nominals": [2]})
    rows = list(load_workbook(workbook)["Nominals"].iter_rows(values_only=True))
    assert rows[1] == (None, None) and rows[2] == ("N2", "Keep")


def test_a_request_is_validated_and_kept_once(tmp_path: Path):
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=tmp_path / "w.duckdb")
    with pytest.raises(ErasureError, match="holds no person records"):
        request_erasure(settings, "police_uk", RECORD, "reason")
    with pytest.raises(ErasureError, match="not a person_record_id"):
        request_erasure(settings, "crime", "Ann Lee", "reason")
    for reason in ("  ", "x", "ER-1"):
        with pytest.raises(ErasureError, match="needs a reason of at least"):
            request_erasure(settings, "crime", RECORD, reason)
    first = request_erasure(settings, "crime", RECORD.upper(), "ER-1 subject access request")
    assert request_erasure(settings, "crime", RECORD, "ER-1 again, by letter").request_id == first.request_id
    stored = (settings.lake / "_erasure" / "requests.json").read_text()
    assert RECORD in stored and len(list_requests(settings)) == 1


def test_a_request_for_a_record_of_another_source_is_refused(tmp_path: Path):
    """The warehouse says which source holds a record: a request naming another source would be applied to
    nothing and is refused, saying which source holds it. A record the warehouse does not hold (an earlier
    version, still in bronze) is accepted."""
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=tmp_path / "w.duckdb")
    con = duckdb.connect(str(settings.warehouse))
    con.execute("create schema conformed")
    con.execute("create table conformed.person_source_record (person_record_id varchar, source_name varchar)")
    con.execute("insert into conformed.person_source_record values (?, 'crime')", [RECORD])
    con.close()
    with pytest.raises(ErasureError, match="is a crime record, not custody's.*--source crime") as refused:
        request_erasure(settings, "custody", RECORD, "ER-9 subject access request")
    assert refused.value.column == "source"
    assert list_requests(settings) == []
    assert request_erasure(settings, "crime", RECORD, "ER-9 subject access request").source == "crime"
    assert request_erasure(settings, "custody", "f" * 32, "ER-9 subject access request").record == "f" * 32


def test_a_list_registered_before_the_reason_rule_stays_valid_and_a_new_short_reason_is_refused(tmp_path: Path):
    """A force's list is read again every run: a request it registered with a short reason (before
    MIN_REASON) is not reported as bad; a new row with one is, naming the row and column."""
    import json

    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=tmp_path / "w.duckdb")
    first = request_erasure(settings, "crime", RECORD, "ER-10 court order")
    store = settings.lake / "_erasure" / "requests.json"
    kept = json.loads(store.read_text())
    kept[0]["reason"] = "Art 17"  # as a request registered before the rule holds it
    store.write_text(json.dumps(kept))
    old = settings.landing / "erasure" / "essex" / "2025-02-01" / "erasures.csv"
    old.parent.mkdir(parents=True)
    old.write_text(f"source,record,reason\ncrime,{RECORD},Art 17\n")
    registered, problems = read_delivered_lists(settings)
    assert problems == [] and [r.request_id for r in registered] == [first.request_id]
    new = settings.landing / "erasure" / "essex" / "2025-02-02" / "erasures.csv"
    new.parent.mkdir(parents=True)
    new.write_text(f"source,record,reason\ncustody,{'e' * 32},Art 17\n")
    _, problems = read_delivered_lists(settings)
    assert len(problems) == 1 and "erasures.csv, row 2, column reason" in problems[0]


def test_a_forces_erasure_list_is_registered_and_a_bad_one_named_by_row_and_column(tmp_path: Path):
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=tmp_path / "w.duckdb")
    good = settings.landing / "erasure" / "essex" / "2025-02-01" / "erasures.csv"
    good.parent.mkdir(parents=True)
    good.write_text(f"source,record,reason\ncustody,{RECORD},ER-7 court order\n")
    bad = settings.landing / "erasure" / "kent" / "2025-02-01" / "erasures_2.csv"
    bad.parent.mkdir(parents=True)
    bad.write_text(f"source,record,reason\ncrime,{RECORD},ER-8 court order\ncrime,not-an-id,ER-8 court order\n")
    registered, problems = read_delivered_lists(settings)
    assert [(r.source, r.requested_by) for r in registered] == [("custody", "force:essex")]
    assert problems == [problems[0]] and "erasure/kent/2025-02-01/erasures_2.csv, row 3, column record" in problems[0]
    assert [r.source for r in list_requests(settings)] == ["custody"]  # nothing of the bad list


def test_compaction_leaves_no_bytes_of_a_dropped_table(tmp_path: Path):
    warehouse = tmp_path / "oe.duckdb"
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=warehouse)
    con = duckdb.connect(str(warehouse))
    con.execute("create schema conformed")
    # distinct incompressible values, so the bytes are findable in the file
    con.execute("create table conformed.person as select md5(cast(i as varchar)) || 'ERASEDVALUE' as name "
                "from range(5000) as r(i)")
    con.execute("create view conformed.v as select count(*) as n from conformed.person")
    con.execute("checkpoint")
    con.execute("drop table conformed.person")
    con.execute("create table conformed.person as select 'kept' as name")
    con.execute("checkpoint")
    con.close()
    before = warehouse.read_bytes().count(b"ERASEDVALUE")
    compact_warehouse(settings)
    assert warehouse.read_bytes().count(b"ERASEDVALUE") == 0
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select name from conformed.person").fetchall() == [("kept",)]
        assert con.execute("select n from conformed.v").fetchall() == [(1,)]
    finally:
        con.close()
    assert before > 0  # the dropped table's bytes were in the file before
