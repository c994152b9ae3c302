"""The pieces: records preparation, clustering guards, accuracy, model and specification."""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from oe_platform.linkage.clustering import ClusteringConfig, connected_components, dobs_conflict, split_component
from oe_platform.linkage.model import load_model
from oe_platform.linkage.prior import apply_prior, estimate_prior
from oe_platform.linkage.quality import pairwise_accuracy
from oe_platform.linkage.records import (
    SELECTIVE_COMBINATIONS,
    SELECTIVE_KEY_MAX_PROFILES,
    RecordsError,
    prepare_records,
)
from oe_platform.linkage.scoring import identity_term_frequencies
from oe_platform.linkage.spec import (
    ADDRESS_ALIKE,
    BLOCKING_RULES,
    level_gammas,
    settings_hash,
    untrained_settings,
)
from oe_platform.linkage.standardise import formal_forename, normalise_name, postcode_parts, soundex


def test_connected_components_label_each_node_with_the_smallest_of_its_component():
    labels = connected_components(7, np.array([5, 1, 3, 4]), np.array([6, 2, 2, 1]))
    assert labels.tolist() == [0, 1, 1, 1, 1, 5, 5]


@pytest.mark.parametrize(("a", "b", "conflict"), [
    (date(1990, 3, 4), date(1990, 4, 3), False),    # day and month transposed
    (date(1985, 6, 1), date(1958, 6, 1), False),    # adjacent digits swapped in the year
    (date(1985, 6, 1), date(1995, 6, 1), False),    # one digit changed
    (date(1985, 6, 1), date(1985, 11, 20), False),  # within the allowed spread
    (date(1960, 3, 2), date(1990, 8, 19), True),    # a parent and a child
    (date(1984, 11, 3), date(1986, 2, 10), True),   # siblings
    (date(2006, 3, 6), date(2009, 3, 2), False),    # two keying errors, three years apart
    (date(1993, 1, 20), date(1998, 1, 24), False),  # two keying errors (a year digit and the day)
    (date(1966, 2, 14), date(1996, 2, 19), True),   # two keying errors but decades apart: a parent
    (date(1971, 5, 30), date(1977, 8, 12), True),   # three keying errors
])
def test_dates_of_birth_conflict_unless_a_keying_error_explains_them(a, b, conflict):
    assert dobs_conflict([a], [b], max_years=1.0) is conflict


def test_a_conflicting_component_is_split_keeping_the_strongest_edges():
    group = pd.DataFrame({
        "profile_id": [1, 2, 3, 4],
        "date_of_birth": [date(1990, 1, 1), date(1990, 1, 1), None, date(1990, 1, 1)],
        "pnc_id": ["2010/0000001A", "2012/0000002B", None, None],
        "cro_number": [None] * 4,
        "nhs_number": [None] * 4,
    })
    edges = pd.DataFrame({
        "profile_id_l": [1, 2, 3],
        "profile_id_r": [3, 3, 4],
        "probability": [0.995, 0.9999, 0.999],
        "kind": ["match_probability"] * 3,
    })
    labels, skipped = split_component(group, edges, ClusteringConfig())
    assert labels[2] == labels[3] == labels[4] != labels[1]
    assert [(s["profile_id_l"], s["profile_id_r"], s["reason"]) for s in skipped] == [(1, 3, "different pnc_id")]


def test_pairwise_accuracy_counts_pairs_of_records():
    con = duckdb.connect()
    con.execute("create table c as select * from (values ('a','P1'),('b','P1'),('c','P1'),('d','P2')) "
                "t(person_record_id, person_id)")
    con.execute("create table t as select * from (values ('a','T1'),('b','T1'),('c','T2'),('d','T2')) "
                "t(person_record_id, true_person_id)")
    accuracy = pairwise_accuracy(con, "c", "t")
    assert (accuracy.predicted_pairs, accuracy.true_pairs, accuracy.true_positive_pairs) == (3, 2, 1)
    assert accuracy.precision == pytest.approx(1 / 3)
    assert accuracy.recall == pytest.approx(1 / 2)


