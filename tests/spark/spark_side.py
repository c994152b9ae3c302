"""The Spark side of the parity test, in one process and so one JVM: `python -m tests.spark.spark_side
<out.json>`, with the settings (OE_LAKE, OE_SPARK_DIR, OE_DBT_TARGET=spark, ...) in the environment.

dbt runs in this process (`dbtRunner`), and dbt-spark's session method keeps one SparkSession for the
life of the process (it calls `getOrCreate` for every statement and never stops it), so the two dbt
halves, linkage reading `conformed.int_person_records` between them, the export of the built tables
and `publish` all use the one session: no JVM start and metastore opening per step, which on a local
session cost more than the small landing zone's data (docs/scale.md). oe_platform/spark_catalog.py
reads from the session of this process when there is one.

Writes <out.json>: the step timings, the exported conformed/mart tables (relation -> Parquet file) and
the published gold files. The CLI path (one process per step, a child JVM for linkage and publish) is
what `oe run` uses; tests/spark/test_pipeline_job.py runs that.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

SCHEMAS = ("conformed", "marts")


def _dbt(args: list[str]) -> None:
    from dbt.cli.main import dbtRunner

    from oe_platform.governance.pseudonym import PSEUDONYM_KEY_ENV

    key = os.environ.pop(PSEUDONYM_KEY_ENV, None)  # dbt never sees the publish key (as run_dbt)
    try:
        result = dbtRunner().invoke(args)
    finally:
        if key is not None:
            os.environ[PSEUDONYM_KEY_ENV] = key
    if not result.success:
        raise SystemExit(f"dbt {' '.join(args)} failed: {result.exception or 'see the log above'}")


def _tables(schemas: tuple[str, ...]) -> list[str]:
    """The tables (not views) the spark target built in `schemas`, as `schema.table`."""
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.getOrCreate()
    return sorted(f"{schema}.{table.name}" for schema in schemas for table in spark.catalog.listTables(schema)
                  if table.tableType in ("MANAGED", "EXTERNAL"))


def main(out: Path) -> None:
    from oe_platform.config import load_settings
    from oe_platform.linkage.pipeline import default_engine, link_warehouse
    from oe_platform.publish import publish
    from oe_platform.spark_catalog import export_relations

    settings = load_settings()
    target_path = out.parent / "target-spark"
    build = ["build", "--target", "spark", "--target-path", str(target_path), "--threads",
             os.environ.get("OE_PARITY_SPARK_THREADS", "2"), "--resource-type", "seed", "--resource-type", "model"]
    timings: dict[str, float] = {}

    started = time.perf_counter()
    _dbt([*build, "--exclude", "source:linkage+"])
    timings["dbt_before_linkage"] = time.perf_counter() - started

    started = time.perf_counter()
    link_warehouse(settings, engine=default_engine())
    timings["linkage"] = time.perf_counter() - started

    started = time.perf_counter()
    _dbt([*build, "--select", "source:linkage+"])
    timings["dbt_after_linkage"] = time.perf_counter() - started

    started = time.perf_counter()
    exported = export_relations(_tables(SCHEMAS), out.parent / "spark_export")
    timings["export"] = time.perf_counter() - started

    started = time.perf_counter()
    published = publish(settings, run_id="parity-spark", manifest_path=target_path / "manifest.json")
    timings["publish"] = time.perf_counter() - started

    out.write_text(json.dumps({
        "timings": timings,
        "tables": {relation: str(path) for relation, path in exported.items()},
        "gold": [{"mart": f.mart, "version": f.version, "path": str(f.path)} for f in published.files],
    }, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
