"""Realism measures of a generated landing zone, read back through the contracts and joined to the
truth: how far flags, referrals and free text give the planted scenarios away, and how ordinary
the background looks. Used by the realism tests and to report the generator's figures."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from oe_platform.contracts import DATE_PATTERNS, Contract, load_contracts
from oe_platform.synth import reference as ref
from tests.synth.landing_reader import read_source

EXPLOITATION_FLAGS = {"cse", "cce", "county_lines"}


@dataclass
class Landing:
    """A landing zone and its truth, read lazily."""

    landing: Path
    truth: Path

    def __post_init__(self) -> None:
        self.contracts = load_contracts()
        self._parsed: dict = {}
        self._truth: dict = {}

    def truth_table(self, name: str) -> pd.DataFrame:
        if name not in self._truth:
            self._truth[name] = pd.read_parquet(self.truth / f"{name}.parquet")
        return self._truth[name]

    def rows(self, source: str, entity: str) -> pd.DataFrame:
        """Delivered rows of one entity with codes turned national, the file and the layout."""
        contract: Contract = self.contracts[source]
        if source not in self._parsed:
            self._parsed[source] = read_source(contract, self.landing)
        out = []
        for d in self._parsed[source]:
            if d.entity != entity or not d.rows:
                continue
            frame = pd.DataFrame(d.rows)
            for col, codes in d.layout.codes.items():
                if col not in frame:
                    continue
                if col == "flags":
                    frame[col] = [";".join(codes.get(f, f) for f in (v if isinstance(v, list) else
                                                                       str(v or "").split(";")) if f)
                                  for v in frame[col]]
                else:
                    frame[col] = [codes.get(str(v), v) if v not in (None, "") else v for v in frame[col]]
            frame["_file"] = d.path.relative_to(self.landing).as_posix()
            frame["_org"] = d.org
            frame["_layout"] = d.layout.name
            out.append(frame)
        return pd.concat(out, ignore_index=True) if out else pd.DataFrame()

    def with_truth(self, source: str, entity: str) -> pd.DataFrame:
        """Rows of a person entity with the true person, scenario and kind of delivery."""
        frame = self.rows(source, entity)
        key = self.contracts[source].entities[entity].key
        truth = self.truth_table("person_records")
        truth = truth[(truth["source"] == source) & (truth["entity"] == entity)]
        frame["record_key"] = frame[list(key)].astype(str).agg("|".join, axis=1)
        return frame.merge(truth[["file_path", "record_key", "person_id", "scenario_id", "kind", "noise"]],
                           left_on=["_file", "record_key"], right_on=["file_path", "record_key"])


def _first(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """One row per record: its first delivery."""
    return frame.sort_values(["_file"], kind="stable").drop_duplicates(key, keep="first")


def _reported(z: Landing, ep: pd.DataFrame) -> pd.Series:
    """The reported date-time of each episode, parsed in its layout's date format."""
    layouts = {layout.name: layout for layout in z.contracts["missing"].layouts}
    out = pd.Series(pd.NaT, index=ep.index, dtype="datetime64[ns]")
    for name, rows in ep.groupby("_layout").groups.items():
        layout = layouts[name]
        values = ep.loc[rows, "reported_datetime"]
        if layout.format in ("csv", "jsonl"):
            parsed = pd.to_datetime(values.astype(str), format=DATE_PATTERNS[layout.date_format][1], errors="coerce")
        else:
            parsed = pd.to_datetime(values, errors="coerce")
        out.loc[rows] = parsed.to_numpy()
    return out


