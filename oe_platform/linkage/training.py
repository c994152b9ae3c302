"""Training the person-linkage model, explicitly and reproducibly (`oe linkage train`).

1. The prior (λ, probability that two random profiles match) from deterministic rules
   (spec.DETERMINISTIC_RULES) with an assumed recall (spec.DETERMINISTIC_RULES_RECALL). It is
   stored as expected matches per profile, λ × (profiles − 1), so a run can rescale it to its size.
2. u probabilities by random sampling of pairs, with a fixed seed.
3. m probabilities by expectation maximisation over the pairs of each spec.EM_TRAINING_RULES rule
   (each session estimates the comparisons its rule does not use), u held fixed.

The result is written as `linkage/models/person_linkage_v<N>.json` (Splink settings) with
`person_linkage_v<N>.meta.json` (data, seed, sizes, date, settings hash). Commit both.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import splink

from oe_platform.linkage.model import MODELS_DIR, metadata_path, model_path, model_versions
from oe_platform.linkage.records import prepare_records
from oe_platform.linkage.scoring import make_linker
from oe_platform.linkage.spec import (
    DETERMINISTIC_RULES,
    DETERMINISTIC_RULES_RECALL,
    EM_TRAINING_RULES,
    settings_hash,
    untrained_settings,
)

M_FLOOR = 0.01
"""No level's m probability is below 1%: the training data (synthetic) has no DOB keying errors, no
sex recording errors and no middle-name variants, but real records do; without a floor such a
level would veto a match outright (a weight of -50 bits)."""
U_UNOBSERVED = 1e-3
"""u of a level never seen among sampled random pairs (so never seen in the training data at all)."""
IDENTIFIER_DONOR = "pnc_id"
"""An identifier comparison with no trained parameters (no values in the training data) takes the
parameters of the PNC ID comparison: an identifier issued to one person by a national system."""

DEFAULT_U_MAX_PAIRS = 2e7
DEFAULT_EM_MAX_PAIRS = 5e6
DEFAULT_SEED = 20250101


@dataclass(frozen=True)
class TrainedModel:
    settings: dict[str, Any]
    metadata: dict[str, Any]


def train(
    con: duckdb.DuckDBPyConnection,
    source_table: str,
    training_data: dict[str, Any],
    seed: int = DEFAULT_SEED,
    u_max_pairs: float = DEFAULT_U_MAX_PAIRS,
    em_max_pairs: float = DEFAULT_EM_MAX_PAIRS,
) -> TrainedModel:
    """Estimate the model's parameters from the person records in `source_table`.

    `training_data` describes where the records came from (kept in the metadata)."""
    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    prepared = prepare_records(con, source_table)
    linker = make_linker(con, untrained_settings())
    linker.training.estimate_probability_two_random_records_match(
        DETERMINISTIC_RULES, recall=DETERMINISTIC_RULES_RECALL
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=u_max_pairs, seed=seed, min_count_per_level=None)
    for rule in EM_TRAINING_RULES:
        linker.training.estimate_parameters_using_expectation_maximisation(
            rule, estimate_without_term_frequencies=True, max_pairs=em_max_pairs
        )
    settings = linker.misc.save_model_to_json()
    settings.pop("linker_uid", None)
    adjustments = regularise(settings)
    prior = settings["probability_two_random_records_match"]
    metadata = {
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "training_seconds": round(time.perf_counter() - started, 1),
        "settings_hash": settings_hash(),
        "splink_version": splink.__version__,
        "duckdb_version": duckdb.__version__,
        "training_data": training_data,
        "person_records": prepared.records,
        "profiles": prepared.profiles,
        "seed": seed,
        "u_max_pairs": u_max_pairs,
        "em_max_pairs": em_max_pairs,
        "em_training_rules": EM_TRAINING_RULES,
        "deterministic_rules": DETERMINISTIC_RULES,
        "deterministic_rules_recall": DETERMINISTIC_RULES_RECALL,
        "probability_two_random_records_match": prior,
        "expected_matches_per_profile": prior * max(prepared.profiles - 1, 1),
        "regularisation": {"m_floor": M_FLOOR, "u_unobserved": U_UNOBSERVED,
                           "identifier_donor": IDENTIFIER_DONOR, "adjusted_levels": adjustments},
    }
    return TrainedModel(settings=settings, metadata=metadata)


def regularise(settings: dict[str, Any]) -> list[str]:
    """Make every level usable and no level absolute (in place); return what was changed.

    1. An identifier comparison with no trained level copies IDENTIFIER_DONOR's parameters.
    2. A level without a u probability gets U_UNOBSERVED.
    3. m probabilities of the non-null levels are floored at M_FLOOR (untrained ones set to it) and
       renormalised to sum to 1.
    """
    changed: list[str] = []
    comparisons = {c["output_column_name"]: c for c in settings["comparisons"]}
    donor = comparisons.get(IDENTIFIER_DONOR)
    for name, comparison in comparisons.items():
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        untrained = all("m_probability" not in lv and "u_probability" not in lv for lv in levels)
        if untrained and donor is not None and name != IDENTIFIER_DONOR and len(levels) == 2:
            donor_levels = [lv for lv in donor["comparison_levels"] if not lv.get("is_null_level")]
            for level, source in zip(levels, donor_levels, strict=True):
                level["m_probability"] = source["m_probability"]
                level["u_probability"] = source["u_probability"]
            changed.append(f"{name}: parameters of {IDENTIFIER_DONOR}")
        for level in levels:
            if "u_probability" not in level:
                level["u_probability"] = U_UNOBSERVED
                changed.append(f"{name}/{level['label_for_charts']}: u set to {U_UNOBSERVED}")
        raw = [level.get("m_probability") for level in levels]
        floored = [max(m, M_FLOOR) if m is not None else M_FLOOR for m in raw]
        total = sum(floored)
        for level, m_before, m_after in zip(levels, raw, floored, strict=True):
            level["m_probability"] = m_after / total
            if m_before is None or m_before < M_FLOOR:
                changed.append(f"{name}/{level['label_for_charts']}: m {m_before} floored")
    return changed


def level_key(comparison: dict[str, Any], level: dict[str, Any]) -> tuple[str, str, str]:
    return (comparison["output_column_name"], level.get("label_for_charts", ""), level.get("sql_condition", ""))


def extend(model: TrainedModel, base: dict[str, Any], base_metadata: dict[str, Any], base_version: int
           ) -> TrainedModel:
    """`model` with the parameters of `base` (a committed model's settings) for every level the two share
    (the same comparison, label and condition): only the levels new in `model` keep its estimates, and
    the shared levels of their comparison are scaled so that m and u each still sum to 1. The prior
    (`base_metadata`'s expected matches per profile) is the base's too.

    Adding a level to a validated model should not move the others by the sampling noise of a second
    training run: a rare level's u sampled from 2 × 10⁷ random pairs can be seen a few times in one
    sample and not at all in the next (`U_UNOBSERVED`), which moves its weight by ten bits."""
    settings = json.loads(json.dumps(model.settings))
    kept = {level_key(c, lv): lv for c in base["comparisons"] for lv in c["comparison_levels"]
            if not lv.get("is_null_level")}
    new_levels = []
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        fresh = [lv for lv in levels if level_key(comparison, lv) not in kept]
        new_levels += [f"{comparison['output_column_name']}/{lv['label_for_charts']}" for lv in fresh]
        for name in ("m_probability", "u_probability"):
            fresh_mass = sum(lv[name] for lv in fresh)
            for level in levels:
                if any(level is new for new in fresh):
                    continue
                level[name] = kept[level_key(comparison, level)][name] * (1 - fresh_mass)
    settings["probability_two_random_records_match"] = base["probability_two_random_records_match"]
    metadata = dict(model.metadata)
    for key in ("probability_two_random_records_match", "expected_matches_per_profile"):
        metadata[key] = base_metadata[key]
    # what regularisation did to the levels kept from the base is in the base's metadata, not here
    regularisation = dict(metadata.get("regularisation", {}))
    regularisation["adjusted_levels"] = [entry for entry in regularisation.get("adjusted_levels", [])
                                         if entry.split(":")[0] in new_levels]
    regularisation["kept_levels"] = f"as in v{base_version}'s metadata"
    metadata["regularisation"] = regularisation
    metadata["extends"] = {
        "version": base_version,
        "new_levels": new_levels,
        "how": f"the levels model v{base_version} has keep its m and u (scaled by the new levels' share); "
               "the new levels' m and u, and nothing else, come from this training run; the prior is "
               f"v{base_version}'s",
    }
    return TrainedModel(settings=settings, metadata=metadata)


def save(model: TrainedModel, version: int | None = None, directory: Path = MODELS_DIR) -> Path:
    """Write the model and its metadata as the next version (or `version`); return the model path."""
    directory.mkdir(parents=True, exist_ok=True)
    if version is None:
        existing = model_versions(directory)
        version = (existing[-1] + 1) if existing else 1
    path = model_path(version, directory)
    metadata = {"version": version, **model.metadata}
    path.write_text(json.dumps(model.settings, indent=2) + "\n", encoding="utf-8")
    metadata_path(path).write_text(json.dumps(metadata, indent=2) + "\n", encoding="utf-8")
    return path
