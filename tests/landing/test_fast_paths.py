"""The fast paths (pyarrow CSV and JSON readers) give exactly what the careful row-by-row parsers
give, on every layout of every contract: same bronze rows, same rejects, same warnings."""

from __future__ import annotations

import pytest

from oe_platform.bench import build_landing_zone
from oe_platform.config import load_settings
from oe_platform.landing import ingest as ingest_module
from oe_platform.landing.ingest import ingest
from tests.landing.helpers import assert_nothing_lost, lake_snapshot


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
        patch.setattr(ingest_module, "FAST_PATHS", False)
        slow = ingest(careful)
    assert {f.parse_mode for f in slow.files} <= {"careful", "parquet", "xlsx"}
    assert [(f.path, f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_warned) for f in summary.files] == [
        (f.path, f.rows_read, f.rows_accepted, f.rows_rejected, f.rows_warned) for f in slow.files]
    assert lake_snapshot(fast) == lake_snapshot(careful)
    assert_nothing_lost(fast)
    assert_nothing_lost(careful)
