"""Run the whole pipeline through Dagster, in this process, recording runs in DAGSTER_HOME."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from oe_platform.config import REPO_ROOT, Settings


@dataclass(frozen=True)
class PipelineResult:
    success: bool
    run_id: str
    dagster_home: str
    materialized: int
    failed_checks: list[str]  # checks of severity error that failed: what must stop publication
    # checks of severity warn that did not pass: faults quarantined at row level (docs/test-policy.md)
    warned_checks: list[str] = field(default_factory=list)
    # why steps or the run failed (the first line of each error), for the operator
    errors: list[str] = field(default_factory=list)
    # the ingest run this pipeline run made (None when the ingest step did not materialise)
    ingest_run_id: str | None = None


INSTANCE_CONFIG = REPO_ROOT / "orchestration" / "dagster.yaml"


def dagster_home() -> str:
    """DAGSTER_HOME (default .dagster_home), with the project's instance configuration installed:
    the committed orchestration/dagster.yaml is copied there when the home has none, or has an
    older copy of it (a dagster.yaml written by hand, without the first line, is left alone)."""
    home = Path(os.environ.get("DAGSTER_HOME") or str(REPO_ROOT / ".dagster_home"))
    home.mkdir(parents=True, exist_ok=True)
    installed = home / "dagster.yaml"
    wanted = INSTANCE_CONFIG.read_text(encoding="utf-8")
    first_line = wanted.splitlines()[0]
    if not installed.exists() or (
        installed.read_text(encoding="utf-8").startswith(first_line) and installed.read_text(encoding="utf-8") != wanted
    ):
        installed.write_text(wanted, encoding="utf-8")
    return str(home)


def run_pipeline(settings: Settings, log_level: str = "INFO") -> PipelineResult:
    """Materialise every asset (ingest, dbt build, publish) with the in-process executor."""
    os.environ.update(settings.env())
    os.environ["DAGSTER_HOME"] = dagster_home()
    from dagster import AssetCheckSeverity, DagsterEventType, DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("oe_full_pipeline")
    with DagsterInstance.get() as instance:
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        )
        events = result.all_events
        materializations = [e for e in events if e.event_type == DagsterEventType.ASSET_MATERIALIZATION]
        materialized = len(materializations)
        ingest_run_id = next(
            (str(entry.value) for e in materializations
             for key, entry in e.event_specific_data.materialization.metadata.items() if key == "ingest_run_id"),
            None,
        )
        evaluations = [
            e.event_specific_data for e in events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        ]
        def names(severity: AssetCheckSeverity) -> list[str]:
            return [f"{ev.asset_key.to_user_string()}:{ev.check_name}" for ev in evaluations
                    if not ev.passed and ev.severity == severity]

        errors = []
        for event in events:
            if event.event_type in (DagsterEventType.STEP_FAILURE, DagsterEventType.RUN_FAILURE):
                error = getattr(event.event_specific_data, "error", None)
                while error is not None and error.cause is not None:
                    error = error.cause  # the step's or resource's own error, not Dagster's wrapper around it
                if error is not None:
                    errors.append(f"{event.step_key or 'run'}: {error.message.strip()}")
        if not result.success:  # the job's failure hook records failed steps; this catches any other failure
            from oe_platform.governance.events import record_run_failure

            steps = [e.step_key for e in events if e.event_type == DagsterEventType.STEP_FAILURE and e.step_key]
            record_run_failure(settings, result.run_id, job.name, steps or ["run"],
                               errors[0] if errors else "the Dagster run failed")
        return PipelineResult(result.success, result.run_id, os.environ["DAGSTER_HOME"], materialized,
                              names(AssetCheckSeverity.ERROR), names(AssetCheckSeverity.WARN), errors,
                              ingest_run_id)
