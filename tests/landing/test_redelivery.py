"""Re-running and re-delivering: identical files change nothing; a corrected re-delivery supersedes the
earlier rows by source key while bronze keeps every version; deletions at source arrive as record
action 'D'; a quarantined file is retried when its contract changes."""

from __future__ import annotations

import shutil
from datetime import date

import duckdb
import pytest
from click.testing import CliRunner

from oe_platform.bench import build_landing_zone
from oe_platform.cli import main
from oe_platform.config import load_settings
from oe_platform.contracts import load_contracts, parse_contract
from oe_platform.landing import ingest as ingest_module
from oe_platform.landing.ingest import ingest, read_manifest
from oe_platform.synth import generate
from tests.landing.helpers import (
    CRIMES_HEADER,
    assert_nothing_lost,
    bronze,
    crime_row,
    lake_snapshot,
    only_file,
)

# The versioning rule of the staging models (stg_crime__crimes): the latest delivery wins, then the
# latest load, then the last row of the file.
LATEST_SQL = """
select crime_ref, status, coalesce(upper(record_action), 'I') = 'D' as deleted
from read_parquet('{glob}', union_by_name = true, hive_partitioning = false)
qualify row_number() over (
    partition by _force_code, crime_ref order by _delivery_date desc, _loaded_at desc, _row_number desc
) = 1
order by crime_ref
"""


def latest_versions(settings) -> list[tuple]:
    glob = settings.bronze / "crime" / "crimes" / "**" / "*.parquet"
    con = duckdb.connect()
    try:
        return con.sql(LATEST_SQL.format(glob=glob)).fetchall()
    finally:
        con.close()


def write(folder, name, *rows):
    (folder / name).write_text("\n".join([CRIMES_HEADER, *rows]) + "\n")


def test_corrected_redelivery_supersedes_by_key_and_keeps_history(platform_dirs, landing_day):
    write(landing_day(day="2025-01-08"), "crimes_20250108.csv", crime_row("K1"), crime_row("K2"), crime_row("K3"))
    ingest(platform_dirs)
    # next day: K1 corrected, K2 deleted at source
    write(landing_day(day="2025-01-09"), "crimes_20250109.csv",
          crime_row("K1", status="closed"), crime_row("K2", action="D"))
    ingest(platform_dirs)
    assert len(bronze(platform_dirs, "crime", "crimes")) == 5  # every version kept
    assert latest_versions(platform_dirs) == [("K1", "closed", False), ("K2", "open", True), ("K3", "open", False)]
    assert_nothing_lost(platform_dirs)


def test_a_file_replaced_in_place_is_loaded_again_and_wins_by_load_order(platform_dirs, landing_day):
    folder = landing_day()
    write(folder, "crimes_20250108.csv", crime_row("K1"))
    ingest(platform_dirs)
    write(folder, "crimes_20250108.csv", crime_row("K1", status="charged"))
    summary = ingest(platform_dirs)
    result = only_file(summary, "crimes_20250108.csv")
    assert result.status == "loaded"
    entry = read_manifest(platform_dirs.meta)[-1]
    assert "replaces the earlier content of this path" in entry["note"]
    assert latest_versions(platform_dirs) == [("K1", "charged", False)]
    loaded_at = [r["_loaded_at"] for r in bronze(platform_dirs, "crime", "crimes")]
    assert len(set(loaded_at)) == 2
    assert_nothing_lost(platform_dirs)


def test_loaded_at_is_strictly_increasing_in_load_order(platform_dirs, landing_day):
    folder = landing_day()
    for i in range(5):
        write(folder, f"crimes_{i}.csv", crime_row(f"K{i}"))
    ingest(platform_dirs)
    rows = bronze(platform_dirs, "crime", "crimes")
    by_name = sorted((r["crime_ref"], r["_loaded_at"]) for r in rows)
    stamps = [stamp for _, stamp in by_name]
    assert stamps == sorted(stamps) and len(set(stamps)) == 5


def test_rerun_changes_nothing_at_all(platform_dirs, landing_day):
    write(landing_day(), "crimes_20250108.csv", crime_row("K1"), "K2,broken")
    (landing_day() / "crimes_bad.csv").write_text("Nope\n1\n")
    ingest(platform_dirs)
    snapshot = {p: p.stat().st_mtime_ns for p in platform_dirs.lake.rglob("*") if p.is_file()}
    manifest = read_manifest(platform_dirs.meta)
    assert ingest(platform_dirs).files == []
    assert read_manifest(platform_dirs.meta) == manifest
    after = {p: p.stat().st_mtime_ns for p in platform_dirs.lake.rglob("*") if p.is_file()}
    changed = {p for p in after if after[p] != snapshot.get(p)}
    assert changed == set(), "a re-run rewrote lake files"
    assert_nothing_lost(platform_dirs)


