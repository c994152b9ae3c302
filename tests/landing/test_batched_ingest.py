"""Load (issue 10): ingest reads and writes a file in batches of OE_INGEST_BATCH_ROWS records, and the
result does not depend on the batch size: a file spanning many small batches gives, row for row, the
bronze rows, rejects (with the file's own row numbers), warnings and manifest of one read whole.
(The memory this bounds is measured by `oe bench delivery`, not asserted here.)"""

from __future__ import annotations

import json
import os
import subprocess
import time

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from oe_platform.bench import build_landing_zone
from oe_platform.bench_delivery import build_delivery
from oe_platform.cli import main
from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.landing import ingest as ingest_module
from oe_platform.landing import textstream
from oe_platform.landing.ingest import ingest, read_manifest
from oe_platform.landing.textstream import BatchSizeError
from oe_platform.pause import BATCH_POINT, PAUSE_AT, PAUSE_MARKER
from tests.integration.pipeline_runs import OE
from tests.landing.helpers import (
    CRIMES_HEADER,
    assert_nothing_lost,
    bronze,
    crime_row,
    lake_snapshot,
    rejects_of,
    warnings_of,
)
from tests.landing.test_formats import file_name, layout_of_format, write_workbook

WHOLE = 10_000_000  # a batch larger than any file here: the file is read in one batch
RUN_FIELDS = ("run_id", "started_at", "finished_at", "duration_ms")


def lake(settings: Settings, name: str) -> Settings:
    """Another lake over the same landing zone."""
    return load_settings(landing=settings.landing, lake=settings.lake.parent / name,
                         warehouse=settings.warehouse, shared_data=settings.shared_data)


def manifest(settings: Settings) -> dict[str, dict]:
    return {row["path"]: {k: v for k, v in row.items() if k not in RUN_FIELDS} for row in read_manifest(settings.meta)}


def row_groups(settings: Settings, source: str, entity: str) -> int:
    files = [p for p in (settings.bronze / source / entity).rglob("*.parquet") if p.name != "_empty.parquet"]
    return sum(pq.ParquetFile(p).num_row_groups for p in files)


def assert_same_result(whole: Settings, batched: Settings) -> None:
    assert manifest(batched) == manifest(whole)
    assert lake_snapshot(batched) == lake_snapshot(whole)
    assert_nothing_lost(whole)
    assert_nothing_lost(batched)


def test_every_layout_gives_the_same_rows_in_small_batches(tmp_path, monkeypatch):
    """Every synthesisable layout (CSV utf-8 and cp1252, JSON lines with nested arrays, Parquet,
    XLSX), with dirty rows, read in batches of 13 records, fast and careful, equals one batch."""
    landing = tmp_path / "landing"
    build_landing_zone(landing, rows=2000, dirty=True)
    settings = {name: load_settings(landing=landing, lake=tmp_path / name, shared_data=tmp_path / "none")
                for name in ("whole", "batched", "careful")}
    ingest(settings["whole"], batch_rows=WHOLE)
    ingest(settings["batched"], batch_rows=13)
    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "FAST_PATHS", False)
        ingest(settings["careful"], batch_rows=13)
    assert_same_result(settings["whole"], settings["batched"])
    assert lake_snapshot(settings["careful"]) == lake_snapshot(settings["whole"])
    whole = read_manifest(settings["whole"].meta)
    assert {m["format"] for m in whole} >= {"csv", "jsonl", "parquet"}
    assert any(m["rows_rejected"] for m in whole) and any(m["rows_warned"] for m in whole)
    # the batches really were small: each bronze file of a text or Parquet layout has many row groups
    for source, entity in (("crime", "crimes"), ("custody", "custody_records")):
        assert row_groups(settings["batched"], source, entity) > 2 * row_groups(settings["whole"], source, entity)


def _crimes_file(rows: int) -> tuple[str, dict[int, str]]:
    """A crimes CSV of `rows` records whose first problems come after several clean batches; returns
    the text and the line number of each rejected row with a word of its reason."""
    lines = [CRIMES_HEADER]
    for i in range(rows):
        lines.append(crime_row(f"KC{i:05d}"))
    # line numbers (1-based, header = 1) of the records in `lines`: index i holds line i + 1
    lines[700] = crime_row("KC-ML", description='"Theft across\na batch boundary"')  # lines 701-702
    lines[850] = crime_row("KC-RAG") + ",extra"  # a ragged row (after the record over two lines: line 852)
    lines[900] = crime_row("KC-NUL", location="Shop\x00")  # line 902
    lines[950] = ""  # a blank line: no record, but it keeps its line number
    lines[1000] = crime_row("KC-FX", location="=HYPERLINK(1)")  # a warning, not a reject: line 1002
    lines[1100] = crime_row("KC-Q", description='"never closed')  # line 1102: the quote swallows lines
    lines[1150] = ",,,,,,,,,"  # every field empty: line 1152
    return "\n".join(lines) + "\n", {852: "has 11 fields", 902: "NUL byte", 1102: "never closed",
                                     1152: "every field of the row is empty"}


