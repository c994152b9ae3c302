"""The governance report page of the docs site, as headless Chromium renders it (read from the DOM
of the rendered page over the DevTools protocol, not from the HTML file)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT
from oe_platform.docs_site import build_docs_site
from tests.browser.cdp import Browser

pytestmark = pytest.mark.slow

RANKED = ("mart_oe__high_harm_offenders", "mart_safeguarding__vulnerable_persons")

ROWS_OF = """Array.from(document.querySelectorAll('#{table} tbody tr')).map(
    tr => Array.from(tr.querySelectorAll('td')).map(td => td.innerText))"""
VISIBLE = "document.querySelector('#{table}').getBoundingClientRect().height"


def test_governance_page_shows_the_pii_register_with_lineage_and_the_equality_tables(
        served_pipeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    for key, value in served_pipeline.env.items():
        monkeypatch.setenv(key, value)
    index = build_docs_site(served_pipeline.settings, tmp_path / "site")
    page = index.parent / "governance.html"
    manifest = json.loads((REPO_ROOT / "target" / "manifest.json").read_text())
    public_columns = sum(len(n["columns"]) for n in manifest["nodes"].values()
                         if n["resource_type"] == "model" and n.get("access") == "public")

    browser = Browser(tmp_path / "chromium-profile")
    try:
        browser.open(page.as_uri(), "document.querySelectorAll('#pii-register tbody tr').length > 0")
        register = browser.evaluate(ROWS_OF.replace("{table}", "pii-register"))
        assert browser.evaluate(VISIBLE.replace("{table}", "pii-register")) > 1000
        # every public column, classified; a direct-PII column of a mart with its source columns
        assert len(register) == public_columns > 150
        assert {row[3] for row in register} <= {"direct", "indirect", "none"}
        by_column = {(row[0], row[2]): row for row in register}
        surname = by_column[("mart_oe__nominal_profile v1", "surname")]
        assert surname[3] == "direct"
        assert "bronze.crime__persons.surname" in surname[5] and "bronze.custody__custody_records.surname" in surname[5]
        pnc = by_column[("mart_oe__nominal_profile v1", "pnc_id")]
        assert "bronze.ocgm__nominals.pnc_id" in pnc[5]
        pseudonym = by_column[("mart_strategic__oe_cohort v1", "person_pseudonym")]
        assert pseudonym[4] == "yes" and pseudonym[5]
        personal = [row for row in register if row[3] in ("direct", "indirect")]
        assert all(row[5] for row in personal), [row[:3] for row in personal if not row[5]]

        # the equality tables: each ranked mart's top decile beside its population, by characteristic
        for mart in RANKED:
            rows = browser.evaluate(ROWS_OF.replace("{table}", f"equality-{mart}"))
            assert {row[0] for row in rows} == {"sex", "age_band", "ethnicity"}
            for characteristic in ("sex", "age_band", "ethnicity"):
                shares = [float(row[3].rstrip("%")) for row in rows if row[0] == characteristic]
                assert abs(sum(shares) - 100) < 0.5, (mart, characteristic, shares)
            assert sum(int(row[4]) for row in rows if row[0] == "sex") > 0

        ranked = browser.evaluate(ROWS_OF.replace("{table}", "ranked-marts"))
        assert {row[0] for row in ranked} == {f"{m} v1" for m in RANKED}
        assert all(all(cell.strip() for cell in row) for row in ranked)
        assert browser.evaluate("document.querySelector('#audit-status').innerText").startswith("audit log intact")
        operations = {row[0] for row in browser.evaluate(ROWS_OF.replace("{table}", "audit-counts"))}
        assert {"collection", "alteration", "combination", "disclosure"} <= operations
        assert browser.evaluate(ROWS_OF.replace("{table}", "retention"))
        assert browser.evaluate(ROWS_OF.replace("{table}", "docs-findings")) == []
        shot = browser.screenshot(tmp_path / "governance.png")
        assert shot.stat().st_size > 50_000, "the screenshot is blank"
    finally:
        browser.close()