def missing_flag_rates(z: Landing) -> dict[str, float]:
    """Share of episodes with an exploitation flag (CSE, CCE, county lines): planted, background,
    background by kind of person, and the share of flagged episodes that are planted."""
    ep = _first(z.with_truth("missing", "episodes"), "episode_ref")
    flags = ep["flags"].fillna("").map(lambda v: set(filter(None, str(v).split(";"))))
    ep["exploit"] = flags.map(lambda f: bool(f & EXPLOITATION_FLAGS))
    planted = ep["scenario_id"] != ""
    persons = z.truth_table("persons").set_index("person_id")
    ep["lac"] = persons.loc[ep["person_id"], "looked_after_child"].to_numpy()
    dob = pd.to_datetime(persons.loc[ep["person_id"], "date_of_birth"]).to_numpy()
    ep["child"] = (_reported(z, ep).to_numpy() - dob) < np.timedelta64(int(18 * 365.25), "D")
    episodes_per_person = ep.groupby("person_id")["episode_ref"].transform("count")
    bg = ep[~planted]
    repeat = bg[(episodes_per_person[~planted] >= 3) & bg["child"]]
    flagged = ep[ep["exploit"]]
    return {
        "episodes": len(ep), "planted_episodes": int(planted.sum()),
        "flag_share_planted": float(ep.loc[planted, "exploit"].mean()) if planted.any() else float("nan"),
        "flag_share_background": float(bg["exploit"].mean()),
        "flag_share_background_child": float(bg.loc[bg["child"], "exploit"].mean()),
        "flag_share_background_repeat_child": float(repeat["exploit"].mean()) if len(repeat) else float("nan"),
        "flag_share_background_lac": float(bg.loc[bg["lac"], "exploit"].mean()) if bg["lac"].any() else float("nan"),
        "flag_share_background_adult": float(bg.loc[~bg["child"], "exploit"].mean()),
        "flagged_episodes": len(flagged),
        "planted_share_of_flagged": float((flagged["scenario_id"] != "").mean()) if len(flagged) else float("nan"),
        "background_repeat_children": int(repeat["person_id"].nunique()),
    }


def nrm_types(z: Landing) -> pd.DataFrame:
    """Referrals by exploitation type, planted and background."""
    nrm = _first(z.with_truth("nrm", "referrals"), "referral_id")
    nrm["planted"] = np.where(nrm["scenario_id"] != "", "planted", "background")
    return nrm.groupby(["planted", "exploitation_type"]).size().unstack(fill_value=0)


def osint_measures(z: Landing) -> dict[str, float]:
    obs = _first(z.with_truth("osint", "observations"), "observation_id")
    persons = z.truth_table("persons").set_index("person_id")
    surname = persons.loc[obs["person_id"], "surname"].str.lower().str.replace(r"[^a-z]", "", regex=True)
    handle = obs["handle"].fillna("").str.lower().str.replace(r"[^a-z]", "", regex=True)
    has_surname = np.array([bool(s) and s in h for s, h in zip(surname, handle, strict=True)])
    planted = (obs["scenario_id"] != "").to_numpy()
    line = obs["linked_line_name"].fillna("").astype(str) != ""
    return {
        "observations": len(obs), "planted": int(planted.sum()),
        "line_name_planted": int((line & planted).sum()), "line_name_background": int((line & ~planted).sum()),
        "handle_with_true_surname_planted": float(has_surname[planted].mean()) if planted.any() else float("nan"),
        "handle_with_true_surname_background": float(has_surname[~planted].mean()),
    }


def intel_names(z: Landing) -> dict[str, float]:
    """How often intelligence free text holds a subject's true full name (exactly, any case)."""
    logs = _first(z.rows("intel", "logs"), "log_ref")
    subjects = z.with_truth("intel", "subjects")
    persons = z.truth_table("persons").set_index("person_id")
    subjects["true_name"] = (persons.loc[subjects["person_id"], "forename"].to_numpy() + " "
                             + persons.loc[subjects["person_id"], "surname"].to_numpy())
    names = subjects.groupby("log_ref")["true_name"].agg(list)
    scen = subjects.groupby("log_ref")["scenario_id"].max()
    text = logs.set_index("log_ref")["intel_text"].fillna("").astype(str)
    text = text[text.index.isin(names.index)]
    full = np.array([any(re.search(rf"\b{re.escape(n.lower())}\b", t.lower()) for n in names[k])
                     for k, t in text.items()])
    planted = (scen.reindex(text.index).fillna("") != "").to_numpy()
    return {"logs": len(text), "true_full_name_share": float(full.mean()),
            "true_full_name_planted": float(full[planted].mean()) if planted.any() else float("nan")}


