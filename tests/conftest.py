"""Shared pytest fixtures: isolated platform settings and the slice landing zone."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from oe_platform.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing every path into tmp_path, exported as environment variables too."""
    settings = load_settings(
        landing=tmp_path / "landing",
        lake=tmp_path / "lake",
        warehouse=tmp_path / "warehouse" / "oe.duckdb",
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


@dataclass(frozen=True)
class SlicePipeline:
    settings: Settings
    result: object  # orchestration.run.PipelineResult


@pytest.fixture(scope="session")
def slice_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlicePipeline]:
    """The crime slice run once through Dagster (ingest, dbt build, publish) for the whole session.

    Tests that only read what the run produced share it; each gets the same isolated paths."""
    from oe_platform.dbt_runner import prepare_manifest

    root = tmp_path_factory.mktemp("slice_pipeline")
    settings = load_settings(
        landing=root / "landing",
        lake=root / "lake",
        warehouse=root / "warehouse" / "oe.duckdb",
    )
    shutil.copytree(FIXTURES / "landing_slice", settings.landing)
    saved = dict(os.environ)
    os.environ.update(settings.env())
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        prepare_manifest(settings)
        from orchestration.run import run_pipeline

        yield SlicePipeline(settings, run_pipeline(settings, log_level="WARNING"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
