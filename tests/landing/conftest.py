"""Fixtures of the ingest tests: an isolated lake whose public-data root is empty unless a test asks
for the real data.police.uk files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT, Settings, load_settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
BAD_INPUT = FIXTURES / "bad_input"
REAL_SHARED_DATA = Path(
    __import__("os").environ.get("OE_SHARED_DATA") or (REPO_ROOT.parent / "shared" / "data")
).resolve()


def _settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared: Path) -> Settings:
    settings = load_settings(
        landing=tmp_path / "landing",
        lake=tmp_path / "lake",
        warehouse=tmp_path / "warehouse" / "oe.duckdb",
        shared_data=shared,
    )
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return settings


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Like the shared fixture, but the shared-data root is an empty folder: these tests count files."""
    (tmp_path / "shared").mkdir()
    return _settings(tmp_path, monkeypatch, tmp_path / "shared")


@pytest.fixture
def police_uk_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings reading the real data.police.uk files in place. They are part of the test environment
    (shared/ beside the repository, as in CI): their absence is a failure, not a skip."""
    assert (REAL_SHARED_DATA / "police_uk").is_dir(), (
        f"no data.police.uk files under {REAL_SHARED_DATA}/police_uk: set OE_SHARED_DATA to the shared data folder"
    )
    return _settings(tmp_path, monkeypatch, REAL_SHARED_DATA)


@pytest.fixture
def landing_day(platform_dirs: Settings):
    """A function making <landing>/<source>/<force>/<date>/ and returning it."""

    def make(source: str = "crime", force: str = "essex", day: str = "2025-01-08") -> Path:
        folder = platform_dirs.landing / source / force / day
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    return make


def copy_fixture(name: str, target: Path) -> Path:
    shutil.copy(BAD_INPUT / name, target)
    return target
