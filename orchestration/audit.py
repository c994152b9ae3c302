"""The audit log from Dagster: dbt builds (alteration) and failed steps (run_failure).

Ingest, linkage and publish record their own entries (oe_platform.governance.events), inside
`audit_run(context.run.run_id)` so the entries carry the Dagster run id."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from dagster import AssetExecutionContext, HookContext, failure_hook
from dagster_dbt import DbtCliResource

from oe_platform.config import load_settings
from oe_platform.governance.events import record_dbt_build, record_run_failure
from orchestration.dbt_steps import dbt_file_log_defaults, environment_for_dbt, prune_dbt_step_folders


def _run_results(invocation: Any) -> dict:
    """run_results.json of a finished (or failed) dbt invocation; empty when dbt wrote none."""
    path = invocation.target_path / "run_results.json"
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def audited_dbt_build(context: AssetExecutionContext, dbt: DbtCliResource, step: str,
                      args: list[str] | None = None,
                      on_results: Callable[[dict], None] | None = None,
                      env: dict[str, str] | None = None) -> Iterator[Any]:
    """`dbt build` (or `args`) streamed to Dagster; afterwards, even when it failed, one alteration entry
    and `on_results(run_results)`. `env`: variables dbt is started with besides this process's."""
    from oe_platform.governance.pseudonym import key_hidden_from_subprocesses

    # dbt is started without the pseudonymisation key, and with a lean log file
    with key_hidden_from_subprocesses(), dbt_file_log_defaults(), environment_for_dbt(env or {}):
        invocation = dbt.cli(args or ["build"], context=context)
    try:
        yield from invocation.stream()
    finally:
        results = _run_results(invocation)
        if results:
            from oe_platform.governance.audit import audit_run

            with audit_run(context.run.run_id):
                record_dbt_build(load_settings(), results, step)
        if on_results is not None:
            on_results(results)
        steps_folder = Path(invocation.target_path).parent
        removed = prune_dbt_step_folders(steps_folder)
        if removed:
            context.log.info(f"removed {len(removed)} dbt step folder(s) of earlier runs from {steps_folder}")


@failure_hook(name="audit_run_failure")
def audit_run_failure(context: HookContext) -> None:
    """A failed step of a pipeline run: recorded as run_failure (once per run and step)."""
    error = context.op_exception
    message = f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}" if error else "failed"
    record_run_failure(load_settings(), context.run_id, context.job_name, [context.step_key or context.op.name],
                       message)
