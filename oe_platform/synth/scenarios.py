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
    add_ocg,
    btp_rows,
    custody_rows,
    grading,
    intel_text,
    missing_episode_rows,
    nrm_rows,
    osint_rows,
)
from oe_platform.synth.context import SCENARIO_HORIZON_DAYS, Context, town_of
from oe_platform.synth.population import iso_days, refresh_dob
from oe_platform.synth.streams import stream, sub_seed

EXPORTERS = (("bedfordshire", 3.0), ("essex", 2.0), ("kent", 1.5), ("warwickshire", 1.0), ("west-mercia", 1.0))
IMPORTERS = ("norfolk", "suffolk", "cambridgeshire", "west-mercia", "kent", "hertfordshire", "warwickshire", "essex")
LABOUR_FORCES = ("cambridgeshire", "norfolk", "west-mercia", "kent")


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

    def pick(self, count: int, force: str | None = None, min_age: float = 0, max_age: float = 200,
             sex: str | None = None, known: bool | None = None, prefer: np.ndarray | None = None,
             single: bool = False) -> list[int]:
        pop = self.ctx.pop
        mask = (~self.used) & (self.age >= min_age) & (self.age <= max_age)
        if force is not None:
            mask &= self.force == self.ctx.force_index(force)
        if sex is not None:
            mask &= pop.sex == sex
        if known is not None:
            mask &= (pop.pnc != "") == known
        # Nobody who moves house during the scenario, so their story stays in one place.
        mask &= pop.res_from[:, 1] > self.ctx.start_day + SCENARIO_HORIZON_DAYS
        if single:
            sizes = np.bincount(pop.household)
            mask &= sizes[pop.household] == 1
        idx = np.flatnonzero(mask)
        if len(idx) < count and known is not None:  # relax: with or without a police record
            return self.pick(count, force, min_age, max_age, sex, None, prefer, single)
        if len(idx) < count and single:
            return self.pick(count, force, min_age, max_age, sex, known, prefer, False)
        if len(idx) < count:  # relax: any force
            idx = np.flatnonzero((~self.used) & (self.age >= min_age) & (self.age <= max_age)
                                 & ((pop.sex == sex) if sex else True))
        if len(idx) < count and max_age - min_age < 60:  # a small population: widen the ages
            return self.pick(count, force, max(0, min_age - 3), max_age + 3, sex, known, prefer, single)
        if not len(idx):
            return []
        weights = np.ones(len(idx)) if prefer is None else 1.0 + prefer[idx]
        chosen = self.rng.choice(idx, size=min(count, len(idx)), replace=False, p=weights / weights.sum())
        chosen = sorted(int(c) for c in chosen)
        self.used[chosen] = True
        return chosen


def _secs(day: int, rng: np.random.Generator) -> int:
    return int(day) * 86400 + int(rng.integers(0, 86400))


