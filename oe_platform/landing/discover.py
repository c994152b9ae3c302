"""Find landed files and tell which source, force and delivery each one belongs to.

Two roots are read in place, never copied:
- the landing zone: `<landing>/<source>/<force_code | national | partner_code>/<YYYY-MM-DD>/<file>`;
- the public data.police.uk files: `$OE_SHARED_DATA/police_uk/<YYYY-MM>/<YYYY-MM>-<force>-<kind>.csv`,
  registered in the manifest as `police_uk/<YYYY-MM>/<file>` (force from the file name, delivery
  date the first day of the month). Such a file may also be landed the ordinary way,
  `<landing>/police_uk/<force>/<YYYY-MM-DD>/<YYYY-MM>-<force>-<kind>.csv` (a re-publication, a month
  fetched later): its name must then name the folder's force, and its delivery is the month it
  covers too, so that a month delivered again either way replaces the earlier file of that month.

Hidden files (a name starting with "."), partial uploads (`*.part`, `*.tmp`, `*.crdownload`,
`*.filepart`) and Office lock files (`~$*`, `.~lock.*#`) are not deliveries yet: they are never
loaded, and ingest records each one in the file manifest as skipped, with the reason (skip_reason).
Symbolic links are never followed: they are registered and quarantined without reading what they
point to.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from oe_platform.config import Settings
from oe_platform.contracts import NATIONAL, Contract

POLICE_UK = "police_uk"
CANONICAL = "canonical"
# A partner code (canonical/<code>/), a data.police.uk force id, or a force folder.
CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
POLICE_UK_FILE = re.compile(r"^(\d{4}-\d{2})-([a-z0-9][a-z0-9-]{1,40})-(street|outcomes|stop-and-search)\.csv$")
MONTH_FOLDER = re.compile(r"^\d{4}-\d{2}$")
IN_PROGRESS_SUFFIXES = (".part", ".tmp", ".crdownload", ".filepart", ".partial")


class LocationError(Exception):
    """The file is not where a delivery must be; the message says where it should go."""


@dataclass(frozen=True)
class LandedFile:
    """One file found under a root. `relative` is the manifest path (text, always printable)."""

    path: Path
    relative: str
    root: str  # "landing" or "police_uk"
    parts: tuple[str, ...]  # path components below the root (printable text)
    is_symlink: bool = False
    skip_reason: str | None = None  # set when the file is not a delivery (yet): hidden, partial, lock

    @property
    def name(self) -> str:
        return self.parts[-1]


@dataclass(frozen=True)
class Location:
    contract: Contract
    force: str
    delivery: date


# <landing>/erasure/<force>/<YYYY-MM-DD>/erasures*.csv: erasure requests a force delivers, not data
ERASURE_LISTS = "erasure"


def path_text(part: str) -> str:
    """A path component as storable text: undecodable bytes in a file name become \\xNN."""
    try:
        part.encode("utf-8")
        return part
    except UnicodeEncodeError:
        return os.fsencode(part).decode("utf-8", "backslashreplace")


def skip_reason(name: str) -> str | None:
    """Why a landed file is not a delivery (yet), or None when it is one."""
    lower = name.lower()
    if name.startswith(".~lock.") or name.startswith("~$"):
        return ("an office lock file (the document is open in an editor): not a delivery; nothing to do, it "
                "goes when the editor closes")
    if lower.endswith(IN_PROGRESS_SUFFIXES):
        return ("a partial download or upload (still being written, or abandoned): not loaded; it is loaded once "
                "it arrives under its final name. If the transfer failed, deliver the file again")
    if name.startswith("."):
        return ("a hidden file (the name starts with '.'): not a delivery. If it is one, rename it without the "
                "leading dot")
    return None


def is_in_progress(name: str) -> bool:
    return skip_reason(name) is not None


def walk_root(
    root: Path, root_name: str, prefix: tuple[str, ...] = (), include_skipped: bool = False
) -> Iterator[LandedFile]:
    """Every candidate delivery under one root, without following symbolic links. With
    include_skipped, files that are not deliveries (hidden, partial, lock files) come too, each with
    its skip_reason."""
    if not root.is_dir():
        return
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        # a symbolic link to a directory is registered as a file (and quarantined), never descended
        linked_dirs = [d for d in dirnames if (here / d).is_symlink()]
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in linked_dirs)
        if root_name == "landing" and here == root and ERASURE_LISTS in dirnames:
            dirnames.remove(ERASURE_LISTS)  # forces' erasure lists: read by oe_platform.governance.erasure
        rel_dir = here.relative_to(root).parts
        for name in sorted(filenames + linked_dirs):
            reason = skip_reason(name)
            if reason is not None and not include_skipped:
                continue
            full = here / name
            is_link = full.is_symlink()
            if not is_link and not full.is_file():
                continue  # sockets, fifos, devices: not deliveries
            parts = tuple(path_text(p) for p in (*prefix, *rel_dir, name))
            yield LandedFile(full, "/".join(parts), root_name, parts, is_link, reason)


def landed_files(settings: Settings, include_public: bool = True, include_skipped: bool = False) -> list[LandedFile]:
    """Every file delivered under the landing zone and, when present, the police_uk open data, in a
    stable order (with include_skipped, also the files that are not deliveries: see walk_root)."""
    files = list(walk_root(settings.landing, "landing", include_skipped=include_skipped))
    if include_public and settings.police_uk.is_dir():
        files += list(walk_root(settings.police_uk, POLICE_UK, prefix=(POLICE_UK,), include_skipped=include_skipped))
    return sorted(files, key=lambda f: (f.root, f.parts))


def safe_file_name(name: str, limit: int = 120) -> str:
    """A file name that is safe to create anywhere: letters, digits, dot, dash and underscore only,
    no leading dot or dash, at most `limit` characters (the extension kept)."""
    name = unicodedata.normalize("NFKD", path_text(name))
    name = "".join(c if (c.isascii() and (c.isalnum() or c in "._-")) else "_" for c in name)
    name = re.sub(r"_+", "_", name).lstrip("._-") or "file"
    name = name.replace("..", "_")
    if len(name) > limit:
        stem, dot, ext = name.rpartition(".")
        ext = ext[:16] if dot else ""
        name = (stem if dot else name)[: limit - len(ext) - 1] + ("." + ext if ext else "")
    return name


def _parse_day(text: str, where: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError as err:
        raise LocationError(f"{where}: delivery folder {text!r} is not a date (YYYY-MM-DD)") from err


def _locate_police_uk(landed: LandedFile, parts: tuple[str, ...], contract: Contract) -> Location:
    """police_uk/<YYYY-MM>/<YYYY-MM>-<force>-<street|outcomes|stop-and-search>.csv"""
    where = landed.relative
    if len(parts) != 3:
        raise LocationError(
            f"{where}: a data.police.uk file must be at police_uk/<YYYY-MM>/<YYYY-MM>-<force>-<kind>.csv "
            "(as downloaded from data.police.uk)"
        )
    month, name = parts[1], parts[2]
    match = POLICE_UK_FILE.match(name)
    if not MONTH_FOLDER.match(month) or match is None:
        raise LocationError(
            f"{where}: expected police_uk/<YYYY-MM>/<YYYY-MM>-<force>-<street|outcomes|stop-and-search>.csv"
        )
    if match.group(1) != month:
        raise LocationError(f"{where}: the file is for {match.group(1)} but sits in the folder for {month}")
    try:
        delivery = date.fromisoformat(f"{month}-01")
    except ValueError as err:
        raise LocationError(f"{where}: {month!r} is not a month (YYYY-MM)") from err
    return Location(contract, match.group(2), delivery)


def locate(landed: LandedFile, contracts: dict[str, Contract]) -> Location:
    """Check a landed path against the landing layout; raise LocationError naming what is wrong."""
    parts = landed.parts
    where = landed.relative
    source = parts[0]
    contract = contracts.get(source)
    if contract is None:
        raise LocationError(
            f"{where}: unknown source {source!r}; known sources are {sorted(contracts)}. "
            "Deliver under <source>/<force_code>/<YYYY-MM-DD>/<file>"
        )
    if source == POLICE_UK and len(parts) == 3:
        return _locate_police_uk(landed, parts, contract)
    if len(parts) != 4:
        raise LocationError(
            f"{where}: a landed file must be at <source>/<force_code>/<YYYY-MM-DD>/<file>; "
            "move it there and run ingest again"
        )
    _, force, day, _ = parts
    if not CODE_PATTERN.match(force):
        raise LocationError(
            f"{where}: {force!r} is not a valid force or partner code "
            "(lower-case letters, digits and '-', 2 to 41 characters)"
        )
    if force == NATIONAL and source == CANONICAL:
        raise LocationError(f"{where}: the canonical format is delivered under a partner code, not 'national'")
    delivered_on = _parse_day(day, where)
    if source == POLICE_UK:
        return _locate_landed_police_uk(landed, contract, force, delivered_on)
    return Location(contract, force, delivered_on)


def _locate_landed_police_uk(landed: LandedFile, contract: Contract, force: str, delivered_on: date) -> Location:
    """A data.police.uk month file landed under police_uk/<force>/<YYYY-MM-DD>/: named as downloaded,
    for the folder's force, and filed under the month it covers (the staging models keep the latest
    file of each force and month, whichever root it came through)."""
    where = landed.relative
    match = POLICE_UK_FILE.match(landed.parts[-1])
    if match is None:
        raise LocationError(f"{where}: a data.police.uk file keeps its downloaded name, "
                            "<YYYY-MM>-<force>-<street|outcomes|stop-and-search>.csv; rename it and run ingest again")
    if match.group(2) != force:
        raise LocationError(f"{where}: the file is {match.group(2)}'s ({landed.parts[-1]}) but sits in the folder "
                            f"of {force}; move it to police_uk/{match.group(2)}/{delivered_on.isoformat()}/")
    try:
        month = date.fromisoformat(f"{match.group(1)}-01")
    except ValueError as err:
        raise LocationError(f"{where}: {match.group(1)!r} is not a month (YYYY-MM)") from err
    if month > delivered_on:
        raise LocationError(f"{where}: the file covers {match.group(1)}, after its delivery folder "
                            f"{delivered_on.isoformat()}; check the folder's date")
    return Location(contract, force, month)
