"""The standard Splink configuration (`baseline.py`): it trains, predicts and clusters end to end, and
its figures are measured against the truth it is given (not asserted to be worse than ours)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from oe_platform.linkage.baseline import THRESHOLD, run_baseline


@pytest.fixture
def clean_records(background_rows):
    """About 1,400 records of 1,000 people (clean names and dates of birth; some moved house) and
    their truth: record bg0042-1 is person bg0042."""
    frame = pd.DataFrame(background_rows)
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("create temp table records as select * from frame")
    con.execute("""
        create temp table truth as
        select person_record_id, split_part(person_record_id, '-', 1) as true_person_id from records
    """)
    return con


def test_the_baseline_links_clean_records_and_is_measured_against_the_truth(clean_records):
    con = clean_records
    result = run_baseline(con, "records", truth_table="truth")

    records, people = con.execute("select count(*), count(distinct true_person_id) from truth").fetchall()[0]
    assert result.records == records
    # the true pairs are the truth's: one per person with two records
    assert result.accuracy.true_pairs == records - people > 300
    # the predicted pairs are those of the clusters the baseline left in bl_clusters, at its threshold
    predicted = con.execute("""
        select coalesce(sum(n * (n - 1) / 2), 0) from (select count(*) as n from bl_clusters group by person_id)
    """).fetchall()[0][0]
    assert result.threshold == THRESHOLD
    assert result.accuracy.predicted_pairs == predicted
    assert 0.0 <= result.accuracy.precision <= 1.0
    assert 0.0 <= result.accuracy.recall <= 1.0
    # clean data: names and date of birth agree, so a standard configuration finds most true pairs
    assert result.accuracy.recall >= 0.9
    assert result.pairs_compared > result.accuracy.true_pairs
    # the trained model is Splink's: m by EM and u by sampling on these records, not defaults
    levels = [lv for c in result.settings["comparisons"] for lv in c["comparison_levels"]
              if not lv.get("is_null_level")]
    assert all(lv.get("u_probability") is not None for lv in levels)
    assert 0 < result.prior < 0.01
    # the best F1 over thresholds is at least the F1 at the stated threshold (it is an upper bound)
    assert result.best_accuracy.f1 >= result.accuracy.f1
    assert result.sweep[THRESHOLD] == result.accuracy


def test_the_baselines_figures_fall_when_the_truth_says_otherwise(clean_records):
    """The same clusters measured against a truth that pairs records of different people: recall
    collapses, so the figures are computed from the truth, not from the clusters alone."""
    con = clean_records
    con.execute("""
        create temp table wrong_truth as
        select person_record_id, (row_number() over (order by md5(person_record_id))) % 500 as true_person_id
        from records
    """)
    wrong = run_baseline(con, "records", truth_table="wrong_truth", sweep=())
    assert wrong.accuracy.recall < 0.05
    assert wrong.accuracy.precision < 0.05


def test_accuracy_over_pairs_under_different_source_keys_leaves_out_one_keys_pairs():
    """Records a1, a2 (one source key) and a3 of person A; b1 of person B. Clusters {a1, a2, b1}, {a3}:
    over all pairs 3 true, 3 predicted, 1 true positive; over pairs under different keys (a1-a2 left
    out) 2 true (a1-a3, a2-a3), 2 predicted (a1-b1, a2-b1), 0 true positives."""
    from oe_platform.linkage.quality import pairwise_accuracy

    con = duckdb.connect()
    con.execute("""
        create temp table clusters as select * from (values ('a1', 'X'), ('a2', 'X'), ('b1', 'X'), ('a3', 'Y'))
            t(person_record_id, person_id);
        create temp table truth as select * from (values ('a1', 'A'), ('a2', 'A'), ('a3', 'A'), ('b1', 'B'))
            t(person_record_id, true_person_id);
        create temp table keys as select * from (values ('a1', 'crime|A'), ('a2', 'crime|A'), ('a3', null),
            ('b1', 'intel|B')) t(person_record_id, source_key);
    """)
    everything = pairwise_accuracy(con, "clusters", "truth")
    assert (everything.true_pairs, everything.predicted_pairs, everything.true_positive_pairs) == (3, 3, 1)
    across = pairwise_accuracy(con, "clusters", "truth", keys="keys")
    assert (across.records, across.true_pairs, across.predicted_pairs, across.true_positive_pairs) == (4, 2, 2, 0)
