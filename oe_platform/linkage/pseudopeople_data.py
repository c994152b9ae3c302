"""Census-like labelled data nobody here wrote: pseudopeople's simulated US administrative records.

pseudopeople (IHME, on PyPI) simulates the records a population leaves in administrative sources and
adds the noise those sources carry: typos, OCR and phonetic errors, nicknames, fake names written in
place of a name (MOTHER, GIRL, RESPONDENT), a household member's value copied, a day and month swapped,
digits miswritten, fields left blank, people who moved between sources. Its package ships a sample
population (one US town of about 10,000 people, every ZIP code 00000 apart from noise), from which
`fetch_pseudopeople` draws three sources of the same people, each with its own seed:

| source (canonical partner) | records | fields |
| --- | --- | --- |
| 2020 decennial census (`pp-census`) | one per person counted | names, middle initial, date of birth, sex, address |
| 2020 W-2 and 1099 tax forms (`pp-taxes`) | one per job | names, middle initial, mailing address |
| Social Security (`pp-ssa`), an account's creation | one per person with a number | names, middle name, birth, sex |

No source shares an identifier with another (the SSN is left out, as the canonical format has none),
the tax forms carry no date of birth and Social Security no address, so most people link only
through the census. The columns map as a partner would map them: a date that is no date in the
source's own format (census MM/DD/YYYY, Social Security YYYYMMDD) is left empty and counted; the
record id is a hash of the source and the row (pseudopeople's simulant ids would leak the truth).

pseudopeople needs its own dependencies (vivarium, tables, …), which the platform does not install:
`fetch_pseudopeople` makes a virtual environment for it in the cache (once, from the package index)
and runs the generation there; only the three sources' records come back, as Parquet.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pandas as pd

from oe_platform.linkage.public_data import LabelledDelivery, write_labelled_delivery

PSEUDOPEOPLE = "pseudopeople==1.3.1"
"""The PyPI release generated from (its sample population ships in the wheel)."""
SOURCES = ("census", "taxes", "ssa")

_GENERATE = """
import sys, warnings
warnings.filterwarnings("ignore")
import pseudopeople as psp
out, seed = sys.argv[1], int(sys.argv[2])
psp.generate_decennial_census(seed=seed, year=2020).to_parquet(f"{out}/census.parquet")
psp.generate_taxes_w2_and_1099(seed=seed + 1, year=2020).to_parquet(f"{out}/taxes.parquet")
psp.generate_social_security(seed=seed + 2, year=2020).to_parquet(f"{out}/ssa.parquet")
"""


def pseudopeople_python(cache: Path) -> Path:
    """The Python of a virtual environment in `cache` holding PSEUDOPEOPLE, made when not there yet."""
    venv = cache / "pseudopeople-venv"
    python = venv / "bin" / "python"
    if not (venv / "ready").exists():
        cache.mkdir(parents=True, exist_ok=True)
        steps = [[sys.executable, "-m", "venv", "--clear", str(venv)],
                 [str(python), "-m", "pip", "install", "--quiet", PSEUDOPEOPLE]]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"could not install {PSEUDOPEOPLE} into {venv} ({' '.join(step[-2:])}): "
                                   f"{done.stderr.strip()[-2000:] or done.stdout.strip()[-2000:]}")
        (venv / "ready").write_text(PSEUDOPEOPLE + "\n")
    return python


def generate_sources(cache: Path, seed: int) -> dict[str, pd.DataFrame]:
    """The three sources of pseudopeople's sample population with noise drawn from `seed`."""
    python = pseudopeople_python(cache)
    with tempfile.TemporaryDirectory(prefix="oe-pseudopeople-") as folder:
        done = subprocess.run([str(python), "-c", _GENERATE, folder, str(seed)], capture_output=True, text=True,
                              check=False)
        if done.returncode != 0:
            raise RuntimeError(f"pseudopeople failed to generate the sources: {done.stderr.strip()[-2000:]}")
        return {name: pd.read_parquet(Path(folder) / f"{name}.parquet") for name in SOURCES}


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    return str(value).strip()


