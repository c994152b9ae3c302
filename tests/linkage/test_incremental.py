"""Incremental linkage (oe_platform/linkage/incremental.py) on a generated landing zone: month 1 is
linked in full, then months 1 and 2 incrementally, and compared with a full relink of months 1 and 2;
every reason to fall back to a full relink, and a state that is missing, corrupt or foreign."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from oe_platform.config import Settings, load_settings
from oe_platform.linkage import incremental
from oe_platform.linkage.evaluate import build_warehouse, workdir_settings
from oe_platform.linkage.model import LinkageModel, load_model
from oe_platform.linkage.pipeline import WAREHOUSE_RELATION, LinkageRun, link_warehouse

PERSONS = 500
MONTHS = 2


@pytest.fixture(scope="module")
def deliveries(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two warehouses holding conformed.int_person_records of a generated landing zone (500 persons,
    two months): `month1` the records delivered in the first month, `both` every record."""
    from oe_platform.synth import generate

    workdir = tmp_path_factory.mktemp("incremental")
    settings = workdir_settings(workdir)
    generate(persons=PERSONS, seed=11, months=MONTHS, out=settings.landing, truth_out=workdir / "truth")
    build_warehouse(settings, workdir / "target")
    con = duckdb.connect()
    con.execute(f"attach '{settings.warehouse}' as built (read_only)")
    con.execute(f"create temp table records as select * from built.{WAREHOUSE_RELATION}")
    first_month_end = con.execute(
        "select date_trunc('month', min(delivered_on)) + interval 1 month from records").fetchall()[0][0]
    warehouses = {}
    for name, condition in (("month1", f"delivered_on < '{first_month_end}'"), ("both", "true")):
        path = workdir / f"{name}.duckdb"
        con.execute(f"attach '{path}' as w_{name}")
        con.execute(f"create schema w_{name}.conformed")
        con.execute(f"create table w_{name}.{WAREHOUSE_RELATION} as select * from records where {condition}")
        con.execute(f"detach w_{name}")
        warehouses[name] = path
    con.close()
    return warehouses


@pytest.fixture(autouse=True)
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (incremental.FULL_ENV, "OE_DBT_TARGET", "OE_LINKAGE_ENGINE", "OE_AUDIT"):
        monkeypatch.delenv(name, raising=False)


def lake_settings(lake: Path, warehouse: Path) -> Settings:
    return load_settings(landing=lake.parent / "landing", lake=lake, warehouse=warehouse)


def clusters_of(run: LinkageRun) -> pd.DataFrame:
    return run.clusters.set_index("person_record_id").sort_index()


def partition(clusters: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(group.index) for _, group in clusters.groupby("person_id")}


def first_month(tmp_path: Path, deliveries: dict[str, Path], **kwargs) -> tuple[Path, LinkageRun]:
    lake = tmp_path / "lake"
    run = link_warehouse(lake_settings(lake, deliveries["month1"]), **kwargs)
    return lake, run


