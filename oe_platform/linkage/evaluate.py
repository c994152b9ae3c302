"""Measure person resolution against the generator's ground truth (`oe linkage evaluate`).

generate a landing zone (oe_platform.synth) -> ingest to bronze -> dbt seed, then dbt run of
int_person_records and everything it needs -> link (the committed model) -> pairwise precision,
recall and F1 over person records, with the time of each step.

The true person of a record comes from <truth>/person_records.parquet: a staged person_record_id is
md5(source | force or partner | record key), the record key being the entity key joined by '|'.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from oe_platform.config import Settings, load_settings, working_connection
from oe_platform.linkage.baseline import BaselineResult, format_comparison, run_baseline
from oe_platform.linkage.clustering import ClusteringConfig
from oe_platform.linkage.model import LinkageModel, load_model
from oe_platform.linkage.pipeline import WAREHOUSE_RELATION, LinkageRun, link_records, write_outputs
from oe_platform.linkage.quality import PairwiseAccuracy, pairwise_accuracy

KEYED_PROFILES = ("febrl", "census-keyed")
"""Profiles that are not the generator's world but partner files written by synth.keyed: FEBRL-style
keyed duplicates in one file, or the same people in three census-like sources."""
PROFILES = ("default", "heavy", "census", *KEYED_PROFILES)


@dataclass
class Evaluation:
    persons: int
    seed: int
    months: int
    run: LinkageRun
    records_with_truth: int
    timings: dict[str, float] = field(default_factory=dict)
    shards: int = 1
    profile: str = "default"
    blocking: dict[str, float] = field(default_factory=dict)
    missed: list[MissedPairs] = field(default_factory=list)
    baseline: BaselineResult | None = None
    """The standard Splink configuration on the same records (`baseline=True`)."""
    baseline_only: list[MissedPairs] = field(default_factory=list)
    """True pairs the baseline links and the committed model does not, by where ours lost them."""
    committed_only_record_pairs: int = 0
    """True pairs of records the committed model links and the baseline does not."""
    across_keys: dict[str, PairwiseAccuracy] = field(default_factory=dict)
    """Both models' accuracy over pairs of records under different source keys only ('committed',
    'baseline'): the pairs decided on evidence (the committed model links one source key's records
    without scoring them; the standard configuration has to score them)."""

    def as_text(self) -> str:
        accuracy = self.run.accuracy
        s = self.run.summary
        lines = [
            ("labelled landing zone (nothing generated)" if self.profile == "labelled" else
             f"generator: {self.persons:,} persons, seed {self.seed}, {self.months} month(s)"
             + (f", {self.shards} independent shards (seeds {self.seed}..{self.seed + self.shards - 1})"
                if self.shards > 1 else "")),
            f"person records linked: {s['person_records']:,} ({s['profiles']:,} profiles, "
            f"{self.records_with_truth:,} with a known true person); persons found: {s['persons']:,}",
            (f"noise profile {self.profile}; " if self.profile != "labelled" else "")
            + f"model v{self.run.model.version}, threshold {self.run.config.threshold}",
        ]
        if accuracy is not None:
            lines += [
                f"pairwise precision {accuracy.precision:.5f}  recall {accuracy.recall:.5f}  F1 {accuracy.f1:.5f}",
                f"  true pairs {accuracy.true_pairs:,}, predicted pairs {accuracy.predicted_pairs:,}, "
                f"true positives {accuracy.true_positive_pairs:,}",
            ]
        if self.blocking:
            b = self.blocking
            lines.append(f"blocking alone: {b['pair_recall']:.5f} of {int(b['true_profile_pairs']):,} true profile "
                         f"pairs under different source keys; recall ceiling {b['ceiling_recall']:.5f}")
        if self.missed:
            lost = sum(m.record_pairs for m in self.missed)
            lines.append(f"true pairs of records missed: {lost:,} (under different source keys), where they went:")
            lines += [f"  {m.stage:<44} {m.record_pairs:>8,} record pairs ({m.recall_lost:.5f} of recall), "
                      f"{m.profile_pairs:,} profile pairs" for m in self.missed]
        if self.baseline is not None:
            lines.append(format_comparison(accuracy, self.baseline, self.run.config.threshold))
            for name, label in (("committed", "committed model"), ("baseline", "standard Splink")):
                if name in self.across_keys:
                    a = self.across_keys[name]
                    lines.append(f"  {label + ', pairs under different source keys':<44} {a.precision:>9.5f} "
                                 f"{a.recall:>9.5f} {a.f1:>9.5f}  ({a.true_pairs:,} true pairs)")
            gained = sum(m.record_pairs for m in self.baseline_only)
            lines.append(f"  true pairs of records linked by the committed model only: "
                         f"{self.committed_only_record_pairs:,}; by the standard configuration only: {gained:,}"
                         + (", where the committed model lost them:" if gained else ""))
            lines += [f"    {m.stage:<44} {m.record_pairs:>8,} record pairs ({m.recall_lost:.5f} of recall), "
                      f"{m.profile_pairs:,} profile pairs" for m in self.baseline_only]
        lines.append("timings: " + ", ".join(f"{k} {v:.1f} s" for k, v in self.timings.items()))
        lines.append("linkage: " + ", ".join(f"{k.removesuffix('_seconds')} {v:.1f} s"
                                             for k, v in self.run.timings.items()))
        return "\n".join(lines)


def workdir_settings(workdir: Path) -> Settings:
    return load_settings(landing=workdir / "landing", lake=workdir / "lake", warehouse=workdir / "oe.duckdb")


def build_warehouse(settings: Settings, target_path: Path) -> None:
    """Ingest the landing zone and build int_person_records (with its staging) in the warehouse."""
    from oe_platform.dbt_runner import run_dbt
    from oe_platform.landing.ingest import ingest

    ingest(settings)
    run_dbt(["seed", "--quiet", "--target-path", str(target_path)], settings)
    run_dbt(["run", "--quiet", "--select", "+int_person_records", "--target-path", str(target_path)], settings)


def load_truth(con: duckdb.DuckDBPyConnection, truth_dir: Path, table: str = "lk_truth") -> None:
    """(person_record_id, true_person_id) of every person record in the generator's truth."""
    path = truth_dir / "person_records.parquet"
    con.execute(f"""
        create or replace temp table {table} as
        select distinct
            md5(concat_ws('|', source, org, record_key)) as person_record_id,
            person_id as true_person_id
        from read_parquet('{path}')
    """)


