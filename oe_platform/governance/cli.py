"""`oe audit`, `oe query` and `oe erase`: thin commands over oe_platform.governance."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import click

from oe_platform.config import load_settings

FORMATS = ("table", "json", "csv")


def _settings(lake: Path | None, warehouse: Path | None):
    return load_settings(lake=lake, warehouse=warehouse)


def _fail(message: str) -> None:
    click.secho(f"error: {message}", fg="red", err=True)
    sys.exit(1)


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(line.rstrip() for line in out)


@click.group(invoke_without_command=True)
@click.option("--lake", type=click.Path(path_type=Path), default=None,
              help="Lake directory; the log is <lake>/_audit/audit.jsonl unless OE_AUDIT names a file.")
@click.option("--operation", type=click.Choice(
    ["collection", "alteration", "combination", "disclosure", "consultation", "erasure", "run_failure"]),
    default=None, help="Only entries of this operation.")
@click.option("--since", default=None, help="Only entries at or after this UTC date or time (2026-01-31).")
@click.option("--until", default=None, help="Only entries at or before this UTC date (whole day) or time.")
@click.option("--record", "record_filter", default=None,
              help="Only entries whose files, models, record ids or run id contain this text.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
@click.pass_context
def audit_group(ctx: click.Context, lake: Path | None, operation: str | None, since: str | None,
                until: str | None, record_filter: str | None, fmt: str) -> None:
    """Print the audit log (collection, alteration, combination, disclosure, consultation, erasure,
    run failures): who, when, what. `oe audit verify` checks its hash chain."""
    ctx.obj = {"lake": lake}
    if ctx.invoked_subcommand is not None:
        return
    from oe_platform.governance.audit import AuditError, audit_path, filter_entries, read_entries, summarise

    path = audit_path(_settings(lake, None))
    try:
        entries = filter_entries(read_entries(path), operation, since, until, record_filter)
    except (AuditError, ValueError) as err:
        _fail(str(err))
    if fmt == "json":
        click.echo(json.dumps(entries, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["seq", "at", "operation", "who", "run_id", "what", "hash"])
        for e in entries:
            writer.writerow([e["seq"], e["at"], e["operation"], e["who"], e.get("run_id") or "",
                             json.dumps(e["what"], sort_keys=True, ensure_ascii=False), e["hash"]])
        click.echo(buffer.getvalue(), nl=False)
    else:
        rows = [[str(e["seq"]), e["at"], e["operation"], e["who"], e.get("run_id") or "", summarise(e["what"])]
                for e in entries]
        click.echo(_table(["seq", "at (UTC)", "operation", "who", "run", "what"], rows))
        click.echo(f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'} ({path})")


@audit_group.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Check the hash chain; name the first entry that was edited, removed or reordered."""
    from oe_platform.governance.audit import audit_path, verify

    path = audit_path(_settings(ctx.obj["lake"], None))
    result = verify(path)
    if not result.ok:
        _fail(f"{path}: {result.describe()}")
    click.echo(f"{path}: {result.describe()}")


@click.command("query")
@click.argument("sql")
@click.option("--justification", default=None,
              help="Why this personal data is consulted (a case or task reference); required, recorded.")
@click.option("--user", default=None, help="Who is asking [default OE_AUDIT_IDENTITY or the OS user].")
@click.option("--warehouse", type=click.Path(path_type=Path), default=None,
              help="DuckDB warehouse file [env OE_WAREHOUSE; default warehouse/oe.duckdb].")
@click.option("--lake", type=click.Path(path_type=Path), default=None, help="Lake directory (for the audit log).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True)
def query_command(sql: str, justification: str | None, user: str | None, warehouse: Path | None,
                  lake: Path | None, fmt: str) -> None:
    """Run one read-only SELECT on the warehouse and print the rows; recorded in the audit log
    (SQL, row count, user, justification: never the values)."""
    import duckdb

    from oe_platform.governance.query import QueryRefused, run_query

    try:
        result = run_query(_settings(lake, warehouse), sql, justification or "", user)
    except QueryRefused as err:
        _fail(f"query refused: {err}")
    except duckdb.Error as err:  # a SQL error is the user's to fix; the attempt was audited
        _fail(f"query failed (recorded in the audit log): {err}")
    if fmt == "json":
        click.echo(json.dumps([dict(zip(result.columns, row, strict=True)) for row in result.rows],
                              indent=2, default=str, ensure_ascii=False))
    elif fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(result.columns)
        writer.writerows(result.rows)
        click.echo(buffer.getvalue(), nl=False)
    else:
        cells = [["" if v is None else str(v) for v in row] for row in result.rows]
        click.echo(_table(result.columns, cells))
        click.echo(f"{len(result.rows)} row(s); audit entry {result.audit_seq}")


@click.command("erase")
@click.option("--source", default=None, help="The source holding the person record (e.g. crime, custody).")
@click.option("--record", "record_id", default=None,
              help="The record's person_record_id (conformed.person_source_record, the retention review).")
@click.option("--reason", default=None, help="Why: the request reference and its legal basis (recorded).")
@click.option("--list", "show", is_flag=True, help="List the erasure requests and what they removed.")
@click.option("--apply", "apply_now", is_flag=True,
              help="Apply the requests to landing, bronze, rejects and quarantine now (oe run does it and "
                   "also rebuilds the warehouse, linkage, gold and serving files).")
@click.option("--landing", type=click.Path(path_type=Path), default=None, help="Landing zone directory.")
@click.option("--lake", type=click.Path(path_type=Path), default=None, help="Lake directory.")
def erase_command(source: str | None, record_id: str | None, reason: str | None, show: bool, apply_now: bool,
                  landing: Path | None, lake: Path | None) -> None:
    """Request the erasure of one source person record from every layer; the next run removes it."""
    from oe_platform.governance.erasure import (
        ErasureError,
        apply_erasures,
        describe,
        list_requests,
        read_delivered_lists,
        request_erasure,
    )

    settings = load_settings(landing=landing, lake=lake)
    if source or record_id or reason:
        if not (source and record_id and reason):
            _fail("give --source, --record and --reason together")
        try:
            request = request_erasure(settings, source, record_id, reason)
        except ErasureError as err:
            _fail(str(err))
        click.echo(f"erasure {request.request_id} registered for {source} record {request.record}; "
                   "the next run (oe run) removes it from every layer")
    if apply_now:
        try:
            _, bad_lists = read_delivered_lists(settings)
            for problem in bad_lists:
                click.secho(f"erasure list not applied: {problem}", fg="yellow", err=True)
            from oe_platform.cli import one_writer  # it rewrites lake files: not while a run does

            with one_writer(settings, "erase"):
                outcomes = apply_erasures(settings)
        except ErasureError as err:
            _fail(str(err))
        for outcome in outcomes:
            click.echo(f"erasure {outcome.request_id}: {outcome.rows} row(s) removed from {len(outcome.files)} "
                       f"file(s) ({', '.join(outcome.layers) or 'nothing found'})")
    if show:
        click.echo(describe(list_requests(settings)), nl=False)
    if not (source or record_id or reason or apply_now or show):
        _fail("nothing to do: give --source, --record and --reason, or --list, or --apply")
