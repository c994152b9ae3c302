"""The per-model column rules test (macros/generic_tests/column_values.sql) on a real staging table.

A model's not-null and accepted-values rules are one dbt test and one scan instead of one test per
column. This builds stg_crime__persons from a generated delivery, where the rules hold, then breaks
values in the warehouse table the way a mapping bug would and checks that the one test fails naming
each broken column, how many rows break it and an offending value."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from oe_platform.dbt_runner import DbtFailed, run_dbt

TEST = "column_values_stg_crime__persons"


def _failures(warehouse: Path) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        schema = con.execute(
            "select table_schema from information_schema.tables where table_name = ?", [TEST]
        ).fetchall()[0][0]
        return con.execute(
            f"select rule, column_name, breaking_rows, example_value from {schema}.{TEST} order by all"
        ).fetchall()


def test_one_scan_names_every_broken_column(seeded_month):
    settings, target = seeded_month

    # the delivery as staged: every rule holds (the build runs the model's tests)
    run_dbt(["build", "--select", "+stg_crime__persons", "--indirect-selection", "cautious",
             "--exclude-resource-type", "unit_test", *target], settings)
    run_dbt(["test", "--select", TEST, "--store-failures", *target], settings)
    assert _failures(settings.warehouse) == []

    with duckdb.connect(str(settings.warehouse)) as con:
        table = con.execute(
            "select table_schema from information_schema.tables where table_name = 'stg_crime__persons'"
        ).fetchall()[0][0] + ".stg_crime__persons"
        rows = con.execute(f"select count(*) from {table}").fetchall()[0][0]
        assert rows > 50
        # a code outside the vocabulary on three rows, a required status missing on two, and a phone
        # type that is null (allowed: null passes accepted_values)
        con.execute(f"update {table} set sex_status = 'bogus' where _row_number in "
                    f"(select _row_number from {table} order by _file_id, _row_number limit 3)")
        con.execute(f"update {table} set postcode_status = null where _row_number in "
                    f"(select _row_number from {table} order by _file_id, _row_number desc limit 2)")
        con.execute(f"update {table} set phone_type = null")
        broken_rows = con.execute(f"select count(*) from {table} where sex_status = 'bogus'").fetchall()[0][0]
        nulled_rows = con.execute(f"select count(*) from {table} where postcode_status is null").fetchall()[0][0]

    with pytest.raises(DbtFailed):
        run_dbt(["test", "--select", TEST, "--store-failures", *target], settings)
    assert _failures(settings.warehouse) == [
        ("accepted_values", "sex_status", broken_rows, "bogus"),
        ("not_null", "postcode_status", nulled_rows, None),
    ]
    assert broken_rows >= 3 and nulled_rows >= 2