def plan(ctx: Context) -> dict[str, list]:
    """Choose and adjust scenario people (names, addresses) before any record is made."""
    rng = stream(ctx.seed, "scenarios", "plan")
    picker = Picker(ctx, rng)
    pop = ctx.pop
    n = pop.n
    plans: dict[str, list] = {"county_lines": [], "cse": [], "labour": [], "lookalike": []}
    exporters = [e[0] for e in EXPORTERS]
    ew = np.array([e[1] for e in EXPORTERS])
    for i in range(max(2, n // 4000)):
        exporter = exporters[int(rng.choice(len(exporters), p=ew / ew.sum()))]
        options = [f for f in IMPORTERS if f != exporter]
        importers = list(rng.choice(options, size=1 + int(rng.random() < 0.4), replace=False))
        holder = picker.pick(1, exporter, 19, 30, "M", True, pop.offend_w)
        core = picker.pick(2, exporter, 18, 32, "M", True, pop.offend_w)
        runners = picker.pick(int(rng.integers(2, 5)), exporter, 14, 17.9, None, None,
                              pop.looked_after.astype(float) * 3)
        occupant = picker.pick(1, importers[0], 30, 70, None, None, pop.mental_health.astype(float) * 5, single=True)
        plans["county_lines"].append({"id": f"CL{i + 1:03d}", "exporter": exporter, "importers": importers,
                                      "holder": holder[0], "core": core, "runners": runners,
                                      "occupant": occupant[0]})
    for i in range(max(1, n // 8000)):
        force = ctx.force_codes[int(rng.integers(len(ctx.force_codes)))]
        exploiters = picker.pick(2, force, 19, 38, "M", True, pop.offend_w)
        victims = picker.pick(int(rng.integers(2, 4)), force, 13, 15.9, "F", None, pop.looked_after.astype(float) * 3)
        plans["cse"].append({"id": f"CSE{i + 1:03d}", "force": force, "exploiters": exploiters, "victims": victims})
    for i in range(max(1, n // 10000)):
        force = LABOUR_FORCES[i % len(LABOUR_FORCES)]
        gangmasters = picker.pick(2 + int(rng.random() < 0.5), force, 25, 55, "M", None, pop.offend_w)
        victims = picker.pick(int(rng.integers(4, 9)), None, 19, 50, None, False)
        plans["labour"].append({"id": f"LAB{i + 1:03d}", "force": force, "gangmasters": gangmasters,
                                "victims": victims})
        _make_foreign(ctx, rng, force, gangmasters[1:], victims, i)
    for i in range(max(3, n // 250)):
        kind = ("same_name_close_dob", "same_name_close_dob", "father_son", "twins")[i % 4]
        pair = _lookalike(ctx, rng, picker, kind)
        if pair:
            plans["lookalike"].append({"id": f"LA{i + 1:04d}", "kind": kind, "pair": pair})
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


def _lookalike(ctx: Context, rng: np.random.Generator, picker: Picker, kind: str) -> tuple[int, int] | None:
    pop = ctx.pop
    if kind == "same_name_close_dob":
        target = picker.pick(1, None, 18, 60, None, True, pop.offend_w)[0]
        twin = picker.pick(1, None, 18, 60, str(pop.sex[target]), False)[0]
        pop.forename[twin] = pop.forename[target]
        pop.surname[twin] = pop.surname[target]
        pop.dob[twin] = pop.dob[target] + int(rng.choice([-1, 1])) * int(rng.integers(1, 40))
        pop.victim_w[twin] *= 4
        refresh_dob(pop, np.array([twin]))
        return target, twin
    sizes = np.bincount(pop.household)
    age = picker.age
    if kind == "father_son":
        cand = np.flatnonzero((~picker.used) & (pop.sex == "M") & (age >= 16) & (age < 25)
                              & (sizes[pop.household] >= 3))
        for son in rng.permutation(cand)[:200]:
            hh = np.flatnonzero((pop.household == pop.household[son]) & (pop.sex == "M") & (age >= age[son] + 18)
                                & ~picker.used)
            if len(hh):
                father = int(hh[0])
                pop.forename[son] = pop.forename[father]
                pop.surname[son] = pop.surname[father]
                picker.used[[father, son]] = True
                pop.offend_w[son] += 1.0
                return father, int(son)
        return None
    cand = np.flatnonzero((~picker.used) & (age >= 8) & (age < 17) & (sizes[pop.household] >= 4))
    for a in rng.permutation(cand)[:200]:
        sib = np.flatnonzero((pop.household == pop.household[a]) & (age < 18) & ~picker.used
                             & (np.arange(pop.n) != a))
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
        ctx.member(p["id"], "lookalike", a, "lookalike_a", p["kind"])
        ctx.member(p["id"], "lookalike", b, "lookalike_b", p["kind"])


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
    text = intel_text(topic, f"{pop.forename[main]} {pop.surname[main]}", place, town_of(place), phone)
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
    cuckoo_addr, cuckoo_pc = _home(ctx, occupant, start)
    cuckoo_day = line_start + int(rng.integers(10, 60))
    town = town_of(cuckoo_addr)
    ctx.member(sid, "county_line", holder, "line_holder", f"{brand} line from {exporter} into {'; '.join(importers)}")
    for c in core:
        ctx.member(sid, "county_line", c, "ocg_member")
    recruited = {}
    for r in runners:
        recruited[r] = line_start + int(rng.integers(0, 150))
        ctx.member(sid, "county_line", r, "runner", f"missing from {exporter}, found in {importers[0]}")
    ctx.member(sid, "county_line", occupant, "cuckooed_occupant", cuckoo_addr + ", " + cuckoo_pc)

    # OCG Mapping and CLICM.
    ocg_eid = add_ocg(ctx, rng, sid, exporter, [holder, *core, runners[0]], "county_lines",
                      name=f"{brand} {('Crew', 'Gang', 'Boys', 'Network')[int(rng.integers(4))]}",
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

    # Runners: repeated missing episodes from home, found or arrested in the importing force.
    for r in runners:
        day = recruited[r] + int(rng.integers(5, 30))
        first_arrest = None
        while day < end:
            importer = importers[int(rng.integers(len(importers)))]
            u = rng.random()
            hours = float(rng.integers(30, 24 * 6))
            found_day = day + int(hours // 24)
            if u < 0.55:
                ff, fpc, floc = importer, cuckoo_pc if rng.random() < 0.5 else "", "Found at an address"
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
                         np.array(["Stop and search on train; cash and phones found"], dtype=object),
                         [[(r, "subject")]], scenario=sid)
            else:
                ff, fpc, floc = "", "", ""
            missing_episode_rows(ctx, rng, np.array([r]), np.array([_secs(day, rng)]), np.array([ff], dtype=object),
                                 np.array([fpc], dtype=object), np.array([floc], dtype=object), np.array([hours]),
                                 np.array(["high" if rng.random() < 0.6 else "medium"], dtype=object),
                                 np.array(["county_lines;cce"], dtype=object), scenario=sid)
            if ff == importer and rng.random() < 0.45:
                force_idx = ctx.force_index(importer)
                custody_rows(ctx, rng, np.array([r]), np.array([force_idx]), np.array([found_day]),
                             np.array(["92A"], dtype=object), np.array([fpc], dtype=object), scenario=sid,
                             outcome=np.array(["released_under_investigation"], dtype=object))
                _crime(ctx, importer, found_day, "92A", fpc, "Address believed used to supply drugs",
                       [(r, "suspect")] + ([(holder, "suspect")] if rng.random() < 0.3 else []), sid,
                       (found_day + int(rng.integers(30, 120)), "charged"))
                if first_arrest is None:
                    first_arrest = found_day
                    nrm_rows(ctx, rng, np.array([r]), np.array([found_day + int(rng.integers(1, 20))]),
                             np.array(["criminal"], dtype=object), np.array([importer], dtype=object),
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
        osint_rows(ctx, rng, np.array([holder]), np.array([_secs(day + 2, rng)]),
                   np.array(["snapchat"], dtype=object), np.array([number], dtype=object),
                   np.array([f"Bulk message advertising the {brand} line in {town}."], dtype=object),
                   np.array([f"{brand} line"], dtype=object), np.array(["medium"], dtype=object), scenario=sid)
        day += int(rng.integers(30, 75))
    # The exporting force's intelligence on the holder.
    _intel(ctx, rng, exporter, line_start + int(rng.integers(0, 60)), "drugs", [(holder, "subject")] +
           [(c, "associate") for c in core], holder, "", sid)
    if closes and rng.random() < 0.7:
        custody_rows(ctx, rng, np.array([holder]), np.array([ctx.force_index(importers[0])]), np.array([end]),
                     np.array(["92A"], dtype=object), np.array([cuckoo_pc], dtype=object), scenario=sid,
                     outcome=np.array(["charged"], dtype=object))


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
        while day < until:
            missing_episode_rows(ctx, rng, np.array([v]), np.array([_secs(day, rng)]), np.array([force], dtype=object),
                                 np.array([ex_pc], dtype=object),
                                 np.array(["Found at the address of an adult male"], dtype=object),
                                 np.array([float(rng.integers(6, 60))]), np.array(["high"], dtype=object),
                                 np.array(["cse"], dtype=object), scenario=sid)
            day += int(rng.integers(12, 45))
    day = start + int(rng.integers(0, 40))
    while day < end:
        victim = p["victims"][int(rng.integers(len(p["victims"])))]
        _intel(ctx, rng, force, day, "cse", [(p["exploiters"][0], "subject"), (p["exploiters"][1], "associate"),
                                              (victim, "potential_victim")], p["exploiters"][0],
               pop.mobile[p["exploiters"][0]], sid)
        osint_rows(ctx, rng, np.array([p["exploiters"][1]]), np.array([_secs(day + 1, rng)]),
                   np.array(["snapchat"], dtype=object), np.array([pop.mobile[p["exploiters"][1]]], dtype=object),
                   np.array(["Account adding local schoolgirls as contacts."], dtype=object),
                   np.array([""], dtype=object), np.array(["low"], dtype=object), scenario=sid)
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
    hmo_addr, hmo_pc = _home(ctx, victims[0], start)
    for v in victims:
        ctx.member(sid, "labour_exploitation", v, "victim", f"{hmo_addr}, {hmo_pc}")
    add_ocg(ctx, rng, sid, force, gm, "labour_exploitation",
            name=f"{town_of(hmo_addr)} Labour Supply Network", mapped_day=start + int(rng.integers(30, 200)),
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
