"""Pseudonymised sharing: a mart for wide sharing has its person-level columns published as keyed
hashes (HMAC-SHA256, key from OE_PSEUDONYM_KEY), and is not published without the key."""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.governance.docs_quality import check_docs_quality
from oe_platform.governance.pseudonym import (
    PSEUDONYM_KEY_ENV,
    PseudonymKeyError,
    SharedColumn,
    ensure_ephemeral_key,
    key_hidden_from_subprocesses,
    pseudonym_key,
    pseudonymiser,
    sharing_violations,
)
from oe_platform.marts_catalog import DBT_MANIFEST, MartColumn, MartVersion, list_mart_versions, mart_versions
from oe_platform.publish import PublishError, publish, withheld_marts
from tests.governance.scan import scan_bytes, scan_decoded, source_identifiers

COHORT = "mart_strategic__oe_cohort"
PROFILE = "mart_oe__nominal_profile"


# -- the key and the rule, on their own ----------------------------------------------------------------

def test_the_key_comes_from_the_environment_and_a_missing_or_short_one_is_refused():
    with pytest.raises(PseudonymKeyError, match=f"{PSEUDONYM_KEY_ENV} is not set.*Set {PSEUDONYM_KEY_ENV}"):
        pseudonym_key({})
    with pytest.raises(PseudonymKeyError, match="at least 16 bytes"):
        pseudonym_key({PSEUDONYM_KEY_ENV: "short"})
    assert pseudonym_key({PSEUDONYM_KEY_ENV: "k" * 32}) == b"k" * 32


def test_a_pseudonym_is_the_hmac_sha256_of_the_value_and_changes_with_the_key():
    key = b"a-throwaway-key-for-this-test-only"
    pseudonymise = pseudonymiser(key)
    assert pseudonymise("person-1") == hmac.new(key, b"person-1", hashlib.sha256).hexdigest()
    assert pseudonymise("person-1") != hashlib.sha256(b"person-1").hexdigest()  # keyed, not a plain hash
    assert pseudonymiser(b"another-throwaway-key-0000")("person-1") != pseudonymise("person-1")
    assert pseudonymise(None) is None


def test_synthetic_runs_make_an_ephemeral_key_only_when_none_is_set():
    environ: dict[str, str] = {}
    assert ensure_ephemeral_key(environ) is True
    made = environ[PSEUDONYM_KEY_ENV]
    assert len(made) == 64 and pseudonym_key(environ) == made.encode()
    assert ensure_ephemeral_key(environ) is False and environ[PSEUDONYM_KEY_ENV] == made
    other: dict[str, str] = {}
    ensure_ephemeral_key(other)
    assert other[PSEUDONYM_KEY_ENV] != made  # a new key per run: pseudonyms link to no other run


def _mart(name: str, columns: list[MartColumn], sharing: str | None = "wide") -> MartVersion:
    return MartVersion(f"model.oe_platform.{name}.v1", name, "1", "1", "strategic", "public", "marts", name, "",
                       columns, sharing)


def test_a_wide_mart_with_a_person_column_in_clear_is_withheld_whatever_the_key():
    clear = _mart("mart_strategic__leaky", [MartColumn("person_id", "varchar", "", "none"),
                                            MartColumn("surname", "varchar", "", "direct")])
    hashed = _mart("mart_strategic__ok", [MartColumn("person_pseudonym", "varchar", "", "indirect", True)])
    aggregate = _mart("mart_strategic__counts", [MartColumn("events", "bigint", "", "none")])
    own_audience = _mart("mart_oe__list", [MartColumn("person_id", "varchar", "", "none")], sharing=None)
    key = {PSEUDONYM_KEY_ENV: "k" * 32}

    withheld = withheld_marts([clear, hashed, aggregate, own_audience], key)
    assert set(withheld) == {clear.unique_id}
    assert "mart_strategic__leaky.person_id" in withheld[clear.unique_id]
    assert "mart_strategic__leaky.surname" in withheld[clear.unique_id]
    # without the key, the mart with pseudonymised columns is withheld too, naming the variable
    withheld = withheld_marts([clear, hashed, aggregate, own_audience], {})
    assert set(withheld) == {clear.unique_id, hashed.unique_id}
    assert PSEUDONYM_KEY_ENV in withheld[hashed.unique_id]
    assert sharing_violations("m", [SharedColumn("victim_person_id", "none", False)])


