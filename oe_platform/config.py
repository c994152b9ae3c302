"""Paths and settings, resolved from flags, then environment variables, then repository defaults."""

from __future__ import annotations

import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = REPO_ROOT / "contracts"


# The share of the machine's memory one DuckDB database of the pipeline may hold before it spills to
# disk (DuckDB's own default is 80%). The pipeline's heavy steps run one at a time: dbt's database in
# its own process, the linkage's and publish's in Dagster's, so this bounds what a run holds at once
# (docs/scale.md, "Memory"). $OE_DUCKDB_MEMORY_LIMIT overrides it: a share ("50%") or a size ("8GB").
DUCKDB_MEMORY_LIMIT = "35%"


def duckdb_memory_limit() -> str:
    """The memory limit the pipeline's DuckDB databases take ($OE_DUCKDB_MEMORY_LIMIT, else
    DUCKDB_MEMORY_LIMIT); profiles.yml gives dbt the same."""
    return os.environ.get("OE_DUCKDB_MEMORY_LIMIT") or DUCKDB_MEMORY_LIMIT


def working_connection(purpose: str) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB database for one step's working tables (the linkage, publish on the spark
    target), held to duckdb_memory_limit(). What does not fit spills to a folder of its own under the
    system's temporary directory ($OE_DUCKDB_TEMP_DIR overrides it), never the working directory
    (DuckDB's default, `.tmp`, would put gigabytes into a checkout); DuckDB removes the folder when
    the connection closes."""
    import duckdb  # here, not at module load: the code location imports this module

    base = Path(os.environ.get("OE_DUCKDB_TEMP_DIR") or tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)  # DuckDB creates the spill folder, not its parents
    spill = base / f"oe-{purpose}-spill-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    con = duckdb.connect(config={"memory_limit": duckdb_memory_limit(), "temp_directory": str(spill)})
    con.execute("set enable_progress_bar = false")
    return con


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
