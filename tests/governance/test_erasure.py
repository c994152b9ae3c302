"""Erasure end to end: a generated landing zone through real Dagster, dbt, DuckDB and linkage; one
person's records in three sources erased with `oe erase`; the next run; then every file under the
landing zone, the lake (bronze, rejects, quarantine, linkage, gold, serving, audit) and the warehouse
searched for the erased values, as bytes and decoded (Parquet and DuckDB read with DuckDB, workbooks
with openpyxl), and the person's other records still linked."""

from __future__ import annotations

import os
import re
from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from oe_platform.cli import main
from oe_platform.config import Settings, load_settings
from oe_platform.governance.audit import ERASURE_FIELDS, audit_path, read_entries, verify
from oe_platform.governance.erasure import list_requests
from oe_platform.landing.ingest import ingest

pytestmark = pytest.mark.slow

# the columns whose values identify a person: names, date of birth, PNC id, phone (as delivered and normalised)
PII_COLUMN = re.compile(r"(forename|surname|middle_names|date_of_birth|dob|pnc|phone)", re.IGNORECASE)
MIN_LENGTH = 6  # shorter values (e.g. a 4-letter forename) are not distinctive enough to search bytes for


def _tables(con: duckdb.DuckDBPyConnection, views: bool) -> list[tuple[str, str, list[str]]]:
    kinds = "('BASE TABLE', 'VIEW')" if views else "('BASE TABLE')"
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_type in {kinds} and table_catalog = current_database()"
    ).fetchall()
    out = []
    for schema, table in rows:
        columns = [r[0] for r in con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ? "
            "and table_catalog = current_database()", [schema, table]).fetchall()]
        out.append((schema, table, columns))
    return out


def _person_values(warehouse: Path, erased_ids: set[str]) -> tuple[set[str], set[str], str]:
    """PII values of the erased records and of every other record, from every table and staging view
    (as delivered and normalised) that has person_record_id; and, as one text, every cell of the
    staged tables without one (a county line's deal numbers, intelligence free text): a value found there
    belongs to other records too (a line holder's phone is the line's deal number), which erasing
    the person's records rightly leaves."""
    erased, others, elsewhere = set(), set(), []
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        for schema, table, columns in _tables(con, views=True):
            if "person_record_id" not in columns:
                if schema != "staging":  # the conformed tables and marts derive from the staged records
                    continue
                select = ", ".join(f'cast("{c}" as varchar)' for c in columns)
                for row in con.execute(f'select {select} from "{schema}"."{table}"').fetchall():
                    elsewhere.extend(v for v in row if v)
                continue
            pii = [c for c in columns if PII_COLUMN.search(c)]
            if not pii:
                continue
            select = ", ".join(f'cast("{c}" as varchar)' for c in pii)
            for record_id, *values in con.execute(
                f'select person_record_id, {select} from "{schema}"."{table}"'
            ).fetchall():
                target = erased if record_id in erased_ids else others
                target.update(v.strip() for v in values if v and v.strip())
    finally:
        con.close()
    return erased, others, "\n".join(elsewhere)


def _linked_on_their_own(records: list[str], edges: set[tuple[str, str]]) -> bool:
    """Whether `records` form one cluster through linked pairs between themselves alone (no bridge
    through another record): only then must erasing the others leave them linked."""
    if len(records) < 2:
        return False
    reached, frontier = {records[0]}, [records[0]]
    while frontier:
        record = frontier.pop()
        for other in records:
            if other not in reached and ((record, other) in edges or (other, record) in edges):
                reached.add(other)
                frontier.append(other)
    return reached == set(records)


