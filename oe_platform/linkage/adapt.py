"""Adapt the committed model to the records being linked (u by random sampling, m by EM), guarded.

The committed model's m and u come from the generator. A delivery from a partner, another force or
another country has other name and postcode frequencies (u) and other keying habits (m). A run
therefore, by default:

1. estimates u on its own profiles by random sampling (Splink `estimate_u_using_random_sampling`,
   fixed seed, so the same records give the same u);
2. runs expectation maximisation (Splink, u fixed, without term frequencies) on its own pairs of the
   two training blocking rules (`spec.EM_TRAINING_RULES`), starting from the committed m;
3. floors m and u as training does (`training.regularise`);
4. per comparison, keeps the new parameters only when they differ from the committed ones by more
   than `MIN_SHIFT_BITS` on some level (the data differs from the training data there) and pass
   the guard against EM collapse; otherwise the committed parameters stay.

The guard (per comparison), against EM going astray, not against the data being different:
- m within a factor `MAX_FACTOR` of the committed value, for the levels whose committed m was
  *estimated*; a level whose committed m sits at the training floor (`training.M_FLOOR`: the
  generator never produced it, so the committed value is ignorance, not evidence) may take what
  EM finds on this run's records;
- u is estimated by random sampling, not by EM, so it cannot collapse; it is only as good as the
  number of sampled pairs at the level: a level seen in fewer than `MIN_U_PAIRS` sampled pairs keeps
  its committed u (a u from one or two pairs would make that level's weight a lottery);
- no two levels whose committed weights differ by more than `ORDER_MARGIN_BITS` swap places by more
  than `ORDER_TOLERANCE_BITS` (exact surnames and surnames one keying error apart may end level on
  noisy data; "within a year" above "one keying error" is EM fitting something else); a level of
  `UNORDERED_LEVELS` keeps its place only against the comparison's strongest and weakest levels, and a
  level whose committed m sits at the training floor (the training data never produced it) may rise
  above a level the training estimated, the strongest included (their committed order is no evidence),
  though not above another level at the floor, and no level may overtake it (a level of
  `UNORDERED_LEVELS`, evidence of another kind than likeness, follows its own rule above);
- the committed strongest level still positive and the else level still negative.
When more than half of the comparisons fail the guard, EM is taken to have collapsed and the whole
committed model is used. A training rule whose EM session Splink stops (an m driven to 0.0, no pairs) is
left out and the estimate made again without it; with every rule failing the committed model is used.
Every decision is in the report, which the run writes to `parameters.json`
and `oe linkage explain` prints.
"""

from __future__ import annotations

import json
import logging
import math
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import duckdb
from splink.internals.exceptions import EMTrainingException

from oe_platform.linkage.scoring import make_linker
from oe_platform.linkage.spec import EM_TRAINING_RULES, NAME_IN_OTHER_FIELD

MIN_SHIFT_BITS = 1.0
"""A comparison is adapted only when some level's weight moves by more than this many bits."""
MAX_FACTOR = 20.0
"""An estimated m moving by more than this factor from the committed value is taken as EM going astray."""
ORDER_MARGIN_BITS = 2.0
"""Two levels whose committed weights differ by more than this must keep their order ..."""
ORDER_TOLERANCE_BITS = 1.0
"""... give or take this much (two levels ending level is data; one overtaking the other is not)."""
UNORDERED_LEVELS = frozenset({NAME_IN_OTHER_FIELD})
"""Levels outside that order among the levels between the comparison's strongest and its weakest: evidence
of another kind than likeness (a name keyed in the other field), whose rank against a typo depends on how
the data was keyed, so the run's own estimate may place it anywhere among them, but never above the
strongest level nor below the weakest (`else`)."""
MIN_U_PAIRS = 20
"""A level's sampled u replaces the committed one only when this many sampled pairs fall in it."""
U_MAX_PAIRS = 5e5
EM_MAX_PAIRS = 5e5
SEED = 20250101
MIN_PROFILES = 1000
"""Below this many profiles there is too little data to estimate anything: the committed model."""


@dataclass
class ComparisonAdaptation:
    comparison: str
    decision: str  # adapted, kept (no material shift), rejected (guard), committed (collapse)
    max_shift_bits: float
    reason: str = ""


