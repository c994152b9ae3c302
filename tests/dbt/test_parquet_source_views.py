"""The on-run-start hook's views over the lake's Parquet (macros/register_parquet_sources.sql).

On DuckDB a view is recreated only when it would change: it starts as a typed empty relation while
its folder has no files, becomes a read of the files once some land, follows the lake when the lake
moves, and is otherwise left alone (recreating a view over thousands of files reads every footer)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb

from oe_platform.config import Settings, load_settings
from oe_platform.dbt_runner import run_dbt
from oe_platform.landing.ingest import ingest
from oe_platform.synth import generate

VIEW = ("bronze", "crime__persons")


def _register(settings: Settings, target: Path) -> None:
    run_dbt(["run-operation", "register_parquet_sources", "--target-path", str(target), "--quiet"], settings)


def _view(warehouse: Path) -> tuple[str, str, int]:
    """(the view's SQL, its comment, its row count)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        sql, comment = con.execute(
            "select sql, comment from duckdb_views() where schema_name = ? and view_name = ?", list(VIEW)
        ).fetchall()[0]
        rows = con.execute(f"select count(*) from {VIEW[0]}.{VIEW[1]}").fetchall()[0][0]
    return sql, comment, rows


def _bronze_rows(lake: Path) -> int:
    folder = lake / "bronze" / "crime" / "persons"
    with duckdb.connect() as con:
        return con.execute(
            f"select count(*) from read_parquet('{folder}/**/*.parquet', union_by_name = true)"
        ).fetchall()[0][0]


def test_views_are_recreated_only_when_they_would_change(tmp_path: Path):
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake",
                             warehouse=tmp_path / "oe.duckdb", shared_data=tmp_path / "shared")
    target = tmp_path / "target"

    # nothing landed: a typed empty relation
    _register(settings, target)
    sql, comment, rows = _view(settings.warehouse)
    assert rows == 0 and "where false" in sql.lower()
    assert "empty (" in comment and "surname" in comment

    # files land: the view now reads them
    generate(persons=500, seed=3, start=date(2025, 1, 1), months=1, out=settings.landing,
             truth_out=tmp_path / "truth", progress=False)
    ingest(settings, workers=1)
    _register(settings, target)
    sql, comment, rows = _view(settings.warehouse)
    expected = _bronze_rows(settings.lake)
    assert expected > 0 and rows == expected
    assert "read_parquet" in sql and comment.endswith(f"read {settings.lake}/bronze/crime/persons/**/*.parquet")

    # unchanged: left alone. A stand-in carrying the same signature survives the next run.
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(f"create or replace view {VIEW[0]}.{VIEW[1]} as select 1 as stand_in")
        quoted = comment.replace("'", "''")
        con.execute(f"comment on view {VIEW[0]}.{VIEW[1]} is '{quoted}'")
    _register(settings, target)
    assert _view(settings.warehouse)[0].lower().count("stand_in") == 1

    # a view without the signature (made by hand, or by an older version) is recreated
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute(f"comment on view {VIEW[0]}.{VIEW[1]} is null")
    _register(settings, target)
    assert _view(settings.warehouse)[2] == expected

    # the lake moves: the view follows it
    moved = load_settings(landing=settings.landing, lake=tmp_path / "lake2", warehouse=settings.warehouse,
                          shared_data=tmp_path / "shared")
    shutil.copytree(settings.lake, moved.lake)
    _register(moved, target)
    sql, comment, rows = _view(settings.warehouse)
    assert str(moved.lake) in sql and rows == expected
    assert comment.endswith(f"read {moved.lake}/bronze/crime/persons/**/*.parquet")
