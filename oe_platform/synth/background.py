"""Background events: the ordinary crimes, intelligence, custody, missing episodes and national
records that surround the planted scenarios. Drawn per calendar month with vectorised numpy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from oe_platform.synth import reference as ref
from oe_platform.synth.context import Context, MonthView, street_of, town_of
from oe_platform.synth.noise import typo
from oe_platform.synth.population import iso_days
from oe_platform.synth.streams import stream
from oe_platform.synth.world import iso_datetime

# Volumes per person per year: the population stands for people known to police systems.
CRIME_RATE = 1.3
INTEL_RATE = 0.7
CUSTODY_SHARE = 0.5  # of suspects, arrested and booked into custody
OSINT_RATE = 0.1
NRM_RATE = 0.008
BTP_RATE = 0.05
FLAG_ON_CONCERN = 0.7  # share of a concerned child's missing episodes that carry the exploitation flag
PRECAUTION_FLAG = 0.03  # share of other children's episodes flagged as a precaution

# Home Office class, share of crimes, victim kind, chance of an identified suspect, mean extra suspects.
OFFENCE_MIX = (
    ("46", 0.10, "none", 0.7, 0.1), ("49", 0.12, "adult", 0.2, 0.1), ("45", 0.04, "adult", 0.15, 0.1),
    ("44", 0.03, "adult", 0.1, 0.0), ("48", 0.04, "adult", 0.15, 0.3), ("28E", 0.07, "home", 0.2, 0.3),
    ("30C", 0.03, "none", 0.15, 0.3), ("34B", 0.02, "any10", 0.35, 0.5), ("105A", 0.14, "any10", 0.8, 0.2),
    ("8N", 0.08, "any10", 0.8, 0.2), ("5A", 0.01, "adult", 0.85, 0.4), ("8L", 0.07, "home", 0.9, 0.0),
    ("8Q", 0.01, "female_home", 0.95, 0.0), ("58A", 0.06, "home", 0.3, 0.2), ("17A", 0.015, "female13", 0.6, 0.0),
    ("19C", 0.008, "female_adult", 0.7, 0.0), ("19D", 0.002, "female_teen", 0.8, 0.1),
    ("22B", 0.001, "child", 0.8, 0.0), ("11A", 0.005, "child_home", 0.9, 0.3), ("92A", 0.02, "none", 1.0, 0.5),
    ("92D", 0.03, "none", 1.0, 0.1), ("92E", 0.03, "none", 1.0, 0.1), ("10A", 0.02, "none", 1.0, 0.1),
    ("1/1", 0.0003, "adult", 0.9, 0.5), ("106", 0.001, "adult", 0.7, 0.5), ("71", 0.001, "female_teen", 0.8, 0.5),
)
VICTIM_SAMPLER = {"adult": "adult", "home": "adult", "any10": "any10", "female_home": "female_adult",
                  "female13": "female13", "female_adult": "female_adult", "female_teen": "female_teen",
                  "child": "child", "child_home": "minor"}
RESIDENTIAL = {"28E", "8L", "8Q", "58A", "11A", "22B"}

INTEL_TOPICS = (("drugs", 0.30), ("violence", 0.18), ("acquisitive", 0.2), ("weapons", 0.1),
                ("county_lines", 0.08), ("cse", 0.04), ("modern_slavery", 0.03), ("cuckooing", 0.07))
INTEL_TEXT = {
    "drugs": "{name} is believed to be supplying class A drugs from {place}.",
    "violence": "{name} was involved in a fight outside licensed premises in {town}.",
    "acquisitive": "{name} is believed to be responsible for thefts from vehicles in {town}.",
    "weapons": "{name} is reported to carry a knife when in {town}.",
    "county_lines": "{name} is believed to be running drugs for a county line in {town}.",
    "cse": "{name} has been seen with young girls in cars in {town}; concern for exploitation.",
    "modern_slavery": "{name} is believed to control workers living at {place}.",
    "cuckooing": "Drug users frequenting {place}; {name} believed to be using the address.",
}
HANDLING_CONDITIONS = (
    "Not to be disseminated outside the force without reference to the originator.",
    "Not to be used in evidence; confirm with the source handler before action.",
    "Share with partner agencies only for safeguarding purposes.",
)
CUSTODY_OUTCOMES = (("charged", 0.25), ("released_under_investigation", 0.3), ("bail", 0.13),
                    ("no_further_action", 0.22), ("caution", 0.07), ("community_resolution", 0.03))
PLATFORMS = ("snapchat", "instagram", "telegram", "facebook", "tiktok", "x", "classifieds")


def weighted_choice(rng: np.random.Generator, table: tuple, size: int) -> np.ndarray:
    values = np.array([t[0] for t in table], dtype=object)
    probs = np.array([t[1] for t in table], dtype=float)
    return values[rng.choice(len(values), size=size, p=probs / probs.sum())]


def custody_suites(force_code: str) -> list[str]:
    force = next(f for f in ref.forces() if f.code == force_code)
    towns = [ref.TOWNS[a][0] for a in force.areas]
    return [f"{t} Police Station Custody Suite" for t in towns]


def premises_text(rng: np.random.Generator, address: str) -> str:
    """A crime location as officers describe it: premises on the street of an address."""
    premises = ref.PREMISES[int(rng.integers(len(ref.PREMISES)))]
    return premises.format(n=int(rng.integers(1, 150)), street=street_of(address))


# --- crime --------------------------------------------------------------------------------------

def crime_month(ctx: Context, view: MonthView) -> None:
    data = ctx.sources["crime"]
    rng = stream(ctx.seed, "background", "crime", view.index)
    pop = ctx.pop
    counts = np.bincount(view.force_now, minlength=len(ctx.forces))
    n_per_force = rng.poisson(counts * CRIME_RATE * view.days / 365.0)
    force = np.repeat(np.arange(len(ctx.forces)), n_per_force)
    n = len(force)
    if n == 0:
        return
    eid = data.eids(n)
    day = view.first_day + rng.integers(0, view.days, n)
    mix = OFFENCE_MIX
    codes = np.array([m[0] for m in mix], dtype=object)
    probs = np.array([m[1] for m in mix])
    oi = rng.choice(len(mix), size=n, p=probs / probs.sum())
    offence = codes[oi]
    victim_kind = np.array([m[2] for m in mix], dtype=object)[oi]
    suspect_p = np.array([m[3] for m in mix])[oi]
    extra_mean = np.array([m[4] for m in mix])[oi]

    inv_eid, inv_person, inv_role = [], [], []
    victim = np.full(n, -1, dtype=np.int64)
    for fi in range(len(ctx.forces)):
        in_force = force == fi
        for kind, sampler_kind in VICTIM_SAMPLER.items():
            rows = np.flatnonzero(in_force & (victim_kind == kind))
            if len(rows):
                victim[rows] = ctx.sampler(view, fi, sampler_kind, "victim").draw(rng, len(rows))
        rows = np.flatnonzero(in_force)
        # Suspects: mostly residents, one in ten from anywhere (cross-border offending).
        has_suspect = rng.random(len(rows)) < suspect_p[rows]
        k = has_suspect.astype(int) + np.where(has_suspect, rng.poisson(extra_mean[rows]), 0)
        total = int(k.sum())
        local = ctx.sampler(view, fi, "offender", "offend").draw(rng, total)
        anywhere = ctx.sampler(view, None, "offender", "offend").draw(rng, total)
        suspects = np.where(rng.random(total) < 0.1, anywhere, local)
        inv_eid.append(np.repeat(eid[rows], k))
        inv_person.append(suspects)
        inv_role.append(np.where(rng.random(total) < 0.12, "offender", "suspect").astype(object))
        wk = rng.poisson(0.35, len(rows))
        inv_eid.append(np.repeat(eid[rows], wk))
        inv_person.append(ctx.sampler(view, fi, "adult", "flat").draw(rng, int(wk.sum())))
        inv_role.append(np.full(int(wk.sum()), "witness", dtype=object))
        rep = rng.random(len(rows)) < np.where(victim[rows] >= 0, 0.2, 0.5)
        inv_eid.append(eid[rows][rep])
        inv_person.append(ctx.sampler(view, fi, "adult", "flat").draw(rng, int(rep.sum())))
        inv_role.append(np.full(int(rep.sum()), "person_reporting", dtype=object))
    has_v = victim >= 0
    inv_eid.insert(0, eid[has_v])
    inv_person.insert(0, victim[has_v])
    inv_role.insert(0, np.full(int(has_v.sum()), "victim", dtype=object))

    # Location: the victim's home for residential offences, otherwise a street in the force area.
    loc_addr = ctx.random_addresses(rng, force)
    residential = np.isin(offence, list(RESIDENTIAL)) & has_v
    if residential.any():
        loc_addr[residential] = pop.address_at(victim[residential], day[residential])
    texts = pop.addresses.text_arr[loc_addr]
    premises = np.array(ref.PREMISES, dtype=object)[rng.integers(0, len(ref.PREMISES), n)]
    house = rng.integers(1, 150, n)
    loc_desc = np.array([t if r else p.format(n=h, street=street_of(t))
                         for t, r, p, h in zip(texts, residential, premises, house, strict=True)], dtype=object)
    desc = ref.offence_classes()
    occurred_from = day - np.minimum(rng.geometric(0.5, n) - 1, 6)
    span = rng.random(n) < 0.3
    occurred_to = np.where(span, iso_days(occurred_from + 1), "")
    org = np.array(ctx.force_codes, dtype=object)[force]
    data.add_main({
        "_eid": eid, "_org": org, "_day": day,
        "recorded_date": iso_days(day), "occurred_from": iso_days(occurred_from), "occurred_to": occurred_to,
        "offence_code": offence,
        "offence_description": np.array([desc[c]["description"] for c in offence], dtype=object),
        "location_postcode": pop.addresses.postcode_arr[loc_addr], "location_description": loc_desc,
        "status": "open", "record_action": "I",
    })
    inv = pd.DataFrame({"_eid": np.concatenate(inv_eid), "_person": np.concatenate(inv_person),
                        "role": np.concatenate(inv_role)})
    inv = inv[inv["_person"] >= 0].drop_duplicates(["_eid", "_person"], keep="first")
    day_of = pd.Series(day, index=eid)
    inv["_day"] = day_of.loc[inv["_eid"].to_numpy()].to_numpy()
    inv["_role"] = inv["role"]
    data.add_child("persons", {c: inv[c].to_numpy() for c in inv.columns})

    # Status changes delivered later.
    upd = rng.random(n) < 0.6
    has_suspect_row = np.isin(eid, inv.loc[inv["role"].isin(["suspect", "offender"]), "_eid"].to_numpy())
    new_status = np.where(has_suspect_row & (rng.random(n) < 0.35), "charged",
                          np.where(rng.random(n) < 0.55, "closed", "nfa"))
    new_status = np.where(new_status == "nfa", "no_further_action", new_status)
    data.add_updates({"_eid": eid[upd], "_day": day[upd] + rng.integers(5, 120, int(upd.sum())),
                                   "status": new_status[upd].astype(object)})

    # Custody: a share of the suspects are arrested by the force that recorded the crime.
    sus = inv[inv["role"].isin(["suspect", "offender"])]
    arrested = sus[rng.random(len(sus)) < CUSTODY_SHARE]
    crime = pd.DataFrame({"_eid": eid, "force": force, "day": day, "offence": offence,
                          "loc": pop.addresses.postcode_arr[loc_addr]}).set_index("_eid")
    info = crime.loc[arrested["_eid"].to_numpy()]
    custody_rows(ctx, rng, arrested["_person"].to_numpy(), info["force"].to_numpy(),
                 info["day"].to_numpy() + np.minimum(rng.geometric(0.3, len(info)) - 1, 20),
                 info["offence"].to_numpy(), info["loc"].to_numpy(), scenario="")


def custody_rows(ctx: Context, rng: np.random.Generator, persons: np.ndarray, force: np.ndarray,
                 arrest_day: np.ndarray, offence: np.ndarray, arrest_postcode: np.ndarray, scenario: str = "",
                 outcome: np.ndarray | None = None) -> np.ndarray:
    data = ctx.sources["custody"]
    n = len(persons)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    eid = data.eids(n)
    pop = ctx.pop
    home = pop.address_at(persons, arrest_day)
    home_pc = pop.addresses.postcode_arr[home]
    at_home = (rng.random(n) < 0.4) & (pop.addresses.force_arr[home] == force)
    postcode = np.where(at_home, home_pc, arrest_postcode)
    seconds = rng.integers(0, 86400, n)
    arrival = arrest_day + (rng.random(n) < 0.1)
    if outcome is None:
        outcome = weighted_choice(rng, CUSTODY_OUTCOMES, n)
    outcome = np.where((outcome == "charged") & (rng.random(n) < 0.1), "remanded", outcome)
    decided = arrival + (seconds > 50000)
    desc = ref.offence_classes()
    codes = ctx.force_codes
    suites = np.array([custody_suites(codes[f])[int(rng.integers(len(custody_suites(codes[f]))))]
                       for f in force], dtype=object)
    data.add_main({
        "_eid": eid, "_org": np.array(codes, dtype=object)[force], "_day": decided, "_person": persons,
        "_role": "detainee", "_scenario": scenario,
        "custody_suite": suites, "arrival_datetime": iso_datetime(arrival, seconds),
        "arrest_date": iso_days(arrest_day), "arrest_offence_code": offence,
        "arrest_offence_description": np.array([desc[c]["description"] for c in offence], dtype=object),
        "arrest_location_postcode": postcode, "outcome": outcome, "outcome_date": iso_days(decided),
        "record_action": "I",
    })
    later = np.isin(outcome, ["released_under_investigation", "bail"]) & (rng.random(n) < 0.7)
    final = np.where(rng.random(n) < 0.45, "charged", "no_further_action")
    lag = rng.integers(20, 150, n)
    data.add_updates({"_eid": eid[later], "_day": decided[later] + lag[later],
                                   "outcome": final[later].astype(object),
                                   "outcome_date": iso_days(decided[later] + lag[later])})
    return eid


# --- intel --------------------------------------------------------------------------------------

def grading(rng: np.random.Generator, n: int, legacy_share: float = 0.05) -> dict[str, np.ndarray]:
    legacy = rng.random(n) < legacy_share
    src = np.where(legacy, np.array(list("ABCDE"))[rng.choice(5, n, p=[0.1, 0.3, 0.35, 0.05, 0.2])],
                   np.array(list("123"))[rng.choice(3, n, p=[0.25, 0.6, 0.15])])
    intel = np.where(legacy, np.array(list("12345"))[rng.choice(5, n, p=[0.1, 0.35, 0.4, 0.1, 0.05])],
                     np.array(list("ABCDE"))[rng.choice(5, n, p=[0.1, 0.35, 0.4, 0.12, 0.03])])
    handling = np.where(legacy, np.array(list("12345"))[rng.choice(5, n, p=[0.6, 0.1, 0.1, 0.15, 0.05])],
                        np.where(rng.random(n) < 0.8, "P", "C"))
    conditions = np.where(handling == "C", np.array(HANDLING_CONDITIONS, dtype=object)[rng.integers(0, 3, n)], "")
    return {
        "grading_scheme": np.where(legacy, "5x5x5", "3x5x2").astype(object),
        "source_evaluation": src.astype(object), "intelligence_assessment": intel.astype(object),
        "handling_code": handling.astype(object),
        "grading_code": np.char.add(np.char.add(src.astype(str), intel.astype(str)),
                                    handling.astype(str)).astype(object),
        "handling_conditions": conditions.astype(object), "legacy": legacy,
    }


def text_names(rng: np.random.Generator, pop, persons: np.ndarray) -> np.ndarray:
    """How an officer writes a subject into free text: never the person's true full name as it is
    on file. A full name always carries a keying error or a nickname; otherwise a surname alone, an
    initial and surname, a forename or nickname alone, a street name, or no name at all."""
    nick = ref.nicknames()
    out = np.empty(len(persons), dtype=object)
    u = rng.random(len(persons))
    for i, p in enumerate(persons):
        fore, sur, sex = str(pop.forename[p]), str(pop.surname[p]), pop.sex[p]
        short = nick[fore][int(rng.integers(len(nick[fore])))] if fore in nick else ""
        if u[i] < 0.30:
            if short and rng.random() < 0.5:
                out[i] = f"{short} {sur}"
            elif rng.random() < 0.5:
                out[i] = f"{typo(fore, rng)} {sur}"
            else:
                out[i] = f"{fore} {typo(sur, rng)}"
        elif u[i] < 0.50:
            out[i] = sur.upper()
        elif u[i] < 0.65:
            out[i] = f"{fore[:1]}. {sur}"
        elif u[i] < 0.80:
            out[i] = short or fore
        elif u[i] < 0.90 and pop.street_name[p]:
            out[i] = f"A {'male' if sex == 'M' else 'female'} known as {pop.street_name[p]}"
        else:
            out[i] = ("An unknown male", "An unknown female")[sex != "M"] if rng.random() < 0.7 else "A youth"
    return out


def intel_text(topic: str, name: str, place: str, town: str, phone: str) -> str:
    text = INTEL_TEXT[topic].format(name=name, place=place, town=town)
    return f"{text} Uses phone {phone}." if phone else text


def intel_month(ctx: Context, view: MonthView) -> None:
    data = ctx.sources["intel"]
    rng = stream(ctx.seed, "background", "intel", view.index)
    pop = ctx.pop
    counts = np.bincount(view.force_now, minlength=len(ctx.forces))
    force = np.repeat(np.arange(len(ctx.forces)), rng.poisson(counts * INTEL_RATE * view.days / 365.0))
    n = len(force)
    if n == 0:
        return
    eid = data.eids(n)
    day = view.first_day + rng.integers(0, view.days, n)
    topic = weighted_choice(rng, INTEL_TOPICS, n)
    subject = np.full(n, -1, dtype=np.int64)
    inv_eid, inv_person, inv_role = [], [], []
    for fi in range(len(ctx.forces)):
        rows = np.flatnonzero(force == fi)
        if not len(rows):
            continue
        subject[rows] = ctx.sampler(view, fi, "offender", "offend").draw(rng, len(rows))
        k = rng.poisson(0.5, len(rows))
        inv_eid.append(np.repeat(eid[rows], k))
        inv_person.append(ctx.sampler(view, fi, "offender", "offend").draw(rng, int(k.sum())))
        inv_role.append(np.full(int(k.sum()), "associate", dtype=object))
        pv = rng.random(len(rows)) < 0.06
        inv_eid.append(eid[rows][pv])
        inv_person.append(ctx.sampler(view, fi, "vulnerable", "victim").draw(rng, int(pv.sum())))
        inv_role.append(np.full(int(pv.sum()), "potential_victim", dtype=object))
    inv_eid.insert(0, eid)
    inv_person.insert(0, subject)
    inv_role.insert(0, np.full(n, "subject", dtype=object))
    g = grading(rng, n)
    submitted = np.where(g["legacy"], ctx.start_day - rng.integers(8 * 365, 16 * 365, n), day)
    addr = pop.address_at(subject, day)
    texts = pop.addresses.text_arr[addr]
    mention = np.isin(topic, ["drugs", "county_lines"]) & (rng.random(n) < 0.4) & (pop.mobile[subject] != "")
    phone = np.where(mention, pop.mobile[subject], "").astype(object)
    names = text_names(rng, pop, subject)
    text = np.array([intel_text(t, nm, pl, town_of(pl), ph)
                     for t, nm, pl, ph in zip(topic, names, texts, phone, strict=True)], dtype=object)
    data.add_main({
        "_eid": eid, "_org": np.array(ctx.force_codes, dtype=object)[force], "_day": day,
        "submitted_date": iso_days(submitted),
        **{k: v for k, v in g.items() if k != "legacy"},
        "topic": topic, "intel_text": text,
        "location_postcode": pop.addresses.postcode_arr[addr], "phone_mentioned": phone, "record_action": "I",
    })
    inv = pd.DataFrame({"_eid": np.concatenate(inv_eid), "_person": np.concatenate(inv_person),
                        "subject_role": np.concatenate(inv_role)})
    inv = inv[inv["_person"] >= 0].drop_duplicates(["_eid", "_person"], keep="first")
    inv["_day"] = pd.Series(day, index=eid).loc[inv["_eid"].to_numpy()].to_numpy()
    inv["_role"] = inv["subject_role"]
    data.add_child("subjects", {c: inv[c].to_numpy() for c in inv.columns})
    upd = (rng.random(n) < 0.08) & ~g["legacy"]
    data.add_updates({
        "_eid": eid[upd], "_day": day[upd] + rng.integers(7, 90, int(upd.sum())),
        "intelligence_assessment": "B",
        "intel_text": (text[upd] + " Further corroboration received.").astype(object),
    })


# --- missing ------------------------------------------------------------------------------------

def missing_episode_rows(ctx: Context, rng: np.random.Generator, persons: np.ndarray, reported: np.ndarray,
                         found_force: np.ndarray, found_postcode: np.ndarray, found_location: np.ndarray,
                         hours_missing: np.ndarray, risk: np.ndarray, flags: np.ndarray, scenario: str = ""
                         ) -> np.ndarray:
    """Episodes reported in the person's home force (at the report date), found as given.

    ``found_force`` holds force codes (or btp/metropolitan); an empty code means found at home.
    """
    data = ctx.sources["missing"]
    n = len(persons)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    pop = ctx.pop
    eid = data.eids(n)
    rep_sec = reported
    rep_day = rep_sec // 86400
    home_force = pop.force_at(persons, rep_day)
    org = np.array(ctx.force_codes, dtype=object)[home_force]
    home_addr = pop.address_at(persons, rep_day)
    last_seen_sec = rep_sec - rng.integers(3600, 12 * 3600, n)
    found_sec = rep_sec + (hours_missing * 3600).astype(np.int64)
    found_day = found_sec // 86400
    found_force = np.where(found_force == "", org, found_force).astype(object)
    home_pc = pop.addresses.postcode_arr[home_addr]
    found_postcode = np.where(found_postcode == "", home_pc, found_postcode).astype(object)
    found_location = np.where(found_location == "", "Returned to home address", found_location).astype(object)
    age = pop.age_at(persons, rep_day)
    child = age < 18
    last_seen_loc = np.where(child & pop.looked_after[persons], "Care placement", "Home address").astype(object)
    main = {
        "_eid": eid, "_org": org, "_day": rep_day, "_person": persons, "_role": "missing_person",
        "_scenario": scenario,
        "reported_datetime": np.datetime_as_string(rep_sec.astype("datetime64[s]")).astype(object),
        "last_seen_datetime": np.datetime_as_string(last_seen_sec.astype("datetime64[s]")).astype(object),
        "last_seen_location": last_seen_loc, "last_seen_postcode": home_pc, "risk_grade": risk, "flags": flags,
        "record_action": "I",
    }
    found_cols = {
        "found_datetime": np.datetime_as_string(found_sec.astype("datetime64[s]")).astype(object),
        "found_location": found_location, "found_postcode": found_postcode, "found_force": found_force,
        "return_interview_offered": np.where(child, "Y", "N").astype(object), "status": "closed",
    }
    # Found before the first delivery: the episode is first delivered closed.
    quick = found_day == rep_day
    for col, values in found_cols.items():
        vals = np.broadcast_to(np.asarray(values, dtype=object), (n,))
        main[col] = np.where(quick, vals, "open" if col == "status" else "").astype(object)
    data.add_main(main)
    slow = ~quick
    upd = {"_eid": eid[slow], "_day": found_day[slow]}
    for col, values in found_cols.items():
        upd[col] = np.broadcast_to(np.asarray(values, dtype=object), (n,))[slow]
    data.add_updates(upd)
    return eid


def risk_grades(rng: np.random.Generator, age: np.ndarray, looked_after: np.ndarray, flagged: np.ndarray
                ) -> np.ndarray:
    """Risk grades as officers assess them from what they know: exploitation flags and being in
    care raise the risk; the same rule for every episode, planted or not."""
    n = len(age)
    return np.where(
        flagged, weighted_choice(rng, (("high", 0.5), ("medium", 0.45), ("low", 0.05)), n),
        np.where(looked_after, weighted_choice(rng, (("medium", 0.5), ("high", 0.2), ("low", 0.3)), n),
                 np.where(age < 18, weighted_choice(rng, (("low", 0.5), ("medium", 0.4), ("high", 0.1)), n),
                          weighted_choice(rng, (("absent", 0.08), ("very_low", 0.12), ("low", 0.4), ("medium", 0.3),
                                        ("high", 0.1)), n)))).astype(object)


def concern_flags(ctx: Context, rng: np.random.Generator, persons: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Exploitation flags an officer records on an episode from the concern already held about the
    person (population.cse_concern…): on FLAG_ON_CONCERN of a concerned child's episodes, and as a
    precaution on PRECAUTION_FLAG of other children's episodes."""
    pop = ctx.pop
    n = len(persons)
    child = age < 18
    record = rng.random(n) < FLAG_ON_CONCERN
    precaution = child & (rng.random(n) < PRECAUTION_FLAG)
    kind = rng.random(n)
    female = pop.sex[persons] == "F"
    cse = child & ((pop.cse_concern[persons] & record) | (precaution & (kind < np.where(female, 0.6, 0.15))))
    cce = child & ((pop.cce_concern[persons] & record) | (precaution & (kind >= np.where(female, 0.6, 0.15))))
    cl = cce & (pop.county_lines_concern[persons] | (rng.random(n) < 0.2))
    return join_flags(cse=cse, cce=cce, county_lines=cl)