def _date(value: object, layout: str) -> str:
    """An ISO date from the source's own layout ("mdy": MM/DD/YYYY, "ymd": YYYYMMDD); "" when the value
    is no date in that layout (a day and month swapped past 12, a digit lost)."""
    text = _text(value)
    try:
        if layout == "mdy":
            month_text, day_text, year_text = text.split("/")
            if len(year_text) != 4:  # a digit lost: no date
                return ""
            month, day, year = int(month_text), int(day_text), int(year_text)
        elif len(text) == 8 and text.isdigit():
            year, month, day = int(text[:4]), int(text[4:6]), int(text[6:])
        else:
            return ""
        return date(year, month, day).isoformat()
    except ValueError:
        return ""


def _address(*parts: object) -> str:
    """One address line as a UK partner writes it: house number, street and unit, then the town
    ("5112 145th st apt 2, Anytown"). The house number comes first and the town last, where the linkage
    reads them (records.py: `address_number`, `address_town`); the state, like a county, is left out."""
    unit, number, street, city = (_text(p) for p in parts)
    line = " ".join(p for p in (number, street, unit) if p)
    return ", ".join(p for p in (line, city) if p)


def _record_ids(source: str, rows: int) -> list[str]:
    return ["R" + hashlib.sha256(f"{source}-{i}".encode()).hexdigest()[:16] for i in range(rows)]


SEX = {"Female": "F", "Male": "M"}


def pseudopeople_to_canonical(sources: dict[str, pd.DataFrame]) -> tuple[dict[str, pd.DataFrame], int]:
    """Each source as canonical persons rows with a `person` column (the truth), and how many delivered
    dates of birth were no date."""
    census, taxes = sources["census"], sources["taxes"]
    ssa = sources["ssa"][sources["ssa"]["event_type"] == "creation"].reset_index(drop=True)
    frames = {
        "census": pd.DataFrame({
            "record_id": _record_ids("census", len(census)), "forename": census["first_name"].map(_text),
            "middle_names": census["middle_initial"].map(_text), "surname": census["last_name"].map(_text),
            "date_of_birth": census["date_of_birth"].map(lambda v: _date(v, "mdy")),
            "sex": census["sex"].map(lambda v: SEX.get(_text(v), "")),
            "address": [_address(*row) for row in zip(census["unit_number"], census["street_number"],
                                                      census["street_name"], census["city"], strict=True)],
            "postcode": census["zipcode"].map(_text), "person": census["simulant_id"].astype(str)}),
        "taxes": pd.DataFrame({
            "record_id": _record_ids("taxes", len(taxes)), "forename": taxes["first_name"].map(_text),
            "middle_names": taxes["middle_initial"].map(_text), "surname": taxes["last_name"].map(_text),
            "date_of_birth": "", "sex": "",
            "address": [_address(*row) for row in zip(
                taxes["mailing_address_unit_number"], taxes["mailing_address_street_number"],
                taxes["mailing_address_street_name"], taxes["mailing_address_city"], strict=True)],
            "postcode": taxes["mailing_address_zipcode"].map(_text), "person": taxes["simulant_id"].astype(str)}),
        "ssa": pd.DataFrame({
            "record_id": _record_ids("ssa", len(ssa)), "forename": ssa["first_name"].map(_text),
            "middle_names": ssa["middle_name"].map(_text), "surname": ssa["last_name"].map(_text),
            "date_of_birth": ssa["date_of_birth"].map(lambda v: _date(v, "ymd")),
            "sex": ssa["sex"].map(lambda v: SEX.get(_text(v), "")), "address": "", "postcode": "",
            "person": ssa["simulant_id"].astype(str)}),
    }
    emptied = int(sum(((frames[n]["date_of_birth"] == "") & (sources_dob != "")).sum()
                      for n, sources_dob in (("census", census["date_of_birth"].map(_text)),
                                             ("ssa", ssa["date_of_birth"].map(_text)))))
    return frames, emptied


def write_pseudopeople_delivery(sources: dict[str, pd.DataFrame], out: Path) -> LabelledDelivery:
    """Write the three sources as canonical partner deliveries under out/landing (pp-census, pp-taxes,
    pp-ssa) and their truth to out/truth/person_records.parquet."""
    frames, emptied = pseudopeople_to_canonical(sources)
    partners = {f"pp-{name}": (frame.drop(columns="person"), "P" + frame["person"]) for name, frame in frames.items()}
    return write_labelled_delivery(partners, out, "pseudopeople", emptied)
