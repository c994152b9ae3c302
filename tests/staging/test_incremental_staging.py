"""Incremental staging (macros/incremental_staging.sql, oe_platform/staging_state.py).

A warehouse staged month by month, incrementally, holds exactly what a warehouse staged from all the
deliveries at once holds, including the current-version flags of records delivered again in the later
month; and the pipeline rebuilds staging whole whenever something already staged has changed."""

from __future__ import annotations

import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.dbt_runner import run_dbt
from oe_platform.landing.ingest import ingest
from oe_platform.staging_state import (
    STATE_FILE,
    bronze_rewritten,
    code_fingerprint,
    plan_staging_build,
    record_staging_build,
)
from oe_platform.synth import generate

# columns that say when a row was loaded, not what it holds
VOLATILE = {"_loaded_at"}
DELIVERY_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def incremental_models() -> list[str]:
    """Every staging model configured by incremental_staging_config."""
    return sorted(path.stem for path in (REPO_ROOT / "models" / "staging").rglob("*.sql")
                  if "incremental_staging_config(" in path.read_text(encoding="utf-8"))


def _split_by_delivery(landing: Path, early: Path, late: Path, cutoff: str) -> int:
    """Hard-link the files delivered before `cutoff` under early, the rest under late; the late count."""
    late_files = 0
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        relative = path.relative_to(landing)
        found = DELIVERY_DATE.search(relative.as_posix())
        is_late = bool(found and found.group(1) >= cutoff)
        late_files += is_late
        dest = (late if is_late else early) / relative
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(path, dest)
    return late_files


def _stage(root: Path, deliveries: list[Path], models: list[str]) -> Settings:
    """Land, ingest and stage each delivery in turn into one warehouse (dbt run of `models`)."""
    settings = load_settings(landing=root / "landing", lake=root / "lake", warehouse=root / "oe.duckdb",
                             shared_data=root / "shared")
    target = ["--target-path", str(root / "target")]
    for number, delivery in enumerate(deliveries):
        shutil.copytree(delivery, settings.landing, dirs_exist_ok=True, copy_function=os.link)
        ingest(settings, workers=1)
        if number == 0:
            run_dbt(["seed", "--quiet", *target], settings)
        run_dbt(["run", "--quiet", *target, "--select", *models], settings)
    return settings


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> str:
    names = [row[0] for row in con.execute(
        "select column_name from information_schema.columns where table_catalog = ? and table_schema = 'staging' "
        "and table_name = ? order by ordinal_position", [catalog, table]).fetchall()]
    return ", ".join(f'"{name}"' for name in names if name not in VOLATILE)


def test_staging_month_by_month_equals_staging_everything_at_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    models = incremental_models()
    assert len(models) >= 10, models  # the person-row and event models are incremental
    generate(persons=500, seed=5, start=date(2025, 1, 1), months=2, out=tmp_path / "all",
             truth_out=tmp_path / "truth", progress=False)
    late_files = _split_by_delivery(tmp_path / "all", tmp_path / "early", tmp_path / "late", "2025-02-01")
    assert late_files > 20
    for key in ("OE_LANDING", "OE_LAKE", "OE_WAREHOUSE", "OE_SHARED_DATA"):
        monkeypatch.delenv(key, raising=False)

    stepwise = _stage(tmp_path / "stepwise", [tmp_path / "early", tmp_path / "late"], models)
    at_once = _stage(tmp_path / "at_once", [tmp_path / "all"], models)

    con = duckdb.connect()
    con.execute(f"attach '{stepwise.warehouse}' as stepwise (read_only)")
    con.execute(f"attach '{at_once.warehouse}' as at_once (read_only)")
    for model in models:
        columns = _columns(con, "at_once", model)
        assert columns == _columns(con, "stepwise", model), model
        rows = con.execute(f"select count(*) from at_once.staging.{model}").fetchall()[0][0]
        only_stepwise, only_at_once = (
            con.execute(f"select count(*) from (select {columns} from {a}.staging.{model} "
                        f"except all select {columns} from {b}.staging.{model})").fetchall()[0][0]
            for a, b in (("stepwise", "at_once"), ("at_once", "stepwise"))
        )
        assert (only_stepwise, only_at_once) == (0, 0), f"{model}: {rows} rows, {only_stepwise} only in the " \
                                                         f"stepwise build, {only_at_once} only in the other"
    # the later month delivered new versions of records staged before it, and their flags moved
    reversioned = con.execute("""
        select count(*) from (
            select force_code, crime_ref from stepwise.staging.stg_crime__crimes
            group by all
            having min(_delivery_date) < date '2025-02-01' and max(_delivery_date) >= date '2025-02-01'
        )
    """).fetchall()[0][0]
    assert reversioned > 0
    superseded_early = con.execute("""
        select count(*) from stepwise.staging.stg_crime__crimes
        where _delivery_date < date '2025-02-01' and not is_latest_version
    """).fetchall()[0][0]
    assert superseded_early > 0


def _settings(tmp_path: Path) -> Settings:
    return load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=tmp_path / "oe.duckdb")


SUCCESS = {"results": [{"unique_id": "model.oe_platform.stg_crime__persons", "status": "success"},
                       {"unique_id": "model.oe_platform.person", "status": "error"}]}


def test_a_lake_without_a_record_of_a_build_rebuilds_staging_whole_then_adds_only_what_is_new(tmp_path: Path):
    settings = _settings(tmp_path)
    first = plan_staging_build(settings)
    assert first.full_refresh_reason and "no record" in first.full_refresh_reason
    assert record_staging_build(settings, first, SUCCESS)  # a failure outside staging does not matter here
    assert plan_staging_build(settings).full_refresh_reason is None


def test_a_rewritten_bronze_or_changed_code_rebuilds_staging_whole(tmp_path: Path):
    settings = _settings(tmp_path)
    assert record_staging_build(settings, plan_staging_build(settings), SUCCESS)

    bronze_rewritten(settings, "erasure 1234")
    plan = plan_staging_build(settings)
    assert plan.full_refresh_reason and "erasure 1234" in plan.full_refresh_reason
    assert record_staging_build(settings, plan, SUCCESS)
    assert plan_staging_build(settings).full_refresh_reason is None

    # a copy of the project's staging code with one macro changed
    project = tmp_path / "project"
    for name in ("models", "macros", "seeds", "contracts"):
        shutil.copytree(REPO_ROOT / name, project / name)
    shutil.copy(REPO_ROOT / "dbt_project.yml", project / "dbt_project.yml")
    assert code_fingerprint(project) == code_fingerprint(REPO_ROOT)
    assert plan_staging_build(settings, project).full_refresh_reason is None
    macro = project / "macros" / "normalise" / "names.sql"
    macro.write_text(macro.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    changed = plan_staging_build(settings, project)
    assert changed.full_refresh_reason and "code" in changed.full_refresh_reason


def test_a_build_whose_staging_failed_or_was_killed_records_nothing(tmp_path: Path):
    settings = _settings(tmp_path)
    plan = plan_staging_build(settings)
    failed = {"results": [{"unique_id": "model.oe_platform.stg_crime__persons", "status": "error"},
                          {"unique_id": "model.oe_platform.stg_crime__crimes", "status": "success"}]}
    assert not record_staging_build(settings, plan, failed)
    assert not record_staging_build(settings, plan, {})  # killed before dbt wrote run_results.json
    assert not (settings.meta / STATE_FILE).exists()
    assert plan_staging_build(settings).full_refresh_reason
