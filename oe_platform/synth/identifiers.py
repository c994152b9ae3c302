"""UK policing identifiers: generators for synthetic data and validators the whole platform reuses.

Rules are those of docs DOMAIN.md:

- PNC ID ``YYYY/NNNNNNNC``: check letter = ``ZABCDEFGHJKLMNPQRTUVWXY[int(YY + serial padded to 7) % 23]``;
  short forms such as ``81/34U`` expand to ``1981/0000034U``.
- CRO number ``NNNNNN/YYC`` or ``SFYY/NNNNNNC``: the same alphabet over ``int(YY + serial padded to 6)``.
- NHS number: 10 digits, weights 10..2 on digits 1-9, check = 11 - (sum mod 11), 11 -> 0, 10 invalid.
  Synthetic numbers use only the never-issued range 999 000 0000 - 999 999 9999.
- Phones: synthetic numbers come only from Ofcom's drama ranges (mobiles 07700 900000-900999,
  landlines 01632 960000-960999); the validators accept any UK mobile and normalise to E.164.
- Postcodes: format only (the regex of DOMAIN.md).
"""

from __future__ import annotations

import functools
import re

import numpy as np

CHECK_ALPHABET = "ZABCDEFGHJKLMNPQRTUVWXY"
_CHECK_ALPHABET_ARRAY = np.array(list(CHECK_ALPHABET))

PNC_PATTERN = re.compile(r"^(\d{4})/(\d{7})([A-HJ-NP-RT-Z])$")
PNC_SHORT_PATTERN = re.compile(r"^(\d{2}|\d{4})/(\d{1,7})([A-HJ-NP-RT-Z])$")
CRO_PATTERN = re.compile(r"^(\d{1,6})/(\d{2})([A-HJ-NP-RT-Z])$")
CRO_SF_PATTERN = re.compile(r"^SF(\d{2})/(\d{1,6})([A-HJ-NP-RT-Z])$")
POSTCODE_PATTERN = re.compile(
    r"^(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?)"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})$"
)
UK_MOBILE_PATTERN = re.compile(r"^(?:\+44|0)7(?:[1-57-9]\d{2}|624)\d{6}$")
NHS_PATTERN = re.compile(r"^\d{10}$")

# Ofcom numbers reserved for drama: the only phone numbers synthetic data may use.
DRAMA_MOBILE_PREFIX = "07700900"  # 07700 900000 - 07700 900999
DRAMA_LANDLINE_PREFIX = "01632960"  # 01632 960000 - 01632 960999
DRAMA_RANGE_SIZE = 1000
# Postcode inward code letters: the alphabet without C, I, K, M, O, V.
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"


# --- PNC ID -------------------------------------------------------------------------------------

def pnc_check_letter(year: int, serial: int) -> str:
    """Check letter of a PNC ID from its year (2 or 4 digits) and serial number."""
    return CHECK_ALPHABET[int(f"{year % 100:02d}{serial:07d}") % 23]


def make_pnc_id(year: int, serial: int) -> str:
    """A full PNC ID ``YYYY/NNNNNNNC``."""
    if not 1900 <= year <= 2099 or not 0 <= serial <= 9_999_999:
        raise ValueError(f"PNC year {year} or serial {serial} out of range")
    return f"{year:04d}/{serial:07d}{pnc_check_letter(year, serial)}"


def expand_pnc_id(value: str, pivot_year: int = 2030) -> str | None:
    """Expand a short-form PNC ID (``81/34U``) to the full form (``1981/0000034U``).

    Two-digit years at or below ``pivot_year % 100`` are read as 20YY, others as 19YY. Returns
    None when the value is not a PNC ID in either form (the check letter is not verified here).
    """
    match = PNC_SHORT_PATTERN.match(value.strip().upper())
    if not match:
        return None
    year_text, serial, letter = match.groups()
    if len(year_text) == 2:
        yy = int(year_text)
        year = 2000 + yy if yy <= pivot_year % 100 else 1900 + yy
    else:
        year = int(year_text)
    return f"{year:04d}/{int(serial):07d}{letter}"


