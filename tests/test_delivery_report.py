"""How `oe run`'s closing report reads: each finding located by file and row (or by file, for a
finding about a whole file), what to do under it, the set-aside files' errors without their path
twice, and a long list cut to the most important groups."""

from __future__ import annotations

from oe_platform.delivery_report import DeliveryReport, Group, format_report


def _report() -> DeliveryReport:
    error = "canonical/p/2025-01-20/person_events.csv: header does not match contracts/canonical.yml"
    return DeliveryReport(
        "run1", files=3,
        set_aside=[("canonical/p/2025-01-20/person_events.csv", "quarantined", error),
                   ("crime/kent/2025-01-20/x.csv", "failed", "could not read it")],
        warned=[Group("no_data_rows: header only", 2, 2, "crime/kent/2025-01-21/a.csv", None, "Nothing to do.",
                      False)],
        issues=[Group(f"canonical persons (p): rule {n}", 10 - n, 1 + n % 2, f"canonical/p/f{n}.csv", n + 2,
                      f"action {n}", n < 2) for n in range(5)],
    )


def test_every_finding_is_located_with_what_to_do():
    lines = format_report(_report())
    assert lines[0] == "deliveries: 3 new file(s) in this run (ingest run run1)"
    # the error already names the file: the path is not said twice; another error gets its path
    assert "    quarantined: canonical/p/2025-01-20/person_events.csv: header does not match contracts/canonical.yml" \
        in lines
    assert "    failed: crime/kent/2025-01-20/x.csv: could not read it" in lines
    # a finding about a whole file counts files, not rows
    assert "    no_data_rows: header only: 2 file(s), e.g. crime/kent/2025-01-21/a.csv" in lines
    assert ("    canonical persons (p): rule 0: 10 rows, e.g. canonical/p/f0.csv row 2" in lines)
    assert ("    canonical persons (p): rule 1: 9 rows, e.g. canonical/p/f1.csv row 3 (and 1 other file(s))"
            in lines)
    for n in range(5):
        line = next(i for i, text in enumerate(lines) if text.startswith(f"    canonical persons (p): rule {n}:"))
        assert lines[line + 1] == f"      what to do: action {n}"


def test_a_long_list_is_cut_and_counted():
    lines = format_report(_report(), limit=2)
    assert not [line for line in lines if "rule 2:" in line or "rule 4:" in line]
    assert lines[-1] == "    … and 3 more kind(s), 21 finding(s)"  # 8 + 7 + 6 rows of rules 2-4


def test_a_clean_run_and_an_empty_run_say_so():
    assert format_report(DeliveryReport("r", files=0)) == ["deliveries: no new file in this run"]
    assert format_report(DeliveryReport("r", files=4))[1] == "  every file loaded, no row refused and no value flagged"


def test_every_ingest_warning_kind_says_what_to_do():
    """Each kind stg_ingest__warnings accepts has its advice (a new kind must bring one)."""
    import yaml

    from oe_platform.config import REPO_ROOT
    from oe_platform.delivery_report import WARNING_ACTIONS

    spec = yaml.safe_load((REPO_ROOT / "models" / "staging" / "ingest" / "_ingest__models.yml").read_text())
    (model,) = [m for m in spec["models"] if m["name"] == "stg_ingest__warnings"]
    kinds = model["data_tests"][0]["column_values"]["arguments"]["accepted_values"]["kind"]
    assert len(kinds) >= 9 and set(kinds) == set(WARNING_ACTIONS)


def test_a_run_that_stopped_does_not_call_its_deliveries_clean():
    """When the run failed, the data-quality tables may still be the previous run's: the report says
    the flagged values are not known yet, and still lists what ingest set aside. A run whose selection
    left those tables out says that instead of "did not finish"."""
    from oe_platform.delivery_report import NOT_REBUILT, UNFINISHED

    lines = format_report(DeliveryReport("r", files=2), outcome=UNFINISHED)
    assert "every file loaded" not in "\n".join(lines)
    assert lines[1].startswith("  the run did not finish")
    report = _report()
    lines = format_report(report, outcome=UNFINISHED)
    assert lines[1].startswith("  the run did not finish")
    assert any(line.startswith("    quarantined: canonical/p/2025-01-20/person_events.csv") for line in lines)
    # stopped before the warehouse staged the run's file manifest: the files are not known there, and the
    # report does not say there were none
    [line] = format_report(DeliveryReport("r", files=0, registered=6), outcome=UNFINISHED)
    assert line.startswith("deliveries: 6 new file(s) registered by ingest (ingest run r), not in the warehouse "
                           "yet: the run did not finish")
    assert format_report(DeliveryReport("r", files=0), outcome=UNFINISHED) == ["deliveries: no new file in this run"]
    lines = format_report(DeliveryReport("r", files=2), outcome=NOT_REBUILT)
    assert "every file loaded" not in "\n".join(lines)
    assert lines[1].startswith("  this run did not rebuild the data-quality tables (its selection left them out)")


def test_the_kept_run_reports_are_pruned_to_the_newest(tmp_path):
    """Each run keeps its report (`<lake>/_meta/run_reports/<run id>.json`); saving one removes the
    oldest beyond RUN_REPORTS_KEPT, so a daily pipeline does not fill the lake with them."""
    import os

    from oe_platform.delivery_report import RUN_REPORTS_KEPT, report_path, save_run_report

    folder = report_path(tmp_path, "x").parent
    folder.mkdir(parents=True)
    for n in range(RUN_REPORTS_KEPT + 5):
        old = folder / f"run-{n:04d}.json"
        old.write_text("{}", encoding="utf-8")
        os.utime(old, (1_000_000 + n, 1_000_000 + n))
    (folder / "notes.txt").write_text("not a report", encoding="utf-8")
    # no ingest in the run: nothing is read from the warehouse, the report says so
    path = save_run_report(tmp_path, tmp_path / "no-warehouse.duckdb", "run-new", None, "complete")
    kept = sorted(p.name for p in folder.glob("*.json"))
    assert len(kept) == RUN_REPORTS_KEPT and path.name in kept
    # the oldest six went, the newest stayed; other files are not touched
    assert "run-0005.json" not in kept and "run-0006.json" in kept and f"run-{RUN_REPORTS_KEPT + 4:04d}.json" in kept
    assert (folder / "notes.txt").exists()
