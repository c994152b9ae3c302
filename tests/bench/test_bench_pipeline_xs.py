"""`oe bench pipeline` end to end on the smallest tier: a generated landing zone, the full run and the
next delivery day through Dagster (real dbt, DuckDB, Splink), the report and the history. Checks the
report's structure and that the stages account for the runs' steps; no timing thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oe_platform.bench_pipeline import STAGES, TIERS, bench_pipeline, read_history, write_report


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("bench")
    report = bench_pipeline(TIERS["XS"], folder, keep=True)
    assert report.success, f"the pipeline failed; logs: {[r.log for r in report.runs]}"
    data = write_report(report, folder / "report", folder / "history.jsonl")
    return folder, data


def test_both_runs_report_every_stage_and_the_stages_add_up_to_the_steps(bench):
    _, data = bench
    assert [r["name"] for r in data["runs"]] == ["full", "incremental", "nothing_new"]
    for run in data["runs"]:
        assert set(run["stages"]) == set(STAGES)
        assert all(v >= 0 for v in run["stages"].values())
        # every Dagster step of oe_full_pipeline ran and was timed
        assert set(run["steps"]) == {"ingest_landing_zone", "oe_dbt_before_linkage", "person_resolution",
                                     "oe_dbt_after_linkage", "publish_marts"}
        assert sum(run["stages"].values()) == pytest.approx(sum(run["steps"].values()), rel=0.01)
        # the steps happen inside the run's wall time; the rest is start-up (imports, dbt parse)
        assert sum(run["stages"].values()) <= run["wall_seconds"]
        for stage in ("ingest", "staging", "linkage", "conformed", "marts", "publish"):
            assert run["stages"][stage] > 0, stage
        assert run["peak_rss_bytes"] > 100 * 2**20  # the process tree (python, dbt) was sampled
        assert {n["step"] for n in run["top_nodes"]} <= {"oe_dbt_before_linkage", "oe_dbt_after_linkage"}
    full, incremental, nothing_new = data["runs"]
    assert full["rows"] == data["landing_rows"] > incremental["rows"] == data["next_day_rows"] > 0
    # the last run found nothing new to ingest: its time is the fixed cost of a run
    assert nothing_new["rows"] == 0 and "ingest: 0 new file(s)" in Path(nothing_new["log"]).read_text()
    assert data["nothing_new_over_full"] == pytest.approx(nothing_new["wall_seconds"] / full["wall_seconds"], abs=1e-3)
    assert data["floor"]["files"] > 0 and data["floor"]["rows"] > 0
    assert data["full_over_floor"] > 1


def test_report_files_and_history(bench):
    folder, data = bench
    on_disk = json.loads((folder / "report" / "bench.json").read_text())
    assert on_disk["tier"] == "XS" and on_disk["runs"][0]["stages"] == data["runs"][0]["stages"]
    markdown = (folder / "report" / "report.md").read_text()
    assert "![stages](stages.svg)" in markdown and "floor" in markdown
    assert "Slowest dbt nodes, full run" in markdown
    assert (folder / "report" / "stages.svg").read_text().startswith("<svg")
    history = read_history(folder / "history.jsonl")
    assert [h["tier"] for h in history] == ["XS"]
    # a second report of the same tier is compared with the first
    from oe_platform.bench_pipeline import compare_with_previous

    again = compare_with_previous(data, history)
    assert again["previous"] == data["started_at"] and again["slower"] == []
    assert again["ratios"]["full.total"] == 1.0


def test_the_landing_zone_is_cached_and_left_untouched(bench):
    folder, data = bench
    cache = folder / "cache" / data["landing_key"]
    assert (cache / "landing.json").exists()
    cached_files = [p for p in (cache / "landing").rglob("*") if p.is_file()]
    next_day = [p for p in (cache / "next_day").rglob("*") if p.is_file()]
    assert len(cached_files) == data["landing_files"] and len(next_day) == data["next_day_files"]
    # the next day's files are not in the cached landing zone
    assert not {p.relative_to(cache / "next_day") for p in next_day} & {
        p.relative_to(cache / "landing") for p in cached_files}
