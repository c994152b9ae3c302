"""A standard Splink configuration, trained on the records it links: the yardstick of issue 11.

Issue 11 compares the committed model with "a standard Splink configuration, EM-trained on each file
with the usual name, date-of-birth, address and postcode comparisons". This module is that
configuration, written from Splink's comparison library and its documented training sequence, so
`oe linkage evaluate --baseline` can put both side by side on the same records and the same truth:

- one row per person record (`person_record_id`), `dedupe_only`: no profiles, no source keys, no
  national identifiers, no guards: what a Splink user who is handed the file would do;
- comparisons: `NameComparison` on forename and on surname (exact with term-frequency adjustment,
  Jaro-Winkler 0.92 / 0.88 / 0.7), `DateOfBirthComparison` (exact, one character, a month, a year,
  ten years), `PostcodeComparison` (full, sector, district, area), the address line by Jaro-Winkler
  (exact with term frequencies, 0.9, 0.8);
- blocking for prediction: forename and surname; surname and year of birth; date of birth; postcode;
- the prior from a deterministic rule (forename, surname and date of birth equal) at an assumed
  recall of 0.7; u by random sampling (fixed seed); m by expectation maximisation (u fixed, without
  term frequencies) over two sessions, as Splink's examples do: forename and surname (estimates
  date of birth, postcode, address) and date of birth (names, postcode, address);
- an EM session Splink refuses (Splink 5 raises when EM drives an m probability below 1e-300, which
  happens on small or very clean data: a level seen only among non-matches) is skipped and reported,
  keeping the parameters of the sessions before it (the runs in docs/linkage.md needed none);
- pairs predicted from probability `PREDICT_FLOOR`, clustered by connected components at match
  probability `THRESHOLD` (0.9), a usual choice in Splink's examples. The best F1 over `SWEEP`
  thresholds is also reported, labelled as an upper bound: it is chosen with the truth, which a
  real run does not have.

Nothing here is tuned to the generator: it is the baseline to beat, not a model to use.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb

from oe_platform.linkage.quality import PairwiseAccuracy, pairwise_accuracy

THRESHOLD = 0.9
"""Match probability at which the baseline's pairs are clustered (connected components)."""
PREDICT_FLOOR = 0.01
"""Pairs below this probability are not kept by predict (none of the thresholds below needs them)."""
SWEEP = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99, 0.995, 0.999)
"""Thresholds over which the best F1 (an upper bound, chosen with the truth) is looked for."""
PRIOR_RECALL = 0.7
U_MAX_PAIRS = 2e6
SEED = 20250101
INPUT_TABLE = "bl_records"
EM_RULES: tuple[tuple[str, ...], ...] = (("forename", "surname"), ("dob",))
"""The blocking rules of the EM sessions (each estimates the comparisons it does not block on): the two
of Splink's own examples. A third session blocked on postcode (offered by `em_rules`) is worse for the
baseline on every profile measured: within a postcode EM takes a household for one person and learns
that matches often disagree on forename and date of birth (docs/linkage.md, "Against a standard Splink
configuration")."""


class BaselineError(RuntimeError):
    """The standard configuration could not be trained on these records."""


