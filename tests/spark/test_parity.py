"""The dbt project on both engines: one small landing zone, ingested once, built on DuckDB (`dev`)
and on Spark (`spark`, a local session), each with person resolution between the two halves of the
project as in the Dagster job; then every conformed and mart table compared.

Identical means: the same tables, the same columns, the same row count and the same checksum of
the sorted rows (md5 over the sorted md5 of each row's values). Floating-point values are compared
rounded to FLOAT_DECIMALS decimal places (the engines may differ in the last bits of a logarithm or
a mean); timestamps as UTC wall-clock time; everything else as text.

Both builds run seeds and models (`dbt build --resource-type seed model`): the data and unit tests
are dbt's own business (`make dbt-build-fresh` on DuckDB; docs/scale.md has the Spark test run; the
whole Dagster job on Spark, data tests included, is test_pipeline_job.py). The Spark side runs in
one process and so one JVM (tests/spark/spark_side.py: dbt's `dbtRunner`, linkage, the export and
`publish` in one session), beside the DuckDB side's CLI steps. Selected with `-m spark` (`make
test-spark`) and left out of the default selection (pyproject.toml): it takes longer than CI's spare
time on a busy machine (docs/scale.md); needs Java 17.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT

pytestmark = [pytest.mark.spark, pytest.mark.slow]

FLOAT_DECIMALS = 6
"""Doubles are compared rounded to this many decimal places."""

PERSONS, MONTHS, SEED = 500, 1, 11
SCHEMAS = ("conformed", "marts")
BIN = Path(sys.executable).parent


def no_warehouse(root: Path) -> Path:
    return root / "spark" / "no-such-warehouse.duckdb"


@dataclass(frozen=True)
class Engines:
    root: Path
    duckdb_file: Path
    spark_tables: dict[str, Path]
    """conformed/mart relation -> Parquet export of the spark target's table"""
    relations: list[str]
    """the conformed and mart tables DuckDB built"""
    timings: dict[str, float]
    spark_gold: dict[tuple[str, str], Path]
    """(mart, version) -> gold file `oe publish` wrote from the spark target"""


def _run(args: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(args)}\n")
        out.flush()
        completed = subprocess.run(args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:])
        raise AssertionError(f"{' '.join(args)} failed (exit {completed.returncode}); log {log}:\n{tail}")
    return time.perf_counter() - started


def _build_duckdb(lake: Path, env: dict[str, str], root: Path) -> dict[str, float]:
    """Seeds and models in two halves with linkage between, as `make dbt-build-fresh` does."""
    env = {**env, "OE_LAKE": str(lake), "OE_DBT_TARGET": "dev"}
    log = root / "dev.log"
    dbt = [str(BIN / "dbt"), "build", "--target", "dev", "--target-path", str(root / "target-dev"),
           "--resource-type", "seed", "--resource-type", "model"]
    return {
        "dbt_before_linkage": _run([*dbt, "--exclude", "source:linkage+"], env, log),
        "linkage": _run([str(BIN / "oe"), "linkage", "run"], env, log),
        "dbt_after_linkage": _run([*dbt, "--select", "source:linkage+"], env, log),
    }


def _build_spark(lake: Path, env: dict[str, str], root: Path) -> dict:
    """The same on the spark target, in one process and so one JVM (tests/spark/spark_side.py): the two
    halves, linkage reading the spark target's int_person_records, the export of its conformed and
    mart tables and `publish` reading its marts."""
    # the spark side has no DuckDB file: nothing in it may need one (the test checks none was made)
    env = {**env, "OE_LAKE": str(lake), "OE_DBT_TARGET": "spark", "OE_WAREHOUSE": str(no_warehouse(root))}
    out = root / "spark_side.json"
    _run([sys.executable, "-m", "tests.spark.spark_side", str(out)], env, root / "spark.log")
    return json.loads(out.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engines]:
    root = tmp_path_factory.mktemp("spark_parity")
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "OE_LANDING": str(root / "landing"),
        "OE_LAKE": str(root / "lake"),
        "OE_WAREHOUSE": str(root / "duckdb" / "oe.duckdb"),
        "OE_SPARK_DIR": str(root / "spark"),
        "OE_SPARK_MASTER": "local[2]",
        # a few thousand rows per table: one shuffle partition, and no whole-stage code generation
        # (compiling a class per query costs more than the rows; the same plans, interpreted)
        "OE_SPARK_SHUFFLE_PARTITIONS": "1",
        "OE_SPARK_WHOLESTAGE_CODEGEN": "false",
        "DAGSTER_HOME": str(root / "dagster_home"),
    }
    # pairs are scored in DuckDB on both sides: the scoring on Spark has its own parity test
    # (tests/linkage/test_spark_backend.py) and costs minutes of a local session here; what this test
    # shows is linkage reading the spark target's int_person_records and the target reading its output
    env["OE_LINKAGE_ENGINE"] = "duckdb"
    (root / "duckdb").mkdir()
    timings: dict[str, float] = {}
    log = root / "prepare.log"
    timings["generate"] = _run([str(BIN / "oe"), "generate", "--persons", str(PERSONS), "--seed", str(SEED),
                                "--start", "2025-01-01", "--months", str(MONTHS), "--out", str(root / "landing"),
                                "--truth-out", str(root / "truth")], env, log)
    timings["ingest"] = _run([str(BIN / "oe"), "ingest"], env, log)
    # the same bronze for both: each engine gets its own copy of the lake (linkage writes into it)
    for engine in ("duckdb", "spark"):
        shutil.copytree(root / "lake", root / f"lake-{engine}")
    # the two engines build side by side: the Spark side is mostly its driver's planning, one thread
    # per dbt thread, and DuckDB's build is short
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1) as pool:
        duck = pool.submit(_build_duckdb, root / "lake-duckdb", env, root)
        spark = _build_spark(root / "lake-spark", env, root)
        timings["spark_total"] = time.perf_counter() - started
        timings.update({f"duckdb_{k}": v for k, v in duck.result().items()})
    timings["both_engines"] = time.perf_counter() - started
    timings.update({f"spark_{k}": v for k, v in spark["timings"].items()})

    duckdb_file = root / "duckdb" / "oe.duckdb"
    with duckdb.connect(str(duckdb_file), read_only=True) as con:
        relations = [f"{schema}.{name}" for schema, name in con.execute(
            "select table_schema, table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} and table_type = 'BASE TABLE' order by 1, 2").fetchall()]
    (root / "timings.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")
    yield Engines(root, duckdb_file, {k: Path(v) for k, v in spark["tables"].items()}, relations, timings,
                  {(g["mart"], g["version"]): Path(g["path"]) for g in spark["gold"]})