def evaluate(
    persons: int,
    seed: int,
    workdir: Path,
    months: int = 3,
    shards: int = 1,
    reuse: bool = False,
    model: LinkageModel | None = None,
    config: ClusteringConfig | None = None,
    progress: bool = False,
    engine: str = "duckdb",
    profile: str = "default",
    baseline: bool = False,
    labelled: Path | None = None,
) -> Evaluation:
    """Generate (unless `reuse` and the warehouses are already in `workdir`), build, link, measure.

    With `shards` > 1, that many independent landing zones (seeds seed, seed + 1, …) are generated
    and built one after another, and their person records are linked together as one population
    (ids prefixed with the shard number): the generator's memory grows with persons × months, so
    this is how a million records are measured on one machine.

    With `baseline`, the same records are also linked by a standard Splink configuration trained on
    them (`baseline.run_baseline`) and measured against the same truth; its figures are in
    `Evaluation.baseline` and written to <workdir>/lake/linkage/baseline.json.

    With `labelled`, nothing is generated: the landing zone `labelled`/landing (any deliveries the
    platform ingests) and its truth `labelled`/truth/person_records.parquet (source, org, record_key,
    person_id: the generator's truth format; `public_data.write_febrl_delivery` writes one) are
    ingested, built and linked instead.
    """
    from oe_platform.synth import generate
    from oe_platform.synth.keyed import write_census_delivery, write_keyed_delivery
    from oe_platform.synth.noise import NoiseRates

    if labelled is not None:
        truth_file = labelled / "truth" / "person_records.parquet"
        if not (labelled / "landing").is_dir() or not truth_file.is_file():
            raise FileNotFoundError(f"{labelled} must hold landing/ (the deliveries) and truth/person_records.parquet "
                                    "(source, org, record_key, person_id of each person record)")
        if shards != 1:
            raise ValueError("a labelled landing zone is one population: --shards does not apply")
        profile = "labelled"
    keyed = profile in KEYED_PROFILES  # a FEBRL-style delivery written by synth.keyed, not the generator
    rates = None if keyed or labelled is not None else NoiseRates.profile(profile)

    timings: dict[str, float] = {"generate": 0.0, "ingest_and_dbt": 0.0}
    con = working_connection("linkage-evaluate")  # held to the memory limit, spilling outside the checkout
    parts, truths = [], []
    for shard in range(shards):
        shard_dir = workdir if shards == 1 else workdir / f"shard{shard}"
        settings = workdir_settings(shard_dir)
        truth_dir = shard_dir / "truth"
        if not (reuse and settings.warehouse.exists()):
            started = time.perf_counter()
            if (labelled is not None or keyed) and settings.landing.exists():
                shutil.rmtree(settings.landing)  # one delivery written whole, not added to an old one
            if labelled is not None:
                shutil.copytree(labelled / "landing", settings.landing)
                truth_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(labelled / "truth" / "person_records.parquet", truth_dir / "person_records.parquet")
            elif keyed:
                writer = write_keyed_delivery if profile == "febrl" else write_census_delivery
                writer(persons, seed + shard, settings.landing, truth_dir)
            else:
                generate(persons=persons, seed=seed + shard, months=months, out=settings.landing,
                         truth_out=truth_dir, rates=rates, progress=progress)
            timings["generate"] += time.perf_counter() - started
            started = time.perf_counter()
            settings.warehouse.unlink(missing_ok=True)
            build_warehouse(settings, shard_dir / "target")
            timings["ingest_and_dbt"] += time.perf_counter() - started
        prefix = "" if shards == 1 else f"s{shard}:"
        con.execute(f"attach '{settings.warehouse}' as warehouse{shard} (read_only)")
        con.execute(f"""
            create temp table lk_input_{shard} as
            select * replace ('{prefix}' || person_record_id as person_record_id,
                              '{prefix}' || record_ref as record_ref)
            from warehouse{shard}.{WAREHOUSE_RELATION}
        """)
        con.execute(f"detach warehouse{shard}")
        load_truth(con, truth_dir, table=f"lk_truth_{shard}")
        parts.append(f"select * from lk_input_{shard}")
        truths.append(f"select '{prefix}' || person_record_id as person_record_id, "
                      f"'{prefix}' || true_person_id as true_person_id from lk_truth_{shard}")
    con.execute("create temp table lk_input as " + " union all ".join(parts))
    con.execute("create temp table lk_truth as select * from (" + " union all ".join(truths) + ") "
                "where person_record_id in (select person_record_id from lk_input)")
    with_truth = con.execute("select count(*) from lk_truth").fetchall()[0][0]
    model = model or load_model()
    spark = None
    if engine == "spark":  # a local session under the work folder, timed on its own
        from oe_platform.linkage.spark_backend import local_spark_session

        started = time.perf_counter()
        spark = local_spark_session(workdir / "spark")
        timings["spark_session"] = time.perf_counter() - started
    started = time.perf_counter()
    run = link_records(con, "lk_input", model=model, config=config, truth_table="lk_truth", engine=engine,
                       spark=spark)
    timings["link"] = time.perf_counter() - started
    started = time.perf_counter()
    write_outputs(run, workdir / "lake" / "linkage")
    timings["write_outputs"] = time.perf_counter() - started
    has_blocked = con.execute("select count(*) from duckdb_tables() where table_name = 'lk_blocked'").fetchall()[0][0]
    blocking = blocking_recall(con, "lk_truth") if has_blocked else {}
    missed = missed_pairs(con, "lk_truth") if has_blocked else []
    standard = None
    if baseline:
        started = time.perf_counter()
        standard = run_baseline(con, "lk_input", truth_table="lk_truth")
        timings["baseline"] = time.perf_counter() - started
    result = Evaluation(persons=persons, seed=seed, months=months, run=run, records_with_truth=with_truth,
                        timings=timings, shards=shards, profile=profile, blocking=blocking, missed=missed,
                        baseline=standard)
    if standard is not None and has_blocked:
        result.baseline_only, result.committed_only_record_pairs = compare_with_baseline(con, "lk_truth")
    if standard is not None:
        con.execute("create or replace temp table lk_record_keys as "
                    "select person_record_id, source_key from lk_records")
        result.across_keys = {name: pairwise_accuracy(con, clusters, "lk_truth", keys="lk_record_keys")
                              for name, clusters in (("committed", "lk_clusters"), ("baseline", "bl_clusters"))}
    if standard is not None:
        write_comparison(result, workdir / "lake" / "linkage" / "baseline.json")
    return result