def shorten_pnc_id(value: str) -> str:
    """The short form of a full PNC ID, as legacy systems print it (``1981/0000034U`` -> ``81/34U``)."""
    match = PNC_PATTERN.match(value)
    if not match:
        raise ValueError(f"not a full PNC ID: {value!r}")
    year, serial, letter = match.groups()
    return f"{year[2:]}/{int(serial)}{letter}"


def validate_pnc_id(value: str | None) -> bool:
    """True when ``value`` is a full PNC ID with the correct check letter."""
    if not value:
        return False
    match = PNC_PATTERN.match(value)
    if not match:
        return False
    year, serial, letter = match.groups()
    return pnc_check_letter(int(year), int(serial)) == letter


# --- CRO number ---------------------------------------------------------------------------------

def cro_check_letter(year: int, serial: int) -> str:
    """Check letter of a CRO number from its two-digit year and serial number."""
    return CHECK_ALPHABET[int(f"{year % 100:02d}{serial:06d}") % 23]


def make_cro_number(year: int, serial: int, scottish_form: bool = False) -> str:
    """A CRO number ``NNNNNN/YYC`` (or ``SFYY/NNNNNNC`` when ``scottish_form``)."""
    if not 1 <= serial <= 999_999:
        raise ValueError(f"CRO serial {serial} out of range")
    letter = cro_check_letter(year, serial)
    if scottish_form:
        return f"SF{year % 100:02d}/{serial:06d}{letter}"
    return f"{serial:06d}/{year % 100:02d}{letter}"


def validate_cro_number(value: str | None) -> bool:
    """True when ``value`` is a CRO number (either form) with the correct check letter."""
    if not value:
        return False
    match = CRO_PATTERN.match(value)
    if match:
        serial, year, letter = match.groups()
    else:
        match = CRO_SF_PATTERN.match(value)
        if not match:
            return False
        year, serial, letter = match.groups()
    return cro_check_letter(int(year), int(serial)) == letter


# --- NHS number ---------------------------------------------------------------------------------

_NHS_WEIGHTS = np.arange(10, 1, -1)


def nhs_check_digit(first_nine: str) -> int | None:
    """The check digit for nine digits, or None when the digits admit none (remainder gives 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 11:
        return 0
    if check == 10:
        return None
    return check


def validate_nhs_number(value: str | None, synthetic_only: bool = False) -> bool:
    """True when ``value`` (spaces allowed) is 10 digits with a valid mod-11 check digit.

    With ``synthetic_only`` the number must also lie in the never-issued 999 range.
    """
    if not value:
        return False
    digits = value.replace(" ", "")
    if not NHS_PATTERN.match(digits):
        return False
    if synthetic_only and not digits.startswith("999"):
        return False
    return nhs_check_digit(digits[:9]) == int(digits[9])


@functools.cache
def _synthetic_nhs_numbers() -> np.ndarray:
    """Every valid NHS number of the never-issued range 999 000 0000 - 999 999 9999, ascending."""
    body = np.arange(1_000_000, dtype=np.int64)
    digits = np.stack([np.full(len(body), 9)] * 3 + [(body // 10 ** (5 - i)) % 10 for i in range(6)], axis=1)
    check = 11 - (digits * _NHS_WEIGHTS).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    ok = check != 10
    return 999_000_000_0 + body[ok] * 10 + check[ok]


# How many people the synthetic range can number (len(_synthetic_nhs_numbers()), checked by a test).
NHS_SYNTHETIC_MAX = 909_091


def make_nhs_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` distinct valid NHS numbers in the synthetic 999 range, drawn without replacement.

    (Drawing with replacement and redrawing on a collision, as this once did, never finished for a
    count near the range's size: tier L's 1,160,000 persons took 24 GB and did not return.)"""
    if count > NHS_SYNTHETIC_MAX:
        raise ValueError(f"the 999 range holds fewer valid numbers than requested ({count:,} > "
                         f"{NHS_SYNTHETIC_MAX:,}): use nhs_numbers_for")
    numbers = _synthetic_nhs_numbers()[rng.choice(NHS_SYNTHETIC_MAX, size=count, replace=False)]
    return np.array([f"{n:010d}" for n in numbers], dtype=object)


