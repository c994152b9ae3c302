"""The static docs site: dbt docs (every model, column, test and the lineage graph) in one HTML file."""

from __future__ import annotations

import shutil
from pathlib import Path

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.dbt_runner import run_dbt


def build_docs_site(settings: Settings, out: Path) -> Path:
    """Generate dbt docs against the warehouse and write <out>/index.html (self-contained)."""
    run_dbt(["docs", "generate", "--static", "--quiet"], settings)
    out.mkdir(parents=True, exist_ok=True)
    target = REPO_ROOT / "target"
    index = out / "index.html"
    shutil.copyfile(target / "static_index.html", index)
    for artefact in ("manifest.json", "catalog.json"):
        shutil.copyfile(target / artefact, out / artefact)
    return index
