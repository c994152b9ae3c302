"""The landing-zone sensor: a run when files land, none when nothing is new, none while a file is
still arriving, one run per set of files."""

from __future__ import annotations

import os
import time

from dagster import DagsterInstance, RunRequest, SkipReason, build_sensor_context

from oe_platform.landing.ingest import ingest
from orchestration.sensors import landing_zone_sensor
from tests.landing.helpers import CRIMES_HEADER, crime_row


def evaluate(cursor=None):
    with DagsterInstance.ephemeral() as instance:
        context = build_sensor_context(instance=instance, cursor=cursor)
        result = landing_zone_sensor(context)
        return result, context.cursor


def age(path, seconds=600):
    past = time.time() - seconds
    os.utime(path, (past, past))


def test_sensor_requests_a_run_only_for_new_or_changed_files(platform_dirs, landing_day):
    result, cursor = evaluate()
    assert isinstance(result, SkipReason) and "no new or changed" in result.skip_message

    landed = landing_day() / "crimes_20250108.csv"
    landed.write_text(CRIMES_HEADER + "\n" + crime_row("K1") + "\n")
    result, _ = evaluate()
    assert isinstance(result, SkipReason) and "still arriving" in result.skip_message  # just written

    age(landed)
    result, cursor = evaluate()
    assert isinstance(result, RunRequest) and result.job_name in (None, "oe_full_pipeline")
    assert result.tags["oe/new_files"] == "1"
    again, same_cursor = evaluate(cursor)
    assert isinstance(again, SkipReason) and "already requested" in again.skip_message
    assert same_cursor == cursor

    ingest(platform_dirs)
    result, _ = evaluate(cursor)
    assert isinstance(result, SkipReason) and "no new or changed" in result.skip_message

    # a changed file (new content, same path) is new again
    landed.write_text(CRIMES_HEADER + "\n" + crime_row("K1", status="closed") + "\n")
    age(landed, 300)
    result, new_cursor = evaluate(cursor)
    assert isinstance(result, RunRequest) and new_cursor != cursor


def test_settle_time_is_configurable(platform_dirs, landing_day, monkeypatch):
    monkeypatch.setenv("OE_LANDING_SETTLE_SECONDS", "0")
    (landing_day() / "crimes_20250108.csv").write_text(CRIMES_HEADER + "\n")
    result, _ = evaluate()
    assert isinstance(result, RunRequest)


def test_sensor_targets_the_full_pipeline_job():
    from dagster import Definitions, asset, define_asset_job

    @asset
    def anything():
        return 1

    defs = Definitions(assets=[anything], jobs=[define_asset_job("oe_full_pipeline")],
                       sensors=[landing_zone_sensor])
    Definitions.validate_loadable(defs)
    assert defs.resolve_sensor_def("landing_zone_sensor").job_name == "oe_full_pipeline"
