"""The Dagster dbt resource knows the dbt version without a `dbt --version` process per run, and opens
no dbt adapter in Dagster's process."""

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
    assert ours._cli_version.major == 1  # dbt Core: DbtCliResource would open a dbt adapter for it


def test_a_dbt_command_runs_without_an_adapter_in_dagsters_process(tmp_path: Path):
    """DbtCliResource opens a dbt adapter before each command, only to fetch column metadata afterwards;
    ours opens none (orchestration/resources.py) and the command runs and streams its events the same."""
    executable = str(Path(sys.executable).parent / "dbt")
    ours = OeDbtCliResource(project_dir=str(REPO_ROOT), dbt_executable=executable)
    invocation = ours.cli(["ls", "--select", "stg_crime__crimes", "--target-path", str(tmp_path)],
                          target_path=tmp_path)
    lines = [event.raw_event["info"]["msg"] for event in invocation.stream_raw_events()]
    assert invocation.is_successful() and invocation.adapter is None
    assert "oe_platform.staging.crime.stg_crime__crimes" in lines