def test_an_incremental_day_links_as_a_full_relink_does_and_scores_fewer_pairs(tmp_path, deliveries, monkeypatch):
    from oe_platform.linkage import pipeline
    from oe_platform.linkage.clustering import PAIR_EVIDENCE, add_pair_evidence

    # how many pairs each run computes the edge guards' evidence for (the Damerau-Levenshtein distances)
    evidence_computed: list[int] = []

    def counting_add_pair_evidence(con: duckdb.DuckDBPyConnection, table: str = "lk_pairs") -> None:
        evidence_computed.append(con.execute(f"select count(*) from {table}").fetchall()[0][0])
        add_pair_evidence(con, table)

    monkeypatch.setattr(pipeline, "add_pair_evidence", counting_add_pair_evidence)

    lake, month1 = first_month(tmp_path, deliveries)
    assert month1.mode.name == "full"
    assert month1.mode.reason.startswith("no linkage state")
    state = lake / "linkage" / incremental.STATE_DIR
    assert {p.name for p in state.iterdir()} == {"profiles-0000.parquet", "pairs-0000.parquet", "manifest.json"}
    # the stored pairs keep the guards' evidence, so a later run need not compute it again
    assert set(PAIR_EVIDENCE) <= set(pd.read_parquet(state / "pairs-0000.parquet").columns)
    # the full relink starts from the same earlier outputs (so the same person ids to carry forward)
    relink_lake = tmp_path / "relink" / "lake"
    shutil.copytree(lake, relink_lake)

    # month 2 is a large share of a small population: allow any share, to exercise the mechanism
    both = link_warehouse(lake_settings(lake, deliveries["both"]), max_new_share=1.0)
    full = link_warehouse(lake_settings(relink_lake, deliveries["both"]), force_full=True)
    assert both.mode.name == "incremental", both.mode.reason
    assert full.mode.name == "full"
    assert full.mode.reason == "full relink requested"
    assert both.summary["person_records"] == full.summary["person_records"] > month1.summary["person_records"]

    # fewer pairs scored; the rest came from the state
    assert 0 < both.summary["pairs_compared"] < full.summary["pairs_compared"]
    # the guards' evidence computed for the new pairs only (month 1, the incremental day, the relink),
    # yet the same edge statuses as the relink (below)
    assert len(evidence_computed) == 3
    assert 0 < evidence_computed[1] <= both.summary["pairs_compared"] < evidence_computed[2]
    assert both.summary["pairs_reused_from_state"] > 0
    assert 0 < both.summary["profiles_new_or_changed"] < both.summary["profiles"]
    assert (both.summary["linkage_incremental"], full.summary["linkage_incremental"]) == (1, 0)
    quality = pd.read_parquet(lake / "linkage" / "quality.parquet").set_index("metric")["value"]
    assert quality["linkage_incremental"] == 1 and quality["pairs_reused_from_state"] > 0
    parameters = json.loads((lake / "linkage" / "parameters.json").read_text())
    assert parameters["linkage_mode"] == {"mode": "incremental", "reason": both.mode.reason}

    # the same pairs with the same weights (to floating-point rounding), the same prior
    key = ["person_record_id_l", "person_record_id_r"]
    ours = both.pairs.sort_values(key).reset_index(drop=True)
    theirs = full.pairs.sort_values(key).reset_index(drop=True)
    assert ours[key].equals(theirs[key])
    assert (ours["match_weight"] - theirs["match_weight"]).abs().max() < 1e-6  # bits; measured <= 1e-9
    assert ours["edge_status"].equals(theirs["edge_status"])
    gammas = [c for c in ours.columns if c.startswith("gamma_")]
    assert gammas and ours[gammas].equals(theirs[gammas])
    assert both.summary["prior_probability_two_random_records_match"] == pytest.approx(
        full.summary["prior_probability_two_random_records_match"], rel=1e-9)

    # the identical partition, and the identical person ids
    incremental_clusters, full_clusters = clusters_of(both), clusters_of(full)
    assert partition(incremental_clusters) == partition(full_clusters)
    assert incremental_clusters["person_id"].equals(full_clusters["person_id"])
    assert both.review.sort_values(list(both.review.columns)).reset_index(drop=True).equals(
        full.review.sort_values(list(full.review.columns)).reset_index(drop=True))

    # person ids of month-1 records are unchanged, except where month 2 merged two month-1 people
    before = clusters_of(month1)["person_id"]
    after = incremental_clusters["person_id"].loc[before.index]
    people_after = after.groupby(before).nunique()
    people_before = before.groupby(after).nunique()
    kept_whole = before[before.map(people_after).eq(1) & after.map(people_before).eq(1)]
    assert len(kept_whole) > 0.9 * len(before)
    assert after.loc[kept_whole.index].equals(kept_whole)

    # the audit log says which mode ran and why
    audit = [json.loads(line) for line in (lake / "_audit" / "audit.jsonl").read_text().splitlines()]
    linkage = [e["what"] for e in audit if e["operation"] == "combination"]
    assert [e["linkage_mode"] for e in linkage] == ["full", "incremental"]
    assert linkage[1]["linkage_mode_reason"] == both.mode.reason
    assert linkage[1]["pairs_reused_from_state"] == both.summary["pairs_reused_from_state"]

    # the incremental run added its new pairs to the state as a second file (the first untouched) and
    # listed the profile versions of both runs; the relink wrote its state whole
    files = incremental.state_files(state)
    assert [path.name for path, _ in files.pairs] == ["pairs-0000.parquet", "pairs-0001.parquet"]
    assert files.profiles.name == "profiles-0001.parquet"
    assert {p.name for p in state.iterdir()} == {"profiles-0001.parquet", "pairs-0000.parquet",
                                                 "pairs-0001.parquet", "manifest.json"}
    stored = duckdb.connect()
    appended = files.pairs[1][1]
    assert appended > 0
    assert appended <= both.summary["pairs_compared"]  # the day's pairs only, not the reused ones
    relinked = incremental.state_files(relink_lake / "linkage" / incremental.STATE_DIR)
    assert len(relinked.pairs) == 1
    # the two pairs files hold exactly the relink's stored pairs (the same scoring keys, weights to
    # rounding): nothing stored twice, nothing missing
    def stored_pairs(paths: list[Path]) -> pd.DataFrame:
        return stored.execute(f"""
            select scoring_key_l, scoring_key_r, base_weight from read_parquet({[str(p) for p in paths]!r})
            order by all""").df()
    ours_stored = stored_pairs([path for path, _ in files.pairs])
    theirs_stored = stored_pairs([relinked.pairs[0][0]])
    live = set(pd.read_parquet(files.profiles).query("live")["scoring_key"])
    ours_live = ours_stored[ours_stored["scoring_key_l"].isin(live) & ours_stored["scoring_key_r"].isin(live)]
    assert not ours_live.duplicated(["scoring_key_l", "scoring_key_r"]).any()
    assert ours_live[["scoring_key_l", "scoring_key_r"]].reset_index(drop=True).equals(
        theirs_stored[["scoring_key_l", "scoring_key_r"]])
    assert abs(ours_live["base_weight"].to_numpy() - theirs_stored["base_weight"].to_numpy()).max() < 1e-6
    assert set(pd.read_parquet(relinked.profiles)["scoring_key"]) == live

    # the state now holds the union: a second run on the same records scores nothing at all
    again = link_warehouse(lake_settings(lake, deliveries["both"]))
    assert again.mode.name == "incremental"
    assert again.summary["pairs_compared"] == 0
    assert again.summary["profiles_new_or_changed"] == 0
    # and adds no pairs file for nothing
    assert [path.name for path, _ in incremental.state_files(state).pairs] == [
        "pairs-0000.parquet", "pairs-0001.parquet"]
    assert clusters_of(again)["person_id"].equals(full_clusters["person_id"])


