"""Documentation quality of the dbt project, checked from the manifest (the project's own check:
dbt-score is not in the pinned environment, so these rules stand in for it).

Rules, for every model under models/conformed/ and models/marts/ (the conformed and public layers):
- the model has a description and an owner (meta.owner);
- every column has a description, a contract data_type and meta.pii in direct / indirect / none;
- a public model enforces its contract;
- a ranked mart (meta.ranked) states its purpose, audience and review_period in meta, and its
  description says them too (the Gangs Matrix lesson: each list says what it is for and who sees it);
- a mart for wide sharing (meta.sharing wide) has every person-level column pseudonymised
  (oe_platform/governance/pseudonym.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from oe_platform.governance.pseudonym import WIDE, SharedColumn, sharing_violations

PII_CLASSES = ("direct", "indirect", "none")
CHECKED_LAYERS = ("conformed", "marts")
RANKED_META = ("purpose", "audience", "review_period")


@dataclass(frozen=True)
class DocsFinding:
    model: str
    column: str | None
    rule: str

    def describe(self) -> str:
        where = f"{self.model}.{self.column}" if self.column else self.model
        return f"{where}: {self.rule}"


def _meta(item: dict) -> dict:
    return (item.get("config") or {}).get("meta") or item.get("meta") or {}


def checked_models(manifest: dict) -> list[dict]:
    return sorted(
        (n for n in manifest.get("nodes", {}).values()
         if n.get("resource_type") == "model" and len(n.get("fqn", [])) > 2 and n["fqn"][1] in CHECKED_LAYERS),
        key=lambda n: (n["name"], str(n.get("version"))),
    )


def check_docs_quality(manifest: dict) -> list[DocsFinding]:
    findings: list[DocsFinding] = []
    for node in checked_models(manifest):
        name = node["name"] + (f".v{node['version']}" if node.get("version") is not None else "")
        meta = _meta(node)
        description = (node.get("description") or "").strip()
        if not description:
            findings.append(DocsFinding(name, None, "no description"))
        if not meta.get("owner"):
            findings.append(DocsFinding(name, None, "no meta.owner"))
        if node.get("access") == "public" and not (node.get("contract") or {}).get("enforced"):
            findings.append(DocsFinding(name, None, "a public model must enforce its contract"))
        if not node.get("columns"):
            findings.append(DocsFinding(name, None, "no columns documented"))
        for column_name, column in (node.get("columns") or {}).items():
            if not (column.get("description") or "").strip():
                findings.append(DocsFinding(name, column_name, "no description"))
            if not column.get("data_type"):
                findings.append(DocsFinding(name, column_name, "no contract data_type"))
            if _meta(column).get("pii") not in PII_CLASSES:
                findings.append(DocsFinding(name, column_name, "meta.pii is not one of direct, indirect, none"))
        if meta.get("ranked"):
            lowered = description.lower()
            for key in RANKED_META:
                if not str(meta.get(key) or "").strip():
                    findings.append(DocsFinding(name, None, f"a ranked mart must state meta.{key}"))
                words = key.replace("_", " ")
                if words not in lowered:
                    findings.append(DocsFinding(name, None, f"a ranked mart's description must state its {words}"))
        if meta.get("sharing") == WIDE:
            columns = [SharedColumn(c, _meta(spec).get("pii"), _meta(spec).get("pseudonymise") is True)
                       for c, spec in (node.get("columns") or {}).items()]
            findings += [DocsFinding(name, None, v) for v in sharing_violations(node["name"], columns)]
    return findings
