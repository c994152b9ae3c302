"""Shared pytest fixtures: isolated platform settings and the slice landing zone."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from oe_platform.config import Settings, load_settings

FIXTURES = Path(__file__).parent / "fixtures"
# what each test took last time (setup, call and teardown, seconds), written by
# `pytest --store-durations`: the groups of tests are handed to the workers longest first
DURATIONS = Path(__file__).with_name("durations.json")
# a test the file does not know yet (a new one) is taken to be quick
UNKNOWN_DURATION = 0.5


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--store-durations", action="store_true", default=False,
                     help=f"write what each test took to {DURATIONS.name} (the order groups start in)")


@pytest.fixture(scope="session", autouse=True)
def throwaway_pseudonym_key() -> Iterator[str]:
    """A throw-away OE_PSEUDONYM_KEY for the session (never a real key: made here, kept nowhere), so
    every pipeline a test runs publishes its wide-sharing marts; tests of the refusal remove it."""
    from oe_platform.governance.pseudonym import PSEUDONYM_KEY_ENV

    saved = os.environ.get(PSEUDONYM_KEY_ENV)
    key = "test-only-" + secrets.token_hex(16)
    os.environ[PSEUDONYM_KEY_ENV] = key
    try:
        yield key
    finally:
        if saved is None:
            os.environ.pop(PSEUDONYM_KEY_ENV, None)
        else:
            os.environ[PSEUDONYM_KEY_ENV] = saved


@pytest.fixture
def platform_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings pointing every path into tmp_path, exported as environment variables too."""
    settings = load_settings(
        landing=tmp_path / "landing",
        lake=tmp_path / "lake",
        warehouse=tmp_path / "warehouse" / "oe.duckdb",
    )
    for key, value in settings.env().items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return settings


@pytest.fixture
def slice_landing(platform_dirs: Settings) -> Settings:
    """The hand-written crime slice (three layouts) copied into the landing zone."""
    shutil.copytree(FIXTURES / "landing_slice", platform_dirs.landing)
    return platform_dirs


@dataclass(frozen=True)
class SlicePipeline:
    settings: Settings
    result: object  # orchestration.run.PipelineResult


@pytest.fixture(scope="session")
def slice_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlicePipeline]:
    """The crime slice run once through Dagster (ingest, dbt build, publish) for the whole session.

    Tests that only read what the run produced share it; each gets the same isolated paths."""
    from oe_platform.dbt_runner import prepare_manifest

    root = tmp_path_factory.mktemp("slice_pipeline")
    settings = load_settings(
        landing=root / "landing",
        lake=root / "lake",
        warehouse=root / "warehouse" / "oe.duckdb",
    )
    shutil.copytree(FIXTURES / "landing_slice", settings.landing)
    saved = dict(os.environ)
    os.environ.update(settings.env())
    os.environ["DAGSTER_HOME"] = str(root / "dagster_home")
    try:
        prepare_manifest(settings)
        from orchestration.run import run_pipeline

        yield SlicePipeline(settings, run_pipeline(settings, log_level="WARNING"))
    finally:
        os.environ.clear()
        os.environ.update(saved)


@dataclass(frozen=True)
class ServedPipeline:
    settings: Settings
    result: object  # orchestration.run.PipelineResult
    env: dict[str, str]


@pytest.fixture(scope="session")
def served_pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedPipeline]:
    """A small generated landing zone (every force and national source, no data.police.uk files) run
    through the real Dagster job (ingest, dbt build, linkage, publish): gold, serving, metrics and
    dashboard tests read it."""
    from oe_platform.dbt_runner import prepare_manifest
    from oe_platform.synth import generate

    root = tmp_path_factory.mktemp("served_pipeline")
    (root / "shared").mkdir()  # no data.police.uk files: the generated forces and national sources only
    settings = load_settings(
        landing=root / "landing", lake=root / "lake", warehouse=root / "warehouse" / "oe.duckdb",
        shared_data=root / "shared",
    )
    generate(persons=500, seed=11, start=date(2025, 1, 1), months=2, out=settings.landing,
             truth_out=root / "truth", progress=False)
    saved = dict(os.environ)
    env = {**settings.env(), "DAGSTER_HOME": str(root / "dagster_home")}
    os.environ.update(env)
    os.environ.pop("OE_DBT_TARGET", None)
    try:
        prepare_manifest(settings)
        from orchestration.run import run_pipeline

        result = run_pipeline(settings, log_level="WARNING")
        assert result.success, "the Dagster run of the generated landing zone failed"
        yield ServedPipeline(settings, result, env)
    finally:
        os.environ.clear()
        os.environ.update(saved)


