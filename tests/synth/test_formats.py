"""Every delivered file parses with its landing contract: columns, encodings, dates, codes, identifiers."""

from __future__ import annotations

import datetime as dt
import fnmatch

import pytest

from oe_platform.contracts import DATE_PATTERNS
from oe_platform.synth import FORCE_SOURCES, GENERATED_SOURCES
from oe_platform.synth import identifiers as ids
from oe_platform.synth import reference as ref
from tests.synth.landing_reader import files_of, read_file


@pytest.mark.parametrize("source", GENERATED_SOURCES)
def test_files_parse_per_contract(run, contracts, source):
    contract = contracts[source]
    files = list(files_of(contract, run.landing))
    assert files, f"no {source} files"
    types_of = {e.name: {c.name: c.type for c in e.columns} for e in contract.entities.values()}
    rows_seen = 0
    for org, day, layout, path in files:
        dt.date.fromisoformat(day)
        for delivered in read_file(contract, org, day, layout, path):
            spec = layout.files[delivered.entity]
            if layout.format in ("csv", "parquet", "xlsx"):
                assert delivered.columns == list(spec.columns), f"{path}: columns differ from the contract"
            elif spec.nested_in is None:
                allowed = set(spec.columns) | {
                    f"{s.path}[].{c}" for s in layout.files.values() if s.nested_in == delivered.entity
                    for c in s.columns}
                assert set(delivered.columns) <= allowed, f"{path}: unmapped JSON fields"
            types = types_of[delivered.entity]
            for row in delivered.rows:
                rows_seen += 1
                for col, value in row.items():
                    if value in ("", None):
                        continue
                    kind = types[col]
                    if kind in ("date", "datetime") and layout.format in ("csv", "jsonl"):
                        pattern = DATE_PATTERNS[layout.date_format][0 if kind == "date" else 1]
                        dt.datetime.strptime(value, pattern)
                    elif kind in ("date", "datetime"):
                        assert isinstance(value, dt.date), f"{path}: {col} is not a native date"
                    if col in layout.codes:
                        items = value if isinstance(value, list) else str(value).split(";") if col == "flags" \
                            else [str(value)]
                        assert set(items) <= set(layout.codes[col]), f"{path}: {col}={value!r} not in code set"
    assert rows_seen > 0


def test_force_sources_use_three_layouts_over_nine_forces(run, contracts):
    forces = set(ref.force_codes())
    for source in FORCE_SOURCES:
        contract = contracts[source]
        assert len(contract.layouts) >= 3
        covered = {f for layout in contract.layouts for f in layout.forces}
        assert covered == forces
        delivered_orgs = {org for org, *_ in files_of(contract, run.landing)}
        assert delivered_orgs == forces
    formats = {layout.format for s in ("ocgm", "clicm", "nrm", "osint") for layout in contracts[s].layouts}
    assert {"xlsx", "parquet"} & formats


def test_file_names_match_one_entity_pattern(run, contracts):
    for source in GENERATED_SOURCES:
        contract = contracts[source]
        for _org, _day, layout, path in files_of(contract, run.landing):
            patterns = {s.pattern for s in layout.files.values() if s.pattern}
            assert any(fnmatch.fnmatchcase(path.name, p) for p in patterns), path


def test_offence_codes_are_known(run, contracts):
    classes = ref.offence_classes()
    local = ref.local_offence_codes()
    seen_local = 0
    for source, column in (("crime", "offence_code"), ("custody", "arrest_offence_code")):
        for d in run.parsed(contracts[source]):
            for row in d.rows:
                code = row.get(column)
                if not code:
                    continue
                if d.layout.offence_codes == "local":
                    assert any(code == lc for codes in local[d.org].values() for lc, _ in codes), code
                    seen_local += 1
                else:
                    assert code in classes, code
    assert seen_local > 0


def test_delivered_identifiers_are_valid(run, contracts):
    checked = {"pnc_id": 0, "cro_number": 0, "nhs_number": 0, "phone": 0}
    for source in GENERATED_SOURCES:
        for d in run.parsed(contracts[source]):
            for row in d.rows:
                if row.get("pnc_id"):
                    assert ids.validate_pnc_id(ids.expand_pnc_id(row["pnc_id"])), row["pnc_id"]
                    checked["pnc_id"] += 1
                if row.get("cro_number"):
                    assert ids.validate_cro_number(row["cro_number"]), row["cro_number"]
                    checked["cro_number"] += 1
                if row.get("nhs_number"):
                    assert ids.validate_nhs_number(row["nhs_number"], synthetic_only=True)
                    checked["nhs_number"] += 1
                for col in ("phone", "deal_number", "phone_mentioned"):
                    if row.get(col):
                        assert ids.is_drama_number(row[col]), row[col]
                        checked["phone"] += 1
                for col in ("postcode", "location_postcode", "found_postcode"):
                    if row.get(col):
                        assert ids.validate_postcode(row[col]), row[col]
    assert all(v > 20 for v in checked.values()), checked


def test_legacy_layouts_are_single_byte(run, contracts):
    legacy = [(s, layout) for s in GENERATED_SOURCES for layout in contracts[s].layouts
              if layout.encoding == "cp1252"]
    assert legacy
    for source, layout in legacy:
        for _org, _day, lay, path in files_of(contracts[source], run.landing):
            if lay is layout:
                data = path.read_bytes()
                data.decode("cp1252")
                assert b"\r\n" in data  # Windows line ends from the legacy system


def test_keys_unique_within_each_delivery(run, contracts):
    checked = 0
    for source in GENERATED_SOURCES:
        contract = contracts[source]
        for d in run.parsed(contract):
            key = contract.entities[d.entity].key
            keys = [tuple(str(r.get(k)) for k in key) for r in d.rows]
            assert len(keys) == len(set(keys)), f"{d.path} {d.entity}: duplicate keys"
            checked += len(keys)
    assert checked > 1000
