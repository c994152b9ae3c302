"""Paths and settings, resolved from flags, then environment variables, then repository defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"


def _path_from_env(var: str, default: str) -> Path:
    value = os.environ.get(var)
    path = Path(value) if value else REPO_ROOT / default
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


@dataclass(frozen=True)
class Settings:
    """Where the platform reads and writes. Every path is absolute."""

    landing: Path
    lake: Path
    warehouse: Path
    shared_data: Path

    @property
    def bronze(self) -> Path:
        return self.lake / "bronze"

    @property
    def meta(self) -> Path:
        """Ingest bookkeeping: file manifest and rejects (Parquet)."""
        return self.lake / "_meta"

    @property
    def gold(self) -> Path:
        return self.lake / "gold"

    @property
    def serving(self) -> Path:
        """Read-only DuckDB files for BI tools, one per audience (oe_platform/serving.py)."""
        return self.lake / "serving"

    @property
    def police_uk(self) -> Path:
        return self.shared_data / "police_uk"

    def env(self) -> dict[str, str]:
        """Environment variables that hand these paths to dbt and Dagster."""
        return {
            "OE_LANDING": str(self.landing),
            "OE_LAKE": str(self.lake),
            "OE_WAREHOUSE": str(self.warehouse),
            "OE_SHARED_DATA": str(self.shared_data),
        }


def load_settings(
    landing: str | Path | None = None,
    lake: str | Path | None = None,
    warehouse: str | Path | None = None,
    shared_data: str | Path | None = None,
) -> Settings:
    """Build settings; an explicit argument wins over the environment, which wins over the default."""

    def pick(explicit: str | Path | None, var: str, default: str) -> Path:
        if explicit is not None:
            return Path(explicit).resolve()
        return _path_from_env(var, default)

    return Settings(
        landing=pick(landing, "OE_LANDING", "data/landing"),
        lake=pick(lake, "OE_LAKE", "lake"),
        warehouse=pick(warehouse, "OE_WAREHOUSE", "warehouse/oe.duckdb"),
        shared_data=pick(shared_data, "OE_SHARED_DATA", "../shared/data"),
    )
