"""The landing zone does not give the planted scenarios away, and the background is ordinary enough
to rank: flags, referrals, line names and free text occur in the background too, names in free text
are noised, scenarios and look-alikes are there at every size, places and people look real."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from oe_platform.synth import reference as ref
from oe_platform.synth.background import NRM_TYPES, nrm_types
from oe_platform.synth.population import build_population
from oe_platform.synth.scenarios import scenario_counts
from tests.synth.realism import (
    Landing,
    custody_male_share,
    intel_names,
    missing_flag_rates,
    osint_measures,
    outward_codes_valid,
    reference_consistency,
)
from tests.synth.realism import (
    nrm_types as landing_nrm_types,
)
from tests.synth.realism import (
    scenario_counts as landing_scenario_counts,
)

REQUIRED_ROLES = {
    "county_line": {"line_holder", "ocg_principal", "core_member", "runner", "cuckooed_occupant"},
    "cse": {"exploiter", "victim"},
    "labour_exploitation": {"gangmaster", "ocg_principal", "victim"},
    "lookalike": {"lookalike_a", "lookalike_b"},
}


@pytest.fixture(scope="module")
def zone(run) -> Landing:
    return Landing(run.landing, run.truth)


def test_flags_are_evidence_not_labels(zone):
    rates = missing_flag_rates(zone)
    # Background children's episodes carry exploitation flags too …
    assert rates["flag_share_background_child"] > 0.02, rates
    assert rates["planted_share_of_flagged"] < 1.0, rates
    # … and not every planted episode is flagged, nor most background ones.
    assert 0 < rates["flag_share_planted"] < 0.9, rates
    assert rates["flag_share_background"] < 0.5, rates


def test_background_nrm_referrals_include_exploitation_types(zone):
    table = landing_nrm_types(zone)
    assert {"sexual", "criminal"} <= {t for t in table.columns if table.loc["background", t] > 0}


def test_nrm_types_follow_age_and_sex():
    rng = np.random.default_rng(1)
    n = 20000
    child = np.arange(n) < n // 2
    female = np.arange(n) % 2 == 0
    types = nrm_types(rng, child, female)
    assert set(types) <= set(NRM_TYPES)

    def share(mask, t):
        return float((types[mask] == t).mean())

    assert max(NRM_TYPES, key=lambda t: share(child, t)) == "criminal"
    assert max(NRM_TYPES, key=lambda t: share(~child, t)) == "labour"
    assert share(female, "sexual") > 2 * share(~female, "sexual") > 0


def test_osint_line_names_and_handles(zone):
    osint = osint_measures(zone)
    assert osint["line_name_background"] > 0, osint
    assert osint["handle_with_true_surname_planted"] < 0.2, osint
    assert osint["handle_with_true_surname_background"] < 0.1, osint


def test_intel_text_never_holds_the_true_full_name(zone):
    names = intel_names(zone)
    assert names["logs"] > 100
    assert names["true_full_name_share"] == 0.0, names
    # Names are still there as evidence: some logs name a subject by surname.
    logs = zone.rows("intel", "logs")
    assert logs["intel_text"].str.contains(r"^[A-Z][A-Z'\- ]+ (?:is|was|has) ", regex=True).any()


def test_scenarios_and_lookalikes_at_small_size(zone):
    counts = landing_scenario_counts(zone)
    assert counts["county_line"] >= 3 and counts["cse"] >= 2 and counts["labour_exploitation"] >= 2, counts
    assert counts["lookalike_pairs_both_delivered"] == counts["lookalike"] >= 8, counts
    assert counts["lookalike_father_son"] >= 1 and counts["lookalike_twins"] >= 1, counts
    members = zone.truth_table("scenario_members")
    roles = members.groupby("scenario_type")["role"].agg(set)
    for scenario_type, required in REQUIRED_ROLES.items():
        assert required <= roles[scenario_type], scenario_type
    # Line holders have innocent namesakes.
    assert members["detail"].str.contains("namesake of the line_holder").any()


def test_scenario_counts_scale_with_minimums():
    assert scenario_counts(500) == {"county_lines": 3, "cse": 2, "labour": 2, "lookalike": 4}
    assert scenario_counts(3000)["county_lines"] >= 3
    big = scenario_counts(100_000)
    assert big["county_lines"] == 33 and big["cse"] == 16 and big["labour"] == 12 and big["lookalike"] == 400


def test_postcodes_are_real_districts_of_the_force(zone):
    codes = outward_codes_valid(zone)
    assert codes["area_of_force"] == 1.0 and codes["district_of_force"] == 1.0, codes
    for force in ref.forces():
        districts = {d for _, ds, _ in ref.FORCE_DISTRICTS[force.code] for d in ds}
        assert {d.rstrip("0123456789") for d in districts} <= set(force.areas), force.code


def test_one_reference_one_name_and_date_of_birth(zone):
    consistency = reference_consistency(zone)
    assert consistency["references_with_2plus_records"] > 100
    assert consistency["share_with_varying_name_or_dob"] == 0.0, consistency


def test_custody_is_mostly_men(zone):
    assert 0.78 <= custody_male_share(zone) <= 0.92


def test_offending_is_concentrated_and_mostly_male():
    pop, _ = build_population(20000, 11, date(2025, 1, 1))
    age = pop.age_at(np.arange(pop.n), pop.start_day)
    weight = np.where(age >= 10, pop.offend_w, 0.0)
    assert 0.82 <= weight[pop.sex == "M"].sum() / weight.sum() <= 0.92
    # A year of suspects (about 0.9 suspect records a person, as generated): the top tenth of the
    # people who are suspects hold close to half of the records.
    rng = np.random.default_rng(2)
    drawn = rng.choice(pop.n, size=int(0.9 * pop.n), p=weight / weight.sum())
    counts = np.sort(np.bincount(drawn)[np.bincount(drawn) > 0])[::-1]
    top = counts[: len(counts) // 10].sum() / counts.sum()
    assert 0.38 <= top <= 0.6, top
    assert counts.max() <= 60
