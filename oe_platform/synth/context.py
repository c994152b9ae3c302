"""Shared state of one generation run: population, calendar, samplers and reference formats."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oe_platform.contracts import Contract
from oe_platform.synth import reference as ref
from oe_platform.synth.noise import NoiseRates
from oe_platform.synth.population import AddressFactory, Population
from oe_platform.synth.world import SourceData

SCENARIO_HORIZON_DAYS = 3 * 365  # planted scenarios unfold over three years from the start


class Sampler:
    """Draw people with probability proportional to a weight (cumulative sums, binary search)."""

    def __init__(self, idx: np.ndarray, weights: np.ndarray):
        self.idx = idx
        if len(idx):
            cum = np.cumsum(weights.astype(float))
            self.cum = cum / cum[-1] if cum[-1] > 0 else np.linspace(1 / len(idx), 1, len(idx))

    def draw(self, rng: np.random.Generator, k: int) -> np.ndarray:
        if not len(self.idx) or k <= 0:
            return np.full(max(k, 0), -1, dtype=np.int64)
        pos = np.searchsorted(self.cum, rng.random(k), side="right")
        return self.idx[np.minimum(pos, len(self.idx) - 1)]


@dataclass
class MonthView:
    index: int
    first_day: int
    days: int
    force_now: np.ndarray
    age: np.ndarray
    _cache: dict = field(default_factory=dict)


@dataclass
class Context:
    seed: int
    pop: Population
    factory: AddressFactory
    contracts: dict[str, Contract]
    rates: NoiseRates
    start_day: int
    last_day: int
    sources: dict[str, SourceData] = field(default_factory=dict)
    scenario_members: list[dict] = field(default_factory=list)

    @property
    def forces(self) -> tuple[ref.Force, ...]:
        return ref.forces()

    @property
    def force_codes(self) -> list[str]:
        return [f.code for f in ref.forces()]

    def force_index(self, code: str) -> int:
        return self.force_codes.index(code)

    def months(self) -> list[int]:
        """Calendar months (index since 1970-01) with background events: from the month before the
        start to the month of the last delivery."""
        first = int(np.datetime64(self.start_day, "D").astype("datetime64[M]").astype(int)) - 1
        last = int(np.datetime64(self.last_day, "D").astype("datetime64[M]").astype(int))
        return list(range(first, last + 1))

    def month_view(self, month: int) -> MonthView:
        first = int(np.datetime64(month, "M").astype("datetime64[D]").astype(int))
        nxt = int(np.datetime64(month + 1, "M").astype("datetime64[D]").astype(int))
        everyone = np.arange(self.pop.n)
        mid = first + 14
        return MonthView(month, first, nxt - first, self.pop.force_at(everyone, mid),
                         self.pop.age_at(everyone, mid))

    def sampler(self, view: MonthView, force: int | None, kind: str, weight: str) -> Sampler:
        key = (force, kind, weight)
        if key in view._cache:
            return view._cache[key]
        pop = self.pop
        age = view.age
        masks = {
            "adult": lambda: age >= 16, "any10": lambda: age >= 10, "any": lambda: age >= 0,
            "female_adult": lambda: (age >= 16) & (pop.sex == "F"), "female13": lambda: (age >= 13) & (pop.sex == "F"),
            "female_teen": lambda: (age >= 12) & (age < 18) & (pop.sex == "F"), "child": lambda: age < 13,
            "minor": lambda: age < 16, "offender": lambda: age >= 10,
            "vulnerable": lambda: (age < 18) | pop.mental_health, "young_offender": lambda: (age >= 13) & (age < 30),
        }
        base_key = ("__mask", kind)
        if base_key not in view._cache:
            view._cache[base_key] = masks[kind]() & ~pop.reserved
        mask = view._cache[base_key]
        if force is not None:
            mask = mask & (view.force_now == force)
        idx = np.flatnonzero(mask)
        weights = {"offend": pop.offend_w, "victim": pop.victim_w, "flat": np.ones(pop.n)}[weight][idx]
        sampler = Sampler(idx, weights)
        view._cache[key] = sampler
        return sampler

    def random_addresses(self, rng: np.random.Generator, force: np.ndarray) -> np.ndarray:
        """Existing addresses in the given forces (for crime locations and found locations)."""
        forces = self.pop.addresses.force_arr
        out = np.zeros(len(force), dtype=np.int64)
        for fi in np.unique(force):
            rows = np.flatnonzero(force == fi)
            pool = np.flatnonzero(forces == fi)
            out[rows] = pool[rng.integers(0, len(pool), len(rows))]
        return out

    def member(self, scenario_id: str, scenario_type: str, person: int, role: str, detail: str = "") -> None:
        self.scenario_members.append({
            "scenario_id": scenario_id, "scenario_type": scenario_type, "person_id": self.pop.pid[person],
            "role": role, "detail": detail,
        })


def street_of(address: str) -> str:
    """'Flat 2, 12 Oak Road, Luton' -> 'Oak Road'."""
    parts = address.split(", ")
    line = parts[-2] if len(parts) >= 2 else parts[0]
    bits = line.split(" ", 1)
    return bits[1] if len(bits) == 2 and bits[0].isdigit() else line


def town_of(address: str) -> str:
    return address.rsplit(", ", 1)[-1]
