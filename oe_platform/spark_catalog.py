"""Read tables of the dbt `spark` target from Python.

dbt-spark's `session` method keeps its tables in a Hive catalogue (an embedded Derby metastore and
a warehouse folder under $OE_SPARK_DIR, set by `server_side_parameters` of the `spark` output in
profiles.yml). Embedded Derby admits one JVM at a time, and a JVM keeps the metastore open until it
exits, so the tables are read in a child process whose JVM ends with it: the next dbt step (its own
JVM) opens the metastore again. The child starts its session from the same profile settings as dbt,
writes each relation to one Parquet file with Arrow, and exits. A process that already holds the
target's session (dbt run in-process with `dbtRunner`, as the Spark parity test does: dbt-spark's
session method keeps one SparkSession for the life of the process) is read in that session instead:
a second JVM could not open the metastore its own JVM holds.

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
from typing import TYPE_CHECKING

import yaml
from jinja2 import Environment, StrictUndefined

from oe_platform.config import REPO_ROOT

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

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
    conf = profile_session_conf()
    session = session_in_this_process(conf)
    if session is not None:
        try:
            _export(session, relations, out_dir)
        except Exception as err:  # pyspark's AnalysisException and py4j errors alike
            raise SparkCatalogError(f"reading {', '.join(relations)} from the spark target failed; was it built "
                                    f"(dbt build --target spark)?\n{err}") from err
        return {relation: out_dir / f"{relation}.parquet" for relation in relations}
    request = {"conf": conf, "relations": list(relations), "out_dir": str(out_dir)}
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


def _folder(uri: str) -> Path:
    return Path(uri.removeprefix("file:")).resolve()


def session_in_this_process(conf: Mapping[str, str]) -> SparkSession | None:
    """The SparkSession this process already runs on the target's catalogue (the same warehouse
    folder), else None. Never starts one: pyspark is only looked at when something imported it."""
    if "pyspark" not in sys.modules:
        return None
    from pyspark import SparkContext
    from pyspark.sql import SparkSession

    if SparkContext._active_spark_context is None:
        return None
    context = SparkContext._active_spark_context
    if context.getConf().get("spark.sql.catalogImplementation", "in-memory") != "hive":
        return None  # e.g. linkage's own session (spark_backend.local_spark_session): no catalogue of tables
    wanted = conf.get("spark.sql.warehouse.dir")
    session = SparkSession.builder.getOrCreate()
    if wanted is None or _folder(session.conf.get("spark.sql.warehouse.dir")) != _folder(wanted):
        return None
    return session


def _export(spark: SparkSession, relations: Sequence[str], out_dir: Path) -> None:
    import pyarrow.parquet as pq

    for relation in relations:
        table = spark.table(relation).toArrow()
        target = out_dir / f"{relation}.parquet"
        tmp = target.with_name(f".{target.name}.tmp")
        pq.write_table(table, tmp)
        tmp.replace(target)


def _child(request: dict) -> None:
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
        _export(spark, request["relations"], Path(request["out_dir"]))
    finally:
        spark.stop()


if __name__ == "__main__":
    _child(json.loads(sys.stdin.read()))
