"""The retention review mart as the pipeline builds it (real Dagster, dbt, DuckDB)."""

from __future__ import annotations

import duckdb
import pytest

pytestmark = pytest.mark.slow

MART = "marts.mart_governance__retention_review"


def test_every_source_person_record_has_a_review_group_and_due_date(slice_pipeline):
    assert slice_pipeline.result.success
    con = duckdb.connect(str(slice_pipeline.settings.warehouse), read_only=True)
    try:
        records = con.execute("select count(*) from conformed.person_source_record").fetchall()[0][0]
        rows, distinct = con.execute(f"select count(*), count(distinct person_record_id) from {MART}").fetchall()[0]
        assert records > 0 and rows == distinct == records
        # the due date is the clear period start plus the group's period from the seed, for every row
        wrong = con.execute(f"""
            select count(*) from {MART} as m
            inner join reference.mopi_review_groups as g on m.review_group = g.review_group
            where m.review_due_on is distinct from
                cast(m.clear_period_from + to_years(cast(g.review_period_years as integer)) as date)
               or m.is_review_due <> coalesce(m.review_due_on <= m.assessed_on, false)
        """).fetchall()[0][0]
        assert wrong == 0
        # a record whose person is only ever a victim or witness in it is never above group 3
        raised = con.execute(f"""
            select count(*) from {MART} as m
            where m.review_group < 3 and not exists (
                select 1 from conformed.person_event as pe
                where pe.person_record_id = m.person_record_id
                  and pe.role in ('suspect', 'offender', 'arrested', 'charged', 'detainee', 'alleged_exploiter'))
        """).fetchall()[0][0]
        assert raised == 0
        # the slice's crimes give records a group from their offence class, not only the default
        bases = dict(con.execute(f"select review_group_basis, count(*) from {MART} group by 1").fetchall())
        assert bases.get("offence_class", 0) > 0
        assert {s for (s,) in con.execute(f"select distinct rule_verification_status from {MART}").fetchall()} == {
            "unverified"}
    finally:
        con.close()