def nhs_numbers_for(rng: np.random.Generator, persons: int, capacity: int = NHS_SYNTHETIC_MAX) -> np.ndarray:
    """An NHS number for each of ``persons`` people, distinct, in the synthetic 999 range.

    The range cannot number more than ``capacity`` people, so in a larger population a random
    ``capacity`` of them hold one and the others none (``""``), as people whose NHS number no record
    knows. Up to ``capacity`` people the result is ``make_nhs_numbers``' with the same draws."""
    if persons <= capacity:
        return make_nhs_numbers(rng, persons)
    numbers = make_nhs_numbers(rng, capacity)
    out = np.full(persons, "", dtype=object)
    out[np.sort(rng.choice(persons, size=capacity, replace=False))] = numbers
    return out


# --- Phones -------------------------------------------------------------------------------------

def drama_mobile(index: int) -> str:
    """The ``index``-th Ofcom drama mobile number (0-999), national format without spaces."""
    if not 0 <= index < DRAMA_RANGE_SIZE:
        raise ValueError("drama mobile index out of range")
    return f"{DRAMA_MOBILE_PREFIX}{index:03d}"


def drama_landline(index: int) -> str:
    """The ``index``-th Ofcom drama landline number in the 01632 area (0-999)."""
    if not 0 <= index < DRAMA_RANGE_SIZE:
        raise ValueError("drama landline index out of range")
    return f"{DRAMA_LANDLINE_PREFIX}{index:03d}"


def normalise_phone(value: str | None) -> str | None:
    """E.164 form of a UK phone number written any common way; None when it is not one."""
    if not value:
        return None
    digits = re.sub(r"[^\d+]", "", value)
    if digits.startswith("+44"):
        rest = digits[3:]
    elif digits.startswith("0044"):
        rest = digits[4:]
    elif digits.startswith("44") and len(digits) == 12:
        rest = digits[2:]
    elif digits.startswith("0"):
        rest = digits[1:]
    else:
        return None
    if rest.startswith("0"):  # "+44 (0)7700 ..."
        rest = rest[1:]
    if not rest.isdigit() or len(rest) != 10:
        return None
    return "+44" + rest


def validate_uk_mobile(value: str | None) -> bool:
    """True when ``value`` (spaces, dashes or brackets allowed) is a UK mobile number."""
    e164 = normalise_phone(value)
    return bool(e164) and bool(UK_MOBILE_PATTERN.match(e164))


def is_drama_number(value: str | None) -> bool:
    """True when ``value`` is an Ofcom drama number: 07700 900000-900999 or 01632 960000-960999."""
    e164 = normalise_phone(value)
    if not e164:
        return False
    national = "0" + e164[3:]
    return national.startswith(DRAMA_MOBILE_PREFIX) or national.startswith(DRAMA_LANDLINE_PREFIX)


def validate_phone(value: str | None) -> bool:
    """True when ``value`` is a UK mobile or a drama-range landline, in any common format."""
    return validate_uk_mobile(value) or is_drama_number(value)


# --- Postcodes ----------------------------------------------------------------------------------

def validate_postcode(value: str | None) -> bool:
    """True when ``value`` has the format of a UK postcode (upper case, optional single space)."""
    return bool(value) and bool(POSTCODE_PATTERN.match(value))


def postcode_area(value: str) -> str:
    """The postcode area: the leading letters of the outward code (``CM1 4AB`` -> ``CM``)."""
    match = re.match(r"^([A-Z]{1,2})", value.strip().upper())
    return match.group(1) if match else ""
