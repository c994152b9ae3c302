"""Why two person records were, or were not, linked (`oe linkage explain A B`).

The two records are scored afresh with the model and the term frequencies of the run's records:
each comparison's level and partial match weight (including its term-frequency adjustment), the
prior, the total match weight and probability; then the blocking rules that would have produced
the pair, the edge guards that apply, and what the last run decided.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import duckdb

from oe_platform.linkage.clustering import SOURCE_OF_RECORD, ClusteringConfig, guards_of, pair_evidence_select
from oe_platform.linkage.model import LinkageModel
from oe_platform.linkage.records import prepare_records
from oe_platform.linkage.scoring import make_linker
from oe_platform.linkage.spec import BLOCKING_RULES, level_gammas


class RecordNotFound(LookupError):
    """A person_record_id that is not among the run's records."""


@dataclass
class ComparisonExplanation:
    comparison: str
    level: str
    gamma: int
    left_values: dict[str, Any]
    right_values: dict[str, Any]
    partial_match_weight: float
    term_frequency_adjustment: float


@dataclass
class Explanation:
    record_a: str
    record_b: str
    same_profile: bool
    comparisons: list[ComparisonExplanation]
    prior_match_weight: float
    match_weight: float
    match_probability: float
    threshold: float
    blocking_rules: list[str]
    guards: list[str]
    decision: str
    parameters: str = "the committed model"
    last_run: dict[str, Any] = field(default_factory=dict)
    population: str = ""
    """What the run measured of its records that the guards and threshold follow (households, the
    keying of dates of birth): ClusteringConfig.for_population."""

    def as_text(self) -> str:
        lines = [f"{self.record_a}  vs  {self.record_b}", f"m and u: {self.parameters}"]
        if self.same_profile:
            lines.append("Both records belong to one source record key with identical details: linked "
                         "without scoring.")
        width = max((len(c.comparison) for c in self.comparisons), default=10)
        lines.append(f"{'comparison':<{width}}  {'weight':>8}  level; the values compared (left | right)")
        lines.append(f"{'prior':<{width}}  {self.prior_match_weight:>+8.2f}  probability two random "
                     "profiles match")
        for c in self.comparisons:
            tf = f" (term frequency {c.term_frequency_adjustment:+.2f})" if c.term_frequency_adjustment else ""
            lines.append(f"{c.comparison:<{width}}  {c.partial_match_weight:>+8.2f}  {c.level}{tf}")
            for column in c.left_values:
                left, right = (_show(side[column]) for side in (c.left_values, c.right_values))
                lines.append(f"{'':<{width}}            {column}: {left} | {right}")
        lines.append(f"{'total':<{width}}  {self.match_weight:>+8.2f}  match probability "
                     f"{self.match_probability:.6f} (threshold {self.threshold})")
        lines.append("found by blocking rules: " + (", ".join(self.blocking_rules) or "none (never compared)"))
        if self.population:
            lines.append(f"population: {self.population}")
        lines.append("edge guards: " + (", ".join(self.guards) or "none apply"))
        lines.append(f"decision: {self.decision}")
        for key, value in self.last_run.items():
            lines.append(f"last run: {key}: {value}")
        return "\n".join(lines)


def _show(value: Any) -> str:
    return "∅" if value is None or value != value else str(value)


def _comparison_columns(comparison: dict[str, Any]) -> list[str]:
    """Input columns a comparison reads (from its level SQL), in a stable order."""
    import re

    names: list[str] = []
    for level in comparison["comparison_levels"]:
        for name in re.findall(r'"([a-z0-9_]+)_[lr]"', level["sql_condition"]):
            if name not in names:
                names.append(name)
    return names


