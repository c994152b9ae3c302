"""The pieces: records preparation, clustering guards, accuracy, model and specification."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pandas as pd
import pytest

from oe_platform.linkage.clustering import ClusteringConfig, connected_components, dobs_conflict, split_component
from oe_platform.linkage.model import load_model
from oe_platform.linkage.quality import pairwise_accuracy
from oe_platform.linkage.records import RecordsError, prepare_records
from oe_platform.linkage.spec import level_gammas, settings_hash, untrained_settings
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
    assert gammas["date_of_birth"]["exact"] == 4
    assert gammas["date_of_birth"]["day and month transposed"] == 3