def test_quarantined_file_is_retried_when_its_contract_changes(platform_dirs, landing_day, tmp_path, monkeypatch):
    header = CRIMES_HEADER.replace("Status", "CrimeStatus")
    (landing_day() / "crimes_20250108.csv").write_text(header + "\n" + crime_row("K1") + "\n")
    first = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert first.status == "quarantined"
    assert ingest(platform_dirs).files == []  # unchanged contract: not tried again
    # the contract owner accepts the new column name
    changed = tmp_path / "crime.yml"
    changed.write_text(load_contracts()["crime"].path.read_text().replace("Status: status", "CrimeStatus: status", 1))
    contracts = {**load_contracts(), "crime": parse_contract(changed)}
    monkeypatch.setattr(ingest_module, "load_contracts", lambda: contracts)
    retried = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    assert (retried.status, retried.rows_accepted) == ("loaded", 1)
    entries = [m for m in read_manifest(platform_dirs.meta) if m["path"].endswith("crimes_20250108.csv")]
    assert [e["status"] for e in entries] == ["quarantined", "loaded"]
    assert "retry of a file quarantined" in entries[-1]["note"]
    assert_nothing_lost(platform_dirs)


def test_retry_failed_forces_another_attempt(platform_dirs, landing_day):
    (landing_day() / "crimes_20250108.csv").write_text("Nope\n")
    ingest(platform_dirs)
    assert ingest(platform_dirs).files == []
    again = ingest(platform_dirs, retry_failed=True)
    assert [f.status for f in again.files] == ["quarantined"]
    assert len(read_manifest(platform_dirs.meta)) == 2


def test_identical_copies_in_one_run_load_once(platform_dirs, landing_day):
    for day in ("2025-01-08", "2025-01-09", "2025-01-10"):
        write(landing_day(day=day), "crimes_x.csv", crime_row("K1"))
    summary = ingest(platform_dirs)
    assert sorted(f.status for f in summary.files) == ["duplicate", "duplicate", "loaded"]
    assert len(bronze(platform_dirs, "crime", "crimes")) == 1
    assert_nothing_lost(platform_dirs)


class CountingPool(ingest_module.ProcessPoolExecutor):
    """The real process pool, counting the files handed to its workers."""

    submitted: list[str] = []

    def submit(self, fn, job, *args, **kwargs):
        CountingPool.submitted.append(job.landed.relative)
        return super().submit(fn, job, *args, **kwargs)


def test_parallel_ingest_of_many_files_equals_the_serial_one(tmp_path, monkeypatch):
    """A month of every source for every force (about a thousand files) with dirty files of every layout
    beside it, parsed by two worker processes: bronze, rejects, warnings and the manifest (in the same
    order) equal those of one process."""
    landing = tmp_path / "landing"
    generate(persons=500, seed=5, start=date(2025, 1, 1), months=1, out=landing, truth_out=tmp_path / "truth",
             progress=False)
    build_landing_zone(tmp_path / "dirty", rows=2000, dirty=True)
    shutil.copytree(tmp_path / "dirty", landing, dirs_exist_ok=True)
    serial, parallel = (load_settings(landing=landing, lake=tmp_path / name, shared_data=tmp_path / "none")
                        for name in ("serial", "parallel"))
    monkeypatch.setattr(ingest_module, "ProcessPoolExecutor", CountingPool)
    CountingPool.submitted = []
    one = ingest(serial, workers=1)
    assert CountingPool.submitted == []
    two = ingest(parallel, workers=2)
    # every file with rows went to a worker (copies of a file already seen, and files not parsed, did not)
    with_rows = {f.path for f in two.files if f.rows_read}
    assert with_rows <= set(CountingPool.submitted) <= {f.path for f in two.files}
    assert len(CountingPool.submitted) >= ingest_module.PARALLEL_MIN_FILES
    assert one.rows_rejected > 0 and one.rows_warned > 0 and one.count("loaded") > 1000
    assert lake_snapshot(parallel) == lake_snapshot(serial)
    timing = {"started_at", "finished_at", "duration_ms", "run_id", "modified_at"}

    def kept(settings):
        return [{k: v for k, v in row.items() if k not in timing} for row in read_manifest(settings.meta)]

    assert kept(parallel) == kept(serial)
    assert_nothing_lost(parallel)


