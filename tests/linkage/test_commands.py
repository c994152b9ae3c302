"""`oe linkage explain` and `oe linkage report` over the Parquet outputs of a run."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from oe_platform.linkage.cli import linkage_group
from oe_platform.linkage.pipeline import OUTPUT_FILES, RECORDS_SNAPSHOT, write_outputs
from tests.linkage.conftest import record


@pytest.fixture
def written_run(link, model, tmp_path, monkeypatch):
    rows = [
        record("ex-1", "BILL", "PRIESTLEY", "1983-07-21", postcode="NR1 3JU", sex="M", force="norfolk"),
        record("ex-2", "WILLIAM", "PRIESTLEY", "1983-07-21", postcode="NR1 3JU", sex="M", force="suffolk"),
        record("ex-3", "HARRY", "PRIESTLEY", "1983-07-21", postcode="NR1 3JU", sex="M", force="essex"),
        record("ex-4", "MARGARET", "OYELARAN", "1971-02-14", postcode="CB1 2AB", sex="F", source="canonical",
               force="btp", ref="BTP-001687"),
    ]
    run = link(rows)
    lake = tmp_path / "lake"
    write_outputs(run, lake / "linkage")
    monkeypatch.setenv("OE_LAKE", str(lake))
    monkeypatch.setenv("OE_LINKAGE_MODEL", str(model.path))
    return run, lake / "linkage"


def test_outputs_are_written(written_run):
    run, directory = written_run
    for name in (*OUTPUT_FILES, RECORDS_SNAPSHOT, "match_weight_histogram.html", "match_weight_histogram.json"):
        assert (directory / name).exists(), name
    clusters = pd.read_parquet(directory / "clusters.parquet")
    assert {"person_record_id", "person_id", "cluster_size", "match_confidence"} <= set(clusters.columns)
    assert clusters["person_record_id"].is_unique
    assert len(clusters) == run.summary["person_records"]
    quality = pd.read_parquet(directory / "quality.parquet")
    assert {"summary", "cluster_size", "match_weight_histogram"} <= set(quality["section"])


def test_explain_shows_every_comparison_with_its_weight(written_run, model):
    result = CliRunner().invoke(linkage_group, ["explain", "ex-1", "ex-2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for comparison in model.settings["comparisons"]:
        name = comparison["output_column_name"]
        assert any(line.startswith(name + " ") for line in lines), f"{name} missing from:\n{result.output}"
    assert "may stand for the same name (nickname, first word or one keying error)" in result.output
    assert "match probability" in result.output
    assert "decision: linked on this pair's evidence" in result.output
    assert "same person: yes" in result.output


def test_explain_names_the_guard_that_kept_twins_apart(written_run):
    result = CliRunner().invoke(linkage_group, ["explain", "ex-1", "ex-3"])
    assert result.exit_code == 0, result.output
    assert "edge guards: forename_conflict" in result.output
    assert "same person: no" in result.output
    # the tests' background is people with one record or two, no families: a register, whose dates of
    # birth are not keyed with errors and whose forenames are not replaced (so a twin's is a conflict)
    population = next(line for line in result.output.splitlines() if line.startswith("population: "))
    assert population.startswith("population: a register (")
    assert f"threshold {written_run[0].config.threshold}" in population
    assert "not keyed with errors, decades apart is a conflict" in population
    assert "forenames not replaced, an unrelated one is a conflict" in population


def test_explain_reports_an_unknown_record(written_run):
    result = CliRunner().invoke(linkage_group, ["explain", "ex-1", "no-such-record"])
    assert result.exit_code == 1
    assert "no-such-record" in result.output
    # a source's own reference is not the id, but the message names the id to give
    result = CliRunner().invoke(linkage_group, ["explain", "ex-1", "BTP-001687"])
    assert result.exit_code == 1
    assert "the source reference 'BTP-001687' is person_record_id ex-4 (canonical/btp)" in result.output


def test_report_prints_the_quality_report(written_run):
    result = CliRunner().invoke(linkage_group, ["report"])
    assert result.exit_code == 0, result.output
    assert "person_records" in result.output
    assert "Cluster sizes" in result.output
    assert "Match weights" in result.output


def test_explanation_weights_add_up_to_the_match_weight(written_run, model):
    import duckdb

    from oe_platform.linkage.explain import explain_pair

    _, directory = written_run
    con = duckdb.connect()
    con.execute(f"create temp table r as select * from read_parquet('{directory / RECORDS_SNAPSHOT}')")
    explanation = explain_pair(con, "r", "ex-1", "ex-2", model)
    weights = {c.comparison: c.partial_match_weight for c in explanation.comparisons}
    assert explanation.prior_match_weight + sum(weights.values()) == pytest.approx(explanation.match_weight)
    assert weights["date_of_birth"] > 10  # exact date of birth
    assert weights["forename"] > 0  # Bill and William: the same formal name
    assert weights["phone"] == 0  # missing on both sides: no evidence either way
    assert explanation.match_probability >= 0.999


def test_explain_says_which_parameters_the_run_used(written_run):
    run, directory = written_run
    assert (directory / "parameters.json").exists()
    result = CliRunner().invoke(linkage_group, ["explain", "ex-1", "ex-2"])
    assert result.exit_code == 0, result.output
    assert f"m and u: the last run's: {run.adaptation.mode} ({run.adaptation.reason})" in result.output
    if run.adaptation.mode == "adapted":
        adapted = [c.comparison for c in run.adaptation.comparisons if c.decision == "adapted"]
        assert "; adapted: " + ", ".join(adapted) in result.output


def _background_profiles(model, background_rows, monkeypatch):
    """The tests' background as the linkage's profiles, with adaptation allowed at their size: the
    connection, the prepared records and the committed settings for them."""
    import duckdb

    from oe_platform.linkage import adapt
    from oe_platform.linkage.records import prepare_records

    monkeypatch.setattr(adapt, "MIN_PROFILES", 10)
    con = duckdb.connect()
    con.register("frame", pd.DataFrame(background_rows))
    con.execute("create temp table r as select * from frame")
    prepared = prepare_records(con, "r")
    return con, prepared, model.settings_for(prepared.profiles)


def test_adaptation_survives_expectation_maximisation_failing(model, background_rows, monkeypatch):
    """Splink 5.0 raises when EM drives an m to 0.0 (seen on the generator's default profile, seed 7,
    5,000 persons over 3 months: the names training rule). Injected here on the real linker: the run
    adapts from the other rule and says which failed; when every rule fails it keeps the committed
    parameters, exactly, and says why."""
    from oe_platform.linkage import adapt
    from oe_platform.linkage.spec import EM_TRAINING_RULES

    con, prepared, committed = _background_profiles(model, background_rows, monkeypatch)
    real_linker = adapt.make_linker
    failing: set[str] = set()

    def linker_whose_em_fails(con, settings):
        linker = real_linker(con, settings)
        estimate = linker.training.estimate_parameters_using_expectation_maximisation

        def estimate_or_fail(rule, **kwargs):
            if rule in failing:
                raise ValueError("m_probability value 0.0 is below the minimum allowed value of 1e-300.")
            return estimate(rule, **kwargs)

        linker.training.estimate_parameters_using_expectation_maximisation = estimate_or_fail
        return linker

    monkeypatch.setattr(adapt, "make_linker", linker_whose_em_fails)
    failing.add(EM_TRAINING_RULES[1])
    adapted, report = adapt.adapt_settings(con, committed, prepared.profiles)
    assert f"EM failed on 1 of {len(EM_TRAINING_RULES)} training rules: {EM_TRAINING_RULES[1]}" in report.reason
    assert [c.comparison for c in report.comparisons] == [c["output_column_name"] for c in committed["comparisons"]]

    failing.update(EM_TRAINING_RULES)
    adapted, report = adapt.adapt_settings(con, committed, prepared.profiles)
    assert report.mode == "committed" and report.reason.startswith("EM failed on every training rule")
    assert adapted == committed


def test_adaptation_on_a_run_is_guarded_and_reported(link, model, background_rows, monkeypatch):
    """u by random sampling and m by EM on the run's own records: every comparison is adapted, kept
    or rejected with a reason, and a rejected one keeps the committed parameters exactly."""
    from oe_platform.linkage import adapt

    con, prepared, committed = _background_profiles(model, background_rows, monkeypatch)
    adapted, report = adapt.adapt_settings(con, committed, prepared.profiles)
    names = [c["output_column_name"] for c in committed["comparisons"]]
    assert [c.comparison for c in report.comparisons] == names
    assert {c.decision for c in report.comparisons} <= {"adapted", "kept", "rejected", "committed"}
    by_name = {c["output_column_name"]: c for c in adapted["comparisons"]}
    for c in report.comparisons:
        if c.decision in ("kept", "rejected", "committed"):
            assert by_name[c.comparison] == next(x for x in committed["comparisons"]
                                                 if x["output_column_name"] == c.comparison)
        if c.decision == "rejected":
            assert c.reason
    assert report.mode in ("adapted", "committed") and report.reason
    assert "parameters:" in report.as_text()
