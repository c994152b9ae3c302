"""The Dagster dbt resource knows the dbt version without a `dbt --version` process per run."""

import sys
from pathlib import Path

from dagster_dbt import DbtCliResource

from oe_platform.config import REPO_ROOT
from orchestration.resources import OeDbtCliResource


def test_the_dbt_version_is_the_one_dbt_version_reports():
    executable = str(Path(sys.executable).parent / "dbt")
    ours = OeDbtCliResource(project_dir=str(REPO_ROOT), dbt_executable=executable)
    asked = DbtCliResource(project_dir=str(REPO_ROOT), dbt_executable=executable)
    assert ours._cli_version == asked._cli_version  # the library's own way: runs `dbt --version`
    assert ours._cli_version.major == 1  # dbt Core: Dagster creates the dbt adapter handle for it
