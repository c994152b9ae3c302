"""`mf query` (MetricFlow) on a test platform's warehouse, its result as rows of text."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from oe_platform.config import REPO_ROOT

MF = Path(sys.executable).parent / "mf"


def mf_query(served, tmp_path: Path, metrics: list[str], group_by: list[str] | None = None) -> list[dict]:
    """Run mf query in the dbt project against served.settings.warehouse; the rows of its CSV."""
    out = tmp_path / f"metrics_{os.getpid()}_{len(list(tmp_path.glob('metrics_*.csv')))}.csv"
    env = {**os.environ, **served.env, "DBT_PROFILES_DIR": str(REPO_ROOT)}
    env.pop("OE_DBT_TARGET", None)
    command = [str(MF), "query", "--metrics", ",".join(metrics), "--csv", str(out), "--quiet"]
    if group_by:
        command += ["--group-by", ",".join(group_by)]
    run = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, f"mf query failed:\n{run.stdout[-4000:]}\n{run.stderr[-4000:]}"
    with out.open() as handle:
        return list(csv.DictReader(handle))


def number(text: str | None) -> float | None:
    return None if text in ("", None) else float(text)


def assert_same(got: dict, expected: dict) -> None:
    """Two {key: tuple of numbers or None} maps agree: the same keys, None where the other has None,
    numbers equal to a relative 1e-9."""
    assert set(got) == set(expected), (sorted(set(got) ^ set(expected), key=str)[:5])
    for key, values in expected.items():
        assert len(got[key]) == len(values), key
        for have, want in zip(got[key], values, strict=True):
            if want is None or have is None:
                assert have is want, (key, got[key], values)
            else:
                assert abs(have - want) <= 1e-9 * max(abs(want), 1.0), (key, got[key], values)
