"""The data-quality model against the generator's truth: the faults the generator injects into person
records (a date of birth or a postcode left out) must be found by the staging layer, record by record
and as rates, and clean values in every layout must not be flagged.

One small landing zone is generated, ingested and built with `dbt build --select staging` (plus the
seeds) on a throw-away warehouse under tmp_path.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.slow

REPO_ROOT = Path(__file__).resolve().parents[2]
DBT = Path(sys.executable).parent / "dbt"

# The person staging model that stages each (source, entity) of the truth's person records.
PERSON_MODELS = {
    ("crime", "persons"): "stg_crime__persons",
    ("intel", "subjects"): "stg_intel__subjects",
    ("custody", "custody_records"): "stg_custody__detainees",
    ("missing", "episodes"): "stg_missing__missing_persons",
    ("ocgm", "nominals"): "stg_ocgm__nominals",
    ("clicm", "nominals"): "stg_clicm__nominals",
    ("nrm", "referrals"): "stg_nrm__potential_victims",
    ("nrm", "alleged_exploiters"): "stg_nrm__alleged_exploiters",
    ("osint", "observations"): "stg_osint__subjects",
    ("canonical", "persons"): "stg_canonical__persons",
}
# Columns the contracts deliver only "where known" (or "may be estimated"): a missing value there can
# be real, not injected, so only a lower bound holds.
OPTIONAL = {
    ("osint", "observations", "date_of_birth"),
    ("osint", "observations", "postcode"),
    ("nrm", "referrals", "date_of_birth"),
    ("nrm", "referrals", "postcode"),
    ("nrm", "alleged_exploiters", "date_of_birth"),
    ("nrm", "alleged_exploiters", "postcode"),
}
# Rules that mean a delivered value was malformed: the generator writes none, so none may be found.
MALFORMED_RULES = (
    "unparseable", "impossible", "sentinel", "future", "invalid_format", "invalid", "invalid_check_letter",
    "invalid_check_digit", "no_letters", "placeholder",
)
RATE_TOLERANCE = 0.02


@dataclass
class Built:
    con: duckdb.DuckDBPyConnection
    dbt_output: str


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from oe_platform.config import load_settings
    from oe_platform.landing.ingest import ingest
    from oe_platform.synth import NoiseRates, generate

    root = tmp_path_factory.mktemp("dq_vs_truth")
    (root / "shared").mkdir()
    settings = load_settings(
        landing=root / "landing", lake=root / "lake", warehouse=root / "oe.duckdb", shared_data=root / "shared"
    )
    # more missing values than the defaults, so that every person source has some
    rates = NoiseRates(dob_missing=0.15, postcode_missing=0.2)
    generate(persons=500, seed=23, start=date(2025, 1, 1), months=1, out=settings.landing,
             truth_out=root / "truth", rates=rates, progress=False)
    ingest(settings, include_public=False)

    env = {**os.environ, **settings.env(), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    env.pop("OE_DBT_TARGET", None)
    command = [
        str(DBT), "build", "--select", "staging", "resource_type:seed", "--indirect-selection", "buildable",
        "--project-dir", str(REPO_ROOT), "--target-path", str(root / "target"), "--log-path", str(root / "logs"),
    ]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, "dbt build --select staging failed:\n" + run.stdout[-6000:] + run.stderr[-2000:]

    con = duckdb.connect(str(settings.warehouse), read_only=True)
    con.execute(f"create temp table truth as select * from read_parquet('{root / 'truth' / 'person_records.parquet'}')")
    con.execute(
        "create temp table manifest as select file_id, path from "
        f"read_parquet('{settings.meta / 'file_manifest.parquet'}') where status = 'loaded'"
    )
    values = ", ".join(f"('{s}', '{e}', '{m}')" for (s, e), m in PERSON_MODELS.items())
    con.execute(f"create temp table person_models as select * from (values {values}) as t (source, entity, model_name)")
    # person records of the files ingest loaded (it skips a file byte-identical to one already loaded)
    con.execute("create temp table loaded_truth as select * from truth where file_path in (select path from manifest)")
    # ... that the staging layer checks: not deletions (they carry only their key), not Duty to Notify
    # referrals (no identifying details by design)
    con.execute("""
        create temp table checked_truth as
        select truth.*
        from loaded_truth as truth
        where truth.kind != 'deletion' and coalesce(truth.record_action, '') != 'D'
          and not exists (
              select 1
              from staging.stg_nrm__potential_victims as pv
              inner join manifest on pv._file_id = manifest.file_id
              where truth.source = 'nrm' and truth.entity = 'referrals' and pv.is_duty_to_notify
                and manifest.path = truth.file_path and pv._row_number = truth.row_number
          )
    """)
    con.execute("""
        create temp table person_issues as
        select issues.*, manifest.path as file_path, person_models.source, person_models.entity
        from staging.stg_data_quality__issues as issues
        inner join manifest on issues._file_id = manifest.file_id
        inner join person_models on issues.model_name = person_models.model_name
    """)
    yield Built(con, run.stdout)
    con.close()


def fault_comparison(con: duckdb.DuckDBPyConnection, noise: str, column: str, rule: str) -> list[dict]:
    """Per source and entity: truth records, injected faults, flagged records and their overlap."""
    rows = con.execute("""
        with flagged as (
            select distinct file_path, _row_number, record_key
            from person_issues
            where column_name = ? and rule = ?
        )
        select
            t.source,
            t.entity,
            count(*) as records,
            count(*) filter (where t.noise like '%' || ? || '%') as injected,
            count(f.file_path) as flagged,
            count(f.file_path) filter (where t.noise like '%' || ? || '%') as injected_flagged
        from checked_truth as t
        left join flagged as f
            on f.file_path = t.file_path and f._row_number = t.row_number and f.record_key = t.record_key
        group by t.source, t.entity
        order by t.source, t.entity
    """, [column, rule, noise, noise]).fetchall()
    return [dict(zip(("source", "entity", "records", "injected", "flagged", "injected_flagged"), r, strict=True))
            for r in rows]


@pytest.mark.parametrize(
    ("noise", "column", "rule"),
    [
        ("dob_missing", "date_of_birth", "missing"),
        ("postcode_missing", "postcode", "missing"),
        # Not here: a day/month transposition (2001-11-03 for 2001-03-11) is another valid date, so no
        # rule on one record can detect it; linkage compares the two dates (tests/linkage).
    ],
)
def test_injected_faults_are_found(built: Built, noise: str, column: str, rule: str):
    stats = fault_comparison(built.con, noise, column, rule)
    injected = sum(s["injected"] for s in stats)
    found = sum(s["injected_flagged"] for s in stats)
    assert injected > 0, f"the generator injected no {noise}: the comparison proves nothing"
    # record by record: every injected fault is flagged on the same file, row and record key
    assert found / injected >= 0.99, f"{noise}: {found} of {injected} injected faults flagged; {stats}"
    for s in stats:
        optional = (s["source"], s["entity"], column) in OPTIONAL
        truth_rate = s["injected"] / s["records"]
        flagged_rate = s["flagged"] / s["records"]
        if optional:
            # real gaps come on top of the injected ones
            assert flagged_rate >= truth_rate - RATE_TOLERANCE, s
        else:
            assert abs(flagged_rate - truth_rate) <= RATE_TOLERANCE, (
                f"{noise} in {s['source']}/{s['entity']}: flagged {flagged_rate:.3f}, injected {truth_rate:.3f}; {s}"
            )


def test_issue_rates_agree_with_the_issues(built: Built):
    """The aggregate model counts what the issue model lists."""
    mismatches = built.con.execute("""
        with listed as (
            select model_name, force_code, column_name, rule, count(*) as n
            from staging.stg_data_quality__issues
            group by all
        )
        select rates.model_name, rates.force_code, rates.column_name, rates.rule, rates.issue_count, listed.n
        from staging.stg_data_quality__issue_rates as rates
        full outer join listed using (model_name, force_code, column_name, rule)
        where rates.issue_count is distinct from listed.n
           or rates.issue_rate not between 0 and 1
    """).fetchall()
    assert mismatches == []


def test_clean_values_are_not_flagged(built: Built):
    """Dates in every layout's format, short PNC IDs, reformatted phones, legacy encodings: no value
    the generator wrote well-formed is flagged as malformed, and every sex code maps."""
    placeholders = ", ".join("?" for _ in MALFORMED_RULES)
    malformed = built.con.execute(
        f"select source, entity, column_name, rule, count(*) from person_issues "
        f"where rule in ({placeholders}) group by all order by all", list(MALFORMED_RULES)
    ).fetchall()
    assert malformed == []
    unmapped_sex = built.con.execute(
        "select source, count(*) from person_issues where column_name = 'sex' group by all").fetchall()
    assert unmapped_sex == []
    reformatted_flagged = built.con.execute("""
        select count(*)
        from person_issues as i
        inner join checked_truth as t
            on i.file_path = t.file_path and i._row_number = t.row_number and i.record_key = t.record_key
        where i.column_name = 'phone' and t.noise like '%phone_reformatted%'
    """).fetchall()
    assert reformatted_flagged == [(0,)]


def test_every_staged_person_record_is_in_the_truth(built: Built):
    """Staging keeps every person record of every loaded file (nothing dropped, nothing invented)."""
    for (source, entity), model in PERSON_MODELS.items():
        staged, truth = built.con.execute(f"""
            select
                (select count(*) from staging.{model}),
                (select count(*) from loaded_truth where source = ? and entity = ?)
        """, [source, entity]).fetchall()[0]
        assert staged == truth, f"{model}: {staged} staged rows, {truth} person records in the truth"


def test_every_issue_names_its_landed_file_and_what_to_do(built: Built):
    """Each issue carries the path of the file it came from (the manifest's) and the seed's guidance."""
    total, wrong_path, unguided = built.con.execute("""
        select count(*),
               count(*) filter (where issues.landed_path is distinct from manifest.path),
               count(*) filter (where issues.what_to_do like 'No guidance%' or issues.needs_action is null)
        from staging.stg_data_quality__issues as issues
        left join manifest on issues._file_id = manifest.file_id
    """).fetchall()[0]
    assert total > 0 and wrong_path == 0 and unguided == 0


def test_every_documented_rule_has_guidance():
    """Every rule the issue model documents, and every named rule of the checks macro, has a row in
    seed data_quality_rules: an owner is never told 'no guidance'."""
    import csv
    import re

    import yaml

    seeded = {row["rule"] for row in csv.DictReader((REPO_ROOT / "seeds" / "data_quality_rules.csv").open())}
    spec = yaml.safe_load((REPO_ROOT / "models" / "staging" / "data_quality" / "_data_quality__issues.yml").read_text())
    (rule_column,) = [c for c in spec["models"][0]["columns"] if c["name"] == "rule"]
    documented = set(re.findall(r"\b([a-z]+(?:_[a-z]+)*)\b", rule_column["description"].split(":", 1)[1]))
    documented -= {"the", "column", "s", "status", "or", "a", "named", "rule"}
    macro = (REPO_ROOT / "macros" / "normalise" / "data_quality_checks.sql").read_text()
    named = set(re.findall(r"'rule': '([a-z_]+)'", macro))
    assert named and len(documented) > 10
    assert (documented | named) - seeded == set()