@pytest.fixture(scope="session")
def robust_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small generated landing zone of the robustness tests (issue 10), generated once per session:
    two forces and every national source over one month (tests/integration/pipeline_runs.py)."""
    from tests.integration.pipeline_runs import generate_landing

    return generate_landing(tmp_path_factory.mktemp("robust_generated"))


@pytest.fixture(scope="session")
def site_slot(tmp_path_factory: pytest.TempPathFactory):
    """The one place where the `oe run` subprocess tests build their platforms, one at a time."""
    from tests.integration.pipeline_runs import SiteSlot

    return SiteSlot(tmp_path_factory.mktemp("robust_sites"))


BASELINE_SITE = "baseline"


@pytest.fixture(scope="session")
def uninterrupted(site_slot, robust_landing: Path) -> dict[str, str]:
    """The fingerprint of one uninterrupted `oe run` of robust_landing (every warehouse table, lake
    Parquet set, serving table and gold manifest entry as a row count and checksum of sorted rows),
    for the whole session. The site is kept aside as BASELINE_SITE (site_slot.restore)."""
    from tests.integration.pipeline_runs import run_to_end, state_fingerprint

    site = site_slot.fresh(robust_landing)
    log = site_slot.root / "baseline.log"
    assert run_to_end(site, log) == 0, log.read_text(errors="replace")[-3000:]
    fingerprint = state_fingerprint(site.settings)
    site_slot.keep(BASELINE_SITE)
    return fingerprint


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook, which reads the groups into the node ids
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With pytest-xdist (`-n 2 --dist loadgroup`, pyproject.toml): keep on one worker every test that
    shares an expensive fixture, so that each pipeline run a session or module fixture makes is made
    once, not once per worker. Tests of one module form a group (module fixtures), and groups that use
    the same session fixture of this project (a whole pipeline run, a dbt parse) are joined."""
    if not config.pluginmanager.hasplugin("xdist"):
        return
    parent: dict[str, str] = {}

    def find(key: str) -> str:
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def join(a: str, b: str) -> None:
        parent[find(a)] = find(b)

    def shared_fixtures(item: pytest.Item) -> set[str]:
        info = getattr(item, "_fixtureinfo", None)
        if info is None:
            return set()
        names = set()
        for name, defs in info.name2fixturedefs.items():
            if any(d.scope == "session" and d.baseid.startswith("tests") for d in defs):
                names.add(name)
        return names

    def own_group(item: pytest.Item) -> str:
        # a module may spread its tests itself (explicit xdist_group marks: test_source_subsets.py)
        marker = item.get_closest_marker("xdist_group")
        return "group:" + marker.args[0] if marker else "module:" + item.nodeid.split("::")[0]

    per_item = {item.nodeid: shared_fixtures(item) for item in items}
    used_by_all = set.intersection(*per_item.values()) if per_item else set()  # autouse: no grouping
    for item in items:
        key = own_group(item)
        find(key)
        for name in sorted(per_item[item.nodeid] - used_by_all):
            join("fixture:" + name, key)
    groups = {item.nodeid: find(own_group(item)).split(":", 1)[1] for item in items}
    # longest group first (pyproject.toml turns xdist's own order, most tests first, off): a group of
    # a few tests that each run a whole pipeline must not start last and leave one worker idle
    known = _stored_durations()
    cost: dict[str, float] = {}
    for item in items:
        cost[groups[item.nodeid]] = cost.get(groups[item.nodeid], 0.0) + known.get(item.nodeid, UNKNOWN_DURATION)
    position = {item.nodeid: i for i, item in enumerate(items)}
    items.sort(key=lambda item: (-cost[groups[item.nodeid]], groups[item.nodeid], position[item.nodeid]))
    in_worker = bool(getattr(config.option, "loadgroup", False))
    for item in items:
        # one group per test: xdist joins the names of every xdist_group mark a test carries
        item.own_markers[:] = [m for m in item.own_markers if m.name != "xdist_group"]
        item.add_marker(pytest.mark.xdist_group(groups[item.nodeid]))
        if in_worker:
            _suffix_group(item, groups[item.nodeid])


def _suffix_group(item: pytest.Item, group: str) -> None:
    """The `<node id>@<group>` that xdist's loadgroup scheduler reads. xdist 3.8 writes it to the item's
    `_nodeid`, which pytest 9 no longer reads (its node id lives in `_id`): without this every test
    would be scheduled alone and each worker would make every shared pipeline run again."""
    if "@" in item.nodeid:
        return
    if hasattr(item, "_id"):
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(f"{item.nodeid}@{group}")
    else:
        item._nodeid = f"{item.nodeid}@{group}"


def _stored_durations() -> dict[str, float]:
    import json

    return json.loads(DURATIONS.read_text(encoding="utf-8")) if DURATIONS.exists() else {}


_measured: dict[str, float] = {}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Add up each test's phases (on the controller, from every worker's reports)."""
    nodeid = report.nodeid.split("@", 1)[0]
    _measured[nodeid] = _measured.get(nodeid, 0.0) + report.duration


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if not config.getoption("--store-durations") or hasattr(config, "workerinput"):
        return  # a worker's view is partial: the controller writes the file
    import json

    merged = {**_stored_durations(), **{k: round(v, 1) for k, v in _measured.items()}}
    collected = {item.nodeid.split("@", 1)[0] for item in session.items} if session.items else set(merged)
    kept = {k: v for k, v in sorted(merged.items()) if k in collected or k in _measured}
    DURATIONS.write_text(json.dumps(kept, indent=1) + "\n", encoding="utf-8")
