"""Odd and hostile file names: loaded or quarantined like any other file, never written outside the
lake, quarantine copies under sanitised names."""

from __future__ import annotations

import os
from pathlib import Path

from oe_platform.landing.discover import safe_file_name
from oe_platform.landing.ingest import ingest, read_manifest
from tests.landing.helpers import CRIMES_HEADER, assert_nothing_lost, bronze, crime_row


def files_outside_lake(root: Path, lake: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p != lake and not p.is_relative_to(lake)}


def test_odd_names_load_and_hostile_ones_stay_inside_the_lake(platform_dirs, landing_day, tmp_path):
    folder = landing_day()
    body = CRIMES_HEADER + "\n"
    names = {
        "crimes_2025 01 08 (copy).csv": "K1",  # spaces and brackets
        "crimes_Ωmega_café_東京.csv": "K2",  # unicode
        "crimes_" + "a" * 240 + ".csv": "K3",  # 251 characters, near the file-system limit
        "crimes_..\\..\\..\\etc\\passwd.csv": "K4",  # backslashes and dots are ordinary characters here
        "crimes_line\nbreak.csv": "K5",  # a newline in a file name
    }
    for name, ref in names.items():
        (folder / name).write_text(body + crime_row(ref) + "\n")
    # undecodable bytes in a name
    with open(os.path.join(os.fsencode(folder), b"crimes_\xff\xfe.csv"), "wb") as handle:
        handle.write((body + crime_row("K6") + "\n").encode())
    # names that match no pattern: quarantined under a sanitised name
    (folder / ("x..\\..\\" + "z" * 200 + ".exe")).write_bytes(b"MZ\x90\x00junk")
    (folder / "-rf --no-preserve-root").write_text("x")
    outside_before = files_outside_lake(tmp_path, platform_dirs.lake)

    summary = ingest(platform_dirs)
    assert summary.count("loaded") == 6 and summary.count("quarantined") == 2
    assert sorted(r["crime_ref"] for r in bronze(platform_dirs, "crime", "crimes")) == [f"K{i}" for i in range(1, 7)]
    paths = {m["path"] for m in read_manifest(platform_dirs.meta)}
    assert "crime/essex/2025-01-08/crimes_\\xff\\xfe.csv" in paths  # stored printable
    # nothing was created outside the lake (the landing zone is only read)
    assert files_outside_lake(tmp_path, platform_dirs.lake) == outside_before
    quarantined = [p for p in (platform_dirs.lake / "_quarantine").rglob("*") if p.is_file() and p.name != "reason.txt"]
    assert len(quarantined) == 2
    for copy in quarantined:
        assert copy.resolve().is_relative_to((platform_dirs.lake / "_quarantine").resolve())
        assert len(copy.name) <= 120 and ".." not in copy.name and "\\" not in copy.name
        assert not copy.name.startswith(("-", "."))
    assert_nothing_lost(platform_dirs)


def test_symbolic_links_are_never_followed(platform_dirs, landing_day, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(CRIMES_HEADER + "\n" + crime_row("SECRET") + "\n")
    folder = landing_day()
    (folder / "crimes_link.csv").symlink_to(secret)
    (platform_dirs.landing / "crime" / "kent").symlink_to(tmp_path, target_is_directory=True)
    summary = ingest(platform_dirs)
    assert {f.path: f.status for f in summary.files} == {
        "crime/essex/2025-01-08/crimes_link.csv": "quarantined",
        "crime/kent": "quarantined",
    }
    assert all("symbolic link" in f.error for f in summary.files)
    assert bronze(platform_dirs, "crime", "crimes") == []
    assert not any("SECRET" in p.read_text(errors="replace")
                   for p in (platform_dirs.lake / "_quarantine").rglob("*") if p.is_file())
    assert_nothing_lost(platform_dirs)


SKIPPED = {
    "crimes_1.csv.part": "partial download",
    "crimes_4.csv.crdownload": "partial download",
    "crimes_3.csv.tmp": "partial download",
    ".crimes_2.csv": "hidden file",
    "~$crimes.xlsx": "office lock file",
    ".~lock.crimes_5.csv#": "office lock file",
}


def test_partial_uploads_hidden_and_lock_files_are_recorded_as_skipped_until_their_final_name(
    platform_dirs, landing_day
):
    folder = landing_day()
    for name in SKIPPED:
        (folder / name).write_text(CRIMES_HEADER + "\n" + crime_row(name[:8]) + "\n")
    (platform_dirs.landing / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    summary = ingest(platform_dirs)
    results = {f.path.rsplit("/", 1)[-1]: f for f in summary.files}
    assert set(results) == {*SKIPPED, ".DS_Store"}
    assert {f.status for f in summary.files} == {"skipped"}
    for name, kind in {**SKIPPED, ".DS_Store": "hidden file"}.items():
        assert kind in results[name].error and name in results[name].error, results[name].error
    # the operator sees them in the manifest (status skipped, the reason), never in bronze
    manifest = {row["file_name"]: row for row in read_manifest(platform_dirs.meta)}
    assert {name: row["status"] for name, row in manifest.items()} == dict.fromkeys(results, "skipped")
    assert all(row["error"] and row["sha256"] and row["file_id"] is None for row in manifest.values())
    assert bronze(platform_dirs, "crime", "crimes") == []
    assert not (platform_dirs.lake / "_quarantine").exists()
    # recorded once: the next run has nothing new to say about them
    assert ingest(platform_dirs).files == []
    # the download completes under its final name: loaded, and the manifest keeps the skipped record
    (folder / "crimes_1.csv.part").rename(folder / "crimes_1.csv")
    assert [(f.path, f.status) for f in ingest(platform_dirs).files] == [
        ("crime/essex/2025-01-08/crimes_1.csv", "loaded")
    ]
    assert len(bronze(platform_dirs, "crime", "crimes")) == 1
    assert len(read_manifest(platform_dirs.meta)) == len(results) + 1
    assert_nothing_lost(platform_dirs)


def test_safe_file_name():
    assert safe_file_name("../../etc/passwd") == "etc_passwd"
    assert safe_file_name("..") == "file"
    assert safe_file_name("Café report (v2).csv") == "Cafe_report_v2_.csv"
    long = safe_file_name("x" * 300 + ".parquet")
    assert len(long) == 120 and long.endswith(".parquet")
