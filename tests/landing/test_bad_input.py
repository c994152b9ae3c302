"""Bad input, case by case: each one has a clear message (file, row, column, what to do) and nothing is
lost: reconcile() is empty and rows read = accepted + rejected for every file."""

from __future__ import annotations

import csv
import shutil

import pytest

from oe_platform.landing.cells import MAX_FIELD_CHARS, looks_like_formula, neutralise_formula
from oe_platform.landing.ingest import ingest, read_manifest
from tests.landing.conftest import BAD_INPUT
from tests.landing.helpers import (
    CRIMES_HEADER,
    assert_nothing_lost,
    bronze,
    crime_row,
    only_file,
    rejects_of,
    warnings_of,
)


def land(landing_day, fixture: str, name: str, force: str = "essex", day: str = "2025-01-08"):
    target = landing_day("crime", force, day) / name
    shutil.copy(BAD_INPUT / fixture, target)
    return target


def test_wrong_delimiter_quarantines_the_file_and_says_which_delimiter(platform_dirs, landing_day):
    land(landing_day, "wrong_delimiter.csv", "crimes_20250108.csv")
    summary = ingest(platform_dirs)
    result = only_file(summary, "crimes_20250108.csv")
    assert result.status == "quarantined"
    assert "crime/essex/2025-01-08/crimes_20250108.csv" in result.error
    assert "looks pipe-delimited ('|')" in result.error and "comma-delimited (',')" in result.error
    assert "contracts/crime.yml layout 'athena_csv'" in result.error
    quarantined = list((platform_dirs.lake / "_quarantine").rglob("crimes_20250108.csv"))
    assert len(quarantined) == 1
    assert "looks pipe-delimited" in (quarantined[0].parent / "reason.txt").read_text()
    assert_nothing_lost(platform_dirs)


