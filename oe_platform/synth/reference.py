"""Reference data the generator draws from: forces, towns, names, offences, nicknames, code sets.

Seeds (seeds/*.csv) are read from the repository; the small lists below are the generator's own.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from faker import Faker
from faker.providers.person.en_GB import Provider as EnGbNames

from oe_platform.config import REPO_ROOT

SEEDS = REPO_ROOT / "seeds"


@dataclass(frozen=True)
class Force:
    code: str
    name: str
    short_name: str
    areas: tuple[str, ...]
    population_weight: float


# Relative resident population of each force area (rounded ONS mid-year estimates, millions):
# used only to share the synthetic population between forces.
_POPULATION_WEIGHTS = {
    "bedfordshire": 0.69, "cambridgeshire": 0.89, "essex": 1.87, "hertfordshire": 1.20, "kent": 1.89,
    "norfolk": 0.92, "suffolk": 0.77, "warwickshire": 0.60, "west-mercia": 1.31,
}

# Towns by postcode area (the areas of seeds/forces.csv).
TOWNS = {
    "LU": ("Luton", "Dunstable", "Leighton Buzzard", "Houghton Regis"),
    "MK": ("Bedford", "Kempston", "Ampthill", "Flitwick"),
    "CB": ("Cambridge", "Ely", "Histon", "Soham"),
    "PE": ("Peterborough", "Huntingdon", "Wisbech", "March", "St Ives", "St Neots"),
    "CM": ("Chelmsford", "Harlow", "Braintree", "Maldon", "Witham"),
    "CO": ("Colchester", "Clacton-on-Sea", "Harwich", "Frinton-on-Sea"),
    "SS": ("Southend-on-Sea", "Basildon", "Rayleigh", "Canvey Island", "Wickford"),
    "RM": ("Grays", "Tilbury", "Purfleet", "South Ockendon"),
    "AL": ("St Albans", "Harpenden", "Hatfield", "Welwyn Garden City"),
    "SG": ("Stevenage", "Hitchin", "Letchworth Garden City", "Hertford", "Royston"),
    "WD": ("Watford", "Borehamwood", "Bushey", "Rickmansworth"),
    "HP": ("Hemel Hempstead", "Berkhamsted", "Tring"),
    "ME": ("Maidstone", "Chatham", "Gillingham", "Rochester", "Sittingbourne"),
    "CT": ("Canterbury", "Margate", "Ramsgate", "Dover", "Folkestone", "Herne Bay"),
    "TN": ("Tunbridge Wells", "Tonbridge", "Ashford", "Sevenoaks"),
    "DA": ("Dartford", "Gravesend", "Swanley"),
    "NR": ("Norwich", "Great Yarmouth", "Dereham", "Cromer", "Wymondham", "Thetford"),
    "IP": ("Ipswich", "Bury St Edmunds", "Felixstowe", "Stowmarket", "Sudbury"),
    "CV": ("Nuneaton", "Rugby", "Leamington Spa", "Warwick", "Stratford-upon-Avon", "Bedworth"),
    "WR": ("Worcester", "Malvern", "Evesham", "Droitwich Spa", "Redditch"),
    "HR": ("Hereford", "Leominster", "Ross-on-Wye"),
    "SY": ("Shrewsbury", "Oswestry", "Ludlow"),
    "TF": ("Telford", "Wellington", "Newport"),
}

# Short force codes some legacy systems print, and the two-digit numbers used in crime references.
FORCE_SHORT = {
    "bedfordshire": "BED", "cambridgeshire": "CAM", "essex": "ESX", "hertfordshire": "HER", "kent": "KNT",
    "norfolk": "NFK", "suffolk": "SFK", "warwickshire": "WAR", "west-mercia": "WMC",
}
FORCE_PREFIX = {
    "bedfordshire": "BD", "cambridgeshire": "CB", "essex": "EX", "hertfordshire": "HT", "kent": "KT",
    "norfolk": "NK", "suffolk": "SK", "warwickshire": "WK", "west-mercia": "WM",
}
FORCE_NUMBER = {  # illustrative only ([unverified] in DOMAIN.md)
    "bedfordshire": 40, "cambridgeshire": 35, "essex": 42, "hertfordshire": 41, "kent": 46,
    "norfolk": 36, "suffolk": 37, "warwickshire": 23, "west-mercia": 22,
}
EXTRA_FORCE_NAMES = {"btp": "British Transport Police", "metropolitan": "Metropolitan Police Service"}

STREET_SUFFIXES = (
    "Road", "Street", "Avenue", "Close", "Lane", "Drive", "Way", "Crescent", "Gardens", "Court", "Place",
    "Grove", "Terrace", "Mews", "Walk", "Rise", "Hill", "Green", "View", "Park", "Row", "Square",
)
STREET_STEMS = (
    "High", "Church", "Station", "Mill", "School", "Victoria", "Queens", "Kings", "Manor", "Park", "London",
    "North", "South", "West", "East", "Chapel", "Orchard", "Meadow", "Oak", "Ash", "Elm", "Beech", "Willow",
    "Cedar", "Chestnut", "Maple", "Holly", "Hawthorn", "Rowan", "Birch", "Windsor", "York", "Albert",
    "Alexandra", "Stanley", "Nelson", "Mount", "Springfield", "Grange", "Priory", "Abbey", "Bridge", "Market",
    "Castle", "New", "Green", "Brook", "Field", "Hillside", "Riverside",
)
PREMISES = (
    "Outside {n} {street}", "Rear of {n} {street}", "Car park, {street}", "Bus station", "Railway station",
    "Retail park, {street}", "Convenience store, {street}", "Public house, {street}", "Recreation ground",
    "Alleyway off {street}", "Shopping centre", "{street} (street)", "Takeaway, {street}", "Petrol station",
)

# Self-defined ethnicity (16+1) with rough shares; officer-defined (IC) equivalents for legacy systems.
ETHNICITY = (
    ("W1", 0.78), ("W2", 0.01), ("W9", 0.04), ("M1", 0.01), ("M2", 0.01), ("M3", 0.01), ("M9", 0.005),
    ("A1", 0.03), ("A2", 0.02), ("A3", 0.01), ("A9", 0.01), ("B1", 0.015), ("B2", 0.015), ("B9", 0.005),
    ("O1", 0.005), ("O9", 0.01), ("NS", 0.015),
)
ETHNICITY_TO_IC = {
    "W1": "IC1", "W2": "IC1", "W9": "IC2", "M1": "IC3", "M2": "IC3", "M3": "IC4", "M9": "IC0",
    "A1": "IC4", "A2": "IC4", "A3": "IC4", "A9": "IC4", "B1": "IC3", "B2": "IC3", "B9": "IC3",
    "O1": "IC5", "O9": "IC6", "NS": "IC0",
}

# Street names and brands for county lines and OSINT handles.
STREET_NAMES = (
    "Tiny", "Ghost", "Smokey", "Jay", "Kdot", "Blade", "Snoop", "Dizzy", "Flash", "Razor", "Chunks", "Ice",
    "Lil T", "Bugsy", "Ace", "Spider", "Nitro", "Rico", "Skinz", "Ziggy", "Bam", "Rocket", "Duke", "Shadow",
)
LINE_BRANDS = (
    "Deano", "Rambo", "Milly", "Kash", "Gucci", "Bando", "Scotty", "Tommy", "Mickey", "Bizzle", "Zed", "Benz",
    "Frosty", "Marley", "Tank", "Sonic", "Trapper", "Vinny", "Boots", "Mash", "Dubz", "Lenny", "Reno", "Tiger",
)
FOREIGN_LOCALES = (("pl_PL", "Polish"), ("ro_RO", "Romanian"))


@cache
def forces() -> tuple[Force, ...]:
    with open(SEEDS / "forces.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    out = []
    for row in rows:
        short = row["force_name"].replace(" Constabulary", "").replace(" Police", "")
        out.append(Force(row["force_code"], row["force_name"], short, tuple(row["postcode_areas"].split()),
                         _POPULATION_WEIGHTS.get(row["force_code"], 1.0)))
    return tuple(out)


def force_codes() -> tuple[str, ...]:
    return tuple(f.code for f in forces())


@cache
def offence_classes() -> dict[str, dict[str, str]]:
    with open(SEEDS / "home_office_offence_classes.csv", newline="", encoding="utf-8") as handle:
        return {row["home_office_code"]: row for row in csv.DictReader(handle)}


@cache
def local_offence_codes() -> dict[str, dict[str, list[tuple[str, str]]]]:
    """force -> Home Office code -> [(local code, local description)] in seed order."""
    out: dict[str, dict[str, list[tuple[str, str]]]] = {}
    with open(SEEDS / "local_offence_codes.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["force_code"], {}).setdefault(row["home_office_code"], []).append(
                (row["local_code"], row["description"])
            )
    return out


@cache
def nicknames() -> dict[str, tuple[str, ...]]:
    """Formal forename (title case) -> nicknames (title case), from seeds/nicknames.csv."""
    out: dict[str, list[str]] = {}
    with open(SEEDS / "nicknames.csv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            out.setdefault(row["formal_name"].title(), []).append(row["nickname"].title())
    return {k: tuple(v) for k, v in out.items()}


def _zipf_weights(count: int, exponent: float = 0.9) -> np.ndarray:
    weights = 1.0 / np.arange(1, count + 1) ** exponent
    return weights / weights.sum()


@cache
def name_pools() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Weighted British name pools from faker's en_GB data: name array and probabilities."""
    male = np.array(EnGbNames.first_names_male, dtype=object)
    female = np.array(EnGbNames.first_names_female, dtype=object)
    last = EnGbNames.last_names
    surnames = np.array(list(last.keys()), dtype=object)
    weights = np.array(list(last.values()), dtype=float)
    return {
        "male": (male, _zipf_weights(len(male))),
        "female": (female, _zipf_weights(len(female))),
        "surname": (surnames, weights / weights.sum()),
    }


def street_pool(seed: int, size: int = 1500) -> np.ndarray:
    """Deterministic British-looking street names from a seeded faker instance and own stems."""
    fake = Faker("en_GB")
    fake.seed_instance(seed)
    rng = np.random.default_rng(seed)
    names = set()
    out = []
    while len(out) < size:
        stem = fake.last_name() if rng.random() < 0.55 else STREET_STEMS[int(rng.integers(len(STREET_STEMS)))]
        name = f"{stem} {STREET_SUFFIXES[int(rng.integers(len(STREET_SUFFIXES)))]}"
        if name not in names:
            names.add(name)
            out.append(name)
    return np.array(out, dtype=object)


def foreign_names(seed: int, locale: str, count: int) -> list[tuple[str, str, str]]:
    """(forename, surname, sex) tuples from a seeded faker instance of another locale."""
    fake = Faker(locale)
    fake.seed_instance(seed)
    out = []
    for i in range(count):
        sex = "M" if i % 3 else "F"
        if sex == "M":
            out.append((fake.first_name_male(), fake.last_name_male(), sex))
        else:
            out.append((fake.first_name_female(), fake.last_name_female(), sex))
    return out


def repo_relative(path: Path) -> str:
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)
