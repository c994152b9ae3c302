"""The dbt project as Dagster sees it. The manifest is prepared at install/build time by
`oe prepare` (dbt parse), never parsed when this module is imported."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

REPO_ROOT = Path(__file__).resolve().parent.parent

oe_dbt_project = DbtProject(
    project_dir=REPO_ROOT,
    profiles_dir=REPO_ROOT,
    target_path=Path("target"),
    target=os.environ.get("OE_DBT_TARGET", "dev"),
)