def test_records_must_have_unique_ids():
    con = duckdb.connect()
    con.execute("create table r as select * from (values ('x', 'ANN'), ('x', 'BOB')) t(person_record_id, forename_std)")
    with pytest.raises(RecordsError, match="unique"):
        prepare_records(con, "r")


def test_plain_columns_are_standardised_and_identical_records_of_one_key_share_a_profile():
    con = duckdb.connect()
    con.execute("""
        create table r as select * from (values
            ('1', 'crime', 'kent', 'N1', 'Zoë', 'O''Brien', '1990-01-02', 'nr11aa', 'female'),
            ('2', 'crime', 'kent', 'N1', 'Zoë', 'O''Brien', '1990-01-02', 'nr11aa', 'female'),
            ('3', 'crime', 'kent', 'N2', 'Zoë', 'O''Brien', '1990-01-02', 'nr11aa', 'female')
        ) t(person_record_id, source_name, force_code, record_ref, forename, surname, date_of_birth, postcode, sex)
    """)
    prepared = prepare_records(con, "r")
    assert (prepared.records, prepared.profiles) == (3, 2)
    row = con.execute("select forename_std, surname_std, forename_phonetic, postcode_std, postcode_sector, "
                      "sex_code, date_of_birth from lk_profiles limit 1").fetchall()[0]
    assert row == ("ZOE", "OBRIEN", "Z000", "NR1 1AA", "NR1 1", "F", date(1990, 1, 2))


def test_standardisation_helpers_follow_the_macros():
    assert normalise_name("  Mr John-Paul O'Neill Jnr ") == "JOHN PAUL ONEILL"
    assert [soundex(n) for n in ("SMITH", "SMYTH", "ASHCRAFT", "PFISTER", "HONEYMAN")] == \
        ["S530", "S530", "A261", "P236", "H555"]
    assert formal_forename("BILL") == "WILLIAM"
    assert postcode_parts("nr1-1aa") == ("NR1 1AA", "NR1", "NR1 1")


def test_the_committed_model_is_trained_for_this_specification_and_complete():
    model = load_model()
    assert model.metadata["settings_hash"] == settings_hash()
    for comparison in model.settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            if not level.get("is_null_level"):
                assert 0 < level["m_probability"] <= 1, (comparison["output_column_name"], level)
                assert 0 < level["u_probability"] <= 1, (comparison["output_column_name"], level)
    # the prior is rescaled to the data size, never above one in a thousand
    assert model.settings_for(10)["probability_two_random_records_match"] == pytest.approx(1e-3)
    big = model.settings_for(10_000_000)["probability_two_random_records_match"]
    assert big == pytest.approx(model.expected_matches_per_profile / 9_999_999)


def test_level_gammas_number_levels_as_splink_does():
    gammas = level_gammas(untrained_settings())
    assert gammas["sex"] == {"null": -1, "exact": 1, "else": 0}
    # exact, transposed, one keying error, the year two keying errors apart, within a year, else
    assert gammas["date_of_birth"]["exact"] == 5
    assert gammas["date_of_birth"]["day and month transposed"] == 4
    assert gammas["date_of_birth"]["else"] == 0


def test_term_frequencies_count_each_source_key_once():
    con = duckdb.connect()
    # one prolific nominal: ten profiles of one source key named NETTLESHIP; ten people named JONES
    con.execute("""
        create temp table profiles as
        select 'ref|crime|norfolk|N1' as source_key, 'NETTLESHIP' as surname_std from range(10)
        union all
        select 'ref|crime|norfolk|J' || range, 'JONES' from range(10)
    """)
    table = identity_term_frequencies(con, "profiles", "surname_std")
    tf = dict(con.execute(f"select surname_std, tf_surname_std from {table}").fetchall())
    assert tf == pytest.approx({"NETTLESHIP": 1 / 11, "JONES": 10 / 11})


