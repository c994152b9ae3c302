"""The analysts' dashboard as a person sees it: `oe dashboard`'s Streamlit app on localhost, reading
the serving files of a real pipeline run, rendered by headless Chromium; screenshots are kept."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from oe_platform.config import REPO_ROOT
from oe_platform.dashboard.server import streamlit_command, streamlit_env
from oe_platform.marts_catalog import DBT_MANIFEST, list_mart_versions
from tests.browser.cdp import Browser
from tests.serving.metricflow import mf_query

pytestmark = pytest.mark.slow

SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
CHARTS = "[data-testid=stVegaLiteChart] canvas, [data-testid=stVegaLiteChart] svg.marks"
TABLE_ROWS = "[data-testid=stTable] table tbody tr"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(served_pipeline, tmp_path_factory) -> Iterator[str]:
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "streamlit.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            streamlit_command(port), cwd=REPO_ROOT, env=streamlit_env(served_pipeline.settings),
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, f"the dashboard exited:\n{log.read_text()}"
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"the dashboard did not start in 90 s:\n{log.read_text()}"
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture
def browser(tmp_path) -> Iterator[Browser]:
    chrome = Browser(tmp_path / "chromium-profile", height=2200)
    try:
        yield chrome
    finally:
        chrome.close()


def shoot(browser: Browser, name: str) -> Path:
    path = browser.screenshot(SCREENSHOTS / f"dashboard_{name}.png")
    print(f"screenshot: {path}")
    assert path.stat().st_size > 30_000, "the screenshot is blank"
    return path


def text(browser: Browser) -> str:
    return browser.evaluate("document.querySelector('[data-testid=stMain]').innerText")


def test_strategic_view_shows_the_monthly_counts_by_force_with_suppression(
    dashboard, browser, served_pipeline, tmp_path
):
    browser.open(f"{dashboard}/?view=strategic",
                 f"document.querySelectorAll('{TABLE_ROWS}').length > 0 && "
                 f"document.querySelectorAll('{CHARTS}').length >= 2")
    con = duckdb.connect(str(served_pipeline.settings.serving / "strategic.duckdb"), read_only=True)
    try:
        shown, suppressed, cells, forces, pairs = con.execute(
            "select sum(event_count) filter (where not is_total), "
            "count(*) filter (where is_suppressed and not is_total), count(*) filter (where not is_total), "
            "count(distinct coalesce(force_name, force_code)), count(distinct (force_code, event_type)) "
            "from marts.mart_strategic__oe_monthly_by_force"
        ).fetchone()
    finally:
        con.close()
    page = text(browser)
    # the metric tiles carry the figures of the serving file, equal to the semantic layer's metrics
    assert f"{shown:,}" in page
    assert f"{suppressed} of {cells}" in page
    metrics = mf_query(served_pipeline, tmp_path, ["oe_events", "oe_events_total", "suppressed_cells", "cells"])[0]
    assert [int(float(metrics[m])) for m in ("oe_events", "suppressed_cells", "cells")] == [shown, suppressed, cells]
    assert f"{int(float(metrics['oe_events_total'])):,}" in page
    assert suppressed > 0 and "withheld" in page
    # the table has one row per force and event type (and the force totals), withheld cells saying why
    rows = browser.evaluate(f"document.querySelectorAll('{TABLE_ROWS}').length")
    assert rows == pairs
    cells_text = browser.evaluate(
        f"Array.from(document.querySelectorAll('{TABLE_ROWS} td')).map(td => td.innerText)"
    )
    assert "withheld (primary)" in cells_text
    # both charts were drawn: a canvas or svg with real size inside each chart element
    drawn = browser.evaluate(
        f"Array.from(document.querySelectorAll('{CHARTS}')).filter(e => e.getBoundingClientRect().width > 200 "
        "&& e.getBoundingClientRect().height > 100).length"
    )
    assert drawn >= 2
    assert forces > 3
    assert "strategic.duckdb" in page and served_pipeline.result.run_id in page
    shoot(browser, "strategic")


RANKED_VIEWS = {
    "high_harm": "mart_oe__high_harm_offenders",
    "vulnerable": "mart_safeguarding__vulnerable_persons",
    "county_lines": "mart_oe__county_lines",
}


@pytest.mark.parametrize("view", sorted(RANKED_VIEWS))
def test_oe_views_show_their_mart_from_the_serving_files(view, dashboard, browser, served_pipeline):
    mart = RANKED_VIEWS[view]
    built = {m.name: m for m in list_mart_versions(DBT_MANIFEST) if m.is_latest}
    if mart not in built:
        # the mart is not built yet: the view says so, naming it, instead of failing
        browser.open(f"{dashboard}/?view={view}", "document.querySelector('[data-testid=stAlert]')")
        assert f"{mart} is not in any serving file" in text(browser)
        shoot(browser, view)
        return
    browser.open(f"{dashboard}/?view={view}",
                 f"document.querySelectorAll('{TABLE_ROWS}').length > 0 && "
                 f"document.querySelectorAll('{CHARTS}').length >= 1")
    served = built[mart]
    con = duckdb.connect(str(served_pipeline.settings.serving / f"{served.group}.duckdb"), read_only=True)
    try:
        total = con.execute(f'select count(*) from marts."{served.alias}"').fetchone()[0]
        if view == "county_lines":
            first = con.execute(
                f'select line_name from marts."{served.alias}" order by line_status, exporting_force, line_name'
            ).fetchone()[0]
        else:
            first = con.execute(
                f'select reasons from marts."{served.alias}" order by rank, person_id limit 1'
            ).fetchone()[0]
    finally:
        con.close()
    headers = browser.evaluate(
        "Array.from(document.querySelectorAll('[data-testid=stTable] th')).map(t => t.innerText)"
    )
    rows = browser.evaluate(f"document.querySelectorAll('{TABLE_ROWS}').length")
    assert total > 0
    if view == "county_lines":
        assert {"line_name", "exporting_force", "line_status"} <= set(headers)
        assert rows == total
    else:
        assert {"rank", "person_id", "score", "decile", "reasons"} <= set(headers)
        assert rows == min(50, total)
    assert first in text(browser)
    shoot(browser, view)
