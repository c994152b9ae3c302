"""A linkage run: standardised person records in, Parquet outputs under <lake>/linkage out.

    records  -> profiles (records.py) -> scored pairs (scoring.py, the committed model)
             -> clusters with guards (clustering.py) -> stable person ids (identity.py)
             -> clusters / pairs / review / quality Parquet and a chart (quality.py)

A run never trains: it uses the committed model (model.py) and only rescales its prior to the
number of profiles.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from oe_platform.config import Settings
from oe_platform.linkage.clustering import ClusteringConfig, cluster_profiles
from oe_platform.linkage.identity import assign_person_ids, read_previous_assignments
from oe_platform.linkage.model import LinkageModel, load_model
from oe_platform.linkage.quality import PairwiseAccuracy, pairwise_accuracy, quality_table, write_histogram_chart
from oe_platform.linkage.records import prepare_records
from oe_platform.linkage.scoring import PAIR_FLOOR_PROBABILITY, ScoredPairs, score_pairs
from oe_platform.linkage.spec import level_gammas

WAREHOUSE_RELATION = "conformed.int_person_records"
OUTPUT_FILES = ("clusters.parquet", "pairs.parquet", "review.parquet", "quality.parquet")
RECORDS_SNAPSHOT = "person_records.parquet"
CHART_FILE = "match_weight_histogram.html"


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
    written: list[Path] = field(default_factory=list)

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
    previous: pd.DataFrame | None = None,
    truth_table: str | None = None,
) -> LinkageRun:
    """Link the person records in `source_table` (a table or view in `con`).

    `previous` (person_record_id, person_id) carries person ids forward from an earlier run;
    `truth_table` (person_record_id, true_person_id) adds pairwise accuracy to the quality report.
    """
    model = model or load_model()
    config = config or ClusteringConfig()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    prepared = prepare_records(con, source_table)
    timings["prepare_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    settings = model.settings_for(prepared.profiles)
    scored = score_pairs(con, settings) if prepared.profiles > 1 else _empty_pairs(con, settings)
    timings["score_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    gammas = level_gammas(settings)
    result = cluster_profiles(con, gammas, config)
    timings["cluster_seconds"] = time.perf_counter() - started

    started = time.perf_counter()
    con.register("lk_profile_labels", result.labels)
    records = con.execute("""
        select r.person_record_id, r.profile_id, l.cluster_id as cluster
        from lk_records r join lk_profile_labels l using (profile_id)
    """).df()
    person_ids = assign_person_ids(records[["person_record_id", "cluster"]], previous)
    con.register("lk_person_ids", person_ids.rename_axis("cluster").reset_index())
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
        "threshold_match_probability": config.threshold,
        "prior_probability_two_random_records_match": settings["probability_two_random_records_match"],
        "person_records": prepared.records,
        "profiles": prepared.profiles,
        "pairs_compared": scored.compared,
        "pairs_kept_at_or_above_floor": scored.kept,
        "pair_floor_probability": PAIR_FLOOR_PROBABILITY,
        "pairs_at_or_above_threshold": sum(v for k, v in edge_counts.items() if k != "below_threshold"),
        "pairs_accepted": edge_counts.get("accepted", 0),
        **{f"pairs_vetoed_{k}": v for k, v in sorted(edge_counts.items())
           if k not in ("accepted", "below_threshold")},
        **{f"edges_{k}": v for k, v in sorted(kinds.items())},
        "edges_not_used_by_cluster_guard": int((~result.edges["used"]).sum()),
        "components_split_by_guard": len(result.review),
        **_cluster_summary(con),
    }
    timings["quality_seconds"] = time.perf_counter() - started
    summary.update({k: round(v, 3) for k, v in timings.items()})
    quality = quality_table(con, "lk_clusters", "lk_pairs", summary, accuracy)
    con.register("lk_quality_frame", quality)
    con.execute("create or replace temp table lk_quality as select * from lk_quality_frame")
    return LinkageRun(con=con, model=model, config=config, summary=summary, timings=timings, accuracy=accuracy)


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
        select
            m.person_record_id,
            m.person_id,
            cast(count(*) over (partition by m.person_id) as integer) as cluster_size,
            case
                when count(*) over (partition by m.person_id) = 1 then null
                when m.profile_records > 1 then 1.0
                else m.confidence
            end as match_confidence,
            case when count(*) over (partition by m.person_id) > 1 then coalesce(s.mean_probability, 1.0) end
                as cluster_mean_probability,
            m.source_name,
            m.force_code,
            m.record_ref,
            {model_version} as model_version
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
        order by p.match_weight desc, 1, 2
    """)


def _build_review(con: duckdb.DuckDBPyConnection, threshold: float) -> None:
    """Cluster conflicts (what the guard did) and pairs at or above the threshold that an edge guard
    kept apart and that did not end up together anyway."""
    con.execute(f"""
        create or replace temp table lk_review as
        select
            review_type, person_record_id, other_person_record_id, reason, action,
            cast(profiles as integer) as profiles, cast(records as integer) as records,
            cast(match_probability as double) as match_probability, detail
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
    """)


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
    chart = directory / CHART_FILE
    write_histogram_chart(run.quality, chart)
    written.append(chart)
    run.written = written
    return written


def link_warehouse(
    settings: Settings,
    model: LinkageModel | None = None,
    config: ClusteringConfig | None = None,
    relation: str = WAREHOUSE_RELATION,
) -> LinkageRun:
    """Read the person records from the warehouse (read-only), link them with the committed model,
    carry person ids forward from <lake>/linkage/clusters.parquet and write the outputs there."""
    out_dir = settings.lake / "linkage"
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    con.execute(f"attach '{settings.warehouse}' as warehouse (read_only)")
    con.execute(f"create temp table lk_input as select * from warehouse.{relation}")
    con.execute("detach warehouse")
    previous = read_previous_assignments(out_dir / "clusters.parquet")
    run = link_records(con, "lk_input", model=model, config=config, previous=previous)
    write_outputs(run, out_dir)
    return run