def other_model(tmp_path: Path) -> LinkageModel:
    """The committed model with one u probability changed: every stored score is stale."""
    model = load_model()
    settings = json.loads(json.dumps(model.settings))
    level = settings["comparisons"][0]["comparison_levels"][1]
    level["u_probability"] = level["u_probability"] * 2
    path = tmp_path / "person_linkage_v99.json"
    path.write_text(json.dumps(settings), encoding="utf-8")
    shutil.copy(model.path.with_name(model.path.stem + ".meta.json"), tmp_path / "person_linkage_v99.meta.json")
    return load_model(path)


@pytest.mark.parametrize("reason", ["force_full", "environment", "model", "share"])
def test_each_reason_to_relink_everyone_does_so(tmp_path, deliveries, monkeypatch, reason):
    lake, month1 = first_month(tmp_path, deliveries)
    kwargs: dict = {"max_new_share": 1.0}
    expected = {"force_full": "full relink requested", "environment": "$OE_LINKAGE_FULL",
                "model": "fingerprint differs", "share": "profiles new or changed"}[reason]
    if reason == "force_full":
        kwargs["force_full"] = True
    elif reason == "environment":
        monkeypatch.setenv(incremental.FULL_ENV, "1")
    elif reason == "model":
        kwargs["model"] = other_model(tmp_path)
    else:
        kwargs["max_new_share"] = 0.01
    run = link_warehouse(lake_settings(lake, deliveries["both"]), **kwargs)
    assert run.mode.name == "full"
    assert expected in run.mode.reason
    assert run.summary["pairs_reused_from_state"] == 0
    assert run.summary["profiles_new_or_changed"] == run.summary["profiles"]
    # a full relink scores every blocked pair: as many as a run with no state at all
    fresh = link_warehouse(lake_settings(tmp_path / "fresh", deliveries["both"]),
                           model=kwargs.get("model"))
    assert fresh.mode.name == "full"
    assert run.summary["pairs_compared"] == fresh.summary["pairs_compared"] > 0
    # and leaves a state the next run can use
    monkeypatch.delenv(incremental.FULL_ENV, raising=False)
    following = link_warehouse(lake_settings(lake, deliveries["both"]), model=kwargs.get("model"))
    assert following.mode.name == "incremental"


