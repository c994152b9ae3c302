"""Run dbt commands in the repository's dbt project with the platform's settings."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
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
    target = REPO_ROOT / "target"
    with private_target_path() as scratch:
        # start from the last parse (partial parsing), write into a folder of this process's own, then
        # move each file into target/ in one rename: a process reading target/manifest.json meanwhile
        # (another run loading the Dagster definitions, a test) sees the old or the new file, never
        # half of one
        last = target / "partial_parse.msgpack"
        if last.exists():
            shutil.copyfile(last, scratch / last.name)
        run_dbt(["parse", "--quiet", "--target", os.environ.get("OE_DBT_TARGET", "dev"),
                 "--target-path", str(scratch)], settings)
        publish_target_files(scratch, target)
    return target / "manifest.json"


@contextmanager
def private_target_path() -> Iterator[Path]:
    """A dbt target folder of this process's own, on the same file system as target/ (so that its
    files can be renamed into target/), removed afterwards."""
    root = REPO_ROOT / "build" / "dbt-scratch"
    root.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=root))
    try:
        yield scratch
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def publish_target_files(scratch: Path, target: Path) -> None:
    """Move the top-level files dbt wrote into `scratch` over those in `target`, each by one rename."""
    target.mkdir(parents=True, exist_ok=True)
    for path in sorted(scratch.iterdir()):
        if path.is_file():
            os.replace(path, target / path.name)
