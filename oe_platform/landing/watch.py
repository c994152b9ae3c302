"""What a landing-zone watcher needs: which landed files are new or changed since ingest last saw
them, and a fingerprint of that set (the Dagster sensor's cursor).

A file is pending when the manifest has no row for its path with the same size and modification
time. Files modified in the last `settle_seconds` may still be arriving and are reported apart, so a
run is not started on half a delivery (deliver as `*.part` and rename when complete to be sure).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, field
from datetime import timedelta

from oe_platform.config import Settings
from oe_platform.landing.discover import landed_files
from oe_platform.landing.ingest import EPOCH, read_manifest

DEFAULT_SETTLE_SECONDS = 30.0
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class LandedState:
    path: str
    size: int
    mtime_us: int


@dataclass
class PendingFiles:
    ready: list[LandedState] = field(default_factory=list)
    arriving: list[LandedState] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        """sha256 of the sorted (path, size, mtime) list of the files ready to ingest."""
        digest = hashlib.sha256()
        for item in sorted(self.ready, key=lambda s: s.path):
            digest.update(f"{item.path}\0{item.size}\0{item.mtime_us}\n".encode("utf-8", "backslashreplace"))
        return digest.hexdigest()


def settle_seconds() -> float:
    value = os.environ.get("OE_LANDING_SETTLE_SECONDS")
    return float(value) if value else DEFAULT_SETTLE_SECONDS


def pending_files(settings: Settings, settle: float | None = None, include_public: bool = True) -> PendingFiles:
    """Landed files the manifest does not hold in their current (size, modification time)."""
    settle = settle_seconds() if settle is None else settle
    known = set()
    for row in read_manifest(settings.meta):
        if row["modified_at"] is not None and row["size_bytes"] is not None:
            mtime_us = (row["modified_at"] - EPOCH) // _MICROSECOND
            known.add((row["path"], row["size_bytes"], mtime_us))
    now_us = int(time.time() * 1_000_000)
    pending = PendingFiles()
    for landed in landed_files(settings, include_public=include_public):
        try:
            stat = landed.path.lstat()
        except OSError:
            continue  # vanished since it was listed
        state = LandedState(landed.relative, stat.st_size, stat.st_mtime_ns // 1000)
        if (state.path, state.size, state.mtime_us) in known:
            continue
        if now_us - state.mtime_us < settle * 1_000_000:
            pending.arriving.append(state)
        else:
            pending.ready.append(state)
    return pending