def test_a_run_on_spark_relinks_everyone_and_leaves_no_state(tmp_path, deliveries):
    """Scoring on Spark never reuses stored scores, and removes the state (which would otherwise still
    hold the keys of records erased since): the next DuckDB run relinks in full and writes a new one."""
    from oe_platform.linkage.spark_backend import local_spark_session

    lake, _ = first_month(tmp_path, deliveries)
    state = lake / "linkage" / incremental.STATE_DIR
    assert (state / "manifest.json").exists()
    spark = local_spark_session(tmp_path / "spark")  # shared with later Spark tests, which stop it
    on_spark = link_warehouse(lake_settings(lake, deliveries["both"]), engine="spark", spark=spark,
                              max_new_share=1.0)
    assert on_spark.mode.name == "full" and "engine spark" in on_spark.mode.reason
    assert on_spark.summary["pairs_reused_from_state"] == 0 and on_spark.summary["pairs_compared"] > 0
    assert not state.exists()
    following = link_warehouse(lake_settings(lake, deliveries["both"]), max_new_share=1.0)
    assert following.mode.name == "full" and following.mode.reason.startswith("no linkage state")
    assert (state / "manifest.json").exists()
    assert clusters_of(following)["person_id"].equals(clusters_of(on_spark)["person_id"])


def test_adapted_parameters_always_relink_everyone(tmp_path):
    """The decision alone: m and u adapted to the run's records make every stored score stale."""
    con = duckdb.connect()
    settings = load_model().settings_for(1000)
    con.execute("create temp table lk_profiles as select 1 as profile_id, 'A' as surname_std")
    adapted = incremental.decide(con, tmp_path, settings, "duckdb", adapted=True, force_full=False,
                                 max_new_share=1.0)
    assert not adapted.incremental and "adapted" in adapted.reason


def test_an_adapting_run_keeps_the_parameters_of_the_last_full_relink(tmp_path, deliveries, monkeypatch):
    """m and u adapted on month 1 score the incremental run of months 1 and 2 (so the stored scores
    stay valid and no id moves because a day nudged an estimate); a full relink adapts afresh, and a
    run of another model never takes them."""
    from oe_platform.linkage import adapt

    monkeypatch.setattr(adapt, "MIN_PROFILES", 10)  # adapt even on this small population
    lake, month1 = first_month(tmp_path, deliveries)
    assert month1.mode.name == "full" and month1.adaptation is not None
    assert not month1.adaptation.reason.startswith("kept")
    assert month1.adaptation.base_fingerprint
    manifest = json.loads((lake / "linkage" / "state" / "manifest.json").read_text())
    assert manifest["adaptation"]["mode"] == month1.adaptation.mode
    assert manifest["scoring_settings"]["comparisons"] == month1.settings["comparisons"]

    both = link_warehouse(lake_settings(lake, deliveries["both"]), max_new_share=1.0)
    assert both.mode.name == "incremental", both.mode.reason
    assert both.adaptation.reason.startswith("kept from the last full relink")
    assert both.adaptation.mode == month1.adaptation.mode
    assert both.settings["comparisons"] == month1.settings["comparisons"]
    assert both.summary["adapt_seconds"] < month1.summary["adapt_seconds"]

    relinked = link_warehouse(lake_settings(lake, deliveries["both"]), force_full=True)
    assert relinked.mode.name == "full"
    assert not relinked.adaptation.reason.startswith("kept")
    assert incremental.stored_parameters(lake / "linkage" / "state", other_model(tmp_path).settings_for(1000)) is None
    assert incremental.stored_parameters(lake / "linkage" / "state", load_model().settings_for(1000)) is not None


