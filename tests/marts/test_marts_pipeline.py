"""The OE marts through the real pipeline (Dagster, dbt, linkage, DuckDB) on partners' canonical
deliveries: one person known to three partners in two force areas arrives as one row in every mart
that holds them, with reasons naming both forces; a namesake stays a different person."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import Settings, load_settings

pytestmark = pytest.mark.slow

PERSON_FIELDS = ["record_id", "forename", "middle_names", "surname", "date_of_birth", "sex", "address", "postcode",
                 "phone", "email", "pnc_id", "cro_number", "nhs_number", "aliases"]
EVENT_FIELDS = ["event_id", "event_type", "occurred_at", "force_code", "offence_code", "location_postcode",
                "description"]

# The same 17-year-old, as three partners know him (keying differences, one PNC ID).
RUNNER = {"forename": "JAYDEN", "surname": "OKAFOR", "date_of_birth": "2007-03-14", "sex": "M",
          "pnc_id": "1979/0163001B", "postcode": "CM1 1AA"}


def _write(path: Path, fields: list[str], rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields)
        writer.writeheader()
        for row in rows:
            writer.writerow({f: row.get(f, "") for f in fields})


def _delivery(landing: Path, partner: str, day: str, persons: list[dict], events: list[dict],
              links: list[tuple[str, str, str]]) -> None:
    folder = landing / "canonical" / partner / day
    _write(folder / "persons.csv", PERSON_FIELDS, persons)
    _write(folder / "events.csv", EVENT_FIELDS, events)
    _write(folder / "person_events.csv", ["record_id", "event_id", "role"],
           [{"record_id": r, "event_id": e, "role": role} for r, e, role in links])


def _landing(landing: Path) -> None:
    # Essex police: two supply offences; a local man as victim of one; an unrelated shoplifter.
    _delivery(landing, "essexpd", "2024-12-02",
              [{"record_id": "E1", **RUNNER, "address": "1 HIGH STREET CHELMSFORD"},
               {"record_id": "E2", "forename": "MARK", "surname": "BENTLEY", "date_of_birth": "1970-05-01", "sex": "M"},
               {"record_id": "E3", "forename": "SUSAN", "surname": "PRICE", "date_of_birth": "1985-02-11", "sex": "F"}],
              [{"event_id": "EC1", "event_type": "crime", "occurred_at": "2024-11-03T21:00:00", "force_code": "essex",
                "offence_code": "92A"},
               {"event_id": "EC2", "event_type": "crime", "occurred_at": "2024-11-20T22:00:00", "force_code": "essex",
                "offence_code": "92A"},
               {"event_id": "EC3", "event_type": "crime", "occurred_at": "2024-11-21T10:00:00", "force_code": "essex",
                "offence_code": "46"}],
              [("E1", "EC1", "suspect"), ("E1", "EC2", "suspect"), ("E2", "EC2", "victim"), ("E3", "EC3", "suspect")])
    # Kent police: he is found there after going missing, and arrested for supply.
    _delivery(landing, "kentpd", "2024-12-03",
              [{"record_id": "K77", **RUNNER, "forename": "JAYDON", "phone": "07700 900123"}],
              [{"event_id": "KM1", "event_type": "missing_found", "occurred_at": "2024-11-25T08:00:00",
                "force_code": "kent"},
               {"event_id": "KC1", "event_type": "crime", "occurred_at": "2024-11-26T01:00:00", "force_code": "kent",
                "offence_code": "92A"}],
              [("K77", "KM1", "missing_person"), ("K77", "KC1", "suspect")])
    # A children's services partner: a safeguarding referral; and a namesake born 30 years earlier.
    _delivery(landing, "childsvc", "2024-12-04",
              [{"record_id": "S-9", **RUNNER, "pnc_id": "", "phone": "+447700900123"},
               {"record_id": "S-10", "forename": "JAYDEN", "surname": "OKAFOR", "date_of_birth": "1977-08-30",
                "sex": "M", "postcode": "ME1 1AA"}],
              [{"event_id": "SR1", "event_type": "safeguarding_referral", "occurred_at": "2024-11-28T12:00:00",
                "force_code": "kent"}],
              [("S-9", "SR1", "subject")])


@pytest.fixture(scope="module")
def marts_pipeline(tmp_path_factory: pytest.TempPathFactory):
    from oe_platform.dbt_runner import prepare_manifest

    root = tmp_path_factory.mktemp("marts_pipeline")
    settings: Settings = load_settings(landing=root / "landing", lake=root / "lake",
                                       warehouse=root / "warehouse" / "oe.duckdb")
    _landing(settings.landing)
    saved = dict(os.environ)
    os.environ.update(settings.env())
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        prepare_manifest(settings)
        from orchestration.run import run_pipeline

        yield settings, run_pipeline(settings, log_level="WARNING")
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _rows(settings: Settings, sql: str) -> list[tuple]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()


def test_the_run_succeeds_with_every_check(marts_pipeline):
    _, result = marts_pipeline
    assert result.success
    assert result.failed_checks == []


def test_one_person_in_two_forces_and_three_partners_is_one_row_in_each_mart(marts_pipeline):
    settings, _ = marts_pipeline
    people = _rows(settings, """
        select distinct person_id from conformed.person_source_record
        where record_ref in ('E1', 'K77', 'S-9')""")
    assert len(people) == 1, "the three partners' records of one person resolve to one person"
    person = people[0][0]
    for mart in ("mart_oe__high_harm_offenders", "mart_safeguarding__vulnerable_persons",
                 "mart_oe__cross_border_nominals", "mart_oe__nominal_profile", "mart_oe__intel_gaps"):
        assert _rows(settings, f"select count(*) from marts.{mart} where person_id = '{person}'") == [(1,)], mart
    (offender_reasons,), = _rows(settings, f"""
        select reasons from marts.mart_oe__high_harm_offenders where person_id = '{person}'""")
    assert "3 offences" in offender_reasons and "essex, kent" in offender_reasons
    (border_reasons, forces), = _rows(settings, f"""
        select reasons, forces from marts.mart_oe__cross_border_nominals where person_id = '{person}'""")
    assert forces == "essex, kent"
    assert "essex (canonical)" in border_reasons and "kent (canonical)" in border_reasons
    (vulnerable_reasons, is_child), = _rows(settings, f"""
        select reasons, is_child from marts.mart_safeguarding__vulnerable_persons where person_id = '{person}'""")
    assert is_child and "missing 1 time" in vulnerable_reasons and "1 safeguarding referral" in vulnerable_reasons
    (flags,), = _rows(settings, f"select flags from marts.mart_oe__nominal_profile where person_id = '{person}'")
    assert "cross_border" in flags and "offender_and_vulnerable" in flags and "child" in flags


def test_the_namesake_is_another_person_and_the_victim_is_never_an_offender(marts_pipeline):
    settings, _ = marts_pipeline
    rows = _rows(settings, """
        select record_ref, person_id from conformed.person_source_record where record_ref in ('E1', 'S-10', 'E2')""")
    people = dict(rows)
    assert people["S-10"] != people["E1"]
    assert _rows(settings, f"""
        select count(*) from marts.mart_oe__high_harm_offenders where person_id = '{people["E2"]}'""") == [(0,)]


def test_the_strategic_mart_counts_people_and_suppresses(marts_pipeline):
    settings, _ = marts_pipeline
    rows = _rows(settings, """
        select force_code, event_type, is_suppressed, event_count, person_count
        from marts.mart_strategic__oe_monthly_by_force where month_start = date '2024-11-01' order by 1, 2""")
    # every cell of this tiny delivery is below the threshold of 5, so nothing is published
    assert rows and all(r[2] and r[3] is None and r[4] is None for r in rows)
    assert {(r[0], r[1]) for r in rows} >= {("essex", "crime"), ("essex", "all"), ("kent", "all")}