@dataclass
class BaselineResult:
    """What the standard configuration did, and how accurate it was."""

    threshold: float
    accuracy: PairwiseAccuracy | None
    records: int
    pairs_compared: int
    pairs_predicted: int
    prior: float
    best_threshold: float | None = None
    best_accuracy: PairwiseAccuracy | None = None
    sweep: dict[float, PairwiseAccuracy] = field(default_factory=dict)
    seconds: float = 0.0
    settings: dict[str, Any] = field(default_factory=dict)
    em_sessions: dict[str, str] = field(default_factory=dict)
    """Each EM session (its blocking columns) and whether it estimated m or Splink refused it."""

    def as_dict(self) -> dict[str, Any]:
        def acc(a: PairwiseAccuracy | None) -> dict[str, float] | None:
            return None if a is None else {**asdict(a), "precision": a.precision, "recall": a.recall, "f1": a.f1}

        return {
            "configuration": "standard Splink (oe_platform/linkage/baseline.py)",
            "threshold_match_probability": self.threshold,
            "accuracy": acc(self.accuracy),
            "best_f1_over_thresholds_upper_bound": None if self.best_accuracy is None else {
                "threshold_match_probability": self.best_threshold, **(acc(self.best_accuracy) or {})},
            "sweep": {str(t): acc(a) for t, a in self.sweep.items()},
            "records": self.records,
            "pairs_compared": self.pairs_compared,
            "pairs_predicted_from_floor": self.pairs_predicted,
            "predict_floor_probability": PREDICT_FLOOR,
            "prior_probability_two_random_records_match": self.prior,
            "em_sessions": self.em_sessions,
            "seconds": round(self.seconds, 3),
        }