def test_few_files_are_parsed_in_process_and_the_workers_come_from_the_setting(platform_dirs, landing_day,
                                                                               monkeypatch):
    for i in range(4):
        write(landing_day(day=f"2025-01-1{i}"), f"crimes_{i}.csv", crime_row(f"K{i}"), f"K{i}x,broken")
    monkeypatch.setattr(ingest_module, "ProcessPoolExecutor", CountingPool)
    CountingPool.submitted = []
    summary = ingest(platform_dirs, workers=2)
    assert CountingPool.submitted == []  # four files: starting workers would cost more than it saves
    assert summary.count("loaded") == 4 and summary.rows_accepted == 4 and summary.rows_rejected == 4
    assert_nothing_lost(platform_dirs)
    monkeypatch.setenv("OE_INGEST_WORKERS", "3")
    assert ingest_module.resolve_workers() == 3 and ingest_module.resolve_workers(1) == 1
    monkeypatch.delenv("OE_INGEST_WORKERS")
    assert 1 <= ingest_module.resolve_workers() <= ingest_module.MAX_DEFAULT_WORKERS
    monkeypatch.setenv("OE_INGEST_WORKERS", "two")
    with pytest.raises(ingest_module.WorkersError, match="OE_INGEST_WORKERS"):
        ingest(platform_dirs)
    outcome = CliRunner().invoke(main, ["ingest", "--workers", "0"])
    assert outcome.exit_code == 1 and "must be a whole number above 0" in outcome.output


def test_a_failure_mid_file_leaves_no_rows_behind(platform_dirs, landing_day, monkeypatch):
    write(landing_day(), "crimes_20250108.csv", crime_row("K1"), "K2,broken")

    def broken_rejects(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ingest_module, "_side_rows", broken_rejects)  # fails after bronze was written
    result = only_file(ingest(platform_dirs), "crimes_20250108.csv")
    monkeypatch.undo()
    assert result.status == "failed" and "disk full" in result.error and "platform bug" in result.error
    assert bronze(platform_dirs, "crime", "crimes") == []  # the bronze rows written before the failure are gone
    assert_nothing_lost(platform_dirs)
    # and a retry after the fault is fixed loads it
    retried = only_file(ingest(platform_dirs, retry_failed=True), "crimes_20250108.csv")
    assert (retried.status, retried.rows_accepted, retried.rows_rejected) == ("loaded", 1, 1)
    assert_nothing_lost(platform_dirs)


def test_identical_bytes_from_another_force_or_source_are_a_delivery_of_their_own(platform_dirs, landing_day):
    """Byte-identical files share an outcome only within one force's (or partner's) kind of file: an
    empty partner file does not quarantine a force's empty JSON-lines day, and the same rows from two
    forces are two deliveries, each in bronze under its own file id."""
    (landing_day("canonical", "acme-ppu", "2025-01-08") / "events.csv").write_bytes(b"")
    (landing_day("crime", "warwickshire", "2025-01-08") / "crimes_20250108.jsonl").write_bytes(b"")
    (landing_day("crime", "west-mercia", "2025-01-09") / "crimes_20250109.jsonl").write_bytes(b"")
    write(landing_day(force="essex"), "crimes_x.csv", crime_row("K1"))
    write(landing_day(force="kent"), "crimes_x.csv", crime_row("K1"))
    write(landing_day(force="kent", day="2025-01-09"), "crimes_x.csv", crime_row("K1"))  # kent again
    summary = ingest(platform_dirs)
    by_path = {f.path: f for f in summary.files}
    partner = by_path["canonical/acme-ppu/2025-01-08/events.csv"]
    assert partner.status == "quarantined" and "the file is empty" in partner.error
    for path in ("crime/warwickshire/2025-01-08/crimes_20250108.jsonl",
                 "crime/west-mercia/2025-01-09/crimes_20250109.jsonl"):
        assert (by_path[path].status, by_path[path].rows_read) == ("loaded", 0), by_path[path].error
    assert [by_path[f"crime/{force}/2025-01-08/crimes_x.csv"].status for force in ("essex", "kent")] == ["loaded"] * 2
    assert by_path["crime/kent/2025-01-09/crimes_x.csv"].status == "duplicate"
    rows = bronze(platform_dirs, "crime", "crimes")
    assert sorted(r["_force_code"] for r in rows) == ["essex", "kent"]
    assert len({r["_file_id"] for r in rows}) == 2
    assert_nothing_lost(platform_dirs)
    # a later run sees the same: nothing new, and the partner's fixed file is its own matter
    assert ingest(platform_dirs).files == []