def join_flags(**masks: np.ndarray) -> np.ndarray:
    """Semicolon-separated flags from boolean masks named after the flags."""
    n = len(next(iter(masks.values())))
    out = np.full(n, "", dtype=object)
    for name, mask in masks.items():
        out = np.where(mask, np.where(out == "", name, out + ";" + name), out).astype(object)
    return out


def status_flags(ctx: Context, rng: np.random.Generator, persons: np.ndarray, age: np.ndarray,
                 exploitation: np.ndarray) -> np.ndarray:
    """The flags of an episode: what is known of the person (in care, mental health; recorded on
    most episodes) and the exploitation flags given."""
    pop = ctx.pop
    n = len(persons)
    lac = pop.looked_after[persons] & (age < 18) & (rng.random(n) < 0.9)
    mh = pop.mental_health[persons] & (rng.random(n) < 0.85)
    status = join_flags(mental_health=mh, looked_after_child=lac)
    both = (status != "") & (exploitation != "")
    return np.where(both, exploitation + ";" + status, np.where(status != "", status, exploitation)).astype(object)


HOME_FOUND = (("Returned to home address", 0.6), ("Found at a friend's address", 0.3), ("Returned of own accord", 0.1))
AWAY_FOUND = (("Found in the street by officers", 0.5), ("Found at an address", 0.3),
              ("Found at a friend's address", 0.15), ("Found at the address of an adult male", 0.05))
