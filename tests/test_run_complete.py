"""A run's delivery report calls the deliveries clean only when the run rebuilt the data-quality tables
(orchestration/resources.py, `run_complete`): a run cancelled or killed before that step logs no
failure, so "nothing failed" alone would call its report complete. Real Dagster runs on an ephemeral
instance, with the step named as the pipeline's."""

from __future__ import annotations

from dagster import DagsterInstance, In, Nothing, job, op

from orchestration.resources import DATA_QUALITY_STEP, run_complete


@op
def ingest() -> None:
    return None


@op(name=DATA_QUALITY_STEP, ins={"after": In(Nothing)})
def data_quality() -> None:
    return None


@op(ins={"after": In(Nothing)})
def fails() -> None:
    raise RuntimeError("a step failed")


@job
def whole_run():
    data_quality(after=ingest())


@job
def failing_run():
    fails(after=data_quality(after=ingest()))


def test_a_run_is_complete_only_when_the_data_quality_step_ran_and_nothing_failed():
    instance = DagsterInstance.ephemeral()
    whole = whole_run.execute_in_process(instance=instance)
    assert run_complete(instance, whole.run_id)
    # stopped before the data-quality step (as a cancelled run is): nothing failed, yet not complete
    stopped = whole_run.execute_in_process(instance=instance, op_selection=["ingest"])
    assert stopped.success and not run_complete(instance, stopped.run_id)
    failed = failing_run.execute_in_process(instance=instance, raise_on_error=False)
    assert not failed.success and not run_complete(instance, failed.run_id)
