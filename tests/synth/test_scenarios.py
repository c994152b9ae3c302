"""Planted OE scenarios are in the landing zone, findable only with the truth."""

from __future__ import annotations

from datetime import date

import pandas as pd


def _rows(run, contracts, source, entity):
    rows = []
    for d in run.parsed(contracts[source]):
        if d.entity == entity:
            rel = d.path.relative_to(run.landing).as_posix()
            rows += [{**r, "_org": d.org, "_file": rel, "_layout": d.layout.name} for r in d.rows]
    return pd.DataFrame(rows)


def _with_person(run, frame, entity, key_cols):
    truth = run.truth_table("person_records")
    truth = truth[truth["entity"] == entity][["file_path", "record_key", "person_id"]]
    frame = frame.copy()
    frame["record_key"] = frame[key_cols].astype(str).agg("|".join, axis=1)
    return frame.merge(truth, left_on=["_file", "record_key"], right_on=["file_path", "record_key"])




def _national_force(contracts, layout_name, value):
    for layout in contracts["missing"].layouts:
        if layout.name == layout_name:
            return layout.codes.get("found_force", {}).get(str(value), value)
    return value


def test_county_line_runners_missing_in_one_force_found_in_another(run, contracts):
    members = run.truth_table("scenario_members")
    runners = members[(members["scenario_type"] == "county_line") & (members["role"] == "runner")]
    assert len(runners) >= 4
    episodes = _with_person(run, _rows(run, contracts, "missing", "episodes"), "episodes", ["episode_ref"])
    episodes = episodes[episodes["person_id"].isin(runners["person_id"])]
    episodes["found_national"] = [_national_force(contracts, lay, v) for lay, v in
                                  zip(episodes["_layout"], episodes["found_force"].fillna(""), strict=True)]
    crossed = episodes[(episodes["found_national"] != "") & (episodes["found_national"] != episodes["_org"])]
    assert len(crossed) >= 2
    assert crossed["person_id"].nunique() >= 2
    # Their records in CLICM name them as runners of the line.
    nominals = _with_person(run, _rows(run, contracts, "clicm", "nominals"), "nominals", ["line_id", "nominal_id"])
    assert set(crossed["person_id"]) & set(nominals.loc[nominals["role"] == "RUNNER", "person_id"])


def test_cuckooed_address(run, contracts):
    members = run.truth_table("scenario_members")
    occupants = members[members["role"] == "cuckooed_occupant"]
    assert len(occupants) >= 2
    cuckooed = _rows(run, contracts, "clicm", "cuckooed_addresses")
    assert len(cuckooed)
    truth_addresses = set(occupants["detail"])
    assert {f"{a}, {p}" for a, p in zip(cuckooed["address"], cuckooed["postcode"], strict=True)} & truth_addresses
    intel = _rows(run, contracts, "intel", "logs")
    topic_codes = {lay.name: {v: k for k, v in lay.codes["topic"].items()} for lay in contracts["intel"].layouts}
    cuckoo_intel = intel[[t == topic_codes[lay]["cuckooing"] for t, lay in
                          zip(intel["topic"], intel["_layout"], strict=True)]]
    assert set(cuckoo_intel["location_postcode"]) & set(cuckooed["postcode"])


def test_nrm_labour_referrals(run, contracts):
    members = run.truth_table("scenario_members")
    victims = members[(members["scenario_type"] == "labour_exploitation") & (members["role"] == "victim")]
    assert len(victims) >= 4
    referrals = _with_person(run, _rows(run, contracts, "nrm", "referrals"), "referrals", ["referral_id"])
    labour = referrals[referrals["exploitation_type"] == "labour"]
    assert set(victims["person_id"]) <= set(labour["person_id"])
    # Victims are foreign nationals living at one house in multiple occupation.
    persons = run.truth_table("persons").set_index("person_id").loc[victims["person_id"]]
    assert (persons["nationality"] != "British").all()
    # One house per scenario (there are at least two labour scenarios at every size).
    assert victims["scenario_id"].nunique() >= 2
    assert (victims.groupby("scenario_id")["detail"].nunique() == 1).all()
    exploiters = _with_person(run, _rows(run, contracts, "nrm", "alleged_exploiters"), "alleged_exploiters",
                              ["referral_id", "exploiter_ref"])
    gangmasters = members[members["role"] == "gangmaster"]["person_id"]
    assert set(gangmasters) & set(exploiters["person_id"])


def test_cse_victims_found_at_exploiter_address(run, contracts):
    members = run.truth_table("scenario_members")
    victims = members[(members["scenario_type"] == "cse") & (members["role"] == "victim")]
    assert len(victims) >= 2
    episodes = _with_person(run, _rows(run, contracts, "missing", "episodes"), "episodes", ["episode_ref"])
    truth = run.truth_table("person_records")
    scenario_of = truth[truth["entity"] == "episodes"].set_index("record_key")["scenario_id"]
    episodes["scenario_id"] = scenario_of.groupby(level=0).first().reindex(episodes["record_key"]).to_numpy()
    cse = episodes[episodes["person_id"].isin(victims["person_id"]) & episodes["scenario_id"].str.startswith("CSE")]
    assert len(cse) >= 3
    # Every planted episode of one scenario ends at the same address: the exploiter's.
    found = cse.assign(pc=cse["found_postcode"].replace("", pd.NA)).dropna(subset=["pc"])
    assert (found.groupby("scenario_id")["pc"].nunique() == 1).all()
    # The girls and the men live in the same force.
    residences = run.truth_table("residences")
    force = residences[residences["slot"] == 0].set_index("person_id")["force_code"]
    cse_members = members[members["scenario_type"] == "cse"]
    assert (cse_members.assign(force=force.loc[cse_members["person_id"]].to_numpy())
            .groupby("scenario_id")["force"].nunique() == 1).all()


def test_innocent_lookalikes(run, contracts):
    members = run.truth_table("scenario_members")
    persons = run.truth_table("persons").set_index("person_id")
    pairs = members[members["scenario_type"] == "lookalike"].groupby("scenario_id")["person_id"].apply(list)
    assert len(pairs) >= 6
    close = 0
    for a, b in pairs:
        pa, pb = persons.loc[a], persons.loc[b]
        assert a != b and pa["surname"] == pb["surname"]
        days = abs((date.fromisoformat(pa["date_of_birth"]) - date.fromisoformat(pb["date_of_birth"])).days)
        if pa["forename"] == pb["forename"] and days <= 40:
            close += 1
    assert close >= 3
    delivered = set(run.truth_table("person_records")["person_id"])
    both = [p for p in pairs if p[0] in delivered and p[1] in delivered]
    assert len(both) >= 2
