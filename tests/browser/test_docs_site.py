"""The docs site as a person sees it: rendered by real headless Chromium, not parsed as text."""

import shutil
import subprocess

import pytest

from oe_platform.docs_site import build_docs_site
from tests.browser.cdp import Browser

pytestmark = pytest.mark.slow

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--virtual-time-budget=20000",
]


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Chromium is required for browser tests: apt-get install chromium (done by .ci/run)"
    return path


def render(url: str, tmp_path, *extra: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    return subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True, text=True, timeout=120, check=True,
    )


# The lineage graph is drawn by cytoscape on a canvas: what it drew is read from the graph object the
# page holds on its container (nodes shown, and placed inside the visible container), not from the
# manifest embedded in the HTML.
GRAPH_READY = "(() => { const c = document.getElementById('cy'); return !!(c && c._cyreg && c._cyreg.cy); })()"
DRAWN_NODES = """(() => {
  const box = document.getElementById('cy').getBoundingClientRect();
  return document.getElementById('cy')._cyreg.cy.nodes()
    .filter(n => n.visible() && n.renderedPosition().x >= 0 && n.renderedPosition().x <= box.width
                 && n.renderedPosition().y >= 0 && n.renderedPosition().y <= box.height)
    .map(n => n.id()); })()"""
GRAPH_BOX = "(() => { const r = document.getElementById('cy').getBoundingClientRect(); return [r.width, r.height]; })()"


def drawn_lineage(index, profile, model: str) -> list[str]:
    """Open the docs site at `model`, open its lineage graph, expand it to the full view, and return
    the ids of the nodes the graph drew; saves a screenshot beside the profile."""
    browser = Browser(profile)
    try:
        browser.open(f"{index.as_uri()}#!/model/{model}", GRAPH_READY, timeout=120)
        browser.evaluate("document.querySelector('a[ng-click=\"onLauncherClick()\"]').click()")
        browser.open_wait(f"{GRAPH_BOX}[0] > 200")
        browser.evaluate("document.querySelector('a[ng-click=\"showExpanded()\"]').click()")
        browser.open_wait(f"{GRAPH_BOX}[0] > 800 && {DRAWN_NODES}.some(id => id.includes('.stg_'))")
        shot = browser.screenshot(profile.parent / "lineage.png")
        assert shot.stat().st_size > 50_000, "the lineage screenshot is blank"
        return browser.evaluate(DRAWN_NODES)
    finally:
        browser.close()


def test_docs_site_renders_the_mart_page_with_lineage_and_columns(slice_pipeline, tmp_path, monkeypatch):
    assert slice_pipeline.result.success
    for key, value in slice_pipeline.settings.env().items():
        monkeypatch.setenv(key, value)
    index = build_docs_site(slice_pipeline.settings, tmp_path / "site")
    page = f"{index.as_uri()}#!/model/model.oe_platform.mart_strategic__oe_monthly_by_force.v1"

    dom = render(page, tmp_path, "--dump-dom").stdout
    # the Angular app rendered the model page: its description, owner, columns and code
    assert "Strategic aggregate for wide sharing" in dom
    assert "Strategic Analysis" in dom
    for column in ("month_start", "is_suppressed", "event_count", "harm_days"):
        assert column in dom
    assert "Depends On" in dom and "event" in dom

    shot = tmp_path / "mart.png"
    render(page, tmp_path, "--window-size=1400,1000", f"--screenshot={shot}")
    assert shot.stat().st_size > 20_000, "the screenshot is blank"

    # the ranked mart's lineage graph, as drawn: back through conformed and staging to the bronze sources
    drawn = drawn_lineage(index, tmp_path / "graph-profile", "model.oe_platform.mart_oe__high_harm_offenders.v1")
    assert "model.oe_platform.mart_oe__high_harm_offenders.v1" in drawn
    assert {"model.oe_platform.person_event", "model.oe_platform.event"} <= set(drawn), "conformed parents"
    staging = {node for node in drawn if node.startswith("model.oe_platform.stg_")}
    assert {"model.oe_platform.stg_crime__crimes", "model.oe_platform.stg_ocgm__nominals"} <= staging, staging
    assert any(node.startswith("source.oe_platform.bronze.") for node in drawn), "the bronze sources"