def test_utf8_byte_order_mark_is_not_part_of_the_first_column(platform_dirs, landing_day):
    land(landing_day, "utf8_bom.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.status, result.rows_accepted, result.rows_rejected) == ("loaded", 3, 0)
    refs = [r["crime_ref"] for r in bronze(platform_dirs, "crime", "crimes")]
    assert refs == ["E1", "E2", "E3"]
    assert_nothing_lost(platform_dirs)


def test_cp1252_text_in_a_utf8_layout_is_read_as_cp1252_and_named(platform_dirs, landing_day):
    """A spreadsheet's plain CSV export on Windows is Windows-1252, whatever the layout says: a file
    that is not UTF-8, reads as cp1252 and holds no UTF-8 character loads in full, read as cp1252,
    with a file-level warning (before, each row with an accent was refused)."""
    land(landing_day, "cp1252_in_utf8_layout.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 3, 0)
    assert rejects_of(platform_dirs, "crimes_20250108.csv") == []
    rows = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert "Café on George St" in {r["location_description"] for r in rows.values()}
    [warning] = [w for w in warnings_of(platform_dirs, "crimes_20250108.csv") if w["kind"] == "cp1252_undeclared"]
    assert warning["row_number"] is None and "read as Windows-1252" in warning["detail"]
    assert_nothing_lost(platform_dirs)


def test_damaged_utf8_rejects_only_the_rows_with_bad_bytes(platform_dirs, landing_day):
    """UTF-8 with a damaged byte keeps well-formed UTF-8 characters beside it: it is not read as
    cp1252 (which would garble every accent); the row with the bad byte is refused, naming it."""
    body = (BAD_INPUT / "cp1252_in_utf8_layout.csv").read_bytes()
    assert body.count(b"Caf\xe9") == 1
    damaged = body.replace(b"Caf\xe9", "Café \u2013 Zoë's".encode("utf-8") + b" Caf\xe9")
    (landing_day() / "crimes_20250108.csv").write_bytes(damaged)
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    [reject] = rejects_of(platform_dirs, "crimes_20250108.csv")
    assert reject["row_number"] == 3
    assert reject["column_name"] == "location_description"
    assert "b'\\xe9' are not valid utf-8" in reject["reason"] and "re-export" in reject["reason"]
    assert "Caf\\xe9 on George St" in reject["raw_text"]  # the raw bytes are kept, escaped
    assert not [w for w in warnings_of(platform_dirs, "crimes_20250108.csv") if w["kind"] == "cp1252_undeclared"]
    assert_nothing_lost(platform_dirs)


def test_a_partners_cp1252_persons_file_keeps_its_accented_names(platform_dirs, landing_day):
    """The canonical format says UTF-8; a partner's persons.csv saved from a spreadsheet on Windows
    is not. Every person loads with the names as written, and the file says how it was read."""
    day = landing_day("canonical", "acme-ppu", "2025-02-03")
    (day / "persons.csv").write_bytes(
        "record_id,forename,surname,date_of_birth\r\nA1,Zoë,Brontë,1990-02-03\r\nA2,Seán,O’Neill,1985-07-01\r\n"
        "A3,John,Smith,1970-01-01\r\n".encode("cp1252"))
    result = only_file(ingest(platform_dirs), "persons.csv")
    assert (result.status, result.rows_accepted, result.rows_rejected) == ("loaded", 3, 0)
    names = {(r["forename"], r["surname"]) for r in bronze(platform_dirs, "canonical", "persons")}
    assert names == {("Zoë", "Brontë"), ("Seán", "O’Neill"), ("John", "Smith")}
    assert [w["kind"] for w in warnings_of(platform_dirs, "persons.csv") if w["kind"] != "column_absent"] == [
        "cp1252_undeclared"]
    assert_nothing_lost(platform_dirs)


def test_cp1252_layout_reads_accents_faithfully(platform_dirs, landing_day):
    folder = landing_day("crime", "hertfordshire", "2025-01-08")
    header = "|".join(["CRIME_NO", "DATE_RECORDED", "DATE_FROM", "DATE_TO", "LOCAL_OFF_CODE", "OFF_DESC",
                       "LOC_PCODE", "LOC_DESC", "CRIME_STATUS", "REC_ACTION"])
    row = "HT/1/25|08/01/2025|07/01/2025||HT-1|Théft – “quoted” £5|AL1 1AA|Café|OPEN|I"
    (folder / "CRIME_20250108.txt").write_bytes((header + "\r\n" + row + "\r\n").encode("cp1252"))
    result = only_file(ingest(platform_dirs), "CRIME_20250108.txt")
    assert (result.status, result.rows_accepted) == ("loaded", 1)
    [crime] = bronze(platform_dirs, "crime", "crimes")
    assert crime["offence_description"] == "Théft – “quoted” £5" and crime["location_description"] == "Café"
    assert_nothing_lost(platform_dirs)


def test_embedded_newlines_and_quotes_are_kept_and_a_bad_quote_rejects_one_row(platform_dirs, landing_day):
    land(landing_day, "embedded_newlines_quotes.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (5, 4, 1)
    rows = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert rows["E1"]["location_description"] == "Flat 2\nHigh Street, Chelmsford"
    assert rows["E2"]["location_description"] == 'Park Road, near the "old" mill'
    assert rows["E3"]["location_description"] == "Line one\r\nline two\r\nline three"
    # row numbers are the line each record starts on
    assert [rows[k]["_row_number"] for k in ("E1", "E2", "E3", "E5")] == [2, 4, 5, 9]
    [reject] = rejects_of(platform_dirs, "crimes_20250108.csv")
    assert reject["row_number"] == 8 and '"Bad "quote" here"' in reject["raw_text"]
    assert "cannot be parsed" in reject["reason"]
    assert_nothing_lost(platform_dirs)


def test_ragged_rows_are_rejected_with_field_counts(platform_dirs, landing_day):
    land(landing_day, "ragged_rows.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 1, 2)
    short, long = rejects_of(platform_dirs, "crimes_20250108.csv")
    assert short["row_number"] == 3 and "row has 4 fields, the header has 10" in short["reason"]
    assert long["row_number"] == 4 and "row has 12 fields" in long["reason"]
    assert long["raw_text"].endswith(",extra,fields")
    assert "missing or extra delimiter" in long["reason"]
    assert_nothing_lost(platform_dirs)


def test_empty_file_is_quarantined_with_what_to_deliver(platform_dirs, landing_day):
    land(landing_day, "empty.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert result.status == "quarantined"
    assert "the file is empty" in result.error and "deliver at least the header row" in result.error
    assert_nothing_lost(platform_dirs)


def test_header_only_file_loads_no_rows_and_says_so(platform_dirs, landing_day):
    land(landing_day, "header_only.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.status, result.rows_read) == ("loaded", 0)
    [warning] = warnings_of(platform_dirs, "crimes_20250108.csv")
    assert warning["kind"] == "no_data_rows"
    assert_nothing_lost(platform_dirs)


def test_truncated_last_line_rejects_that_row_only(platform_dirs, landing_day):
    land(landing_day, "truncated_last_line.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    [reject] = rejects_of(platform_dirs, "crimes_20250108.csv")
    assert reject["row_number"] == 4
    assert "never closed" in reject["reason"] and "cut short" in reject["reason"]
    assert reject["raw_text"].endswith('"Church La')
    assert_nothing_lost(platform_dirs)


def test_truncated_last_line_without_quotes_is_a_ragged_row(platform_dirs, landing_day):
    folder = landing_day()
    (folder / "crimes_20250108.csv").write_text(CRIMES_HEADER + "\n" + crime_row("K1") + "\nK2,2025-01-08,2025-")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected) == (1, 1)
    assert "row has 3 fields" in rejects_of(platform_dirs, "crimes")[0]["reason"]
    assert_nothing_lost(platform_dirs)


def test_an_unclosed_quote_does_not_swallow_the_rows_after_it(platform_dirs, landing_day):
    folder = landing_day()
    rows = [crime_row(f"K{i}") for i in range(1, 6)]
    rows[1] = crime_row("K2", description='"Unclosed quote, then more text')
    (folder / "crimes_20250108.csv").write_text("\n".join([CRIMES_HEADER, *rows]) + "\n")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (5, 4, 1)
    assert [r["crime_ref"] for r in bronze(platform_dirs, "crime", "crimes")] == ["K1", "K3", "K4", "K5"]
    [reject] = rejects_of(platform_dirs, "crimes")
    assert reject["row_number"] == 3 and "only line 3 is rejected" in reject["reason"]
    kinds = {w["kind"] for w in warnings_of(platform_dirs, "crimes")}
    assert "after_resync" in kinds  # the row after the broken one is loaded, and flagged for a check
    assert_nothing_lost(platform_dirs)


def test_binary_junk_is_quarantined_as_binary(platform_dirs, landing_day):
    land(landing_day, "binary_junk.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert result.status == "quarantined" and "the file is binary" in result.error
    assert_nothing_lost(platform_dirs)


@pytest.mark.parametrize(
    ("payload", "what"),
    [
        (b"PK\x03\x04" + b"\x00" * 64, "a ZIP archive"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 64, "gzip-compressed"),
        (b"PAR1" + b"\x00" * 64, "a Parquet file"),
        ("\ufeffCrimeRef,Status\n".encode("utf-16"), "UTF-16"),
    ],
)
def test_a_file_in_another_format_is_named_for_what_it_is(platform_dirs, landing_day, payload, what):
    (landing_day() / "crimes_20250108.csv").write_bytes(payload)
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert result.status == "quarantined" and what in result.error
    assert_nothing_lost(platform_dirs)


def test_the_same_file_twice_loads_once(platform_dirs, landing_day):
    land(landing_day, "utf8_bom.csv", "crimes_20250108.csv", day="2025-01-08")
    land(landing_day, "utf8_bom.csv", "crimes_20250108.csv", day="2025-01-09")
    summary = ingest(platform_dirs)
    assert sorted(f.status for f in summary.files) == ["duplicate", "loaded"]
    duplicate = [f for f in summary.files if f.status == "duplicate"][0]
    assert "identical to crime/essex/2025-01-08/crimes_20250108.csv" in duplicate.error
    assert len(bronze(platform_dirs, "crime", "crimes")) == 3
    assert ingest(platform_dirs).files == []  # and a re-run changes nothing
    assert_nothing_lost(platform_dirs)


def test_huge_field_is_kept_and_flagged_and_an_absurd_one_is_rejected(platform_dirs, landing_day):
    folder = landing_day()
    ten_mb = "x" * (10 << 20)
    too_big = "y" * (MAX_FIELD_CHARS + 10)
    with open(folder / "crimes_20250108.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(CRIMES_HEADER.split(","))
        writer.writerow(crime_row("K1", location=ten_mb).split(","))
        writer.writerow(crime_row("K2", location=too_big).split(","))
        writer.writerow(crime_row("K3").split(","))
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    kept = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert len(kept["K1"]["location_description"]) == 10 << 20
    [warning] = [w for w in warnings_of(platform_dirs, "crimes") if w["kind"] == "huge_field"]
    assert (warning["row_number"], warning["column_name"]) == (2, "location_description")
    [reject] = rejects_of(platform_dirs, "crimes")
    assert reject["row_number"] == 3 and "larger than 16 MiB" in reject["reason"]
    # the rejects table keeps 1 MiB of the raw text; the whole file is kept in quarantine
    assert reject["raw_text_truncated"] is True
    [entry] = [m for m in read_manifest(platform_dirs.meta) if m["path"].endswith("crimes_20250108.csv")]
    assert entry["quarantine_path"] and (platform_dirs.lake / entry["quarantine_path"]).exists()
    assert_nothing_lost(platform_dirs)


def test_formula_like_cells_are_kept_flagged_and_neutralised_for_export(platform_dirs, landing_day):
    land(landing_day, "formulas.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected, result.rows_warned) == (4, 0, 3)
    rows = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert rows["E1"]["offence_description"].startswith("=HYPERLINK(")  # kept exactly as delivered
    flagged = {(w["row_number"], w["column_name"]) for w in warnings_of(platform_dirs, "crimes")}
    assert flagged == {(2, "offence_description"), (3, "offence_description"), (3, "location_description"),
                       (4, "offence_description")}
    # plain numbers and phone numbers are not formulas
    assert not looks_like_formula(rows["E3"]["location_description"])  # -0.416120
    assert not looks_like_formula(rows["E4"]["location_description"])  # +44 7700 900123
    assert neutralise_formula("@SUM(A1:A9)") == "'@SUM(A1:A9)" and neutralise_formula("-0.41") == "-0.41"
    assert_nothing_lost(platform_dirs)


def test_formula_flags_agree_between_the_fast_and_careful_paths(platform_dirs, landing_day):
    folder = landing_day()
    shutil.copy(BAD_INPUT / "formulas.csv", folder / "crimes_20250108.csv")
    with open(BAD_INPUT / "formulas.csv", encoding="utf-8") as handle:
        text = handle.read()
    # one ragged row sends the second copy down the careful path
    (folder / "crimes_20250109.csv").write_text(text + "E9,broken\n", encoding="utf-8")
    summary = ingest(platform_dirs)
    assert only_file(summary, "crimes_20250108").parse_mode == "fast"
    assert only_file(summary, "crimes_20250109").parse_mode == "careful"

    def flags(name):
        return sorted((w["row_number"], w["column_name"], w["kind"]) for w in warnings_of(platform_dirs, name))

    assert flags("crimes_20250108") == flags("crimes_20250109")
    assert_nothing_lost(platform_dirs)


def test_sentinel_and_future_dates_are_kept_as_delivered_text(platform_dirs, landing_day):
    land(landing_day, "sentinel_and_future_dates.csv", "crimes_20250108.csv")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected) == (3, 0)
    rows = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert rows["E1"]["recorded_date"] == "1900-01-01"
    assert rows["E2"]["recorded_date"] == "2099-12-31"
    assert (rows["E3"]["recorded_date"], rows["E3"]["occurred_from"], rows["E3"]["occurred_to"]) == (
        "0000-00-00", "31/02/2025", "not a date")
    assert_nothing_lost(platform_dirs)


def test_invalid_postcodes_and_phones_are_kept_for_staging_to_flag(platform_dirs, landing_day):
    land(landing_day, "crime_persons_invalid_contacts.csv", "crime_persons_20250108.csv")
    result = only_file(ingest(platform_dirs), "crime_persons_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected) == (3, 0)
    people = {r["person_ref"]: r for r in bronze(platform_dirs, "crime", "persons")}
    assert (people["N1"]["postcode"], people["N1"]["phone"]) == ("NOT A POSTCODE", "12345")
    assert people["N3"]["postcode"] == "co1  2ab" and people["N1"]["pnc_id"] == "1979/0163001X"
    assert_nothing_lost(platform_dirs)


def test_blank_lines_are_skipped_and_all_empty_rows_rejected(platform_dirs, landing_day):
    folder = landing_day()
    (folder / "crimes_20250108.csv").write_text(
        "\n".join([CRIMES_HEADER, crime_row("K1"), "", "   ", ",,,,,,,,,", crime_row("K2"), ""]) + "\n"
    )
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_read, result.rows_accepted, result.rows_rejected) == (3, 2, 1)
    [reject] = rejects_of(platform_dirs, "crimes")
    assert reject["row_number"] == 5 and "every field of the row is empty" in reject["reason"]
    assert [r["_row_number"] for r in bronze(platform_dirs, "crime", "crimes")] == [2, 6]
    assert_nothing_lost(platform_dirs)


def test_nul_bytes_in_a_row_reject_that_row_naming_the_column(platform_dirs, landing_day):
    folder = landing_day()
    (folder / "crimes_20250108.csv").write_text(
        "\n".join([CRIMES_HEADER, crime_row("K1"), crime_row("K2", location="Sh\x00op"), crime_row("K3")]) + "\n"
    )
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected) == (2, 1)
    [reject] = rejects_of(platform_dirs, "crimes")
    assert reject["column_name"] == "location_description" and "NUL byte" in reject["reason"]
    assert_nothing_lost(platform_dirs)


def test_old_mac_line_ends_and_a_missing_final_newline_still_load(platform_dirs, landing_day):
    folder = landing_day()
    (folder / "crimes_20250108.csv").write_bytes("\r".join([CRIMES_HEADER, crime_row("K1"), crime_row("K2")]).encode())
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected) == (2, 0)
    assert_nothing_lost(platform_dirs)


def test_unicode_line_separators_inside_a_field_do_not_split_the_row(platform_dirs, landing_day):
    folder = landing_day()
    (folder / "crimes_20250108.csv").write_text(
        CRIMES_HEADER + "\n" + crime_row("K1", location="Flat\u2028A\x85B\x0cC") + "\n", encoding="utf-8"
    )
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (result.rows_accepted, result.rows_rejected) == (1, 0)
    assert bronze(platform_dirs, "crime", "crimes")[0]["location_description"] == "Flat\u2028A\x85B\x0cC"
    assert_nothing_lost(platform_dirs)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (CRIMES_HEADER + ",Extra", "unexpected column(s) ['Extra']"),
        (CRIMES_HEADER.replace(",Status", ""), "missing column(s) ['Status']"),
        (CRIMES_HEADER.replace("Status", "CrimeStatus"), "A renamed column shows as one missing and one unexpected"),
        (CRIMES_HEADER + ",Status", "duplicate column(s) ['Status']"),
    ],
)
def test_schema_drift_quarantines_one_file_and_the_others_carry_on(platform_dirs, landing_day, header, expected):
    (landing_day("crime", "essex") / "crimes_20250108.csv").write_text(header + "\n" + crime_row("E1") + "\n")
    (landing_day("crime", "kent") / "crimes_20250108.csv").write_text(CRIMES_HEADER + "\n" + crime_row("K1") + "\n")
    summary = ingest(platform_dirs)
    essex, kent = only_file(summary, "essex"), only_file(summary, "kent")
    assert essex.status == "quarantined" and expected in essex.error
    assert "crime/essex/2025-01-08/crimes_20250108.csv" in essex.error
    assert "contracts/crime.yml layout 'athena_csv' entity 'crimes'" in essex.error
    assert "expected exactly ['CrimeRef'" in essex.error
    assert (kent.status, kent.rows_accepted) == ("loaded", 1)
    assert_nothing_lost(platform_dirs)


def test_unknown_layout_force_and_file_name_are_quarantined_with_the_fix(platform_dirs, landing_day):
    (landing_day("crime", "atlantis") / "crimes_20250108.csv").write_text(CRIMES_HEADER + "\n")
    (landing_day("crime", "essex") / "crime_report.xls").write_text("x")
    (landing_day("weather", "essex") / "rain.csv").write_text("x")
    (platform_dirs.landing / "crime" / "essex" / "stray.csv").write_text("x")
    (landing_day("crime", "essex", "2025-13-45") / "crimes_1.csv").write_text(CRIMES_HEADER + "\n")
    summary = ingest(platform_dirs)
    errors = {f.path: f.error for f in summary.files}
    assert all(f.status == "quarantined" for f in summary.files)
    assert "no crime layout in contracts/crime.yml" in errors["crime/atlantis/2025-01-08/crimes_20250108.csv"]
    assert "expected one of" in errors["crime/essex/2025-01-08/crime_report.xls"]
    assert "unknown source 'weather'" in errors["weather/essex/2025-01-08/rain.csv"]
    assert "<source>/<force_code>/<YYYY-MM-DD>/<file>" in errors["crime/essex/stray.csv"]
    assert "is not a date" in errors["crime/essex/2025-13-45/crimes_1.csv"]
    assert_nothing_lost(platform_dirs)


@pytest.mark.parametrize(("careful", "variant"), [(False, False), (False, True), (True, True)],
                         ids=["fast_path", "fast_path_other_case_and_spacing", "careful_path"])
def test_a_header_row_repeated_inside_the_file_is_rejected_not_loaded(platform_dirs, landing_day, careful, variant):
    """Two extracts joined together repeat the header mid-file: that row is no record (were it loaded, a
    person FORENAME SURNAME and an event event_id would enter the warehouse). It is rejected with the reason,
    written in other case or spacing too, on the fast path and on the careful one; every other row loads."""
    from oe_platform.landing.parse import REPEATED_HEADER_REASON

    again = CRIMES_HEADER.upper().replace(",", " ,") if variant else CRIMES_HEADER
    rows = [crime_row("ES/1/25"), crime_row("ES/2/25"), again, crime_row("ES/3/25")]
    if careful:
        rows.append("ES/4/25,2025-01-08")  # a ragged row: the careful path reads the file
    target = landing_day("crime", "essex") / "crimes_20250108.csv"
    target.write_text(CRIMES_HEADER + "\n" + "\n".join(rows) + "\n")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert result.status == "loaded"
    assert sorted(r["crime_ref"] for r in bronze(platform_dirs, "crime", "crimes")) == ["ES/1/25", "ES/2/25", "ES/3/25"]
    rejected = {r["row_number"]: r["reason"] for r in rejects_of(platform_dirs, "crimes_20250108.csv")}
    assert rejected[4] == REPEATED_HEADER_REASON
    assert len(rejected) == (2 if careful else 1)
    [raw] = [r["raw_text"] for r in rejects_of(platform_dirs, "crimes_20250108.csv") if r["row_number"] == 4]
    assert raw.replace(" ", "").lower() == CRIMES_HEADER.lower()
    assert_nothing_lost(platform_dirs)


SLICE_BEDFORDSHIRE = BAD_INPUT.parent / "landing_slice" / "crime" / "bedfordshire" / "2025-01-06"


def test_a_copy_of_a_loaded_file_misplaced_under_another_force_blocks_nothing(platform_dirs, landing_day):
    """A loaded extract copied by mistake under a folder that is no force code (Bedfordshire, capitalised) is set aside
    before it is read, with the bytes (and so the file id) of the loaded copy: the reconciliation still finds
    every bronze row of that id accounted for, so the run goes on, and once the copy is moved away nothing
    is left over."""
    original = SLICE_BEDFORDSHIRE / "CRIME_20250106.txt"
    shutil.copy(original, landing_day("crime", "bedfordshire", "2025-01-06") / original.name)
    assert only_file(ingest(platform_dirs), original.name).status == "loaded"
    stray = landing_day("crime", "Bedfordshire", "2025-01-06") / original.name
    shutil.copy(original, stray)
    [misplaced] = ingest(platform_dirs).files
    assert misplaced.status == "quarantined" and misplaced.path == "crime/Bedfordshire/2025-01-06/CRIME_20250106.txt"
    assert read_manifest(platform_dirs.meta)[-1]["file_id"] == read_manifest(platform_dirs.meta)[0]["file_id"]
    assert_nothing_lost(platform_dirs)
    stray.unlink()
    assert ingest(platform_dirs).files == []
    assert_nothing_lost(platform_dirs)
    # bronze rows of a file id no loaded row accounts for are still reported, naming the set-aside copy
    manifest = read_manifest(platform_dirs.meta)
    [loaded] = [row for row in manifest if row["status"] == "loaded"]
    from oe_platform.landing.ingest import write_manifest

    write_manifest(platform_dirs.meta, [row for row in manifest if row is not loaded])
    from oe_platform.landing.reconcile import reconcile

    [problem] = reconcile(platform_dirs)
    assert problem.path == misplaced.path and "does not list as loaded" in problem.describe()



@pytest.mark.parametrize("re_encoded", [True, False], ids=["utf8_with_bom", "cp1252_with_bom"])
def test_a_byte_order_mark_on_a_cp1252_extract_is_removed_and_named(platform_dirs, landing_day, re_encoded):
    """Bedfordshire's legacy layout declares Windows-1252. The same extract saved by Excel as 'CSV UTF-8'
    (a byte-order mark, then UTF-8) is read as UTF-8; a mark in front of Windows-1252 bytes is removed
    and the file read as declared. Either way the file loads and a warning names the mark."""
    original = (SLICE_BEDFORDSHIRE / "CRIME_20250106.txt").read_bytes()
    assert "Café".encode("cp1252") in original and not original.startswith(b"\xef\xbb\xbf")
    body = original.decode("cp1252").encode("utf-8") if re_encoded else original
    target = landing_day("crime", "bedfordshire", "2025-01-06") / "CRIME_20250106.txt"
    target.write_bytes(b"\xef\xbb\xbf" + body)
    result = only_file(ingest(platform_dirs), "CRIME_20250106.txt")
    assert (result.status, result.rows_rejected) == ("loaded", 0), result.error
    assert result.rows_accepted == original.count(b"\n") - 1
    rows = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert rows["BD/55/25"]["location_description"] == "Café on George St"
    [warning] = [w for w in warnings_of(platform_dirs, "CRIME_20250106.txt") if w["kind"] == "byte_order_mark"]
    assert warning["row_number"] is None
    expected = ("read as UTF-8, not cp1252" if re_encoded
                else "not UTF-8 text: the mark was removed and the file read as cp1252")
    assert expected in warning["detail"]
    assert_nothing_lost(platform_dirs)


@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_utf8_delivered_for_a_cp1252_layout_is_read_as_utf8_and_named(platform_dirs, landing_day, encoding):
    """The same extract saved as UTF-8 without a byte-order mark: read as cp1252 it would load ZoÃ« and
    CafÃ© without a word. Valid UTF-8 with letters beyond ASCII is read as UTF-8, with a file-level
    warning; the declared cp1252 is read as cp1252, with none."""
    original = (SLICE_BEDFORDSHIRE / "CRIME_20250106.txt").read_bytes()
    body = original.decode("cp1252").encode(encoding)
    assert (body == original) == (encoding == "cp1252")
    (landing_day("crime", "bedfordshire", "2025-01-06") / "CRIME_20250106.txt").write_bytes(body)
    result = only_file(ingest(platform_dirs), "CRIME_20250106.txt")
    assert (result.status, result.rows_rejected) == ("loaded", 0), result.error
    rows = {r["crime_ref"]: r for r in bronze(platform_dirs, "crime", "crimes")}
    assert rows["BD/55/25"]["location_description"] == "Café on George St"
    found = [w for w in warnings_of(platform_dirs, "CRIME_20250106.txt") if w["kind"] == "utf8_undeclared"]
    if encoding == "cp1252":
        assert found == []
    else:
        [warning] = found
        assert "read as UTF-8" in warning["detail"] and "not cp1252" in warning["detail"]
    assert_nothing_lost(platform_dirs)


def _ingest_partner_persons(platform_dirs, landing_day, files: dict[str, str]):
    """Land one persons.csv per partner (text by partner code), ingest, check acme-ppu's two rows
    loaded; the summary and the bronze persons by record_id."""
    for partner, text in files.items():
        (landing_day("canonical", partner, "2025-02-03") / "persons.csv").write_text(text, encoding="utf-8")
    summary = ingest(platform_dirs)
    loaded = only_file(summary, "acme-ppu")
    assert (loaded.status, loaded.rows_accepted, loaded.rows_rejected) == ("loaded", 2, 0)
    return summary, {r["record_id"]: r for r in bronze(platform_dirs, "canonical", "persons")}


def test_canonical_persons_may_leave_optional_columns_out_but_not_the_key(platform_dirs, landing_day):
    """DESIGN: "any optional column may be absent or empty". Columns in any order; the key column
    record_id is required, and a file without it is set aside with a message naming it."""
    summary, rows = _ingest_partner_persons(platform_dirs, landing_day, {
        "acme-ppu": "postcode,surname,record_id,date_of_birth\nLU1 3JH,Hartley,A-1,1994-06-12\nSG1 4QT,Barnsley,A-2,\n",
        "other-ppu": "forename,surname\nDaniel,Hartley\n",
    })
    assert rows["A-1"]["surname"] == "Hartley" and rows["A-1"]["postcode"] == "LU1 3JH"
    assert rows["A-1"]["forename"] is None and rows["A-2"]["date_of_birth"] is None
    absent = sorted(w["column_name"] for w in warnings_of(platform_dirs, "acme-ppu") if w["kind"] == "column_absent")
    assert absent == sorted(["forename", "middle_names", "sex", "address", "phone", "email", "pnc_id",
                             "cro_number", "nhs_number", "aliases"])
    refused = only_file(summary, "other-ppu")
    assert refused.status == "quarantined"
    assert "missing required column(s) ['record_id']" in refused.error
    assert "canonical/other-ppu/2025-02-03/persons.csv" in refused.error
    assert_nothing_lost(platform_dirs)


def test_canonical_column_names_are_read_ignoring_case_spaces_and_punctuation(platform_dirs, landing_day):
    """Partners' exports name columns their own way ("Record ID", "DATE_OF_BIRTH", "Post-code"): the
    canonical layout reads them as the contract's names and says which it read so; a name that
    matches no column, or two names matching one, still set the file aside."""
    summary, rows = _ingest_partner_persons(platform_dirs, landing_day, {
        "acme-ppu": "Record ID,Forename,SURNAME,Date-of-Birth,Post code,pnc_id\r\n"
                    "A-1,Daniel,Hartley,1994-06-12,LU1 3JH,\r\nA-2,Ruth,Barnsley,,SG1 4QT,\r\n",
        "other-ppu": "record_id,Forename,forename\nB-1,Ann,Ann\n",
        "third-ppu": "record_id,Given name\nC-1,Ann\n",
    })
    assert (rows["A-1"]["forename"], rows["A-1"]["surname"], rows["A-1"]["date_of_birth"], rows["A-1"]["postcode"]) \
        == ("Daniel", "Hartley", "1994-06-12", "LU1 3JH")
    [warning] = [w for w in warnings_of(platform_dirs, "acme-ppu") if w["kind"] == "header_names_loose"]
    for delivered, name in (("Record ID", "record_id"), ("SURNAME", "surname"), ("Date-of-Birth", "date_of_birth"),
                            ("Post code", "postcode")):
        assert f"{delivered!r} as {name!r}" in warning["detail"]
    assert "'pnc_id' as" not in warning["detail"]  # a name as the contract writes it is not reported
    absent = {w["column_name"] for w in warnings_of(platform_dirs, "acme-ppu") if w["kind"] == "column_absent"}
    assert "forename" not in absent and "postcode" not in absent and "sex" in absent
    assert only_file(summary, "other-ppu").status == "quarantined"
    assert "duplicate column(s) ['forename']" in only_file(summary, "other-ppu").error
    refused = only_file(summary, "third-ppu")
    assert refused.status == "quarantined" and "unexpected column(s) ['Given name']" in refused.error
    assert_nothing_lost(platform_dirs)


def test_a_force_layout_still_needs_every_column(platform_dirs, landing_day):
    """Only layouts that say so (optional_columns_may_be_absent) accept a header with columns left out."""
    header = CRIMES_HEADER.split(",")
    folder = landing_day()
    row = crime_row("E9").split(",")
    (folder / "crimes_20250108.csv").write_text(",".join(header[:-1]) + "\n" + ",".join(row[:-1]) + "\n")
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert result.status == "quarantined" and f"missing column(s) ['{header[-1]}']" in result.error


def test_a_canonical_row_without_its_key_is_rejected_alone(platform_dirs, landing_day):
    """record_id and event_id are required values: a row that leaves one empty is rejected with the
    reason and its line, and the rest of the file loads."""
    day = landing_day("canonical", "acme-ppu", "2025-02-03")
    (day / "persons.csv").write_text("record_id,surname\nA-1,Hartley\n,Barnsley\nA-3,Okafor\n\"   \",Spacey\n",
                                     encoding="utf-8")
    (day / "person_events.csv").write_text("record_id,event_id,role\nA-1,E-1,suspect\nA-3,,victim\n",
                                           encoding="utf-8")
    summary = ingest(platform_dirs)
    persons = only_file(summary, "persons.csv")
    assert (persons.status, persons.rows_read, persons.rows_accepted, persons.rows_rejected) == ("loaded", 4, 2, 2)
    reject, spaces = sorted(rejects_of(platform_dirs, "persons.csv"), key=lambda r: r["row_number"])
    assert (reject["row_number"], reject["column_name"]) == (3, "record_id")
    assert "required column(s) ['record_id'] empty" in reject["reason"] and "Barnsley" in reject["raw_text"]
    # a key of spaces is no key either
    assert (spaces["row_number"], spaces["column_name"]) == (5, "record_id")
    assert "required column(s) ['record_id'] empty" in spaces["reason"] and "Spacey" in spaces["raw_text"]
    links = only_file(summary, "person_events.csv")
    assert (links.rows_accepted, links.rows_rejected) == (1, 1)
    [reject] = rejects_of(platform_dirs, "person_events.csv")
    assert (reject["row_number"], reject["column_name"]) == (3, "event_id")
    assert [r["record_id"] for r in bronze(platform_dirs, "canonical", "persons")] == ["A-1", "A-3"]
    assert_nothing_lost(platform_dirs)
