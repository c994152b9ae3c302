"""Shared pytest fixtures: isolated platform settings and the slice landing zone."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT, Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing every path into tmp_path, exported as environment variables too."""
    settings = load_settings(
        landing=tmp_path / "landing",
        lake=tmp_path / "lake",
        warehouse=tmp_path / "warehouse" / "oe.duckdb",
        shared_data=REPO_ROOT.parent / "shared" / "data",
    )
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return settings


@pytest.fixture
def slice_landing(platform_dirs: Settings) -> Settings:
    """The hand-written crime slice (three layouts) copied into the landing zone."""
    shutil.copytree(FIXTURES / "landing_slice", platform_dirs.landing)
    return platform_dirs
