"""A run's delivery report calls the deliveries clean only when the run rebuilt the data-quality table the
report reads (orchestration/resources.py, `data_quality_outcome`): a run cancelled or killed before it logs
no failure, so "nothing failed" alone would call its report complete, and a run selecting part of the dbt
step runs that step without it. Real Dagster runs on an ephemeral instance, with the assets keyed as the
pipeline's."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance, asset, materialize

from oe_platform.delivery_report import COMPLETE, NOT_REBUILT, UNFINISHED
from orchestration.resources import DATA_QUALITY_ASSET, data_quality_outcome


@asset(key=AssetKey(["bronze", "crime", "persons"]))
def bronze() -> None:
    return None


@asset(key=AssetKey(["staging", "stg_crime__persons"]), deps=[bronze])
def staged() -> None:
    return None


@asset(key=AssetKey(["staging", "stg_crime__persons"]), deps=[bronze])
def staged_failing() -> None:
    raise RuntimeError("a staging model failed: the data-quality table is never built")


@asset(key=DATA_QUALITY_ASSET, deps=[staged])
def issues() -> None:
    return None


@asset(key=DATA_QUALITY_ASSET, deps=[staged])
def issues_failing() -> None:
    raise RuntimeError("the build of the data-quality table failed")


@asset(key=AssetKey(["marts", "mart_oe__nominal_profile"]), deps=[issues])
def mart_failing() -> None:
    raise RuntimeError("a later step failed")


def test_the_data_quality_asset_is_the_pipeline_s():
    from oe_platform.config import REPO_ROOT

    # the dbt model exists under staging (the translator keys a model <layer>/<name>)
    assert DATA_QUALITY_ASSET.path[0] == "staging"
    assert list((REPO_ROOT / "models" / "staging").rglob(f"{DATA_QUALITY_ASSET.path[-1]}.sql"))


def test_a_run_is_complete_only_when_it_rebuilt_the_data_quality_table():
    instance = DagsterInstance.ephemeral()
    whole = materialize([bronze, staged, issues], instance=instance)
    assert data_quality_outcome(instance, whole.run_id) == COMPLETE
    # planned, never built, and no failure of its own (as when a run is cancelled before it): not complete
    stopped = materialize([bronze, staged_failing, issues], instance=instance, raise_on_error=False)
    assert not stopped.success and data_quality_outcome(instance, stopped.run_id) == UNFINISHED
    failed_table = materialize([bronze, staged, issues_failing], instance=instance, raise_on_error=False)
    assert not failed_table.success and data_quality_outcome(instance, failed_table.run_id) == UNFINISHED
    # a step failing after it: the flagged values of the run's deliveries are known (the run's failure is
    # reported on its own)
    failed_later = materialize([bronze, staged, issues, mart_failing], instance=instance, raise_on_error=False)
    assert not failed_later.success and data_quality_outcome(instance, failed_later.run_id) == COMPLETE


def test_a_run_whose_selection_left_the_data_quality_table_out_says_so():
    instance = DagsterInstance.ephemeral()
    selected = materialize([bronze, staged, issues], instance=instance, selection=[bronze.key, staged.key])
    assert selected.success and data_quality_outcome(instance, selected.run_id) == NOT_REBUILT
