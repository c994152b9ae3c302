"""A small synthetic landing zone, generated once per test session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from oe_platform.contracts import Contract, load_contracts
from oe_platform.synth import GenerationSummary, generate
from tests.synth.landing_reader import Delivered, read_source

PERSONS = 2000
SEED = 20250101
START = date(2025, 1, 1)
MONTHS = 2


@dataclass
class Run:
    landing: Path
    truth: Path
    summary: GenerationSummary
    _parsed: dict = field(default_factory=dict)
    _tables: dict = field(default_factory=dict)

    def parsed(self, contract: Contract) -> list[Delivered]:
        """Every delivered file of a source, read back through its contract (cached)."""
        if contract.source not in self._parsed:
            self._parsed[contract.source] = read_source(contract, self.landing)
        return self._parsed[contract.source]

    def truth_table(self, name: str) -> pd.DataFrame:
        if name not in self._tables:
            self._tables[name] = pd.read_parquet(self.truth / f"{name}.parquet")
        return self._tables[name].copy()


@pytest.fixture(scope="session")
def run(tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("synth")
    summary = generate(persons=PERSONS, seed=SEED, start=START, months=MONTHS, out=root / "landing",
                       truth_out=root / "truth", progress=False)
    return Run(root / "landing", root / "truth", summary)


@pytest.fixture(scope="session")
def contracts():
    return load_contracts()
