"""Run dbt commands in the repository's dbt project with the platform's settings."""

from __future__ import annotations

import hashlib
import os
import re
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


def dbt_env(settings: Settings, target: str | None = None) -> dict[str, str]:
    """The environment dbt runs in: this process's, the settings' paths, the project's profiles."""
    env = {**os.environ, **settings.env(), "DBT_PROFILES_DIR": str(REPO_ROOT)}
    # the pseudonymisation key is the publish step's alone: dbt never sees it (its artefacts record env vars)
    env.pop(PSEUDONYM_KEY_ENV, None)
    if target:
        env["OE_DBT_TARGET"] = target
    return env


def run_dbt(args: list[str], settings: Settings, target: str | None = None) -> None:
    """Run `dbt <args>` in the project directory, streaming its output; raise DbtFailed on failure."""
    env = dbt_env(settings, target)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run([dbt_executable(), *args], cwd=REPO_ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise DbtFailed(f"dbt {' '.join(args)} failed (exit {completed.returncode}); see the output above")


def prepare_manifest(settings: Settings, target: Path | None = None) -> Path:
    """dbt parse: write target/manifest.json, which the Dagster definitions load.

    The target is named as Dagster's dbt resource names it (`--target`): dbt keys its partial-parse
    state on the command-line target, and with the same one every dbt step of a run re-uses this
    parse instead of parsing the whole project again (minutes on a busy machine, docs/scale.md).
    `target`: the folder to write (default the project's target/, which the definitions load)."""
    target = target or REPO_ROOT / "target"
    inputs = parse_inputs_fingerprint(dbt_env(settings))
    stamp = target / PARSE_STAMP
    if (target / "manifest.json").is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == inputs:
        return target / "manifest.json"  # nothing dbt's parse reads has changed since the last parse
    with private_target_path(inside=target) as scratch:
        # start from the last parse (partial parsing), write into a folder of this process's own, then
        # move each file into target/ in one rename: a process reading target/manifest.json meanwhile
        # (another run loading the Dagster definitions, a test) sees the old or the new file, never
        # half of one
        last = target / "partial_parse.msgpack"
        if last.exists():
            shutil.copyfile(last, scratch / last.name)
        run_dbt(["parse", "--quiet", "--target", os.environ.get("OE_DBT_TARGET", "dev"),
                 "--target-path", str(scratch)], settings)
        stamp.unlink(missing_ok=True)  # while the files change, no stamp vouches for them
        publish_target_files(scratch, target)
        (scratch / PARSE_STAMP).write_text(inputs + "\n", encoding="utf-8")
        os.replace(scratch / PARSE_STAMP, stamp)
    return target / "manifest.json"


# target/<PARSE_STAMP>: the fingerprint of what the manifest in target/ was parsed from
PARSE_STAMP = "oe_parse_inputs.txt"
# everything `dbt parse` reads in this project
PARSE_INPUT_GLOBS = ("models/**/*", "macros/**/*", "seeds/**/*", "snapshots/**/*", "analyses/**/*",
                     "tests/dbt/**/*", "dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml",
                     "selectors.yml")
# dbt settings that change where dbt writes or how it logs, never what it parses: the parse runs with
# an explicit --target-path, so a run with its own DBT_TARGET_PATH (oe bench, a second checkout's
# runs) re-uses the last parse instead of parsing the project again
PARSE_NEUTRAL_DBT_SETTINGS = frozenset({
    "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_LOG_LEVEL", "DBT_LOG_LEVEL_FILE", "DBT_LOG_FORMAT",
    "DBT_LOG_FORMAT_FILE", "DBT_USE_COLORS", "DBT_USE_COLORS_FILE", "DBT_PRINTER_WIDTH", "DBT_QUIET",
})
ENV_VAR_CALL = re.compile(r"env_var\(\s*['\"]([A-Za-z0-9_]+)['\"]")


def parse_inputs_fingerprint(env: dict[str, str], root: Path = REPO_ROOT) -> str:
    """A hash of everything a `dbt parse` of the project depends on: each project file's name and
    contents, the dbt-core version, every environment variable the project reads with env_var() and
    dbt's own DBT_* settings. The same fingerprint means the same manifest."""
    from importlib.metadata import version

    target = env.get("OE_DBT_TARGET", "dev")
    digest = hashlib.sha256(f"dbt-core {version('dbt-core')}\0target {target}\0".encode())
    names: set[str] = set()
    files = sorted({path for pattern in PARSE_INPUT_GLOBS for path in root.glob(pattern) if path.is_file()})
    for path in files:
        data = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + hashlib.sha256(data).digest())
        names.update(ENV_VAR_CALL.findall(data.decode("utf-8", errors="replace")))
    names.update(name for name in env if name.startswith("DBT_") and name not in PARSE_NEUTRAL_DBT_SETTINGS)
    for name in sorted(names):
        digest.update(f"{name}={env.get(name)!r}\0".encode())
    return digest.hexdigest()


@contextmanager
def private_target_path(inside: Path | None = None) -> Iterator[Path]:
    """A dbt target folder of this process's own, removed afterwards. `inside`: the target folder its
    files will be renamed into; the scratch folder is made inside it, so it is on the same file system
    wherever that target is (a rename cannot cross file systems). Without it, under build/."""
    root = inside / ".scratch" if inside is not None else REPO_ROOT / "build" / "dbt-scratch"
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
