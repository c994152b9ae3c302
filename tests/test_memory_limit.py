"""The pipeline's DuckDB databases are held to one memory limit and spill beyond it, outside the checkout
(oe_platform/config.py; docs/scale.md, "Memory")."""

import os
import sys
from pathlib import Path

import pytest
from dagster_dbt import DbtCliResource

from oe_platform.config import DUCKDB_MEMORY_LIMIT, REPO_ROOT, duckdb_memory_limit, working_connection


def test_a_working_connection_spills_past_its_limit_into_its_own_folder_and_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
):
    monkeypatch.setenv("OE_DUCKDB_MEMORY_LIMIT", "64MB")
    monkeypatch.setenv("OE_DUCKDB_TEMP_DIR", str(tmp_path / "spill"))
    monkeypatch.chdir(tmp_path)
    con = working_connection("test")
    limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    assert limit.endswith("MiB") and 55 <= float(limit.split()[0]) <= 64  # 64 MB as DuckDB prints it
    # about 300 MB of rows: more than the limit holds, so DuckDB writes blocks to the spill folder
    con.execute("create temp table t as select range as i, md5(range::varchar) as s from range(4000000)")
    con.execute("create temp table g as select s, count(*) as n from t group by s")
    assert con.execute("select count(*), sum(n) from g").fetchall() == [(4_000_000, 4_000_000)]
    folders = list((tmp_path / "spill").glob("oe-test-spill-*"))
    assert len(folders) == 1 and any(folders[0].iterdir())
    assert not (tmp_path / ".tmp").exists()  # DuckDB's own default would spill into the working directory
    con.close()
    assert not folders[0].exists()


def test_the_limit_defaults_to_a_share_of_the_machine(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("OE_DUCKDB_MEMORY_LIMIT", raising=False)
    assert duckdb_memory_limit() == DUCKDB_MEMORY_LIMIT == "35%"
    with working_connection("test") as con:
        limit = con.execute("select current_setting('memory_limit')").fetchall()[0][0]
    total_gib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    number, unit = limit.split()
    assert unit == "GiB" and abs(float(number) - 0.35 * total_gib) < 0.2


def test_dbt_takes_the_same_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """profiles.yml hands $OE_DUCKDB_MEMORY_LIMIT to dbt's DuckDB connection, with the platform's default."""
    profiles = (REPO_ROOT / "profiles.yml").read_text(encoding="utf-8")
    default = f"memory_limit: \"{{{{ env_var('OE_DUCKDB_MEMORY_LIMIT', '{DUCKDB_MEMORY_LIMIT}') }}}}\""
    assert profiles.count(default) == 2  # the dev and ci targets
    monkeypatch.setenv("OE_WAREHOUSE", str(tmp_path / "limit.duckdb"))
    monkeypatch.setenv("OE_DUCKDB_MEMORY_LIMIT", "1500MB")
    dbt = DbtCliResource(project_dir=str(REPO_ROOT), dbt_executable=str(Path(sys.executable).parent / "dbt"))
    invocation = dbt.cli(["show", "--inline", "select current_setting('memory_limit') as memory_limit",
                          "--output", "json", "--target-path", str(tmp_path / "target")],
                         target_path=tmp_path / "target", raise_on_error=True)
    shows = [event.raw_event["data"]["preview"] for event in invocation.stream_raw_events()
             if event.raw_event["info"]["name"] == "ShowNode"]
    assert len(shows) == 1 and "1.3 GiB" in shows[0], shows  # 1,500 MB as DuckDB prints it
