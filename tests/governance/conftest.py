"""Shared by the governance tests: the dbt project's manifest, parsed once into a scratch folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from oe_platform.config import REPO_ROOT


@pytest.fixture(scope="session")
def manifest(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """`dbt parse` of the repository's project (no warehouse needed); tests copy before changing it."""
    out = tmp_path_factory.mktemp("dbt_parse")
    env = {**os.environ, "DBT_PROFILES_DIR": str(REPO_ROOT), "OE_WAREHOUSE": str(out / "parse.duckdb"),
           "OE_LAKE": str(out / "lake"), "OE_LANDING": str(out / "landing")}
    dbt = str(Path(sys.executable).parent / "dbt")
    done = subprocess.run([dbt, "parse", "--quiet", "--target-path", str(out / "target")], cwd=REPO_ROOT,
                          env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads((out / "target" / "manifest.json").read_text())
