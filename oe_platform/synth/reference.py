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

# Postal towns and their real outward codes (postcode districts) per force, with a rough share of
# the force's households. Only districts inside the force's postcode areas (seeds/forces.csv) are
# listed, so that the area of a postcode names its force: towns of a force that sit in another
# force's postcode area (King's Lynn PE30 and Thetford IP24 in Norfolk, Lowestoft NR32-33 and
# Sudbury CO10 in Suffolk, Redditch B97-98 and Kidderminster DY10-11 in West Mercia, Biggleswade
# SG18 in Bedfordshire, Bishop's Stortford CM23 in Hertfordshire) and districts of the same area
# policed by another force (Milton Keynes MK1-19, Romford RM1-14, Coventry CV1-7, Bexley DA5-8)
# are left out.
FORCE_DISTRICTS: dict[str, tuple[tuple[str, tuple[str, ...], float], ...]] = {
    "bedfordshire": (
        ("Luton", ("LU1", "LU2", "LU3", "LU4"), 3.0), ("Dunstable", ("LU5", "LU6"), 1.2),
        ("Houghton Regis", ("LU5",), 0.5), ("Leighton Buzzard", ("LU7",), 0.8),
        ("Bedford", ("MK40", "MK41", "MK42"), 2.5), ("Kempston", ("MK42", "MK43"), 0.6), ("Ampthill", ("MK45",), 0.4),
        ("Flitwick", ("MK45",), 0.4), ("Cranfield", ("MK43",), 0.2),
    ),
    "cambridgeshire": (
        ("Cambridge", ("CB1", "CB2", "CB3", "CB4", "CB5"), 3.0), ("Ely", ("CB6", "CB7"), 0.6),
        ("Histon", ("CB24",), 0.3),
        ("Soham", ("CB7",), 0.3), ("Sawston", ("CB22",), 0.3), ("Cambourne", ("CB23",), 0.3),
        ("Peterborough", ("PE1", "PE2", "PE3", "PE4", "PE7"), 3.0), ("Huntingdon", ("PE29",), 0.7),
        ("Wisbech", ("PE13", "PE14"), 0.6), ("March", ("PE15",), 0.4), ("St Ives", ("PE27",), 0.5),
        ("St Neots", ("PE19",), 0.6), ("Chatteris", ("PE16",), 0.2), ("Whittlesey", ("PE7",), 0.2),
    ),
    "essex": (
        ("Chelmsford", ("CM1", "CM2", "CM3"), 2.0), ("Harlow", ("CM17", "CM18", "CM19", "CM20"), 1.2),
        ("Braintree", ("CM7", "CM77"), 0.9), ("Maldon", ("CM9",), 0.4), ("Witham", ("CM8",), 0.4),
        ("Brentwood", ("CM13", "CM14", "CM15"), 0.8), ("Billericay", ("CM11", "CM12"), 0.5),
        ("Great Dunmow", ("CM6",), 0.3), ("Epping", ("CM16",), 0.3),
        ("Colchester", ("CO1", "CO2", "CO3", "CO4", "CO6"), 2.0), ("Clacton-on-Sea", ("CO15", "CO16"), 0.9),
        ("Harwich", ("CO12",), 0.3), ("Frinton-on-Sea", ("CO13",), 0.2), ("Halstead", ("CO9",), 0.2),
        ("Brightlingsea", ("CO7",), 0.2),
        ("Southend-on-Sea", ("SS0", "SS1", "SS2", "SS3"), 2.0), ("Leigh-on-Sea", ("SS9",), 0.5),
        ("Basildon", ("SS13", "SS14", "SS15", "SS16"), 1.8), ("Rayleigh", ("SS6",), 0.6),
        ("Canvey Island", ("SS8",), 0.5), ("Wickford", ("SS11", "SS12"), 0.5), ("Benfleet", ("SS7",), 0.5),
        ("Hockley", ("SS5",), 0.3), ("Rochford", ("SS4",), 0.3), ("Stanford-le-Hope", ("SS17",), 0.4),
        ("Grays", ("RM16", "RM17", "RM20"), 1.0), ("Tilbury", ("RM18",), 0.4), ("Purfleet", ("RM19",), 0.3),
        ("South Ockendon", ("RM15",), 0.4),
    ),
    "hertfordshire": (
        ("St Albans", ("AL1", "AL2", "AL3", "AL4"), 1.5), ("Harpenden", ("AL5",), 0.6),
        ("Hatfield", ("AL9", "AL10"), 0.7),
        ("Welwyn Garden City", ("AL7", "AL8"), 0.8), ("Welwyn", ("AL6",), 0.2),
        ("Stevenage", ("SG1", "SG2"), 1.5), ("Hitchin", ("SG4", "SG5"), 0.7), ("Letchworth Garden City", ("SG6",), 0.6),
        ("Hertford", ("SG13", "SG14"), 0.6), ("Royston", ("SG8",), 0.3), ("Ware", ("SG12",), 0.4),
        ("Baldock", ("SG7",), 0.2),
        ("Watford", ("WD17", "WD18", "WD19", "WD24", "WD25"), 1.5), ("Borehamwood", ("WD6",), 0.6),
        ("Bushey", ("WD23",), 0.4), ("Rickmansworth", ("WD3",), 0.4), ("Abbots Langley", ("WD5",), 0.3),
        ("Kings Langley", ("WD4",), 0.2), ("Radlett", ("WD7",), 0.2),
        ("Hemel Hempstead", ("HP1", "HP2", "HP3"), 1.5), ("Berkhamsted", ("HP4",), 0.4), ("Tring", ("HP23",), 0.2),
    ),
    "kent": (
        ("Maidstone", ("ME14", "ME15", "ME16", "ME17"), 1.5), ("Chatham", ("ME4", "ME5"), 1.2),
        ("Gillingham", ("ME7", "ME8"), 1.2), ("Rochester", ("ME1", "ME2", "ME3"), 1.0),
        ("Sittingbourne", ("ME9", "ME10"), 0.8), ("Sheerness", ("ME12",), 0.4), ("Faversham", ("ME13",), 0.3),
        ("Snodland", ("ME6",), 0.3), ("West Malling", ("ME19",), 0.3), ("Aylesford", ("ME20",), 0.3),
        ("Canterbury", ("CT1", "CT2", "CT3", "CT4"), 1.0), ("Margate", ("CT9",), 0.7),
        ("Ramsgate", ("CT11", "CT12"), 0.6),
        ("Dover", ("CT15", "CT16", "CT17"), 0.6), ("Folkestone", ("CT18", "CT19", "CT20"), 0.7),
        ("Herne Bay", ("CT6",), 0.5),
        ("Whitstable", ("CT5",), 0.4), ("Deal", ("CT14",), 0.4), ("Broadstairs", ("CT10",), 0.4),
        ("Hythe", ("CT21",), 0.3),
        ("Tunbridge Wells", ("TN1", "TN2", "TN4"), 0.8), ("Tonbridge", ("TN9", "TN10", "TN11"), 0.8),
        ("Ashford", ("TN23", "TN24", "TN25", "TN26", "TN27"), 1.0), ("Sevenoaks", ("TN13", "TN14", "TN15"), 0.6),
        ("Paddock Wood", ("TN12",), 0.2), ("Edenbridge", ("TN8",), 0.1), ("Tenterden", ("TN30",), 0.1),
        ("New Romney", ("TN28",), 0.15),
        ("Dartford", ("DA1", "DA2", "DA4"), 1.0), ("Gravesend", ("DA11", "DA12", "DA13"), 1.0),
        ("Swanscombe", ("DA10",), 0.3), ("Greenhithe", ("DA9",), 0.3), ("Longfield", ("DA3",), 0.3),
    ),
    "norfolk": (
        ("Norwich", ("NR1", "NR2", "NR3", "NR4", "NR5", "NR6", "NR7", "NR8"), 3.0),
        ("Great Yarmouth", ("NR29", "NR30", "NR31"), 1.0), ("Dereham", ("NR19", "NR20"), 0.5),
        ("Cromer", ("NR27",), 0.3),
        ("Wymondham", ("NR18",), 0.4), ("Attleborough", ("NR17",), 0.3), ("North Walsham", ("NR28",), 0.3),
        ("Fakenham", ("NR21",), 0.2), ("Aylsham", ("NR11",), 0.2), ("Holt", ("NR25",), 0.15),
    ),
    "suffolk": (
        ("Ipswich", ("IP1", "IP2", "IP3", "IP4", "IP5", "IP8"), 3.0),
        ("Bury St Edmunds", ("IP28", "IP30", "IP31", "IP32", "IP33"), 1.2), ("Felixstowe", ("IP11",), 0.6),
        ("Stowmarket", ("IP14",), 0.6), ("Woodbridge", ("IP12",), 0.4), ("Hadleigh", ("IP7",), 0.2),
        ("Mildenhall", ("IP28",), 0.3), ("Needham Market", ("IP6",), 0.2), ("Leiston", ("IP16",), 0.2),
        ("Brandon", ("IP27",), 0.2), ("Halesworth", ("IP19",), 0.1), ("Framlingham", ("IP13",), 0.1),
    ),
    "warwickshire": (
        ("Nuneaton", ("CV10", "CV11"), 1.2), ("Bedworth", ("CV12",), 0.5), ("Rugby", ("CV21", "CV22", "CV23"), 1.0),
        ("Leamington Spa", ("CV31", "CV32", "CV33"), 0.9), ("Warwick", ("CV34", "CV35"), 0.7),
        ("Stratford-upon-Avon", ("CV37",), 0.6), ("Kenilworth", ("CV8",), 0.4), ("Atherstone", ("CV9",), 0.3),
        ("Southam", ("CV47",), 0.2), ("Shipston-on-Stour", ("CV36",), 0.15),
    ),
    "west-mercia": (
        ("Worcester", ("WR1", "WR2", "WR3", "WR4", "WR5"), 1.5), ("Malvern", ("WR13", "WR14"), 0.5),
        ("Evesham", ("WR11",), 0.5), ("Droitwich Spa", ("WR9",), 0.4), ("Pershore", ("WR10",), 0.3),
        ("Upton-upon-Severn", ("WR8",), 0.1), ("Tenbury Wells", ("WR15",), 0.1),
        ("Hereford", ("HR1", "HR2", "HR4"), 1.0), ("Leominster", ("HR6",), 0.3), ("Ross-on-Wye", ("HR9",), 0.3),
        ("Ledbury", ("HR8",), 0.2), ("Kington", ("HR5",), 0.1),
        ("Shrewsbury", ("SY1", "SY2", "SY3", "SY4", "SY5"), 1.2), ("Oswestry", ("SY10", "SY11"), 0.5),
        ("Ludlow", ("SY8",), 0.3), ("Whitchurch", ("SY13",), 0.2), ("Church Stretton", ("SY6",), 0.1),
        ("Telford", ("TF2", "TF3", "TF4", "TF7"), 2.0), ("Wellington", ("TF1",), 0.4), ("Newport", ("TF10",), 0.3),
        ("Market Drayton", ("TF9",), 0.3), ("Shifnal", ("TF11",), 0.2),
    ),
}


def _area(district: str) -> str:
    return district.rstrip("0123456789")


# The main town of each postcode area (custody suites are named after it).
TOWNS: dict[str, tuple[str, ...]] = {}
for _force, _towns in FORCE_DISTRICTS.items():
    for _town, _districts, _weight in _towns:
        TOWNS.setdefault(_area(_districts[0]), ())
        if _town not in TOWNS[_area(_districts[0])]:
            TOWNS[_area(_districts[0])] += (_town,)

# Neighbouring forces (shared land border, or across the Thames estuary for Kent and Essex).
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    "bedfordshire": ("hertfordshire", "cambridgeshire"),
    "cambridgeshire": ("bedfordshire", "hertfordshire", "essex", "suffolk", "norfolk"),
    "essex": ("hertfordshire", "cambridgeshire", "suffolk", "kent"),
    "hertfordshire": ("bedfordshire", "cambridgeshire", "essex"),
    "kent": ("essex",),
    "norfolk": ("suffolk", "cambridgeshire"),
    "suffolk": ("norfolk", "cambridgeshire", "essex"),
    "warwickshire": ("west-mercia",),
    "west-mercia": ("warwickshire",),
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