def scenario_counts(z: Landing) -> dict[str, int]:
    members = z.truth_table("scenario_members")
    out = members.groupby("scenario_type")["scenario_id"].nunique().to_dict()
    delivered = set(z.truth_table("person_records")["person_id"])
    pairs = members[members["scenario_type"] == "lookalike"].groupby("scenario_id")["person_id"].agg(list)
    out["lookalike_pairs_both_delivered"] = int(sum(all(p in delivered for p in pair) for pair in pairs))
    kinds = members[members["scenario_type"] == "lookalike"].drop_duplicates("scenario_id")["detail"]
    for kind, count in kinds.str.split(";").str[0].value_counts().items():
        out[f"lookalike_{kind}"] = int(count)
    return out


def custody_male_share(z: Landing) -> float:
    truth = z.truth_table("person_records")
    custody = truth[(truth["source"] == "custody") & (truth["kind"] == "original")]
    sex = z.truth_table("persons").set_index("person_id")["sex"]
    return float((sex.loc[custody["person_id"]] == "M").mean())


def offending_concentration(z: Landing) -> dict[str, float]:
    """Suspect and offender records per person: the share of records held by the top 1% and 10%."""
    crime = _first(z.with_truth("crime", "persons"), "record_key")
    sus = crime[crime["role"].isin(["suspect", "offender"])]
    counts = sus.groupby("person_id").size().sort_values(ascending=False).to_numpy()

    def top(share: float) -> float:
        return float(counts[: max(1, int(round(len(counts) * share)))].sum() / counts.sum())

    return {"offenders": len(counts), "records": int(counts.sum()), "top1_share": top(0.01),
            "top10_share": top(0.10), "max_records": int(counts.max()), "single_record_share":
            float((counts == 1).mean())}


def outward_codes_valid(z: Landing) -> dict[str, float]:
    """Residential postcodes: outward code among the force's districts, and area of the force."""
    res = z.truth_table("residences")
    outward = res["postcode"].str.split(" ").str[0]
    area = outward.str.extract(r"^([A-Z]+)")[0]
    forces = {f.code: f for f in ref.forces()}
    districts = getattr(ref, "FORCE_DISTRICTS", None)
    in_area = np.array([a in forces[f].areas for a, f in zip(area, res["force_code"], strict=True)])
    out = {"addresses": len(res), "area_of_force": float(in_area.mean())}
    if districts:
        known = np.array([o in {d for _, ds, _ in districts[f] for d in ds} for o, f in
                          zip(outward, res["force_code"], strict=True)])
        out["district_of_force"] = float(known.mean())
    return out


def reference_consistency(z: Landing) -> dict[str, float]:
    """Person references with two or more records: the share delivering more than one name or date
    of birth (first deliveries only)."""
    out = {}
    variants = []
    for source, entity in (("crime", "persons"), ("custody", "custody_records"), ("missing", "episodes"),
                           ("intel", "subjects")):
        rows = z.with_truth(source, entity)
        rows = rows[rows["kind"] == "original"]
        pkey = z.contracts[source].entities[entity].person_key
        rows = rows.assign(_name=rows["forename"].fillna("").astype(str).str.lower() + "|"
                           + rows["surname"].fillna("").astype(str).str.lower() + "|"
                           + rows["date_of_birth"].fillna("").astype(str))
        g = rows.groupby(["_org", pkey])["_name"]
        multi = g.size() >= 2
        variants.append((g.nunique()[multi] > 1).to_numpy())
    allv = np.concatenate(variants)
    out["references_with_2plus_records"] = len(allv)
    out["share_with_varying_name_or_dob"] = float(allv.mean()) if len(allv) else float("nan")
    return out


def measure_all(z: Landing) -> dict[str, object]:
    return {
        "scenarios": scenario_counts(z), "missing": missing_flag_rates(z), "nrm": nrm_types(z).to_dict(),
        "osint": osint_measures(z), "intel": intel_names(z), "custody_male_share": custody_male_share(z),
        "offending": offending_concentration(z), "postcodes": outward_codes_valid(z),
        "references": reference_consistency(z),
    }
