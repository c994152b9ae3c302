"""Score candidate pairs of profiles with Splink (DuckDB) and a committed model."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from oe_platform.linkage.spec import UNIQUE_ID

# Pairs below this probability (under the run's estimated prior) are not kept in the outputs: they
# cannot be linked, and `oe linkage explain` scores any pair afresh.
PAIR_FLOOR_PROBABILITY = 0.01
# Scoring keeps pairs down to this probability under the trained prior, enough for the run's prior
# estimate (oe_platform.linkage.prior) to see every pair that could matter.
SCORING_FLOOR_PROBABILITY = 1e-4


def make_linker(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], table: str = "lk_profiles") -> Linker:
    """A Splink linker over `table` (already in `con`) with the given settings and the
    term-frequency tables of `identity_term_frequencies`."""
    con.execute("set enable_progress_bar = false")
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(table, table_name=f"{table}_input")
    linker = Linker(frame, settings, log_level=logging.WARNING)
    for column in tf_columns(settings):
        lookup = identity_term_frequencies(con, table, column)
        linker.table_management.register_term_frequency_lookup(
            db_api.register(lookup, table_name=f"{lookup}_input"), column
        )
    return linker


def tf_columns(settings: dict[str, Any]) -> list[str]:
    """Columns some comparison level adjusts for term frequency."""
    columns: list[str] = []
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            column = level.get("tf_adjustment_column")
            if column and column not in columns:
                columns.append(column)
    return columns


def identity_term_frequencies(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """Term frequencies of `column` counted over source record keys, not rows (table lk_tf_<column>).

    Splink's own frequencies count input rows. Our rows are profiles, and a prolific nominal has
    dozens of slightly different profiles under one source key, so his name and postcode would look
    common and agreeing on them would count for little: the very people the platform is for would be
    the hardest to link. A term's frequency should be the chance that two *different* people share
    it, so each source key (a source's own identification of one person) counts a value once.
    """
    name = f"lk_tf_{column}"
    con.execute(f"""
        create or replace temp table {name} as
        with carriers as (
            select distinct "{column}", source_key from {table} where "{column}" is not null
        )
        select "{column}", count(*) / sum(count(*)) over () as "tf_{column}"
        from carriers
        group by "{column}"
    """)
    return name


@dataclass(frozen=True)
class ScoredPairs:
    compared: int
    """Candidate pairs the blocking rules produced (each scored once)."""
    kept: int
    """Pairs at or above the floor probability, in lk_pairs."""


def score_pairs(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    floor_probability: float = SCORING_FLOOR_PROBABILITY,
    table: str = "lk_profiles",
) -> ScoredPairs:
    """Predict every blocked pair of `table` (lk_profiles, or the same rows with extra columns the
    blocking rules may use); keep those at or above the floor in lk_pairs
    (profile_id_l < profile_id_r, match_weight, match_probability, gamma_<comparison>…)."""
    # gamma (level) columns are only kept with the matching columns
    settings = {**settings, "retain_intermediate_calculation_columns": False, "retain_matching_columns": True}
    linker = make_linker(con, settings, table)
    # the candidate pairs, computed once: counted here, then scored by predict from Splink's cache
    blocked = linker.inference.compute_blocked_pairs_for_predict()
    compared = con.execute(f"select count(*) from {blocked.physical_name}").fetchall()[0][0]
    # the candidate pairs by profile id, for measuring the blocking rules alone (evaluate.py)
    con.execute(f"""
        create or replace temp table lk_blocked as
        select distinct least(join_key_l, join_key_r) as profile_id_l, greatest(join_key_l, join_key_r) as profile_id_r
        from {blocked.physical_name}
    """)
    predictions = linker.inference.predict(threshold_match_probability=floor_probability, warning_mode="never")
    blocked.drop_table_from_database_and_remove_from_cache()
    gamma_columns = [
        f"gamma_{c['output_column_name']}" for c in settings["comparisons"]
    ]
    con.execute(f"""
        create or replace temp table lk_pairs as
        select
            least({UNIQUE_ID}_l, {UNIQUE_ID}_r) as profile_id_l,
            greatest({UNIQUE_ID}_l, {UNIQUE_ID}_r) as profile_id_r,
            match_weight,
            match_probability,
            {", ".join(gamma_columns)}
        from {predictions.physical_name}
    """)
    predictions.drop_table_from_database_and_remove_from_cache()
    return ScoredPairs(compared=compared, kept=con.execute("select count(*) from lk_pairs").fetchall()[0][0])
