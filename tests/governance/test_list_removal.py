"""A lesson of the ICO's 2018 Gangs Matrix notice (people kept on informal lists after removal): a
person removed from a national list leaves every published copy on the next run.

A generated landing zone runs through Dagster; a person known only from the OCG Mapping (and ranked
by the offender score for it) is removed from their group by the next OCG Mapping delivery (a row
with Action D, as the national system sends it); after the next run, no gold file, serving file or
mart in the warehouse holds their person id, its keyed pseudonym, or their name, date of birth or PNC id.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook, load_workbook

from oe_platform.config import Settings, load_settings
from oe_platform.governance.pseudonym import PSEUDONYM_KEY_ENV
from tests.governance.scan import distinctive, scan_bytes, scan_decoded, source_identifiers

pytestmark = pytest.mark.slow


def _run(settings: Settings):
    from orchestration.run import run_pipeline

    result = run_pipeline(settings, log_level="WARNING")
    assert result.success and not result.failed_checks, result.failed_checks
    return result


def _listed_only_person(warehouse: Path) -> tuple[str, str, str, set[str]]:
    """A person ranked as a high-harm offender whose one record is an OCG Mapping nominal:
    (person_id, ocg_id, nominal_id, the identifying values no other record holds)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        row = con.execute(
            "with listed_only as (select person_id from conformed.person_source_record group by person_id "
            "having bool_and(source_name = 'ocgm') and count(*) = 1) "
            "select records.person_id, records.person_record_id, nominals.ocg_id, nominals.nominal_id, "
            "nominals.forename_raw, nominals.surname_raw, cast(nominals.date_of_birth as varchar), nominals.pnc_id "
            "from conformed.person_source_record as records "
            "inner join listed_only on records.person_id = listed_only.person_id "
            "inner join marts.mart_oe__high_harm_offenders as ranked on records.person_id = ranked.person_id "
            "inner join staging.stg_ocgm__nominals as nominals "
            "on records.person_record_id = nominals.person_record_id and nominals.is_current "
            "order by records.person_id limit 1"
        ).fetchone()
    finally:
        con.close()
    assert row, "the generated landing zone has no ranked person known only from the OCG Mapping"
    person_id, record_id, ocg_id, nominal_id, *values = row
    others = source_identifiers(warehouse, except_records={record_id})
    return person_id, ocg_id, nominal_id, {v.strip() for v in values if v and v.strip()} - others


def _deliver_removal(landing: Path, ocg_id: str, nominal_id: str, on: date) -> Path:
    """The next OCG Mapping delivery: the nominal's row as last delivered, with Action D."""
    header, removed = None, None
    for path in sorted((landing / "ocgm").rglob("*.xlsx")):
        sheet = load_workbook(path, read_only=True)["Nominals"]
        rows = list(sheet.iter_rows(values_only=True))
        header = list(rows[0])
        for row in rows[1:]:
            if row[header.index("OCG URN")] == ocg_id and row[header.index("Nominal URN")] == nominal_id:
                removed = list(row)
    assert header and removed, f"{ocg_id}/{nominal_id} is in no OCG Mapping workbook"
    removed[header.index("Action")] = "D"
    book = Workbook()
    groups = book.active
    groups.title = "OCGs"
    first = load_workbook(sorted((landing / "ocgm").rglob("*.xlsx"))[0], read_only=True)["OCGs"]
    groups.append(list(next(first.iter_rows(values_only=True))))
    nominals = book.create_sheet("Nominals")
    nominals.append(header)
    nominals.append(removed)
    target = landing / "ocgm" / "national" / on.isoformat() / f"OCGM_{on:%Y%m%d}.xlsx"
    target.parent.mkdir(parents=True)
    book.save(target)
    return target


def _published(settings: Settings) -> list[Path]:
    files = [p for p in settings.gold.rglob("*.parquet") if not p.name.startswith(".")]
    files += list(settings.serving.glob("*.duckdb"))
    assert len(files) > 10
    return files


def _mart_cells(warehouse: Path, value: str) -> list[str]:
    con = duckdb.connect(str(warehouse), read_only=True)
    hits = []
    try:
        for (table,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' and database_name = current_database()"
        ).fetchall():
            columns = [r[0] for r in con.execute(
                "select column_name from information_schema.columns where table_schema = 'marts' and table_name = ? "
                "and table_catalog = current_database()", [table]).fetchall()]
            condition = " or ".join(f'cast("{c}" as varchar) like ?' for c in columns)
            found = con.execute(f'select count(*) from marts."{table}" where {condition}',
                                [f"%{value}%"] * len(columns)).fetchone()[0]
            if found:
                hits.append(f"marts.{table}: {found} row(s)")
    finally:
        con.close()
    return hits


def test_a_person_removed_from_the_ocg_mapping_leaves_every_published_copy_on_the_next_run(tmp_path: Path):
    from oe_platform.dbt_runner import prepare_manifest
    from oe_platform.synth import generate

    (tmp_path / "shared").mkdir()
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake",
                             warehouse=tmp_path / "warehouse" / "oe.duckdb", shared_data=tmp_path / "shared")
    generate(persons=500, seed=11, start=date(2025, 1, 1), months=2, out=settings.landing,
             truth_out=tmp_path / "truth", progress=False)
    saved = dict(os.environ)
    os.environ.update({**settings.env(), "DAGSTER_HOME": str(tmp_path / "dagster_home")})
    os.environ.pop("OE_DBT_TARGET", None)
    try:
        prepare_manifest(settings)
        _run(settings)
        person_id, ocg_id, nominal_id, identifiers = _listed_only_person(settings.warehouse)
        pseudonym = hmac.new(os.environ[PSEUDONYM_KEY_ENV].encode(), person_id.encode(), hashlib.sha256).hexdigest()
        values = {person_id, pseudonym} | distinctive(identifiers)
        assert distinctive(identifiers), "the person's name, birth date and PNC id are all shared with others"
        # before: the person is in the published files (the ranked mart, the profile, the cohort's pseudonym)
        published = _published(settings)
        before = scan_decoded(published, {person_id, pseudonym})
        assert any("mart_oe__high_harm_offenders" in hit for hit in before)
        assert any("mart_strategic__oe_cohort" in hit for hit in before)
        assert _mart_cells(settings.warehouse, person_id)

        _deliver_removal(settings.landing, ocg_id, nominal_id, date(2025, 3, 3))
        _run(settings)

        published = _published(settings)
        assert scan_bytes(published, values) == []
        assert scan_decoded(published, values) == []
        assert _mart_cells(settings.warehouse, person_id) == []
        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            still_listed = con.execute(
                "select count(*) from staging.stg_ocgm__nominals where ocg_id = ? and nominal_id = ? and is_current",
                [ocg_id, nominal_id]).fetchone()[0]
        finally:
            con.close()
        assert still_listed == 0
    finally:
        os.environ.clear()
        os.environ.update(saved)