def test_the_prior_estimate_recovers_the_share_of_matching_pairs():
    con = duckdb.connect()
    profiles = 5_000
    start = 1e-5
    # 3,000 true pairs with overwhelming evidence, 50,000 blocked non-matches with strong evidence against
    con.execute(f"""
        create temp table pairs as
        select match_weight, 1.0 / (1.0 + pow(2.0, -match_weight)) as match_probability
        from (
            select 30.0 + {math.log2(start / (1 - start))} as match_weight from range(3000)
            union all
            select -25.0 + {math.log2(start / (1 - start))} from range(50000)
        )
    """)
    estimate = estimate_prior(con, "pairs", profiles, start, max_prior=1e-3)
    expected = 3000 / (profiles * (profiles - 1) / 2)
    assert estimate.estimated == pytest.approx(expected, rel=1e-3)
    assert estimate.expected_matches_per_profile == pytest.approx(2 * 3000 / profiles, rel=1e-3)
    assert estimate.iterations > 1
    # the weights are re-expressed under the estimate; pairs below the floor are dropped
    apply_prior(con, "pairs", start, estimate.estimated, floor_probability=0.01)
    assert con.execute("select count(*), min(match_probability) from pairs").fetchall()[0][0] == 3000


def test_a_date_of_birth_or_postcode_few_profiles_share_is_a_blocking_key_of_its_own():
    """Nine profiles born on one day make too large a block for a date of birth alone (the other rules
    must find their pairs); two profiles on another day, or at a postcode of their own, are one block."""
    con = duckdb.connect()
    common = [{"person_record_id": f"c{i}", "forename": f"NAME{chr(65 + i)}", "surname": f"SURNAME{chr(65 + i)}",
               "date_of_birth": date(1980, 1, 1), "postcode": "NR1 1AA"} for i in range(SELECTIVE_KEY_MAX_PROFILES + 1)]
    rare = [{"person_record_id": "r1", "forename": "KATE", "surname": "OYELARAN", "date_of_birth": date(1977, 6, 21),
             "postcode": "PE13 2XT"},
            {"person_record_id": "r2", "forename": "CATHRYN", "surname": "ROYLEAN", "date_of_birth": date(1977, 6, 21),
             "postcode": "PE31 2XT"}]
    con.register("frame", pd.DataFrame(common + rare))
    prepare_records(con, "frame")
    keys = {row[0]: row[1:] for row in con.execute("""
        select representative_record_id, selective_dob, selective_postcode from lk_profiles""").fetchall()}
    assert all(keys[f"c{i}"] == (None, None) for i in range(SELECTIVE_KEY_MAX_PROFILES + 1))
    assert keys["r1"] == (date(1977, 6, 21), "PE13 2XT")
    assert keys["r2"] == (date(1977, 6, 21), "PE31 2XT")
    rules = [sql for _, sql in BLOCKING_RULES]
    assert 'l."selective_dob" = r."selective_dob"' in rules
    assert 'l."selective_postcode" = r."selective_postcode"' in rules


def test_parts_keying_errors_rarely_reach_are_blocking_keys_where_few_profiles_share_them():
    """Two records of one person with the names, the date of birth's year and the postcode all mistyped
    still meet on the house number and the town, and on the birthday with a first letter; the same parts
    held by more than SELECTIVE_KEY_MAX_PROFILES profiles (a hostel's residents) are no key."""
    con = duckdb.connect()
    person = [
        {"person_record_id": "p1", "forename": "JACQUELINE", "surname": "NICHOLSON", "date_of_birth": date(1952, 7, 9),
         "postcode": "SS5 5TU", "address": "83 STATION HILL HOCKLEY"},
        {"person_record_id": "p2", "forename": "JACQVELINE", "surname": "HICHOLSON", "date_of_birth": date(1912, 7, 9),
         "postcode": "SS5 5UT", "address": "83 STATOIN HLL HOCKLEY"},
    ]
    flats = [{"person_record_id": f"f{i}", "forename": f"NAME{chr(65 + i)}", "surname": f"SURNAME{chr(65 + i)}",
              "date_of_birth": date(1960 + i, 1 + i, 10 + i), "postcode": "LS1 4AB",
              "address": "40 PARK ROW LEEDS"} for i in range(SELECTIVE_KEY_MAX_PROFILES + 1)]
    con.register("frame", pd.DataFrame(person + flats))
    prepare_records(con, "frame")
    columns = list(SELECTIVE_COMBINATIONS)
    keys = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in con.execute(
        f"select representative_record_id, {', '.join(columns)} from lk_profiles").fetchall()}
    assert keys["p1"]["selective_number_town"] == keys["p2"]["selective_number_town"] is not None
    assert keys["p1"]["selective_birthday_forename"] == keys["p2"]["selective_birthday_forename"] is not None
    assert keys["p1"]["selective_year_initials"] != keys["p2"]["selective_year_initials"]  # 1952 / 1912
    assert all(keys[f"f{i}"]["selective_number_town"] is None for i in range(SELECTIVE_KEY_MAX_PROFILES + 1))
    rules = [sql for _, sql in BLOCKING_RULES]
    assert all(f'l."{name}" = r."{name}"' in rules for name in SELECTIVE_COMBINATIONS)


