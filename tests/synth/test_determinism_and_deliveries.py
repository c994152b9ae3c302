"""Same arguments give byte-identical files; --next-delivery adds exactly one delivery date."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from oe_platform.synth import existing_delivery_dates, generate
from tests.synth.conftest import MONTHS, PERSONS, SEED, START


def digests(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_arguments_byte_identical(run, tmp_path):
    again = generate(persons=PERSONS, seed=SEED, start=START, months=MONTHS, out=tmp_path / "landing",
                     truth_out=tmp_path / "truth", progress=False)
    first, second = digests(run.landing), digests(tmp_path / "landing")
    assert len(first) > 1000
    assert first == second
    assert digests(run.truth) == digests(tmp_path / "truth")
    assert again.files == run.summary.files and again.records == run.summary.records
    formats = {Path(k).suffix for k in first}
    assert {".csv", ".txt", ".tab", ".jsonl", ".parquet", ".xlsx"} <= formats


def test_other_seed_differs(tmp_path):
    a = generate(persons=500, seed=1, start=START, months=1, out=tmp_path / "a", truth_out=tmp_path / "ta",
                 progress=False)
    b = generate(persons=500, seed=2, start=START, months=1, out=tmp_path / "b", truth_out=tmp_path / "tb",
                 progress=False)
    assert a.delivery_dates == b.delivery_dates
    assert digests(tmp_path / "a") != digests(tmp_path / "b")


def test_cadences(run, contracts):
    end = date(START.year + (START.month - 1 + MONTHS) // 12, (START.month - 1 + MONTHS) % 12 + 1, 1)
    window = [date.fromordinal(o) for o in range(START.toordinal(), end.toordinal())]
    expected = {"daily": window, "weekly": [d for d in window if d.weekday() == 0],
                "monthly": [d for d in window if d.day == 1]}
    for source in ("crime", "intel", "custody", "missing", "ocgm", "clicm", "nrm", "osint", "canonical"):
        days = sorted({p.name for p in (run.landing / source).glob("*/*")})
        assert days == [d.isoformat() for d in expected[contracts[source].cadence]], source


def test_next_delivery_adds_exactly_one_date(tmp_path):
    kwargs = dict(persons=500, seed=9, start=date(2025, 1, 1), truth_out=tmp_path / "truth", progress=False)
    generate(months=1, out=tmp_path / "landing", **kwargs)
    before = existing_delivery_dates(tmp_path / "landing")
    files_before = digests(tmp_path / "landing")
    summary = generate(months=1, out=tmp_path / "landing", next_delivery=True, **kwargs)
    after = existing_delivery_dates(tmp_path / "landing")
    assert set(after) - set(before) == {"2025-02-01"} and before[-1] == "2025-01-31"
    assert summary.delivery_dates == ["2025-02-01"]
    files_after = digests(tmp_path / "landing")
    assert {k: v for k, v in files_after.items() if k in files_before} == files_before
    new = {k: v for k, v in files_after.items() if "/2025-02-01/" in k}
    assert new and set(files_after) - set(files_before) == set(new)
    # The next delivery is the delivery a longer run would have made that day.
    generate(months=2, out=tmp_path / "longer", **{**kwargs, "truth_out": tmp_path / "truth2"})
    longer = {k: v for k, v in digests(tmp_path / "longer").items() if "/2025-02-01/" in k}
    assert new == longer
    import pandas as pd

    truth = pd.read_parquet(tmp_path / "truth" / "person_records.parquet")
    assert truth["delivery_date"].max() == "2025-02-01"

