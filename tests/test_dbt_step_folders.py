"""Old dbt step folders under the dbt target path are pruned (orchestration/dbt_steps.py), nothing else."""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchestration.dbt_steps import prune_dbt_step_folders

DAY = 86400.0


def _folder(target: Path, name: str, age_days: float, now: float) -> Path:
    path = target / name
    (path / "compiled").mkdir(parents=True)
    (path / "run_results.json").write_text("{}", encoding="utf-8")
    os.utime(path, (now - age_days * DAY, now - age_days * DAY))
    return path


def test_folders_older_than_the_retention_go_except_the_newest(tmp_path: Path):
    now = time.time()
    target = tmp_path / "target"
    # a month of daily runs, two dbt steps each, the newest first
    steps = [_folder(target, f"oe_dbt_{step}-{day:07x}-{day + 0xabc000:07x}",
                     day + 0.5 * (step == "before_linkage"), now)
             for day in range(30) for step in ("before_linkage", "after_linkage")]
    # what else lives in a dbt target folder, however old
    others = [target / "manifest.json", target / "partial_parse.msgpack", target / "compiled", target / "run",
              target / "oe_dbt_notes"]
    for other in others:
        if other.suffix:
            other.write_text("x", encoding="utf-8")
        else:
            other.mkdir()
        os.utime(other, (now - 90 * DAY, now - 90 * DAY))

    removed = prune_dbt_step_folders(target, days=14, kept=20, now=now)

    ages = {path: (now - path.stat().st_mtime) / DAY for path in steps if path.exists()}
    assert set(removed) == set(steps) - set(ages)
    # kept: everything of the last 14 days (28 folders, more than the 20 newest), nothing older
    assert len(ages) == 29 and max(ages.values()) <= 14
    assert all(not path.exists() for path in removed) and all(other.exists() for other in others)


def test_the_newest_folders_stay_however_old(tmp_path: Path):
    now = time.time()
    target = tmp_path / "target"
    steps = [_folder(target, f"oe_dbt_after_linkage-{n:07x}-{n:07x}", 100 + n, now) for n in range(5)]
    assert prune_dbt_step_folders(target, days=14, kept=3, now=now) == steps[3:]
    assert [path.exists() for path in steps] == [True, True, True, False, False]
    assert prune_dbt_step_folders(tmp_path / "missing", days=14, kept=3, now=now) == []