def test_the_key_is_hidden_from_subprocesses_and_no_dbt_file_reads_it(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "k" * 32)
    probe = [sys.executable, "-c", f"import os; print(os.environ.get('{PSEUDONYM_KEY_ENV}', 'absent'))"]
    with key_hidden_from_subprocesses():
        assert subprocess.run(probe, capture_output=True, text=True, check=True).stdout.strip() == "absent"
    assert os.environ[PSEUDONYM_KEY_ENV] == "k" * 32
    # dbt records every env_var() it reads in its manifest and partial-parse file: none may read the key
    dbt_files = [p for folder in ("models", "macros", "seeds", "tests") for p in (REPO_ROOT / folder).rglob("*")
                 if p.suffix in {".sql", ".yml", ".yaml", ".md"}]
    dbt_files += [REPO_ROOT / "dbt_project.yml", REPO_ROOT / "profiles.yml"]
    assert len(dbt_files) > 100
    reads_key = re.compile(r"env_var\(\s*['\"]" + PSEUDONYM_KEY_ENV)
    assert [p for p in dbt_files if reads_key.search(p.read_text(errors="replace"))] == []
    assert reads_key.search("{{ env_var('" + PSEUDONYM_KEY_ENV + "') }}")


# -- the dbt project ------------------------------------------------------------------------------------

def test_the_strategic_marts_are_for_wide_sharing_and_pseudonymise_every_person_column(manifest: dict):
    marts = mart_versions(manifest)
    wide = [m for m in marts if m.is_wide]
    assert {m.name for m in marts if m.group == "strategic"} == {m.name for m in wide}
    assert COHORT in {m.name for m in wide}
    for mart in wide:
        shared = [SharedColumn(c.name, c.pii, c.pseudonymise) for c in mart.columns]
        assert sharing_violations(mart.name, shared) == []
        assert not [c.name for c in mart.columns if c.pii == "direct"], f"{mart.name} holds a direct identifier"
    cohort = next(m for m in wide if m.name == COHORT)
    assert cohort.pseudonymised_columns == ["person_pseudonym"]


def test_documentation_quality_has_no_finding(manifest: dict):
    """The project's docs check (dbt-score is not in the pinned environment): described, owned,
    typed and classified columns, enforced contracts, ranked marts stating purpose, audience and
    review period, wide marts pseudonymised."""
    assert [f.describe() for f in check_docs_quality(manifest)] == []


def test_the_docs_check_finds_what_is_missing(manifest: dict):
    broken = json.loads(json.dumps(manifest))
    node = broken["nodes"]["model.oe_platform.mart_oe__high_harm_offenders.v1"]
    node["config"]["meta"].pop("review_period")
    node["columns"]["score"]["description"] = ""
    cohort = broken["nodes"]["model.oe_platform.mart_strategic__oe_cohort.v1"]
    cohort["columns"]["person_pseudonym"]["config"]["meta"]["pseudonymise"] = False
    found = {f.describe() for f in check_docs_quality(broken)}
    assert "mart_oe__high_harm_offenders.v1: a ranked mart must state meta.review_period" in found
    assert "mart_oe__high_harm_offenders.v1.score: no description" in found
    assert any(f.startswith("mart_strategic__oe_cohort.v1: mart_strategic__oe_cohort.person_pseudonym") for f in found)


def test_each_ranked_mart_states_purpose_audience_and_review_period_and_is_equality_monitored(manifest: dict):
    models = [n for n in manifest["nodes"].values() if n["resource_type"] == "model" and n.get("access") == "public"]
    ranked = {n["name"] for n in models if n["config"]["meta"].get("ranked")}
    with_deciles = {n["name"] for n in models if {"rank", "decile", "score"} <= set(n["columns"])}
    assert ranked == with_deciles == {"mart_oe__high_harm_offenders", "mart_safeguarding__vulnerable_persons"}
    for node in models:
        if node["name"] in ranked:
            for key in ("purpose", "audience", "review_period"):
                assert node["config"]["meta"][key].strip()
                assert f"**{key.replace('_', ' ').capitalize()}**" in node["description"]
    equality = next(n for n in models if n["name"] == "mart_governance__ranking_equality")
    rules = next(t for t in manifest["nodes"].values() if t["resource_type"] == "test"
                 and t.get("attached_node") == equality["unique_id"]
                 and t["test_metadata"]["name"] == "column_values")
    assert set(rules["test_metadata"]["kwargs"]["accepted_values"]["ranked_mart"]) == ranked


# -- a real run: what is published for wide sharing ------------------------------------------------------

