"""Read tables of the dbt `spark` target from Python.

dbt-spark's `session` method keeps its tables in a Hive catalogue (an embedded Derby metastore and
a warehouse folder under $OE_SPARK_DIR, set by `server_side_parameters` of the `spark` output in
profiles.yml). Embedded Derby admits one JVM at a time, and a JVM keeps the metastore open until it
exits, so the tables are read in a child process whose JVM ends with it: the next dbt step (its own
JVM) opens the metastore again. The child starts its session from the same profile settings as dbt,
writes each relation to one Parquet file with Arrow, and exits.

Linkage uses it to read `conformed.int_person_records` on the spark target, publish to read the
marts, and the Spark parity test to compare the built tables with DuckDB's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from jinja2 import Environment, StrictUndefined

from oe_platform.config import REPO_ROOT

SPARK_TARGET = "spark"


def warehouse_engine() -> str:
    """Where the dbt target keeps its tables: spark when $OE_DBT_TARGET is spark, else duckdb (the
    `dev` and `ci` targets' DuckDB file)."""
    return "spark" if os.environ.get("OE_DBT_TARGET") == SPARK_TARGET else "duckdb"


class SparkCatalogError(RuntimeError):
    """The spark target's tables could not be read (the child's output says why)."""


def profile_session_conf(profiles_dir: Path | None = None, target: str = SPARK_TARGET,
                         env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The `server_side_parameters` of `target` in profiles.yml, rendered as dbt renders them
    (env_var with its default), plus the ANSI setting dbt-spark forces: the session dbt runs in."""
    profiles_dir = Path(profiles_dir or os.environ.get("DBT_PROFILES_DIR") or REPO_ROOT)
    environ = dict(os.environ if env is None else env)

    def env_var(name: str, default: str | None = None) -> str:
        if name in environ:
            return environ[name]
        if default is None:
            raise SparkCatalogError(f"profiles.yml needs ${name} (no default)")
        return default

    profiles = yaml.safe_load((profiles_dir / "profiles.yml").read_text(encoding="utf-8"))
    output = next(iter(profiles.values()))["outputs"][target]
    jinja = Environment(undefined=StrictUndefined)
    conf = {str(key): jinja.from_string(str(value)).render(env_var=env_var)
            for key, value in (output.get("server_side_parameters") or {}).items()}
    conf["spark.sql.ansi.enabled"] = "false"  # dbt-spark sets it for every session it starts
    return conf


def export_relations(relations: Sequence[str], out_dir: Path, timeout: float = 900.0) -> dict[str, Path]:
    """Write each relation (`schema.table`) of the spark target to `<out_dir>/<schema>.<table>.parquet`
    in a child process; returns relation -> file. Raises SparkCatalogError naming the relation and
    the child's error when one cannot be read."""
    out_dir.mkdir(parents=True, exist_ok=True)
    request = {"conf": profile_session_conf(), "relations": list(relations), "out_dir": str(out_dir)}
    completed = subprocess.run(
        [sys.executable, "-m", "oe_platform.spark_catalog"], input=json.dumps(request), text=True,
        capture_output=True, timeout=timeout, check=False,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), os.environ.get("PYTHONPATH", "")])},
    )
    if completed.returncode != 0:
        tail = "\n".join(completed.stderr.strip().splitlines()[-15:])
        raise SparkCatalogError(f"reading {', '.join(relations)} from the spark target failed "
                                f"(exit {completed.returncode}); was it built (dbt build --target spark)?\n{tail}")
    return {relation: out_dir / f"{relation}.parquet" for relation in relations}


def _child(request: dict) -> None:
    import pyarrow.parquet as pq
    from pyspark.sql import SparkSession

    conf = request["conf"]
    for folder_key in ("spark.local.dir",):
        if folder_key in conf:
            Path(conf[folder_key]).mkdir(parents=True, exist_ok=True)
    builder = SparkSession.builder.enableHiveSupport().appName("oe-spark-catalog")
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    try:
        out_dir = Path(request["out_dir"])
        for relation in request["relations"]:
            table = spark.table(relation).toArrow()
            target = out_dir / f"{relation}.parquet"
            tmp = target.with_name(f".{target.name}.tmp")
            pq.write_table(table, tmp)
            tmp.replace(target)
    finally:
        spark.stop()


if __name__ == "__main__":
    _child(json.loads(sys.stdin.read()))
