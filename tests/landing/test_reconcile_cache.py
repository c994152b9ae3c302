"""Reconciliation reads each bronze, rejects and warnings file once per version of it
(oe_platform/landing/reconcile.py, SideFileCache): a second reconciliation of an unchanged lake reads
no file, and a file rewritten, cut short or damaged since is read again and its fault reported."""

from __future__ import annotations

import os

import pyarrow.parquet as pq
import pytest

from oe_platform.landing import reconcile as reconcile_module
from oe_platform.landing.ingest import ingest, read_manifest
from oe_platform.landing.reconcile import CACHE_FILE, reconcile
from oe_platform.landing.repair import BronzeDamaged


class _Reads:
    """Counts the footers and row groups reconciliation reads."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.footers = 0
        self.counted: list[str] = []
        read_metadata = pq.read_metadata
        grouped = reconcile_module._grouped_counts

        def counting_metadata(path, *args, **kwargs):
            self.footers += 1
            return read_metadata(path, *args, **kwargs)

        def counting_groups(con, cache, paths, columns):
            self.counted += [str(p) for p in paths if cache.known(p) is None or "counts" not in cache.known(p)]
            return grouped(con, cache, paths, columns)

        monkeypatch.setattr(pq, "read_metadata", counting_metadata)
        monkeypatch.setattr(reconcile_module, "_grouped_counts", counting_groups)


def _loaded_bronze(settings) -> list:
    loaded = {m["file_id"] for m in read_manifest(settings.meta) if m["status"] == "loaded"}
    return sorted(p for p in settings.bronze.rglob("*.parquet") if p.stem in loaded)


def test_an_unchanged_lake_is_reconciled_without_reading_its_files(slice_landing, monkeypatch):
    ingest(slice_landing)
    reads = _Reads(monkeypatch)
    assert reconcile(slice_landing) == []
    side_files = [*slice_landing.bronze.rglob("*.parquet"), *(slice_landing.meta / "rejects").glob("*.parquet"),
                  *(slice_landing.meta / "warnings").glob("*.parquet")]
    assert reads.footers == len(side_files) > 5
    assert len(reads.counted) >= len(_loaded_bronze(slice_landing))
    assert (slice_landing.meta / CACHE_FILE).is_file()

    again = _Reads(monkeypatch)
    assert reconcile(slice_landing) == []
    assert again.footers == 0 and again.counted == []


def test_a_file_rewritten_with_a_row_missing_is_read_again_and_reported(slice_landing):
    ingest(slice_landing)
    assert reconcile(slice_landing) == []
    victim = max(_loaded_bronze(slice_landing), key=lambda p: pq.read_metadata(p).num_rows)
    table = pq.read_table(victim)
    tmp = victim.with_name(f".{victim.name}.tmp")
    pq.write_table(table.slice(0, table.num_rows - 1), tmp)
    os.replace(tmp, victim)  # as every writer of the lake replaces a file

    problems = reconcile(slice_landing)
    assert [p.problem for p in problems] == ["bronze does not hold the accepted rows"]
    assert problems[0].rows_in_bronze == problems[0].rows_accepted - 1


def test_a_file_cut_short_in_place_is_found_damaged(slice_landing):
    ingest(slice_landing)
    assert reconcile(slice_landing) == []
    victim = _loaded_bronze(slice_landing)[0]
    data = victim.read_bytes()
    with open(victim, "r+b") as handle:  # same inode: only its size and time give it away
        handle.truncate(len(data) // 2)
    with pytest.raises(BronzeDamaged, match=f"damaged file {victim}"):
        reconcile(slice_landing)


def test_an_unreadable_cache_is_ignored(slice_landing, monkeypatch):
    ingest(slice_landing)
    assert reconcile(slice_landing) == []
    (slice_landing.meta / CACHE_FILE).write_text("{not json", encoding="utf-8")
    reads = _Reads(monkeypatch)
    assert reconcile(slice_landing) == []
    assert reads.footers > 5
