from pathlib import Path

import pytest

from oe_platform.contracts import ContractError, load_contracts, parse_contract
from oe_platform.dbt_sources import render_sources, stale_sources

CRIME = Path(__file__).resolve().parent.parent / "contracts" / "crime.yml"


def test_crime_contract_declares_three_layouts_over_nine_forces():
    crime = load_contracts()["crime"]
    assert {layout.format for layout in crime.layouts} == {"csv", "jsonl"}
    assert len(crime.layouts) == 3
    forces = [f for layout in crime.layouts for f in layout.forces]
    assert len(forces) == len(set(forces)) == 9
    assert crime.layout_for("bedfordshire").delimiter == "|"
    assert crime.layout_for("unknown-partner") is None


def test_every_contract_column_has_a_pii_class_and_description():
    for contract in load_contracts().values():
        for entity in contract.entities.values():
            for column in entity.columns:
                assert column.pii in {"direct", "indirect", "none"}
                assert column.description


def test_malformed_contract_names_the_file_and_field(tmp_path):
    bad = tmp_path / "crime.yml"
    bad.write_text(CRIME.read_text().replace("CrimeRef: crime_ref", "CrimeRef: crime_reference", 1))
    with pytest.raises(ContractError, match=r"crime\.yml.*'crime_reference'"):
        parse_contract(bad)


def test_contract_source_must_match_file_name(tmp_path):
    bad = tmp_path / "custody.yml"
    bad.write_text(CRIME.read_text())
    with pytest.raises(ContractError, match="must match the file name"):
        parse_contract(bad)


def test_dbt_sources_are_generated_from_contracts():
    assert stale_sources() == []
    rendered = render_sources(load_contracts()["crime"])
    assert "crime__crimes" in rendered and "crime__persons" in rendered
    assert "_file_id" in rendered
