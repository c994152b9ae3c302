"""The governance report page of the docs site (site/governance.html), built by `oe docs`.

For governance reviewers: the PII register (every column of every public model with its class and,
for direct and indirect columns, the source columns it derives from, traced with sqlglot through the
compiled SQL: oe_platform/governance/lineage.py), the ranked marts' purpose, audience and review
period, the equality of their top deciles (mart_governance__ranking_equality), the marts shared
widely and their pseudonymised columns, contracts, versions, owners and tests per public model,
retention reviews due (mart_governance__retention_review), the audit log's summary and chain check,
and the documentation-quality findings (oe_platform/governance/docs_quality.py).

One self-contained HTML file, no script: what a reviewer prints is what the page shows."""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from oe_platform.config import Settings
from oe_platform.governance.audit import audit_path, read_entries, verify
from oe_platform.governance.docs_quality import DocsFinding, check_docs_quality
from oe_platform.governance.lineage import ColumnLineage

REPORT_NAME = "governance.html"
PERSONAL = ("direct", "indirect")


@dataclass(frozen=True)
class RegisterRow:
    model: str
    group: str | None
    column: str
    pii: str
    description: str
    pseudonymised: bool
    sources: list[str]


@dataclass
class GovernanceReport:
    register: list[RegisterRow]
    models: list[dict]
    ranked: list[dict]
    equality: list[tuple]
    retention: list[tuple]
    audit_counts: dict[str, int]
    audit_last_run: dict[str, int]
    audit_status: str
    docs_findings: list[DocsFinding]
    lineage_errors: dict[str, str] = field(default_factory=dict)


def _meta(item: dict) -> dict:
    return (item.get("config") or {}).get("meta") or item.get("meta") or {}


def public_models(manifest: dict) -> list[dict]:
    return sorted(
        (n for n in manifest.get("nodes", {}).values()
         if n.get("resource_type") == "model" and n.get("access") == "public"),
        key=lambda n: (n["name"], str(n.get("version"))),
    )


def _label(node: dict) -> str:
    return node["name"] + (f" v{node['version']}" if node.get("version") is not None else "")


def pii_register(manifest: dict, tracer: ColumnLineage | None = None) -> list[RegisterRow]:
    """Every column of every public model; direct and indirect ones with their source columns."""
    tracer = tracer or ColumnLineage(manifest)
    rows = []
    for node in public_models(manifest):
        for column, spec in (node.get("columns") or {}).items():
            meta = _meta(spec)
            pii = meta.get("pii") or "unclassified"
            traced = tracer.sources_of(node["unique_id"], column) if pii in PERSONAL else frozenset()
            sources = sorted({s.label() for s in traced})
            rows.append(RegisterRow(_label(node), node.get("group"), column, pii,
                                    (spec.get("description") or "").strip(), meta.get("pseudonymise") is True, sources))
    return rows


def tests_per_model(manifest: dict) -> Counter:
    """Data and unit tests attached to each model (by unique id)."""
    counts: Counter = Counter()
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") == "test" and node.get("attached_node"):
            counts[node["attached_node"]] += 1
    for test in manifest.get("unit_tests", {}).values():
        for model_id in (test.get("depends_on") or {}).get("nodes", [])[:1]:
            counts[model_id] += 1
    return counts


def _warehouse_rows(settings: Settings, sql: str) -> list[tuple]:
    if not settings.warehouse.exists():
        return []
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute(sql).fetchall()
    except duckdb.CatalogException:
        return []  # the mart is not built yet: the page says so
    finally:
        con.close()


def build_report(settings: Settings, manifest: dict) -> GovernanceReport:
    tracer = ColumnLineage(manifest)
    register = pii_register(manifest, tracer)
    tests = tests_per_model(manifest)
    models = [
        {
            "model": _label(n),
            "group": n.get("group"),
            "owner": _meta(n).get("owner"),
            "contract": "enforced" if (n.get("contract") or {}).get("enforced") else "not enforced",
            "latest_version": n.get("latest_version"),
            "sharing": _meta(n).get("sharing") or "own audience",
            "tests": tests[n["unique_id"]],
        }
        for n in public_models(manifest)
    ]
    ranked = [
        {"model": _label(n), **{k: _meta(n).get(k, "") for k in ("purpose", "audience", "review_period")}}
        for n in public_models(manifest) if _meta(n).get("ranked")
    ]
    equality = _warehouse_rows(settings, (
        "select ranked_mart, characteristic, category, population_count, population_share, top_decile_count, "
        "top_decile_share, share_difference from marts.mart_governance__ranking_equality "
        "order by ranked_mart, characteristic, population_count desc, category"))
    retention = _warehouse_rows(settings, (
        "select source_name, review_status, count(*) from marts.mart_governance__retention_review "
        "group by all order by all"))
    entries = read_entries(audit_path(settings))
    counts = Counter(e["operation"] for e in entries)
    last_run_id = next((e.get("run_id") for e in reversed(entries) if e.get("run_id")), None)
    last_run = Counter(e["operation"] for e in entries if last_run_id and e.get("run_id") == last_run_id)
    status = verify(audit_path(settings)).describe()
    return GovernanceReport(register, models, ranked, equality, retention, dict(sorted(counts.items())),
                            {"run_id": last_run_id, **dict(sorted(last_run.items()))} if last_run_id else {},
                            status, check_docs_quality(manifest), tracer.errors)


