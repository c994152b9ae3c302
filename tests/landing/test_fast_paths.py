"""The fast paths (pyarrow CSV and JSON readers) give exactly what the careful row-by-row parsers
give, on every layout of every contract: same bronze rows, same rejects, same warnings."""

from __future__ import annotations

import duckdb
import pytest

from oe_platform.bench import build_landing_zone
from oe_platform.config import load_settings
from oe_platform.landing import ingest as ingest_module
from oe_platform.landing.ingest import ingest
from tests.landing.helpers import assert_nothing_lost


def snapshot(settings) -> dict[str, list]:
    con = duckdb.connect()
    out = {}
    try:
        for folder in sorted(settings.bronze.glob("*/*")):
            glob = folder / "**" / "*.parquet"
            rel = con.sql(f"select * exclude (_loaded_at) from read_parquet('{glob}', union_by_name = true, "
                          "hive_partitioning = false) order by all")
            out[f"bronze/{folder.parent.name}/{folder.name}"] = rel.fetchall()
        for name, stamp in (("rejects", "rejected_at"), ("warnings", "warned_at")):
            glob = settings.meta / name / "*.parquet"
            out[name] = con.sql(f"select * exclude ({stamp}) from read_parquet('{glob}', union_by_name = true) "
                                "order by all").fetchall()
    finally:
        con.close()
    return out


@pytest.fixture(scope="module")
def bench_landing(tmp_path_factory):
    landing = tmp_path_factory.mktemp("bench") / "landing"
    build_landing_zone(landing, rows=3000, dirty=True)
    return landing


def test_fast_and_careful_paths_agree_on_every_layout(bench_landing, tmp_path, monkeypatch):
    fast = load_settings(landing=bench_landing, lake=tmp_path / "fast", shared_data=tmp_path / "none")
    careful = load_settings(landing=bench_landing, lake=tmp_path / "careful", shared_data=tmp_path / "none")
    summary = ingest(fast)
    modes = {f.parse_mode for f in summary.files}
    assert "fast" in modes and "careful" in modes  # the dirty files took the careful path
    with monkeypatch.context() as patch:
        patch.setattr(ingest_module, "parse_delimited_fast", lambda *args: None)
        patch.setattr(ingest_module, "parse_jsonl_fast", lambda *args: None)
        slow = ingest(careful)
    assert {f.parse_mode for f in slow.files} <= {"careful", "parquet", "xlsx"}
    assert [(f.path, f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_warned) for f in summary.files] == [
        (f.path, f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_warned) for f in slow.files]
    assert snapshot(fast) == snapshot(careful)
    assert_nothing_lost(fast)
    assert_nothing_lost(careful)
