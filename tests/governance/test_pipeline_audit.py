"""What one pipeline run through real Dagster, dbt and DuckDB writes to the audit log, and a failed run."""

from __future__ import annotations

import os
import shutil
from collections import Counter
from pathlib import Path

import pytest

from oe_platform.config import load_settings
from oe_platform.governance.audit import audit_path, read_entries, verify

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_one_run_records_collection_alteration_combination_and_disclosure(slice_pipeline):
    settings, result = slice_pipeline.settings, slice_pipeline.result
    assert result.success
    path = settings.lake / "_audit" / "audit.jsonl"
    entries = [e for e in read_entries(path) if e["run_id"] == result.run_id]
    counts = Counter(e["operation"] for e in entries)
    landed = sorted(str(p.relative_to(settings.landing)) for p in settings.landing.rglob("*") if p.is_file())
    collected = [e for e in entries if e["operation"] == "collection"]
    assert sorted(e["what"]["file"] for e in collected if e["what"]["source"] != "police_uk") == landed
    assert {e["what"]["status"] for e in collected} <= {"loaded", "duplicate", "quarantined", "failed"}
    essex = next(e for e in collected if e["what"]["file"] == "crime/essex/2025-01-06/crimes_20250106.csv")
    assert essex["what"]["rows_accepted"] > 0 and len(essex["what"]["sha256"]) == 64

    builds = {e["what"]["step"]: e["what"] for e in entries if e["operation"] == "alteration"}
    assert set(builds) == {"dbt_before_linkage", "dbt_after_linkage"}
    before = {m["node"]: m for m in builds["dbt_before_linkage"]["models"]}
    assert before["model.oe_platform.event"]["rows"] == 7 and before["model.oe_platform.event"]["status"] == "success"
    # staging models are tables (docs/scale.md), so their rows are counted like any table's
    assert before["model.oe_platform.stg_crime__crimes"]["rows"] >= 1
    assert builds["dbt_before_linkage"]["tests"].get("pass", 0) > 0
    after = {m["node"] for m in builds["dbt_after_linkage"]["models"]}
    assert "model.oe_platform.person" in after and not after & set(before)

    [combination] = [e["what"] for e in entries if e["operation"] == "combination"]
    assert combination["input"] == "conformed.int_person_records"
    assert combination["person_records"] >= combination["persons"] >= 1
    assert any(o.endswith("clusters.parquet") for o in combination["outputs"])

    # one disclosure per gold file (each mart version) and per serving file, each with its audience
    disclosed = [e["what"] for e in entries if e["operation"] == "disclosure"]
    by_file = {d["file"]: d for d in disclosed}
    gold = {str(p) for p in settings.gold.rglob("*.parquet")}
    serving = {str(p) for p in settings.serving.glob("*.duckdb")}
    assert gold and serving and set(by_file) == gold | serving and len(by_file) == len(disclosed)
    strategic = next(d for d in disclosed if d.get("mart") == "mart_strategic__oe_monthly_by_force")
    assert strategic["audience"] == "strategic" and strategic["recipient"].startswith("Strategic Analysis <")
    assert strategic["rows"] >= 0 and len(strategic["checksum"]) == 32
    served = by_file[str(settings.serving / "strategic.duckdb")]
    assert served["audience"] == "strategic" and "marts.mart_strategic__oe_monthly_by_force" in served["tables"]
    assert all(d["audience"] in {"oe", "safeguarding", "strategic", "governance"} for d in disclosed)

    assert counts["run_failure"] == 0
    assert verify(path).ok


def test_a_failed_run_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from oe_platform.dbt_runner import prepare_manifest
    from orchestration.run import run_pipeline

    (tmp_path / "shared").mkdir()
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake",
                             warehouse=tmp_path / "warehouse" / "oe.duckdb", shared_data=tmp_path / "shared")
    # a directory where the warehouse's write-ahead log goes: the run starts (its lock and the warehouse
    # check pass, ingest loads), then dbt's first write to the warehouse fails
    settings.warehouse.with_name(settings.warehouse.name + ".wal").mkdir(parents=True)
    shutil.copytree(FIXTURES / "landing_slice", settings.landing)
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    monkeypatch.delenv("OE_AUDIT", raising=False)
    # the manifest the Dagster definitions load (dbt parse opens no warehouse)
    prepare_manifest(load_settings(landing=settings.landing, lake=tmp_path / "parse", warehouse=tmp_path / "parse" /
                                   "oe.duckdb", shared_data=settings.shared_data))

    result = run_pipeline(settings, log_level="ERROR")
    assert not result.success
    entries = read_entries(audit_path(settings))
    failures = [e for e in entries if e["operation"] == "run_failure"]
    assert len(failures) == 1, failures
    assert failures[0]["run_id"] == result.run_id
    assert failures[0]["what"]["job"] == "oe_full_pipeline"
    assert failures[0]["what"]["failed_steps"] == ["oe_dbt_before_linkage"]
    # the ingest before the failure was recorded too
    assert sum(e["operation"] == "collection" for e in entries) == 5
    assert verify(audit_path(settings)).ok
    assert os.environ["OE_WAREHOUSE"] == str(settings.warehouse)


def test_the_runs_dbt_log_files_keep_warnings_not_every_debug_event(slice_pipeline):
    """dbt's log file beside each invocation's artefacts is plain text at warn level (orchestration/dbt_steps.py):
    the run's Dagster logs hold dbt's events at info level, and a debug file of JSON events cost about a
    sixth of dbt's own time."""
    from oe_platform.config import REPO_ROOT

    result = slice_pipeline.result
    logs = sorted((REPO_ROOT / "target").glob(f"oe_dbt_*-{result.run_id[:7]}-*/dbt.log"))
    assert {path.parent.name.split("-")[0] for path in logs} == {"oe_dbt_before_linkage", "oe_dbt_after_linkage"}
    for path in logs:
        text = path.read_text(encoding="utf-8")
        assert "[debug]" not in text and "[info ]" not in text, path
        assert not any(line.startswith("{") for line in text.splitlines()), path  # no JSON events