def baseline_settings() -> Any:
    """The standard configuration (Splink's SettingsCreator), before training."""
    import splink.comparison_library as cl
    from splink import SettingsCreator, block_on

    return SettingsCreator(
        link_type="dedupe_only",
        unique_id_column_name="person_record_id",
        comparisons=[
            cl.NameComparison("forename").configure(term_frequency_adjustments=True),
            cl.NameComparison("surname").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("dob", input_is_string=False),
            cl.PostcodeComparison("postcode"),
            cl.JaroWinklerAtThresholds("address", [0.9, 0.8]).configure(term_frequency_adjustments=True),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("forename", "surname"),
            block_on("surname", "dob_year"),
            block_on("dob"),
            block_on("postcode"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )


def prepare_input(con: duckdb.DuckDBPyConnection, source_table: str) -> int:
    """The columns the standard configuration reads, one row per person record (table bl_records)."""
    con.execute(f"""
        create or replace temp table {INPUT_TABLE} as
        select
            person_record_id,
            nullif(trim(forename_std), '') as forename,
            nullif(trim(surname_std), '') as surname,
            date_of_birth as dob,
            cast(year(date_of_birth) as varchar) as dob_year,
            nullif(trim(postcode_std), '') as postcode,
            nullif(trim(address_std), '') as address
        from {source_table}
    """)
    return con.execute(f"select count(*) from {INPUT_TABLE}").fetchall()[0][0]


def run_baseline(
    con: duckdb.DuckDBPyConnection,
    source_table: str,
    truth_table: str | None = None,
    threshold: float = THRESHOLD,
    sweep: tuple[float, ...] = SWEEP,
    em_rules: tuple[tuple[str, ...], ...] | None = None,
) -> BaselineResult:
    """Train the standard configuration on `source_table`'s records (int_person_records columns),
    predict, cluster at `threshold` and, with `truth_table` (person_record_id, true_person_id),
    measure it as the committed model is measured (`quality.pairwise_accuracy`)."""
    from splink import DuckDBAPI, Linker, block_on

    started = time.perf_counter()
    records = prepare_input(con, source_table)
    if records < 2:
        raise ValueError(f"the baseline needs at least two person records, {source_table} has {records}")
    con.execute("set enable_progress_bar = false")
    logging.getLogger("splink").setLevel(logging.WARNING)
    db_api = DuckDBAPI(connection=con)
    frame = db_api.register(INPUT_TABLE, table_name=f"{INPUT_TABLE}_input")
    linker = Linker(frame, baseline_settings(), log_level=logging.WARNING)

    linker.training.estimate_probability_two_random_records_match(
        [block_on("forename", "surname", "dob")], recall=PRIOR_RECALL)
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(U_MAX_PAIRS, records * (records - 1) / 2), seed=SEED)
    sessions: dict[str, str] = {}
    for columns in em_rules or EM_RULES:
        name = " and ".join(columns)
        before = linker.misc.save_model_to_json()
        try:
            linker.training.estimate_parameters_using_expectation_maximisation(
                block_on(*columns), estimate_without_term_frequencies=True)
            sessions[name] = "estimated"
        except ValueError as error:  # Splink 5 refuses an m that underflows to 0 (small or very clean data)
            if "below the minimum allowed value" not in str(error):
                raise
            sessions[name] = "skipped: " + str(error).split(". ")[0]
            # the failed session may have changed some parameters (the prior): back to those before it
            linker = Linker(frame, before, log_level=logging.WARNING)
    if not any(state == "estimated" for state in sessions.values()):
        raise BaselineError(f"no EM session of the standard configuration converged on {source_table}: {sessions}")
    settings = linker.misc.save_model_to_json()
    prior = float(settings["probability_two_random_records_match"])

    blocked = linker.inference.compute_blocked_pairs_for_predict()
    compared = con.execute(f"select count(*) from {blocked.physical_name}").fetchall()[0][0]
    predictions = linker.inference.predict(threshold_match_probability=PREDICT_FLOOR, warning_mode="never")
    blocked.drop_table_from_database_and_remove_from_cache()
    predicted = con.execute(f"select count(*) from {predictions.physical_name}").fetchall()[0][0]

    def cluster(at: float) -> str:
        clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(
            predictions, threshold_match_probability=at)
        con.execute(f"""
            create or replace temp table bl_clusters as
            select person_record_id, cast(cluster_id as varchar) as person_id from {clusters.physical_name}
        """)
        clusters.drop_table_from_database_and_remove_from_cache()
        return "bl_clusters"

    result = BaselineResult(threshold=threshold, accuracy=None, records=records, pairs_compared=compared,
                            pairs_predicted=predicted, prior=prior, settings=settings, em_sessions=sessions)
    if truth_table is not None:
        for at in sorted(set(sweep) | {threshold}):
            result.sweep[at] = pairwise_accuracy(con, cluster(at), truth_table)
        result.accuracy = result.sweep[threshold]
        result.best_threshold = max(result.sweep, key=lambda t: (result.sweep[t].f1, t))
        result.best_accuracy = result.sweep[result.best_threshold]
    cluster(threshold)  # bl_clusters holds the clusters at the stated threshold
    predictions.drop_table_from_database_and_remove_from_cache()
    result.seconds = time.perf_counter() - started
    return result


def format_comparison(committed: PairwiseAccuracy | None, baseline: BaselineResult, committed_threshold: float) -> str:
    """Both models' pairwise figures, one line each (what `oe linkage evaluate --baseline` prints)."""
    lines = ["committed model against the standard Splink configuration (same records, same truth, "
             "pairs of person records):",
             f"  {'':<44} {'precision':>9} {'recall':>9} {'F1':>9}"]

    def row(label: str, a: PairwiseAccuracy | None) -> str:
        if a is None:
            return f"  {label:<44} {'-':>9} {'-':>9} {'-':>9}"
        return f"  {label:<44} {a.precision:>9.5f} {a.recall:>9.5f} {a.f1:>9.5f}"

    lines.append(row(f"committed model (threshold {committed_threshold})", committed))
    lines.append(row(f"standard Splink (threshold {baseline.threshold})", baseline.accuracy))
    if baseline.best_accuracy is not None:
        lines.append(row(f"standard Splink, best F1 (threshold {baseline.best_threshold})*", baseline.best_accuracy))
        lines.append("  * an upper bound for the baseline: the threshold is chosen with the truth, which a run does "
                     "not have")
    lines.append(f"  standard Splink: {baseline.records:,} records, {baseline.pairs_compared:,} pairs compared, "
                 f"prior {baseline.prior:.3g}, {baseline.seconds:.1f} s")
    lines += [f"  EM session on {name}: {state}" for name, state in baseline.em_sessions.items()
              if state != "estimated"]
    return "\n".join(lines)
