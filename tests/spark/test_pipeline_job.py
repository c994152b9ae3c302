"""The whole Dagster job on the spark target: `oe run` with OE_DBT_TARGET=spark on a tiny landing zone.

Ingest, the first dbt half (models with their data tests as asset checks), person resolution reading
the spark target's int_person_records and scoring on Spark (the target's default), the second half,
and publish reading the marts from the spark catalogue: every step as a pipeline run does it (dbt
and the catalogue reader in processes of their own). What the tables hold is compared with DuckDB by
the parity test (test_parity.py); this one shows the job end to end. Marker spark_job (`make
test-spark`): the ~700 data tests on a local Spark session take minutes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT

pytestmark = [pytest.mark.spark_job, pytest.mark.slow]

BIN = Path(sys.executable).parent


def _oe(args: list[str], env: dict[str, str], log: Path) -> float:
    started = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ oe {' '.join(args)}\n")
        out.flush()
        completed = subprocess.run([str(BIN / "oe"), *args], cwd=REPO_ROOT, env=env, stdout=out,
                                   stderr=subprocess.STDOUT, check=False)
    if completed.returncode != 0:
        tail = "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-60:])
        raise AssertionError(f"oe {' '.join(args)} failed (exit {completed.returncode}); log {log}:\n{tail}")
    return time.perf_counter() - started


def test_oe_run_on_the_spark_target_ingests_links_builds_and_publishes(tmp_path: Path) -> None:
    warehouse = tmp_path / "no-duckdb" / "oe.duckdb"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
        "DBT_PROFILES_DIR": str(REPO_ROOT),
        "OE_DBT_TARGET": "spark",
        "OE_LANDING": str(tmp_path / "landing"),
        "OE_LAKE": str(tmp_path / "lake"),
        "OE_WAREHOUSE": str(warehouse),
        "OE_SPARK_DIR": str(tmp_path / "spark"),
        "OE_SPARK_MASTER": "local[2]",
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
    }
    env.pop("OE_LINKAGE_ENGINE", None)  # the spark target's default: scoring on Spark
    log = tmp_path / "oe.log"
    _oe(["generate", "--persons", "500", "--seed", "5", "--start", "2025-01-01", "--months", "1",
         "--out", str(tmp_path / "landing"), "--truth-out", str(tmp_path / "truth")], env, log)
    seconds = _oe(["run"], env, log)
    (tmp_path / "seconds.json").write_text(json.dumps({"oe_run": seconds}), encoding="utf-8")

    # the spark target needs no DuckDB warehouse: none was made
    assert not warehouse.exists()
    lake = tmp_path / "lake"
    # bronze from ingest
    with duckdb.connect() as con:
        accepted = con.execute(f"select sum(rows_accepted) from read_parquet('{lake}/_meta/file_manifest.parquet') "
                               "where status = 'loaded'").fetchone()[0]
        assert accepted > 1000
        clusters = con.execute(f"select count(*), count(distinct person_id) "
                               f"from read_parquet('{lake}/linkage/clusters.parquet')").fetchone()
    # linkage read the spark target's person records and scored them on Spark, in the Dagster run
    audit = [json.loads(line) for line in (lake / "_audit" / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    linkage = [entry for entry in audit if entry["operation"] == "combination"]
    assert [(entry["what"]["engine"], entry["what"]["input"]) for entry in linkage] == [
        ("spark", "conformed.int_person_records")], linkage
    run_id = linkage[0]["run_id"]
    assert run_id
    # both dbt halves recorded as alterations of the same run
    assert len([e for e in audit if e["operation"] == "alteration" and e["run_id"] == run_id]) == 2
    assert clusters[0] > 300 and 0 < clusters[1] < clusters[0], clusters
    # gold from the spark target's marts, every mart version listed in the manifest with its rows
    manifest = json.loads((lake / "gold" / "manifest.json").read_text(encoding="utf-8"))
    marts = manifest["marts"]
    assert len(marts) >= 6, marts
    with duckdb.connect() as con:
        for entry in marts:
            path = lake / "gold" / entry["path"]
            rows = con.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
            assert rows == entry["rows"], entry
    assert sum(entry["rows"] for entry in marts) > 100
    assert manifest["run_id"] == run_id
