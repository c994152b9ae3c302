"""The vertical slice through real Dagster, real dbt and the real DuckDB file:
landed crime files → bronze Parquet → stg_crime__crimes → event → mart → gold Parquet."""

import json

import duckdb
import pytest

from oe_platform.staging_state import STATE_FILE, plan_staging_build

pytestmark = pytest.mark.slow


def test_landed_files_reach_the_mart_through_dagster(slice_pipeline):
    slice_landing, result = slice_pipeline.settings, slice_pipeline.result
    assert result.success, "the Dagster run failed"
    assert result.failed_checks == []

    con = duckdb.connect(str(slice_landing.warehouse), read_only=True)
    # staging: one row per bronze row, every one current
    staged = con.sql("select count(*), count(*) filter (where is_current) from staging.stg_crime__crimes")
    assert staged.fetchall() == [(7, 7)]
    # the local Bedfordshire code is mapped to the Home Office class; the unknown one is kept, flagged
    codes = dict(
        con.sql("select crime_ref, offence_code_status from staging.stg_crime__crimes").fetchall()
    )
    assert codes["BD/55/25"] == "local_code_mapped"
    assert codes["BD/56/25"] == "unmapped"
    # conformed: one event per current crime, with harm weights from the seed
    events = con.sql("select event_id, offence_code, harm_weight_days from conformed.event").fetchall()
    assert len(events) == 7
    assert ("106" in {e[1] for e in events}) and any(e[2] == 1460 for e in events)
    # mart: three forces in January 2025, a crime row and a total row each, every count below 5
    # suppressed (primary), so nothing needs secondary suppression
    mart = con.sql(
        "select force_code, event_type, is_suppressed, suppression_reason, event_count "
        "from marts.mart_strategic__oe_monthly_by_force order by 1, 2"
    ).fetchall()
    assert mart == [
        (force, event_type, True, "primary", None)
        for force in ("bedfordshire", "essex", "warwickshire")
        for event_type in ("all", "crime")
    ]
    con.close()
    # gold: the mart published as Parquet
    mart = "mart_strategic__oe_monthly_by_force"
    gold = slice_landing.gold / mart / "v1" / f"{mart}.parquet"
    assert duckdb.sql(f"select count(*) from read_parquet('{gold}')").fetchall() == [(6,)]


# Rows that record the run rather than the data: the linkage run's timings.
RUN_RECORD_ROWS = {"linkage_run_quality": "where section != 'timing'"}


def table_checksums(warehouse) -> dict[str, str]:
    """md5 over every row (in a canonical order) of every conformed and mart table, leaving out the
    rows that record the run itself (RUN_RECORD_ROWS)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.sql(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('conformed', 'marts') and table_type = 'BASE TABLE' order by 1, 2"
        ).fetchall()
        return {
            f"{schema}.{name}": con.sql(
                f'select md5(coalesce(string_agg(cast(t as varchar), \'\\n\' order by cast(t as varchar)), \'\')) '
                f'from "{schema}"."{name}" as t {RUN_RECORD_ROWS.get(name, "")}'
            ).fetchall()[0][0]
            for schema, name in tables
        }
    finally:
        con.close()


def test_running_twice_over_the_same_landing_zone_gives_identical_marts(slice_pipeline, monkeypatch):
    import hashlib

    from orchestration.run import run_pipeline

    settings = slice_pipeline.settings
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    before = table_checksums(settings.warehouse)
    gold_before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in settings.gold.rglob("*.parquet")}
    assert before and gold_before
    # the first run staged everything (a new lake); the second may stage only what is new: nothing
    state = json.loads((settings.meta / STATE_FILE).read_text())
    assert state["full_refresh"] and "no record" in state["full_refresh_reason"]
    assert plan_staging_build(settings).full_refresh_reason is None

    # linkage relinks everyone: an incremental relink records its mode in linkage_run_quality (and equals
    # a full one only within 1e-9 bits of weight, tests/linkage/test_incremental.py)
    monkeypatch.setenv("OE_LINKAGE_FULL", "1")
    again = run_pipeline(settings, log_level="WARNING")
    assert again.success and again.failed_checks == []
    assert json.loads((settings.meta / STATE_FILE).read_text())["full_refresh"] is False

    assert table_checksums(settings.warehouse) == before
    gold_after = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in settings.gold.rglob("*.parquet")}
    assert gold_after == gold_before
