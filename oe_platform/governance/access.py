"""Model access and groups follow the folder a model lives in (docs/governance.md, DESIGN.md):

- models/staging/**: group `staging`, access `protected`. DESIGN.md asks for private staging, but dbt
  lets only models of the same group ref a private model, and the conformed models (and a mart)
  ref staging models across the group boundary; staging therefore stays protected (refable inside this project
  only, never by another project), and any `int_` model in staging is private.
- models/conformed/**: group `conformed`; `int_*` helpers private, the POLE tables protected.
- models/marts/<audience>/**: group `<audience>`; `mart_<audience>__*` public, `int_<audience>__*` private.
- models/semantic/**: the semantic layer's reference models (the MetricFlow time spine): group
  `reference`, access `protected`, like the reference seeds.

`access_drift` lists every model of a parsed manifest that breaks the rule of its folder."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def expected_access(path: str, name: str) -> tuple[str, str] | str:
    """(group, access) a model at `path` (relative to models/) must have, or why its place is wrong."""
    parts = Path(path).parts
    private = name.startswith("int_")
    if parts[0] == "staging":
        return "staging", "private" if private else "protected"
    if parts[0] == "conformed":
        return "conformed", "private" if private else "protected"
    if parts[0] == "semantic":
        return "reference", "private" if private else "protected"
    if parts[0] == "marts":
        if len(parts) < 3:
            return "a mart must sit in models/marts/<audience>/"
        audience = parts[1]
        if not (name.startswith(f"mart_{audience}__") or name.startswith(f"int_{audience}__")):
            return f"a model in models/marts/{audience}/ is named mart_{audience}__* or int_{audience}__*"
        return audience, "private" if private else "public"
    return f"models/{parts[0]}/ is not a known layer (staging, conformed, semantic, marts/<audience>)"


def access_drift(manifest: Mapping[str, Any], declared_groups: set[str] | None = None) -> list[str]:
    """One line per model whose group or access differs from its folder's rule."""
    groups = declared_groups if declared_groups is not None else {
        g["name"] for g in manifest.get("groups", {}).values()
    }
    problems = []
    for node in manifest.get("nodes", {}).values():
        if node.get("resource_type") != "model":
            continue
        name, where = node["name"], node["original_file_path"]
        rule = expected_access(node["path"], name)
        version = f" v{node['version']}" if node.get("version") is not None else ""
        label = f"{name}{version} ({where})"
        if isinstance(rule, str):
            problems.append(f"{label}: {rule}")
            continue
        group, access = rule
        if node.get("group") != group:
            problems.append(f"{label}: group {node.get('group')!r}, expected {group!r}")
        if node.get("access") != access:
            problems.append(f"{label}: access {node.get('access')!r}, expected {access!r}")
        if group not in groups:
            problems.append(f"{label}: group {group!r} is not declared in models/_groups.yml")
    return sorted(problems)


def read_manifest(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())
