"""A linkage run: standardised person records in, Parquet outputs under <lake>/linkage out.

    records  -> profiles (records.py) -> scored pairs (scoring.py, the committed model)
             -> clusters with guards (clustering.py) -> stable person ids (identity.py)
             -> clusters / pairs / review / quality Parquet and a chart (quality.py)

A run uses the committed model (model.py) and estimates only its own prior; with
ClusteringConfig(adapt_parameters=True) it also adapts m and u to its records, guarded (adapt.py).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from oe_platform.config import Settings, working_connection
from oe_platform.governance.events import record_linkage
from oe_platform.linkage import incremental
from oe_platform.linkage.adapt import AdaptationReport, adapt_settings
from oe_platform.linkage.clustering import (
    ClusteringConfig,
    add_pair_evidence,
    cluster_profiles,
    dob_keyed_with_errors,
    dob_keying_error_share,
    household_relatives_per_1000,
    mark_register_profiles,
    register_pairs_sql,
    register_sources,
    replaced_value_shares,
    values_replaced,
)
from oe_platform.linkage.identity import build_person_ids, load_previous_assignments
from oe_platform.linkage.incremental import MAX_NEW_SHARE
from oe_platform.linkage.model import MAX_PRIOR, LinkageModel, load_model
from oe_platform.linkage.prior import PriorEstimate, apply_prior, estimate_prior
from oe_platform.linkage.quality import PairwiseAccuracy, pairwise_accuracy, quality_table, write_histogram_chart
from oe_platform.linkage.records import prepare_records
from oe_platform.linkage.scoring import PAIR_FLOOR_PROBABILITY, ScoredPairs, score_pairs
from oe_platform.linkage.spec import level_gammas
from oe_platform.pause import pause_point
from oe_platform.spark_catalog import warehouse_engine
from oe_platform.staging_state import bronze_epoch

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

WAREHOUSE_RELATION = "conformed.int_person_records"
OUTPUT_FILES = ("clusters.parquet", "pairs.parquet", "review.parquet", "quality.parquet")
RECORDS_SNAPSHOT = "person_records.parquet"
CHART_FILE = "match_weight_histogram.html"
PARAMETERS_FILE = "parameters.json"


@dataclass
class LinkageRun:
    """What one run produced, as DuckDB tables in `con` (lk_clusters, lk_pairs_out, lk_review,
    lk_quality) and in summary form."""

    con: duckdb.DuckDBPyConnection
    model: LinkageModel
    config: ClusteringConfig
    summary: dict[str, float]
    timings: dict[str, float]
    accuracy: PairwiseAccuracy | None = None
    settings: dict | None = None
    """The Splink settings the run scored with (the committed model, adapted or not; the run's prior)."""
    adaptation: AdaptationReport | None = None
    written: list[Path] = field(default_factory=list)
    mode: incremental.Mode | None = None
    """Incremental or full, and why."""
    state: Path | None = None
    """Where write_outputs writes the linkage state for the next run (None: no state kept)."""
    epoch: str | None = None
    """The bronze epoch of the records linked (incremental.decide: a state of another epoch is
    rewritten whole)."""
    households: dict | None = None
    """Evident relatives per 1,000 profiles and whether the household_relative guard held in full
    (clustering.household_relatives_per_1000)."""

    def table(self, name: str) -> pd.DataFrame:
        return self.con.execute(f"select * from {name}").df()

    @property
    def clusters(self) -> pd.DataFrame:
        return self.table("lk_clusters")

    @property
    def pairs(self) -> pd.DataFrame:
        return self.table("lk_pairs_out")

    @property
    def review(self) -> pd.DataFrame:
        return self.table("lk_review")

    @property
    def quality(self) -> pd.DataFrame:
        return self.table("lk_quality")


def link_records(
    con: duckdb.DuckDBPyConnection,
    source_table: str,
    model: LinkageModel | None = None,
    config: ClusteringConfig | None = None,
    previous: pd.DataFrame | str | None = None,
    truth_table: str | None = None,
    engine: str = "duckdb",
    spark: SparkSession | None = None,
    state: Path | None = None,
    force_full: bool = False,
    max_new_share: float = MAX_NEW_SHARE,
    epoch: str | None = None,
) -> LinkageRun:
    """Link the person records in `source_table` (a table or view in `con`).

    `previous` (person_record_id, person_id; a frame or a table of `con`) carries person ids forward
    from an earlier run;
    `truth_table` (person_record_id, true_person_id) adds pairwise accuracy to the quality report.
    `engine` "spark" scores the pairs on Spark (`spark`, else a local session; spark_backend.py):
    the same pairs come back into lk_pairs, and everything else runs here as with "duckdb".
    `state` (a directory, <lake>/linkage/state for the platform's run) makes the run incremental when
    it can be (incremental.py): only pairs with a new or changed profile are scored, the others come
    from the state; the run falls back to a full relink, and says why, when there is no usable state,
    when `force_full` or $OE_LINKAGE_FULL, on spark, with adapted m and u, or when more than
    `max_new_share` of the profiles are new. Either way the run leaves the next state in its
    connection (on duckdb), which write_outputs writes beside the outputs.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    model = model or load_model()
    config = config or ClusteringConfig()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    prepared = prepare_records(con, source_table)
    timings["prepare_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    settings = model.settings_for(prepared.profiles)
    mode: incremental.Mode | None = None
    planning = 0.0  # deciding incremental or full with the kept parameters: plan time, not adapt time
    adaptation = AdaptationReport("committed", "adaptation switched off")
    if config.adapt_parameters and prepared.profiles > 1:
        # the m and u of the last full relink while the run can be incremental (stored_parameters)
        kept = incremental.stored_parameters(state, settings) if engine == "duckdb" else None
        if kept is not None:
            trial_started = time.perf_counter()
            trial = incremental.decide(con, state, kept[0], engine, False, force_full, max_new_share, epoch)
            planning = time.perf_counter() - trial_started
            if trial.incremental:
                settings, mode = kept[0], trial
                adaptation = AdaptationReport.from_dict(kept[1], kept_from_state=True)
        if mode is None:
            base = incremental.fingerprint(settings)
            settings, adaptation = adapt_settings(con, settings, prepared.profiles)
            adaptation.base_fingerprint = base
    timings["adapt_seconds"] = time.perf_counter() - started - planning

    started = time.perf_counter() - planning
    if mode is None:
        mode = (incremental.decide(con, state, settings, engine, adaptation.mode == "adapted", force_full,
                                   max_new_share, epoch)
                if state is not None else incremental.Mode(False, "no state directory given"))
    timings["plan_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    reused = 0
    if mode.incremental:
        scored = (incremental.score_new_pairs(con, settings) if mode.new_profiles and prepared.profiles > 1
                  else None) or _empty_pairs(con, settings)
        add_pair_evidence(con)  # for the new pairs; the reused ones bring theirs from the state
        incremental.build_profile_term_frequencies(con, settings)
        reused = incremental.reuse_pairs(con, settings)
    else:
        scored = _score(con, settings, engine, spark) if prepared.profiles > 1 else _empty_pairs(con, settings)
        add_pair_evidence(con)  # what the edge guards read, kept with the pairs in the state
    keep_state = state is not None and engine == "duckdb"
    if keep_state:
        if not mode.incremental:
            incremental.build_profile_term_frequencies(con, settings)
        incremental.capture_state(con, settings, mode)
    timings["score_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    trained_prior = settings["probability_two_random_records_match"]
    prior = (estimate_prior(con, "lk_pairs", prepared.profiles, trained_prior, MAX_PRIOR) if config.estimate_prior
             else PriorEstimate(trained_prior, trained_prior, 0, trained_prior * max(prepared.profiles - 1, 0)))
    apply_prior(con, "lk_pairs", trained_prior, prior.estimated, PAIR_FLOOR_PROBABILITY)
    settings["probability_two_random_records_match"] = prior.estimated
    timings["prior_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    gammas = level_gammas(settings)
    relatives = household_relatives_per_1000(con)
    households = {"relatives_per_1000_profiles": round(relatives, 3), "minimum": config.household_relatives_min,
                  "full_guard": relatives >= config.household_relatives_min}
    # among households, the sources whose own records hold none (a partner's register delivered into a
    # run of force records) are linked among themselves as a register: the keying and replacement
    # shares are then measured on their pairs
    sources = register_sources(con) if households["full_guard"] else []
    among = "true"
    if sources:
        mark_register_profiles(con, sources)
        among = register_pairs_sql()
        households["register_sources"] = sources
    dob_share, dob_pairs = dob_keying_error_share(con, gammas, among)
    households.update(dob_keying_error_share=round(dob_share, 4), dob_keying_error_pairs=dob_pairs,
                      dob_keyed_with_errors=dob_keyed_with_errors(dob_share, dob_pairs))
    replaced = replaced_value_shares(con, gammas, among)
    households.update(replaced,
                      forenames_replaced=values_replaced(replaced["forename_replaced_share"],
                                                         replaced["forename_replaced_pairs"]),
                      dobs_replaced=values_replaced(replaced["dob_replaced_share"], replaced["dob_replaced_pairs"]))
    register_flags = (households["dob_keyed_with_errors"], households["forenames_replaced"],
                      households["dobs_replaced"])
    # the threshold and guards these records take
    config = config.for_population(households["full_guard"], *register_flags)
    households["threshold"] = config.threshold
    register = config.for_population(False, *register_flags) if sources else None
    if register is not None:
        households["register_threshold"] = register.threshold
    result = cluster_profiles(con, gammas, config, households["full_guard"], register)
    timings["cluster_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    con.register("lk_profile_labels", result.labels)
    con.execute("""
        create or replace temp table lk_record_clusters as
        select r.person_record_id, l.cluster_id as cluster
        from lk_records r join lk_profile_labels l using (profile_id)
    """)
    if isinstance(previous, pd.DataFrame):
        con.register("lk_previous_frame", previous[["person_record_id", "person_id"]])
        con.execute("create or replace temp table lk_previous as select * from lk_previous_frame")
        previous = "lk_previous"
    build_person_ids(con, "lk_record_clusters", previous)
    con.execute("drop table lk_record_clusters")
    con.register("lk_edges", result.edges)
    _build_clusters(con, model.version)
    timings["identity_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    _build_pairs_output(con, settings)
    review = pd.DataFrame(result.review, columns=REVIEW_COLUMNS)
    con.register("lk_review_guard", review)
    _build_review(con, config.threshold)
    accuracy = pairwise_accuracy(con, "lk_clusters", truth_table) if truth_table else None
    edge_counts = dict(con.execute("select edge_status, count(*) from lk_pairs group by 1").fetchall())
    kinds = result.edges.groupby("kind").size().to_dict()
    summary = {
        "model_version": model.version,
        "linkage_incremental": int(mode.incremental),  # which mode and why: LinkageRun.mode
        "threshold_match_probability": config.threshold,
        "parameters_adapted": int(adaptation.mode == "adapted"),
        "household_relatives_per_1000_profiles": households["relatives_per_1000_profiles"],
        "household_guard_full": int(households["full_guard"]),
        "dob_keying_error_share": households["dob_keying_error_share"],
        "dob_keyed_with_errors": int(households["dob_keyed_with_errors"]),
        "forename_replaced_share": households["forename_replaced_share"],
        "forenames_replaced": int(households["forenames_replaced"]),
        "dob_replaced_share": households["dob_replaced_share"],
        "dobs_replaced": int(households["dobs_replaced"]),
        "comparisons_adapted": sum(c.decision == "adapted" for c in adaptation.comparisons),
        "prior_probability_two_random_records_match": prior.estimated,
        "prior_trained_rescaled": prior.trained,
        "prior_estimate_iterations": prior.iterations,
        "expected_matches_per_profile": round(prior.expected_matches_per_profile, 4),
        "person_records": prepared.records,
        "profiles": prepared.profiles,
        "area_postcodes_set_aside": prepared.area_postcodes,
        "area_postcode_records": prepared.area_postcode_records,
        "pairs_compared": scored.compared,
        "pairs_reused_from_state": reused,
        "profiles_new_or_changed": mode.new_profiles if mode.incremental else prepared.profiles,
        "pairs_kept_at_or_above_floor": con.execute("select count(*) from lk_pairs").fetchall()[0][0],
        "pair_floor_probability": PAIR_FLOOR_PROBABILITY,
        "pairs_at_or_above_threshold": sum(v for k, v in edge_counts.items() if k != "below_threshold"),
        "pairs_accepted": edge_counts.get("accepted", 0),
        **{f"pairs_vetoed_{k}": v for k, v in sorted(edge_counts.items())
           if k not in ("accepted", "below_threshold")},
        **{f"edges_{k}": v for k, v in sorted(kinds.items())},
        "edges_not_used_by_cluster_guard": int((~result.edges["used"]).sum()),
        "components_split_by_guard": len(result.review),
        **{f"review_{k}": v for k, v in sorted(con.execute(
            "select review_type, count(*) from lk_review group by 1").fetchall())},
        **_cluster_summary(con),
    }
    timings["quality_seconds"] = time.perf_counter() - started
    summary.update({k: round(v, 3) for k, v in timings.items()})
    quality = quality_table(con, "lk_clusters", "lk_pairs", summary, accuracy)
    con.register("lk_quality_frame", quality)
    con.execute("create or replace temp table lk_quality as select * from lk_quality_frame")
    return LinkageRun(con=con, model=model, config=config, summary=summary, timings=timings, accuracy=accuracy,
                      settings=settings, adaptation=adaptation, mode=mode, state=state if keep_state else None,
                      households=households, epoch=epoch)


ENGINES = ("duckdb", "spark")
ENGINE_ENV = "OE_LINKAGE_ENGINE"


def default_engine() -> str:
    """The scoring engine of a pipeline run: $OE_LINKAGE_ENGINE, else spark when dbt runs on its spark
    target ($OE_DBT_TARGET=spark), else duckdb."""
    import os

    engine = os.environ.get(ENGINE_ENV) or ("spark" if os.environ.get("OE_DBT_TARGET") == "spark" else "duckdb")
    if engine not in ENGINES:
        raise ValueError(f"${ENGINE_ENV} must be one of {', '.join(ENGINES)}, not {engine!r}")
    return engine


def _score(con: duckdb.DuckDBPyConnection, settings: dict, engine: str, spark: SparkSession | None) -> ScoredPairs:
    if engine == "spark":
        from oe_platform.linkage.spark_backend import score_pairs_on_spark

        return score_pairs_on_spark(con, settings, spark)
    return score_pairs(con, settings)


REVIEW_COLUMNS = ["review_type", "person_record_id", "other_person_record_id", "reason", "action",
                  "profiles", "records", "match_probability", "detail"]


def _empty_pairs(con: duckdb.DuckDBPyConnection, settings: dict) -> ScoredPairs:
    gammas = ", ".join(f"cast(null as integer) as gamma_{c['output_column_name']}" for c in settings["comparisons"])
    con.execute(f"""
        create or replace temp table lk_pairs as
        select cast(null as bigint) as profile_id_l, cast(null as bigint) as profile_id_r,
               cast(null as double) as match_weight, cast(null as double) as match_probability, {gammas}
        where false
    """)
    return ScoredPairs(compared=0, kept=0)


def _build_clusters(con: duckdb.DuckDBPyConnection, model_version: int) -> None:
    con.execute(f"""
        create or replace temp table lk_clusters as
        with used_edges as (
            select profile_id_l, profile_id_r, probability from lk_edges where used
        ),
        profile_confidence as (
            select profile_id, max(probability) as confidence
            from (
                select profile_id_l as profile_id, probability from used_edges
                union all
                select profile_id_r, probability from used_edges
            )
            group by profile_id
        ),
        members as (
            select
                r.person_record_id,
                r.source_name,
                r.force_code,
                r.record_ref,
                p.person_id,
                r.profile_id,
                l.cluster_id,
                c.confidence,
                pr.record_count as profile_records
            from lk_records r
            join lk_profiles pr using (profile_id)
            join lk_profile_labels l using (profile_id)
            join lk_person_ids p on p.cluster = l.cluster_id
            left join profile_confidence c using (profile_id)
        ),
        cluster_stats as (
            select l.cluster_id, avg(e.probability) as mean_probability
            from used_edges e join lk_profile_labels l on l.profile_id = e.profile_id_l
            group by l.cluster_id
        )
        -- every column cast to its declared type (the dbt source linkage.person_clusters): with no
        -- person records at all the frames above are empty and would otherwise be untyped
        select
            cast(m.person_record_id as varchar) as person_record_id,
            cast(m.person_id as varchar) as person_id,
            cast(count(*) over (partition by m.person_id) as integer) as cluster_size,
            cast(case
                when count(*) over (partition by m.person_id) = 1 then null
                when m.profile_records > 1 then 1.0
                else m.confidence
            end as double) as match_confidence,
            cast(case when count(*) over (partition by m.person_id) > 1 then coalesce(s.mean_probability, 1.0) end
                as double) as cluster_mean_probability,
            cast(m.source_name as varchar) as source_name,
            cast(m.force_code as varchar) as force_code,
            cast(m.record_ref as varchar) as record_ref,
            cast({model_version} as integer) as model_version
        from members m
        left join cluster_stats s using (cluster_id)
        order by m.person_id, m.person_record_id
    """)


def _build_pairs_output(con: duckdb.DuckDBPyConnection, settings: dict) -> None:
    gammas = ", ".join(f"p.gamma_{c['output_column_name']}" for c in settings["comparisons"])
    con.execute(f"""
        create or replace temp table lk_pairs_out as
        select
            a.representative_record_id as person_record_id_l,
            b.representative_record_id as person_record_id_r,
            p.match_weight,
            p.match_probability,
            p.edge_status,
            la.cluster_id = lb.cluster_id as linked,
            {gammas}
        from lk_pairs p
        join lk_profiles a on a.profile_id = p.profile_id_l
        join lk_profiles b on b.profile_id = p.profile_id_r
        join lk_profile_labels la on la.profile_id = p.profile_id_l
        join lk_profile_labels lb on lb.profile_id = p.profile_id_r
    """)


def _build_review(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    """Cluster conflicts (what the guard did) and pairs at or above the threshold that an edge guard
    kept apart and that did not end up together anyway."""
    con.execute(f"""
        create or replace temp table lk_review as
        select
            cast(review_type as varchar) as review_type, cast(person_record_id as varchar) as person_record_id,
            cast(other_person_record_id as varchar) as other_person_record_id, cast(reason as varchar) as reason,
            cast(action as varchar) as action, cast(profiles as integer) as profiles,
            cast(records as integer) as records, cast(match_probability as double) as match_probability,
            cast(detail as varchar) as detail
        from lk_review_guard
        union all
        select
            'vetoed_pair' as review_type,
            person_record_id_l as person_record_id,
            person_record_id_r as other_person_record_id,
            edge_status as reason,
            'not linked: probability at or above {threshold} but an edge guard applies' as action,
            2 as profiles,
            null as records,
            match_probability,
            null as detail
        from lk_pairs_out
        where edge_status not in ('accepted', 'below_threshold') and not linked
        union all
        select * from ({NAME_ONLY_CANDIDATES})
    """)


# A person record that carries a name and nothing else (no date of birth, postcode, phone or
# identifier) cannot reach the threshold against anyone: a full name alone is not 999-in-1,000
# evidence. When such a record stands alone and exactly one resolved person with a date of birth has
# the same surname and a forename that may stand for the same name, that person is offered to an
# analyst as a candidate (never linked automatically).
NAME_ONLY_CANDIDATES = """
    with profile_cluster as (
        select p.*, l.cluster_id
        from lk_profiles p join lk_profile_labels l using (profile_id)
    ),
    name_only_clusters as (
        select cluster_id
        from profile_cluster
        group by cluster_id
        having bool_and(
            date_of_birth is null and postcode_std is null and address_std is null and phone_e164 is null
            and pnc_id is null and cro_number is null and nhs_number is null
        )
    ),
    name_only as (
        select profile_id, representative_record_id, surname_std, forename_std, forename_names, cluster_id
        from profile_cluster
        where cluster_id in (select cluster_id from name_only_clusters)
            and surname_std is not null and forename_names is not null
    ),
    -- a name of one side in the other side's set of names, on the same surname: an equi-join
    name_keys as (
        select profile_id, surname_std, unnest(forename_names) as name from name_only
    ),
    person_keys as (
        select profile_id, representative_record_id, cluster_id, surname_std, unnest(forename_names) as name
        from profile_cluster
        where date_of_birth is not null and forename_names is not null
            and surname_std in (select surname_std from name_only)
    ),
    candidates as (
        select
            n.profile_id,
            n.representative_record_id,
            n.forename_std || ' ' || n.surname_std as name,
            c.cluster_id as candidate_cluster,
            min(c.representative_record_id) as candidate_record
        from name_only n
        join name_keys k on k.profile_id = n.profile_id
        join person_keys c on c.surname_std = k.surname_std and c.name = k.name and c.cluster_id != n.cluster_id
        group by all
    )
    select
        'name_only_candidate' as review_type,
        representative_record_id as person_record_id,
        any_value(candidate_record) as other_person_record_id,
        'a name and nothing else that identifies: below the threshold against anyone' as reason,
        'not linked: the only resolved person with a date of birth and this name; for an analyst to confirm'
            as action,
        2 as profiles,
        null as records,
        null as match_probability,
        any_value(name) as detail
    from candidates
    group by profile_id, representative_record_id
    having count(distinct candidate_cluster) = 1
"""


def _cluster_summary(con: duckdb.DuckDBPyConnection) -> dict[str, float]:
    row = con.execute("""
        select count(*), count(*) filter (where n = 1), max(n), avg(n)
        from (select person_id, count(*) as n from lk_clusters group by person_id)
    """).fetchall()[0]
    return {"persons": row[0], "singleton_persons": row[1], "largest_cluster": row[2] or 0,
            "mean_cluster_size": round(row[3] or 0.0, 4)}


def write_outputs(run: LinkageRun, directory: Path, snapshot_records: bool = True) -> list[Path]:
    """Write clusters, pairs, review and quality Parquet (each replaced atomically), the chart, and
    the records snapshot `oe linkage explain` reads, under `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    tables = {"clusters.parquet": "lk_clusters", "pairs.parquet": "lk_pairs_out",
              "review.parquet": "lk_review", "quality.parquet": "lk_quality"}
    if snapshot_records:
        tables[RECORDS_SNAPSHOT] = "lk_records"
    written = []
    for file_name, table in tables.items():
        target = directory / file_name
        tmp = directory / f".{file_name}.tmp"
        run.con.execute(f"copy (select * from {table}) to '{tmp}' (format parquet)")
        tmp.replace(target)
        written.append(target)
        pause_point("linkage")
    if run.settings is not None:  # the parameters the run used and why (oe linkage explain)
        target = directory / PARAMETERS_FILE
        tmp = directory / f".{PARAMETERS_FILE}.tmp"
        report = run.adaptation.as_dict() if run.adaptation else None
        mode = {"mode": run.mode.name, "reason": run.mode.reason} if run.mode else None
        tmp.write_text(json.dumps({"model_version": run.model.version, "adaptation": report, "linkage_mode": mode,
                                   "households": run.households, "settings": run.settings}, indent=1) + "\n",
                       encoding="utf-8")
        tmp.replace(target)
        written.append(target)
    chart = directory / CHART_FILE
    write_histogram_chart(run.quality, chart)
    written.append(chart)
    if run.state is not None and run.settings is not None:  # what the next run may reuse (incremental.py)
        written.extend(incremental.write_state(run.con, run.state, run.settings, run.model.version,
                                               run.adaptation.as_dict() if run.adaptation else None, run.epoch))
    run.written = written
    return written


def link_warehouse(
    settings: Settings,
    model: LinkageModel | None = None,
    config: ClusteringConfig | None = None,
    relation: str = WAREHOUSE_RELATION,
    engine: str = "duckdb",
    spark: SparkSession | None = None,
    warehouse: str | None = None,
    force_full: bool = False,
    max_new_share: float = MAX_NEW_SHARE,
) -> LinkageRun:
    """Read the person records from the warehouse (read-only), link them with the committed model,
    carry person ids forward from <lake>/linkage/clusters.parquet and write the outputs there.
    `engine` and `spark`: as for link_records. The warehouse is the dbt target's (`warehouse`, else
    $OE_DBT_TARGET): the DuckDB file, or on the spark target its Hive catalogue, read in a child
    process (oe_platform/spark_catalog.py); the outputs are Parquet either way, which the target
    registers as the linkage sources on its next dbt run (macros/register_parquet_sources.sql).
    On duckdb the run is incremental when <lake>/linkage/state allows (see link_records; `force_full`,
    $OE_LINKAGE_FULL and `max_new_share` as there) and leaves the state for the next run there."""
    out_dir = settings.lake / "linkage"
    con = working_connection("linkage")  # held to the pipeline's memory limit; spills beyond it
    if (warehouse or warehouse_engine()) == "spark":
        import tempfile

        from oe_platform.spark_catalog import export_relations

        with tempfile.TemporaryDirectory(prefix="oe-linkage-input-") as tmp:
            exported = export_relations([relation], Path(tmp))[relation]
            con.execute(f"create temp table lk_input as select * from read_parquet('{exported}')")
    else:
        con.execute(f"attach '{settings.warehouse}' as warehouse (read_only)")
        con.execute(f"create temp table lk_input as select * from warehouse.{relation}")
        con.execute("detach warehouse")
    previous = load_previous_assignments(con, out_dir / "clusters.parquet")
    run = link_records(con, "lk_input", model=model, config=config, previous=previous, engine=engine, spark=spark,
                       state=out_dir / incremental.STATE_DIR, force_full=force_full, max_new_share=max_new_share,
                       epoch=bronze_epoch(settings))
    write_outputs(run, out_dir)
    if run.state is None:  # a Spark run keeps no state: an older one would still hold records erased since
        incremental.remove_state(out_dir / incremental.STATE_DIR)
    mode = {"linkage_mode": run.mode.name, "linkage_mode_reason": run.mode.reason} if run.mode else {}
    record_linkage(settings, relation, {**run.summary, **mode}, run.written, engine)  # the audit log: combination
    return run