def explain_pair(
    con: duckdb.DuckDBPyConnection,
    source_table: str,
    record_a: str,
    record_b: str,
    model: LinkageModel,
    config: ClusteringConfig | None = None,
    prior: float | None = None,
    run_parameters: dict[str, Any] | None = None,
) -> Explanation:
    """Explain the pair (record_a, record_b) among the records of `source_table`, under `prior` (the
    prior the run estimated; default the trained prior rescaled to the number of profiles)."""
    config = config or ClusteringConfig()
    prepared = prepare_records(con, source_table)
    found = dict(con.execute(
        "select person_record_id, profile_id from lk_records where person_record_id in (?, ?)",
        [record_a, record_b],
    ).fetchall())
    for record in (record_a, record_b):
        if record not in found:
            # a source's own reference (a partner's record id, a crime's nominal ref) names the ids to give
            named = con.execute(
                "select person_record_id, source_name, force_code from lk_records where record_ref = ? "
                "order by all limit 5", [record]).fetchall()
            hint = ("; the source reference " + repr(record) + " is person_record_id "
                    + ", ".join(f"{rid} ({source}/{force})" for rid, source, force in named)
                    if named else "; give the person_record_id conformed.person_source_record shows for it")
            raise RecordNotFound(f"person_record_id {record!r} is not among the {prepared.records} records "
                                 f"linked{hint}")
    settings = model.settings_for(prepared.profiles)
    parameters = "the committed model"
    if run_parameters and run_parameters.get("model_version") == model.version:
        # the m and u the run scored with (adapted or committed; parameters.json), and why
        settings["comparisons"] = run_parameters["settings"]["comparisons"]
        report = run_parameters.get("adaptation") or {}
        parameters = f"the last run's: {report.get('mode', 'committed')} ({report.get('reason', '')})"
        adapted = [c["comparison"] for c in report.get("comparisons", []) if c["decision"] == "adapted"]
        rejected = [f"{c['comparison']} ({c['reason']})" for c in report.get("comparisons", [])
                    if c["decision"] == "rejected"]
        if adapted:
            parameters += "; adapted: " + ", ".join(adapted)
        if rejected:
            parameters += "; rejected by the guard, committed kept: " + ", ".join(rejected)
    if prior is not None:
        settings["probability_two_random_records_match"] = prior
    linker = make_linker(con, settings)
    db_api = linker._db_api
    for side, record in (("a", record_a), ("b", record_b)):
        con.execute(f"create or replace temp table lk_explain_{side} as "
                    f"select * from lk_profiles where profile_id = {int(found[record])}")
    left = db_api.register("lk_explain_a", table_name="lk_explain_a_input")
    right = db_api.register("lk_explain_b", table_name="lk_explain_b_input")
    scored = linker.inference.score_pair(left, right)
    row = scored.as_record_list()[0]

    gammas = level_gammas(settings)
    comparisons = []
    for comparison in settings["comparisons"]:
        name = comparison["output_column_name"]
        gamma = int(row[f"gamma_{name}"])
        label = next(label for label, g in gammas[name].items() if g == gamma)
        weight = float(row.get(f"mw_{name}") or 0.0)
        tf_weight = float(row.get(f"mw_tf_adj_{name}") or 0.0)
        columns = _comparison_columns(comparison)
        comparisons.append(ComparisonExplanation(
            comparison=name, level=label, gamma=gamma,
            left_values={c: row.get(f"{c}_l") for c in columns},
            right_values={c: row.get(f"{c}_r") for c in columns},
            partial_match_weight=weight + tf_weight,
            term_frequency_adjustment=tf_weight,
        ))
    prior = settings["probability_two_random_records_match"]
    prior_weight = math.log2(prior / (1 - prior))
    match_weight = float(row["match_weight"])
    probability = float(row["match_probability"])
    blocking = _blocking_rules_found(con)
    population = (run_parameters or {}).get("households") or {}
    households = population.get("full_guard", True)
    register_sources = set(population.get("register_sources") or [])
    if households and register_sources:
        # among households, a pair of two register-like sources' records took the register's rules
        sources = {r[0] for r in con.execute(
            f"select distinct {SOURCE_OF_RECORD} from lk_records where person_record_id in (?, ?)",
            [record_a, record_b]).fetchall()}
        households = not sources <= register_sources
    config = config.for_population(households, population.get("dob_keyed_with_errors", False),
                                   population.get("forenames_replaced", False), population.get("dobs_replaced", False))
    described = describe_population(population, register_pair=bool(register_sources) and not households)
    guards = _guards_applying(con, row, gammas, config, households)
    same_profile = found[record_a] == found[record_b]
    if same_profile:
        decision = "linked (same source record key, identical details)"
    elif probability < config.threshold:
        decision = f"not linked on this pair's evidence: probability below the threshold {config.threshold}"
    elif guards:
        decision = "not linked on this pair's evidence: an edge guard applies"
    elif not blocking:
        decision = "not compared: no blocking rule produces this pair"
    else:
        decision = "linked on this pair's evidence"
    return Explanation(
        record_a=record_a, record_b=record_b, same_profile=same_profile, comparisons=comparisons,
        prior_match_weight=prior_weight, match_weight=match_weight, match_probability=probability,
        threshold=config.threshold, blocking_rules=blocking, guards=guards, decision=decision,
        parameters=parameters, population=described,
    )