def test_forename_names_cover_ambiguous_nicknames_and_single_keying_errors():
    con = duckdb.connect()
    frame = pd.DataFrame([
        {"person_record_id": str(i), "forename": name, "surname": "SMITH"}
        for i, name in enumerate(["SANDY", "DQVID", "LENY", "AL", "ZORAN"])
    ])
    con.register("frame", frame)
    prepare_records(con, "frame")
    names = dict(con.execute("select forename_std, forename_names from lk_profiles").fetchall())
    assert {"ALEXANDER", "SANDRA", "SANDY"} <= set(names["SANDY"])
    assert "DAVID" in names["DQVID"]
    assert {"LENNY", "LEONARD"} <= set(names["LENY"])
    assert {"ALAN", "ALBERT", "ALEXANDER"} <= set(names["AL"])  # too short to be read as a typo
    assert names["ZORAN"] == ["ZORAN"]


def test_the_pipeline_engine_follows_the_dbt_target_unless_set(monkeypatch):
    from oe_platform.linkage.pipeline import default_engine

    monkeypatch.delenv("OE_LINKAGE_ENGINE", raising=False)
    monkeypatch.delenv("OE_DBT_TARGET", raising=False)
    assert default_engine() == "duckdb"
    monkeypatch.setenv("OE_DBT_TARGET", "spark")
    assert default_engine() == "spark"
    monkeypatch.setenv("OE_LINKAGE_ENGINE", "duckdb")
    assert default_engine() == "duckdb"
    monkeypatch.setenv("OE_LINKAGE_ENGINE", "polars")
    with pytest.raises(ValueError, match="OE_LINKAGE_ENGINE"):
        default_engine()


def test_a_run_with_no_person_records_writes_typed_empty_outputs(tmp_path):
    """A landing zone without person records (only data.police.uk, say) links nothing; its outputs
    are empty but typed as the dbt source linkage declares (a NULL-typed column breaks contracts)."""
    from oe_platform.linkage.pipeline import link_records, write_outputs

    con = duckdb.connect()
    con.execute("create table no_records (person_record_id varchar, source_name varchar, force_code varchar, "
                "record_ref varchar, forename_std varchar, surname_std varchar, date_of_birth date)")
    run = link_records(con, "no_records")
    write_outputs(run, tmp_path)
    types = {
        name: {row[0]: row[1] for row in duckdb.sql(f"describe select * from read_parquet('{tmp_path / name}')")
               .fetchall()}
        for name in ("clusters.parquet", "review.parquet", "pairs.parquet", "quality.parquet")
    }
    assert types["clusters.parquet"] == {
        "person_record_id": "VARCHAR", "person_id": "VARCHAR", "cluster_size": "INTEGER",
        "match_confidence": "DOUBLE", "cluster_mean_probability": "DOUBLE", "source_name": "VARCHAR",
        "force_code": "VARCHAR", "record_ref": "VARCHAR", "model_version": "INTEGER",
    }
    assert all(kind != '"NULL"' and kind != "NULL" for columns in types.values() for kind in columns.values()), types
    assert duckdb.sql(f"select count(*) from read_parquet('{tmp_path / 'clusters.parquet'}')").fetchall() == [(0,)]


