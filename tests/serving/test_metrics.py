"""The semantic layer: metrics defined once in dbt (semantic_models + metrics beside the mart),
queried with MetricFlow's `mf query` on the DuckDB warehouse, agree with SQL on the mart."""

from __future__ import annotations

import json

import duckdb
import pytest

from oe_platform.config import REPO_ROOT
from tests.serving.metricflow import assert_same, mf_query, number

pytestmark = pytest.mark.slow

STRATEGIC_METRICS = [
    "oe_events", "oe_harm_days", "suppressed_cells", "cells", "harm_days_per_event", "oe_events_total", "oe_people",
]


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
                sum(event_count) filter (where not is_total), sum(harm_days) filter (where not is_total),
                count(*) filter (where is_suppressed and not is_total), count(*) filter (where not is_total),
                sum(harm_days) filter (where not is_total) / sum(event_count) filter (where not is_total),
                sum(event_count) filter (where is_total), sum(person_count) filter (where is_total)
            from marts.mart_strategic__oe_monthly_by_force
            group by all
            """
        ).fetchall()
    finally:
        con.close()
    expected = {(r[0], r[1]): tuple(None if v is None else float(v) for v in r[2:]) for r in expected_rows}
    assert len(expected) > 10, "the generated data should give several forces and months"
    assert_same(got, expected)
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
                "from marts.mart_strategic__oe_monthly_by_force where not is_total group by 1"
            ).fetchall()
        }
    finally:
        con.close()
    # the force-month totals are not event-type cells: no cell metric counts them
    assert got.pop("all") == (None, None)
    assert len(expected) >= 3
    assert_same(got, expected)


def sql_rows(served, sql: str) -> list[tuple]:
    con = duckdb.connect(str(served.settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_oe_metrics_from_metricflow_match_sql_on_the_oe_marts(served_pipeline, tmp_path):
    rows = mf_query(served_pipeline, tmp_path, ["high_harm_offenders", "top_decile_offenders", "offender_harm_days"],
                    ["high_harm_offender__decile"])
    got = {int(r["high_harm_offender__decile"]): tuple(number(r[m]) for m in
           ("high_harm_offenders", "top_decile_offenders", "offender_harm_days")) for r in rows}
    expected = {
        r[0]: tuple(float(v) for v in r[1:])
        for r in sql_rows(served_pipeline, "select decile, count(distinct person_id), "
                          "count(*) filter (where decile = 1), sum(harm_days) "
                          "from marts.mart_oe__high_harm_offenders group by 1")
    }
    assert len(expected) == 10, "the generated data should fill every decile"
    assert_same(got, expected)

    rows = mf_query(served_pipeline, tmp_path, ["county_lines", "county_lines_active", "county_line_missing_episodes"],
                    ["county_line__exporting_force"])
    got = {r["county_line__exporting_force"] or None: (number(r["county_lines"]), number(r["county_lines_active"]),
                                               number(r["county_line_missing_episodes"])) for r in rows}
    expected = {
        r[0]: tuple(float(v) for v in r[1:])
        for r in sql_rows(served_pipeline, "select exporting_force, count(distinct county_line_id), "
                          "count(*) filter (where line_status = 'active'), sum(linked_missing_episode_count) "
                          "from marts.mart_oe__county_lines group by 1")
    }
    assert expected
    assert_same(got, expected)

    rows = mf_query(served_pipeline, tmp_path, ["vulnerable_persons", "vulnerable_children"],
                    ["vulnerable_person__is_child"])
    got = {r["vulnerable_person__is_child"].lower(): (number(r["vulnerable_persons"]), number(r["vulnerable_children"]))
           for r in rows}
    expected = {
        str(r[0]).lower(): (float(r[1]), float(r[2]))
        for r in sql_rows(served_pipeline, "select is_child, count(distinct person_id), "
                          "count(*) filter (where is_child) "
                          "from marts.mart_safeguarding__vulnerable_persons group by 1")
    }
    assert expected
    assert_same(got, expected)
