"""Incremental staging (macros/incremental_staging.sql, oe_platform/staging_state.py).

A warehouse staged month by month, incrementally, holds exactly what a warehouse staged from all the
deliveries at once holds, including the current-version flags of records delivered again in the later
month; and the pipeline rebuilds staging whole whenever something already staged has changed."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT, Settings, load_settings
from oe_platform.dbt_runner import DbtFailed, run_dbt
from oe_platform.landing.ingest import ingest
from oe_platform.staging_state import (
    STATE_FILE,
    TEST_FILES_ENV,
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


# --- a delivery day's data tests (macros/staging_test_scope.sql) -------------------------------------

def _test_results(settings: Settings, target: Path, select: list[str], monkeypatch: pytest.MonkeyPatch,
                  env: dict[str, str]) -> dict[str, str]:
    """`dbt test --select …` with `env` (and without the day's variable otherwise): test name -> status."""
    monkeypatch.delenv(TEST_FILES_ENV, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    try:
        run_dbt(["test", "--quiet", "--target-path", str(target), "--select", *select], settings)
    except DbtFailed:
        pass  # a failing test is what some calls look for
    finally:
        monkeypatch.delenv(TEST_FILES_ENV, raising=False)
    results = json.loads((target / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[2]: r["status"] for r in results}


def test_a_delivery_days_data_tests_check_the_new_files_rows_and_catch_a_bad_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for key in ("OE_LANDING", "OE_LAKE", "OE_WAREHOUSE", "OE_SHARED_DATA", TEST_FILES_ENV):
        monkeypatch.delenv(key, raising=False)
    generate(persons=500, seed=6, start=date(2025, 1, 1), months=2, out=tmp_path / "all",
             truth_out=tmp_path / "truth", progress=False)
    _split_by_delivery(tmp_path / "all", tmp_path / "early", tmp_path / "late", "2025-02-01")
    models = incremental_models()
    settings = _stage(tmp_path / "day", [tmp_path / "early"], models)
    target = tmp_path / "day" / "target"

    # the first build's record: no earlier build whose tests passed, so every row is checked
    first = plan_staging_build(settings)
    assert first.test_files is None and first.test_env() == {}
    assert record_staging_build(settings, first, {"results": [
        {"unique_id": "model.oe_platform.stg_crime__crimes", "status": "success"},
        {"unique_id": "test.oe_platform.column_values_stg_crime__crimes", "status": "pass"}]})

    # the next delivery: its files, and only those, are what the day's tests check
    shutil.copytree(tmp_path / "late", settings.landing, dirs_exist_ok=True, copy_function=os.link)
    ingest(settings, workers=1)
    run_dbt(["run", "--quiet", "--target-path", str(target), "--select", *models], settings)
    day = plan_staging_build(settings)
    assert day.full_refresh_reason is None and day.test_files
    con = duckdb.connect(str(settings.warehouse))
    late_ids = {row[0] for row in con.execute(
        "select distinct _file_id from staging.stg_crime__crimes where _delivery_date >= date '2025-02-01'").fetchall()}
    early_id = con.execute("select min(_file_id) from staging.stg_crime__crimes "
                           "where _delivery_date < date '2025-02-01'").fetchall()[0][0]
    con.close()  # dbt needs the warehouse to itself
    assert late_ids and late_ids <= set(day.test_files) and early_id not in day.test_files
    late_id = sorted(late_ids)[0]

    tests = ["column_values_stg_crime__crimes", "row_count_matches_stg_crime__crimes_source_bronze_crime__crimes_"]
    def statuses(env: dict[str, str]) -> dict[str, str]:
        found = _test_results(settings, target, ["stg_crime__crimes"], monkeypatch, env)
        return {name: next(s for n, s in found.items() if n.startswith(name)) for name in tests}

    # clean data: both pass, scoped or not; the scoped tests read only the day's files
    assert set(statuses(day.test_env()).values()) == {"pass"}
    compiled = {p.name: p.read_text() for p in target.rglob("*.sql") if "stg_crime__crimes" in p.name}
    scoped = [text for name, text in compiled.items() if name.startswith(tuple(tests))]
    assert scoped and all(f"_file_id in ('{late_id}'" in text or f"'{late_id}'" in text for text in scoped)
    assert set(statuses({}).values()) == {"pass"}

    # a broken row in one of the day's files fails the scoped test …
    con = duckdb.connect(str(settings.warehouse))
    con.execute("update staging.stg_crime__crimes set occurred_from_status = 'no such status' "
                "where crime_id = (select min(crime_id) from staging.stg_crime__crimes where _file_id = ?)", [late_id])
    con.commit()
    con.close()
    assert statuses(day.test_env())["column_values_stg_crime__crimes"] == "fail"
    # … a row of the day's files lost from staging fails the scoped reconciliation with bronze …
    con = duckdb.connect(str(settings.warehouse))
    con.execute("update staging.stg_crime__crimes set occurred_from_status = 'valid' "
                "where occurred_from_status = 'no such status'")
    con.execute("delete from staging.stg_crime__crimes "
                "where crime_id = (select min(crime_id) from staging.stg_crime__crimes where _file_id = ?)", [late_id])
    # … while a broken row of a file checked on an earlier day is left to that day's verdict
    con.execute("update staging.stg_crime__crimes set occurred_from_status = 'no such status' "
                "where crime_id = (select min(crime_id) from staging.stg_crime__crimes where _file_id = ?)", [early_id])
    con.commit()
    con.close()
    day_verdict = statuses(day.test_env())
    assert day_verdict[tests[1]] == "fail"
    assert day_verdict["column_values_stg_crime__crimes"] == "pass"
    assert set(statuses({}).values()) == {"fail"}  # without the scope every row is read


def test_the_files_to_test_run_from_the_last_build_whose_tests_passed(tmp_path: Path):
    settings = _settings(tmp_path)
    manifest = settings.meta / "file_manifest.parquet"
    manifest.parent.mkdir(parents=True, exist_ok=True)

    def land(*file_ids: str) -> None:
        """Ingest bookkeeping of `file_ids`, finished now (appended to the manifest)."""
        rows = " union all ".join(f"select '{f}' as file_id, now() as finished_at" for f in file_ids)
        old = f"select * from read_parquet('{manifest}') union all " if manifest.exists() else ""
        written = manifest.with_name("next.parquet")
        with duckdb.connect() as con:
            con.execute(f"copy (select * from ({old}{rows})) to '{written}' (format parquet)")
        os.replace(written, manifest)

    passed = {"results": [{"unique_id": "model.oe_platform.stg_crime__crimes", "status": "success"},
                          {"unique_id": "test.oe_platform.not_null_x", "status": "pass"},
                          {"unique_id": "test.oe_platform.quarantined_y", "status": "warn"}]}
    failed = {"results": [{"unique_id": "model.oe_platform.stg_crime__crimes", "status": "success"},
                          {"unique_id": "test.oe_platform.not_null_x", "status": "fail"}]}
    land("a", "b")
    full = plan_staging_build(settings)
    assert full.full_refresh_reason and full.test_files is None
    assert record_staging_build(settings, full, passed)

    land("c")
    day1 = plan_staging_build(settings)
    assert day1.test_files == ("c",)
    assert day1.test_env() == {TEST_FILES_ENV: "files:c"}
    assert record_staging_build(settings, day1, failed)  # staged, but a test failed: c is checked again

    land("d")
    day2 = plan_staging_build(settings)
    assert day2.test_files == ("c", "d")
    assert record_staging_build(settings, day2, passed)
    day3 = plan_staging_build(settings)
    assert day3.test_files == () and day3.test_env() == {TEST_FILES_ENV: "files:"}

    # a full refresh whose tests fail leaves no mark: the next build checks every row
    bronze_rewritten(settings, "erasure")
    refresh = plan_staging_build(settings)
    assert refresh.full_refresh_reason and refresh.test_files is None
    assert record_staging_build(settings, refresh, failed)
    after = plan_staging_build(settings)
    assert after.full_refresh_reason is None and after.test_files is None
    assert "no earlier build" in after.test_scope_reason


def test_a_file_replaced_in_place_supersedes_the_version_it_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A partner corrects a surname and delivers persons.csv again under the same path and date: the
    correction is current, whichever of the two files' ids (content hashes) sorts first. The later
    load wins (`_loaded_at`), as docs/ingest.md says."""
    import hashlib

    for key in ("OE_LANDING", "OE_LAKE", "OE_WAREHOUSE", "OE_SHARED_DATA"):
        monkeypatch.delenv(key, raising=False)
    header = "record_id,forename,surname,date_of_birth\n"
    original = header + "P-1,Lisa,Ross,1990-01-02\nP-2,Tom,Hale,1985-03-04\n"
    corrected = header + "P-1,Lisa,Ross-Corrected,1990-01-02\nP-2,Tom,Hale,1985-03-04\n"
    # blank lines are skipped by ingest: pad the correction until its file id sorts before the
    # original's, the order in which the id alone would have kept the original
    first_id = hashlib.sha256(original.encode()).hexdigest()[:24]
    while hashlib.sha256(corrected.encode()).hexdigest()[:24] > first_id:
        corrected += "\n"
    root = tmp_path / "run"
    settings = load_settings(landing=root / "landing", lake=root / "lake", warehouse=root / "oe.duckdb",
                             shared_data=root / "shared")
    day = settings.landing / "canonical" / "acme-ppu" / "2025-01-10"
    day.mkdir(parents=True)
    target = ["--target-path", str(root / "target")]
    for number, text in enumerate((original, corrected)):
        (day / "persons.csv").write_text(text, encoding="utf-8")  # the same path, delivered again
        ingest(settings, workers=1)
        if number == 0:
            run_dbt(["seed", "--quiet", *target], settings)
        run_dbt(["run", "--quiet", *target, "--select", "stg_canonical__persons"], settings)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        current = con.execute("select record_id, surname_raw from staging.stg_canonical__persons "
                              "where is_current order by 1").fetchall()
        versions = con.execute("select count(*) from staging.stg_canonical__persons").fetchall()[0][0]
    assert current == [("P-1", "Ross-Corrected"), ("P-2", "Hale")]
    assert versions == 4  # both deliveries stay staged; the later one is current
