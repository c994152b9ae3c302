"""What became of one run's deliveries, for the person who ran it: files set aside, rows refused,
values flagged, each with its landed file, row and column and what to do. The run reads it from the
warehouse it built (read-only, before it releases the warehouse lock) and keeps it in
`<lake>/_meta/run_reports/`; `oe run` prints it at the end, so it shows what the tables hold.

Nothing here decides anything: ingest (file manifest, rejects, warnings) and the staging layer's
data-quality rules (stg_data_quality__issues, whose `what_to_do` comes from seed data_quality_rules)
did. Delivered values are never printed (they may be personal data): the file, row and column say
where to look.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

# groups of rejected rows, warnings and issues listed in full; the rest are counted
DEFAULT_LIMIT = 12

# What to do about each kind of ingest warning (docs/ingest.md, "Kept but flagged"): the rows are loaded.
WARNING_ACTIONS = {
    "formula_like": "Nothing to do here; an export to CSV or a spreadsheet must neutralise the value "
                    "(oe_platform.landing.cells.neutralise_formula).",
    "huge_field": "Check the source's export: a value over 1 MiB is usually a field that ran on.",
    "after_resync": "Check the row: it follows a refused multi-line record and may be part of it.",
    "field_never_present": "Nothing to do if the source does not hold the field; if it does, check the "
                           "extract's field names against contracts/<source>.yml.",
    "no_data_rows": "Nothing to do if the source had nothing to deliver; otherwise re-export and redeliver.",
    "column_absent": "The column arrives empty; include it in later deliveries if the source holds it.",
    "byte_order_mark": "Nothing to do: the mark was removed; the detail says how the file was read.",
    "utf8_undeclared": "Nothing to do: the file was read as UTF-8. If every file of the layout is UTF-8, "
                       "declare encoding utf-8 for it in contracts/<source>.yml.",
    "header_names_loose": "Nothing to do: the columns were read. Ask the sender to use the contract's column "
                          "names (docs/sources/<source>.md).",
    "cp1252_undeclared": "Check names with accents in the file; ask the sender to export UTF-8 (\"CSV UTF-8\" "
                         "in a spreadsheet), or declare encoding cp1252 for the layout if every file is.",
}


@dataclass(frozen=True)
class Group:
    """Rows of one kind: `count` of them, in `files` file(s); `path` and `row` locate one of them."""

    what: str
    count: int
    files: int
    path: str
    row: int | None
    what_to_do: str
    needs_action: bool = True  # false: a fact to know, nothing to correct


@dataclass
class DeliveryReport:
    ingest_run_id: str
    files: int = 0
    set_aside: list[tuple[str, str, str]] = field(default_factory=list)  # path, status, error
    rejected: list[Group] = field(default_factory=list)
    warned: list[Group] = field(default_factory=list)
    issues: list[Group] = field(default_factory=list)
    registered: int = 0
    """Files the ingest run registered, from the lake's file manifest: the warehouse's count (`files`) is
    0 when the run stopped before staging it."""

    @property
    def clean(self) -> bool:
        return not (self.set_aside or self.rejected or self.warned or self.issues)


# The run's files by id (byte-identical files of one delivery share an id: header-only daily files)
_RUN_FILES = """
    select distinct file_id from staging.stg_ingest__file_manifest where ingest_run_id = $run
