"""The prior of a run: how many of a delivery's pairs are matches, estimated from the delivery.

The committed model fixes what agreement and disagreement on each attribute mean (m and u); how many
duplicates a delivery holds is a property of the delivery, not of the model: a month of one force's
crime extract and a year of every source together differ several-fold in records per person, and a
partner's nominal list or a benchmark data set may hold one record per person or five. So each run
estimates the prior λ (the probability that two random profiles are the same person) by maximum
likelihood with m and u held fixed: the expectation-maximisation update for λ alone,

    λ ← Σ_pairs P(match | comparison vector, λ) / (n·(n−1)/2),

from the trained prior until it settles. Pairs no blocking rule produces count as non-matches, and
pairs scored below SCORING_FLOOR_PROBABILITY are left out (together they are far below one match).
The same data give the same estimate, so person ids stay stable while the evidence is unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb

MAX_ITERATIONS = 200
TOLERANCE = 1e-6
"""Relative change of λ at which the estimate has settled."""


@dataclass(frozen=True)
class PriorEstimate:
    trained: float
    """The committed model's prior rescaled to this data size (the starting point)."""
    estimated: float
    iterations: int
    expected_matches_per_profile: float
    """λ · (profiles − 1): how many other profiles of the same person an average profile has."""


def logit2(p: float) -> float:
    return math.log2(p / (1.0 - p))


def estimate_prior(con: duckdb.DuckDBPyConnection, pairs_table: str, profiles: int, start: float,
                   max_prior: float) -> PriorEstimate:
    """Estimate λ from `pairs_table` (match_weight scored with prior `start`) over `profiles`."""
    total_pairs = profiles * (profiles - 1) / 2
    if total_pairs <= 0:
        return PriorEstimate(start, start, 0, start * max(profiles - 1, 0))
    # Bayes factor of each pair, as log2: the match weight without its prior
    con.execute(f"""
        create or replace temp table lk_bayes_factors as
        select match_weight - {logit2(start)} as log2_bayes_factor from {pairs_table}
    """)
    prior, iterations = start, 0
    while iterations < MAX_ITERATIONS:
        iterations += 1
        expected = con.execute(f"""
            select coalesce(sum(1.0 / (1.0 + pow(2.0, -(log2_bayes_factor + {logit2(prior)})))), 0.0)
            from lk_bayes_factors
        """).fetchall()[0][0]
        updated = min(max(expected / total_pairs, 1e-12), max_prior)
        settled = abs(updated - prior) <= TOLERANCE * prior
        prior = updated
        if settled:
            break
    con.execute("drop table lk_bayes_factors")
    return PriorEstimate(start, prior, iterations, prior * (profiles - 1))


def apply_prior(con: duckdb.DuckDBPyConnection, pairs_table: str, start: float, prior: float,
                floor_probability: float) -> None:
    """Re-express the match weights and probabilities of `pairs_table` under `prior` and drop the
    pairs below `floor_probability`."""
    shift = logit2(prior) - logit2(start)
    con.execute(f"""
        create or replace temp table {pairs_table} as
        select * replace (
            match_weight + {shift} as match_weight,
            1.0 / (1.0 + pow(2.0, -(match_weight + {shift}))) as match_probability
        )
        from {pairs_table}
        where 1.0 / (1.0 + pow(2.0, -(match_weight + {shift}))) >= {floor_probability}
    """)
