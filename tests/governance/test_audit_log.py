"""The audit log on a real file: chained entries, tamper evidence, filters, the `oe audit` views."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from oe_platform.cli import main
from oe_platform.config import Settings
from oe_platform.governance.audit import (
    GENESIS_HASH,
    AuditError,
    Event,
    audit_path,
    audit_run,
    entry_hash,
    filter_entries,
    read_entries,
    record,
    verify,
)


@pytest.fixture
def log(platform_dirs: Settings, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("OE_AUDIT", raising=False)
    monkeypatch.setenv("OE_AUDIT_IDENTITY", "analyst.one@force.example")
    return audit_path(platform_dirs)


def _fill(path: Path) -> list[dict]:
    entries = record([
        Event("collection", {"file": "crime/essex/2025-01-06/crimes.csv", "rows_accepted": 4, "status": "loaded"}),
        Event("collection", {"file": "custody/kent/2025-01-07/custody.csv", "rows_accepted": 2, "status": "loaded"}),
        Event("alteration", {"step": "dbt_before_linkage", "models": [{"node": "model.oe_platform.event",
                                                                         "rows": 6}]}),
    ], path)
    with audit_run("dagster-run-1"):
        entries += record(Event("disclosure", {"table": "mart_oe__high_harm_offenders", "rows": 3,
                                               "audience": "oe"}), path)
    return entries


def test_entries_are_chained_and_stored_under_the_lake_outside_the_warehouse(log: Path, platform_dirs: Settings):
    entries = _fill(log)
    assert log == platform_dirs.lake / "_audit" / "audit.jsonl"
    assert not log.is_relative_to(platform_dirs.warehouse.parent)
    assert [e["seq"] for e in entries] == [1, 2, 3, 4]
    assert entries[0]["prev_hash"] == GENESIS_HASH
    for before, after in zip(entries, entries[1:], strict=False):
        assert after["prev_hash"] == before["hash"]
    body = {k: v for k, v in entries[2].items() if k != "hash"}
    assert entries[2]["hash"] == entry_hash(entries[1]["hash"], body)
    assert {e["who"] for e in entries} == {"analyst.one@force.example"}
    assert entries[3]["run_id"] == "dagster-run-1" and entries[0]["run_id"] is None
    assert entries[0]["at"].endswith("Z")
    # a second writer appends to the same chain
    [more] = record(Event("consultation", {"sql": "select 1", "rows": 1}), log)
    assert more["seq"] == 5 and more["prev_hash"] == entries[3]["hash"]
    assert verify(log).ok and verify(log).entries == 5


def test_editing_one_line_is_detected_and_named(log: Path):
    _fill(log)
    lines = log.read_text().splitlines(keepends=True)
    tampered = json.loads(lines[1])
    tampered["what"]["rows_accepted"] = 200
    lines[1] = json.dumps(tampered) + "\n"
    log.write_text("".join(lines))
    result = verify(log)
    assert not result.ok
    assert (result.broken_line, result.broken_seq) == (2, 2)
    assert "edited" in result.reason
    out = CliRunner().invoke(main, ["audit", "verify"])
    assert out.exit_code == 1
    assert "line 2 (seq 2)" in out.output


def test_removing_or_reordering_lines_is_detected(log: Path):
    _fill(log)
    lines = log.read_text().splitlines(keepends=True)
    log.write_text("".join([lines[0], lines[2], lines[3]]))
    assert (verify(log).ok, verify(log).broken_line) == (False, 2)
    log.write_text("".join([lines[1], lines[0], *lines[2:]]))
    assert (verify(log).ok, verify(log).broken_line) == (False, 1)
    # the whole chain recomputed after an edit still fails: seq 1 must link to the genesis hash
    log.write_text("".join(lines[1:]))
    assert verify(log).broken_line == 1


def test_erasure_entries_hold_metadata_only(log: Path):
    [entry] = record(Event("erasure", {"source": "custody", "records": 1, "reason": "court order 42",
                                       "request_id": "ER-1"}), log)
    assert entry["what"] == {"source": "custody", "records": 1, "reason": "court order 42", "request_id": "ER-1"}
    with pytest.raises(AuditError, match="metadata only.*family_name"):
        record(Event("erasure", {"source": "custody", "family_name": "SMITH"}), log)
    with pytest.raises(AuditError, match="unknown audit operation"):
        record(Event("deletion", {}), log)
    assert len(read_entries(log)) == 1


def test_filters_by_operation_date_and_record(log: Path):
    entries = _fill(log)
    assert [e["seq"] for e in filter_entries(entries, operation="collection")] == [1, 2]
    assert [e["seq"] for e in filter_entries(entries, record_filter="KENT/")] == [2]
    assert [e["seq"] for e in filter_entries(entries, record_filter="model.oe_platform.event")] == [3]
    assert [e["seq"] for e in filter_entries(entries, record_filter="dagster-run-1")] == [4]
    today = entries[0]["at"][:10]
    assert len(filter_entries(entries, since=today, until=today)) == 4
    assert filter_entries(entries, until="2020-01-01") == []
    assert filter_entries(entries, since="2999-01-01") == []
    with pytest.raises(AuditError):
        filter_entries(entries, operation="reading")


def test_oe_audit_prints_table_json_and_csv(log: Path):
    _fill(log)
    runner = CliRunner()
    table = runner.invoke(main, ["audit", "--operation", "collection"])
    assert table.exit_code == 0, table.output
    assert "custody/kent/2025-01-07/custody.csv" in table.output and "disclosure" not in table.output
    assert "2 entries" in table.output
    as_json = json.loads(runner.invoke(main, ["audit", "--format", "json", "--record", "high_harm"]).output)
    assert [(e["operation"], e["what"]["audience"]) for e in as_json] == [("disclosure", "oe")]
    rows = list(csv.DictReader(io.StringIO(runner.invoke(main, ["audit", "--format", "csv"]).output)))
    assert [r["operation"] for r in rows] == ["collection", "collection", "alteration", "disclosure"]
    assert json.loads(rows[2]["what"])["step"] == "dbt_before_linkage"
    assert runner.invoke(main, ["audit", "verify"]).exit_code == 0


def test_oe_audit_path_is_configurable(tmp_path: Path, log: Path, monkeypatch: pytest.MonkeyPatch):
    elsewhere = tmp_path / "secure" / "audit.jsonl"
    monkeypatch.setenv("OE_AUDIT", str(elsewhere))
    record(Event("consultation", {"sql": "select 1"}))
    assert elsewhere.exists() and not log.exists()


def test_a_corrupt_last_line_stops_recording(log: Path):
    _fill(log)
    with open(log, "a") as handle:
        handle.write("{not json\n")
    with pytest.raises(AuditError, match="oe audit verify"):
        record(Event("consultation", {"sql": "select 1"}), log)