@dataclass
class AdaptationReport:
    mode: str  # adapted, committed
    reason: str
    comparisons: list[ComparisonAdaptation] = field(default_factory=list)
    seconds: float = 0.0
    base_fingerprint: str = ""
    """incremental.fingerprint of the committed settings the parameters were chosen from: a run keeps
    stored parameters only while the model, blocking and code are the same."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, document: dict[str, Any], kept_from_state: bool = False) -> AdaptationReport:
        """A stored report (`as_dict`); `kept_from_state`: this run reuses those parameters
        (incremental.stored_parameters), which the reason then says."""
        reason = document.get("reason", "")
        prefix = "kept from the last full relink: "
        if kept_from_state and not reason.startswith(prefix):
            reason = prefix + reason
        return cls(document.get("mode", "committed"), reason,
                   [ComparisonAdaptation(**c) for c in document.get("comparisons", [])],
                   0.0 if kept_from_state else document.get("seconds", 0.0), document.get("base_fingerprint", ""))

    def as_text(self) -> str:
        lines = [f"parameters: {self.mode} ({self.reason})"]
        for c in self.comparisons:
            lines.append(f"  {c.comparison:<14} {c.decision:<9} largest weight shift {c.max_shift_bits:+.2f} bits"
                         + (f"; {c.reason}" if c.reason else ""))
        return "\n".join(lines)


def _levels(comparison: dict[str, Any]) -> list[dict[str, Any]]:
    return [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]


def _weight(level: dict[str, Any]) -> float:
    return math.log2(level["m_probability"] / level["u_probability"])


def _at_floor(m: float) -> bool:
    from oe_platform.linkage.training import M_FLOOR

    # regularise floors then renormalises, so a floored m ends a little off M_FLOOR
    return m <= M_FLOOR * 1.05


def keep_thin_u(new: dict[str, Any], old: dict[str, Any], sampled_pairs: float) -> list[str]:
    """Give the levels of `new` seen in fewer than MIN_U_PAIRS of `sampled_pairs` random pairs the
    committed u back (in place); return their labels."""
    from oe_platform.linkage.training import U_UNOBSERVED

    kept = []
    for n, o in zip(_levels(new), _levels(old), strict=True):
        # U_UNOBSERVED is what regularise gives a level no sampled pair fell in
        thin = n["u_probability"] * sampled_pairs < MIN_U_PAIRS or n["u_probability"] == U_UNOBSERVED
        if thin and n["u_probability"] != o["u_probability"]:
            n["u_probability"] = o["u_probability"]
            kept.append(n["label_for_charts"])
    return kept


def guard_comparison(new: dict[str, Any], old: dict[str, Any]) -> str:
    """Why the new parameters of one comparison are not to be trusted ('' when they are)."""
    new_levels, old_levels = _levels(new), _levels(old)
    for n, o in zip(new_levels, old_levels, strict=True):
        if _at_floor(o["m_probability"]):
            continue
        ratio = n["m_probability"] / o["m_probability"]
        if not (1 / MAX_FACTOR <= ratio <= MAX_FACTOR):
            return f"{n['label_for_charts']}: m moved by a factor {ratio:.3g}"
    weights = [_weight(lv) for lv in new_levels]
    committed = [_weight(lv) for lv in old_levels]
    # an unordered level keeps its place against the strongest and the weakest level only
    by_weight = sorted(range(len(committed)), key=committed.__getitem__)
    ends = {by_weight[0], by_weight[-1]}
    # a level whose committed m sits at the training floor (the training data never produced it) may rise
    # above a level the training did estimate: the one weight is the training data's, the other a floor,
    # so their committed order is no evidence (a middle initial agreeing with a full middle name, where
    # the generator writes middle names in full, may be the run's best middle-name evidence). Between two
    # such levels the specification's order of likeness stands ("within a year" does not overtake "one
    # keying error"), and no level overtakes one at the floor.
    ordered = [lv["label_for_charts"] not in UNORDERED_LEVELS or k in ends for k, lv in enumerate(new_levels)]
    floor = {k for k, o in enumerate(old_levels) if _at_floor(o["m_probability"])}
    # the levels that may rise: at the floor, neither end of the order, not of UNORDERED_LEVELS
    unseen = {k for k in floor if k not in ends and ordered[k]}
    for i, (wi, ci) in enumerate(zip(weights, committed, strict=True)):
        for j, (wj, cj) in enumerate(zip(weights, committed, strict=True)):
            checked = ((ordered[i] and ordered[j]) or i in ends or j in ends) and not (
                j in unseen and i not in floor)
            if checked and ci > cj + ORDER_MARGIN_BITS and wi < wj - ORDER_TOLERANCE_BITS:
                return (f"the weight order inverts: {new_levels[i]['label_for_charts']} no longer above "
                        f"{new_levels[j]['label_for_charts']}")
    best = max(range(len(committed)), key=committed.__getitem__)
    if weights[best] <= 0:
        return f"{new_levels[best]['label_for_charts']} no longer counts for a match"
    if committed[-1] < 0 <= weights[-1]:
        return "disagreement no longer counts against a match"
    return ""


def adapt_settings(
    con: duckdb.DuckDBPyConnection, settings: dict[str, Any], profiles: int
) -> tuple[dict[str, Any], AdaptationReport]:
    """Settings adapted to lk_profiles (see the module docstring) and the report of what was done."""
    from oe_platform.linkage.training import regularise

    started = time.perf_counter()
    if profiles < MIN_PROFILES:
        return settings, AdaptationReport("committed", f"fewer than {MIN_PROFILES} profiles")
    logging.getLogger("splink").setLevel(logging.WARNING)
    sampled_pairs = min(U_MAX_PAIRS, profiles * (profiles - 1) / 2)
    rules, failed = list(EM_TRAINING_RULES), []
    while True:
        linker = make_linker(con, settings)
        linker.training.estimate_u_using_random_sampling(max_pairs=sampled_pairs, seed=SEED, min_count_per_level=None)
        try:
            for rule in rules:
                current = rule
                linker.training.estimate_parameters_using_expectation_maximisation(
                    rule, estimate_without_term_frequencies=True, max_pairs=EM_MAX_PAIRS)
            break
        except (ValueError, EMTrainingException) as error:
            # Splink 5.0 refuses an m that EM drives to 0.0 (a level only pairs it takes for non-matches
            # reach), and a rule no pair meets. A failed session can leave the linker's settings part
            # trained, so the estimate starts again without that rule.
            failed.append(f"{current}: {error}")
            rules.remove(current)
            if not rules:
                report = AdaptationReport("committed", "EM failed on every training rule: " + "; ".join(failed))
                report.seconds = time.perf_counter() - started
                return settings, report
    estimated = linker.misc.save_model_to_json()
    estimated.pop("linker_uid", None)
    regularise(estimated)

    adapted = json.loads(json.dumps(settings))
    old_by_name = {c["output_column_name"]: c for c in settings["comparisons"]}
    new_by_name = {c["output_column_name"]: c for c in estimated["comparisons"]}
    report = AdaptationReport("adapted", "u by random sampling and m by EM on this run's records")
    rejected = 0
    for comparison in adapted["comparisons"]:
        name = comparison["output_column_name"]
        old, new = old_by_name[name], new_by_name[name]
        thin = keep_thin_u(new, old, sampled_pairs)
        shift = max((abs(_weight(n) - _weight(o)) for n, o in zip(_levels(new), _levels(old), strict=True)),
                    default=0.0)
        reason = guard_comparison(new, old)
        if reason:
            rejected += 1
            report.comparisons.append(ComparisonAdaptation(name, "rejected", shift, reason))
            continue
        if shift <= MIN_SHIFT_BITS:
            report.comparisons.append(ComparisonAdaptation(name, "kept", shift, "no material shift"))
            continue
        for level, source in zip(_levels(comparison), _levels(new), strict=True):
            level["m_probability"] = source["m_probability"]
            level["u_probability"] = source["u_probability"]
        report.comparisons.append(ComparisonAdaptation(
            name, "adapted", shift, f"committed u kept for {', '.join(thin)} (too few sampled pairs)" if thin else ""))
    if rejected > len(adapted["comparisons"]) / 2:
        report.mode = "committed"
        report.reason = f"EM collapsed: {rejected} of {len(adapted['comparisons'])} comparisons failed the guard"
        for c in report.comparisons:
            if c.decision == "adapted":
                c.decision = "committed"
        adapted = settings
    elif not any(c.decision == "adapted" for c in report.comparisons):
        report.mode = "committed"
        report.reason = "the run's records match the training data (no comparison shifted materially)"
    if failed:
        report.reason += (f"; EM failed on {len(failed)} of {len(EM_TRAINING_RULES)} training rules: "
                          + "; ".join(failed))
    report.seconds = time.perf_counter() - started
    return adapted, report
