"""Derived matching attributes for inputs that do not carry them.

The dbt staging models (macros/normalise) deliver standardised names, phonetic codes, formal names
and postcode parts. A table from elsewhere (a partner's nominal list, a benchmark data set) may hold
only the plain values; `fill_derived_columns` completes it with the same rules in Python, so the
linkage treats both alike. The rules mirror the macros: upper-case ASCII words, titles and suffixes
dropped, American Soundex, one nickname -> formal name map (seeds/nicknames.csv), postcode outward
code and sector.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from functools import lru_cache

import duckdb

from oe_platform.config import REPO_ROOT

NICKNAMES_SEED = REPO_ROOT / "seeds" / "nicknames.csv"
TITLES = {"MR", "MRS", "MS", "MISS", "MX", "MSTR", "MASTER", "DR", "PROF", "REV", "REVD", "FR", "SIR",
          "DAME", "LORD", "LADY", "HON", "SGT", "CAPT", "CLLR"}
SUFFIXES = {"JR", "JNR", "JUNIOR", "SR", "SNR", "SENIOR", "II", "III", "IV", "ESQ"}
UK_POSTCODE = r"^[A-Z]{1,2}[0-9][A-Z0-9]? [0-9][A-Z]{2}$"
_SOUNDEX_CODES = {**dict.fromkeys("BFPV", "1"), **dict.fromkeys("CGJKQSXZ", "2"), **dict.fromkeys("DT", "3"),
                  "L": "4", "M": "5", "N": "5", "R": "6"}


def normalise_name(value: str | None) -> str | None:
    """Upper-case ASCII words: accents stripped, apostrophes removed, other punctuation a word break,
    leading titles and trailing suffixes dropped while another word remains."""
    if value is None:
        return None
    text = unicodedata.normalize("NFKD", str(value)).encode("ascii", "ignore").decode().upper()
    text = re.sub(r"['`]", "", text)
    words = re.sub(r"[^A-Z]+", " ", text).split()
    while len(words) > 1 and words[0] in TITLES:
        words = words[1:]
    while len(words) > 1 and words[-1] in SUFFIXES:
        words = words[:-1]
    return " ".join(words) or None


def soundex(value: str | None) -> str | None:
    """American Soundex of a name (letters only): Smith -> S530, Ashcraft -> A261, Pfister -> P236."""
    if not value:
        return None
    letters = re.sub(r"[^A-Z]", "", value.upper())
    if not letters:
        return None
    first = letters[0]
    code = [first]
    previous = _SOUNDEX_CODES.get(first, "")
    for letter in letters[1:]:
        if letter in "HW":
            continue
        digit = _SOUNDEX_CODES.get(letter, "")
        if digit and digit != previous:
            code.append(digit)
        previous = digit
    return ("".join(code) + "000")[:4]


@lru_cache(maxsize=1)
def nickname_map() -> dict[str, str]:
    """Nickname -> formal name, for nicknames with exactly one formal name in the seed."""
    formal: dict[str, set[str]] = {}
    with NICKNAMES_SEED.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            formal.setdefault(row["nickname"].strip().upper(), set()).add(row["formal_name"].strip().upper())
    return {nick: next(iter(names)) for nick, names in formal.items() if len(names) == 1}


def nickname_pairs() -> list[tuple[str, str]]:
    """Every (nickname, formal name) row of the seed, upper case, ambiguous nicknames included."""
    with NICKNAMES_SEED.open(newline="", encoding="utf-8") as handle:
        return sorted({(row["nickname"].strip().upper(), row["formal_name"].strip().upper())
                       for row in csv.DictReader(handle)})


def formal_forename(forename_std: str | None) -> str | None:
    """The formal name of a forename's first word (BILL -> WILLIAM), else the first word itself."""
    if not forename_std:
        return None
    first = forename_std.split(" ")[0]
    return nickname_map().get(first, first)


def postcode_parts(postcode: str | None) -> tuple[str | None, str | None, str | None]:
    """(canonical postcode, outward code, sector) of a UK-shaped postcode; Nones otherwise."""
    if not postcode:
        return None, None, None
    compact = re.sub(r"[^A-Z0-9]", "", str(postcode).upper())
    if not 5 <= len(compact) <= 7:
        return None, None, None
    canonical = f"{compact[:-3]} {compact[-3:]}"
    return canonical, compact[:-3], canonical[:-2]


def fill_derived_columns(con: duckdb.DuckDBPyConnection, table: str) -> None:
    """Complete the derived columns of `table` (lk_cleaned shape) where they are null but their base
    value is present: formal forename, phonetic codes, postcode outward code and sector."""
    names = con.execute(
        f"select distinct forename_std from {table} where forename_std is not null "
        f"and (forename_phonetic is null or forename_formal is null)"
    ).fetchall()
    if names:
        con.execute("create or replace temp table lk_forename_map (name varchar, formal varchar, code varchar)")
        rows = [(n, formal_forename(n), soundex(formal_forename(n))) for (n,) in names]
        con.executemany("insert into lk_forename_map values (?, ?, ?)", rows)
        con.execute(f"""
            update {table} set
                forename_formal = coalesce({table}.forename_formal, m.formal),
                forename_phonetic = coalesce({table}.forename_phonetic, m.code)
            from lk_forename_map m where {table}.forename_std = m.name
        """)
    surnames = con.execute(
        f"select distinct surname_std from {table} where surname_std is not null and surname_phonetic is null"
    ).fetchall()
    if surnames:
        con.execute("create or replace temp table lk_surname_map (name varchar, code varchar)")
        con.executemany("insert into lk_surname_map values (?, ?)", [(n, soundex(n)) for (n,) in surnames])
        con.execute(f"""
            update {table} set surname_phonetic = m.code
            from lk_surname_map m where {table}.surname_std = m.name and {table}.surname_phonetic is null
        """)
    con.execute(f"""
        update {table} set
            postcode_outward = coalesce(postcode_outward, split_part(postcode_std, ' ', 1)),
            postcode_sector = coalesce(postcode_sector, left(postcode_std, length(postcode_std) - 2))
        where regexp_full_match(postcode_std, '{UK_POSTCODE}')
            and (postcode_outward is null or postcode_sector is null)
    """)
