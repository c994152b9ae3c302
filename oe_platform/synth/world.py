"""From events to delivered records: keys, person attributes with noise, and deliveries over time.

Each source is built as event-level rows (``main``), rows nested under them (``children``) and
later changes (``updates``). This module turns those into the rows each delivery holds:

- keys: the source's own references, numbered per force in the order the records were made;
- person columns: the true attributes at the event date, less what the source does not hold,
  with noise (see noise.py) recorded per row;
- deliveries: a record goes out at the first delivery after it was made (per the contract's
  cadence), again at each update, again when corrected, and once more as deleted (record_action D).

Randomness is drawn per source, entity and calendar month of the record, so a longer horizon or
``--next-delivery`` never changes the records already delivered.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from oe_platform.contracts import Contract
from oe_platform.synth.noise import (
    NoiseRates,
    apply_nominal_noise,
    apply_record_noise,
    hashed_uniforms,
    nickname_share,
    transposable_share,
)
from oe_platform.synth.population import NEVER, Population, iso_days
from oe_platform.synth.streams import stream

PERSON_COLUMNS = ("forename", "middle_names", "surname", "date_of_birth", "sex", "ethnicity", "nationality",
                  "address", "postcode", "phone", "email", "pnc_id", "cro_number", "nhs_number", "aliases")
OFFENDER_ROLES = {"suspect", "offender", "subject", "associate", "detainee", "nominal", "principal",
                  "core_member", "significant_associate", "peripheral", "line_holder", "runner", "exploiter"}
# Person columns held on the nominal record (the same for every record under one reference), with
# the draw that decides whether the record holds them at all.
NOMINAL_COLUMNS = {"middle_names": 9, "date_of_birth": 10}
INTERNAL = ("_eid", "_org", "_day", "_scenario", "_person", "_role", "_from", "_until")

# Share of records that hold each optional person field at all (before any noise): a source that
# does not hold a value leaves it empty, which is not noise. Keys: field, or (source, field).
COVERAGE: dict[object, float] = {
    "middle_names": 0.75, "ethnicity": 0.85, "nationality": 0.9, "address": 0.95, "phone": 0.65,
    "email": 0.6, "nhs_number": 0.45, "aliases": 0.7, "cro_number": 0.75,
    ("osint", "date_of_birth"): 0.3, ("osint", "postcode"): 0.45, ("osint", "aliases"): 0.8,
    ("nrm", "date_of_birth"): 0.8, ("nrm", "address"): 0.5, ("nrm", "phone"): 0.5,
    ("ocgm", "address"): 0.85, ("clicm", "address"): 0.7, ("clicm", "phone"): 0.9,
    ("missing", "phone"): 0.7, ("missing", "nhs_number"): 0.5, ("custody", "nhs_number"): 0.35,
    ("canonical", "email"): 0.4,
}


def coverage(source: str, column: str) -> float:
    return COVERAGE.get((source, column), COVERAGE.get(column, 1.0))


FORCE_NOMINAL_SOURCES = ("crime", "intel", "custody", "missing")


def nominal_index(source: str, entity: str, org: str) -> tuple[str, ...]:
    """Which index of nominal records a person reference belongs to: a force keeps one nominal
    index for all its extracts (crime, intelligence, custody, missing persons), so a person has one
    nominal number, name and date of birth in the force whichever extract delivers them; national
    datasets and partners keep their own per entity."""
    return ("force", org) if source in FORCE_NOMINAL_SOURCES else (source, entity, org)


def nominal_key(seed: int, source: str, entity: str, org: str) -> int:
    """A 64-bit key of one index of nominal records under a seed."""
    index = "|".join(nominal_index(source, entity, org))
    digest = hashlib.blake2b(f"{seed}|{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def hashed_uniforms_keyed(keys: np.ndarray, slots: np.ndarray, column: int) -> np.ndarray:
    """hashed_uniforms with one key per row."""
    out = np.empty(len(slots), dtype=np.float64)
    for key in np.unique(keys):
        rows = keys == key
        out[rows] = hashed_uniforms(int(key), slots[rows], column)
    return out


def month_of(days: np.ndarray) -> np.ndarray:
    """Calendar month index (months since 1970-01) of day numbers."""
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype("datetime64[M]").astype("int64")


# --- cadence ------------------------------------------------------------------------------------

def next_delivery(days: np.ndarray, cadence: str) -> np.ndarray:
    """The delivery (day number) that carries a record made or changed on ``days``."""
    days = np.asarray(days, dtype="int64")
    if cadence == "daily":
        return days + 1
    if cadence == "weekly":  # Mondays; day 0 (1970-01-01) was a Thursday
        weekday = (days + 3) % 7
        return days + (7 - weekday)
    if cadence == "monthly":
        months = days.astype("datetime64[D]").astype("datetime64[M]") + 1
        return months.astype("datetime64[D]").astype("int64")
    raise ValueError(f"unknown cadence {cadence!r}")


def first_delivery_on_or_after(day: int, cadence: str) -> int:
    return int(next_delivery(np.array([day - 1]), cadence)[0])


def schedule(cadence: str, first_day: int, last_day: int) -> list[int]:
    """Delivery days of a cadence from ``first_day`` to ``last_day`` inclusive."""
    out = []
    day = first_delivery_on_or_after(first_day, cadence)
    while day <= last_day:
        out.append(day)
        day = int(next_delivery(np.array([day]), cadence)[0])
    return out


# --- building blocks ----------------------------------------------------------------------------

@dataclass
class SourceData:
    """Event-level rows of one source before they become deliveries."""

    source: str
    contract: Contract
    main_entity: str
    main: list[dict] = field(default_factory=list)
    children: dict[str, list[dict]] = field(default_factory=dict)
    updates: list[dict] = field(default_factory=list)
    next_eid: int = 0

    def eids(self, count: int) -> np.ndarray:
        out = np.arange(self.next_eid, self.next_eid + count, dtype=np.int64)
        self.next_eid += count
        return out

    def add_main(self, part: dict | list[dict]) -> None:
        _add(self.main, part)

    def add_child(self, entity: str, part: dict | list[dict]) -> None:
        _add(self.children.setdefault(entity, []), part)

    def add_updates(self, part: dict | list[dict]) -> None:
        _add(self.updates, part)


def _length(part: dict) -> int:
    for value in part.values():
        if isinstance(value, (np.ndarray, list, pd.Series)):
            return len(value)
    return 1


def _add(parts: list[dict], part: dict | list[dict]) -> None:
    """Keep a block of rows as columns (arrays or scalars); a list of row dicts is turned into one."""
    if isinstance(part, list):
        if not part:
            return
        cols: dict[str, list] = {}
        for i, row in enumerate(part):
            for k, v in row.items():
                cols.setdefault(k, [None] * i).append(v)
            for v in cols.values():
                if len(v) < i + 1:
                    v.append(None)
        part = {k: np.array(v, dtype=object) if any(isinstance(x, str) or x is None for x in v) else np.array(v)
                for k, v in cols.items()}
    n = _length(part)
    if n:
        parts.append({"__n": n, **part})


def _concat(parts: list[dict], columns: tuple[str, ...]) -> pd.DataFrame:
    """One frame from blocks of columns; text columns stay numpy object arrays (fast to index)."""
    names: list[str] = []
    for part in parts:
        for k in part:
            if k != "__n" and k not in names:
                names.append(k)
    for col in columns:
        if col not in names:
            names.append(col)
    data = {}
    for col in names:
        pieces = []
        for part in parts:
            n = part["__n"]
            value = part.get(col, "" if col in columns else None)
            if isinstance(value, pd.Series):
                value = value.to_numpy()
            if isinstance(value, (np.ndarray, list)):
                pieces.append(np.asarray(value))
            else:
                pieces.append(np.full(n, value, dtype=object))
        if not pieces:
            data[col] = pd.Series([], dtype=object)
            continue
        if all(p.dtype.kind in "iu" for p in pieces):
            data[col] = pd.Series(np.concatenate(pieces).astype(np.int64))
        elif all(p.dtype.kind in "b" for p in pieces):
            data[col] = pd.Series(np.concatenate(pieces))
        elif all(p.dtype.kind in "iuf" for p in pieces):
            data[col] = pd.Series(np.concatenate(pieces).astype(float))
        else:
            data[col] = pd.Series(np.concatenate([p.astype(object) for p in pieces]), dtype=object)
    return pd.DataFrame(data)


def _defaults(frame: pd.DataFrame) -> pd.DataFrame:
    defaults = {"_scenario": "", "_person": -1, "_role": "", "_from": -(2**31), "_until": int(NEVER)}
    for col, value in defaults.items():
        if col not in frame.columns:
            frame[col] = value
        else:
            frame[col] = frame[col].fillna(value)
    frame["_person"] = frame["_person"].astype("int64")
    frame["_day"] = frame["_day"].astype("int64")
    frame["_from"] = frame["_from"].astype("int64")
    frame["_until"] = frame["_until"].astype("int64")
    return frame


# --- references ---------------------------------------------------------------------------------

class RefBook:
    """Stable per-source person references: one per person and force, plus a duplicate for noise."""

    def __init__(self, seed: int, population: int):
        self.seed = seed
        self.n = population
        self._perm: dict[tuple, np.ndarray] = {}

    def numbers(self, source: str, entity: str, org: str) -> np.ndarray:
        key = nominal_index(source, entity, org)
        if key not in self._perm:
            rng = stream(self.seed, "refs", *key)
            self._perm[key] = rng.permutation(self.n * 2) + 1000
        return self._perm[key]

    def refs(self, source: str, entity: str, org: str, persons: np.ndarray, duplicate: np.ndarray,
             fmt) -> np.ndarray:
        perm = self.numbers(source, entity, org)
        nums = np.where(duplicate, perm[persons + self.n], perm[persons])
        return np.array([fmt(int(x)) for x in nums], dtype=object)


# --- person attributes --------------------------------------------------------------------------

def true_person_values(pop: Population, persons: np.ndarray, days: np.ndarray, columns: list[str]
                       ) -> dict[str, np.ndarray]:
    """The true values of person columns at the record date (before coverage and noise)."""
    out: dict[str, np.ndarray] = {}
    addr = pop.address_at(persons, days) if ({"address", "postcode"} & set(columns)) else None
    for col in columns:
        if col == "forename":
            out[col] = pop.forename[persons].copy()
        elif col == "middle_names":
            out[col] = pop.middle[persons].copy()
        elif col == "surname":
            out[col] = pop.surname[persons].copy()
        elif col == "date_of_birth":
            out[col] = pop.dob_iso[persons].copy()
        elif col == "sex":
            out[col] = pop.sex[persons].copy()
        elif col == "ethnicity":
            out[col] = pop.ethnicity[persons].copy()
        elif col == "nationality":
            out[col] = pop.nationality[persons].copy()
        elif col == "address":
            out[col] = pop.addresses.text_arr[addr].copy()
        elif col == "postcode":
            out[col] = pop.addresses.postcode_arr[addr].copy()
        elif col == "phone":
            mob = pop.mobile[persons]
            out[col] = np.where(mob != "", mob, pop.landline[persons]).astype(object)
        elif col == "email":
            out[col] = pop.email[persons].copy()
        elif col == "pnc_id":
            out[col] = pop.pnc[persons].copy()
        elif col == "cro_number":
            out[col] = pop.cro[persons].copy()
        elif col == "nhs_number":
            out[col] = pop.nhs[persons].copy()
        elif col == "aliases":
            out[col] = pop.aliases_text(persons)
    return out


def materialise_people(frame: pd.DataFrame, pop: Population, source: str, entity: str, columns: list[str],
                       rates: NoiseRates, seed: int, has_person_key: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fill the person columns of ``frame`` (rows with ``_person``) with noisy values.

    Returns the frame with the delivered values, ``_noise`` and ``_dup`` and a frame of the clean
    values (what a corrected re-delivery carries), aligned on the index.
    """
    person_cols = [c for c in PERSON_COLUMNS if c in columns]
    frame = frame.copy()
    clean = pd.DataFrame(index=frame.index)
    frame["_noise"] = ""
    frame["_dup"] = False
    if not len(frame) or not person_cols:
        for c in person_cols:
            clean[c] = frame[c] if c in frame else ""
        return frame, clean
    months = month_of(frame["_day"].to_numpy())
    noise_out = np.full(len(frame), "", dtype=object)
    dup_out = np.zeros(len(frame), dtype=bool)
    values = {c: np.full(len(frame), "", dtype=object) for c in person_cols}
    clean_values = {c: np.full(len(frame), "", dtype=object) for c in person_cols}
    shares = {"nickname_M": nickname_share(pop.forename[pop.sex == "M"]),
              "nickname_F": nickname_share(pop.forename[pop.sex == "F"]),
              "dob_transposed": transposable_share(pop.dob_iso)}
    orgs = frame["_org"].to_numpy().astype(str)
    for month in np.unique(months):
        rows = np.flatnonzero(months == month)
        rng = stream(seed, "people", source, entity, int(month))
        persons = frame["_person"].to_numpy()[rows]
        days = frame["_day"].to_numpy()[rows]
        roles = frame["_role"].to_numpy()[rows]
        dup = (rng.random(len(rows)) < rates.duplicate_ref) if has_person_key else np.zeros(len(rows), dtype=bool)
        # The nominal record each row is delivered under: one per person and organisation, and a
        # second (duplicate) one; its draws are the same for every record under it.
        slots = persons.astype(np.int64) * 2 + dup
        keys = np.array([nominal_key(seed, source, entity, o) for o in orgs[rows]], dtype=np.uint64)

        def draws(k: int, slots: np.ndarray = slots, keys: np.ndarray = keys) -> np.ndarray:
            return hashed_uniforms_keyed(keys, slots, k)

        attrs = true_person_values(pop, persons, days, person_cols)
        offender = np.isin(roles, list(OFFENDER_ROLES))
        for col in person_cols:
            if col in ("forename", "surname", "sex"):
                continue
            share = coverage(source, col)
            if col in ("pnc_id", "cro_number"):
                share = share * np.where(offender, 0.95, 0.08)
            if col in NOMINAL_COLUMNS:  # held on the nominal record, or not
                held = draws(NOMINAL_COLUMNS[col]) < share
            else:
                held = rng.random(len(rows)) < share
            attrs[col] = np.where(held, attrs[col], "").astype(object)
        for col in person_cols:
            clean_values[col][rows] = attrs[col].copy()
        extra = {"prev_surname": pop.prev_surname[persons], "alias_forename": pop.alias_forename[persons],
                 "alias_surname": pop.alias_surname[persons], "sex": pop.sex[persons]}
        labels = apply_nominal_noise(attrs, draws, rates, extra, shares) + apply_record_noise(attrs, rng, rates)
        if has_person_key:
            dup_out[rows] = dup
            labels = np.where(dup, labels + "duplicate_ref;", labels).astype(object)
        for col in person_cols:
            values[col][rows] = attrs[col]
        noise_out[rows] = labels
    for col in person_cols:
        frame[col] = values[col]
        clean[col] = clean_values[col]
    frame["_noise"] = np.array([s[:-1] if s else s for s in noise_out], dtype=object)
    frame["_dup"] = dup_out
    return frame, clean


