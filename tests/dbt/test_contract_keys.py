"""Contract keys on DuckDB (macros/cross_engine/contract_keys.sql): the conformed tables and marts are
declared without DuckDB's key indexes, and their unique and primary-key constraints are checked by one
query before the model commits. A model whose rows break its key fails naming the key, and the table
the last good build left stays as it was."""

from __future__ import annotations

import duckdb
import pytest

from oe_platform.dbt_runner import DbtFailed, run_dbt


def _table(con: duckdb.DuckDBPyConnection, name: str) -> str:
    schema = con.execute("select table_schema from information_schema.tables where table_name = ?",
                         [name]).fetchall()[0][0]
    return f"{schema}.{name}"


def test_a_broken_key_fails_the_model_and_keeps_the_last_good_table(seeded_month, capfd: pytest.CaptureFixture):
    settings, target = seeded_month
    run_dbt(["run", "--select", "+event", *target], settings)

    with duckdb.connect(str(settings.warehouse)) as con:
        event = _table(con, "event")
        before = con.execute(f"select count(*), count(distinct event_id) from {event}").fetchall()[0]
        assert before[0] == before[1] > 50
        # declared with its types and not-null columns, and no key index
        kinds = {row[0] for row in con.execute(
            "select constraint_type from duckdb_constraints() where table_name = 'event'").fetchall()}
        assert "NOT NULL" in kinds
        assert not kinds & {"PRIMARY KEY", "UNIQUE"}
        # a staged crime delivered twice as current: event would hold its event_id twice
        crimes = _table(con, "stg_crime__crimes")
        con.execute(f"insert into {crimes} select * from {crimes} where is_current limit 1")

    capfd.readouterr()
    with pytest.raises(DbtFailed):
        run_dbt(["run", "--select", "event", *target], settings)
    output = capfd.readouterr().out
    assert "Contract constraint violated" in output
    assert "(event_id) is not unique: 1 duplicate rows" in output

    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        # the transaction was rolled back: the last good table, and no half-built one beside it
        after = con.execute(f"select count(*), count(distinct event_id) from {event}").fetchall()[0]
        assert after == before
        leftovers = con.execute("select table_name from information_schema.tables "
                                "where table_name like 'event__dbt%'").fetchall()
        assert leftovers == []
