"""A FEBRL-style keyed-duplicates delivery (`oe linkage evaluate --profile febrl`).

Not the generator's world: independent synthetic people, each with one original record and 0 to 5
duplicates carrying 1 to 4 keying errors each, delivered as one canonical partner file
(canonical/<partner>/<date>/persons.csv) with only forename, surname, date of birth, address and
postcode. No identifiers, no phones, no e-mail, no sex, no events, and every record its own
record_id (no source key links two records): a match has to be found on the noisy evidence alone.

The error kinds are those of FEBRL's data set generator (Christen, "Probabilistic data generation
for deduplication and data linkage", 2005): a character inserted, deleted, substituted or two
transposed; an OCR confusion (rn/m, cl/d, 0/O ...); a phonetic variant (ph/f, ck/k ...); a value
missing; two fields' values swapped; a nickname for the forename; and for dates of birth a mistyped
digit or day and month swapped. People are drawn from the generator's name, street and postcode
pools; no FEBRL data is copied.

The truth goes to <truth>/person_records.parquet in the generator's truth format (source, org,
record_key, person_id, kind, noise), so `evaluate.load_truth` reads it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from oe_platform.synth.noise import mistype_date, mistype_postcode
from oe_platform.synth.reference import FORCE_DISTRICTS, name_pools, nicknames, street_pool
from oe_platform.synth.truth import write_table

PARTNER = "keyed-demo"
DELIVERY_DATE = "2026-01-31"
FIELDS = ("forename", "surname", "date_of_birth", "address", "postcode")
COLUMNS = ("record_id", *FIELDS)

# FEBRL's per-field selection weights (roughly even) and error kinds with their weights per field
FIELD_WEIGHTS = {"forename": 0.22, "surname": 0.22, "date_of_birth": 0.2, "address": 0.18, "postcode": 0.18}
ERROR_KINDS: dict[str, dict[str, float]] = {
    "forename": {"insert": 0.12, "delete": 0.12, "substitute": 0.16, "transpose": 0.1, "ocr": 0.08,
                 "phonetic": 0.12, "missing": 0.1, "nickname": 0.12, "swap": 0.08},
    "surname": {"insert": 0.14, "delete": 0.14, "substitute": 0.18, "transpose": 0.12, "ocr": 0.1,
                "phonetic": 0.16, "missing": 0.06, "swap": 0.1},
    "date_of_birth": {"digit": 0.6, "day_month": 0.2, "missing": 0.2},
    "address": {"insert": 0.15, "delete": 0.15, "substitute": 0.2, "transpose": 0.1, "ocr": 0.1,
                "phonetic": 0.1, "missing": 0.2},
    "postcode": {"substitute": 0.5, "transpose": 0.2, "missing": 0.3},
}
OCR = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("d", "cl"), ("vv", "w"), ("w", "vv"), ("li", "h"), ("h", "li"),
       ("i", "l"), ("l", "i"), ("e", "c"), ("u", "v"), ("n", "h"), ("o", "0"), ("1", "l"), ("5", "s"),
       ("8", "b"), ("0", "o"))
PHONETIC = (("ph", "f"), ("f", "ph"), ("ck", "k"), ("ch", "tch"), ("c", "k"), ("k", "c"), ("ee", "ea"),
            ("ea", "ee"), ("ie", "y"), ("y", "ie"), ("th", "t"), ("sch", "sh"), ("s", "z"), ("z", "s"),
            ("ou", "ow"), ("wr", "r"), ("kn", "n"), ("gh", "g"), ("ey", "y"), ("son", "sen"), ("ll", "l"),
            ("tt", "t"), ("nn", "n"), ("ai", "ay"), ("er", "a"), ("v", "w"), ("x", "ks"), ("ei", "ie"))
LETTERS = "abcdefghijklmnopqrstuvwxyz"
CHAR_ERRORS = ("insert", "delete", "substitute", "transpose")
# duplicates per person: 0 to 5, most have one or two (FEBRL's Zipf-like default)
DUPLICATE_WEIGHTS = (0.2, 0.35, 0.2, 0.12, 0.08, 0.05)


@dataclass(frozen=True)
class KeyedDelivery:
    persons: int
    records: int
    duplicates: int
    persons_file: Path
    truth_file: Path


def _pick(rng: np.random.Generator, weights: dict[str, float]) -> str:
    names = list(weights)
    p = np.array([weights[n] for n in names])
    return names[int(rng.choice(len(names), p=p / p.sum()))]


def _cased(new: str, like: str) -> str:
    return new.upper() if like.isupper() else new


def char_error(value: str, kind: str, rng: np.random.Generator) -> str:
    """One character inserted, deleted, substituted, or two neighbours transposed, anywhere."""
    if not value:
        return value
    i = int(rng.integers(len(value)))
    if kind == "insert":
        return value[:i] + _cased(LETTERS[int(rng.integers(26))], value[i]) + value[i:]
    if kind == "delete" and len(value) > 1:
        return value[:i] + value[i + 1:]
    if kind == "transpose" and len(value) > 1:
        i = min(i, len(value) - 2)
        if value[i] != value[i + 1]:
            return value[:i] + value[i + 1] + value[i] + value[i + 2:]
    if value[i].isdigit():
        return value[:i] + str((int(value[i]) + int(rng.integers(1, 10))) % 10) + value[i + 1:]
    options = LETTERS.replace(value[i].lower(), "")
    return value[:i] + _cased(options[int(rng.integers(len(options)))], value[i]) + value[i + 1:]


def pattern_error(value: str, table: tuple[tuple[str, str], ...], rng: np.random.Generator) -> str:
    """One applicable substitution from `table` (OCR or phonetic), at a random occurrence; a plain
    substitution when none applies."""
    lower = value.lower()
    options = [(old, new, i) for old, new in table for i in range(len(lower)) if lower.startswith(old, i)]
    if not options:
        return char_error(value, "substitute", rng)
    old, new, i = options[int(rng.integers(len(options)))]
    if value[i].isupper():
        new = new.upper() if value[i + len(old) - 1:i + len(old)].isupper() else new[:1].upper() + new[1:]
    return value[:i] + new + value[i + len(old):]


def _people(count: int, rng: np.random.Generator, seed: int) -> pd.DataFrame:
    pools = name_pools()
    sex = rng.random(count) < 0.5
    male, p_male = pools["male"]
    female, p_female = pools["female"]
    surnames, p_surname = pools["surname"]
    forename = np.where(sex, male[rng.choice(len(male), count, p=p_male)],
                        female[rng.choice(len(female), count, p=p_female)])
    surname = surnames[rng.choice(len(surnames), count, p=p_surname)]
    start = date(1930, 1, 1)
    dob = [(start + timedelta(days=int(d))).isoformat() for d in rng.integers(0, 365 * 78, count)]
    streets = street_pool(seed)
    towns = [(town, districts, share) for towns in FORCE_DISTRICTS.values() for town, districts, share in towns]
    shares = np.array([t[2] for t in towns])
    town_idx = rng.choice(len(towns), count, p=shares / shares.sum())
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    addresses, postcodes = [], []
    for k in range(count):
        town, districts, _ = towns[int(town_idx[k])]
        district = districts[int(rng.integers(len(districts)))]
        street = streets[int(rng.integers(len(streets)))]
        flat = f"Flat {int(rng.integers(1, 30))}, " if rng.random() < 0.2 else ""
        addresses.append(f"{flat}{int(rng.integers(1, 250))} {street}, {town}")
        postcodes.append(f"{district} {int(rng.integers(1, 10))}{letters[int(rng.integers(20))]}"
                         f"{letters[int(rng.integers(20))]}")
    return pd.DataFrame({"forename": forename, "surname": surname, "date_of_birth": dob,
                         "address": addresses, "postcode": postcodes})


def corrupt(record: dict[str, str], errors: int, rng: np.random.Generator,
            nick: dict[str, tuple[str, ...]]) -> list[str]:
    """Apply `errors` FEBRL-style errors to `record` in place (at most two per field); returns
    'kind:field' labels of what was done."""
    labels: list[str] = []
    per_field: dict[str, int] = {}
    for _ in range(errors * 4):
        if len(labels) >= errors:
            break
        field = _pick(rng, {f: w for f, w in FIELD_WEIGHTS.items() if per_field.get(f, 0) < 2})
        kind = _pick(rng, ERROR_KINDS[field])
        value = record[field]
        if not value:
            continue
        if kind == "missing":
            new = ""
        elif kind == "swap":
            other = "surname" if field == "forename" else "forename"
            if not record[other]:
                continue
            record[other], new = value, record[other]
        elif kind == "nickname":
            options = nick.get(value.title())
            if not options:
                continue
            new = options[int(rng.integers(len(options)))]
        elif kind == "digit":
            new = mistype_date(value, rng, 1, (0, 1, 2, 3, 5, 6, 8, 9))
        elif kind == "day_month":
            new = f"{value[:4]}-{value[8:10]}-{value[5:7]}"
            if int(value[8:10]) > 12:
                continue
        elif field == "postcode" and kind == "substitute":
            new = mistype_postcode(value, rng)
        elif kind == "ocr":
            new = pattern_error(value, OCR, rng)
        elif kind == "phonetic":
            new = pattern_error(value, PHONETIC, rng)
        else:
            new = char_error(value, kind, rng)
        if new == value:
            continue
        record[field] = new
        per_field[field] = per_field.get(field, 0) + 1
        labels.append(f"{kind}:{field}")
    return labels


def write_keyed_delivery(persons: int, seed: int, landing: Path, truth_out: Path,
                         max_errors: int = 4) -> KeyedDelivery:
    """Write the delivery under `landing`/canonical/<PARTNER>/<DELIVERY_DATE>/persons.csv and its
    truth under `truth_out`/person_records.parquet."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    rng = np.random.default_rng(seed)
    people = _people(persons, rng, seed)
    nick = nicknames()
    counts = rng.choice(len(DUPLICATE_WEIGHTS), persons, p=np.array(DUPLICATE_WEIGHTS))
    rows: list[dict[str, str]] = []
    truth: list[dict[str, str]] = []
    for k, original in enumerate(people.to_dict("records")):
        person_id = f"P{k:07d}"
        rows.append(dict(original))
        truth.append({"person_id": person_id, "kind": "original", "noise": ""})
        for _ in range(int(counts[k])):
            record = dict(original)
            labels = corrupt(record, int(rng.integers(1, max_errors + 1)), rng, nick)
            rows.append(record)
            truth.append({"person_id": person_id, "kind": "duplicate", "noise": ";".join(labels)})
    order = rng.permutation(len(rows))  # record ids say nothing of who is whom
    frame = pd.DataFrame([rows[i] for i in order])
    frame.insert(0, "record_id", [f"R{n:08d}" for n in rng.choice(10**8, len(rows), replace=False)])
    folder = landing / "canonical" / PARTNER / DELIVERY_DATE
    folder.mkdir(parents=True, exist_ok=True)
    persons_file = folder / "persons.csv"
    frame[list(COLUMNS)].to_csv(persons_file, index=False, encoding="utf-8")
    truth_frame = pd.DataFrame([truth[i] for i in order])
    truth_frame.insert(0, "record_key", frame["record_id"].to_numpy())
    truth_frame.insert(0, "org", PARTNER)
    truth_frame.insert(0, "source", "canonical")
    truth_out.mkdir(parents=True, exist_ok=True)
    truth_file = truth_out / "person_records.parquet"
    write_table(truth_frame, truth_file)
    return KeyedDelivery(persons=persons, records=len(frame), duplicates=int(counts.sum()),
                         persons_file=persons_file, truth_file=truth_file)