def test_a_csv_spanning_many_batches_keeps_its_row_numbers(platform_dirs, landing_day, monkeypatch):
    """Clean batches go the fast way, then a quoted record runs over a batch boundary and the careful
    path reads on; bad rows in later batches are rejected with the file's own line numbers."""
    text, expected = _crimes_file(1300)
    (landing_day("crime", "kent", "2025-01-08") / "crimes_20250108.csv").write_text(text, encoding="utf-8")
    ingest(platform_dirs, batch_rows=WHOLE)
    batched = lake(platform_dirs, "batched")
    monkeypatch.setattr(textstream, "READ_BYTES", 4099)  # small reads too: lines cut between reads
    [result] = ingest(batched, batch_rows=100).files
    assert (result.status, result.parse_mode) == ("loaded", "careful")
    assert_same_result(platform_dirs, batched)
    rejects = rejects_of(batched, "crimes_20250108.csv")
    assert {r["row_number"]: r["reason"] for r in rejects}.keys() == expected.keys()
    for reject in rejects:
        assert expected[reject["row_number"]] in reject["reason"], reject
    assert result.rows_read == 1300 - 1 and result.rows_rejected == len(expected)  # one line is blank
    rows = {r["crime_ref"]: r for r in bronze(batched, "crime", "crimes")}
    assert rows["KC-ML"]["_row_number"] == 701 and rows["KC-ML"]["offence_description"] == (
        "Theft across\na batch boundary")
    assert rows["KC00700"]["_row_number"] == 703 and rows["KC01299"]["_row_number"] == 1302
    assert rows["KC01100"]["_row_number"] == 1103  # parsed on its own line after the broken quote
    kinds = {(w["row_number"], w["kind"]) for w in warnings_of(batched, "crimes_20250108.csv")}
    assert {(1002, "formula_like"), (1103, "after_resync")} <= kinds
    assert row_groups(batched, "crime", "crimes") >= 12  # written batch by batch


@pytest.mark.parametrize("utf8_body", [True, False], ids=["bom_then_utf8", "bom_then_cp1252"])
def test_a_cp1252_extract_with_a_byte_order_mark_in_small_batches(platform_dirs, landing_day, monkeypatch,
                                                                  utf8_body):
    """Hertfordshire's Windows-1252 layout: a UTF-8 byte-order mark (Excel) in front of UTF-8 or of
    Windows-1252 bytes, CRLF line ends, accents in every row, a byte the encoding does not define in a
    late batch (a NUL in UTF-8, an undefined byte in Windows-1252): the mark is named once, the bad row
    rejected with its own line number."""
    header = "|".join(["CRIME_NO", "DATE_RECORDED", "DATE_FROM", "DATE_TO", "LOCAL_OFF_CODE", "OFF_DESC",
                       "LOC_PCODE", "LOC_DESC", "CRIME_STATUS", "REC_ACTION"])
    rows = [f"HT/{i}/25|08/01/2025|07/01/2025||HT-1|Théft – “quoted” £{i}|AL1 1AA|Café {i}|OPEN|I"
            for i in range(600)]
    body = ("\r\n".join([header, *rows]) + "\r\n").encode("utf-8" if utf8_body else "cp1252")
    bad = 451  # line 451 holds a bad byte
    lines = body.split(b"\r\n")
    lines[bad - 1] = lines[bad - 1].replace(b"Caf", b"Ca\x00f" if utf8_body else b"Ca\x81f")
    folder = landing_day("crime", "hertfordshire", "2025-01-08")
    (folder / "CRIME_20250108.txt").write_bytes(b"\xef\xbb\xbf" + b"\r\n".join(lines))
    ingest(platform_dirs, batch_rows=WHOLE)
    batched = lake(platform_dirs, "batched")
    monkeypatch.setattr(textstream, "READ_BYTES", 1001)  # reads end inside multi-byte characters
    [result] = ingest(batched, batch_rows=40).files
    assert (result.status, result.rows_read, result.rows_rejected) == ("loaded", 600, 1)
    assert_same_result(platform_dirs, batched)
    [reject] = rejects_of(batched, "CRIME_20250108.txt")
    assert reject["row_number"] == bad and reject["column_name"] == "location_description"
    assert ("NUL byte" if utf8_body else "not valid cp1252") in reject["reason"]
    marks = [w for w in warnings_of(batched, "CRIME_20250108.txt") if w["kind"] == "byte_order_mark"]
    assert len(marks) == 1 and marks[0]["row_number"] is None
    assert ("read as UTF-8" if utf8_body else "read as cp1252") in marks[0]["detail"]
    crimes = {r["crime_ref"]: r for r in bronze(batched, "crime", "crimes")}
    assert crimes["HT/599/25"]["offence_description"] == "Théft – “quoted” £599"
    assert crimes["HT/599/25"]["_row_number"] == 601
    assert crimes["HT/0/25"]["_row_number"] == 2  # the mark is not part of the first value