def test_adaptation_guard_rejects_inverted_or_runaway_parameters():
    import copy

    from oe_platform.linkage.adapt import guard_comparison
    from oe_platform.linkage.model import load_model

    committed = {c["output_column_name"]: c for c in load_model().settings["comparisons"]}
    dob = committed["date_of_birth"]
    assert guard_comparison(dob, dob) == ""
    levels = [lv for lv in dob["comparison_levels"] if not lv.get("is_null_level")]
    # EM gone astray: "within a year" now weighs more than "one keying error" (each of m and u
    # within the factor bound, but the order of the levels inverted)
    inverted = copy.deepcopy(dob)
    inv = [lv for lv in inverted["comparison_levels"] if not lv.get("is_null_level")]
    year = [lv["label_for_charts"] for lv in levels].index("within a year")
    inv[year]["m_probability"] = levels[year]["m_probability"] * 19
    inv[year]["u_probability"] = levels[year]["u_probability"] / 19
    assert "order inverts" in guard_comparison(inverted, dob)
    runaway = copy.deepcopy(dob)
    [lv for lv in runaway["comparison_levels"] if not lv.get("is_null_level")][1]["m_probability"] *= 50
    assert "factor" in guard_comparison(runaway, dob)
    # a modest, order-keeping shift is accepted
    shifted = copy.deepcopy(dob)
    [lv for lv in shifted["comparison_levels"] if not lv.get("is_null_level")][2]["m_probability"] *= 3
    assert guard_comparison(shifted, dob) == ""
    # a level the generator never produced (m at the training floor) may take what the data says:
    # keying noise makes "one keying error" common among matches
    from oe_platform.linkage.training import M_FLOOR

    one_error = [lv["label_for_charts"] for lv in levels].index("one keying error")
    assert levels[one_error]["m_probability"] <= M_FLOOR * 1.05
    noisy = copy.deepcopy(dob)
    noisy_levels = [lv for lv in noisy["comparison_levels"] if not lv.get("is_null_level")]
    noisy_levels[one_error]["m_probability"] = 0.3
    noisy_levels[0]["m_probability"] = 0.6
    assert guard_comparison(noisy, dob) == ""
    # two levels ending level is data (on keyed data a surname one keying error off is as telling as
    # an exact one, which common surnames water down), one overtaking another by more than
    # ORDER_TOLERANCE_BITS is not
    from oe_platform.linkage.adapt import ORDER_TOLERANCE_BITS, _weight

    surname = committed["surname"]
    names = [lv for lv in surname["comparison_levels"] if not lv.get("is_null_level")]
    fuzzy = [lv["label_for_charts"] for lv in names].index("jaro-winkler >= 0.92")
    assert _weight(names[0]) > _weight(names[fuzzy]) + 2
    for overtake, verdict in ((ORDER_TOLERANCE_BITS / 2, ""), (ORDER_TOLERANCE_BITS * 2, "order inverts")):
        tied = copy.deepcopy(surname)
        level = [lv for lv in tied["comparison_levels"] if not lv.get("is_null_level")][fuzzy]
        level["u_probability"] = level["m_probability"] / 2 ** (_weight(names[0]) + overtake)
        assert (verdict in guard_comparison(tied, surname)) if verdict else guard_comparison(tied, surname) == ""
    # a level the training never produced (m at the floor) may rise above every level, the strongest
    # included: where middle names are initials, an initial agreeing with a full middle name is as telling
    # as two agreeing initials (exact); the weakest level (else) still may not rise above the others
    middle = committed["middle_names"]
    mids = [lv for lv in middle["comparison_levels"] if not lv.get("is_null_level")]
    initial = [lv["label_for_charts"] for lv in mids].index("same first initial")
    assert mids[initial]["m_probability"] <= M_FLOOR * 1.05 and _weight(mids[0]) > _weight(mids[initial]) + 2
    initials = copy.deepcopy(middle)
    raised = [lv for lv in initials["comparison_levels"] if not lv.get("is_null_level")]
    raised[initial]["m_probability"], raised[0]["m_probability"] = 0.7, 0.1
    assert _weight(raised[initial]) > _weight(raised[0]) + ORDER_TOLERANCE_BITS
    assert guard_comparison(initials, middle) == ""
    raised[-1]["u_probability"] = raised[-1]["m_probability"] / 2 ** (_weight(raised[initial]) + 2)
    assert "order inverts" in guard_comparison(initials, middle)
    # between two levels at the floor the specification's order stands, the strongest level included
    from oe_platform.linkage.adapt import ORDER_MARGIN_BITS

    forename = committed["forename"]
    given = [lv for lv in forename["comparison_levels"] if not lv.get("is_null_level")]
    at_floor = [k for k, lv in enumerate(given) if lv["m_probability"] <= M_FLOOR * 1.05 and k != len(given) - 1]
    high, low = max(((a, b) for a in at_floor for b in at_floor
                     if _weight(given[a]) > _weight(given[b]) + ORDER_MARGIN_BITS),
                    key=lambda ab: _weight(given[ab[0]]))
    overtaking = copy.deepcopy(forename)
    level = [lv for lv in overtaking["comparison_levels"] if not lv.get("is_null_level")][low]
    level["u_probability"] = level["m_probability"] / 2 ** (_weight(given[high]) + 2)
    assert "order inverts" in guard_comparison(overtaking, forename)

    # a name keyed in the other field is evidence of another kind than likeness: where the data keys
    # names in the wrong field it may overtake a typo (FEBRL 2), which is no sign of EM gone astray
    from oe_platform.linkage.spec import NAME_IN_OTHER_FIELD

    forename = committed["forename"]
    given = [lv for lv in forename["comparison_levels"] if not lv.get("is_null_level")]
    crossed = [lv["label_for_charts"] for lv in given].index(NAME_IN_OTHER_FIELD)
    typo = [lv["label_for_charts"] for lv in given].index("jaro-winkler >= 0.84")
    assert _weight(given[typo]) > _weight(given[crossed]) + 2
    overtaken = copy.deepcopy(forename)
    level = [lv for lv in overtaken["comparison_levels"] if not lv.get("is_null_level")][crossed]
    level["u_probability"] = level["m_probability"] / 2 ** (_weight(given[typo]) + 3)
    assert guard_comparison(overtaken, forename) == ""
    # ... but never above the comparison's strongest level, nor below else
    strongest = max(_weight(lv) for lv in given)
    level["u_probability"] = level["m_probability"] / 2 ** (strongest + 3)
    assert "order inverts" in guard_comparison(overtaken, forename)
    level["u_probability"] = level["m_probability"] / 2 ** (_weight(given[-1]) - 3)
    assert "order inverts" in guard_comparison(overtaken, forename)


