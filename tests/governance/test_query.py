"""`oe query`: read-only, justified, audited without the values, on a real DuckDB warehouse file."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from oe_platform.cli import main
from oe_platform.config import Settings
from oe_platform.governance.audit import audit_path, read_entries, verify
from oe_platform.governance.query import QueryRefused, run_query

REASON = "Operation KESTREL task 7: confirm known associates"


@pytest.fixture
def warehouse(platform_dirs: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("OE_AUDIT", raising=False)
    monkeypatch.setenv("OE_AUDIT_IDENTITY", "svc-oe-platform")
    platform_dirs.warehouse.parent.mkdir(parents=True)
    con = duckdb.connect(str(platform_dirs.warehouse))
    con.execute("create schema conformed")
    con.execute("create table conformed.person (person_id varchar, family_name varchar, date_of_birth date)")
    con.execute("insert into conformed.person values ('P1', 'OKONKWO', '1990-02-03'), "
                "('P2', 'FAIRWEATHER', '2001-11-30'), ('P3', 'OKONKWO', '1975-06-01')")
    con.close()
    return platform_dirs


def test_query_returns_rows_and_records_a_consultation_without_values(warehouse: Settings):
    sql = "select person_id, family_name, date_of_birth from conformed.person where family_name = 'OKONKWO'"
    result = run_query(warehouse, sql, REASON, user="DC 4411 Jones")
    assert result.columns == ["person_id", "family_name", "date_of_birth"]
    assert sorted(r[0] for r in result.rows) == ["P1", "P3"]
    [entry] = read_entries(audit_path(warehouse))
    assert entry["operation"] == "consultation" and entry["seq"] == result.audit_seq
    assert entry["who"] == "DC 4411 Jones"
    assert entry["what"]["os_user"] == "svc-oe-platform"
    assert entry["what"].items() >= {"sql": sql, "justification": REASON, "rows": 2, "status": "ok"}.items()
    text = audit_path(warehouse).read_text()
    # the SQL names OKONKWO (it is what was asked); the returned values are nowhere in the log
    for value in ("P1", "P3", "1990-02-03", "1975-06-01", "FAIRWEATHER"):
        assert value not in text


def test_a_query_reads_no_file_outside_the_warehouse_and_bronze(warehouse: Settings, tmp_path: Path):
    """read_csv and read_parquet of any file the process can read are refused (the attempt is recorded as a
    failed consultation); the lake's folders the warehouse's views read stay readable (bronze, linkage, the
    ingest bookkeeping), each source folder the dbt project registers among them."""
    import yaml

    from oe_platform.config import REPO_ROOT
    from oe_platform.governance.query import VIEW_FOLDERS

    registered = set()
    for spec in (REPO_ROOT / "models").rglob("_*sources.yml"):
        for source in yaml.safe_load(spec.read_text()).get("sources", []):
            for table in source.get("tables", []):
                meta = {**source.get("meta", {}), **table.get("meta", {}), **table.get("config", {}).get("meta", {})}
                where = meta.get("parquet_path") or meta.get("parquet_glob")
                if where:
                    registered.add(where.split("/")[0])
    assert registered and registered <= set(VIEW_FOLDERS)
    secret = tmp_path / "elsewhere" / "keys.csv"
    secret.parent.mkdir()
    secret.write_text("name,key\npseudonym,0123456789abcdef\n")
    with pytest.raises(duckdb.PermissionException):
        run_query(warehouse, f"select * from read_csv('{secret}')", REASON)
    bronze = warehouse.bronze / "crime" / "persons"
    bronze.mkdir(parents=True)
    duckdb.sql(f"copy (select 'P9' as person_id) to '{bronze / 'part.parquet'}' (format parquet)")
    result = run_query(warehouse, f"select person_id from read_parquet('{bronze}/*.parquet')", REASON)
    assert result.rows == [("P9",)]
    statuses = [e["what"]["status"] for e in read_entries(audit_path(warehouse))]
    assert statuses == ["error", "ok"]


def test_query_without_a_justification_is_refused_and_not_run(warehouse: Settings):
    for reason in ("", "   ", "because"):
        with pytest.raises(QueryRefused, match="justification"):
            run_query(warehouse, "select * from conformed.person", reason)
    out = CliRunner().invoke(main, ["query", "select * from conformed.person"])
    assert out.exit_code == 1 and "justification" in out.output
    assert read_entries(audit_path(warehouse)) == []


@pytest.mark.parametrize("sql", [
    "delete from conformed.person",
    "copy conformed.person to '/tmp/people.csv'",
    "select 1; drop table conformed.person",
    "create table conformed.copy as select * from conformed.person",
])
def test_only_one_select_is_allowed(warehouse: Settings, sql: str):
    with pytest.raises(QueryRefused):
        run_query(warehouse, sql, REASON)
    con = duckdb.connect(str(warehouse.warehouse), read_only=True)
    assert con.execute("select count(*) from conformed.person").fetchall() == [(3,)]
    con.close()


def test_a_failing_query_is_still_audited(warehouse: Settings):
    with pytest.raises(duckdb.Error):
        run_query(warehouse, "select * from conformed.no_such_table", REASON)
    [entry] = read_entries(audit_path(warehouse))
    assert entry["what"]["status"] == "error" and entry["what"]["error_type"] == "CatalogException"


def test_oe_query_prints_rows_and_the_audit_entry(warehouse: Settings, tmp_path: Path):
    runner = CliRunner()
    out = runner.invoke(main, ["query", "select person_id from conformed.person order by 1",
                               "--justification", REASON, "--user", "analyst2"])
    assert out.exit_code == 0, out.output
    assert out.output.splitlines()[2:5] == ["P1", "P2", "P3"]
    assert "3 row(s); audit entry 1" in out.output
    as_json = runner.invoke(main, ["query", "select count(*) as n from conformed.person",
                                   "--justification", REASON, "--format", "json"])
    assert json.loads(as_json.output) == [{"n": 3}]
    audit = json.loads(runner.invoke(main, ["audit", "--operation", "consultation", "--format", "json"]).output)
    assert [(e["who"], e["what"]["rows"]) for e in audit] == [("analyst2", 3), ("svc-oe-platform", 1)]
    assert verify(audit_path(warehouse)).ok