pipeline = pytest.mark.slow


def _wide_outputs(settings: Settings) -> list[Path]:
    wide = [m for m in list_mart_versions(DBT_MANIFEST) if m.is_wide]
    files = [settings.gold / m.gold_relpath for m in wide]
    files.append(settings.serving / "strategic.duckdb")
    assert all(p.exists() for p in files), files
    return files


@pipeline
def test_wide_outputs_hold_no_name_birth_date_pnc_phone_or_postcode_from_the_sources(served_pipeline):
    settings = served_pipeline.settings
    identifiers = source_identifiers(settings.warehouse)
    assert len(identifiers) > 1000, "the generated sources should give many identifiers to look for"
    wide = _wide_outputs(settings)
    assert scan_bytes(wide, identifiers) == []
    assert scan_decoded(wide, identifiers) == []
    # the same scan finds them in a person-level mart published to its own team: it can see them
    profile = next(m for m in list_mart_versions(DBT_MANIFEST) if m.name == PROFILE)
    assert scan_decoded([settings.gold / profile.gold_relpath], identifiers)


@pipeline
def test_published_pseudonyms_are_keyed_hashes_of_the_warehouse_person_ids(served_pipeline):
    settings = served_pipeline.settings
    key = os.environ[PSEUDONYM_KEY_ENV].encode()
    cohort = next(m for m in list_mart_versions(DBT_MANIFEST) if m.name == COHORT)
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        person_ids = [r[0] for r in con.execute(f"select person_pseudonym from marts.{cohort.alias}").fetchall()]
        all_ids = {r[0] for r in con.execute("select person_id from conformed.person").fetchall()}
        gold = {r[0] for r in con.execute(
            f"select person_pseudonym from read_parquet('{settings.gold / cohort.gold_relpath}')").fetchall()}
        served = {r[0] for r in con.execute(
            f"attach '{settings.serving / 'strategic.duckdb'}' as s (read_only); "
            f"select person_pseudonym from s.marts.{cohort.alias}").fetchall()}
    finally:
        con.close()
    assert len(person_ids) > 20
    assert gold == served == {hmac.new(key, p.encode(), hashlib.sha256).hexdigest() for p in person_ids}
    assert not gold & all_ids
    entry = next(e for e in json.loads((settings.gold / "manifest.json").read_text())["marts"] if e["mart"] == COHORT)
    assert [c["name"] for c in entry["schema"] if c["pseudonymised"]] == ["person_pseudonym"]


@pipeline
def test_the_key_is_in_no_file_the_run_wrote(served_pipeline):
    settings = served_pipeline.settings
    key = os.environ[PSEUDONYM_KEY_ENV]
    roots = [settings.lake, settings.warehouse.parent, REPO_ROOT / "target"]
    files = [p for root in roots for p in root.rglob("*") if p.is_file()]
    assert len(files) > 100
    assert scan_bytes(files, {key}) == []


@pipeline
def test_publish_without_the_key_withholds_the_wide_mart_names_the_variable_and_publishes_the_rest(
        served_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    source = served_pipeline.settings
    settings = Settings(landing=source.landing, lake=tmp_path / "lake", warehouse=source.warehouse,
                        shared_data=source.shared_data)
    monkeypatch.delenv("OE_AUDIT", raising=False)
    publish(settings)  # with the session's throw-away key: everything, the cohort included
    cohort = next(m for m in list_mart_versions(DBT_MANIFEST) if m.name == COHORT)
    assert (settings.gold / cohort.gold_relpath).exists()

    monkeypatch.delenv(PSEUDONYM_KEY_ENV)
    with pytest.raises(PublishError, match=f"{COHORT}.*{PSEUDONYM_KEY_ENV} is not set.*Set {PSEUDONYM_KEY_ENV}"):
        publish(settings)
    # the earlier copy is gone, the other marts are published and the manifest says what was withheld
    assert not (settings.gold / cohort.gold_relpath).exists()
    manifest = json.loads((settings.gold / "manifest.json").read_text())
    assert list(manifest["withheld"]) == [cohort.unique_id]
    published = {e["mart"] for e in manifest["marts"]}
    assert PROFILE in published and "mart_strategic__oe_monthly_by_force" in published and COHORT not in published
    served = duckdb.connect(str(settings.serving / "strategic.duckdb"), read_only=True)
    try:
        tables = {r[0] for r in served.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    finally:
        served.close()
    assert tables == {"mart_strategic__oe_monthly_by_force"}
