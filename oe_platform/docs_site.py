"""The static docs site: dbt docs (every model, column, test and the lineage graph) in one HTML file,
and beside it the governance report page (governance.html: oe_platform/governance/report.py)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.dbt_runner import private_target_path, run_dbt
from oe_platform.governance.report import write_report


def build_docs_site(settings: Settings, out: Path) -> Path:
    """Generate dbt docs against the warehouse and write <out>/index.html (self-contained) and
    <out>/governance.html (from the manifest docs generate has just compiled, so the column lineage
    reads the compiled SQL)."""
    with private_target_path() as target:
        # its own target folder: a run or a test reading target/manifest.json meanwhile never sees a
        # file docs generate is half-way through writing
        last = REPO_ROOT / "target" / "partial_parse.msgpack"
        if last.exists():
            shutil.copyfile(last, target / last.name)
        run_dbt(["docs", "generate", "--static", "--quiet", "--target-path", str(target)], settings)
        out.mkdir(parents=True, exist_ok=True)
        index = out / "index.html"
        shutil.copyfile(target / "static_index.html", index)
        for artefact in ("manifest.json", "catalog.json"):
            shutil.copyfile(target / artefact, out / artefact)
        write_report(settings, json.loads((target / "manifest.json").read_text()), out)
    return index
