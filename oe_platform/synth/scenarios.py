"""Planted organised-exploitation scenarios, known only to the truth.

- County lines: an urban OCG in an exporting force runs a deal line into one or two importing
  forces; child runners go missing from home and are found or arrested in the importing force; a
  vulnerable adult's home there is cuckooed. Evidence lands in crime, intel, custody, missing,
  OCGM, CLICM, NRM, OSINT and the BTP partner extract.
- Child sexual exploitation: adult men, girls with repeated missing episodes found at the men's
  addresses, intelligence, a crime report and NRM referrals.
- Labour exploitation: gangmasters holding foreign workers in a house in multiple occupation,
  NRM referrals (some by Duty to Notify), a modern slavery crime, arrests, an OCG.
- Innocent look-alikes: different people with the same name and a close date of birth, a father
  and son with the same name at one address, twins — to punish over-merging.

Scenarios unfold over three years from the start, whatever ``--months`` says, and are drawn from
their own random streams, so a longer run or the next delivery never changes them.
"""

from __future__ import annotations

import numpy as np

from oe_platform.synth import reference as ref
from oe_platform.synth.background import (
    ADVERT_PLATFORMS,
    LINE_LINKED_SHARE,
    add_ocg,
    advert_summary,
    btp_rows,
    custody_rows,
    grading,
    intel_text,
    line_handle,
    missing_episode_rows,
    nrm_rows,
    ocg_name,
    osint_rows,
    premises_text,
    risk_grades,
    status_flags,
    text_names,
    weighted_choice,
)
from oe_platform.synth.context import SCENARIO_HORIZON_DAYS, Context, town_of
from oe_platform.synth.population import iso_days, refresh_dob
from oe_platform.synth.streams import stream, sub_seed

EXPORTERS = (("bedfordshire", 3.0), ("essex", 2.0), ("kent", 1.5), ("warwickshire", 1.0), ("west-mercia", 1.0))
IMPORTERS = ("norfolk", "suffolk", "cambridgeshire", "west-mercia", "kent", "hertfordshire", "warwickshire", "essex")
LABOUR_FORCES = ("cambridgeshire", "norfolk", "west-mercia", "kent")
CONFIDENCE = (("high", 0.3), ("medium", 0.5), ("low", 0.2))
CSE_FOUND = (("Found at the address of an adult male", 0.5), ("Found at an address", 0.35),
             ("Found at a friend's address", 0.15))
LOOKALIKE_KINDS = ("same_name_close_dob", "same_name_close_dob", "father_son", "twins")


def _age(ctx: Context, day: int) -> np.ndarray:
    return ctx.pop.age_at(np.arange(ctx.pop.n), day)


class Picker:
    """Choose scenario people without reusing anyone."""

    def __init__(self, ctx: Context, rng: np.random.Generator):
        self.ctx = ctx
        self.rng = rng
        self.used = np.zeros(ctx.pop.n, dtype=bool)
        self.age = _age(ctx, ctx.start_day)
        self.force = ctx.pop.force_at(np.arange(ctx.pop.n), ctx.start_day)
        # Nobody who moves house during the scenario, so their story stays in one place.
        self.settled = ctx.pop.res_from[:, 1] > ctx.start_day + SCENARIO_HORIZON_DAYS
        # Computed once, not per pick: a pick is O(population), and a population of a million has
        # thousands of picks. Planning changes names, dates of birth and (foreign victims) sex only
        # of people it has already used, whom every pick leaves out.
        pop = ctx.pop
        self.known = pop.pnc != ""
        self._sex = {value: pop.sex == value for value in ("M", "F")}
        self.household_size = np.bincount(pop.household)[pop.household]
        self._by_household = np.argsort(pop.household, kind="stable")
        self._household_start = np.searchsorted(pop.household[self._by_household],
                                                np.arange(int(pop.household.max()) + 2))
        self._force_people = {int(f): np.flatnonzero(self.force == f) for f in np.unique(self.force)}

    def of_sex(self, sex: str) -> np.ndarray:
        return self._sex[sex] if sex in self._sex else self.ctx.pop.sex == sex

    def household_members(self, person: int) -> np.ndarray:
        """Everyone in the person's household (themself too), in ascending order."""
        h = int(self.ctx.pop.household[person])
        return self._by_household[self._household_start[h]:self._household_start[h + 1]]

    def sample(self, people: np.ndarray, at_most: int) -> np.ndarray:
        """Up to ``at_most`` of ``people`` in random order."""
        return people[self.rng.choice(len(people), size=min(at_most, len(people)), replace=False)]

    def candidates(self, forces: tuple[str, ...] | None, min_age: float, max_age: float, sex: str | None,
                   known: bool | None, single: bool) -> np.ndarray:
        if forces is None:  # everyone: whole arrays (views), no gather
            idx = slice(None)
        else:  # only the people of those forces are looked at: a force is a tenth of the population
            none = np.empty(0, dtype=np.int64)
            chosen = sorted({self.ctx.force_index(f) for f in forces})
            parts = [self._force_people.get(f, none) for f in chosen]
            # each part is ascending and the forces are distinct: one sort of the union, no dedup
            idx = parts[0] if len(parts) == 1 else np.sort(np.concatenate(parts))
        mask = (~self.used[idx]) & (self.age[idx] >= min_age) & (self.age[idx] <= max_age) & self.settled[idx]
        if sex is not None:
            mask &= self.of_sex(sex)[idx]
        if known is not None:
            mask &= self.known[idx] == known
        if single:
            mask &= self.household_size[idx] == 1
        return np.flatnonzero(mask) if forces is None else idx[mask]

    def pick(self, count: int, force: str | None = None, min_age: float = 0, max_age: float = 200,
             sex: str | None = None, known: bool | None = None, prefer: np.ndarray | None = None,
             single: bool = False, near: tuple[str, ...] = ()) -> list[int]:
        """``count`` people, relaxing the wishes one at a time when too few fit: first the police
        record and living alone, then the force widens to ``near`` (neighbouring forces), then the
        ages by three years each way, and only then to any force."""
        home = (force,) if force else None
        wider = (force, *near) if force else None
        stages = [(home, min_age, max_age, known, single), (home, min_age, max_age, None, single),
                  (home, min_age, max_age, None, False), (wider, min_age, max_age, None, False),
                  (wider, max(0, min_age - 3), max_age + 3, None, False),
                  (None, min_age, max_age, None, False), (None, max(0, min_age - 3), max_age + 3, None, False)]
        idx = np.empty(0, dtype=np.int64)
        for forces, lo, hi, kn, sg in stages:
            idx = self.candidates(forces, lo, hi, sex, kn, sg)
            if len(idx) >= count:
                break
        if not len(idx):
            return []
        weights = np.ones(len(idx)) if prefer is None else 1.0 + prefer[idx]
        chosen = self.rng.choice(idx, size=min(count, len(idx)), replace=False, p=weights / weights.sum())
        chosen = sorted(int(c) for c in chosen)
        self.used[chosen] = True
        return chosen

    def available(self, force: str, min_age: float, max_age: float, sex: str | None = None,
                  known: bool | None = None) -> int:
        return len(self.candidates((force,), min_age, max_age, sex, known, False))


