"""`oe linkage evaluate` end to end on a small landing zone: generator, ingest, dbt, link, accuracy."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from oe_platform.linkage.cli import linkage_group


def test_evaluate_measures_precision_and_recall_against_the_generators_truth(tmp_path, monkeypatch):
    """… and, with --baseline, a standard Splink configuration's on the same records and truth."""
    monkeypatch.setenv("OE_SHARED_DATA", str(tmp_path / "no-public-data"))
    result = CliRunner().invoke(linkage_group, [
        "evaluate", "--persons", "500", "--months", "2", "--seed", "5", "--workdir", str(tmp_path), "--baseline",
    ])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("pairwise precision"))
    precision, recall = float(line.split()[2]), float(line.split()[4])
    # a small population: few look-alikes, and every record has a known true person
    assert precision >= 0.99
    assert 0.9 <= recall <= 1.0
    records = next(line for line in result.output.splitlines() if line.startswith("person records linked"))
    linked = int(records.split(":")[1].split()[0].replace(",", ""))
    with_truth = int(records.split("profiles, ")[1].split()[0].replace(",", ""))
    assert linked == with_truth > 0
    assert (tmp_path / "lake" / "linkage" / "quality.parquet").exists()
    # the baseline: its line beside ours, and the same figures in baseline.json, over the same truth
    ours = next(line for line in result.output.splitlines() if line.strip().startswith("committed model (threshold"))
    theirs = next(line for line in result.output.splitlines()
                  if line.strip().startswith("standard Splink (threshold 0.9)"))
    assert [float(v) for v in ours.split()[-3:]] == pytest.approx([precision, recall, 2 * precision * recall /
                                                                    (precision + recall)], abs=1e-5)
    import json

    document = json.loads((tmp_path / "lake" / "linkage" / "baseline.json").read_text())
    standard = document["baseline"]["accuracy"]
    assert [float(v) for v in theirs.split()[-3:]] == pytest.approx(
        [standard["precision"], standard["recall"], standard["f1"]], abs=1e-5)
    assert standard["records"] == document["committed"]["records"] == linked
    assert standard["true_pairs"] == document["committed"]["true_pairs"] > 0
    assert 0 < standard["precision"] <= 1 and 0.5 <= standard["recall"] <= 1
    assert document["baseline"]["best_f1_over_thresholds_upper_bound"]["f1"] >= standard["f1"]
    # over pairs under different source keys: fewer true pairs, the same for both models
    across = document["pairs_under_different_source_keys"]
    assert 0 < across["committed"]["true_pairs"] == across["baseline"]["true_pairs"] <= standard["true_pairs"]
    assert "standard Splink, pairs under different source keys" in result.output


def test_evaluate_on_the_heavy_noise_profile_reports_blocking_recall(tmp_path, monkeypatch):
    """--profile heavy: the generator mistypes names twice, dates of birth and postcodes; evaluate says
    so and reports the recall of the blocking rules alone, which bounds the recall of the run."""
    monkeypatch.setenv("OE_SHARED_DATA", str(tmp_path / "no-public-data"))
    result = CliRunner().invoke(linkage_group, [
        "evaluate", "--persons", "500", "--months", "2", "--seed", "5", "--workdir", str(tmp_path),
        "--profile", "heavy",
    ])
    assert result.exit_code == 0, result.output
    assert "noise profile heavy" in result.output
    line = next(line for line in result.output.splitlines() if line.startswith("pairwise precision"))
    precision, recall = float(line.split()[2]), float(line.split()[4])
    blocking = next(line for line in result.output.splitlines() if line.startswith("blocking alone"))
    pair_recall = float(blocking.split()[2])
    ceiling = float(blocking.rsplit(maxsplit=1)[1])
    assert 0.8 <= pair_recall <= 1.0
    assert recall <= ceiling <= 1.0
    assert precision >= 0.98
    # where the missed pairs went: the stages account for every true pair of records not linked
    # (a small population: every person record has a known true person, and no source key is split)
    lines = result.output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("true pairs of records missed"))
    stages = [line for line in lines[start + 1:] if line.startswith("  ") and "of recall" in line]
    assert stages
    lost = sum(float(re.search(r"\(([0-9.]+) of recall\)", line).group(1)) for line in stages)
    assert abs((1 - recall) - lost) < 1e-4
    import json

    manifest = json.loads((tmp_path / "truth" / "manifest.json").read_text())
    assert manifest["noise_rates"]["dob_double_typo"] == 0.04
