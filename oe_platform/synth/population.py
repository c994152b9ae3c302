"""The synthetic population: households, people, addresses over time and identifiers.

Everything is a numpy array indexed by person (or household, or address), drawn from seeded
streams, so 100,000 people take well under a second or two. The population stands for the people
known to the nine forces' systems, which is why offending and victimisation rates are high.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from oe_platform.synth import identifiers as ids
from oe_platform.synth import reference as ref
from oe_platform.synth.noise import typo
from oe_platform.synth.streams import stream, sub_seed

EPOCH = date(1970, 1, 1)
NEVER = np.int32(2**31 - 1)
SLOTS = 3  # residences per person: where they lived at the start, a household move, a personal move
MIN_PERSONS = 500
MOVE_HORIZON_DAYS = 3 * 365  # moves happen within three years of the start, whatever --months says
PROLIFIC_SHARE = 0.04  # of people with a record aged 16-44: prolific offenders
PROLIFIC_FACTOR = 4.0  # their offending weight against others with a record
MAX_OFFENDING = 3.0  # cap on the offending weight (a few dozen crimes a year as a suspect at most)
FEMALE_OFFENDING = 0.55  # a woman's offending weight against a man's with the same record
REPEAT_RUNAWAY_SHARE = 0.08  # of children aged 10-17 (not looked after) who go missing repeatedly
CONCERN_CHILD = 0.01  # base chance of a CSE (and, apart, of a CCE) concern on a child 10-17
CONCERN_REPEAT = 0.12  # ... on a repeat runaway
CONCERN_LAC = 0.15  # ... on a looked-after child
HANDLE_WORDS = ("real", "lil", "big", "young", "official", "its", "the", "mr", "x", "og")


def day_number(d: date) -> int:
    return (d - EPOCH).days


def iso_days(days: np.ndarray) -> np.ndarray:
    """ISO date strings for day numbers (vectorised)."""
    return np.datetime_as_string(np.asarray(days, dtype="int64").astype("datetime64[D]")).astype(object)


@dataclass
class Addresses:
    text: list[str] = field(default_factory=list)
    postcode: list[str] = field(default_factory=list)
    force: list[int] = field(default_factory=list)

    def extend(self, text: np.ndarray, postcode: np.ndarray, force: np.ndarray) -> np.ndarray:
        start = len(self.text)
        self.text.extend(text.tolist())
        self.postcode.extend(postcode.tolist())
        self.force.extend(np.asarray(force).tolist())
        return np.arange(start, start + len(text), dtype=np.int32)

    def freeze(self) -> None:
        self.text_arr = np.array(self.text, dtype=object)
        self.postcode_arr = np.array(self.postcode, dtype=object)
        self.force_arr = np.array(self.force, dtype=np.int16)


@dataclass
class Population:
    n: int
    start_day: int
    pid: np.ndarray
    sex: np.ndarray
    dob: np.ndarray
    dob_iso: np.ndarray
    forename: np.ndarray
    middle: np.ndarray
    surname: np.ndarray
    prev_surname: np.ndarray
    alias_forename: np.ndarray
    alias_surname: np.ndarray
    alias_on_file: np.ndarray
    """Whether the false name the person gives is on file as an other name (AKA) in the records that
    list other names: true for half the population, independently of everything else."""
    street_name: np.ndarray
    ethnicity: np.ndarray
    nationality: np.ndarray
    household: np.ndarray
    res_addr: np.ndarray
    res_from: np.ndarray
    addresses: Addresses
    pnc: np.ndarray
    cro: np.ndarray
    nhs: np.ndarray
    email: np.ndarray
    handle: np.ndarray
    mobile: np.ndarray
    landline: np.ndarray
    offend_w: np.ndarray
    victim_w: np.ndarray
    missing_w: np.ndarray
    looked_after: np.ndarray
    mental_health: np.ndarray
    cse_concern: np.ndarray
    cce_concern: np.ndarray
    county_lines_concern: np.ndarray
    reserved: np.ndarray  # taken by a planted scenario: background sampling leaves them alone
    deal_numbers: list[str] = field(default_factory=list)

    # --- lookups at a date ---------------------------------------------------------------------
    def slot_at(self, persons: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        days = np.broadcast_to(np.asarray(days), persons.shape)
        k = (self.res_from[persons] <= days[:, None]).sum(axis=1) - 1
        return np.maximum(k, 0)

    def address_at(self, persons: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        return self.res_addr[persons, self.slot_at(persons, days)]

    def force_at(self, persons: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        return self.addresses.force_arr[self.address_at(persons, days)]

    def age_at(self, persons: np.ndarray, days: np.ndarray | int) -> np.ndarray:
        return (np.asarray(days) - self.dob[persons]) // 365.25

    def aliases_text(self, persons: np.ndarray) -> np.ndarray:
        """Known other names of each person as a record would list them ('' when none): street
        name, name under a previous surname, and the false name when it is on file."""
        parts = [
            self.street_name[persons],
            np.where(self.prev_surname[persons] != "",
                     (self.forename[persons] + " " + self.prev_surname[persons]).astype(object), ""),
            np.where(self.alias_on_file[persons],
                     (self.alias_forename[persons] + " " + self.alias_surname[persons]).astype(object), ""),
        ]
        return np.array(["; ".join(p for p in names if p) for names in zip(*parts, strict=True)], dtype=object)


def _unique_ints(rng: np.random.Generator, count: int, low: int, high: int) -> np.ndarray:
    out = np.empty(0, dtype=np.int64)
    while len(out) < count:
        draw = rng.integers(low, high, size=(count - len(out)) * 2 + 8)
        merged = np.concatenate([out, draw])
        _, first = np.unique(merged, return_index=True)
        out = merged[np.sort(first)]
    return out[:count]


def _pick(rng: np.random.Generator, pool: tuple[np.ndarray, np.ndarray], size: int) -> np.ndarray:
    names, probs = pool
    return names[rng.choice(len(names), size=size, p=probs)]


class AddressFactory:
    """Street segments per force, each in one postal town with one postcode in a real district of
    the force (reference.FORCE_DISTRICTS); houses pick a segment and a number."""

    def __init__(self, seed: int, expected: int):
        self.rng = stream(seed, "addresses")
        self.streets = ref.street_pool(sub_seed(seed, "streets"))
        self.forces = ref.forces()
        self.segments: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        per_area = max(20, expected // 6 // max(1, sum(len(f.areas) for f in self.forces)))
        for force in self.forces:
            self.segments[force.code] = self._segments(force.code, per_area * len(force.areas))

    def _segments(self, force_code: str, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = self.rng
        towns = ref.FORCE_DISTRICTS[force_code]
        weights = np.array([w for _, _, w in towns])
        town_idx = rng.choice(len(towns), size=count, p=weights / weights.sum())
        pick = rng.random(count)
        district = np.array([towns[t][1][int(u * len(towns[t][1]))] for t, u in zip(town_idx, pick, strict=True)],
                            dtype=object)
        sector = rng.integers(0, 10, size=count)
        letters = np.array(list(ids.INWARD_LETTERS))
        unit = letters[rng.integers(0, len(letters), size=(count, 2))]
        postcodes = np.array(
            [f"{d} {s}{u[0]}{u[1]}" for d, s, u in zip(district, sector, unit, strict=True)], dtype=object
        )
        streets = self.streets[rng.integers(0, len(self.streets), size=count)]
        names = np.array([towns[t][0] for t in town_idx], dtype=object)
        return streets, names, postcodes

    def make(self, force_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        rng = self.rng
        n = len(force_idx)
        text = np.empty(n, dtype=object)
        postcode = np.empty(n, dtype=object)
        for fi, force in enumerate(self.forces):
            sub = np.flatnonzero(force_idx == fi)
            if not len(sub):
                continue
            streets, towns, pcs = self.segments[force.code]
            seg = rng.integers(0, len(streets), size=len(sub))
            numbers = rng.integers(1, 180, size=len(sub))
            flat = rng.random(len(sub)) < 0.08
            flat_no = rng.integers(1, 12, size=len(sub))
            for j, row in enumerate(sub):
                line = f"{numbers[j]} {streets[seg[j]]}, {towns[seg[j]]}"
                text[row] = f"Flat {flat_no[j]}, {line}" if flat[j] else line
                postcode[row] = pcs[seg[j]]
        return text, postcode

    def in_area(self, force_code: str, count: int = 1) -> tuple[np.ndarray, np.ndarray]:
        fi = [f.code for f in self.forces].index(force_code)
        return self.make(np.full(count, fi))


def social_handles(rng: np.random.Generator, forename: np.ndarray, surname: np.ndarray,
                   street_name: np.ndarray) -> np.ndarray:
    """Social media handles as people choose them: mostly from a forename or nickname, a street
    name, initials or words and numbers; from the surname only now and then, and then shortened or
    misspelt, never the plain surname."""
    n = len(forename)
    nick = ref.nicknames()
    fore = np.array([(nick.get(f, (f,))[0] if rng.random() < 0.4 else f).lower().replace(" ", "").replace("-", "")
                     for f in forename], dtype=object)
    sur = np.array([s.lower().replace(" ", "").replace("-", "").replace("'", "") for s in surname], dtype=object)
    words = np.array(HANDLE_WORDS, dtype=object)[rng.integers(0, len(HANDLE_WORDS), n)]
    digits = rng.integers(1, 2010, n).astype(str).astype(object)
    sep = np.array(["", "_", "."], dtype=object)[rng.integers(0, 3, n)]
    style = rng.random(n)
    street = np.array([s.lower().replace(" ", "") for s in street_name], dtype=object)
    out = np.empty(n, dtype=object)
    for i in range(n):
        u = style[i]
        if street[i] and u < 0.5:
            out[i] = f"{words[i]}{sep[i]}{street[i]}{digits[i] if u < 0.3 else ''}"
        elif u < 0.45:
            out[i] = f"{fore[i]}{sep[i]}{digits[i]}"
        elif u < 0.65:
            out[i] = f"{words[i]}{sep[i]}{fore[i]}{digits[i] if u < 0.55 else ''}"
        elif u < 0.85:
            out[i] = f"{fore[i][:1]}{sur[i][:1]}{sep[i]}{digits[i]}"
        else:  # from the surname: shortened or with a keying error
            base = sur[i][: max(3, len(sur[i]) - 2)] if u < 0.93 else typo(sur[i], rng)
            out[i] = f"{fore[i][:1]}{sep[i]}{base}{digits[i]}"
    return out


def build_population(persons: int, seed: int, start: date) -> tuple[Population, AddressFactory]:
    if persons < MIN_PERSONS:
        raise ValueError(f"--persons must be at least {MIN_PERSONS} so that every force and scenario has people")
    rng = stream(seed, "population")
    start_day = day_number(start)
    forces = ref.forces()
    fweights = np.array([f.population_weight for f in forces])
    fweights = fweights / fweights.sum()

    # Households and their members.
    size_values = np.array([1, 2, 3, 4, 5, 6])
    size_probs = np.array([0.29, 0.33, 0.16, 0.14, 0.06, 0.02])
    sizes = rng.choice(size_values, size=persons, p=size_probs)
    cum = np.cumsum(sizes)
    n_households = int(np.searchsorted(cum, persons) + 1)
    sizes = sizes[:n_households].copy()
    sizes[-1] -= int(cum[n_households - 1] - persons)
    hh_type = np.where(sizes == 1, 0, rng.choice([1, 2, 3], size=n_households, p=[0.66, 0.22, 0.12]))
    # 0 single, 1 couple family, 2 single parent, 3 sharers (unrelated adults)
    household = np.repeat(np.arange(n_households), sizes)
    first_of_hh = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    member = np.arange(persons) - np.repeat(first_of_hh, sizes)
    htype = hh_type[household]
    is_head = member == 0
    is_partner = (member == 1) & (htype == 1)
    is_child = (member >= 1) & ((htype == 1) & (member >= 2) | (htype == 2))
    is_sharer = (member >= 1) & (htype == 3)

    head_age = np.where(
        hh_type == 0, rng.integers(18, 90, n_households),
        np.where(hh_type == 3, rng.integers(18, 45, n_households), rng.integers(22, 60, n_households)),
    )
    age = head_age[household].astype(float)
    age = np.where(is_partner, np.clip(age + rng.normal(0, 4, persons), 18, 95), age)
    child_max = np.clip(head_age[household] - 17, 1, 23)
    age = np.where(is_child, np.floor(rng.random(persons) * child_max), age)
    age = np.where(is_sharer, rng.integers(18, 45, persons), age)
    dob = (start_day - np.floor(age * 365.25) - rng.integers(0, 365, persons)).astype(np.int64)

    head_sex = rng.choice(np.array(["M", "F"], dtype=object), size=n_households)
    sex = rng.choice(np.array(["M", "F"], dtype=object), size=persons)
    sex = np.where(is_head, head_sex[household], sex)
    opposite = np.where(head_sex[household] == "M", "F", "M")
    sex = np.where(is_partner & (rng.random(persons) < 0.95), opposite, sex).astype(object)

    pools = ref.name_pools()
    male_names = _pick(rng, pools["male"], persons)
    female_names = _pick(rng, pools["female"], persons)
    forename = np.where(sex == "M", male_names, female_names).astype(object)
    middle_m = _pick(rng, pools["male"], persons)
    middle_f = _pick(rng, pools["female"], persons)
    has_middle = rng.random(persons) < 0.55
    middle = np.where(has_middle, np.where(sex == "M", middle_m, middle_f), "").astype(object)
    middle = np.where(middle == forename, "", middle).astype(object)

    own_surname = _pick(rng, pools["surname"], persons)
    hh_surname = own_surname[first_of_hh][household]
    surname = own_surname.copy()
    partner_takes = is_partner & (rng.random(persons) < 0.7)
    surname = np.where(partner_takes | is_child, hh_surname, surname).astype(object)
    prev_surname = np.where(partner_takes & (sex == "F"), own_surname, "").astype(object)
    prev_surname = np.where(prev_surname == surname, "", prev_surname).astype(object)
    # Divorced or remarried adults also carry a previous surname.
    remarried = (~is_child) & (sex == "F") & (prev_surname == "") & (age > 30) & (rng.random(persons) < 0.15)
    prev_surname = np.where(remarried, _pick(rng, pools["surname"], persons), prev_surname).astype(object)
    prev_surname = np.where(prev_surname == surname, "", prev_surname).astype(object)
    alias_forename = np.where(sex == "M", _pick(rng, pools["male"], persons), _pick(rng, pools["female"], persons))
    alias_surname = _pick(rng, pools["surname"], persons)

    eth_codes = np.array([e[0] for e in ref.ETHNICITY], dtype=object)
    eth_p = np.array([e[1] for e in ref.ETHNICITY])
    hh_eth = eth_codes[rng.choice(len(eth_codes), size=n_households, p=eth_p / eth_p.sum())]
    ethnicity = np.where(rng.random(persons) < 0.9, hh_eth[household],
                         eth_codes[rng.choice(len(eth_codes), size=persons, p=eth_p / eth_p.sum())]).astype(object)
    nationality = np.where(rng.random(persons) < 0.93, "British",
                           rng.choice(np.array(["Irish", "Polish", "Romanian", "Indian", "Pakistani", "Nigerian",
                                                "Lithuanian", "Portuguese", "Italian", "Albanian"], dtype=object),
                                      size=persons)).astype(object)

    # Addresses: where each household lives at the start, then moves within three years.
    factory = AddressFactory(seed, n_households * 2)
    addresses = Addresses()
    hh_force = rng.choice(len(forces), size=n_households, p=fweights)
    text, pcs = factory.make(hh_force)
    hh_addr = addresses.extend(text, pcs, hh_force)
    mrng = stream(seed, "moves")
    hh_moves = mrng.random(n_households) < 0.22
    hh_move_day = start_day + mrng.integers(1, MOVE_HORIZON_DAYS, n_households)
    cross = mrng.random(n_households) < 0.3
    new_force = np.where(cross, mrng.choice(len(forces), size=n_households, p=fweights), hh_force)
    moving = np.flatnonzero(hh_moves)
    text, pcs = factory.make(new_force[moving])
    hh_new_addr = np.full(n_households, -1, dtype=np.int32)
    hh_new_addr[moving] = addresses.extend(text, pcs, new_force[moving])

    res_addr = np.zeros((persons, SLOTS), dtype=np.int32)
    res_from = np.full((persons, SLOTS), NEVER, dtype=np.int64)
    res_addr[:, 0] = hh_addr[household]
    res_from[:, 0] = -(2**31)
    hm = hh_moves[household]
    res_addr[hm, 1] = hh_new_addr[household][hm]
    res_from[hm, 1] = hh_move_day[household][hm]
    adult = age >= 18
    personal = adult & (mrng.random(persons) < np.where(age < 35, 0.14, 0.04))
    pm = np.flatnonzero(personal)
    p_force = np.where(mrng.random(len(pm)) < 0.35, mrng.choice(len(forces), size=len(pm), p=fweights),
                       hh_force[household[pm]])
    text, pcs = factory.make(p_force)
    res_addr[pm, 2] = addresses.extend(text, pcs, p_force)
    res_from[pm, 2] = start_day + mrng.integers(1, MOVE_HORIZON_DAYS, len(pm))
    order = np.argsort(res_from, axis=1, kind="stable")
    res_from = np.take_along_axis(res_from, order, axis=1)
    res_addr = np.take_along_axis(res_addr, order, axis=1)
    addresses.freeze()

    # Who is known to the police, and how active each person is.
    arng = stream(seed, "activity")
    male = sex == "M"
    record_p = np.where((age >= 12) & (age < 18), np.where(male, 0.08, 0.04), 0.0)
    record_p = np.where((age >= 18) & (age < 30), np.where(male, 0.34, 0.10), record_p)
    record_p = np.where((age >= 30) & (age < 50), np.where(male, 0.24, 0.07), record_p)
    record_p = np.where((age >= 50) & (age < 70), np.where(male, 0.10, 0.025), record_p)
    known = arng.random(persons) < record_p
    # Offending weight: heavy-tailed among people with a record (a few prolific offenders commit a
    # large share), women offend less often than men (arrests are about 85% male), and people with
    # no record offend rarely.
    offend_w = np.where(known, arng.lognormal(-0.6, 0.9, persons), np.where(male, 0.02, 0.008))
    prolific = known & (age >= 16) & (age < 45) & (arng.random(persons) < PROLIFIC_SHARE)
    offend_w = np.minimum(np.where(prolific, offend_w * PROLIFIC_FACTOR, offend_w), MAX_OFFENDING)
    offend_w = offend_w * np.where(male, 1.0, FEMALE_OFFENDING) * np.where((age >= 15) & (age < 35), 1.5, 1.0)
    victim_w = np.where(age < 12, 0.25, 1.0) * np.where(known, 1.6, 1.0) * arng.gamma(2.0, 0.5, persons)
    looked_after = (age >= 10) & (age < 18) & (arng.random(persons) < 0.03)
    mental_health = (age >= 18) & (arng.random(persons) < 0.025)
    # Missing: most children who are reported missing go once; a few run away again and again
    # (repeat runaways), looked-after children most of all; adults rarely, unless unwell.
    child10 = (age >= 10) & (age < 18)
    runaway = child10 & ~looked_after & (arng.random(persons) < REPEAT_RUNAWAY_SHARE)
    missing_w = np.where(child10, 0.12, 0.01)
    missing_w = np.where(runaway, arng.gamma(2.0, 2.5, persons), missing_w)
    missing_w = np.where(looked_after, arng.gamma(2.0, 2.5, persons), missing_w)
    missing_w = np.where(mental_health, 0.8, missing_w)
    # Professional concern that a child is being exploited (what a missing-person flag records): on
    # some children, more often on repeat runaways and looked-after children; CSE concern mostly
    # for girls, CCE (and county-lines) concern mostly for boys. Most such children are not victims
    # of any planted scenario: a flag is evidence, not a label.
    concern_p = np.where(looked_after, CONCERN_LAC, np.where(runaway, CONCERN_REPEAT, CONCERN_CHILD)) * child10
    female = sex == "F"
    cse_concern = arng.random(persons) < concern_p * np.where(female, 1.6, 0.4)
    cce_concern = arng.random(persons) < concern_p * np.where(female, 0.5, 1.5)
    cl_concern = cce_concern & (arng.random(persons) < 0.5)

    irng = stream(seed, "identifiers")
    birth_year = (1970 + dob // 365.25).astype(int)
    kidx = np.flatnonzero(known)
    pnc = np.full(persons, "", dtype=object)
    cro = np.full(persons, "", dtype=object)
    first_year = np.maximum(birth_year[kidx] + 12, 1980)
    first_year = np.minimum(first_year, start.year)
    pnc_year = first_year + np.floor(irng.random(len(kidx)) * (start.year - first_year + 1)).astype(int)
    serials = _unique_ints(irng, len(kidx), 1, 9_999_999)
    pnc[kidx] = [ids.make_pnc_id(int(y), int(s)) for y, s in zip(pnc_year, serials, strict=True)]
    has_cro = irng.random(len(kidx)) < 0.85
    cro_serial = _unique_ints(irng, len(kidx), 1, 999_999)
    scottish = irng.random(len(kidx)) < 0.03
    for j in np.flatnonzero(has_cro):
        cro[kidx[j]] = ids.make_cro_number(int(pnc_year[j]), int(cro_serial[j]), bool(scottish[j]))
    nhs = ids.nhs_numbers_for(irng, persons)

    domains = np.array(["example.com", "example.org", "example.net"], dtype=object)
    email = (np.char.lower(forename.astype(str)).astype(object) + "."
             + np.char.lower(np.char.replace(surname.astype(str), " ", "")).astype(object)
             + irng.integers(1, 99, persons).astype(str).astype(object) + "@"
             + domains[irng.integers(0, 3, persons)]).astype(object)
    street_name = np.full(persons, "", dtype=object)
    gets_street = known & (age < 35) & (irng.random(persons) < 0.35)
    street_name[gets_street] = np.array(ref.STREET_NAMES, dtype=object)[
        irng.integers(0, len(ref.STREET_NAMES), int(gets_street.sum()))]
    handle = social_handles(irng, forename, surname, street_name)

    pop = Population(
        n=persons, start_day=start_day,
        pid=np.array([f"P{i + 1:07d}" for i in range(persons)], dtype=object),
        sex=sex, dob=dob, dob_iso=iso_days(dob), forename=forename, middle=middle, surname=surname,
        prev_surname=prev_surname, alias_forename=alias_forename.astype(object),
        alias_surname=alias_surname.astype(object),
        alias_on_file=stream(seed, "population", "alias-on-file").random(persons) < 0.5,
        street_name=street_name, ethnicity=ethnicity,
        nationality=nationality, household=household, res_addr=res_addr, res_from=res_from,
        addresses=addresses, pnc=pnc, cro=cro, nhs=nhs, email=email, handle=handle,
        mobile=np.full(persons, "", dtype=object), landline=np.full(persons, "", dtype=object),
        offend_w=offend_w, victim_w=victim_w, missing_w=missing_w, looked_after=looked_after,
        mental_health=mental_health, cse_concern=cse_concern, cce_concern=cce_concern,
        county_lines_concern=cl_concern, reserved=np.zeros(persons, dtype=bool),
    )
    return pop, factory


def refresh_dob(pop: Population, persons: np.ndarray) -> None:
    pop.dob_iso[persons] = iso_days(pop.dob[persons])


def assign_phones(pop: Population, seed: int, priority: np.ndarray, deal_lines: int) -> None:
    """Give people Ofcom drama numbers, which are scarce (1,000 mobiles, 1,000 landlines).

    Deal lines take the top of the mobile range; personal mobiles go first to ``priority`` people
    (planted scenarios), then to people known to the police, then to others at random, each number
    to one person only. Landlines go one per household. People beyond the ranges have no phone.
    """
    rng = stream(seed, "phones")
    deal_count = min(deal_lines, 200)
    mobiles = [ids.drama_mobile(i) for i in range(ids.DRAMA_RANGE_SIZE)]
    rng.shuffle(mobiles)
    pop.deal_numbers = mobiles[:deal_count]
    personal = mobiles[deal_count:]
    known = np.flatnonzero((pop.pnc != "") & ~np.isin(np.arange(pop.n), priority))
    rest = np.flatnonzero((pop.pnc == "") & ~np.isin(np.arange(pop.n), priority))
    order = np.concatenate([priority, rng.permutation(known), rng.permutation(rest)])
    # Not everyone has a mobile on record even when numbers are plentiful.
    keep = rng.random(len(order)) < 0.8
    keep[: len(priority)] = True
    order = order[keep][: len(personal)]
    pop.mobile[order] = np.array(personal[: len(order)], dtype=object)
    landlines = [ids.drama_landline(i) for i in range(ids.DRAMA_RANGE_SIZE)]
    rng.shuffle(landlines)
    households = np.unique(pop.household)
    chosen = rng.permutation(households)[: len(landlines)]
    hh_line = {int(h): landlines[i] for i, h in enumerate(chosen)}
    pop.landline[:] = np.array([hh_line.get(int(h), "") for h in pop.household], dtype=object)
