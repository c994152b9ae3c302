"""A full disk during ingest (issue 10): a real write failure, from the file size limit of the
`oe ingest` process (RLIMIT_FSIZE, as `ulimit -f` sets it: every write past it fails with EFBIG,
exactly as on a full filesystem). Ingest stops with a message naming the landed file and what to
do; what was accepted before is intact; once space is back, ingest loads the rest and the lake
holds exactly what an ingest that never failed holds: nothing lost, nothing doubled."""

from __future__ import annotations

import resource
import shutil
import subprocess
from pathlib import Path

import duckdb

from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.landing.ingest import read_manifest
from oe_platform.landing.reconcile import reconcile
from tests.integration.pipeline_runs import OE, _checksum, _parquet_relation


def _settings(root: Path) -> Settings:
    settings = load_settings(landing=root / "landing", lake=root / "lake",
                             warehouse=root / "warehouse" / "oe.duckdb", shared_data=root / "shared")
    settings.shared_data.mkdir(parents=True, exist_ok=True)
    return settings


def _ingest(settings: Settings, file_size_limit: int | None = None) -> subprocess.CompletedProcess:
    def limit() -> None:
        if file_size_limit is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_limit, file_size_limit))

    env = {**__import__("os").environ, **settings.env(), "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.run([OE, "ingest"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False, preexec_fn=limit)


def _lake_rows(settings: Settings) -> dict[str, str]:
    """Every bronze table and the rejects and warnings, as row counts and checksums of sorted rows."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(settings.lake.rglob("*.parquet")):
        rel = path.relative_to(settings.lake)
        if rel.name != "file_manifest.parquet" and rel.parts[0] != "_damaged":
            groups.setdefault(str(rel.parent), []).append(path)
    con = duckdb.connect()
    try:
        return {key: _checksum(con, _parquet_relation(paths)) for key, paths in groups.items()}
    finally:
        con.close()


def test_a_full_disk_stops_ingest_with_a_clear_message_and_loses_nothing(tmp_path, robust_landing):
    generated = robust_landing
    # what an ingest that never fails leaves in the lake
    reference = _settings(tmp_path / "reference")
    shutil.copytree(generated, reference.landing)
    done = _ingest(reference)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = _lake_rows(reference)
    bronze_sizes = sorted(p.stat().st_size for p in reference.bronze.rglob("*.parquet"))
    manifest_size = (reference.meta / "file_manifest.parquet").stat().st_size

    # a first delivery is accepted while there is space
    settings = _settings(tmp_path / "site")
    sources = sorted(p.name for p in generated.iterdir() if p.is_dir())
    first, rest = sources[:1], sources[1:]
    for name in first:
        shutil.copytree(generated / name, settings.landing / name)
    assert _ingest(settings).returncode == 0
    accepted_before = {(m["path"], m["sha256"]) for m in read_manifest(settings.meta) if m["status"] == "loaded"}
    assert accepted_before

    # the rest arrives when the disk is full: writes past the limit fail (EFBIG)
    for name in rest:
        shutil.copytree(generated / name, settings.landing / name)
    limit = max(bronze_sizes[len(bronze_sizes) // 2], manifest_size // 2, 4096)
    full = _ingest(settings, file_size_limit=limit)
    assert full.returncode != 0
    assert "ingest stopped, the disk is full" in full.stderr, full.stderr[-3000:]
    assert "File too large" in full.stderr and "Nothing accepted is lost" in full.stderr
    assert "Free space" in full.stderr and "run the ingest again" in full.stderr
    # what was accepted before is intact, and what the manifest says matches bronze
    after_failure = {(m["path"], m["sha256"]) for m in read_manifest(settings.meta) if m["status"] == "loaded"}
    assert accepted_before <= after_failure
    assert after_failure < {(m["path"], m["sha256"]) for m in read_manifest(reference.meta)
                            if m["status"] == "loaded"}, "the full disk stopped ingest before the end"
    assert reconcile(settings) == []

    # space is back: the same command loads the rest, and the lake is what it would have been
    again = _ingest(settings)
    assert again.returncode == 0, again.stderr[-3000:]
    assert reconcile(settings) == []
    assert _lake_rows(settings) == expected
