"""Governance: every column the pipeline actually built is documented and classified for PII."""

import json

import duckdb
import pytest

from oe_platform.config import REPO_ROOT

pytestmark = pytest.mark.slow

LAYERS = ("staging", "conformed", "marts")


def test_every_built_column_is_described_and_classified(slice_pipeline):
    assert slice_pipeline.result.success
    manifest = json.loads((REPO_ROOT / "target" / "manifest.json").read_text())
    con = duckdb.connect(str(slice_pipeline.settings.warehouse), read_only=True)
    gaps, checked = [], 0
    try:
        for node in manifest["nodes"].values():
            if node["resource_type"] != "model" or node["schema"] not in LAYERS:
                continue
            relation = node.get("alias") or node["name"]
            built = con.execute(
                "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
                [node["schema"], relation],
            ).fetchall()
            assert built, f"{node['schema']}.{relation} was not built"
            documented = {name.lower(): spec for name, spec in node["columns"].items()}
            for (column,) in built:
                checked += 1
                spec = documented.get(column.lower())
                meta = (spec or {}).get("config", {}).get("meta") or (spec or {}).get("meta") or {}
                if not spec or not spec.get("description"):
                    gaps.append(f"{node['schema']}.{relation}.{column}: no description")
                elif meta.get("pii") not in ("direct", "indirect", "none"):
                    gaps.append(f"{node['schema']}.{relation}.{column}: no meta.pii")
    finally:
        con.close()
    assert checked > 500
    assert gaps == [], "\n".join(gaps)
