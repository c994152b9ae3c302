"""Run dbt commands in the repository's dbt project with the platform's settings."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from oe_platform.config import REPO_ROOT, Settings
from oe_platform.governance.pseudonym import PSEUDONYM_KEY_ENV


class DbtFailed(RuntimeError):
    """A dbt command exited non-zero; its output has already been shown."""


def dbt_executable() -> str:
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(args: list[str], settings: Settings, target: str | None = None) -> None:
    """Run `dbt <args>` in the project directory, streaming its output; raise DbtFailed on failure."""
    env = {**os.environ, **settings.env(), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    # the pseudonymisation key is the publish step's alone: dbt never sees it (its artefacts record env vars)
    env.pop(PSEUDONYM_KEY_ENV, None)
    if target:
        env["OE_DBT_TARGET"] = target
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run([dbt_executable(), *args], cwd=REPO_ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(args)} failed (exit {completed.returncode}); see the output above")


def prepare_manifest(settings: Settings) -> Path:
    """dbt parse: write target/manifest.json, which the Dagster definitions load.

    The target is named as Dagster's dbt resource names it (`--target`): dbt keys its partial-parse
    state on the command-line target, and with the same one every dbt step of a run re-uses this
    parse instead of parsing the whole project again (minutes on a busy machine, docs/scale.md)."""
    run_dbt(["parse", "--quiet", "--target", os.environ.get("OE_DBT_TARGET", "dev")], settings)
    return REPO_ROOT / "target" / "manifest.json"