def _digest(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, str, list[str]]:
    """Row count, checksum of the sorted normalised rows, and the column names."""
    columns = con.execute(f"describe select * from {relation}").fetchall()
    values = []
    for name, data_type, *_ in columns:
        column = f'"{name}"'
        kind = data_type.upper()
        if kind in ("DOUBLE", "FLOAT", "REAL") or kind.startswith("DECIMAL"):
            column = f"cast(round({column}, {FLOAT_DECIMALS}) as decimal(38, {FLOAT_DECIMALS}))"
        elif kind.startswith("TIMESTAMP"):
            column = f"cast({column} as timestamp)"
        values.append(f"coalesce(cast({column} as varchar), '<null>')")
    row = "concat_ws(chr(31), " + ", ".join(values) + ")"
    count, checksum = con.execute(
        f"select count(*), md5(coalesce(string_agg(h, '' order by h), '')) "
        f"from (select md5({row}) as h from {relation})").fetchone()
    return count, checksum, sorted(name for name, *_ in columns)


def test_spark_built_every_conformed_and_mart_table(engines: Engines) -> None:
    assert len(engines.relations) >= 20, engines.relations
    assert sorted(engines.spark_tables) == engines.relations
    assert all(path.exists() for path in engines.spark_tables.values())


def test_conformed_and_marts_are_identical_on_both_engines(engines: Engines) -> None:
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    con.execute(f"attach '{engines.duckdb_file}' as duck (read_only)")
    different = []
    compared = {}
    for relation in engines.relations:
        # the run's own timings (linkage_run_quality, section timing) are measured, not computed
        where = " where section is distinct from 'timing'" if relation == "conformed.linkage_run_quality" else ""
        duck = _digest(con, f"(select * from duck.{relation}{where})")
        spark = _digest(con, f"(select * from read_parquet('{engines.spark_tables[relation]}'){where})")
        compared[relation] = {"rows": duck[0], "duckdb": duck[1], "spark": spark[1]}
        if duck != spark:
            different.append(_explain(con, relation, engines.spark_tables[relation], duck, spark))
    (engines.root / "parity.json").write_text(json.dumps(compared, indent=1), encoding="utf-8")
    assert not different, "\n\n".join(different)
    assert sum(v["rows"] for v in compared.values()) > 1000


def _explain(con: duckdb.DuckDBPyConnection, relation: str, spark_file: Path, duck: tuple, spark: tuple) -> str:
    if duck[2] != spark[2]:
        return (f"{relation}: columns differ: only DuckDB {sorted(set(duck[2]) - set(spark[2]))}, "
                f"only Spark {sorted(set(spark[2]) - set(duck[2]))}")
    columns = ", ".join(f'"{c}"' for c in duck[2])
    sides = {"duckdb": f"duck.{relation}", "spark": f"read_parquet('{spark_file}')"}
    lines = [f"{relation}: {duck[0]} rows on DuckDB, {spark[0]} on Spark; checksums differ"]
    for side, other in (("duckdb", "spark"), ("spark", "duckdb")):
        rows = con.execute(f"select {columns} from {sides[side]} except select {columns} from {sides[other]} "
                           "limit 3").fetchall()
        lines += [f"  only on {side}: {row}" for row in rows]
    return "\n".join(lines)


def test_publish_writes_the_same_gold_from_both_engines(engines: Engines, monkeypatch: pytest.MonkeyPatch) -> None:
    """`oe publish` on the spark target (run by the Spark side, reading the marts from its session)
    writes the same gold layout (files, rows, contents within FLOAT_DECIMALS) as from the DuckDB file."""
    from oe_platform.config import load_settings
    from oe_platform.publish import publish

    root = engines.root
    monkeypatch.setenv("OE_DBT_TARGET", "dev")
    settings = load_settings(landing=root / "landing", lake=root / "lake-duckdb", warehouse=engines.duckdb_file)
    result = publish(settings, run_id="parity-duckdb", manifest_path=root / "target-dev" / "manifest.json")
    duck_gold = {(f.mart, f.version): f.path for f in result.files}
    assert duck_gold, "nothing published"
    assert not no_warehouse(root).exists()
    assert sorted(duck_gold) == sorted(engines.spark_gold)
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    different = []
    for key, duck_file in duck_gold.items():
        spark_file = engines.spark_gold[key]
        assert duck_file.relative_to(root / "lake-duckdb") == spark_file.relative_to(root / "lake-spark")
        duck = _digest(con, f"read_parquet('{duck_file}')")
        spark = _digest(con, f"read_parquet('{spark_file}')")
        if duck != spark:
            different.append(f"{key}: {duck[:2]} from DuckDB, {spark[:2]} from Spark")
    assert not different, "\n".join(different)