def test_the_cli_flag_forces_a_full_relink(tmp_path, deliveries, monkeypatch):
    from oe_platform.linkage.cli import linkage_group

    lake, _ = first_month(tmp_path, deliveries)
    monkeypatch.setenv("OE_LAKE", str(lake))
    monkeypatch.setenv("OE_WAREHOUSE", str(deliveries["both"]))
    monkeypatch.setenv("OE_LANDING", str(tmp_path / "landing"))
    result = CliRunner().invoke(linkage_group, ["run", "--full"])
    assert result.exit_code == 0, result.output
    assert "linkage mode: full (full relink requested)" in result.output
    report = CliRunner().invoke(linkage_group, ["report"])
    assert "linkage mode: full (full relink requested)" in report.output
    result = CliRunner().invoke(linkage_group, ["run"])
    assert result.exit_code == 0, result.output
    assert "linkage mode: incremental (0 of " in result.output


def corrupt_pairs(state: Path) -> None:
    (state / "pairs-0000.parquet").write_bytes(b"PAR1 not a parquet file")


def drop_manifest(state: Path) -> None:
    (state / "manifest.json").unlink()


def garble_manifest(state: Path) -> None:
    (state / "manifest.json").write_text("{not json", encoding="utf-8")


def drop_profiles(state: Path) -> None:
    (state / "profiles-0000.parquet").unlink()


def truncate_pairs(state: Path) -> None:
    con = duckdb.connect()
    path = state / "pairs-0000.parquet"
    con.execute(f"copy (select * from read_parquet('{path}') limit 10) to '{state / 'short.parquet'}'")
    (state / "short.parquet").replace(path)


def remove_state(state: Path) -> None:
    shutil.rmtree(state)


@pytest.mark.parametrize(("damage", "expected"), [
    (corrupt_pairs, "linkage state unreadable"),
    (drop_manifest, "no linkage state"),
    (garble_manifest, "linkage state unreadable (manifest.json"),
    (drop_profiles, "linkage state incomplete (profiles-0000.parquet missing)"),
    (truncate_pairs, "linkage state inconsistent (pairs-0000.parquet has 10 rows"),
    (remove_state, "no linkage state"),
])
def test_a_missing_or_damaged_state_means_a_full_relink_never_an_error(tmp_path, deliveries, damage, expected):
    lake, month1 = first_month(tmp_path, deliveries)
    state = lake / "linkage" / incremental.STATE_DIR
    damage(state)
    run = link_warehouse(lake_settings(lake, deliveries["month1"]))
    assert run.mode.name == "full"
    assert expected in run.mode.reason
    assert clusters_of(run)["person_id"].equals(clusters_of(month1)["person_id"])
    # the run wrote a sound state again
    following = link_warehouse(lake_settings(lake, deliveries["month1"]))
    assert following.mode.name == "incremental"
    assert following.summary["pairs_compared"] == 0


