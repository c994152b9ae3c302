"""Sensors: start the pipeline when files land."""

from __future__ import annotations

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from oe_platform.config import load_settings

JOB_NAME = "oe_full_pipeline"


@sensor(
    name="landing_zone_sensor",
    job_name=JOB_NAME,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description=(
        "Requests a run of oe_full_pipeline when new or changed files appear in the landing zone (or the "
        "data.police.uk folder): files whose path, size and modification time the file manifest does not "
        "hold. Waits until files have stopped changing for OE_LANDING_SETTLE_SECONDS (default 30). The cursor "
        "is a hash of the pending (path, size, mtime) list, so one set of files starts one run."
    ),
)
def landing_zone_sensor(context: SensorEvaluationContext):
    from oe_platform.landing.watch import pending_files  # imported per tick: keeps imports fast

    settings = load_settings()
    pending = pending_files(settings)
    if pending.arriving:
        return SkipReason(
            f"{len(pending.arriving)} file(s) still arriving (changed in the last seconds), e.g. "
            f"{pending.arriving[0].path}; waiting for them to settle"
        )
    if not pending.ready:
        return SkipReason("no new or changed landed files")
    fingerprint = pending.fingerprint
    if fingerprint == context.cursor:
        return SkipReason(f"a run was already requested for these {len(pending.ready)} file(s)")
    context.update_cursor(fingerprint)
    sample = ", ".join(item.path for item in pending.ready[:5])
    context.log.info(f"{len(pending.ready)} new or changed file(s): {sample}")
    return RunRequest(
        run_key=f"landing-{fingerprint[:16]}",
        tags={"oe/trigger": "landing_zone_sensor", "oe/new_files": str(len(pending.ready))},
    )
