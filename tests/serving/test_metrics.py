"""The semantic layer: metrics defined once in dbt (semantic_models + metrics beside the mart),
queried with MetricFlow's `mf query` on the DuckDB warehouse, agree with SQL on the mart."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT

pytestmark = pytest.mark.slow

MF = Path(sys.executable).parent / "mf"
STRATEGIC_METRICS = ["oe_events", "oe_harm_days", "suppressed_cells", "cells", "harm_days_per_event"]


def mf_query(served, tmp_path: Path, metrics: list[str], group_by: list[str]) -> list[dict]:
    out = tmp_path / "metrics.csv"
    env = {**os.environ, **served.env, "DBT_PROFILES_DIR": str(REPO_ROOT)}
    env.pop("OE_DBT_TARGET", None)
    run = subprocess.run(
        [str(MF), "query", "--metrics", ",".join(metrics), "--group-by", ",".join(group_by), "--csv", str(out),
         "--quiet"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert run.returncode == 0, f"mf query failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    with out.open() as handle:
        return list(csv.DictReader(handle))


def number(text: str) -> float | None:
    return None if text in ("", None) else float(text)


def test_the_semantic_manifest_defines_the_strategic_metrics_once():
    semantic = json.loads((REPO_ROOT / "target" / "semantic_manifest.json").read_text())
    names = [m["name"] for m in semantic["metrics"]]
    assert len(names) == len(set(names))
    assert set(STRATEGIC_METRICS) <= set(names)
    models = {m["name"]: m for m in semantic["semantic_models"]}
    assert models["oe_cell"]["node_relation"]["alias"] == "mart_strategic__oe_monthly_by_force"


def test_metrics_by_force_and_month_from_metricflow_match_sql_on_the_mart(served_pipeline, tmp_path):
    rows = mf_query(served_pipeline, tmp_path, STRATEGIC_METRICS, ["metric_time__month", "oe_cell__force_code"])
    got = {
        (r["metric_time__month"][:10], r["oe_cell__force_code"]): tuple(number(r[m]) for m in STRATEGIC_METRICS)
        for r in rows
    }
    con = duckdb.connect(str(served_pipeline.settings.warehouse), read_only=True)
    try:
        expected_rows = con.execute(
            """
            select
                strftime(month_start, '%Y-%m-%d'), force_code,
                sum(event_count), sum(harm_days),
                count(*) filter (where is_suppressed), count(*),
                sum(harm_days) / sum(event_count)
            from marts.mart_strategic__oe_monthly_by_force
            group by all
            """
        ).fetchall()
    finally:
        con.close()
    expected = {(r[0], r[1]): tuple(None if v is None else float(v) for v in r[2:]) for r in expected_rows}
    assert len(expected) > 10, "the generated data should give several forces and months"
    assert set(got) == set(expected)
    for key, values in expected.items():
        assert got[key] == pytest.approx(values, rel=1e-9, nan_ok=False), key
    # suppression is visible in the metrics: some cells withheld, and their counts not summed
    assert any(v[2] > 0 for v in expected.values())


def test_metrics_by_event_type_from_metricflow_match_sql(served_pipeline, tmp_path):
    rows = mf_query(served_pipeline, tmp_path, ["oe_events", "suppression_rate"], ["oe_cell__event_type"])
    got = {r["oe_cell__event_type"]: (number(r["oe_events"]), number(r["suppression_rate"])) for r in rows}
    con = duckdb.connect(str(served_pipeline.settings.warehouse), read_only=True)
    try:
        expected = {
            r[0]: (None if r[1] is None else float(r[1]), float(r[2]))
            for r in con.execute(
                "select event_type, sum(event_count), avg(case when is_suppressed then 1.0 else 0.0 end) "
                "from marts.mart_strategic__oe_monthly_by_force group by 1"
            ).fetchall()
        }
    finally:
        con.close()
    assert set(got) == set(expected) and len(expected) >= 3
    for key, values in expected.items():
        assert got[key] == pytest.approx(values, rel=1e-9), key