# --- census-like: the same people in three administrative sources (`--profile census-keyed`) ---

CENSUS_SOURCES = ("census-a", "census-b", "census-c")
CENSUS_LOCALES = ("pl_PL", "ro_RO", "es_ES", "en_IN", "pt_PT", "tr_TR")
CENSUS_FOREIGN_SHARE = 0.3
CENSUS_PRESENT = 0.85  # a person is in each source with this probability (at least one source)
# per record, independently: what an administrative source does to a person's details
CENSUS_RATES = {
    "typo_forename": 0.06, "typo_surname": 0.06, "nickname": 0.15, "initial": 0.04, "ascii": 0.6,
    "day_month": 0.08, "digit": 0.04, "dob_missing": 0.04, "postcode_missing": 0.06, "surname_change": 0.03,
}
CENSUS_MOVED = 0.25  # a person who moved: sources after the move hold the new address
_ABBREVIATIONS = {"Road": "Rd", "Street": "St", "Avenue": "Ave", "Close": "Cl", "Lane": "Ln", "Drive": "Dr",
                  "Crescent": "Cres", "Gardens": "Gdns", "Court": "Ct", "Place": "Pl", "Terrace": "Ter",
                  "Square": "Sq"}


def ascii_fold(value: str) -> str:
    """Diacritics dropped (Zięcik -> Ziecik, Şekim -> Sekim), as a source without them keys it."""
    import unicodedata

    folded = unicodedata.normalize("NFKD", value.replace("ł", "l").replace("Ł", "L"))
    return "".join(c for c in folded if not unicodedata.combining(c))


