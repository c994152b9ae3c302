"""Load (issue 10): deliveries from all nine forces and every national source, landed together, are
processed in one run. The session's served pipeline (tests/conftest.py: served_pipeline) lands two
months of the generator's deliveries from every force, national source and canonical partner at
once, and runs them through one Dagster run; this test reads what that one run left."""

from __future__ import annotations

import duckdb

from oe_platform.contracts import NATIONAL, known_forces, load_contracts
from oe_platform.landing.ingest import landed_files, read_manifest


def test_every_force_and_national_source_landed_together_is_processed_in_one_run(served_pipeline):
    settings = served_pipeline.settings
    assert served_pipeline.result.success and not served_pipeline.result.failed_checks

    manifest = read_manifest(settings.meta)
    landed = {f.relative for f in landed_files(settings)}
    assert {m["path"] for m in manifest} == landed, "every landed file is registered"
    assert {m["status"] for m in manifest} <= {"loaded", "duplicate"}, [
        (m["path"], m["status"], m["error"]) for m in manifest if m["status"] not in ("loaded", "duplicate")]
    assert len({m["run_id"] for m in manifest}) == 1, "one ingest registered every file"

    delivered = {(m["source"], m["force_code"]) for m in manifest if m["status"] == "loaded"}
    contracts = load_contracts()
    nine = set(known_forces())
    assert len(nine) == 9
    force_sources = {s for s, c in contracts.items() if nine & {f for lay in c.layouts for f in lay.forces}}
    national_sources = {s for s, c in contracts.items() if any(NATIONAL in lay.forces for lay in c.layouts)}
    assert force_sources == {"crime", "custody", "intel", "missing"}
    for source in force_sources:
        assert {f for s, f in delivered if s == source} == nine, source
    assert {s for s, f in delivered if f == NATIONAL} == national_sources == {"clicm", "nrm", "ocgm", "osint"}
    assert any(s == "canonical" for s, _ in delivered)

    # and that one run carried people from every force and national source through linkage to conformed
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        resolved = set(con.execute(
            "select distinct source_name, force_code from conformed.person_source_record where person_id is not null"
        ).fetchall())
    finally:
        con.close()
    # (a delivery may hold no person records: some forces' missing-person files name none this month)
    assert resolved <= delivered
    assert {f for _, f in resolved} >= nine | {NATIONAL}
    assert {s for s, f in resolved if f == NATIONAL} == national_sources

