"""The FEBRL-style keyed-duplicates delivery (`oe linkage evaluate --profile febrl`): it writes what it
claims (names, date of birth, address and postcode only; every record its own key; duplicates with
one to four keying errors) and its truth is consistent with the file."""

from __future__ import annotations

import csv
import re
from datetime import date

import numpy as np
import pandas as pd
import yaml

from oe_platform.config import REPO_ROOT
from oe_platform.synth.keyed import COLUMNS, DELIVERY_DATE, PARTNER, char_error, corrupt, write_keyed_delivery


def _edits(a: str, b: str) -> int:
    """Optimal string alignment distance (insert, delete, substitute, transpose)."""
    d = np.zeros((len(a) + 1, len(b) + 1), dtype=int)
    d[:, 0] = range(len(a) + 1)
    d[0, :] = range(len(b) + 1)
    for i in range(1, len(a) + 1):
        for j in range(1, len(b) + 1):
            d[i, j] = min(d[i - 1, j] + 1, d[i, j - 1] + 1, d[i - 1, j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                d[i, j] = min(d[i, j], d[i - 2, j - 2] + 1)
    return int(d[len(a), len(b)])


def test_keyed_delivery_has_only_names_dob_address_postcode_and_consistent_truth(tmp_path):
    delivery = write_keyed_delivery(400, 11, tmp_path / "landing", tmp_path / "truth")
    assert delivery.persons_file == tmp_path / "landing" / "canonical" / PARTNER / DELIVERY_DATE / "persons.csv"
    with open(delivery.persons_file, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames
        rows = list(reader)
    # canonical columns, and none of the identifying ones
    canonical = yaml.safe_load((REPO_ROOT / "contracts" / "canonical.yml").read_text())
    allowed = {c["name"] for c in canonical["entities"]["persons"]["columns"]}
    assert header == list(COLUMNS) and set(header) <= allowed
    assert not set(header) & {"pnc_id", "cro_number", "nhs_number", "phone", "email", "aliases", "sex"}
    # every record its own key; every date of birth a valid ISO date (ingest would reject others)
    assert len({r["record_id"] for r in rows}) == len(rows) == delivery.records
    for r in rows:
        if r["date_of_birth"]:
            date.fromisoformat(r["date_of_birth"])

    truth = pd.read_parquet(delivery.truth_file)
    file = pd.DataFrame(rows)
    assert len(truth) == len(file) and set(truth["record_key"]) == set(file["record_id"])
    assert set(truth["source"]) == {"canonical"} and set(truth["org"]) == {PARTNER}
    # one original per person, duplicates as many as reported, several persons with more than one
    kinds = truth.groupby("person_id")["kind"].agg(lambda k: (k == "original").sum())
    assert (kinds == 1).all() and kinds.size == 400
    assert (truth["kind"] == "duplicate").sum() == delivery.duplicates > 400
    assert truth.groupby("person_id").size().max() >= 4
    # every duplicate differs from its original, by the errors its truth names (1 to 4)
    joined = truth.merge(file, left_on="record_key", right_on="record_id")
    originals = joined[joined["kind"] == "original"].set_index("person_id")
    duplicates = joined[joined["kind"] == "duplicate"]
    errors = duplicates["noise"].str.split(";").str.len()
    assert errors.between(1, 4).all() and errors.max() == 4 and (errors >= 2).mean() > 0.5
    fields = ["forename", "surname", "date_of_birth", "address", "postcode"]
    for _, dup in duplicates.iterrows():
        orig = originals.loc[dup["person_id"]]
        changed = {f for f in fields if dup[f] != orig[f]}
        named = {label.split(":")[1] for label in dup["noise"].split(";")}
        if any(label.startswith("swap:") for label in dup["noise"].split(";")):
            named |= {"forename", "surname"}
        assert changed and changed <= named, (dup.to_dict(), orig.to_dict())
        # character-level errors change their field by at most two edits (at most two errors a field)
        for f in changed - {"date_of_birth"}:
            if dup[f] and not any(k in dup["noise"] for k in ("swap", "nickname", "ocr", "phonetic")):
                assert _edits(dup[f], orig[f]) <= 2
    # the kinds of FEBRL's generator all occur
    labels = duplicates["noise"].str.split(";").explode().str.split(":").str[0]
    for kind in ("insert", "delete", "substitute", "transpose", "ocr", "phonetic", "missing", "swap",
                 "nickname", "digit", "day_month"):
        assert (labels == kind).any(), kind


def test_corrupt_applies_the_asked_number_of_errors_and_char_errors_change_the_value():
    rng = np.random.default_rng(3)
    for kind in ("insert", "delete", "substitute", "transpose"):
        assert char_error("Margaret", kind, rng) != "Margaret"
    nick = {"William": ("Bill",)}
    for n in (1, 2, 3, 4):
        record = {"forename": "William", "surname": "Thompson", "date_of_birth": "1971-03-09",
                  "address": "12 Church Lane, Luton", "postcode": "LU2 7QH"}
        labels = corrupt(record, n, rng, nick)
        assert len(labels) == n


def test_evaluate_links_the_keyed_delivery_through_the_canonical_pipeline(tmp_path, monkeypatch):
    """`oe linkage evaluate --profile febrl`: the file goes through ingest and dbt as a canonical
    partner delivery, every staged record finds its true person, and the missed pairs add up."""
    from click.testing import CliRunner

    from oe_platform.linkage.cli import linkage_group

    monkeypatch.setenv("OE_SHARED_DATA", str(tmp_path / "no-public-data"))
    result = CliRunner().invoke(linkage_group, [
        "evaluate", "--persons", "300", "--seed", "5", "--workdir", str(tmp_path), "--profile", "febrl",
    ])
    assert result.exit_code == 0, result.output
    assert "noise profile febrl" in result.output
    records = int(pd.read_parquet(tmp_path / "truth" / "person_records.parquet").shape[0])
    line = next(line for line in result.output.splitlines() if line.startswith("person records linked"))
    linked = int(line.split(":")[1].split()[0].replace(",", ""))
    profiles = int(line.split("(")[1].split()[0].replace(",", ""))
    with_truth = int(line.split("profiles, ")[1].split()[0].replace(",", ""))
    # every delivered record staged, each its own profile (no shared source key), each with a true person
    assert linked == profiles == with_truth == records
    accuracy = next(line for line in result.output.splitlines() if line.startswith("pairwise precision"))
    precision, recall = float(accuracy.split()[2]), float(accuracy.split()[4])
    assert precision >= 0.95 and 0.3 <= recall < 1.0  # heavy noise: a real share of pairs is missed
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("true pairs of records missed"))
    stages = [line for line in lines[start + 1:] if line.startswith("  ") and "of recall" in line]
    lost = sum(float(re.search(r"\(([0-9.]+) of recall\)", line).group(1)) for line in stages)
    assert abs((1 - recall) - lost) < 1e-4


def test_census_keyed_delivery_holds_the_same_people_in_three_sources(tmp_path):
    from oe_platform.synth.keyed import CENSUS_SOURCES, address_style, ascii_fold, write_census_delivery

    delivery = write_census_delivery(400, 13, tmp_path / "landing", tmp_path / "truth")
    files = {p: tmp_path / "landing" / "canonical" / p / DELIVERY_DATE / "persons.csv" for p in CENSUS_SOURCES}
    frames = {p: pd.read_csv(f, dtype=str, keep_default_na=False) for p, f in files.items()}
    for frame in frames.values():
        assert list(frame.columns) == list(COLUMNS)
        assert frame["record_id"].is_unique
    file = pd.concat([f.assign(org=p) for p, f in frames.items()], ignore_index=True)
    assert len(file) == delivery.records and file["record_id"].is_unique
    truth = pd.read_parquet(delivery.truth_file)
    joined = truth.merge(file, left_on=["org", "record_key"], right_on=["org", "record_id"], validate="one_to_one")
    assert len(joined) == len(file)
    # a person has at most one record per source, most are in two or three sources
    per_source = joined.groupby(["person_id", "org"]).size()
    assert per_source.max() == 1
    sources = joined.groupby("person_id")["org"].nunique()
    assert sources.size == 400 and (sources >= 2).mean() > 0.8
    # the noise its truth names: moves change address and postcode, others not; foreign names occur
    labels = truth["noise"].str.split(";").explode()
    for kind in ("moved", "nickname", "day_month", "typo_surname", "initial", "surname_change", "ascii"):
        assert (labels == kind).any(), kind
    assert file["surname"].map(lambda s: s != ascii_fold(s)).any()  # diacritics kept by some records
    checked = 0
    for _, group in joined.groupby("person_id"):
        moved = group["noise"].str.contains("moved")
        if moved.any() and not moved.all():
            old, new = set(group.loc[~moved, "postcode"]) - {""}, set(group.loc[moved, "postcode"]) - {""}
            if old and new:
                assert not old & new
                checked += 1
    assert checked > 10
    plain = joined[joined["noise"] == ""]
    for _, person in plain.groupby("person_id"):
        if len(person) > 1:  # records without noise differ only in each source's address style
            assert person[["forename", "surname", "date_of_birth", "postcode"]].nunique().max() == 1
    assert address_style("12 Acacia Road, Luton", 1) == "12 ACACIA RD LUTON"
    assert address_style("12 Acacia Road, Luton", 2) == "12 Acacia Road"
