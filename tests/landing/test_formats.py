"""Every delivered format, read by contract: JSON lines with nested arrays, Parquet, XLSX, and the
canonical CSV format from any partner. Files are built from the contracts themselves, so the tests
follow a contract change."""

from __future__ import annotations

import datetime as dt
import fnmatch
import json

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.contracts import Contract, FileSpec, Layout, load_contracts
from oe_platform.landing.ingest import ingest
from tests.landing.helpers import assert_nothing_lost, bronze, only_file, rejects_of, warnings_of


def layout_of_format(fmt: str) -> tuple[Contract, Layout, str]:
    for contract in load_contracts().values():
        for layout in contract.layouts:
            if layout.format == fmt and "*" not in layout.forces:
                return contract, layout, layout.forces[0]
    raise AssertionError(f"no contract declares a {fmt} layout: the format test has nothing to test")


def file_name(spec: FileSpec, stem: str = "20250108") -> str:
    name = spec.pattern.replace("*", stem)
    assert fnmatch.fnmatchcase(name, spec.pattern)
    return name


def sample_value(contract: Contract, spec: FileSpec, canonical: str, i: int):
    column = next(c for c in contract.entities[spec.entity].columns if c.name == canonical)
    if canonical == "record_action":
        return "I"
    if column.type == "date":
        return dt.date(2025, 1, 1 + i)
    if column.type == "datetime":
        return dt.datetime(2025, 1, 1 + i, 13, 45, 10)
    if column.type == "integer":
        return 40 + i
    return f"{canonical}-{i}"


# ---------------------------------------------------------------------------------------------
# JSON lines


