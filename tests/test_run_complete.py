"""A run's delivery report calls the deliveries clean only when the run rebuilt the data-quality tables
(orchestration/resources.py, `data_quality_outcome`): a run cancelled or killed before them logs no
failure, so "nothing failed" alone would call its report complete, and a run selecting part of the dbt
step runs that step without them. Real Dagster runs on an ephemeral instance, with the assets keyed as
the pipeline's data-quality tables."""

from __future__ import annotations

from dagster import AssetKey, DagsterInstance, asset, materialize

from oe_platform.delivery_report import COMPLETE, NOT_REBUILT, UNFINISHED
from orchestration.resources import DATA_QUALITY_ASSETS, data_quality_outcome


@asset(key=AssetKey(["bronze", "crime", "persons"]))
def bronze() -> None:
    return None


@asset(key=AssetKey(["staging", "stg_crime__persons"]), deps=[bronze])
def staged() -> None:
    return None


@asset(key=AssetKey(["staging", "stg_data_quality__issues"]), deps=[staged])
def issues() -> None:
    return None


@asset(key=AssetKey(["staging", "stg_data_quality__issue_rates"]), deps=[issues])
def issue_rates() -> None:
    return None


@asset(key=AssetKey(["staging", "stg_data_quality__issue_rates"]), deps=[issues])
def issue_rates_failing() -> None:
    raise RuntimeError("the build of the data-quality table failed")


@asset(key=AssetKey(["marts", "mart_oe__nominal_profile"]), deps=[issue_rates])
def mart_failing() -> None:
    raise RuntimeError("a later step failed")


def test_the_data_quality_assets_are_the_pipeline_s():
    from oe_platform.config import REPO_ROOT

    names = {key.path[-1] for key in DATA_QUALITY_ASSETS}
    for name in names:  # the dbt models exist under staging (the translator keys a model <layer>/<name>)
        assert list((REPO_ROOT / "models" / "staging").rglob(f"{name}.sql")), name


def test_a_run_is_complete_only_when_it_rebuilt_the_data_quality_tables_and_nothing_failed():
    instance = DagsterInstance.ephemeral()
    whole = materialize([bronze, staged, issues, issue_rates], instance=instance)
    assert data_quality_outcome(instance, whole.run_id) == COMPLETE
    # one of the data-quality tables left out (as a run cancelled between them): nothing failed, yet not complete
    partial = materialize([bronze, staged, issues, issue_rates], instance=instance,
                          selection=[bronze.key, staged.key, issues.key], raise_on_error=False)
    assert partial.success and data_quality_outcome(instance, partial.run_id) == UNFINISHED
    failed_table = materialize([bronze, staged, issues, issue_rates_failing], instance=instance,
                               raise_on_error=False)
    assert not failed_table.success and data_quality_outcome(instance, failed_table.run_id) == UNFINISHED
    failed_later = materialize([bronze, staged, issues, issue_rates, mart_failing], instance=instance,
                               raise_on_error=False)
    assert not failed_later.success and data_quality_outcome(instance, failed_later.run_id) == UNFINISHED


def test_a_run_whose_selection_left_the_data_quality_tables_out_says_so():
    instance = DagsterInstance.ephemeral()
    selected = materialize([bronze, staged, issues, issue_rates], instance=instance,
                           selection=[bronze.key, staged.key])
    assert selected.success and data_quality_outcome(instance, selected.run_id) == NOT_REBUILT