# --- deliveries ---------------------------------------------------------------------------------

@dataclass
class Delivered:
    """Rows as delivered, per entity, with internal columns for rendering and the truth."""

    source: str
    frames: dict[str, pd.DataFrame]


def expand_deliveries(data: SourceData, frames_main: pd.DataFrame, clean_main: pd.DataFrame,
                      children: dict[str, tuple[pd.DataFrame, pd.DataFrame]], updates: pd.DataFrame,
                      rates: NoiseRates, seed: int, first_day: int, last_day: int) -> Delivered:
    """Every delivered copy of every record up to ``last_day`` (deliveries before ``first_day``
    are carried by the first delivery on or after it)."""
    contract = data.contract
    cadence = contract.cadence
    first = first_delivery_on_or_after(first_day, cadence)
    main_entity = contract.entities[data.main_entity]
    key_cols = list(main_entity.key)
    main = frames_main
    base_cols = [c for c in main_entity.column_names]

    copies = []
    orig = main.copy()
    orig["_kind"] = "original"
    orig["_state_day"] = orig["_day"]
    copies.append(orig)
    if len(updates):
        upd = updates.copy()
        base = main.set_index("_eid")
        merged = base.loc[upd["_eid"].to_numpy()].reset_index()
        for col in upd.columns:
            if col in ("_eid", "_day") or col not in base_cols:
                continue
            newv = upd[col].to_numpy()
            keep = pd.isna(newv)
            merged[col] = np.where(keep, merged[col].to_numpy(), newv)
        merged["_day_orig"] = merged["_day"]
        merged["_state_day"] = upd["_day"].to_numpy()
        merged["_kind"] = "update"
        copies.append(merged)
    all_copies = pd.concat(copies, ignore_index=True, sort=False)

    # Corrections and deletions, drawn per month of the record so a longer horizon changes nothing.
    months = month_of(main["_day"].to_numpy())
    corr_rows, del_rows = [], []
    last_state = all_copies.groupby("_eid")["_state_day"].max()
    for month in np.unique(months):
        rows = np.flatnonzero(months == month)
        rng = stream(seed, "revisions", data.source, int(month))
        corrected = rng.random(len(rows)) < rates.correction
        deleted = rng.random(len(rows)) < rates.deletion
        corr_lag = rng.integers(3, 45, len(rows))
        del_lag = rng.integers(5, 60, len(rows))
        for j in np.flatnonzero(corrected):
            corr_rows.append((rows[j], corr_lag[j]))
        for j in np.flatnonzero(deleted):
            del_rows.append((rows[j], del_lag[j]))
    if corr_rows:
        idx = np.array([r for r, _ in corr_rows])
        lag = np.array([g for _, g in corr_rows])
        corr = main.iloc[idx].copy()
        # Later states (updates) win: a correction restates the latest state with clean person values.
        latest = all_copies.sort_values(["_eid", "_state_day"]).groupby("_eid").tail(1).set_index("_eid")
        corr = latest.loc[corr["_eid"].to_numpy()].reset_index()
        corr_day = np.maximum(corr["_state_day"].to_numpy(), main.iloc[idx]["_day"].to_numpy()) + lag
        corr["_state_day"] = corr_day
        corr["_kind"] = "correction"
        for col in clean_main.columns:
            corr[col] = clean_main.loc[main.index[idx], col].to_numpy()
        corr["_noise"] = ""
        all_copies = pd.concat([all_copies, corr], ignore_index=True, sort=False)
        last_state = all_copies.groupby("_eid")["_state_day"].max()
    if del_rows:
        idx = np.array([r for r, _ in del_rows])
        lag = np.array([g for _, g in del_rows])
        dele = main.iloc[idx].copy()
        keep_cols = set(key_cols) | {main_entity.person_key} | {c for c in dele.columns if c.startswith("_")}
        for col in base_cols:
            if col not in keep_cols:
                dele[col] = ""
        if "record_action" in base_cols:
            dele["record_action"] = "D"
        dele["_state_day"] = last_state.loc[dele["_eid"].to_numpy()].to_numpy() + lag
        dele["_kind"] = "deletion"
        dele["_noise"] = ""
        all_copies = pd.concat([all_copies, dele], ignore_index=True, sort=False)

    all_copies["_delivery"] = np.maximum(next_delivery(all_copies["_state_day"].to_numpy(), cadence), first)
    all_copies = all_copies[all_copies["_delivery"] <= last_day]
    # One copy per record per delivery: the latest state wins.
    kind_rank = all_copies["_kind"].map({"original": 0, "update": 1, "correction": 2, "deletion": 3})
    all_copies = all_copies.assign(_rank=kind_rank.to_numpy())
    all_copies = all_copies.sort_values(["_delivery", "_eid", "_state_day", "_rank"], kind="stable")
    all_copies = all_copies.drop_duplicates(["_delivery", "_eid"], keep="last")
    all_copies = all_copies.sort_values(["_org", "_delivery", "_eid"], kind="stable").reset_index(drop=True)
    all_copies["_row"] = np.arange(len(all_copies), dtype=np.int64)
    if "record_action" in base_cols:
        ra = all_copies["record_action"].to_numpy()
        all_copies["record_action"] = np.where(ra == "", "I", ra)
    frames = {data.main_entity: all_copies}

    parents = all_copies[all_copies["_kind"] != "deletion"][["_eid", "_row", "_delivery", "_kind", "_state_day",
                                                             "_org", "_scenario"]]
    for entity, (child, child_clean) in children.items():
        child = child.copy()
        child["_cidx"] = np.arange(len(child))
        merged = parents.merge(child.drop(columns=["_org", "_scenario"], errors="ignore"), on="_eid", how="inner",
                               sort=False)
        merged = merged[merged["_from"] <= merged["_state_day"]]
        ecols = contract.entities[entity].column_names
        removed = merged["_until"].to_numpy() < merged["_state_day"].to_numpy()
        if "record_action" in ecols:
            ra = merged["record_action"].to_numpy() if "record_action" in merged else np.full(len(merged), "")
            merged["record_action"] = np.where(removed, "D", np.where(ra == "", "I", ra))
        else:
            merged = merged[~removed]
        is_corr = merged["_kind"].to_numpy() == "correction"
        if is_corr.any() and len(child_clean.columns):
            cidx = merged["_cidx"].to_numpy()[is_corr]
            for col in child_clean.columns:
                vals = merged[col].to_numpy().copy()
                vals[is_corr] = child_clean[col].to_numpy()[cidx]
                merged[col] = vals
            noise = merged["_noise"].to_numpy().copy()
            noise[is_corr] = ""
            merged["_noise"] = noise
        merged = merged.rename(columns={"_row": "_parent_row"})
        merged = merged.sort_values(["_parent_row", "_cidx"], kind="stable").reset_index(drop=True)
        merged["_row"] = np.arange(len(merged), dtype=np.int64)
        frames[entity] = merged
    return Delivered(data.source, {k: objectify(v) for k, v in frames.items()})


def objectify(frame: pd.DataFrame) -> pd.DataFrame:
    """Text columns as numpy object arrays: pandas 3 infers Arrow strings, which are slow to index
    row by row as rendering does."""
    text = [c for c, t in frame.dtypes.items() if isinstance(t, pd.StringDtype)]
    if text:
        frame = frame.astype({c: object for c in text})
    return frame


def iso_datetime(days: np.ndarray, seconds: np.ndarray) -> np.ndarray:
    stamps = (np.asarray(days, dtype="int64") * 86400 + np.asarray(seconds, dtype="int64")).astype("datetime64[s]")
    return np.datetime_as_string(stamps).astype(object)


def iso(days: np.ndarray) -> np.ndarray:
    return iso_days(days)