def test_the_linkage_bench_reports_accuracy_where_the_landing_zone_has_a_truth(tmp_path, deliveries):
    """`oe bench linkage --workdir` over a built warehouse with the generator's truth beside it (as a
    tier of `oe bench pipeline` leaves them) times the run and measures it against the truth."""
    import re

    from oe_platform.bench import bench_linkage_command

    built = deliveries["both"].parent
    (tmp_path / "oe.duckdb").symlink_to(deliveries["both"])
    result = CliRunner().invoke(bench_linkage_command, ["--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "against the truth" not in result.output  # no truth in the folder: times only
    (tmp_path / "truth").symlink_to(built / "truth")
    result = CliRunner().invoke(bench_linkage_command, ["--workdir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    found = re.search(r"precision ([0-9.]+), recall ([0-9.]+); blocking alone brings together ([0-9.]+)",
                      result.output)
    assert found, result.output
    precision, recall, blocking = map(float, found.groups())
    assert precision >= 0.99 and recall >= 0.95 and recall <= 1.0 and 0.95 <= blocking <= 1.0
    assert (tmp_path / "lake" / "linkage" / "clusters.parquet").exists()


def test_the_state_is_written_whole_when_appending_would_not_pay(tmp_path, deliveries, monkeypatch):
    """An incremental run appends its new pairs as one more file, unless the state already has
    MAX_PAIR_FILES files or too many versions that are gone, or a version came back; then it writes
    the state whole from its pairs. Either way the next run links exactly as a full relink does."""
    lake, month1 = first_month(tmp_path, deliveries)
    state = lake / "linkage" / incremental.STATE_DIR
    monkeypatch.setattr(incremental, "MAX_PAIR_FILES", 1)
    both = link_warehouse(lake_settings(lake, deliveries["both"]), max_new_share=1.0)
    assert both.mode.name == "incremental", both.mode.reason
    files = incremental.state_files(state)
    assert [path.name for path, _ in files.pairs] == ["pairs-0001.parquet"]
    assert {p.name for p in state.iterdir()} == {"profiles-0001.parquet", "pairs-0001.parquet", "manifest.json"}
    assert bool(pd.read_parquet(files.profiles)["live"].all())
    monkeypatch.setattr(incremental, "MAX_PAIR_FILES", 16)

    # month 1 again (month 2's records withdrawn): the month-1 profiles month 2 changed (a name no
    # longer rare, a forename with more formal names) come back as the versions the state first held
    # pairs of; appending would store those pairs twice, so the state is written whole
    back = link_warehouse(lake_settings(lake, deliveries["month1"]), max_new_share=1.0)
    assert back.mode.name == "incremental", back.mode.reason
    assert 0 < back.summary["profiles_new_or_changed"]
    files = incremental.state_files(state)
    assert len(files.pairs) == 1
    assert clusters_of(back)["person_id"].equals(clusters_of(month1)["person_id"])
    assert back.pairs.sort_values(["person_record_id_l", "person_record_id_r"])["edge_status"].tolist() == \
        month1.pairs.sort_values(["person_record_id_l", "person_record_id_r"])["edge_status"].tolist()
    again = link_warehouse(lake_settings(lake, deliveries["month1"]))
    assert again.mode.name == "incremental" and again.summary["pairs_compared"] == 0
    assert clusters_of(again)["person_id"].equals(clusters_of(month1)["person_id"])


def test_versions_that_are_gone_are_dropped_when_they_outgrow_their_share(tmp_path, deliveries, monkeypatch):
    lake, _ = first_month(tmp_path, deliveries)
    state = lake / "linkage" / incremental.STATE_DIR
    both = link_warehouse(lake_settings(lake, deliveries["both"]), max_new_share=1.0)
    first = incremental.state_files(state)
    profiles = pd.read_parquet(first.profiles)
    # month 2 changed some month-1 profiles: the appended state lists their old versions as gone
    assert len(first.pairs) == 2 and 0 < (~profiles["live"]).sum() <= incremental.MAX_STALE_SHARE * len(profiles)
    # the next run finds more gone than the share allows (none, here): it writes the state whole
    monkeypatch.setattr(incremental, "MAX_STALE_SHARE", 0.0)
    again = link_warehouse(lake_settings(lake, deliveries["both"]))
    assert again.mode.name == "incremental" and again.summary["pairs_compared"] == 0
    files = incremental.state_files(state)
    assert len(files.pairs) == 1 and bool(pd.read_parquet(files.profiles)["live"].all())
    assert clusters_of(again)["person_id"].equals(clusters_of(both)["person_id"])


def test_after_an_erasure_the_state_is_written_whole(tmp_path, deliveries):
    """An erasure starts a new bronze epoch; the next run may still link incrementally, but writes the
    state whole, so no stored key of an erased record's profile outlives it."""
    from oe_platform.staging_state import bronze_epoch, bronze_rewritten

    lake, _ = first_month(tmp_path, deliveries)
    state = lake / "linkage" / incremental.STATE_DIR
    settings = lake_settings(lake, deliveries["both"])
    assert incremental.state_files(state).epoch == bronze_epoch(settings) == "initial"
    bronze_rewritten(settings, "erasure (test)")
    both = link_warehouse(settings, max_new_share=1.0)
    assert both.mode.name == "incremental", both.mode.reason
    files = incremental.state_files(state)
    assert len(files.pairs) == 1 and files.epoch == bronze_epoch(settings) != "initial"
    assert bool(pd.read_parquet(files.profiles)["live"].all())