def _table(table_id: str, headers: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>" for row in rows
    )
    return f'<table id="{table_id}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.1f}%"


def render_report(report: GovernanceReport) -> str:
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>OE Data Platform: governance report</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:1400px}table{border-collapse:collapse;margin:1em 0}"
        "th,td{border:1px solid #bbb;padding:3px 6px;font-size:13px;vertical-align:top;text-align:left}"
        "th{background:#eee}.direct{background:#fdd}.indirect{background:#ffe9c6}</style></head><body>",
        "<h1>Governance report</h1>",
        f"<p>Built {datetime.now(UTC).isoformat(timespec='seconds')} from the dbt manifest, the warehouse and the "
        "audit log. <a href='index.html'>dbt docs (models, lineage graph)</a>. "
        "docs/governance.md explains each part.</p>",
        "<h2 id='ranked'>Ranked marts: purpose, audience, review period</h2>",
        _table("ranked-marts", ["mart", "purpose", "audience", "review period"],
               [[r["model"], r["purpose"], r["audience"], r["review_period"]] for r in report.ranked]),
        "<h2 id='equality'>Equality of the ranked marts' top deciles</h2>",
        "<p>For each ranked mart: the share of each sex, age band and ethnicity (broad group, recorded on custody "
        "records only) in its top decile beside the population it ranks (mart_governance__ranking_equality).</p>",
    ]
    if not report.equality:
        parts.append("<p>mart_governance__ranking_equality is not built: run the pipeline.</p>")
    for mart in sorted({r[0] for r in report.equality}):
        parts.append(f"<h3>{html.escape(mart)}</h3>")
        parts.append(_table(f"equality-{mart}", ["characteristic", "category", "population", "population share",
                                                  "top decile", "top decile share", "difference (points)"],
                            [[r[1], r[2], r[3], _pct(r[4]), r[5], _pct(r[6]),
                              "" if r[7] is None else f"{100 * r[7]:+.1f}"] for r in report.equality if r[0] == mart]))
    personal = [r for r in report.register if r.pii in PERSONAL]
    parts += [
        "<h2 id='register'>PII register</h2>",
        f"<p>Every column of every public model ({len(report.register)} columns; {len(personal)} classed direct or "
        "indirect, each with the source columns it derives from, traced column by column with sqlglot through the "
        "compiled SQL). A pseudonymised column is published as a keyed hash (OE_PSEUDONYM_KEY).</p>",
        _table("pii-register", ["model", "group", "column", "class", "pseudonymised", "source columns", "description"],
               [[r.model, r.group, r.column, r.pii, "yes" if r.pseudonymised else "", "; ".join(r.sources),
                 r.description] for r in report.register]),
        "<h2 id='models'>Public models: owners, contracts, versions, tests</h2>",
        _table("public-models", ["model", "group", "owner", "contract", "latest version", "sharing", "tests"],
               [[m["model"], m["group"], m["owner"], m["contract"], m["latest_version"], m["sharing"], m["tests"]]
                for m in report.models]),
        "<h2 id='retention'>Retention reviews (MoPI)</h2>",
        _table("retention", ["source", "review status", "records"], [list(r) for r in report.retention])
        if report.retention else "<p>mart_governance__retention_review is not built: run the pipeline.</p>",
        "<h2 id='audit'>Audit log</h2>",
        f"<p id='audit-status'>{html.escape(report.audit_status)}</p>",
        _table("audit-counts", ["operation", "entries (all time)"], [[k, v] for k, v in report.audit_counts.items()]),
    ]
    if report.audit_last_run:
        run = dict(report.audit_last_run)
        parts.append(f"<p>Last run {html.escape(str(run.pop('run_id')))}:</p>")
        parts.append(_table("audit-last-run", ["operation", "entries"], [[k, v] for k, v in run.items()]))
    parts += [
        "<h2 id='docs-quality'>Documentation quality</h2>",
        f"<p>{len(report.docs_findings)} finding(s) (oe_platform/governance/docs_quality.py).</p>",
        _table("docs-findings", ["finding"], [[f.describe()] for f in report.docs_findings]),
    ]
    if report.lineage_errors:
        parts += ["<h2>Lineage not traced</h2>",
                  _table("lineage-errors", ["node", "reason"],
                         [[k, v] for k, v in sorted(report.lineage_errors.items())])]
    parts.append("</body></html>")
    return "\n".join(parts)


def write_report(settings: Settings, manifest: dict, out: Path) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / REPORT_NAME
    path.write_text(render_report(build_report(settings, manifest)), encoding="utf-8")
    return path