"""


def _first(path: str, row: str) -> str:
    """An ordering key for arg_min: the first row of the first file (row numbers compared as numbers)."""
    return f"{path} || lpad(cast(coalesce({row}, 0) as varchar), 20, '0')"


def _groups(con: duckdb.DuckDBPyConnection, sql: str, run_id: str) -> list[Group]:
    return [Group(*row) for row in con.execute(sql, {"run": run_id}).fetchall()]


def delivery_report(warehouse: Path, ingest_run_id: str) -> DeliveryReport:
    """Read what the warehouse says about the files ingest run `ingest_run_id` loaded."""
    report = DeliveryReport(ingest_run_id)
    if not warehouse.exists():
        return report
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        report.files = con.execute(
            "select count(distinct path) from staging.stg_ingest__file_manifest where ingest_run_id = $run",
            {"run": ingest_run_id}).fetchall()[0][0]
        report.set_aside = [tuple(r) for r in con.execute(
            "select path, status, coalesce(error, '') from staging.stg_ingest__file_manifest "
            "where ingest_run_id = $run and status in ('quarantined', 'failed') "
            "order by path", {"run": ingest_run_id}).fetchall()]
        report.rejected = _groups(con, f"""
            with run_files as ({_RUN_FILES})
            select 'refused: ' || coalesce(r.column_name || ': ', '') || r.reason,
                   count(*), count(distinct r.path), min(r.path),
                   arg_min(r.row_number, {_first('r.path', 'r.row_number')}),
                   'The row is in rejects/ (staging.stg_ingest__rejects); correct it at source and redeliver it.',
                   true
            from staging.stg_ingest__rejects r join run_files f using (file_id)
            group by r.column_name, r.reason order by 2 desc, 1
        """, ingest_run_id)
        # one group per kind: a file leaving ten optional columns out is one finding, its columns listed
        report.warned = [
            Group(f"{kind} ({', '.join(columns)})" if len(columns) > 1
                  else f"{kind}{f' ({columns[0]})' if columns else ''}: {detail}",
                  count, files, path, row,
                  WARNING_ACTIONS.get(kind, "See docs/ingest.md, \"Kept but flagged\"."), False)
            for kind, columns, detail, count, files, path, row in con.execute(f"""
                with run_files as ({_RUN_FILES})
                select w.kind, list_sort(list_filter(list(distinct w.column_name), lambda c: c is not null)),
                       arg_min(w.detail, w.path), count(*), count(distinct w.path),
                       min(w.path), arg_min(w.row_number, {_first('w.path', 'w.row_number')})
                from staging.stg_ingest__warnings w join run_files f using (file_id)
                group by w.kind order by 4 desc, 1
            """, {"run": ingest_run_id}).fetchall()
        ]
        issues = f"""
            with run_files as ({_RUN_FILES})
            select i.source_name || ' ' || i.entity_name || ' (' || string_agg(distinct i.force_code, ', '
                       order by i.force_code) || '): ' || i.reason,
                   count(*), count(distinct i.landed_path), min(i.landed_path),
                   arg_min(i._row_number, {_first('i.landed_path', 'i._row_number')}),
                   any_value(i.what_to_do), bool_or(i.needs_action)
            from staging.stg_data_quality__issues i join run_files f on i._file_id = f.file_id
            group by i.source_name, i.entity_name, i.column_name, i.rule, i.reason
            -- what someone must correct first, then the most rows
            order by 7 desc, 2 desc, 1
        """
        report.issues = _groups(con, issues, ingest_run_id)
    except duckdb.CatalogException:
        pass  # the run stopped before the staging layer was built: the file manifest lines above stand
    finally:
        con.close()
    return report


def _located(group: Group) -> str:
    if group.row is None:  # a file-level finding (a warning about the whole file)
        return f"{group.files} file(s), e.g. {group.path}"
    more = f" (and {group.files - 1} other file(s))" if group.files > 1 else ""
    rows = "row" if group.count == 1 else "rows"
    return f"{group.count} {rows}, e.g. {group.path} row {group.row}{more}"


COMPLETE, UNFINISHED, NOT_REBUILT = "complete", "unfinished", "not_rebuilt"
"""A run's data-quality outcome (orchestration/resources.py, `data_quality_outcome`): it rebuilt
staging.stg_data_quality__issues (whatever failed after); it was to rebuild it but stopped or failed
first; its selection left it out (a run of some assets only)."""

OUTCOME_NOTES = {
    UNFINISHED: "the run did not finish: the values its data-quality rules flag are not known yet "
                "(run again once it is fixed)",
    NOT_REBUILT: "this run did not rebuild the data-quality tables (its selection left them out): the values "
                 "their rules flag in these files are not known yet (run the whole pipeline, oe run)",
}


def _outcome_note(outcome: str) -> str:
    return OUTCOME_NOTES.get(outcome, OUTCOME_NOTES[UNFINISHED])


def format_report(report: DeliveryReport, limit: int = DEFAULT_LIMIT, outcome: str = COMPLETE) -> list[str]:
    """The report as lines for a terminal: most rows first, at most `limit` groups of each kind. When
    the run did not rebuild its data-quality tables (`outcome` UNFINISHED: it stopped or failed first;
    NOT_REBUILT: its selection left them out) the values flagged are not known yet, and the report says
    which, rather than calling the deliveries clean."""
    if not report.files:
        if not report.registered or outcome == COMPLETE:
            return ["deliveries: no new file in this run"]
        # the warehouse's file manifest is staged by the step that did not run: the files are not there yet
        return [f"deliveries: {report.registered} new file(s) registered by ingest (ingest run "
                f"{report.ingest_run_id}), not in the warehouse yet: "
                f"{_outcome_note(outcome)}; the run's log names the files ingest "
                "set aside, and why"]
    lines = [f"deliveries: {report.files} new file(s) in this run (ingest run {report.ingest_run_id})"]
    if report.clean and outcome == COMPLETE:
        lines.append("  every file loaded, no row refused and no value flagged")
        return lines
    if outcome != COMPLETE:
        lines.append(f"  {_outcome_note(outcome)}")
    if report.set_aside:
        lines.append(f"  {len(report.set_aside)} file(s) set aside, nothing of them loaded (quarantine/):")
        lines += [f"    {status}: {error if error.startswith(path) else f'{path}: {error}'}"
                  for path, status, error in report.set_aside]
    for title, groups in (("rows refused at ingest", report.rejected),
                          ("ingest warnings (rows loaded)", report.warned),
                          ("values flagged by the data-quality rules (rows kept; "
                           "staging.stg_data_quality__issues)", report.issues)):
        if not groups:
            continue
        lines.append(f"  {title}:")
        for group in groups[:limit]:
            lines.append(f"    {group.what}: {_located(group)}")
            lines.append(f"      what to do: {group.what_to_do}")
        if len(groups) > limit:
            hidden = sum(g.count for g in groups[limit:])
            lines.append(f"    … and {len(groups) - limit} more kind(s), {hidden} finding(s)")
    return lines


RUN_REPORTS_KEPT = 500
"""The reports of this many runs are kept (a run a day: more than a year); saving one removes the oldest
beyond it. The run log (`<lake>/_meta/run_log.jsonl`) and Dagster's run history keep each run's outcome."""


def report_path(meta: Path, run_id: str) -> Path:
    """Where the report of Dagster run `run_id` is kept: `<lake>/_meta/run_reports/<run_id>.json`."""
    return meta / "run_reports" / f"{run_id}.json"


def save_run_report(meta: Path, warehouse: Path, run_id: str, ingest_run_id: str | None,
                    outcome: str) -> Path:
    """Read the report of a pipeline run from the warehouse and keep it beside the run log.

    Called by the run itself while it still holds the warehouse lock (orchestration/resources.py):
    once the lock is released the next run may open the warehouse to write, and DuckDB refuses a
    writer while any reader (even a read-only one) has the file open."""
    report = delivery_report(warehouse, ingest_run_id) if ingest_run_id else None
    if report is not None:
        from oe_platform.landing.ingest import read_manifest

        report.registered = sum(1 for row in read_manifest(meta) if row["run_id"] == ingest_run_id)
    path = report_path(meta, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"run_id": run_id, "ingest_run_id": ingest_run_id, "outcome": outcome,
               "report": asdict(report) if report else None}
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    temporary.replace(path)
    _prune_run_reports(path.parent, keep=path)
    return path


def _prune_run_reports(folder: Path, keep: Path, kept: int = RUN_REPORTS_KEPT) -> None:
    """Remove the oldest reports in `folder` beyond the newest `kept` (`keep`, just written, stays)."""
    def modified(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:  # removed meanwhile (another run pruning): oldest, and unlink will skip it
            return 0.0

    reports = sorted((p for p in folder.glob("*.json") if p != keep), key=modified, reverse=True)
    for old in reports[max(kept - 1, 0):]:
        try:
            old.unlink(missing_ok=True)
        except OSError:  # pruning is housekeeping: the report was saved, a file left over is harmless
            continue


def run_report_lines(meta: Path, run_id: str, limit: int = DEFAULT_LIMIT) -> list[str]:
    """The report of a pipeline run (`oe run`, `oe demo`), as the run kept it: none when the run
    ingested nothing, or stopped before it held the warehouse."""
    path = report_path(meta, run_id)
    if not path.exists():
        return []
    payload = json.loads(path.read_text(encoding="utf-8"))
    kept = payload.get("report")
    if not kept:
        return []
    report = DeliveryReport(
        kept["ingest_run_id"], kept["files"], [tuple(row) for row in kept["set_aside"]],
        *([Group(**group) for group in kept[kind]] for kind in ("rejected", "warned", "issues")),
        registered=kept.get("registered", 0))
    # reports kept before the outcome had three values hold `complete` (true or false)
    outcome = payload.get("outcome") or (COMPLETE if payload.get("complete") else UNFINISHED)
    return format_report(report, limit=limit, outcome=outcome)
