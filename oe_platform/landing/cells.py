"""Checks on single delivered values that keep the row but flag it (the warnings table).

Ingest never changes a delivered value. A value that would be dangerous or suspicious further on is
kept as delivered and recorded in `<lake>/_meta/warnings/` with its kind, so staging can flag the row
and every published export (gold Parquet, CSV for spreadsheets) can neutralise it.
"""

from __future__ import annotations

import re

# A cell a spreadsheet would evaluate as a formula (CSV / formula injection, OWASP): it begins with
# one of these characters. Plain numbers and phone numbers ("-0.41", "+44 7700 900123") are not flagged.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[\d ().,]*")
# The plain-number test as a regular expression (RE2 syntax, for pyarrow.compute on whole columns).
PLAIN_NUMBER_REGEX = r"^[+-]?[\d ().,]*$"

# A single value longer than this is kept but flagged; one longer than MAX_FIELD_CHARS rejects its row.
HUGE_FIELD_CHARS = 1 << 20  # 1 MiB
MAX_FIELD_CHARS = 16 << 20  # 16 MiB: a larger cell is not a police record but a broken export
# Rejected rows keep at most this much of their raw text (the landed file is kept in quarantine).
MAX_RAW_TEXT_CHARS = 1 << 20
# Warnings keep a short excerpt of the value only.
EXCERPT_CHARS = 200

WARNING_KINDS = {
    "formula_like": "begins with = + - @ or a tab/CR: a spreadsheet would run it as a formula; "
    "exports must prefix it with a single quote",
    "huge_field": "longer than 1 MiB",
    "field_never_present": "a field the contract maps never appears in the file (all values null)",
    "no_data_rows": "the file has a header but no data rows",
    "after_resync": "the row follows a rejected multi-line record; parsing restarted on this line, "
    "check the row",
}


def looks_like_formula(value: str | None) -> bool:
    """True when a spreadsheet opening this value would treat it as a formula."""
    if not value or value[0] not in FORMULA_PREFIXES:
        return False
    return _PLAIN_NUMBER.fullmatch(value) is None


def neutralise_formula(value: str | None) -> str | None:
    """The value made safe for a spreadsheet: a leading single quote when it looks like a formula.

    For CSV/XLSX exports only; bronze, staging and Parquet keep the value as delivered.
    """
    if value is not None and looks_like_formula(value):
        return "'" + value
    return value


def excerpt(value: str, limit: int = EXCERPT_CHARS) -> str:
    return value if len(value) <= limit else value[:limit] + f"… ({len(value)} characters)"


def printable(text: str) -> str:
    """Text safe to store: undecodable bytes (kept as surrogate escapes) shown as \\xNN."""
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def clip_raw(text: str, limit: int = MAX_RAW_TEXT_CHARS) -> tuple[str, bool]:
    """Raw row text for the rejects table, clipped to `limit` characters; True when clipped."""
    text = printable(text)
    if len(text) <= limit:
        return text, False
    return text[:limit], True
