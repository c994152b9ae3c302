"""`prepare_manifest` parses the dbt project only when something dbt's parse reads has changed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from oe_platform import dbt_runner
from oe_platform.config import REPO_ROOT, load_settings
from oe_platform.dbt_runner import PARSE_STAMP, dbt_env, parse_inputs_fingerprint, prepare_manifest


def _project_copy(root: Path) -> Path:
    for name in ("models", "macros", "seeds", "tests/dbt"):
        shutil.copytree(REPO_ROOT / name, root / name)
    for name in ("dbt_project.yml", "profiles.yml"):
        shutil.copy(REPO_ROOT / name, root / name)
    return root


def test_the_fingerprint_follows_project_files_env_vars_the_project_reads_and_nothing_else(tmp_path: Path):
    root = _project_copy(tmp_path / "project")
    env = {"OE_LAKE": "/lake/a", "OE_DBT_TARGET": "dev", "HOME": "/root"}
    base = parse_inputs_fingerprint(env, root)
    assert parse_inputs_fingerprint(env, root) == base
    assert parse_inputs_fingerprint(env, REPO_ROOT) == base  # the copy holds every input
    # an environment variable the project never reads does not matter
    assert parse_inputs_fingerprint({**env, "HOME": "/home/other", "OE_UNUSED": "x"}, root) == base
    # one it reads with env_var() does, and so does the target and a DBT_ setting of the parse
    assert parse_inputs_fingerprint({**env, "OE_LAKE": "/lake/b"}, root) != base
    assert parse_inputs_fingerprint({**env, "OE_DBT_TARGET": "ci"}, root) != base
    assert parse_inputs_fingerprint({**env, "DBT_PARTIAL_PARSE": "false"}, root) != base
    # but not where dbt writes or how it logs: the parse has its own --target-path
    assert parse_inputs_fingerprint({**env, "DBT_TARGET_PATH": "/runs/a/target", "DBT_LOG_PATH": "/runs/a/logs",
                                     "DBT_LOG_LEVEL_FILE": "warn", "DBT_LOG_FORMAT": "json"}, root) == base
    # a model, a macro, a data test file: each changes it
    for relative in ("models/staging/crime/stg_crime__crimes.sql", "macros/oe_hash.sql",
                     "tests/dbt/assert_every_landed_row_accounted_for.sql"):
        path = root / relative
        original = path.read_text(encoding="utf-8")
        path.write_text(original + "\n-- edited\n", encoding="utf-8")
        assert parse_inputs_fingerprint(env, root) != base, relative
        path.write_text(original, encoding="utf-8")
    (root / "models" / "new_model.sql").write_text("select 1 as one\n", encoding="utf-8")
    assert parse_inputs_fingerprint(env, root) != base


def test_an_unchanged_project_is_not_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake", warehouse=tmp_path / "oe.duckdb")
    calls: list[list[str]] = []
    real = dbt_runner.run_dbt

    def counting(args, *rest, **kwargs):
        calls.append(list(args))
        return real(args, *rest, **kwargs)

    monkeypatch.setattr(dbt_runner, "run_dbt", counting)
    # a target folder of the test's own: other tests parse into the project's target/ meanwhile
    target = tmp_path / "target"
    manifest = prepare_manifest(settings, target)
    assert manifest == target / "manifest.json" and manifest.is_file()
    stamp = target / PARSE_STAMP
    assert stamp.read_text(encoding="utf-8").strip() == parse_inputs_fingerprint(dbt_env(settings))
    assert [call[0] for call in calls] == ["parse"]
    assert prepare_manifest(settings, target) == manifest
    assert len(calls) == 1  # the second call found the stamp and parsed nothing
    # another lake is another parse (the sources' paths are in the manifest)
    other = load_settings(landing=tmp_path / "landing", lake=tmp_path / "lake2", warehouse=tmp_path / "oe.duckdb")
    prepare_manifest(other, target)
    assert [call[0] for call in calls] == ["parse", "parse"]