BTP_FOUND = (("Railway station", 0.5), ("Railway station, stopped by BTP officers", 0.5))


def missing_month(ctx: Context, view: MonthView) -> None:
    rng = stream(ctx.seed, "background", "missing", view.index)
    pop = ctx.pop
    lam = pop.missing_w * view.days / 365.0 * (~pop.reserved)
    k = rng.poisson(lam)
    persons = np.repeat(np.arange(pop.n), k)
    n = len(persons)
    if n == 0:
        return
    rep = (view.first_day + rng.integers(0, view.days, n)).astype(np.int64) * 86400 + rng.integers(0, 86400, n)
    age = pop.age_at(persons, rep // 86400)
    exploitation = concern_flags(ctx, rng, persons, age)
    flagged = exploitation != ""
    # Children of concern stay away longer and are found further from home more often.
    hours = np.minimum(rng.lognormal(np.log(14), 1.0, n) * np.where(flagged, 2.0, 1.0), 24 * 20)
    home = pop.force_at(persons, rep // 86400)
    elsewhere = rng.random(n) * np.where(flagged, 0.4, 1.0)
    other = rng.integers(0, len(ctx.forces), n)
    other = np.where(other == home, (other + 1) % len(ctx.forces), other)
    codes = np.array(ctx.force_codes, dtype=object)
    found_force = np.where(elsewhere < 0.1, codes[other], np.where(elsewhere < 0.13, "btp", "")).astype(object)
    found_force_idx = np.where(elsewhere < 0.13, other, home)
    found_addr = ctx.random_addresses(rng, found_force_idx)
    away = elsewhere < 0.13
    found_pc = np.where(away | (rng.random(n) < 0.3), pop.addresses.postcode_arr[found_addr], "").astype(object)
    away_loc = weighted_choice(rng, AWAY_FOUND, n)
    adult_male = flagged & (pop.sex[persons] == "F") & (rng.random(n) < 0.3)
    away_loc = np.where(adult_male, "Found at the address of an adult male", away_loc)
    found_loc = np.where(found_force == "btp", weighted_choice(rng, BTP_FOUND, n),
                         np.where(found_pc != "", away_loc, weighted_choice(rng, HOME_FOUND, n))).astype(object)
    lac = pop.looked_after[persons]
    risk = risk_grades(rng, age, lac & (age < 18), flagged)
    flags = status_flags(ctx, rng, persons, age, exploitation)
    missing_episode_rows(ctx, rng, persons, rep, found_force, found_pc, found_loc, hours, risk, flags)


# --- national: NRM, OSINT; partner: BTP ---------------------------------------------------------

def nrm_rows(ctx: Context, rng: np.random.Generator, victims: np.ndarray, referral_day: np.ndarray,
             exploitation: np.ndarray, responder_force: np.ndarray, exploiters: list[list[int]],
             exploit_postcode: np.ndarray, scenario: str = "", dtn: np.ndarray | None = None) -> np.ndarray:
    data = ctx.sources["nrm"]
    n = len(victims)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    pop = ctx.pop
    eid = data.eids(n)
    age = pop.age_at(victims, referral_day)
    child = age < 18
    police = responder_force != ""
    codes = ctx.force_codes
    fr_org = np.where(police, [ref.forces()[codes.index(f)].name if f else "" for f in responder_force],
                      np.array(["Local authority children's services", "Salvation Army", "Migrant Help",
                                "Home Office Immigration Enforcement"], dtype=object)[
                          np.where(child, 0, rng.integers(1, 4, n))]).astype(object)
    fr_type = np.where(police, "police", np.where(fr_org == "Local authority children's services", "local_authority",
                                                  np.where(fr_org == "Home Office Immigration Enforcement",
                                                           "home_office", "ngo"))).astype(object)
    if dtn is None:
        dtn = (~child) & (rng.random(n) < 0.15)
    rg_day = referral_day + rng.integers(3, 30, n)
    rg_pos = rng.random(n) < 0.85
    cg_day = rg_day + rng.integers(60, 400, n)
    cg_pos = rg_pos & (rng.random(n) < 0.75)
    main = {
        "_eid": eid, "_org": "national", "_day": referral_day, "_person": victims, "_role": "referred_victim",
        "_scenario": scenario, "referral_date": iso_days(referral_day), "first_responder_org": fr_org,
        "first_responder_type": fr_type, "referring_force": responder_force.astype(object),
        "age_group": np.where(child, "child", "adult").astype(object), "exploitation_type": exploitation,
        "exploitation_location": "uk", "exploitation_postcode": exploit_postcode,
        "duty_to_notify": np.where(dtn, "Y", "N").astype(object), "reasonable_grounds_decision": "pending",
        "reasonable_grounds_date": "", "conclusive_grounds_decision": "pending", "conclusive_grounds_date": "",
        "record_action": "I", "_dtn": dtn,
    }
    data.add_main(main)
    data.add_updates({
        "_eid": eid, "_day": rg_day, "reasonable_grounds_date": iso_days(rg_day),
        "reasonable_grounds_decision": np.where(rg_pos, "positive", "negative").astype(object),
    })
    rg_dec = np.where(rg_pos, "positive", "negative").astype(object)
    data.add_updates({
        "_eid": eid[rg_pos], "_day": cg_day[rg_pos], "reasonable_grounds_date": iso_days(rg_day[rg_pos]),
        "reasonable_grounds_decision": rg_dec[rg_pos], "conclusive_grounds_date": iso_days(cg_day[rg_pos]),
        "conclusive_grounds_decision": np.where(cg_pos[rg_pos], "positive", "negative").astype(object),
    })
    rel = np.array(["gangmaster", "employer", "associate", "partner", "unknown"], dtype=object)
    rows = []
    for e, exp, typ, d in zip(eid, exploiters, exploitation, referral_day, strict=True):
        for p in exp:
            relation = "gangmaster" if typ == "labour" else ("associate" if typ == "criminal"
                                                            else rel[int(rng.integers(2, 5))])
            rows.append({"_eid": e, "_person": int(p), "_day": int(d), "_role": "exploiter",
                         "relationship_to_victim": relation})
    data.add_child("alleged_exploiters", rows)
    return eid


NRM_TYPES = ("criminal", "sexual", "labour", "domestic_servitude", "unknown")
NRM_CHILD = np.array([0.55, 0.18, 0.07, 0.05, 0.15])  # children: mostly criminal exploitation
NRM_ADULT = np.array([0.17, 0.20, 0.38, 0.10, 0.15])  # adults: mostly labour exploitation
NRM_SEX_TILT = {"F": np.array([0.6, 2.5, 0.6, 1.5, 1.0]), "M": np.array([1.3, 0.3, 1.3, 0.6, 1.0])}


def nrm_types(rng: np.random.Generator, child: np.ndarray, female: np.ndarray) -> np.ndarray:
    """Exploitation types of background referrals, by age and sex (see docs/generator.md)."""
    out = np.empty(len(child), dtype=object)
    for is_child in (True, False):
        for is_female in (True, False):
            rows = np.flatnonzero((child == is_child) & (female == is_female))
            if not len(rows):
                continue
            p = (NRM_CHILD if is_child else NRM_ADULT) * NRM_SEX_TILT["F" if is_female else "M"]
            out[rows] = np.array(NRM_TYPES, dtype=object)[rng.choice(len(NRM_TYPES), size=len(rows), p=p / p.sum())]
    return out


def nrm_month(ctx: Context, view: MonthView) -> None:
    rng = stream(ctx.seed, "background", "nrm", view.index)
    k = int(rng.poisson(ctx.pop.n * NRM_RATE * view.days / 365.0))
    if k == 0:
        return
    victims = ctx.sampler(view, None, "vulnerable", "victim").draw(rng, k)
    day = view.first_day + rng.integers(0, view.days, k)
    typ = nrm_types(rng, ctx.pop.age_at(victims, day) < 18, ctx.pop.sex[victims] == "F")
    force = ctx.pop.force_at(victims, day)
    police = rng.random(k) < 0.55
    responder = np.where(police, np.array(ctx.force_codes, dtype=object)[force], "").astype(object)
    exploiters = []
    for i in range(k):
        m = int(rng.integers(0, 3))
        drawn = ctx.sampler(view, int(force[i]), "offender", "offend").draw(rng, m)
        exploiters.append([int(p) for p in drawn if p >= 0])
    pcs = ctx.pop.addresses.postcode_arr[ctx.random_addresses(rng, force)]
    pcs = np.where(rng.random(k) < 0.6, pcs, "").astype(object)
    nrm_rows(ctx, rng, victims, day, typ, responder, exploiters, pcs)


def osint_rows(ctx: Context, rng: np.random.Generator, persons: np.ndarray, seconds: np.ndarray,
               platform: np.ndarray, phone: np.ndarray, summary: np.ndarray, line_name: np.ndarray,
               confidence: np.ndarray, scenario: str = "", handles: np.ndarray | None = None) -> np.ndarray:
    """Observations of accounts; ``handles`` (an account that is not the person's own, e.g. a line's
    advertising account) override the person's handle where not empty."""
    data = ctx.sources["osint"]
    n = len(persons)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    eid = data.eids(n)
    handle = ctx.pop.handle[persons]
    if handles is not None:
        handle = np.where(handles != "", handles, handle).astype(object)
    url = np.array([f"https://{p}.example/{h}" for p, h in zip(platform, handle, strict=True)], dtype=object)
    data.add_main({
        "_eid": eid, "_org": "national", "_day": seconds // 86400, "_person": persons, "_role": "subject",
        "_scenario": scenario, "observed_at": np.datetime_as_string(seconds.astype("datetime64[s]")).astype(object),
        "platform": platform, "handle": handle, "phone_override": phone, "url": url, "content_summary": summary,
        "linked_line_name": line_name, "confidence": confidence, "record_action": "I",
    })
    return eid


LINE_HANDLE_SUFFIXES = ("line", "_line", "ting", "247", ".plug", "_deliveries", "x", "")
ADVERT_PLATFORMS = (("snapchat", 0.6), ("telegram", 0.2), ("instagram", 0.2))
OSINT_GENERAL = ("Posts showing large amounts of cash.", "Profile photo matches the named person.",
                 "Posts referring to a rival group.", "Advertising designer goods for sale.",
                 "Check-ins at licensed premises.")
DRUG_ADVERT_SHARE = 0.15  # of background observations: a deal line's bulk advertising
LINE_LINKED_SHARE = 0.6  # of drug adverts an analyst links to a named line
GROOMING_SHARE = 0.01  # of background observations of adult men: adding local schoolgirls


def line_handle(rng: np.random.Generator, brand: str) -> str:
    """An advertising account's handle, from the line's brand name."""
    suffix = LINE_HANDLE_SUFFIXES[int(rng.integers(len(LINE_HANDLE_SUFFIXES)))]
    digits = str(int(rng.integers(1, 99))) if rng.random() < 0.4 else ""
    return f"{brand.lower()}{suffix}{digits}"


def advert_summary(brand: str, town: str) -> str:
    return f"Bulk message advertising the {brand} line in {town}."


def osint_month(ctx: Context, view: MonthView) -> None:
    rng = stream(ctx.seed, "background", "osint", view.index)
    pop = ctx.pop
    k = int(rng.poisson(pop.n * OSINT_RATE * view.days / 365.0))
    if k == 0:
        return
    persons = ctx.sampler(view, None, "young_offender", "offend").draw(rng, k)
    secs = (view.first_day + rng.integers(0, view.days, k)).astype(np.int64) * 86400 + rng.integers(0, 86400, k)
    platform = np.array(PLATFORMS, dtype=object)[rng.integers(0, len(PLATFORMS), k)]
    phone = np.where(rng.random(k) < 0.4, pop.mobile[persons], "").astype(object)
    summary = np.array(OSINT_GENERAL, dtype=object)[rng.integers(0, len(OSINT_GENERAL), k)]
    confidence = weighted_choice(rng, (("high", 0.3), ("medium", 0.5), ("low", 0.2)), k)
    line_name = np.full(k, "", dtype=object)
    handles = np.full(k, "", dtype=object)
    # Deal lines nobody has planted: a local dealer's bulk adverts, sometimes linked to a line name.
    advert = rng.random(k) < DRUG_ADVERT_SHARE
    brands = np.array(ref.LINE_BRANDS, dtype=object)[rng.integers(0, len(ref.LINE_BRANDS), k)]
    towns = np.array([town_of(t) for t in pop.addresses.text_arr[pop.address_at(persons, secs // 86400)]],
                     dtype=object)
    for i in np.flatnonzero(advert):
        handles[i] = line_handle(rng, brands[i])
        summary[i] = advert_summary(brands[i], towns[i])
        if rng.random() < LINE_LINKED_SHARE:
            line_name[i] = f"{brands[i]} line"
    platform = np.where(advert, weighted_choice(rng, ADVERT_PLATFORMS, k), platform).astype(object)
    adult_male = (pop.sex[persons] == "M") & (view.age[persons] >= 18)
    grooming = ~advert & adult_male & (rng.random(k) < GROOMING_SHARE)
    summary = np.where(grooming, "Account adding local schoolgirls as contacts.", summary).astype(object)
    osint_rows(ctx, rng, persons, secs, platform, phone, summary, line_name, confidence, handles=handles)


def btp_rows(ctx: Context, rng: np.random.Generator, force: np.ndarray, seconds: np.ndarray, event_type: np.ndarray,
             offence: np.ndarray, description: np.ndarray, people: list[list[tuple[int, str]]],
             scenario: str = "") -> np.ndarray:
    data = ctx.sources["canonical"]
    n = len(force)
    if n == 0:
        return np.empty(0, dtype=np.int64)
    eid = data.eids(n)
    station_addr = ctx.random_addresses(rng, force)
    data.add_main({
        "_eid": eid, "_org": "btp-demo", "_day": seconds // 86400, "_scenario": scenario,
        "event_type": event_type, "occurred_at": np.datetime_as_string(seconds.astype("datetime64[s]")).astype(object),
        "force_code": np.array(ctx.force_codes, dtype=object)[force], "offence_code": offence,
        "location_postcode": ctx.pop.addresses.postcode_arr[station_addr], "description": description,
    })
    rows = []
    for e, d, group in zip(eid, seconds // 86400, people, strict=True):
        for p, role in group:
            rows.append({"_eid": e, "_person": int(p), "_day": int(d), "_role": role, "role": role})
    data.add_child("person_events", rows)
    data.add_child("persons", [dict(r) for r in rows])
    return eid


STOP_SEARCH_TEXTS = (("Stop and search on station concourse", 0.45), ("Stop and search on train; nothing found", 0.25),
                     ("Stop and search on station concourse; cannabis found", 0.15),
                     ("Stop and search on train; cash and phones found", 0.10),
                     ("Stop and search on train; knife found", 0.05))


def btp_month(ctx: Context, view: MonthView) -> None:
    rng = stream(ctx.seed, "background", "btp", view.index)
    k = int(rng.poisson(ctx.pop.n * BTP_RATE * view.days / 365.0))
    if k == 0:
        return
    force = rng.choice(len(ctx.forces), size=k)
    secs = (view.first_day + rng.integers(0, view.days, k)).astype(np.int64) * 86400 + rng.integers(0, 86400, k)
    etype = weighted_choice(rng, (("stop_search", 0.5), ("crime", 0.35), ("incident", 0.15)), k)
    offence = np.where(etype == "crime",
                       weighted_choice(rng, (("49", 0.4), ("45", 0.2), ("105A", 0.25), ("92D", 0.15)), k),
                       "").astype(object)
    desc = np.where(etype == "stop_search", weighted_choice(rng, STOP_SEARCH_TEXTS, k),
                    np.where(etype == "crime", "Crime reported on the railway",
                             "Disturbance on a train")).astype(object)
    people = []
    for i in range(k):
        role = "subject" if etype[i] == "stop_search" else ("suspect" if etype[i] == "crime" else "subject")
        p = ctx.sampler(view, None, "young_offender", "offend").draw(rng, 1)
        group = [(int(p[0]), role)]
        if etype[i] == "crime" and rng.random() < 0.5:
            group.append((int(ctx.sampler(view, None, "adult", "victim").draw(rng, 1)[0]), "victim"))
        people.append([g for g in group if g[0] >= 0])
    btp_rows(ctx, rng, force, secs, etype, offence, desc, people)


# Principal criminality of mapped groups nobody planted: county lines and exploitation too, so that
# a group's criminality is evidence, not a label.
OCG_CRIMINALITY = (("drugs_supply", 0.3), ("county_lines", 0.15), ("acquisitive", 0.25), ("firearms", 0.08),
                   ("fraud", 0.15), ("labour_exploitation", 0.04), ("cse", 0.03))


def ocg_name(rng: np.random.Generator, town: str) -> str:
    """A mapped group's name: after its town or a street brand, the same way planted or not."""
    if rng.random() < 0.5:
        return f"{town} {('Firm', 'Crew', 'Network', 'Family')[int(rng.integers(4))]}"
    brand = (ref.LINE_BRANDS + ref.STREET_NAMES)[int(rng.integers(len(ref.LINE_BRANDS) + len(ref.STREET_NAMES)))]
    return f"{brand} {('Crew', 'Gang', 'Boys', 'Network')[int(rng.integers(4))]}"


def ocgm_background(ctx: Context) -> None:
    """Mapped groups not tied to a planted scenario (drugs supply, acquisitive crime, fraud…)."""
    rng = stream(ctx.seed, "background", "ocgm")
    count = max(2, ctx.pop.n // 1500)
    view = ctx.month_view(int(np.datetime64(ctx.start_day, "D").astype("datetime64[M]").astype(int)))
    for i in range(count):
        fi = int(rng.choice(len(ctx.forces), p=np.array([f.population_weight for f in ctx.forces])
                            / sum(f.population_weight for f in ctx.forces)))
        members = np.unique(ctx.sampler(view, fi, "offender", "offend").draw(rng, int(rng.integers(3, 10))))
        members = members[members >= 0]
        if not len(members):
            continue
        crim = str(weighted_choice(rng, OCG_CRIMINALITY, 1)[0])
        town = town_of(ctx.pop.addresses.text_arr[ctx.pop.address_at(members[:1], ctx.start_day)[0]])
        add_ocg(ctx, rng, f"bg-ocg-{i}", ctx.force_codes[fi], members.tolist(), crim, name=ocg_name(rng, town),
                mapped_day=ctx.start_day - int(rng.integers(60, 2000)), scenario="")


def add_ocg(ctx: Context, rng: np.random.Generator, key: str, lead_force: str, members: list[int], criminality: str,
            name: str, mapped_day: int, scenario: str, roles: list[str] | None = None,
            joined: list[int] | None = None) -> int:
    """One mapped OCG with nominals; changes over the scenario horizon come as updates."""
    data = ctx.sources["ocgm"]
    eid = int(data.eids(1)[0])
    size = len(members)
    score = int(20 * size + rng.integers(50, 400))
    band = "1" if score > 420 else "2" if score > 300 else "3" if score > 180 else "4"
    secondary = "" if rng.random() < 0.5 else ("firearms" if criminality != "firearms" else "drugs_supply")
    review = mapped_day + int(rng.integers(30, 300))
    data.add_main([{
        "_eid": eid, "_org": "national", "_day": mapped_day, "_scenario": scenario, "ocg_name": name,
        "lead_force": lead_force, "band": band, "threat_score": str(score), "principal_criminality": criminality,
        "secondary_criminality": secondary, "status": "active", "mapped_date": str(iso_days(np.array([mapped_day]))[0]),
        "last_reviewed_date": str(iso_days(np.array([review]))[0]), "record_action": "I",
    }])
    if roles is None:
        roles = ["principal"] + ["core_member"] * min(2, size - 1) + ["significant_associate"] * max(0, size - 4) + \
            ["peripheral"] * (1 if size >= 4 else 0)
        roles = roles[:size]
    joined = joined or [mapped_day] * size
    rows = []
    horizon_end = ctx.start_day + 3 * 365
    for p, role, j in zip(members, roles, joined, strict=True):
        leaves = rng.random() < 0.15
        until = int(rng.integers(ctx.start_day + 60, horizon_end)) if leaves and role != "principal" else None
        home = ctx.force_codes[int(ctx.pop.force_at(np.array([p]), max(j, ctx.start_day))[0])]
        rows.append({"_eid": eid, "_person": int(p), "_day": int(max(j, mapped_day)), "_role": role, "role": role,
                     "home_force": home, "_from": int(j if j > mapped_day else -(2**31)),
                     "_until": until if until is not None else 2**31 - 1})
        if j > mapped_day:
            ctx.sources["ocgm"].add_updates([{"_eid": eid, "_day": int(j)}])
        if until is not None:
            ctx.sources["ocgm"].add_updates([{"_eid": eid, "_day": until + 1}])
    data.add_child("nominals", rows)
    # Annual reviews re-state the group (a changed review date and sometimes band).
    for year in (1, 2):
        day = review + 365 * year
        if day < horizon_end:
            data.add_updates([{"_eid": eid, "_day": day, "last_reviewed_date": str(iso_days(np.array([day]))[0])}])
    return eid
