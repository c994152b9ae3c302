"""The pipeline bench's bookkeeping on constructed inputs: stage split, history comparison, chart,
floor and memory sampling (real files, real processes; no timing assertions)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.bench_pipeline import (
    STAGES,
    _layer,
    compare_with_previous,
    format_table,
    measure_definitions_load,
    measure_floor,
    split_stages,
    stage_chart_svg,
    tree_rss,
)


def _run(name: str, stages: dict[str, float], wall: float) -> dict:
    return {"name": name, "stages": {s: stages.get(s, 0.0) for s in STAGES}, "wall_seconds": wall,
            "peak_rss_bytes": 2**30, "rows_per_second": 1000.0, "top_nodes": []}


def _report(tier: str, runs: list[dict], started: str = "2026-01-01T00:00:00Z") -> dict:
    return {"tier": tier, "target": "dev", "started_at": started, "runs": runs, "success": True,
            "floor": {"seconds": 2.0, "files": 10, "rows": 1000, "skipped": []}, "full_over_floor": 5.0}


def test_split_stages_shares_each_dbt_step_by_node_seconds_and_adds_up():
    steps = {"ingest_landing_zone": 3.0, "oe_dbt_before_linkage": 10.0, "person_resolution": 4.0,
             "oe_dbt_after_linkage": 6.0, "publish_marts": 1.0}
    nodes = [
        {"step": "oe_dbt_before_linkage", "stage": "staging", "seconds": 6.0},
        {"step": "oe_dbt_before_linkage", "stage": "conformed", "seconds": 3.0},
        {"step": "oe_dbt_before_linkage", "stage": "marts", "seconds": 1.0},
        {"step": "oe_dbt_after_linkage", "stage": "conformed", "seconds": 2.0},
        {"step": "oe_dbt_after_linkage", "stage": "marts", "seconds": 2.0},
    ]
    stages = split_stages(steps, nodes)
    assert stages == {"ingest": 3.0, "staging": 6.0, "linkage": 4.0, "conformed": 6.0, "marts": 4.0, "publish": 1.0}
    assert abs(sum(stages.values()) - sum(steps.values())) < 0.05


def test_tests_belong_to_the_stage_of_the_model_they_test():
    nodes = {
        "model.p.stg_a": {"unique_id": "model.p.stg_a", "resource_type": "model",
                          "original_file_path": "models/staging/crime/stg_a.sql"},
        "model.p.event": {"unique_id": "model.p.event", "resource_type": "model",
                          "original_file_path": "models/conformed/event.sql"},
        "model.p.mart": {"unique_id": "model.p.mart", "resource_type": "model",
                         "original_file_path": "models/marts/oe/mart.sql"},
    }
    relationship = {"resource_type": "test", "attached_node": "model.p.event",
                    "depends_on": {"nodes": ["model.p.stg_a", "model.p.event"]}}
    assert _layer(relationship, nodes) == "conformed"
    assert _layer({"resource_type": "unit_test", "depends_on": {"nodes": ["model.p.mart"]}}, nodes) == "marts"
    assert _layer({"resource_type": "seed", "original_file_path": "seeds/forces.csv"}, nodes) == "staging"
    assert _layer(nodes["model.p.stg_a"], nodes) == "staging"


def test_a_stage_more_than_20_percent_slower_than_the_previous_run_of_the_tier_is_flagged():
    history = [
        _report("S", [_run("full", {"ingest": 10.0, "staging": 20.0, "marts": 5.0}, 40.0)]),
        _report("M", [_run("full", {"ingest": 1.0, "staging": 1.0}, 3.0)], "2026-01-02T00:00:00Z"),
    ]
    now = _report("S", [_run("full", {"ingest": 11.0, "staging": 30.0, "marts": 5.5}, 52.0)], "2026-01-03T00:00:00Z")
    result = compare_with_previous(now, history)
    assert result["previous"] == "2026-01-01T00:00:00Z"
    flagged = {(s["run"], s["stage"]) for s in result["slower"]}
    # staging 1.5x and the total are flagged; ingest (1.1x) and marts (under a second slower) are not
    assert flagged == {("full", "staging"), ("full", "total")}
    assert compare_with_previous(_report("L", now["runs"]), history) == {"previous": None, "slower": []}
    # a run with another population (--persons) is not compared with the tier's usual size
    assert compare_with_previous({**now, "persons": 20_000}, history)["previous"] is None


def test_table_and_chart_show_every_stage_and_run():
    report = _report("S", [_run("full", {"ingest": 3.0, "staging": 6.0}, 10.0),
                           _run("incremental", {"ingest": 0.5, "staging": 2.0}, 3.0)])
    report["comparison"] = {"previous": None, "slower": []}
    table = format_table(report)
    for stage in STAGES:
        assert stage in table
    assert "floor" in table and "incremental" in table
    assert "definitions load" not in table  # not measured: not shown
    report["definitions_load_seconds"] = [4.0, 2.5, 3.1]
    assert "Dagster definitions load (new process, median of 3): 3.10 s" in format_table(report)
    assert "nothing new" not in format_table(report)
    report["nothing_new_over_full"] = 0.25
    assert "a run with nothing new landed = 25.0% of the full run" in format_table(report)
    svg = stage_chart_svg(report)
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert svg.count("<title>ingest") == 3  # two runs and the floor


def test_floor_reads_every_csv_jsonl_and_parquet_file_and_counts_rows(tmp_path: Path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.csv").write_text("id,name\n1,Ann\n2,Bob\n")
    (tmp_path / "a" / "y.csv").write_bytes("id;name\n1;Zoë\n".encode("latin-1"))
    (tmp_path / "b.jsonl").write_text("\n".join(json.dumps({"id": i}) for i in range(4)) + "\n")
    pq.write_table(pa.table({"id": [1, 2, 3]}), tmp_path / "c.parquet")
    (tmp_path / "d.xlsx").write_bytes(b"not read")
    floor = measure_floor(tmp_path)
    assert (floor.files, floor.rows) == (4, 2 + 1 + 4 + 3)
    assert floor.skipped == ["d.xlsx"]


def test_definitions_load_is_timed_in_a_new_process():
    """A real load of the Dagster definitions from target/manifest.json (prepared by `oe prepare`)."""
    from oe_platform.config import load_settings
    from oe_platform.dbt_runner import prepare_manifest

    settings = load_settings()
    prepare_manifest(settings)
    seconds = measure_definitions_load(settings, times=1)
    assert len(seconds) == 1 and 0 < seconds[0] < 600


def test_tree_rss_counts_child_processes():
    child = subprocess.Popen([sys.executable, "-c",
                              "import subprocess, sys, time; b = b\"x\" * (200 * 2**20); "
                              "p = subprocess.Popen([sys.executable, '-c', 'b = b\"x\" * (200 * 2**20); "
                              "import time; time.sleep(30)']); time.sleep(30)"])
    try:
        import time

        deadline = time.time() + 20
        seen = 0
        while time.time() < deadline and seen < 400 * 2**20:
            seen = tree_rss(child.pid)
            time.sleep(0.2)
        assert seen >= 400 * 2**20  # both processes' 200 MB buffers
    finally:
        for pid in [p for p in _descendants(child.pid)]:
            subprocess.run(["kill", str(pid)], check=False)
        child.kill()
        child.wait()


def _descendants(pid: int) -> list[int]:
    from oe_platform.bench_pipeline import _children

    return _children(pid)
