"""Shared setup of the dbt tests that build models on a small generated delivery."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from oe_platform.config import Settings, load_settings
from oe_platform.dbt_runner import run_dbt
from oe_platform.landing.ingest import ingest
from oe_platform.synth import generate


@pytest.fixture
def seeded_month(tmp_path: Path) -> tuple[Settings, list[str]]:
    """One generated month (500 persons, seed 5) ingested into a lake and warehouse of its own, with
    the reference seeds loaded: the settings, and the `--target-path` arguments for dbt."""
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake",
                             warehouse=tmp_path / "oe.duckdb", shared_data=tmp_path / "shared")
    target = ["--target-path", str(tmp_path / "target")]
    generate(persons=500, seed=5, start=date(2025, 1, 1), months=1, out=settings.landing,
             truth_out=tmp_path / "truth", progress=False)
    ingest(settings, workers=1)
    run_dbt(["seed", *target], settings)
    return settings, target
