"""Contracts of the generated sources, their rendered docs, and the CLI command."""

from __future__ import annotations

from click.testing import CliRunner

from oe_platform.contracts_docs import DOCS_DIR, rendered_docs, stale_docs
from oe_platform.synth import GENERATED_SOURCES
from oe_platform.synth.cli import generate_command

PERSON_ATTRIBUTES = {"forename", "surname", "date_of_birth"}


def test_generated_sources_have_contracts_with_person_keys(contracts):
    for source in GENERATED_SOURCES:
        contract = contracts[source]
        person_entities = [e for e in contract.entities.values() if e.person_key]
        assert person_entities, source
        for entity in person_entities:
            assert PERSON_ATTRIBUTES <= set(entity.column_names), (source, entity.name)
            assert entity.person_key in entity.key or entity.person_key in entity.column_names
        if source != "canonical":
            main = next(iter(contract.entities.values()))
            assert "record_action" in main.column_names, source


def test_canonical_contract_is_the_designed_format(contracts):
    canonical = contracts["canonical"]
    assert list(canonical.entities["persons"].column_names) == [
        "record_id", "forename", "middle_names", "surname", "date_of_birth", "sex", "address", "postcode", "phone",
        "email", "pnc_id", "cro_number", "nhs_number", "aliases"]
    assert list(canonical.entities["events"].column_names) == [
        "event_id", "event_type", "occurred_at", "force_code", "offence_code", "location_postcode", "description"]
    assert list(canonical.entities["person_events"].column_names) == ["record_id", "event_id", "role"]
    assert canonical.layout_for("btp-demo").files["persons"].pattern == "persons.csv"


def test_committed_docs_match_contracts():
    assert stale_docs() == [], "docs/sources drifted: run python -m oe_platform.contracts_docs"
    pages = rendered_docs()
    assert set(pages) == {p.name for p in DOCS_DIR.glob("*.md")}
    for source in GENERATED_SOURCES:
        assert f"[{source}]({source}.md)" in pages["README.md"]


def test_cli_help_and_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(generate_command, ["--help"])
    assert result.exit_code == 0
    for option in ("--persons", "--seed", "--start", "--months", "--out", "--truth-out", "--next-delivery"):
        assert option in result.output
    result = runner.invoke(generate_command, ["--out", str(tmp_path / "l"), "--truth-out", str(tmp_path / "l" / "t"),
                                              "--persons", "500", "--months", "1", "--no-progress"])
    assert result.exit_code == 2 and "must not be inside" in result.output
    result = runner.invoke(generate_command, ["--out", str(tmp_path / "l"), "--truth-out", str(tmp_path / "t"),
                                              "--persons", "500", "--months", "1", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "crime" in result.output
    # Even the smallest population delivers every generated source.
    for source in GENERATED_SOURCES:
        assert any((tmp_path / "l" / source).rglob("*.*")), source
    assert (tmp_path / "t" / "person_records.parquet").is_file()