def address_style(address: str, source: int) -> str:
    """One address line in the style of source 0, 1 or 2: as written; upper case with street types
    abbreviated and no commas; the town left out."""
    if source == 1:
        words = [_ABBREVIATIONS.get(w.rstrip(","), w.rstrip(",")) for w in address.split()]
        return " ".join(words).upper()
    if source == 2:
        return address.rsplit(", ", 1)[0]
    return address


def _foreign_people(count: int, seed: int) -> list[tuple[str, str]]:
    from oe_platform.synth.reference import foreign_names

    per = count // len(CENSUS_LOCALES) + 1
    out = [(f, s) for k, loc in enumerate(CENSUS_LOCALES) for f, s, _ in foreign_names(seed + k, loc, per)]
    return out[:count]


def write_census_delivery(persons: int, seed: int, landing: Path, truth_out: Path) -> KeyedDelivery:
    """The same people in three canonical partner files (CENSUS_SOURCES), a record each where present,
    with other countries' names (diacritics kept or dropped), nicknames, initials, a surname changed,
    day and month of birth swapped or a digit mistyped, each source's address style, and a quarter of
    the people moved between sources. Names, date of birth, address and postcode only; no identifiers."""
    if persons < 1:
        raise ValueError("persons must be at least 1")
    rng = np.random.default_rng(seed)
    people = _people(persons, rng, seed)
    movers = _people(persons, rng, seed + 1)  # new addresses of those who move
    surnames = _people(persons, rng, seed + 2)["surname"].to_numpy()
    foreign = rng.random(persons) < CENSUS_FOREIGN_SHARE
    names = _foreign_people(int(foreign.sum()), seed)
    people.loc[foreign, "forename"] = [f for f, _ in names]
    people.loc[foreign, "surname"] = [s for _, s in names]
    nick = nicknames()
    moved = rng.random(persons) < CENSUS_MOVED
    move_after = rng.integers(0, len(CENSUS_SOURCES) - 1, persons)  # sources after this one hold the new address
    present = rng.random((persons, len(CENSUS_SOURCES))) < CENSUS_PRESENT
    present[~present.any(axis=1), 0] = True
    rows: list[list[dict[str, str]]] = [[] for _ in CENSUS_SOURCES]
    truth: list[list[dict[str, str]]] = [[] for _ in CENSUS_SOURCES]
    for k, person in enumerate(people.to_dict("records")):
        for src in range(len(CENSUS_SOURCES)):
            if not present[k, src]:
                continue
            record = dict(person)
            labels = []
            if moved[k] and src > move_after[k]:
                record["address"], record["postcode"] = movers.at[k, "address"], movers.at[k, "postcode"]
                labels.append("moved")
            u = rng.random(len(CENSUS_RATES))
            for (kind, rate), draw in zip(CENSUS_RATES.items(), u, strict=True):
                if draw >= rate:
                    continue
                before = dict(record)
                if kind == "typo_forename":
                    record["forename"] = char_error(record["forename"], CHAR_ERRORS[int(rng.integers(4))], rng)
                elif kind == "typo_surname":
                    record["surname"] = char_error(record["surname"], CHAR_ERRORS[int(rng.integers(4))], rng)
                elif kind == "nickname" and nick.get(record["forename"].title()):
                    options = nick[record["forename"].title()]
                    record["forename"] = options[int(rng.integers(len(options)))]
                elif kind == "initial":
                    record["forename"] = record["forename"][:1]
                elif kind == "ascii":
                    record["forename"], record["surname"] = (ascii_fold(record["forename"]),
                                                             ascii_fold(record["surname"]))
                elif kind == "day_month" and int(record["date_of_birth"][8:10]) <= 12:
                    d = record["date_of_birth"]
                    record["date_of_birth"] = f"{d[:4]}-{d[8:10]}-{d[5:7]}"
                elif kind == "digit":
                    record["date_of_birth"] = mistype_date(record["date_of_birth"], rng, 1, (2, 3, 5, 6, 8, 9))
                elif kind == "dob_missing":
                    record["date_of_birth"] = ""
                elif kind == "postcode_missing":
                    record["postcode"] = ""
                elif kind == "surname_change":
                    record["surname"] = str(surnames[k])
                if record != before:
                    labels.append(kind)
            record["address"] = address_style(record["address"], src)
            rows[src].append(record)
            truth[src].append({"person_id": f"P{k:07d}", "kind": CENSUS_SOURCES[src], "noise": ";".join(labels)})
    frames, truths, files = [], [], []
    for src, partner in enumerate(CENSUS_SOURCES):
        order = rng.permutation(len(rows[src]))
        frame = pd.DataFrame([rows[src][i] for i in order], columns=list(FIELDS))
        frame.insert(0, "record_id", [f"{partner[-1].upper()}{n:08d}"
                                      for n in rng.choice(10**8, len(frame), replace=False)])
        folder = landing / "canonical" / partner / DELIVERY_DATE
        folder.mkdir(parents=True, exist_ok=True)
        frame[list(COLUMNS)].to_csv(folder / "persons.csv", index=False, encoding="utf-8")
        files.append(folder / "persons.csv")
        t = pd.DataFrame([truth[src][i] for i in order], columns=["person_id", "kind", "noise"])
        t.insert(0, "record_key", frame["record_id"].to_numpy())
        t.insert(0, "org", partner)
        t.insert(0, "source", "canonical")
        frames.append(frame)
        truths.append(t)
    truth_out.mkdir(parents=True, exist_ok=True)
    truth_file = truth_out / "person_records.parquet"
    write_table(pd.concat(truths, ignore_index=True), truth_file)
    total = sum(len(f) for f in frames)
    return KeyedDelivery(persons=persons, records=total, duplicates=total - persons, persons_file=files[0],
                         truth_file=truth_file)