def test_a_model_extended_by_a_level_keeps_the_committed_parameters_of_the_others():
    """`oe linkage train --extend N`: a second training run's sampling noise (a rare level's u unseen in
    its sample) does not move the levels model N has; the new levels (v4's two) take this run's estimates,
    and m and u of each comparison still sum as they did."""
    import copy
    import json

    from oe_platform.linkage.model import metadata_path, model_path
    from oe_platform.linkage.spec import ADDRESS_SIMILAR, NAME_IN_OTHER_FIELD
    from oe_platform.linkage.training import U_UNOBSERVED, TrainedModel, extend

    base = json.loads(model_path(3).read_text(encoding="utf-8"))
    base_metadata = json.loads(metadata_path(model_path(3)).read_text(encoding="utf-8"))
    fresh = copy.deepcopy(untrained_settings())
    fresh["probability_two_random_records_match"] = 2e-4
    for comparison in fresh["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        for level in levels:  # a second run's estimates: every level moved, one rare level unseen
            level["m_probability"], level["u_probability"] = 1 / len(levels), 1 / len(levels)
    address = {c["output_column_name"]: c for c in fresh["comparisons"]}["address"]
    alike = next(lv for lv in address["comparison_levels"] if lv.get("label_for_charts") == ADDRESS_ALIKE)
    alike["u_probability"] = U_UNOBSERVED
    extended = extend(TrainedModel(fresh, {"settings_hash": "x", "expected_matches_per_profile": 20.0}), base,
                      base_metadata, 3)
    assert extended.metadata["expected_matches_per_profile"] == base_metadata["expected_matches_per_profile"]
    new_levels = {"forename": NAME_IN_OTHER_FIELD, "address": ADDRESS_SIMILAR}
    assert extended.metadata["extends"]["new_levels"] == [f"{c}/{label}" for c, label in new_levels.items()]
    assert extended.settings["probability_two_random_records_match"] == base["probability_two_random_records_match"]
    committed = {(c["output_column_name"], lv["label_for_charts"]): lv for c in base["comparisons"]
                 for lv in c["comparison_levels"] if not lv.get("is_null_level")}
    for comparison in extended.settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        name = comparison["output_column_name"]
        share = 1 / len(levels) if name in new_levels else 0.0
        for key in ("m_probability", "u_probability"):  # as they summed in the base (u: its unseen levels)
            summed = sum(lv[key] for (c, _), lv in committed.items() if c == name)
            assert sum(lv[key] for lv in levels) == pytest.approx(summed * (1 - share) + share)
        for level in levels:
            if level["label_for_charts"] == new_levels.get(name):
                assert level["m_probability"] == level["u_probability"] == pytest.approx(share)
                continue
            was = committed[(name, level["label_for_charts"])]
            assert level["m_probability"] == pytest.approx(was["m_probability"] * (1 - share))
            assert level["u_probability"] == pytest.approx(was["u_probability"] * (1 - share))

def test_adaptation_keeps_the_committed_u_of_a_level_too_few_sampled_pairs_fell_in():
    import copy

    from oe_platform.linkage.adapt import MIN_U_PAIRS, keep_thin_u
    from oe_platform.linkage.model import load_model
    from oe_platform.linkage.training import U_UNOBSERVED

    surname = {c["output_column_name"]: c for c in load_model().settings["comparisons"]}["surname"]
    sampled = copy.deepcopy(surname)
    levels = [lv for lv in sampled["comparison_levels"] if not lv.get("is_null_level")]
    committed = [lv["u_probability"] for lv in levels]
    pairs = 5e5
    levels[0]["u_probability"] = committed[0] / 2  # plenty of pairs: the sample's u stands
    levels[1]["u_probability"] = (MIN_U_PAIRS - 1) / pairs  # 19 pairs: too few
    levels[2]["u_probability"] = U_UNOBSERVED  # no sampled pair at all
    kept = keep_thin_u(sampled, surname, pairs)
    assert kept == [levels[1]["label_for_charts"], levels[2]["label_for_charts"]]
    assert [lv["u_probability"] for lv in levels[:3]] == [committed[0] / 2, committed[1], committed[2]]


def test_a_pair_of_names_alone_needs_the_names_only_threshold():
    """Between the run's threshold and NAMES_ONLY_THRESHOLD a pair is an edge only when something
    besides the names agrees: a date of birth missing on a side and nothing else in common is not."""
    from oe_platform.linkage.clustering import NAMES_ONLY_THRESHOLD, classify_pairs

    gammas = level_gammas(untrained_settings())
    con = duckdb.connect()
    con.execute("""
        create temp table lk_profiles as
        select *, cast(null as date) as dob_transposed, cast(null as varchar) as postcode_std,
            cast(null as varchar) as address_number, cast(null as varchar) as address_town,
            cast(null as varchar) as middle_names_std
        from (values
            (1, 'JESSOP', 'TOBIAS', 'T', cast(null as varchar), cast(null as integer)),
            (2, 'JESSOP', 'TOBIAS', 'T', '1968-07-19', 1968),
            (3, 'JESSOP', 'TOBIAS', 'T', '1968-07-19', 1968)
        ) t(profile_id, surname_std, forename_std, forename_initial, dob_text, dob_year)
    """)
    null, exact, other = -1, gammas["forename"]["exact"], 0

    def pair(left, right, probability, date_of_birth, address, phone):
        values = {name: null for name in gammas}
        values.update(forename=exact, surname=gammas["surname"]["exact"], date_of_birth=date_of_birth,
                      address=address, phone=phone)
        return (left, right, probability, *values.values())

    columns = ", ".join(f"gamma_{name}" for name in gammas)
    rows = [
        pair(1, 2, 0.97, null, other, other),  # names alone, a date of birth missing
        pair(1, 3, 0.97, null, other, gammas["phone"]["exact"]),  # and the same phone
        pair(2, 3, 0.97, gammas["date_of_birth"]["exact"], other, other),  # names and date of birth
    ]
    con.execute(f"create temp table lk_pairs (profile_id_l bigint, profile_id_r bigint, match_probability double, "
                f"{', '.join(f'gamma_{name} integer' for name in gammas)})")
    con.executemany(f"insert into lk_pairs (profile_id_l, profile_id_r, match_probability, {columns}) values "
                    f"({', '.join('?' * (3 + len(gammas)))})", rows)
    classify_pairs(con, gammas, ClusteringConfig(threshold=0.95))
    status = dict(con.execute("select profile_id_l || '-' || profile_id_r, edge_status from lk_pairs").fetchall())
    assert status == {"1-2": "below_threshold", "1-3": "accepted", "2-3": "accepted"}
    con.execute("alter table lk_pairs drop column edge_status")
    con.execute(f"update lk_pairs set match_probability = {NAMES_ONLY_THRESHOLD}")
    classify_pairs(con, gammas, ClusteringConfig(threshold=0.95))
    status = dict(con.execute("select profile_id_l || '-' || profile_id_r, edge_status from lk_pairs").fetchall())
    assert status == {"1-2": "accepted", "1-3": "accepted", "2-3": "accepted"}


def test_names_swapped_with_keying_errors_are_no_forename_conflict_but_other_names_are():
    """Forename and surname swapped with a first letter mistyped (NIGEL HUNT / LIUNT NIGEL: Jaro-Winkler
    reads HUNT / LIUNT as 0.78) is one person's names; two errors between names under four letters
    (AL ROSE / ROSE ED) and a twin's other forename (OLIVER / HARRY HART) stay a forename conflict."""
    from oe_platform.linkage.clustering import classify_pairs

    gammas = level_gammas(untrained_settings())
    con = duckdb.connect()
    con.execute("""
        create temp table lk_profiles as
        select *, cast(null as date) as dob_transposed, cast(null as varchar) as postcode_std,
            cast(null as varchar) as address_number, cast(null as varchar) as address_town,
            cast(null as varchar) as middle_names_std
        from (values
            (1, 'HUNT', 'NIGEL', 'N', '1996-09-12', 1996),
            (2, 'NIGEL', 'LIUNT', 'L', '1996-09-12', 1996),
            (3, 'ROSE', 'AL', 'A', '1971-03-02', 1971),
            (4, 'ED', 'ROSE', 'R', '1971-03-02', 1971),
            (5, 'HART', 'OLIVER', 'O', '2004-05-06', 2004),
            (6, 'HART', 'HARRY', 'H', '2004-05-06', 2004)
        ) t(profile_id, surname_std, forename_std, forename_initial, dob_text, dob_year)
    """)
    null = -1

    def pair(left, right):
        values = {name: null for name in gammas}
        values.update(forename=gammas["forename"]["else"], surname=gammas["surname"]["else"],
                      date_of_birth=gammas["date_of_birth"]["exact"], address=gammas["address"]["same address line"])
        return (left, right, 0.99, *values.values())

    columns = ", ".join(f"gamma_{name}" for name in gammas)
    con.execute(f"create temp table lk_pairs (profile_id_l bigint, profile_id_r bigint, match_probability double, "
                f"{', '.join(f'gamma_{name} integer' for name in gammas)})")
    con.executemany(f"insert into lk_pairs (profile_id_l, profile_id_r, match_probability, {columns}) values "
                    f"({', '.join('?' * (3 + len(gammas)))})", [pair(1, 2), pair(3, 4), pair(5, 6)])
    classify_pairs(con, gammas, ClusteringConfig(threshold=0.95), households=False)
    status = dict(con.execute("select profile_id_l || '-' || profile_id_r, edge_status from lk_pairs").fetchall())
    assert status == {"1-2": "accepted", "3-4": "forename_conflict", "5-6": "forename_conflict"}