def describe_population(population: dict[str, Any], register_pair: bool = False) -> str:
    """The run's `households` parameters in words ('' for a run that did not record them); with
    `register_pair`, for a pair of two register-like sources' records in a run of households."""
    if "full_guard" not in population:
        return ""
    relatives = population.get("relatives_per_1000_profiles")
    sources = population.get("register_sources") or []
    if population["full_guard"] and not register_pair:
        return (f"households ({relatives} evident relatives per 1,000 profiles): the household guards in full, "
                f"threshold {population.get('threshold')}"
                + (f"; register-like sources, linked among themselves as a register: {', '.join(sources)}"
                   if sources else ""))
    if register_pair:
        text = (f"households ({relatives} evident relatives per 1,000 profiles), but both records' sources are "
                f"register-like ({', '.join(sources)}): the register's guards, threshold "
                f"{population.get('register_threshold')}")
    else:
        text = (f"a register ({relatives} evident relatives per 1,000 profiles): the register's guards, threshold "
                f"{population.get('threshold')}")
    if "dob_keying_error_share" in population:
        keyed = population.get("dob_keyed_with_errors")
        text += (f"; dates of birth one keying error apart in {population['dob_keying_error_share']:.1%} of "
                 f"{population.get('dob_keying_error_pairs')} pairs agreeing on names and address: "
                 + ("keyed with errors, two keying errors apart accepted however many years apart" if keyed
                    else "not keyed with errors" + ("" if population.get("dobs_replaced")
                                                    else ", decades apart is a conflict")))
    for value, flag, name, pairs in (
        ("forename", "forenames_replaced", "forenames", "surname, date of birth and address"),
        ("dob", "dobs_replaced", "dates of birth", "names and address"),
    ):
        if f"{value}_replaced_share" in population:
            replaced = population.get(flag)
            text += (f"; {name} unrelated in {population[f'{value}_replaced_share']:.1%} of "
                     f"{population.get(f'{value}_replaced_pairs')} pairs agreeing on {pairs}: "
                     + (f"{name} replaced wholesale, an unrelated one is no conflict when the rest agrees"
                        if replaced else f"{name} not replaced, an unrelated one is a conflict"))
    return text


def _blocking_rules_found(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Names of the blocking rules that admit the pair (either way round)."""
    checks = ", ".join(
        f"coalesce(({sql}), false) or coalesce(({sql.replace('l.', 'x.').replace('r.', 'l.').replace('x.', 'r.')}),"
        f" false)"
        for _, sql in BLOCKING_RULES
    )
    result = con.execute(f"select {checks} from lk_explain_a l, lk_explain_b r").fetchall()[0]
    return [name for (name, _), applies in zip(BLOCKING_RULES, result, strict=True) if applies]


def _guards_applying(
    con: duckdb.DuckDBPyConnection, row: dict[str, Any], gammas: dict, config: ClusteringConfig,
    households: bool = True,
) -> list[str]:
    values = ", ".join(
        f"{int(row[f'gamma_{name}'])} as gamma_{name}" for name in gammas
    )
    guards = guards_of(gammas, config, households)
    checks = ", ".join(f"coalesce(({sql}), false) as {name}" for name, sql in guards.items())
    result = con.execute(f"""
        select {checks}
        from (select {values}, {pair_evidence_select()} from lk_explain_a l, lk_explain_b r)
    """).fetchall()[0]
    return [name for name, applies in zip(guards, result, strict=True) if applies]
