"""A damaged bronze Parquet file (issue 10): ingest's reconciliation (run by `oe ingest` and by the
ingest step of every `oe run`) stops with a message naming the damaged file, the landed file it
holds and the one command that rebuilds it; that command restores exactly the rows that were there,
and keeps the damaged file aside."""

from __future__ import annotations

import shutil
import subprocess

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.landing.ingest import ingest, read_manifest
from oe_platform.landing.reconcile import reconcile
from tests.integration.pipeline_runs import OE
from tests.landing.test_disk_full import _lake_rows, _settings


def _oe(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    env = {**__import__("os").environ, **settings.env(), "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([OE, *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
                          check=False)


def test_a_damaged_bronze_file_is_named_and_rebuilt_from_its_landed_file(tmp_path, robust_landing):
    settings = _settings(tmp_path / "site")
    shutil.copytree(robust_landing, settings.landing)
    ingest(settings)
    before = _lake_rows(settings)
    loaded = {m["file_id"]: m["path"] for m in read_manifest(settings.meta) if m["status"] == "loaded"}
    victim = max((p for p in settings.bronze.rglob("*.parquet") if p.stem in loaded), key=lambda p: p.stat().st_size)
    data = victim.read_bytes()
    victim.write_bytes(data[: len(data) // 2])  # a copy cut short: the footer is gone

    failed = _oe(settings, "ingest")
    assert failed.returncode != 0
    assert f"damaged file {victim} cannot be read" in failed.stderr, failed.stderr[-3000:]
    assert f"the landed file {loaded[victim.stem]}" in failed.stderr
    assert f"oe ingest --reload {victim.stem}" in failed.stderr
    assert "Nothing else is affected" in failed.stderr

    repaired = _oe(settings, "ingest", "--reload", victim.stem)
    assert repaired.returncode == 0, repaired.stderr[-3000:]
    assert "damaged file moved aside" in repaired.stdout
    kept = list((settings.lake / "_damaged").rglob(victim.name))
    assert len(kept) == 1 and kept[0].read_bytes() == data[: len(data) // 2]
    assert reconcile(settings) == []
    assert _lake_rows(settings) == before  # exactly the rows that were there: nothing lost or doubled
    # the file manifest is unchanged: the file was loaded once, and still is
    assert {m["file_id"]: m["path"] for m in read_manifest(settings.meta) if m["status"] == "loaded"} == loaded