def _choose_person(warehouse: Path, pairs: Path) -> tuple[dict[str, list[str]], list[str], set[str]]:
    """A person with records in at least three sources whose records in three of them hold values no
    other record holds, and whose other records link to one another on their own evidence (a record
    joined to the person only through an erased record may rightly part from them): (records to
    erase by source, the person's other records, those values)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        edges = set(con.execute(
            "select person_record_id_l, person_record_id_r from read_parquet(?) where linked", [str(pairs)]
        ).fetchall())
        rows = con.execute(
            "select person_id, source_name, person_record_id from conformed.person_source_record "
            "where person_id in (select person_id from conformed.person_source_record group by person_id "
            "having count(distinct source_name) >= 3) order by person_id, source_name, person_record_id"
        ).fetchall()
    finally:
        con.close()
    people: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for person, source, record_id in rows:
        people[person][source].append(record_id)
    # most sources first: a person left with records in other sources shows that they still link
    for person in sorted(people, key=lambda p: (-len(people[p]), p)):
        sources = sorted(people[person], key=lambda s: (len(people[person][s]), s))
        chosen = {s: people[person][s] for s in sources[:3]}
        kept = [r for s in sources[3:] for r in people[person][s]]
        if not _linked_on_their_own(kept, edges):
            continue
        erased_ids = {r for ids in chosen.values() for r in ids}
        erased, others, _ = _person_values(warehouse, erased_ids)
        distinctive = {v for v in erased - others if len(v) >= MIN_LENGTH}
        if len(distinctive) >= 3:
            return chosen, kept, distinctive
    raise AssertionError("no person with records in three sources holding distinctive values and other "
                         "records that link on their own")


def _scan_bytes(roots: list[Path], values: set[str]) -> list[str]:
    needles = [v.encode("utf-8") for v in values] + [v.encode("utf-16-le") for v in values]
    hits = []
    for root in roots:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            data = path.read_bytes()
            hits += [f"{path}: bytes of {n!r}" for n in needles if n in data][:1]
    return hits


def _scan_rows(label: str, rows: list[tuple], pattern: re.Pattern) -> list[str]:
    for row in rows:
        for cell in row:
            if cell is not None and pattern.search(str(cell)):
                return [f"{label}: a decoded value"]
    return []


def _scan_decoded(roots: list[Path], values: set[str]) -> list[str]:
    """Every Parquet file and DuckDB database read with DuckDB, every workbook with openpyxl: any
    cell (cast to text) containing an erased value."""
    from openpyxl import load_workbook

    pattern = re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))
    hits = []
    con = duckdb.connect()
    try:
        for root in roots:
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                text = str(path).replace("'", "''")
                if path.suffix == ".parquet":
                    hits += _scan_rows(str(path), con.execute(f"select * from read_parquet('{text}')").fetchall(),
                                       pattern)
                elif path.suffix == ".duckdb":
                    con.execute(f"attach '{text}' as scanned (read_only)")
                    try:
                        for schema, table in con.execute(
                            "select schema_name, table_name from duckdb_tables() where database_name = 'scanned'"
                        ).fetchall():
                            rows = con.execute(f'select * from scanned."{schema}"."{table}"').fetchall()
                            hits += _scan_rows(f"{path} {schema}.{table}", rows, pattern)
                    finally:
                        con.execute("detach scanned")
                elif path.suffix == ".xlsx":
                    book = load_workbook(path, read_only=True)
                    for sheet in book.worksheets:
                        hits += _scan_rows(f"{path} {sheet.title}", list(sheet.iter_rows(values_only=True)), pattern)
    finally:
        con.close()
    return hits


def _run(settings: Settings):
    from orchestration.run import run_pipeline

    result = run_pipeline(settings, log_level="WARNING")
    assert result.success and not result.failed_checks, result.failed_checks
    return result


def test_an_erased_person_is_gone_from_every_file_and_their_other_records_still_link(tmp_path: Path):
    from oe_platform.dbt_runner import prepare_manifest
    from oe_platform.synth import generate

    (tmp_path / "shared").mkdir()
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake",
                             warehouse=tmp_path / "warehouse" / "oe.duckdb", shared_data=tmp_path / "shared")
    generate(persons=500, seed=11, start=date(2025, 1, 1), months=1, out=settings.landing,
             truth_out=tmp_path / "truth", progress=False)
    saved = dict(os.environ)
    os.environ.update({**settings.env(), "DAGSTER_HOME": str(tmp_path / "dagster_home")})
    os.environ.pop("OE_DBT_TARGET", None)
    os.environ.pop("OE_AUDIT", None)
    try:
        prepare_manifest(settings)
        _run(settings)
        chosen, kept, values = _choose_person(settings.warehouse, settings.lake / "linkage" / "pairs.parquet")
        roots = [settings.landing, settings.lake, settings.warehouse.parent]
        # the scan finds the values before the erasure (so finding nothing afterwards means something)
        assert _scan_bytes(roots, values) and _scan_decoded(roots, values)

        runner = CliRunner()
        for source, ids in chosen.items():
            for record_id in ids:
                outcome = runner.invoke(main, ["erase", "--source", source, "--record", record_id,
                                               "--reason", "test: subject access erasure ER-1"])
                assert outcome.exit_code == 0, outcome.output
        assert len(list_requests(settings)) == sum(len(ids) for ids in chosen.values())

        second = _run(settings)

        # a value the staged records of other kinds still hold is theirs, not the person's (a line
        # holder's phone is also the line's deal number, quoted in intelligence logs about the line)
        _, _, elsewhere = _person_values(settings.warehouse, set())
        values = {v for v in values if v not in elsewhere}
        assert values, "every erased value is also held by other records: nothing left to search for"
        assert _scan_bytes(roots, values) == []
        assert _scan_decoded(roots, values) == []

        con = duckdb.connect(str(settings.warehouse), read_only=True)
        try:
            linked = dict(con.execute("select person_record_id, person_id from conformed.person_source_record")
                          .fetchall())
        finally:
            con.close()
        erased_ids = {r for ids in chosen.values() for r in ids}
        assert not erased_ids & set(linked)
        assert all(r in linked for r in kept)
        assert len({linked[r] for r in kept}) == 1, "the person's other records no longer link"

        entries = [e for e in read_entries(audit_path(settings)) if e["operation"] == "erasure"]
        assert len(entries) == len(erased_ids)
        assert all(e["run_id"] == second.run_id and e["what"]["records"] >= 1 for e in entries)
        assert all(set(e["what"]) <= ERASURE_FIELDS for e in entries)
        assert {"landing", "bronze", "warehouse", "gold", "serving"} <= set(entries[0]["what"]["layers"])
        assert verify(audit_path(settings)).ok

        # the next ingest loads nothing again: the rewritten landed files are the registered ones
        assert ingest(settings).files == []
    finally:
        os.environ.clear()
        os.environ.update(saved)
