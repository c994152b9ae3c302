"""The docs site as a person sees it: rendered by real headless Chromium, not parsed as text."""

import shutil
import subprocess

import pytest

from oe_platform.docs_site import build_docs_site

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
