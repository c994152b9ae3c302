"""Damaged bronze files: find them, say which landed file they hold, and rebuild them from it.

Every bronze, rejects and warnings file is named by the file id of the landed file it came from
(`<file id>.parquet`), and parsing a landed file is deterministic. So a damaged one (a disk fault,
a copy cut short) is rebuilt exactly by parsing its landed file again with its manifest row's load
time: `oe ingest --reload <file id>`. The damaged file is moved to `<lake>/_damaged/<UTC time>/`,
not deleted. The file manifest is not changed: the file was loaded, and is again, with the same
rows. If the landed file is gone or has changed, the message says to restore the damaged file from
the lake's backup instead."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from oe_platform.config import Settings
from oe_platform.contracts import load_contracts
from oe_platform.landing import discover
from oe_platform.landing.discover import LocationError, locate
from oe_platform.landing.ingest import _Job, _outputs_of, ingest_lock, process_file, read_manifest, sha256_of
from oe_platform.landing.reconcile import SideFileCache, file_version

DAMAGED_DIR = "_damaged"
RELOAD_COMMAND = "oe ingest --reload"


class BronzeDamaged(RuntimeError):
    """A bronze, rejects or warnings file cannot be read, or cannot be rebuilt."""


@dataclass(frozen=True)
class Damage:
    path: Path
    error: str
    file_id: str
    landed_path: str | None  # the landed file it holds the rows of (None: no loaded file has that id)


def side_files(settings: Settings) -> list[Path]:
    """Every bronze, rejects and warnings Parquet file of the lake (what find_damage and reconcile read)."""
    return sorted([*settings.bronze.rglob("*.parquet"), *(settings.meta / "rejects").glob("*.parquet"),
                   *(settings.meta / "warnings").glob("*.parquet")])


def find_damage(settings: Settings, cache: SideFileCache | None = None,
                files: list[Path] | None = None) -> list[Damage]:
    """Every bronze, rejects or warnings file (`files`: default all of them) whose Parquet footer cannot
    be read. With a cache (reconcile.SideFileCache), a file whose footer was read in this very version
    is not read again."""
    loaded: dict[str, str] | None = None
    damage = []
    for path in side_files(settings) if files is None else files:
        if cache is not None and cache.known(path) is not None:
            continue
        try:
            stat = file_version(path)
            pq.read_metadata(path)
        except (OSError, pa.ArrowException) as err:
            if loaded is None:
                loaded = {row["file_id"]: row["path"] for row in read_manifest(settings.meta)
                          if row["status"] == "loaded"}
            damage.append(Damage(path, str(err).splitlines()[0], path.stem, loaded.get(path.stem)))
            continue
        if cache is not None:
            cache.learn(path, stat)
    return damage


def describe(damage: list[Damage]) -> str:
    lines = []
    for item in damage:
        origin = (f"it holds the rows of the landed file {item.landed_path}; rebuild it from that file with "
                  f"`{RELOAD_COMMAND} {item.file_id}`" if item.landed_path else
                  "no loaded file has its id: restore it from the lake's backup, or move it out of the lake")
        lines.append(f"damaged file {item.path} cannot be read ({item.error}): {origin}")
    return "\n".join(lines) + "\nNothing else is affected: every other file is intact."


def reload_files(settings: Settings, file_ids: list[str]) -> list[Path]:
    """Rebuild the bronze, rejects and warnings files of these loaded files from their landed files;
    return where the previous files were moved."""
    contracts = load_contracts()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    moved: list[Path] = []
    with ingest_lock(settings.meta):
        rows = {row["file_id"]: row for row in read_manifest(settings.meta) if row["status"] == "loaded"}
        landed = {f.relative: f for f in discover.landed_files(settings, include_public=True)}
        for file_id in file_ids:
            row = rows.get(file_id)
            if row is None:
                raise BronzeDamaged(f"{file_id}: no loaded file has this id in the file manifest")
            source = landed.get(row["path"])
            if source is None or sha256_of(source.path) != row["sha256"]:
                raise BronzeDamaged(
                    f"{file_id}: the landed file {row['path']} is no longer in the landing zone with the content "
                    "that was loaded; restore its bronze files from the lake's backup instead"
                )
            try:
                location = locate(source, contracts)
            except LocationError as err:
                raise BronzeDamaged(f"{file_id}: {err}") from err
            for path in _outputs_of({file_id}, settings):
                target = settings.lake / DAMAGED_DIR / stamp / path.relative_to(settings.lake)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(path, target)
                moved.append(target)
            entry, result = process_file(_Job(source, dict(row), location, row["started_at"]), settings)
            if result.status != "loaded" or entry["rows_accepted"] != row["rows_accepted"]:
                raise BronzeDamaged(
                    f"{file_id}: reloading {row['path']} gave {result.status} with {entry['rows_accepted']} rows, "
                    f"not the {row['rows_accepted']} loaded before ({result.error}); the damaged files are kept "
                    f"under {settings.lake / DAMAGED_DIR / stamp}"
                )
    return moved