def test_json_lines_drift_in_a_late_batch_quarantines_the_whole_file_and_leaves_nothing(platform_dirs):
    """A field outside the contract in the last batch of a JSON lines file sets the whole file aside:
    the batches already written are removed (no bronze, rejects or warnings file, no temporary file)."""
    build_delivery(platform_dirs.landing, "crime", "warwickshire", 500)
    files = sorted(platform_dirs.landing.rglob("*.jsonl"))
    assert files
    with files[0].open("a", encoding="utf-8") as handle:
        handle.write(json.dumps({"unexpected_field": "x"}) + "\n")
    summary = ingest(platform_dirs, batch_rows=50)
    statuses = {f.path.rsplit("/", 1)[-1]: f.status for f in summary.files}
    assert statuses[files[0].name] == "quarantined"
    [entry] = [m for m in read_manifest(platform_dirs.meta) if m["path"].endswith(files[0].name)]
    assert "unexpected_field" in entry["error"] and entry["rows_read"] == 0
    leftovers = [p for p in platform_dirs.lake.rglob("*") if p.is_file() and entry["file_id"] in p.name]
    assert leftovers == []
    assert not list(platform_dirs.lake.rglob("*.tmp"))
    assert_nothing_lost(platform_dirs)


def test_a_parquet_delivery_in_small_batches_numbers_records_by_position(platform_dirs):
    build_delivery(platform_dirs.landing, "custody", "warwickshire", 1000)
    [path] = sorted(platform_dirs.landing.rglob("*.parquet"))[:1]
    table = pq.read_table(path)
    records = table.to_pylist()
    records[899] = {name: None for name in table.column_names}  # record 900: every value empty
    pq.write_table(pa.Table.from_pylist(records, schema=table.schema), path, row_group_size=300)
    ingest(platform_dirs, batch_rows=WHOLE)
    batched = lake(platform_dirs, "batched")
    summary = ingest(batched, batch_rows=128)
    assert {f.parse_mode for f in summary.files} == {"parquet"}
    assert_same_result(platform_dirs, batched)
    [reject] = rejects_of(batched, path.name)
    assert reject["row_number"] == 900 and "every mapped value" in reject["reason"]


def test_the_batch_size_comes_from_the_setting(platform_dirs, landing_day, monkeypatch):
    text = "\n".join([CRIMES_HEADER, *(crime_row(f"KC{i:05d}") for i in range(299))]) + "\n"
    (landing_day("crime", "kent", "2025-01-08") / "crimes_20250108.csv").write_text(text, encoding="utf-8")
    monkeypatch.setenv("OE_INGEST_BATCH_ROWS", "none")
    with pytest.raises(BatchSizeError, match="OE_INGEST_BATCH_ROWS"):
        ingest(platform_dirs)
    assert not platform_dirs.meta.joinpath("file_manifest.parquet").exists()  # stopped before reading
    monkeypatch.setenv("OE_INGEST_BATCH_ROWS", "50")
    [result] = ingest(platform_dirs).files
    assert (result.status, result.rows_read, result.parse_mode) == ("loaded", 299, "fast")
    assert row_groups(platform_dirs, "crime", "crimes") == 6  # 299 rows in batches of 50
    assert textstream.batch_rows(None) == 50 and textstream.batch_rows(7) == 7
    monkeypatch.delenv("OE_INGEST_BATCH_ROWS")
    assert textstream.batch_rows(None) == textstream.DEFAULT_BATCH_ROWS
    outcome = CliRunner().invoke(main, ["ingest", "--batch-rows", "0"])
    assert outcome.exit_code == 1 and "must be a whole number of rows above 0" in outcome.output


