"""Bad input nobody listed: random byte mutations of valid deliveries. Whatever happens, no exception
escapes ingest, every file ends loaded / duplicate / quarantined with a reason, and reconciliation
holds. Deterministic (seeded), so a failure can be replayed."""

from __future__ import annotations

import io
import random
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from oe_platform.landing.ingest import ingest, read_manifest
from tests.conftest import FIXTURES
from tests.landing.helpers import assert_nothing_lost

SLICE = FIXTURES / "landing_slice" / "crime"
SEEDS = {
    "essex": SLICE / "essex" / "2025-01-06" / "crimes_20250106.csv",
    "essex-persons": SLICE / "essex" / "2025-01-06" / "crime_persons_20250106.csv",
    "bedfordshire": SLICE / "bedfordshire" / "2025-01-06" / "CRIME_20250106.txt",
    "warwickshire": SLICE / "warwickshire" / "2025-01-06" / "crimes_20250106.jsonl",
}
NASTY = [b'"', b",", b"|", b"\n", b"\r", b"\r\n", b"\x00", b"\xff", b"\xef\xbb\xbf", b"\xc3", b"{", b"}", b"[",
         b"=", b"\t", b"\\", b"\x1f", b"\xe2\x80\xa8", b"\\ud800", b"\xed\xa0\x80", b"1e999"]


def mutate(data: bytes, rnd: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rnd.randint(1, 6)):
        op = rnd.randrange(6)
        at = rnd.randrange(len(buf) + 1) if buf else 0
        if op == 0 and buf:  # flip a byte
            buf[min(at, len(buf) - 1)] = rnd.randrange(256)
        elif op == 1:  # insert something nasty
            buf[at:at] = rnd.choice(NASTY) * rnd.randint(1, 3)
        elif op == 2 and buf:  # delete a range
            del buf[at:at + rnd.randint(1, 40)]
        elif op == 3 and buf:  # duplicate a range
            buf[at:at] = buf[at:at + rnd.randint(1, 80)]
        elif op == 4:  # truncate
            del buf[at:]
        else:  # random junk
            buf[at:at] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 16)))
    return bytes(buf)


def landing_target(landing: Path, seed_name: str, original: Path, i: int) -> Path:
    force = seed_name.split("-")[0]
    folder = landing / "crime" / force / f"2025-03-{1 + i % 28:02d}"
    folder.mkdir(parents=True, exist_ok=True)
    stem, dot, ext = original.name.rpartition(".")
    return folder / f"{stem}_{i}.{ext}"


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_mutations_never_escape_and_always_reconcile(platform_dirs, seed):
    rnd = random.Random(seed)
    count = 0
    for name, path in SEEDS.items():
        data = path.read_bytes()
        for i in range(40):
            landing_target(platform_dirs.landing, name, path, i + 100 * seed).write_bytes(mutate(data, rnd))
            count += 1
    summary = ingest(platform_dirs)  # must not raise
    assert len(summary.files) == count
    statuses = {f.status for f in summary.files}
    assert statuses <= {"loaded", "duplicate", "quarantined"}, [f.error for f in summary.files if f.status == "failed"]
    assert_nothing_lost(platform_dirs)
    assert ingest(platform_dirs).files == []  # and a re-run is still a no-op


def _parquet_bytes() -> bytes:
    from oe_platform.contracts import load_contracts

    for contract in load_contracts().values():
        for layout in contract.layouts:
            if layout.format == "parquet":
                spec = next(s for s in layout.files.values() if s.pattern)
                table = pa.table({d: [f"v{i}" for i in range(20)] for d in spec.columns})
                sink = io.BytesIO()
                pq.write_table(table, sink)
                return contract.source, layout.forces[0], spec.pattern.replace("*", "{i}"), sink.getvalue()
    raise AssertionError("no contract declares a parquet layout: nothing to fuzz")


def _xlsx_bytes() -> bytes:
    from oe_platform.contracts import load_contracts

    for contract in load_contracts().values():
        for layout in contract.layouts:
            if layout.format == "xlsx":
                workbook = openpyxl.Workbook()
                workbook.remove(workbook.active)
                specs = [s for s in layout.files.values() if s.pattern]
                for spec in specs:
                    sheet = workbook.create_sheet(spec.sheet or spec.entity)
                    sheet.append(list(spec.columns))
                    for i in range(10):
                        sheet.append([f"v{i}"] * len(spec.columns))
                sink = io.BytesIO()
                workbook.save(sink)
                return contract.source, layout.forces[0], specs[0].pattern.replace("*", "{i}"), sink.getvalue()
    raise AssertionError("no contract declares an xlsx layout: nothing to fuzz")


@pytest.mark.parametrize("make", [_parquet_bytes, _xlsx_bytes], ids=["parquet", "xlsx"])
def test_mutated_binary_formats_are_loaded_or_quarantined(platform_dirs, make):
    source, force, pattern, data = make()
    rnd = random.Random(11)
    folder = platform_dirs.landing / source / force / "2025-03-01"
    folder.mkdir(parents=True)
    for i in range(40):
        (folder / pattern.format(i=i)).write_bytes(mutate(data, rnd))
    summary = ingest(platform_dirs)
    assert {f.status for f in summary.files} <= {"loaded", "duplicate", "quarantined"}, [
        f.error for f in summary.files if f.status == "failed"]
    assert all(m["error"] for m in read_manifest(platform_dirs.meta) if m["status"] == "quarantined")
    assert_nothing_lost(platform_dirs)