def _secs(day: int, rng: np.random.Generator) -> int:
    return int(day) * 86400 + int(rng.integers(0, 86400))


def scenario_counts(persons: int) -> dict[str, int]:
    """How many of each scenario a population of ``persons`` gets: in proportion to its size, with
    minimums so that even a demo landing zone has several of each (see docs/generator.md)."""
    return {"county_lines": max(3, persons // 3000), "cse": max(2, persons // 6000),
            "labour": max(2, persons // 8000), "lookalike": max(4, persons // 250)}


def _weighted_force(rng: np.random.Generator, options: list[str], weights: list[float], enough: list[bool]) -> str:
    """A force from ``options`` by weight, among those with enough people for the scenario when any."""
    w = np.array(weights, dtype=float) * (np.array(enough, dtype=float) if any(enough) else 1.0)
    return options[int(rng.choice(len(options), p=w / w.sum()))]


def plan(ctx: Context) -> dict[str, list]:
    """Choose and adjust scenario people (names, addresses) before any record is made."""
    rng = stream(ctx.seed, "scenarios", "plan")
    picker = Picker(ctx, rng)
    pop = ctx.pop
    counts = scenario_counts(pop.n)
    plans: dict[str, list] = {"county_lines": [], "cse": [], "labour": [], "lookalike": []}
    exporters = [e[0] for e in EXPORTERS]
    for i in range(counts["county_lines"]):
        enough = [picker.available(f, 19, 30, "M", True) >= 1 and picker.available(f, 18, 32, "M", True) >= 3
                  and picker.available(f, 14, 17.9) >= 3 for f in exporters]
        exporter = _weighted_force(rng, exporters, [e[1] for e in EXPORTERS], enough)
        options = [f for f in IMPORTERS if f != exporter]
        importers = list(rng.choice(options, size=1 + int(rng.random() < 0.4), replace=False))
        near = tuple(f for f in ref.NEIGHBOURS[exporter] if f not in importers)
        holder = picker.pick(1, exporter, 19, 30, "M", True, pop.offend_w, near=near)
        core = picker.pick(2, exporter, 18, 32, "M", True, pop.offend_w, near=near)
        runners = picker.pick(int(rng.integers(2, 5)), exporter, 14, 17.9, None, None,
                              pop.looked_after.astype(float) * 3, near=near)
        occupant = picker.pick(1, importers[0], 30, 70, None, None, pop.mental_health.astype(float) * 5, single=True,
                               near=ref.NEIGHBOURS[importers[0]])
        plans["county_lines"].append({"id": f"CL{i + 1:03d}", "exporter": exporter, "importers": importers,
                                      "holder": holder[0], "core": core, "runners": runners,
                                      "occupant": occupant[0]})
    for i in range(counts["cse"]):
        # The girls and the men live in one force: choose a force that has girls of the age.
        codes = ctx.force_codes
        enough = [picker.available(f, 13, 15.9, "F") >= 3 and picker.available(f, 19, 38, "M") >= 2 for f in codes]
        force = _weighted_force(rng, codes, [f.population_weight for f in ctx.forces], enough)
        near = ref.NEIGHBOURS[force]
        exploiters = picker.pick(2, force, 19, 38, "M", True, pop.offend_w, near=near)
        victims = picker.pick(int(rng.integers(2, 4)), force, 13, 15.9, "F", None, pop.looked_after.astype(float) * 3,
                              near=near)
        plans["cse"].append({"id": f"CSE{i + 1:03d}", "force": force, "exploiters": exploiters, "victims": victims})
    for i in range(counts["labour"]):
        force = LABOUR_FORCES[i % len(LABOUR_FORCES)]
        gangmasters = picker.pick(2 + int(rng.random() < 0.5), force, 25, 55, "M", None, pop.offend_w,
                                  near=ref.NEIGHBOURS[force])
        victims = picker.pick(int(rng.integers(4, 9)), None, 19, 50, None, False)
        plans["labour"].append({"id": f"LAB{i + 1:03d}", "force": force, "gangmasters": gangmasters,
                                "victims": victims})
        _make_foreign(ctx, rng, force, gangmasters[1:], victims, i)
    # Namesakes of planted offenders and runners first, then of ordinary offenders.
    targets = [(p["holder"], "line_holder", p["id"]) for p in plans["county_lines"]]
    targets += [(p["exploiters"][0], "exploiter", p["id"]) for p in plans["cse"]]
    targets += [(p["core"][0], "core_member", p["id"]) for p in plans["county_lines"] if p["core"]]
    targets += [(p["runners"][0], "runner", p["id"]) for p in plans["county_lines"] if p["runners"]]
    targets += [(p["gangmasters"][0], "gangmaster", p["id"]) for p in plans["labour"]]
    for i in range(counts["lookalike"]):
        kind = LOOKALIKE_KINDS[i % len(LOOKALIKE_KINDS)]
        target = targets.pop(0) if kind == "same_name_close_dob" and targets else None
        pair = _lookalike(ctx, rng, picker, kind, target[0] if target else None)
        if pair:
            detail = f"{kind}; namesake of the {target[1]} of {target[2]}" if target else kind
            plans["lookalike"].append({"id": f"LA{i + 1:04d}", "kind": kind, "pair": pair, "detail": detail})
    return plans


def _make_foreign(ctx: Context, rng: np.random.Generator, force: str, gangmasters: list[int], victims: list[int],
                  i: int) -> None:
    """Labour-exploitation victims (and some gangmasters) are foreign nationals; the victims live
    together in one house in multiple occupation controlled by the gangmasters."""
    pop = ctx.pop
    locale, nationality = ref.FOREIGN_LOCALES[i % len(ref.FOREIGN_LOCALES)]
    names = ref.foreign_names(sub_seed(ctx.seed, "foreign", i), locale, len(victims) + len(gangmasters))
    for p, (fore, sur, sex) in zip(victims + gangmasters, names, strict=True):
        pop.forename[p], pop.surname[p], pop.sex[p] = fore, sur, sex
        pop.middle[p] = ""
        pop.prev_surname[p] = ""
        pop.nationality[p] = nationality
        pop.email[p] = ""
    text, pcs = ctx.factory.in_area(force, 1)
    addr = pop.addresses.extend(text, pcs, np.array([ctx.force_index(force)]))[0]
    pop.addresses.freeze()
    for p in victims:
        pop.res_addr[p, :] = addr
        pop.res_from[p, 0] = -(2**31)
        pop.res_from[p, 1:] = 2**31 - 1
        pop.reserved[p] = True
        pop.missing_w[p] = 0.0


def _lookalike(ctx: Context, rng: np.random.Generator, picker: Picker, kind: str,
               target: int | None = None) -> tuple[int, int] | None:
    """An innocent look-alike pair; the second person (b) is always an ordinary person."""
    pop = ctx.pop
    age = picker.age
    if kind == "same_name_close_dob":
        if target is None:
            found = picker.pick(1, None, 18, 60, None, True, pop.offend_w)
            if not found:
                return None
            target = found[0]
        else:
            picker.used[target] = True
        t_age = float(age[target])
        # The namesake is of the same sex and about the same age, with no police record.
        twin = picker.pick(1, None, max(0, t_age - 4), t_age + 4, str(pop.sex[target]), False)
        if not twin:
            return None
        twin = twin[0]
        pop.forename[twin] = pop.forename[target]
        pop.surname[twin] = pop.surname[target]
        pop.dob[twin] = pop.dob[target] + int(rng.choice([-1, 1])) * int(rng.integers(1, 40))
        refresh_dob(pop, np.array([twin]))
        return int(target), int(twin)
    male = picker.of_sex("M")
    if kind == "father_son":
        for min_size, son_ages in ((3, (16, 25)), (2, (14, 35))):
            cand = np.flatnonzero((~picker.used) & male & (age >= son_ages[0]) & (age < son_ages[1])
                                  & (picker.household_size >= min_size))
            for son in picker.sample(cand, 300):
                members = picker.household_members(son)
                hh = members[male[members] & (age[members] >= age[son] + 18) & ~picker.used[members]]
                if len(hh):
                    father = int(hh[0])
                    pop.forename[son] = pop.forename[father]
                    pop.surname[son] = pop.surname[father]
                    picker.used[[father, son]] = True
                    pop.offend_w[son] += 0.5
                    return father, int(son)
        return None
    for min_size, ages in ((4, (8, 17)), (2, (0, 18))):
        cand = np.flatnonzero((~picker.used) & (age >= ages[0]) & (age < ages[1])
                              & (picker.household_size >= min_size))
        for a in picker.sample(cand, 300):
            members = picker.household_members(a)
            sib = members[(age[members] < 18) & ~picker.used[members] & (members != a)]
            if len(sib):
                b = int(sib[0])
                pop.dob[b] = pop.dob[a]
                pop.surname[b] = pop.surname[a]
                refresh_dob(pop, np.array([b]))
                picker.used[[a, b]] = True
                return int(a), b
    return None


def priority_people(plans: dict[str, list]) -> np.ndarray:
    people = []
    for p in plans["county_lines"]:
        people += [p["holder"], *p["core"], *p["runners"], p["occupant"]]
    for p in plans["cse"]:
        people += p["exploiters"] + p["victims"]
    for p in plans["labour"]:
        people += p["gangmasters"]
    for p in plans["lookalike"]:
        people += list(p["pair"])
    return np.array(sorted(set(people)), dtype=np.int64)


def deal_lines_needed(plans: dict[str, list]) -> int:
    return 3 * len(plans["county_lines"])


# --- events ---------------------------------------------------------------------------------------

def plant(ctx: Context, plans: dict[str, list]) -> None:
    deal_pool = list(ctx.pop.deal_numbers)
    for p in plans["county_lines"]:
        numbers = [deal_pool.pop(0) for _ in range(min(3, len(deal_pool)))] if deal_pool else []
        _county_line(ctx, p, numbers)
    for p in plans["cse"]:
        _cse(ctx, p)
    for p in plans["labour"]:
        _labour(ctx, p)
    for p in plans["lookalike"]:
        a, b = p["pair"]
        ctx.member(p["id"], "lookalike", a, "lookalike_a", p["detail"])
        ctx.member(p["id"], "lookalike", b, "lookalike_b", p["detail"])
        _ordinary_records(ctx, p["id"], [a, b])


def _ordinary_records(ctx: Context, sid: str, people: list[int]) -> None:
    """One ordinary record for each person of a look-alike pair, in the first three weeks of the
    deliveries (so that both are in every landing zone, however short, and delivered before any
    deletion of the record): a crime they were the victim or a
    witness of, a low-level offence (shoplifting, criminal damage, common assault) for those with a
    police record or now and then, or for a child a missing episode from home."""
    rng = stream(ctx.seed, "scenario", sid, "ordinary")
    pop = ctx.pop
    for person in people:
        day = ctx.start_day + int(rng.integers(0, 21))
        force_idx = int(pop.force_at(np.array([person]), day)[0])
        force = ctx.force_codes[force_idx]
        age = float(pop.age_at(np.array([person]), day)[0])
        u = rng.random()
        if age < 18 and u < 0.3:
            secs = np.array([_secs(day, rng)])
            ages = np.array([age])
            flags = status_flags(ctx, rng, np.array([person]), ages, np.array([""], dtype=object))
            missing_episode_rows(ctx, rng, np.array([person]), secs, np.array([""], dtype=object),
                                 np.array([""], dtype=object), np.array([""], dtype=object),
                                 np.array([float(rng.integers(3, 30))]),
                                 risk_grades(rng, ages, pop.looked_after[[person]], np.array([False])), flags,
                                 scenario=sid)
            continue
        where = int(ctx.random_addresses(rng, np.array([force_idx]))[0])
        postcode = pop.addresses.postcode_arr[where]
        location = premises_text(rng, pop.addresses.text_arr[where])
        offends = (pop.pnc[person] != "" or u > 0.85) and age >= 12
        if offends:
            offence = ("46", "58A", "105A")[int(rng.integers(3))]
            _crime(ctx, force, day, offence, postcode, location, [(person, "suspect")], sid)
        else:
            offence = ("49", "45", "28E", "105A")[int(rng.integers(4))]
            _crime(ctx, force, day, offence, postcode, location,
                   [(person, "victim" if rng.random() < 0.6 else "witness")], sid)


def _crime(ctx: Context, force: str, day: int, offence: str, postcode: str, location: str,
           people: list[tuple[int, str]], scenario: str, status_update: tuple[int, str] | None = None) -> int:
    data = ctx.sources["crime"]
    eid = int(data.eids(1)[0])
    desc = ref.offence_classes()[offence]["description"]
    data.add_main([{
        "_eid": eid, "_org": force, "_day": day, "_scenario": scenario, "recorded_date": _iso(day),
        "occurred_from": _iso(day - 1), "occurred_to": "", "offence_code": offence, "offence_description": desc,
        "location_postcode": postcode, "location_description": location, "status": "open", "record_action": "I",
    }])
    seen = set()
    rows = []
    for person, role in people:
        if person in seen:
            continue
        seen.add(person)
        rows.append({"_eid": eid, "_person": person, "_day": day, "_role": role, "role": role})
    data.add_child("persons", rows)
    if status_update:
        data.add_updates([{"_eid": eid, "_day": status_update[0], "status": status_update[1]}])
    return eid


def _intel(ctx: Context, rng: np.random.Generator, force: str, day: int, topic: str, subjects: list[tuple[int, str]],
           place_person: int, phone: str, scenario: str, postcode: str | None = None) -> int:
    data = ctx.sources["intel"]
    pop = ctx.pop
    eid = int(data.eids(1)[0])
    g = grading(rng, 1, legacy_share=0.0)
    main = subjects[0][0]
    addr = int(pop.address_at(np.array([place_person]), day)[0])
    place = pop.addresses.text_arr[addr]
    text = intel_text(topic, str(text_names(rng, pop, np.array([main]))[0]), place, town_of(place), phone)
    data.add_main([{
        "_eid": eid, "_org": force, "_day": day, "_scenario": scenario, "submitted_date": _iso(day),
        **{k: str(v[0]) for k, v in g.items() if k != "legacy"}, "topic": topic, "intel_text": text,
        "location_postcode": postcode or pop.addresses.postcode_arr[addr], "phone_mentioned": phone,
        "record_action": "I",
    }])
    rows, seen = [], set()
    for person, role in subjects:
        if person not in seen:
            seen.add(person)
            rows.append({"_eid": eid, "_person": person, "_day": day, "_role": role, "subject_role": role})
    data.add_child("subjects", rows)
    return eid


def _iso(day: int) -> str:
    return str(iso_days(np.array([day]))[0])


def _home(ctx: Context, person: int, day: int) -> tuple[str, str]:
    addr = int(ctx.pop.address_at(np.array([person]), day)[0])
    return ctx.pop.addresses.text_arr[addr], ctx.pop.addresses.postcode_arr[addr]


def _county_line(ctx: Context, p: dict, numbers: list[str]) -> None:
    sid = p["id"]
    rng = stream(ctx.seed, "scenario", sid)
    pop = ctx.pop
    start = ctx.start_day
    line_start = start - int(rng.integers(20, 200)) if rng.random() < 0.7 else start + int(rng.integers(0, 120))
    closes = rng.random() < 0.4
    end = line_start + int(rng.integers(200, 700)) if closes else start + SCENARIO_HORIZON_DAYS
    end = min(end, start + SCENARIO_HORIZON_DAYS)
    holder, core, runners, occupant = p["holder"], p["core"], p["runners"], p["occupant"]
    exporter, importers = p["exporter"], p["importers"]
    brand = ref.LINE_BRANDS[int(rng.integers(len(ref.LINE_BRANDS)))]
    advert_handle = line_handle(rng, brand)
    cuckoo_addr, cuckoo_pc = _home(ctx, occupant, start)
    cuckoo_day = line_start + int(rng.integers(10, 60))
    town = town_of(cuckoo_addr)
    ctx.member(sid, "county_line", holder, "line_holder", f"{brand} line from {exporter} into {'; '.join(importers)}")
    ctx.member(sid, "county_line", holder, "ocg_principal", f"{brand} line's OCG")
    for c in core:
        ctx.member(sid, "county_line", c, "core_member")
    recruited = {}
    for r in runners:
        recruited[r] = line_start + int(rng.integers(0, 150))
        ctx.member(sid, "county_line", r, "runner", f"missing from {exporter}, found in {importers[0]}")
    ctx.member(sid, "county_line", occupant, "cuckooed_occupant", cuckoo_addr + ", " + cuckoo_pc)

    # OCG Mapping and CLICM.
    ocg_eid = add_ocg(ctx, rng, sid, exporter, [holder, *core, runners[0]], "county_lines",
                      name=(f"{brand} {('Crew', 'Gang', 'Boys', 'Network')[int(rng.integers(4))]}"
                            if rng.random() < 0.5 else ocg_name(rng, town_of(_home(ctx, holder, start)[0]))),
                      mapped_day=line_start - int(rng.integers(0, 120)), scenario=sid,
                      roles=["principal", "core_member", "core_member", "peripheral"],
                      joined=[-(2**31)] * 3 + [recruited[runners[0]]])
    clicm = ctx.sources["clicm"]
    leid = int(clicm.eids(1)[0])
    reported = line_start + int(rng.integers(20, 90))
    clicm.add_main([{
        "_eid": leid, "_org": "national", "_day": reported, "_scenario": sid, "line_name": f"{brand} line",
        "exporting_force": exporter, "importing_forces": ";".join(importers), "_ocg_eid": ocg_eid,
        "status": "active", "closure_type": "", "first_reported_date": _iso(reported), "closed_date": "",
        "record_action": "I",
    }])
    swap = line_start + int(rng.integers(90, 250)) if len(numbers) > 1 else None
    deal_rows = []
    if numbers:
        deal_rows.append({"_eid": leid, "_day": reported, "deal_number": numbers[0], "active_from": _iso(line_start),
                          "active_to": "", "_from": -(2**31)})
    if swap is not None and swap < end:
        clicm.add_updates([{"_eid": leid, "_day": swap}])
        deal_rows.append({"_eid": leid, "_day": swap, "deal_number": numbers[1], "active_from": _iso(swap),
                          "active_to": "", "_from": swap})
    clicm.add_child("deal_numbers", deal_rows)
    nominal_rows = [{"_eid": leid, "_person": holder, "_day": reported, "_role": "line_holder", "role": "line_holder"}]
    nominal_rows += [{"_eid": leid, "_person": c, "_day": reported, "_role": "associate", "role": "associate"}
                     for c in core]
    for r in runners:
        joined = max(recruited[r] + 30, reported)
        nominal_rows.append({"_eid": leid, "_person": r, "_day": joined, "_role": "runner", "role": "runner",
                             "_from": joined if joined > reported else -(2**31)})
        if joined > reported:
            clicm.add_updates([{"_eid": leid, "_day": joined}])
    cuckoo_known = max(cuckoo_day + 30, reported)
    nominal_rows.append({"_eid": leid, "_person": occupant, "_day": cuckoo_known, "_role": "cuckooed_occupant",
                         "role": "cuckooed_occupant", "_from": cuckoo_known if cuckoo_known > reported else -(2**31)})
    for row in nominal_rows:
        row["home_force"] = ctx.force_codes[int(pop.force_at(np.array([row["_person"]]), row["_day"])[0])]
    clicm.add_child("nominals", nominal_rows)
    clicm.add_child("cuckooed_addresses", [{
        "_eid": leid, "_day": cuckoo_known, "address_ref": f"{sid}-A1", "address": cuckoo_addr, "postcode": cuckoo_pc,
        "force_code": importers[0], "_occupant": occupant, "first_reported_date": _iso(cuckoo_known),
        "_from": cuckoo_known if cuckoo_known > reported else -(2**31)}])
    if cuckoo_known > reported:
        clicm.add_updates([{"_eid": leid, "_day": cuckoo_known}])
    if closes:
        closure_type = "1" if rng.random() < 0.6 else "2"
        clicm.add_updates([{"_eid": leid, "_day": end, "status": "closed", "closure_type": closure_type,
                            "closed_date": _iso(end)}])

    # Runners: repeated missing episodes from home, found or arrested in the importing force. The
    # episodes carry exploitation flags only once someone has recognised the exploitation (after
    # an arrest or a few episodes), and then not always.
    for r in runners:
        day = recruited[r] + int(rng.integers(5, 30))
        first_arrest = None
        recognised_after = int(rng.integers(2, 6))
        episodes = 0
        while day < end:
            importer = importers[int(rng.integers(len(importers)))]
            u = rng.random()
            hours = float(rng.integers(30, 24 * 6))
            found_day = day + int(hours // 24)
            if u < 0.55:
                ff, fpc = importer, cuckoo_pc if rng.random() < 0.5 else ""
                floc = str(weighted_choice(rng, (("Found at an address", 0.7),
                                                 ("Found at a friend's address", 0.3)), 1)[0])
                if not fpc:
                    where = ctx.random_addresses(rng, np.array([ctx.force_index(importer)]))[0]
                    fpc = pop.addresses.postcode_arr[where]
                    floc = "Found in the street by officers"
            elif u < 0.75:
                ff = "btp"
                fpc = pop.addresses.postcode_arr[ctx.random_addresses(rng, np.array([ctx.force_index(importer)]))[0]]
                floc = "Railway station, stopped by BTP officers"
                btp_rows(ctx, rng, np.array([ctx.force_index(importer)]), np.array([_secs(found_day, rng)]),
                         np.array(["stop_search"], dtype=object), np.array([""], dtype=object),
                         np.array([_stop_search_text(rng)], dtype=object), [[(r, "subject")]], scenario=sid)
            else:
                ff, fpc, floc = "", "", ""
            recognised = first_arrest is not None or episodes >= recognised_after
            exploitation = ""
            if recognised and rng.random() < 0.75:
                exploitation = ("cce;county_lines", "county_lines", "cce")[int(rng.choice(3, p=[0.6, 0.25, 0.15]))]
            _planted_episode(ctx, rng, sid, r, day, ff, fpc, floc, hours, exploitation)
            episodes += 1
            if ff == importer and rng.random() < 0.45:
                force_idx = ctx.force_index(importer)
                custody_rows(ctx, rng, np.array([r]), np.array([force_idx]), np.array([found_day]),
                             np.array(["92A"], dtype=object), np.array([fpc], dtype=object), scenario=sid,
                             outcome=np.array(["released_under_investigation"], dtype=object))
                where_text = cuckoo_addr if fpc == cuckoo_pc else pop.addresses.text_arr[
                    ctx.random_addresses(rng, np.array([force_idx]))[0]]
                _crime(ctx, importer, found_day, "92A", fpc, premises_text(rng, where_text),
                       [(r, "suspect")] + ([(holder, "suspect")] if rng.random() < 0.3 else []), sid,
                       (found_day + int(rng.integers(30, 120)), "charged"))
                if first_arrest is None:
                    first_arrest = found_day
                    responder = importer if rng.random() < 0.8 else ""
                    nrm_rows(ctx, rng, np.array([r]), np.array([found_day + int(rng.integers(1, 20))]),
                             np.array(["criminal"], dtype=object), np.array([responder], dtype=object),
                             [[holder]], np.array([cuckoo_pc], dtype=object), scenario=sid)
            day = found_day + int(rng.integers(15, 60))

    # Cuckooed address: intelligence and crime in the importing force.
    imp = importers[0]
    day = cuckoo_day + int(rng.integers(5, 40))
    while day < end:
        subjects = [(runners[int(rng.integers(len(runners)))], "subject"), (occupant, "potential_victim")]
        _intel(ctx, rng, imp, day, "cuckooing", subjects, occupant, numbers[0] if numbers else "", sid, cuckoo_pc)
        if rng.random() < 0.35:
            _crime(ctx, imp, day + 3, "8N", cuckoo_pc, cuckoo_addr,
                   [(occupant, "victim"), (subjects[0][0], "suspect")], sid)
        day += int(rng.integers(40, 110))
    # Deal line intelligence and OSINT adverts naming the holder.
    day = line_start + int(rng.integers(10, 40))
    while day < end:
        number = numbers[1] if (swap is not None and day >= swap and len(numbers) > 1) else (numbers[0] if numbers
                                                                                            else "")
        _intel(ctx, rng, importers[int(rng.integers(len(importers)))], day, "county_lines",
               [(holder, "subject"), (core[0], "associate")], holder, number, sid)
        linked = f"{brand} line" if rng.random() < LINE_LINKED_SHARE else ""
        osint_rows(ctx, rng, np.array([holder]), np.array([_secs(day + 2, rng)]),
                   weighted_choice(rng, ADVERT_PLATFORMS, 1),
                   np.array([number], dtype=object), np.array([advert_summary(brand, town)], dtype=object),
                   np.array([linked], dtype=object), weighted_choice(rng, CONFIDENCE, 1),
                   scenario=sid, handles=np.array([advert_handle], dtype=object))
        day += int(rng.integers(30, 75))
    # The exporting force's intelligence on the holder.
    _intel(ctx, rng, exporter, line_start + int(rng.integers(0, 60)), "drugs", [(holder, "subject")] +
           [(c, "associate") for c in core], holder, "", sid)
    if closes and rng.random() < 0.7:
        custody_rows(ctx, rng, np.array([holder]), np.array([ctx.force_index(importers[0])]), np.array([end]),
                     np.array(["92A"], dtype=object), np.array([cuckoo_pc], dtype=object), scenario=sid,
                     outcome=np.array(["charged"], dtype=object))


def _stop_search_text(rng: np.random.Generator) -> str:
    return str(weighted_choice(rng, (("Stop and search on train; cash and phones found", 0.5),
                             ("Stop and search on train; nothing found", 0.3),
                             ("Stop and search on station concourse", 0.2)), 1)[0])


def _planted_episode(ctx: Context, rng: np.random.Generator, sid: str, person: int, day: int, found_force: str,
                     found_postcode: str, found_location: str, hours: float, exploitation: str) -> None:
    """One missing episode of a planted child, flagged and risk-graded by the same rules as any other."""
    pop = ctx.pop
    age = pop.age_at(np.array([person]), day)
    flags = status_flags(ctx, rng, np.array([person]), age, np.array([exploitation], dtype=object))
    risk = risk_grades(rng, age, pop.looked_after[[person]] & (age < 18), np.array([exploitation != ""]))
    missing_episode_rows(ctx, rng, np.array([person]), np.array([_secs(day, rng)]),
                         np.array([found_force], dtype=object), np.array([found_postcode], dtype=object),
                         np.array([found_location], dtype=object), np.array([hours]), risk, flags, scenario=sid)


def _cse(ctx: Context, p: dict) -> None:
    sid = p["id"]
    rng = stream(ctx.seed, "scenario", sid)
    pop = ctx.pop
    force = p["force"]
    start = ctx.start_day
    end = start + SCENARIO_HORIZON_DAYS
    for e in p["exploiters"]:
        ctx.member(sid, "cse", e, "exploiter")
    for v in p["victims"]:
        ctx.member(sid, "cse", v, "victim")
    ex_addr, ex_pc = _home(ctx, p["exploiters"][0], start)
    for v in p["victims"]:
        day = start - int(rng.integers(0, 30))
        until = start + int(rng.integers(300, SCENARIO_HORIZON_DAYS))
        recognised_after = int(rng.integers(1, 4))
        episodes = 0
        while day < until:
            place = str(weighted_choice(rng, CSE_FOUND, 1)[0])
            flagged = episodes >= recognised_after and rng.random() < 0.75
            _planted_episode(ctx, rng, sid, v, day, force, ex_pc, place, float(rng.integers(6, 60)),
                             "cse" if flagged else "")
            episodes += 1
            day += int(rng.integers(12, 45))
    day = start + int(rng.integers(0, 40))
    while day < end:
        victim = p["victims"][int(rng.integers(len(p["victims"])))]
        _intel(ctx, rng, force, day, "cse", [(p["exploiters"][0], "subject"), (p["exploiters"][1], "associate"),
                                              (victim, "potential_victim")], p["exploiters"][0],
               pop.mobile[p["exploiters"][0]], sid)
        osint_rows(ctx, rng, np.array([p["exploiters"][1]]), np.array([_secs(day + 1, rng)]),
                   weighted_choice(rng, ADVERT_PLATFORMS, 1),
                   np.array([pop.mobile[p["exploiters"][1]] if rng.random() < 0.4 else ""], dtype=object),
                   np.array(["Account adding local schoolgirls as contacts."], dtype=object),
                   np.array([""], dtype=object), weighted_choice(rng, CONFIDENCE, 1),
                   scenario=sid)
        day += int(rng.integers(45, 120))
    crime_day = start + int(rng.integers(15, 45))
    _crime(ctx, force, crime_day, "71", ex_pc, ex_addr,
           [(v, "victim") for v in p["victims"]] + [(e, "suspect") for e in p["exploiters"]], sid,
           (crime_day + int(rng.integers(60, 200)), "charged"))
    custody_rows(ctx, rng, np.array(p["exploiters"]), np.full(len(p["exploiters"]), ctx.force_index(force)),
                 np.full(len(p["exploiters"]), crime_day + 2), np.array(["71"] * len(p["exploiters"]), dtype=object),
                 np.array([ex_pc] * len(p["exploiters"]), dtype=object), scenario=sid,
                 outcome=np.array(["bail"] * len(p["exploiters"]), dtype=object))
    nrm_rows(ctx, rng, np.array(p["victims"]), np.full(len(p["victims"]), crime_day + 10),
             np.array(["sexual"] * len(p["victims"]), dtype=object),
             np.array([force] * len(p["victims"]), dtype=object),
             [p["exploiters"]] * len(p["victims"]), np.array([ex_pc] * len(p["victims"]), dtype=object), scenario=sid)


def _labour(ctx: Context, p: dict) -> None:
    sid = p["id"]
    rng = stream(ctx.seed, "scenario", sid)
    pop = ctx.pop
    force = p["force"]
    start = ctx.start_day
    gm, victims = p["gangmasters"], p["victims"]
    for g in gm:
        ctx.member(sid, "labour_exploitation", g, "gangmaster")
    ctx.member(sid, "labour_exploitation", gm[0], "ocg_principal")
    hmo_addr, hmo_pc = _home(ctx, victims[0], start)
    for v in victims:
        ctx.member(sid, "labour_exploitation", v, "victim", f"{hmo_addr}, {hmo_pc}")
    add_ocg(ctx, rng, sid, force, gm, "labour_exploitation",
            name=ocg_name(rng, town_of(_home(ctx, gm[0], start)[0])), mapped_day=start + int(rng.integers(30, 200)),
            scenario=sid, roles=["principal"] + ["core_member"] * (len(gm) - 1))
    raid = start + int(rng.integers(15, 45))
    for day in range(start - int(rng.integers(60, 120)), start + 400, int(rng.integers(30, 90))):
        _intel(ctx, rng, force, day, "modern_slavery", [(gm[0], "subject"), (victims[int(rng.integers(len(victims)))],
                                                                            "potential_victim")],
               victims[0], pop.mobile[gm[0]], sid, hmo_pc)
    _crime(ctx, force, raid, "106", hmo_pc, hmo_addr, [(v, "victim") for v in victims] + [(g, "suspect") for g in gm],
           sid, (raid + int(rng.integers(60, 240)), "charged"))
    custody_rows(ctx, rng, np.array(gm), np.full(len(gm), ctx.force_index(force)), np.full(len(gm), raid),
                 np.array(["106"] * len(gm), dtype=object), np.array([hmo_pc] * len(gm), dtype=object), scenario=sid,
                 outcome=np.array(["charged"] + ["released_under_investigation"] * (len(gm) - 1), dtype=object))
    dtn = rng.random(len(victims)) < 0.3
    nrm_rows(ctx, rng, np.array(victims), raid + rng.integers(0, 15, len(victims)),
             np.array(["labour"] * len(victims), dtype=object), np.array([force] * len(victims), dtype=object),
             [gm] * len(victims), np.array([hmo_pc] * len(victims), dtype=object), scenario=sid, dtn=dtn)