def test_temporary_files_of_a_killed_ingest_are_swept(platform_dirs, landing_day):
    """A file's batches go to hidden temporary files until the file is done; those an ingest killed
    half way left behind are removed by the next ingest (and never read as bronze meanwhile)."""
    stale = platform_dirs.bronze / "crime" / "crimes" / "force=kent" / "delivery=2025-01-08" / ".abc.parquet.tmp"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"PAR1 half written")
    (platform_dirs.meta / "rejects").mkdir(parents=True)
    (platform_dirs.meta / "rejects" / ".abc.parquet.tmp").write_bytes(b"PAR1")
    (landing_day("crime", "kent", "2025-01-08") / "crimes_20250108.csv").write_text(
        "\n".join([CRIMES_HEADER, crime_row("KC1")]) + "\n", encoding="utf-8")
    [result] = ingest(platform_dirs).files
    assert result.status == "loaded"
    assert not list(platform_dirs.lake.rglob("*.tmp"))
    assert_nothing_lost(platform_dirs)


def test_an_ingest_killed_half_way_through_a_file_leaves_nothing_counted(tmp_path, platform_dirs, landing_day):
    """SIGKILL while a file's batches are being written (the `ingest-batch` pause point): no bronze,
    rejects or warnings file and no manifest entry for it; the next ingest ends as one never killed."""
    text, _ = _crimes_file(1300)
    (landing_day("crime", "kent", "2025-01-08") / "crimes_20250108.csv").write_text(text, encoding="utf-8")
    marker = tmp_path / "paused"
    env = {**os.environ, **platform_dirs.env(), "PYTHONPATH": str(REPO_ROOT), PAUSE_AT: BATCH_POINT,
           PAUSE_MARKER: str(marker), "OE_INGEST_BATCH_ROWS": "100"}
    process = subprocess.Popen([OE, "ingest"], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while not marker.exists():
            assert process.poll() is None and time.monotonic() < deadline, "ingest never reached a batch"
            time.sleep(0.2)
    finally:
        process.kill()
        process.wait()
    half_written = list(platform_dirs.lake.rglob(".*.parquet.tmp"))
    assert half_written  # killed with the file's first batch written
    counted = [p for p in platform_dirs.lake.rglob("*.parquet")
               if p.name not in ("_empty.parquet", "file_manifest.parquet")]
    assert counted == [] and read_manifest(platform_dirs.meta) == []
    assert_nothing_lost(platform_dirs)
    [result] = ingest(platform_dirs, batch_rows=100).files
    assert result.status == "loaded" and not list(platform_dirs.lake.rglob("*.tmp"))
    reference = lake(platform_dirs, "reference")
    ingest(reference, batch_rows=100)
    assert_same_result(reference, platform_dirs)


def test_an_xlsx_workbook_is_read_sheet_by_sheet_in_batches(platform_dirs, landing_day):
    """Every mapped sheet streamed in batches of 5 rows: the same rows, sheet row numbers, a formula
    flagged and a row with values beyond the header rejected, as one batch gives."""
    import openpyxl

    contract, layout, force = layout_of_format("xlsx")
    specs = [s for s in layout.files.values() if s.pattern]
    path = landing_day(contract.source, force) / file_name(specs[0])
    write_workbook(contract, layout, path, rows=28, formula=True)
    workbook = openpyxl.load_workbook(path)
    for sheet in workbook.worksheets:
        sheet.append(["x"] * (sheet.max_column + 1))  # row 32: a value beyond the header
    workbook.save(path)
    ingest(platform_dirs, batch_rows=WHOLE)
    batched = lake(platform_dirs, "batched")
    [result] = ingest(batched, batch_rows=5).files
    sheets = len(workbook.worksheets)
    assert (result.status, result.parse_mode) == ("loaded", "xlsx")
    assert (result.rows_read, result.rows_rejected) == (30 * sheets, sheets)
    assert_same_result(platform_dirs, batched)
    assert {r["row_number"] for r in rejects_of(batched, path.name)} == {32}
    for spec in specs:
        assert row_groups(batched, contract.source, spec.entity) >= 6  # 29 rows in batches of 5