def test_jsonl_nested_arrays_bad_lines_and_types(slice_landing):
    folder = slice_landing.landing / "crime" / "west-mercia" / "2025-01-08"
    folder.mkdir(parents=True)
    good = {"reference": "WM-1", "recorded": "2025-01-08", "occurred": {"from": "2025-01-07", "to": None},
            "offence": {"code": 106, "title": "Modern slavery"}, "location": {"postcode": "WR1 1AA", "text": "Farm"},
            "status": "open", "action": "I",
            "people": [{"id": "P1", "role": "victim", "name": {"given": "Ana", "middle": None, "family": "Lopes"},
                        "dob": "2001-07-09", "sex": "F", "ethnicity": "W9",
                        "address": {"text": "1 Lane", "postcode": "WR2 2BB"}, "phone": "=1+1",
                        "identifiers": {"pnc": None, "cro": None}}, "not an object"]}
    lines = [
        json.dumps(good),
        "{not json",
        "[1, 2, 3]",
        json.dumps({**good, "reference": "WM-2", "people": {"id": "P9"}}),  # people must be an array
        "",
        json.dumps({"reference": "WM-3", "recorded": "2025-01-08", "people": []}) + "\r",
        "{}",
        "[" * 100_000,  # absurd nesting
        json.dumps({**good, "reference": "WM-4\u2028line separator"}),
    ]
    (folder / "crimes_20250108.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    summary = ingest(slice_landing)
    result = only_file(summary, "west-mercia")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (8, 4, 4)
    crimes = {r["crime_ref"]: r for r in bronze(slice_landing, "crime", "crimes", "_force_code = 'west-mercia'")}
    assert set(crimes) == {"WM-1", "WM-2", "WM-3", "WM-4\u2028line separator"}
    assert crimes["WM-1"]["offence_code"] == "106"  # a JSON number kept as written
    people = bronze(slice_landing, "crime", "persons", "_force_code = 'west-mercia'")
    assert [(p["crime_ref"], p["person_ref"], p["phone"]) for p in people] == [
        ("WM-1", "P1", "=1+1"), ("WM-4\u2028line separator", "P1", "=1+1")]
    reasons = {(r["entity"], r["row_number"]): r["reason"] for r in rejects_of(slice_landing, "west-mercia")}
    assert "invalid JSON" in reasons[("crimes", 2)]
    assert "must be a JSON object, not list" in reasons[("crimes", 3)]
    assert "none of the contract's fields" in reasons[("crimes", 7)]
    assert "nested too deeply" in reasons[("crimes", 8)] or "invalid JSON" in reasons[("crimes", 8)]
    assert "field 'people' must be an array" in reasons[("persons", 4)]
    assert "item 2 of 'people' must be a JSON object" in reasons[("persons", 1)]
    assert any(w["kind"] == "formula_like" and w["entity"] == "persons" for w in warnings_of(slice_landing, "west"))
    assert_nothing_lost(slice_landing)


def test_jsonl_invalid_text_is_rejected_by_line(slice_landing):
    folder = slice_landing.landing / "crime" / "west-mercia" / "2025-01-08"
    folder.mkdir(parents=True)
    lines = [
        b'{"reference": "WM-1", "status": "open"}',
        b'{"reference": "WM-2", "status": "x\\ud800y"}',  # an unpaired surrogate escape
        b'{"reference": "WM-3", "status": "caf\xe9"}',  # latin-1 byte in a UTF-8 layout
        b'{"reference": "WM-4", "status": "\xed\xa0\x80"}',  # an encoded surrogate
    ]
    (folder / "crimes_20250108.jsonl").write_bytes(b"\n".join(lines) + b"\n")
    result = only_file(ingest(slice_landing), "west-mercia")
    assert (result.status, result.rows_accepted, result.rows_rejected) == ("loaded", 1, 3)
    reasons = [r["reason"] for r in rejects_of(slice_landing, "west-mercia")]
    assert "unpaired" in reasons[0] and "not valid utf-8" in reasons[1] and "not valid utf-8" in reasons[2]
    assert_nothing_lost(slice_landing)


def test_jsonl_field_drift_quarantines_naming_the_fields(slice_landing):
    folder = slice_landing.landing / "crime" / "west-mercia" / "2025-01-08"
    folder.mkdir(parents=True)
    record = {"reference": "WM-1", "recorded": "2025-01-08", "offence": {"code": "106", "heading": "renamed"},
              "people": [{"id": "P1", "fullName": "Ana Lopes"}]}
    (folder / "crimes_20250108.jsonl").write_text(json.dumps(record) + "\n")
    result = only_file(ingest(slice_landing), "west-mercia")
    assert result.status == "quarantined"
    assert "offence.heading" in result.error and "people[].fullName" in result.error
    assert "contracts/crime.yml layout 'niche_jsonl' entity 'crimes'" in result.error
    assert_nothing_lost(slice_landing)


# ---------------------------------------------------------------------------------------------
# Parquet


def write_parquet_delivery(contract, layout, spec, path, rows=3, drop=None, extra=None):
    columns = {}
    for delivered, canonical in spec.columns.items():
        if delivered == drop:
            continue
        values = [sample_value(contract, spec, canonical, i) for i in range(rows)]
        columns[delivered] = values
    if extra:
        columns[extra] = ["x"] * rows
    pq.write_table(pa.table(columns), path)


def test_parquet_delivery_native_types_become_contract_text(platform_dirs, landing_day):
    contract, layout, force = layout_of_format("parquet")
    spec = next(s for s in layout.files.values() if s.pattern)
    folder = landing_day(contract.source, force)
    write_parquet_delivery(contract, layout, spec, folder / file_name(spec))
    result = only_file(ingest(platform_dirs), file_name(spec))
    assert (result.status, result.rows_read, result.rows_accepted, result.parse_mode) == ("loaded", 3, 3, "parquet")
    rows = bronze(platform_dirs, contract.source, spec.entity)
    types = {c.name: c.type for c in contract.entities[spec.entity].columns}
    for canonical in spec.columns.values():
        if types[canonical] == "date":
            assert rows[1][canonical] == "2025-01-02"
        elif types[canonical] == "datetime":
            assert rows[1][canonical] == "2025-01-02T13:45:10"
        elif types[canonical] == "integer":
            assert rows[1][canonical] == "41"
    assert [r["_row_number"] for r in rows] == [1, 2, 3]
    assert_nothing_lost(platform_dirs)


def test_parquet_schema_drift_and_corruption_are_quarantined(platform_dirs, landing_day):
    contract, layout, force = layout_of_format("parquet")
    spec = next(s for s in layout.files.values() if s.pattern)
    folder = landing_day(contract.source, force)
    dropped = list(spec.columns)[1]
    write_parquet_delivery(contract, layout, spec, folder / file_name(spec, "1"), drop=dropped, extra="surprise")
    (folder / file_name(spec, "2")).write_bytes(b"PAR1 this is not really parquet PAR1")
    summary = ingest(platform_dirs)
    drift, broken = only_file(summary, file_name(spec, "1")), only_file(summary, file_name(spec, "2"))
    assert drift.status == "quarantined"
    assert f"missing column(s) [{dropped!r}]" in drift.error and "unexpected column(s) ['surprise']" in drift.error
    assert broken.status == "quarantined" and "cannot be read as Parquet" in broken.error
    assert_nothing_lost(platform_dirs)


# ---------------------------------------------------------------------------------------------
# XLSX


def write_workbook(contract, layout, path, rows=2, formula=False):
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for spec in (s for s in layout.files.values() if s.pattern):
        sheet = workbook.create_sheet(spec.sheet or spec.entity)
        sheet.append(list(spec.columns))
        for i in range(rows):
            values = []
            for canonical in spec.columns.values():
                value = sample_value(contract, spec, canonical, i)
                if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
                    value = dt.datetime.combine(value, dt.time())  # Excel dates are date-times
                values.append(value)
            sheet.append(values)
        sheet.append([None] * len(spec.columns))  # a trailing empty row, as Excel often leaves
        if formula:
            sheet.append(["=1+1"] + [f"v{j}" for j in range(len(spec.columns) - 1)])
    workbook.save(path)


def test_xlsx_workbook_sheets_load_by_contract(platform_dirs, landing_day):
    contract, layout, force = layout_of_format("xlsx")
    specs = [s for s in layout.files.values() if s.pattern]
    folder = landing_day(contract.source, force)
    write_workbook(contract, layout, folder / file_name(specs[0]), formula=True)
    result = only_file(ingest(platform_dirs), file_name(specs[0]))
    sheets_with_pattern = [s for s in specs if s.pattern == specs[0].pattern]
    assert result.status == "loaded", result.error
    assert (result.rows_read, result.rows_accepted) == (3 * len(sheets_with_pattern), 3 * len(sheets_with_pattern))
    for spec in sheets_with_pattern:
        rows = bronze(platform_dirs, contract.source, spec.entity)
        assert [r["_row_number"] for r in rows] == [2, 3, 5]  # sheet rows; the empty row 4 is not a record
        types = {c.name: c.type for c in contract.entities[spec.entity].columns}
        for canonical in spec.columns.values():
            if types[canonical] == "date":
                assert rows[0][canonical] == "2025-01-01"
            elif types[canonical] == "datetime":
                assert rows[0][canonical] == "2025-01-01T13:45:10"
            elif types[canonical] == "integer":
                assert rows[0][canonical] == "40"  # a whole number without ".0"
        assert rows[2][list(spec.columns.values())[0]] == "=1+1"  # a formula kept as delivered, flagged:
    assert {w["kind"] for w in warnings_of(platform_dirs, file_name(specs[0]))} == {"formula_like"}
    assert_nothing_lost(platform_dirs)


def test_xlsx_missing_sheet_and_renamed_column_are_quarantined(platform_dirs, landing_day):
    contract, layout, force = layout_of_format("xlsx")
    spec = next(s for s in layout.files.values() if s.pattern)
    folder = landing_day(contract.source, force)
    workbook = openpyxl.Workbook()
    workbook.active.title = "Something else"
    workbook.save(folder / file_name(spec, "1"))
    (folder / file_name(spec, "2")).write_bytes(b"PK\x03\x04 not a workbook")
    summary = ingest(platform_dirs)
    missing, broken = only_file(summary, file_name(spec, "1")), only_file(summary, file_name(spec, "2"))
    assert missing.status == "quarantined"
    if spec.sheet:
        assert f"no sheet {spec.sheet!r}" in missing.error and "Something else" in missing.error
    assert broken.status == "quarantined" and "not an .xlsx workbook" in broken.error
    assert_nothing_lost(platform_dirs)


# ---------------------------------------------------------------------------------------------
# Canonical format from any partner


def canonical_csv(spec: FileSpec, rows: list[dict]) -> str:
    header = list(spec.columns)
    lines = [",".join(header)] + [",".join(str(r.get(c, "")) for c in header) for r in rows]
    return "\n".join(lines) + "\n"


def test_canonical_format_is_accepted_from_any_partner_code(platform_dirs, landing_day):
    contracts = load_contracts()
    assert "canonical" in contracts, "contracts/canonical.yml is missing"
    layout = contracts["canonical"].layouts[0]
    persons = next(s for s in layout.files.values() if s.entity == "persons")
    for partner in ("city-of-london-ppu", "nca", "met-2"):
        folder = landing_day("canonical", partner, "2025-02-01")
        (folder / "persons.csv").write_text(canonical_csv(persons, [
            {"record_id": f"{partner}-1", "surname": "Smith"}, {"record_id": f"{partner}-2", "surname": "Jones"}]))
    bad = {"Bad_Code": "upper case", "-x": "leading dash", "a": "too short", "national": "national"}
    for partner in bad:
        (landing_day("canonical", partner, "2025-02-01") / "persons.csv").write_text(canonical_csv(persons, []))
    summary = ingest(platform_dirs)
    loaded = sorted(f.path.split("/")[1] for f in summary.files if f.status == "loaded")
    assert loaded == ["city-of-london-ppu", "met-2", "nca"]
    assert summary.count("quarantined") == len(bad)
    rows = bronze(platform_dirs, "canonical", "persons")
    assert {r["_force_code"] for r in rows} == {"city-of-london-ppu", "nca", "met-2"}
    assert len(rows) == 6
    assert_nothing_lost(platform_dirs)