def write_comparison(result: Evaluation, path: Path) -> None:
    """The committed model's and the baseline's figures side by side, as JSON."""
    import json

    a = result.run.accuracy
    committed = None if a is None else {
        "threshold_match_probability": result.run.config.threshold, "records": a.records,
        "true_pairs": a.true_pairs, "predicted_pairs": a.predicted_pairs,
        "true_positive_pairs": a.true_positive_pairs, "precision": a.precision, "recall": a.recall, "f1": a.f1}
    document = {
        "generator": {"persons": result.persons, "seed": result.seed, "months": result.months,
                      "shards": result.shards, "noise_profile": result.profile},
        "committed": {"model_version": result.run.model.version, **(committed or {})},
        "baseline": result.baseline.as_dict() if result.baseline is not None else None,
        "pairs_under_different_source_keys": {
            name: {"true_pairs": a.true_pairs, "predicted_pairs": a.predicted_pairs,
                   "true_positive_pairs": a.true_positive_pairs, "precision": a.precision, "recall": a.recall,
                   "f1": a.f1} for name, a in result.across_keys.items()},
        "true_record_pairs_linked_by_committed_only": result.committed_only_record_pairs,
        "true_record_pairs_linked_by_baseline_only": {m.stage: {"record_pairs": m.record_pairs,
                                                                "profile_pairs": m.profile_pairs}
                                                       for m in result.baseline_only},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1), encoding="utf-8")


