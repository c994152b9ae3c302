"""Small, realistic person-record tables for the linkage tests (no generator involved).

Every test table holds a background population of a few hundred distinct people (common and rare
British names, dates of birth, postcodes), so that term frequencies and the prior behave as they do
on real deliveries, plus the handful of records a test is about.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from oe_platform.linkage.model import LinkageModel, load_model
from oe_platform.linkage.pipeline import LinkageRun, link_records
from oe_platform.linkage.standardise import formal_forename, postcode_parts, soundex

FORENAMES_M = ["JAMES", "JOHN", "ROBERT", "MICHAEL", "WILLIAM", "DAVID", "RICHARD", "THOMAS", "DANIEL", "PAUL",
               "MARK", "GEORGE", "STEVEN", "ANDREW", "KEVIN", "BRIAN", "JOSHUA", "RYAN", "JACOB", "GARY",
               "NICHOLAS", "ERIC", "STEPHEN", "JONATHAN", "LEWIS", "CALLUM", "OWEN", "DECLAN", "RHYS", "TOBIAS"]
FORENAMES_F = ["MARY", "PATRICIA", "JENNIFER", "LINDA", "ELIZABETH", "SUSAN", "JESSICA", "SARAH", "KAREN",
               "LISA", "NANCY", "EMMA", "MARGARET", "SANDRA", "ASHLEY", "KIMBERLY", "EMILY", "DONNA", "MICHELLE",
               "CAROL", "AMANDA", "MELISSA", "DEBORAH", "STEPHANIE", "REBECCA", "LAURA", "CHLOE", "FREYA",
               "ISLA", "MAISIE"]
SURNAMES = ["SMITH", "JONES", "TAYLOR", "BROWN", "WILLIAMS", "WILSON", "JOHNSON", "DAVIES", "ROBINSON", "WRIGHT",
            "THOMPSON", "EVANS", "WALKER", "WHITE", "ROBERTS", "GREEN", "HALL", "WOOD", "JACKSON", "CLARKE",
            "PATEL", "KHAN", "LEWIS", "JAMES", "PHILLIPS", "MASON", "MITCHELL", "ROSE", "DAVIS", "RODRIGUEZ",
            "COX", "ALEXANDER", "GARDEN", "CAMPBELL", "JOHNSTON", "MOORE", "SMYTH", "OLEARY", "PEARSON",
            "ALDRIDGE", "BARNSLEY", "CRISPIN", "DUNMORE", "ELLWOOD", "FAIRHURST", "GOLIGHTLY", "HATHERSAGE",
            "INGLEBY", "JESSOP", "KIRKBRIDE", "LOVEDAY", "MALLINSON", "NETTLESHIP", "OAKSHOTT", "PRIESTLEY"]
# Surnames of the background: the named ones above plus compounds (ASHWORTH, BLACKBURN…), with a
# Zipf-like frequency, so a common surname is common and most are rare, as in a real population.
_PREFIXES = ["ASH", "BLACK", "BRAD", "BROOK", "CAL", "COLD", "CRAN", "DAWN", "EAST", "FAIR", "FERN", "GOLD", "GREEN",
             "HAR", "HEATH", "HOLLY", "KING", "LANG", "LEA", "MARS", "MOOR", "NEW", "NOR", "OAK", "PEN", "RED",
             "ROCK", "SAND", "SHAW", "STAN", "THORN", "WAL", "WEST", "WHIT", "WIN", "WOOD"]
_SUFFIXES = ["WORTH", "BURN", "LEY", "FORD", "TON", "FIELD", "WELL", "HAM", "BY", "COTT", "DALE", "HURST",
             "STOCK", "WICK", "MORE", "BROOK", "SON", "MAN", "WOOD", "LOW"]
COMPOUND_SURNAMES = [p + s for p in _PREFIXES for s in _SUFFIXES]
STREETS = ["CHURCH", "STATION", "MILL", "MANOR", "PARK", "VICTORIA", "QUEENS", "KINGS", "GROVE", "ORCHARD",
           "MEADOW", "BROOK", "CASTLE", "ABBEY", "ELM", "OAK", "ASH", "BEECH", "WILLOW", "CEDAR"]
STREET_TYPES = ["ROAD", "LANE", "CLOSE", "AVENUE", "WAY", "DRIVE", "GARDENS", "CRESCENT"]
OUTWARDS = ["NR1", "NR2", "NR3", "IP1", "IP4", "CB1", "CB4", "CM1", "CM2", "SS1", "LU1", "MK40", "SG1", "AL1",
            "ME1", "CT1", "CV1", "WR1", "HR1", "PE1"]


def record(record_id: str, forename: str | None, surname: str | None, dob: str | date | None, *,
           postcode: str | None = None, middle: str | None = None, sex: str | None = None,
           phone: str | None = None, pnc: str | None = None, cro: str | None = None, nhs: str | None = None,
           source: str = "crime", force: str = "norfolk", ref: str | None = None,
           aliases: str | None = None, address: str | None = None) -> dict:
    """One standardised person record (the int_person_records shape)."""
    pc, outward, sector = postcode_parts(postcode)
    formal = formal_forename(forename)
    return {
        "person_record_id": record_id, "source_name": source, "force_code": force, "record_ref": ref or record_id,
        "forename_std": forename, "middle_names_std": middle, "surname_std": surname,
        "forename_formal": formal, "forename_phonetic": soundex(formal), "surname_phonetic": soundex(surname),
        "date_of_birth": date.fromisoformat(dob) if isinstance(dob, str) else dob, "sex_code": sex,
        "postcode_std": pc, "postcode_outward": outward, "postcode_sector": sector, "phone_e164": phone,
        "pnc_id": pnc, "cro_number": cro, "nhs_number": nhs, "aliases_std": aliases,
        "address_std": address,
    }


def background(people: int = 1000, seed: int = 5) -> list[dict]:
    """Distinct people, one or two records each (a second record sometimes at another address)."""
    rng = np.random.default_rng(seed)
    rows = []
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    surnames = SURNAMES + COMPOUND_SURNAMES
    weights = 1.0 / np.arange(1, len(surnames) + 1) ** 0.4  # the commonest about 1% (SMITH in the UK)
    weights /= weights.sum()
    for i in range(people):
        male = rng.random() < 0.5
        forename = str(rng.choice(FORENAMES_M if male else FORENAMES_F))
        surname = str(rng.choice(surnames, p=weights))
        dob = date(1950, 1, 1) + timedelta(days=int(rng.integers(0, 20_000)))
        postcode = f"{rng.choice(OUTWARDS)} {rng.integers(1, 9)}{rng.choice(list(letters))}{rng.choice(list(letters))}"
        address = f"{rng.integers(1, 200)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        for copy in range(1 + int(rng.random() < 0.4)):
            moved = copy and rng.random() < 0.5
            rows.append(record(
                f"bg{i:04d}-{copy}", forename, surname, dob, sex="M" if male else "F",
                postcode=f"{rng.choice(OUTWARDS)} 5AB" if moved else postcode,
                address=f"{rng.integers(1, 200)} HIGH STREET" if moved else address,
                force=str(rng.choice(["norfolk", "suffolk", "essex"])), ref=f"BG{i:04d}{copy}",
            ))
    return rows


def keyed_duplicates(count: int = 40, seed: int = 13) -> list[dict]:
    """A register keyed by hand: distinct people, each in two records whose names and address agree and
    whose dates of birth are one keying error apart in half of them (a digit of the day, month or year
    changed), the records of a partner whose dates of birth carry keying errors."""
    rng = np.random.default_rng(seed)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    rows = []
    for i in range(count):
        male = rng.random() < 0.5
        forename = str(rng.choice(FORENAMES_M if male else FORENAMES_F))
        surname = str(rng.choice(COMPOUND_SURNAMES))
        born = date(1950, 1, 1) + timedelta(days=int(rng.integers(0, 20_000)))
        postcode = f"{rng.choice(OUTWARDS)} {rng.integers(1, 9)}{rng.choice(list(letters))}{rng.choice(list(letters))}"
        address = f"{rng.integers(1, 200)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        keyed = born
        if i % 2:
            shift = [timedelta(days=1), timedelta(days=-1), timedelta(days=10)][i % 3]
            keyed = born + shift if (born + shift).year == born.year else born - shift
        for copy, dob in enumerate((born, keyed)):
            rows.append(record(f"kd{i:03d}-{copy}", forename, surname, dob, sex="M" if male else "F",
                               postcode=postcode, address=address, force=["norfolk", "suffolk"][copy],
                               ref=f"KD{i:03d}{copy}"))
    return rows


def replaced_duplicates(count: int = 40, seed: int = 17, source: str = "crime",
                        forces: tuple[str, str] = ("norfolk", "suffolk")) -> list[dict]:
    """A register whose values are replaced wholesale: distinct people, each in two records whose surname
    and address agree; in a quarter of them the second record holds another forename, in another quarter
    another date of birth (what a form filled in from the wrong line, or a data-entry tool substituting a
    value, makes). The two records come from `source` under `forces` (a partner: the same code twice)."""
    rng = np.random.default_rng(seed)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    rows = []
    for i in range(count):
        male = rng.random() < 0.5
        names = FORENAMES_M if male else FORENAMES_F
        forename = str(rng.choice(names))
        surname = str(rng.choice(COMPOUND_SURNAMES))
        born = date(1950, 1, 1) + timedelta(days=int(rng.integers(0, 20_000)))
        postcode = f"{rng.choice(OUTWARDS)} {rng.integers(1, 9)}{rng.choice(list(letters))}{rng.choice(list(letters))}"
        address = f"{rng.integers(1, 200)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        other_name, other_dob = forename, born
        if i % 4 == 1:
            other_name = str(rng.choice([n for n in names if n[0] != forename[0]]))
        elif i % 4 == 3:
            other_dob = date(1950, 1, 1) + timedelta(days=int(rng.integers(0, 20_000)))
        for copy, (name, dob) in enumerate(((forename, born), (other_name, other_dob))):
            rows.append(record(f"rv{i:03d}-{copy}", name, surname, dob, sex="M" if male else "F",
                               postcode=postcode, address=address, force=forces[copy], source=source,
                               ref=f"RV{i:03d}{copy}"))
    return rows


def families(count: int = 60, seed: int = 9) -> list[dict]:
    """Households: two parents and two children at one address with one surname, the children born
    22 to 38 years after their parents (what a force's records hold: relatives at one address)."""
    rng = np.random.default_rng(seed)
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    rows = []
    for i in range(count):
        surname = str(rng.choice(SURNAMES + COMPOUND_SURNAMES))
        postcode = f"{rng.choice(OUTWARDS)} {rng.integers(1, 9)}{rng.choice(list(letters))}{rng.choice(list(letters))}"
        address = f"{rng.integers(1, 200)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}"
        parents = date(1950, 1, 1) + timedelta(days=int(rng.integers(0, 9_000)))
        people = [(str(rng.choice(FORENAMES_M)), "M", parents), (str(rng.choice(FORENAMES_F)), "F", parents)]
        while len(people) < 4:  # two children, each with a name of their own
            male = rng.random() < 0.5
            forename = str(rng.choice(FORENAMES_M if male else FORENAMES_F))
            if forename not in {name for name, _, _ in people}:
                born = parents + timedelta(days=int(rng.integers(22 * 365, 38 * 365)))
                people.append((forename, "M" if male else "F", born))
        for j, (forename, sex, dob) in enumerate(people):
            rows.append(record(f"fam{i:03d}-{j}", forename, surname, dob, sex=sex, postcode=postcode, address=address,
                               force=str(rng.choice(["norfolk", "suffolk", "essex"])), ref=f"FAM{i:03d}{j}"))
    return rows


@pytest.fixture(scope="session")
def model() -> LinkageModel:
    """The committed model (what a normal run uses)."""
    return load_model()


@pytest.fixture(scope="session")
def background_rows() -> list[dict]:
    return background()


@pytest.fixture
def link(model, background_rows):
    """link(rows, previous=None) -> LinkageRun over the background population plus `rows`."""

    def run(rows: list[dict], previous: pd.DataFrame | None = None, with_background: bool = True) -> LinkageRun:
        frame = pd.DataFrame([*(background_rows if with_background else []), *rows])
        con = duckdb.connect()
        con.register("test_frame", frame)
        con.execute("create temp table test_records as select * from test_frame")
        return link_records(con, "test_records", model=model, previous=previous)

    return run


def person_of(run: LinkageRun) -> dict[str, str]:
    clusters = run.clusters
    return dict(zip(clusters["person_record_id"], clusters["person_id"], strict=True))


def pair_of(run: LinkageRun, a: str, b: str) -> pd.DataFrame:
    """The scored pair of records a and b (either way round); empty when it was not kept."""
    pairs = run.pairs
    left, right = pairs["person_record_id_l"], pairs["person_record_id_r"]
    return pairs[((left == a) & (right == b)) | ((left == b) & (right == a))]
