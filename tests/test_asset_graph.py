"""The Dagster asset graph: lineage from landed file to mart, and a reviewed snapshot of it."""

import json
import os
from pathlib import Path

import pytest
from dagster import AssetKey

from oe_platform.config import load_settings
from oe_platform.dbt_runner import prepare_manifest

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


@pytest.fixture(scope="module")
def defs():
    prepare_manifest(load_settings())
    from orchestration.definitions import defs

    return defs


def graph_of(defs) -> dict:
    graph = defs.resolve_asset_graph()
    nodes = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.path):
        node = graph.get(key)
        nodes[key.to_user_string()] = {
            "deps": sorted(p.to_user_string() for p in node.parent_keys),
            "group": node.group_name,
            "checks": sorted(c.name for c in node.check_keys),
        }
    return {
        "assets": nodes,
        "jobs": sorted(j.name for j in defs.resolve_all_job_defs() if not j.name.startswith("__")),
    }


def upstream_closure(defs, key: AssetKey) -> set[str]:
    graph = defs.resolve_asset_graph()
    seen, todo = set(), [key]
    while todo:
        current = todo.pop()
        for parent in graph.get(current).parent_keys:
            if parent.to_user_string() not in seen:
                seen.add(parent.to_user_string())
                todo.append(parent)
    return seen


def test_lineage_runs_from_landed_file_to_published_mart(defs):
    upstream = upstream_closure(defs, AssetKey(["gold", "mart_strategic__oe_monthly_by_force"]))
    for key in [
        "marts/mart_strategic__oe_monthly_by_force",
        "conformed/event",
        "staging/stg_crime__crimes",
        "bronze/crime/crimes",
        "landing/crime",
    ]:
        assert key in upstream, f"{key} is missing from the mart's lineage"


def test_asset_graph_matches_reviewed_snapshot(defs):
    current = graph_of(defs)
    if os.environ.get("OE_UPDATE_SNAPSHOTS") == "1":
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(json.dumps(current, indent=2, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert current == expected, (
        "the asset graph changed: review the difference, then refresh the snapshot with "
        "OE_UPDATE_SNAPSHOTS=1 pytest tests/test_asset_graph.py"
    )