@dataclass(frozen=True)
class MissedPairs:
    """True pairs of profiles (under different source keys) whose records ended in different persons,
    by the stage that lost them."""

    stage: str
    profile_pairs: int
    record_pairs: int
    """Pairs of person records with a known true person the lost profile pairs stand for."""
    recall_lost: float
    """record_pairs over all true pairs of records: the pairwise recall this stage costs at most."""


_STAGE_SQL = """
    case
        when b.profile_id_l is null then 'never compared (no blocking rule)'
        when p.profile_id_l is null then 'scored below the pair floor'
        when p.edge_status = 'below_threshold' and p.match_probability >= 0.5
            then 'below the threshold, probability 0.5 or more'
        when p.edge_status = 'below_threshold' then 'below the threshold, probability under 0.5'
        when p.edge_status = 'accepted' then 'accepted, split by the cluster guard'
        else 'vetoed by the edge guard ' || p.edge_status
    end"""


def compare_with_baseline(con: duckdb.DuckDBPyConnection, truth_table: str) -> tuple[list[MissedPairs], int]:
    """True pairs of records in one baseline cluster (bl_clusters) but two committed ones (lk_clusters),
    by the stage where the committed run lost their profile pair (as `missed_pairs`), and the number
    of true record pairs the other way round (ours linked, the baseline's not)."""
    con.execute(f"""
        create or replace temp table lk_baseline_compared as
        with rec as (
            select r.person_record_id, r.profile_id, t.true_person_id, c.person_id as ours, b.person_id as theirs
            from lk_records r
            join {truth_table} t using (person_record_id)
            join lk_clusters c using (person_record_id)
            join bl_clusters b using (person_record_id)
        )
        select
            least(a.profile_id, b.profile_id) as l, greatest(a.profile_id, b.profile_id) as r,
            a.ours = b.ours as linked_by_ours, a.theirs = b.theirs as linked_by_theirs
        from rec a join rec b on a.true_person_id = b.true_person_id and a.person_record_id < b.person_record_id
        where (a.ours = b.ours) != (a.theirs = b.theirs)
    """)
    rows = con.execute(f"""
        select {_STAGE_SQL} as stage, count(distinct (m.l, m.r)), count(*)
        from lk_baseline_compared m
        left join lk_blocked b on b.profile_id_l = m.l and b.profile_id_r = m.r
        left join lk_pairs p on p.profile_id_l = m.l and p.profile_id_r = m.r
        where m.linked_by_theirs
        group by 1
        order by 3 desc, 1
    """).fetchall()
    ours_only = con.execute("select count(*) from lk_baseline_compared where linked_by_ours").fetchall()[0][0]
    total = con.execute(f"""
        select coalesce(sum(n * (n - 1) / 2), 0)
        from (select count(*) as n from {truth_table} t join lk_records r using (person_record_id)
              group by t.true_person_id)
    """).fetchall()[0][0]
    return ([MissedPairs(stage, int(n), int(records), records / total if total else 0.0)
             for stage, n, records in rows], int(ours_only))


