"""Score candidate pairs of profiles with Splink (DuckDB) and a committed model."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import duckdb
from splink import DuckDBAPI, Linker

from oe_platform.linkage.spec import UNIQUE_ID

# Pairs scored below this probability are not kept (they cannot be linked; the explanation of any
# pair is computed afresh by `oe linkage explain`).
PAIR_FLOOR_PROBABILITY = 0.01


def make_linker(con: duckdb.DuckDBPyConnection, settings: dict[str, Any], table: str = "lk_profiles") -> Linker:
    """A Splink linker over `table` (already in `con`) with the given settings."""
    con.execute("set enable_progress_bar = false")
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(table, table_name=f"{table}_input")
    return Linker(frame, settings, log_level=logging.WARNING)


@dataclass(frozen=True)
class ScoredPairs:
    compared: int
    """Candidate pairs the blocking rules produced (each scored once)."""
    kept: int
    """Pairs at or above the floor probability, in lk_pairs."""


def score_pairs(
    con: duckdb.DuckDBPyConnection,
    settings: dict[str, Any],
    floor_probability: float = PAIR_FLOOR_PROBABILITY,
) -> ScoredPairs:
    """Predict every blocked pair of lk_profiles; keep those at or above the floor in lk_pairs
    (profile_id_l < profile_id_r, match_weight, match_probability, gamma_<comparison>…)."""
    # gamma (level) columns are only kept with the matching columns
    settings = {**settings, "retain_intermediate_calculation_columns": False, "retain_matching_columns": True}
    linker = make_linker(con, settings)
    counts = linker.blocking_analysis.count_comparisons_from_blocking_rules(record_sample_proportion=1.0)
    compared = int(counts[-1]["cumulative_comparison_count"]) if counts else 0
    predictions = linker.inference.predict(threshold_match_probability=floor_probability, warning_mode="never")
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