def missed_pairs(con: duckdb.DuckDBPyConnection, truth_table: str) -> list[MissedPairs]:
    """Where the true pairs the run missed went (needs the run's tables and blocking_recall's
    lk_profile_truth): never compared (no blocking rule admits the pair), scored below the pair
    floor, scored below the threshold (probability from 0.5, or under 0.5), kept apart by an edge
    guard (its name), or accepted as an edge and split by the cluster guard. A pair missed at one
    stage may still be joined through other records; those are not counted (they are not missed)."""
    rows = con.execute(f"""
        with person_records as (
            select r.profile_id, count(*) as records
            from lk_records r join {truth_table} t using (person_record_id)
            group by r.profile_id
        ),
        true_pairs as (
            select a.profile_id as l, b.profile_id as r, pa.records * pb.records as record_pairs
            from lk_profile_truth a
            join lk_profile_truth b
              on a.true_person_id = b.true_person_id and a.profile_id < b.profile_id
             and a.source_key is distinct from b.source_key
            join person_records pa on pa.profile_id = a.profile_id
            join person_records pb on pb.profile_id = b.profile_id
        ),
        missed as (
            select t.*
            from true_pairs t
            join lk_profile_labels la on la.profile_id = t.l
            join lk_profile_labels lb on lb.profile_id = t.r
            where la.cluster_id != lb.cluster_id
        ),
        staged as (
            select
                m.record_pairs,
                {_STAGE_SQL} as stage
            from missed m
            left join lk_blocked b on b.profile_id_l = m.l and b.profile_id_r = m.r
            left join lk_pairs p on p.profile_id_l = m.l and p.profile_id_r = m.r
        )
        select stage, count(*), sum(record_pairs)
        from staged
        group by stage
        order by 3 desc, 1
    """).fetchall()
    total = con.execute(f"""
        select coalesce(sum(n * (n - 1) / 2), 0)
        from (select count(*) as n from {truth_table} t join lk_records r using (person_record_id)
              group by t.true_person_id)
    """).fetchall()[0][0]
    return [MissedPairs(stage, int(n), int(records), records / total if total else 0.0)
            for stage, n, records in rows]


def blocking_recall(con: duckdb.DuckDBPyConnection, truth_table: str) -> dict[str, float]:
    """Recall of the blocking rules alone, against the truth (needs lk_blocked of the run).

    `pairs`: of the true pairs of profiles under different source record keys, the share some
    blocking rule brings together. `ceiling`: pairwise recall over person records if every blocked
    true pair and every source-key link were accepted (connected components): the most any scoring,
    threshold and guards could reach with these blocking rules.
    """
    con.execute(f"""
        create or replace temp table lk_profile_truth as
        select r.profile_id, any_value(r.source_key) as source_key, mode(t.true_person_id) as true_person_id
        from lk_records r join {truth_table} t using (person_record_id)
        group by r.profile_id
    """)
    true_pairs, blocked = con.execute("""
        with true_pairs as (
            select a.profile_id as l, b.profile_id as r
            from lk_profile_truth a join lk_profile_truth b
              on a.true_person_id = b.true_person_id and a.profile_id < b.profile_id
             and a.source_key is distinct from b.source_key
        )
        select count(*), count(b.profile_id_l)
        from true_pairs t left join lk_blocked b on b.profile_id_l = t.l and b.profile_id_r = t.r
    """).fetchall()[0]
    # components over blocked true pairs and same-source-key profiles
    edges = con.execute("""
        select b.profile_id_l as l, b.profile_id_r as r
        from lk_blocked b
        join lk_profile_truth a on a.profile_id = b.profile_id_l
        join lk_profile_truth c on c.profile_id = b.profile_id_r and c.true_person_id = a.true_person_id
        union all
        select min(profile_id) over (partition by source_key), profile_id
        from lk_profile_truth where source_key is not null
    """).fetchall()
    profiles = [p for (p,) in con.execute("select profile_id from lk_profile_truth").fetchall()]
    parent = {p: p for p in profiles}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[ra] = rb
    con.register("lk_ceiling", __import__("pandas").DataFrame(
        {"profile_id": profiles, "component": [find(p) for p in profiles]}))
    ceiling = con.execute(f"""
        with rec as (
            select t.true_person_id, c.component
            from lk_records r join {truth_table} t using (person_record_id) join lk_ceiling c using (profile_id)
        ),
        truth as (select count(*) as n from rec group by true_person_id),
        found as (select count(*) as n from rec group by true_person_id, component)
        select (select sum(n * (n - 1) / 2) from found) / nullif((select sum(n * (n - 1) / 2) from truth), 0)
    """).fetchall()[0][0]
    return {"true_profile_pairs": float(true_pairs), "blocked_true_profile_pairs": float(blocked),
            "pair_recall": blocked / true_pairs if true_pairs else 1.0, "ceiling_recall": float(ceiling or 1.0)}
