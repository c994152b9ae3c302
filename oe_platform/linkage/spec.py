"""The person-linkage model specification: comparisons, blocking rules and training rules.

This is the *untrained* Splink 5 settings dictionary. Training (`oe linkage train`) fills in the m and
u probabilities and the prior, and writes the result to `linkage/models/person_linkage_v<N>.json`;
a normal run reads that committed file and never re-estimates anything. The settings hash of this
specification is stored beside the model, so a run refuses a model trained for another specification.

Every SQL condition is DuckDB SQL over the profile table built by `oe_platform.linkage.records`
(`_l` / `_r` are Splink's left and right record suffixes).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

UNIQUE_ID = "profile_id"

# Labels the clustering guards and the explanation refer to (label_for_charts of each level).
NULL = "null"
EXACT = "exact"
ELSE = "else"
SWAPPED = "swapped with surname"
SWAPPED_FORENAME = "swapped with forename"
SAME_ADDRESS = "same address line"
SAME_POSTCODE = "same postcode"
SAME_POSTCODE_OTHER_ADDRESS = "same postcode, another address line"
SAME_NAME_SET = "may stand for the same name (nickname, first word or one keying error)"
SWAPPED_MISTYPED = "swapped with surname, one mistyped"
SWAPPED_FORENAME_MISTYPED = "swapped with forename, one mistyped"
ADDRESS_ALIKE = "address line alike (same house number, two keying errors or the town left out)"
DOB_TWO_ERRORS = "same day and month, the year two keying errors apart"
NAME_IN_OTHER_FIELD = "one name keyed in the other field, the other replaced"
ADDRESS_SIMILAR = "address line similar (same house number, Jaro-Winkler >= 0.9, no other town's postcode)"

TRUSTED_IDENTIFIERS = ("pnc_id", "cro_number", "nhs_number")
"""Identifiers whose agreement links two records deterministically (valid check character only):
each is issued to one person by a national system."""

CONFLICT_IDENTIFIERS = ("pnc_id", "nhs_number", "cro_number")
"""Identifiers of which one person has at most one valid value: two in one cluster is a conflict."""


def _level(sql: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"sql_condition": sql, "label_for_charts": label, **extra}


def _null(column: str) -> dict[str, Any]:
    return _level(f'"{column}_l" IS NULL OR "{column}_r" IS NULL', NULL, is_null_level=True)


def _else() -> dict[str, Any]:
    return _level("ELSE", ELSE)


def _exact(column: str, tf: bool = False, tf_minimum_u_value: float | None = None, label: str = EXACT
           ) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if tf:
        extra["tf_adjustment_column"] = column
        extra["tf_adjustment_weight"] = 1.0
        if tf_minimum_u_value:
            extra["tf_minimum_u_value"] = tf_minimum_u_value
    return _level(f'"{column}_l" = "{column}_r"', label, **extra)


# Forename and surname swapped with one of them mistyped: Jaro-Winkler on the crossed pair (a name
# keyed in the other field and mistyped keeps most of its letters in order).
SWAP_JW = 0.88
_CROSSED_ALIKE = (
    f'jaro_winkler_similarity("forename_std_l", "surname_std_r") >= {SWAP_JW} '
    f'AND jaro_winkler_similarity("surname_std_l", "forename_std_r") >= {SWAP_JW}'
)
# One name keyed in the other field (exact or mistyped) and the other name replaced: the forenames
# unrelated (the level comes below every level of forename likeness) and the surnames unlike too, so
# that a forename resembling one's own surname (JAMIE JAMES and OLIVER JAMES, twins) is not read as a
# crossing. One level of the forename comparison only, so that the one crossing counts once (model v4).
_CROSSED_ONE = (
    f'(jaro_winkler_similarity("forename_std_l", "surname_std_r") >= {SWAP_JW} '
    f'OR jaro_winkler_similarity("surname_std_l", "forename_std_r") >= {SWAP_JW}) '
    f'AND jaro_winkler_similarity("surname_std_l", "surname_std_r") < {SWAP_JW}'
)


def _jw(column: str, threshold: float) -> dict[str, Any]:
    return _level(
        f'jaro_winkler_similarity("{column}_l", "{column}_r") >= {threshold}',
        f"jaro-winkler >= {threshold}",
    )


# Names: a rare name is strong evidence, but never stronger than one in 10,000 (so that two records
# agreeing only on a very rare name cannot outweigh the rest of the evidence on their own).
NAME_TF_MIN_U = 1e-4

FORENAME = {
    "output_column_name": "forename",
    "comparison_description": "Given name: exact, swapped with surname (exact, or one of them mistyped), "
    "same formal name (nickname), "
    "typo (Jaro-Winkler), known by a middle name, same phonetic code, initial only, one name keyed in the "
    "other field",
    "comparison_levels": [
        _null("forename_std"),
        _exact("forename_std", tf=True, tf_minimum_u_value=NAME_TF_MIN_U),
        _level(
            '"forename_std_l" = "surname_std_r" AND "surname_std_l" = "forename_std_r"', SWAPPED
        ),
        _level(_CROSSED_ALIKE, SWAPPED_MISTYPED),
        _level('len(list_intersect("forename_names_l", "forename_names_r")) > 0', SAME_NAME_SET),
        _jw("forename_std", 0.92),
        _level(
            'list_contains(str_split("middle_names_std_r", \' \'), "forename_formal_l") '
            'OR list_contains(str_split("middle_names_std_l", \' \'), "forename_formal_r")',
            "known by a middle name",
        ),
        _level('"forename_phonetic_l" = "forename_phonetic_r"', "same phonetic code"),
        _level(
            '(length("forename_std_l") = 1 OR length("forename_std_r") = 1) '
            'AND substr("forename_std_l", 1, 1) = substr("forename_std_r", 1, 1)',
            "initial only, agrees",
        ),
        _jw("forename_std", 0.84),
        _level(_CROSSED_ONE, NAME_IN_OTHER_FIELD),
        _else(),
    ],
}

SURNAME = {
    "output_column_name": "surname",
    "comparison_description": "Family name: exact, swapped with forename (exact, or one of them mistyped), "
    "same without spaces, typo "
    "(Jaro-Winkler), a word in common (double-barrelled), same phonetic code",
    "comparison_levels": [
        _null("surname_std"),
        _exact("surname_std", tf=True, tf_minimum_u_value=NAME_TF_MIN_U),
        _level(
            '"forename_std_l" = "surname_std_r" AND "surname_std_l" = "forename_std_r"',
            SWAPPED_FORENAME,
        ),
        _level(_CROSSED_ALIKE, SWAPPED_FORENAME_MISTYPED),
        _level(
            'replace("surname_std_l", \' \', \'\') = replace("surname_std_r", \' \', \'\')',
            "same without spaces",
        ),
        _jw("surname_std", 0.92),
        _level(
            'len(list_intersect(str_split("surname_std_l", \' \'), str_split("surname_std_r", \' \'))) > 0',
            "a word in common",
        ),
        _level('"surname_phonetic_l" = "surname_phonetic_r"', "same phonetic code"),
        _jw("surname_std", 0.84),
        _else(),
    ],
}

MIDDLE_NAMES = {
    "output_column_name": "middle_names",
    "comparison_description": "Middle names: exact, same first middle name, same first initial",
    "comparison_levels": [
        _null("middle_names_std"),
        _exact("middle_names_std"),
        _level(
            'split_part("middle_names_std_l", \' \', 1) = split_part("middle_names_std_r", \' \', 1)',
            "same first middle name",
        ),
        _level(
            'substr("middle_names_std_l", 1, 1) = substr("middle_names_std_r", 1, 1)',
            "same first initial",
        ),
        _else(),
    ],
}

DATE_OF_BIRTH = {
    "output_column_name": "date_of_birth",
    "comparison_description": "Date of birth: exact, day and month transposed, one keying error "
    "(a digit changed or two adjacent digits swapped), same day and month with the year two keying errors "
    "apart, within a year",
    "comparison_levels": [
        _null("date_of_birth"),
        # no term-frequency adjustment: with some 25,000 possible dates, the frequency of a date in
        # a delivery of a few thousand records mostly counts the person's own records
        _exact("date_of_birth"),
        _level('"date_of_birth_l" = "dob_transposed_r"', "day and month transposed"),
        _level('damerau_levenshtein("dob_text_l", "dob_text_r") <= 1', "one keying error"),
        # the year mistyped twice (1985 / 1958 is one error, 1985 / 1968 two), day and month right. Not
        # any two keying errors: two dates of one year with a digit of the month and of the day changed
        # are as common among strangers as among matches.
        _level(
            '"dob_month_day_l" = "dob_month_day_r" AND damerau_levenshtein("dob_text_l", "dob_text_r") <= 2',
            DOB_TWO_ERRORS,
        ),
        _level(
            'abs(date_diff(\'day\', "date_of_birth_l", "date_of_birth_r")) <= 365', "within a year"
        ),
        _else(),
    ],
}

SEX = {
    "output_column_name": "sex",
    "comparison_description": "Sex (M or F; not known or indeterminate is treated as missing)",
    "comparison_levels": [_null("sex_code"), _exact("sex_code"), _else()],
}

ADDRESS = {
    "output_column_name": "address",
    "comparison_description": "Home address: the same address line; an address line alike (the same house "
    "number, at most two keying errors apart or one line the other without its town); an address line "
    "similar (the same house number, Jaro-Winkler at least 0.9, the postcodes not in two outward codes); "
    "the same postcode with another address line; the same postcode (an address line missing); same sector; "
    "same outward code",
    "comparison_levels": [
        _level(
            '("address_std_l" IS NULL OR "address_std_r" IS NULL) '
            'AND ("postcode_std_l" IS NULL OR "postcode_std_r" IS NULL)',
            NULL,
            is_null_level=True,
        ),
        _exact("address_std", tf=True, tf_minimum_u_value=1e-5, label=SAME_ADDRESS),
        # one address keyed twice: a street or town mistyped, or the town left out. The house number
        # must agree (a neighbour's line is one keying error away too); Jaro-Winkler is not used,
        # because lines of one street in two towns share a long prefix (12 STATION RD BURY / BUXTON).
        _level(
            "regexp_extract(\"address_std_l\", '[0-9]+') = regexp_extract(\"address_std_r\", '[0-9]+') "
            "AND (damerau_levenshtein(\"address_std_l\", \"address_std_r\") <= 2 "
            "OR prefix(\"address_std_l\", \"address_std_r\" || ' ') "
            "OR prefix(\"address_std_r\", \"address_std_l\" || ' '))",
            ADDRESS_ALIKE,
        ),
        # one address keyed with more errors than that, or written another way (a word or a building
        # name more or less, PLACE / PL, words run together): the house number (present) agrees and the
        # lines are similar as a whole. Same-named streets of two towns at one house number are similar
        # too (12 HIGH STREET IPSWICH / NORWICH), so UK postcodes in two outward codes (two towns) rule
        # the level out; a postcode missing, mistyped within its outward code or foreign (no outward
        # code) does not (model v4)
        _level(
            "regexp_extract(\"address_std_l\", '[0-9]+') = regexp_extract(\"address_std_r\", '[0-9]+') "
            "AND regexp_extract(\"address_std_l\", '[0-9]+') != '' "
            "AND jaro_winkler_similarity(\"address_std_l\", \"address_std_r\") >= 0.9 "
            "AND NOT (\"postcode_outward_l\" IS NOT NULL AND \"postcode_outward_r\" IS NOT NULL "
            "AND \"postcode_outward_l\" != \"postcode_outward_r\")",
            ADDRESS_SIMILAR,
        ),
        # two address lines in one postcode: neighbours as often as one person keyed two ways
        _level(
            '"postcode_std_l" = "postcode_std_r" AND "address_std_l" != "address_std_r"',
            SAME_POSTCODE_OTHER_ADDRESS,
        ),
        # the same postcode where a side has no address line (OSINT, NRM): the postcode is all there is.
        # No term-frequency adjustment here: Splink scales a value's frequency by this level's u, which
        # also holds the chance that an address line is missing, so every postcode would look common.
        _exact("postcode_std", label=SAME_POSTCODE),
        _level('"postcode_sector_l" = "postcode_sector_r"', "same sector"),
        _level('"postcode_outward_l" = "postcode_outward_r"', "same outward code"),
        _else(),
    ],
}

PHONE = {
    "output_column_name": "phone",
    "comparison_description": "Phone number (E.164)",
    "comparison_levels": [
        _null("phone_e164"),
        _exact("phone_e164", tf=True, tf_minimum_u_value=1e-5),
        _else(),
    ],
}


ALIAS_OF_OTHER = "one's name is an other name of the other"
ALIAS = {
    "output_column_name": "aliases",
    "comparison_description": "Other names (aliases, street names, a name under a previous surname): the full "
    "name of one record listed among the other's other names; an other name in common",
    "comparison_levels": [
        _level(
            '("alias_names_l" IS NULL OR "full_name_r" IS NULL) AND ("alias_names_r" IS NULL OR "full_name_l" IS NULL)',
            NULL,
            is_null_level=True,
        ),
        _level(
            'list_contains("alias_names_l", "full_name_r") OR list_contains("alias_names_r", "full_name_l")',
            ALIAS_OF_OTHER,
        ),
        _level('len(list_intersect("alias_names_l", "alias_names_r")) > 0', "an other name in common"),
        _else(),
    ],
}


def _identifier(column: str, description: str) -> dict[str, Any]:
    return {
        "output_column_name": column,
        "comparison_description": description,
        "comparison_levels": [_null(column), _exact(column), _else()],
    }


COMPARISONS = [
    FORENAME,
    SURNAME,
    MIDDLE_NAMES,
    DATE_OF_BIRTH,
    SEX,
    ADDRESS,
    PHONE,
    ALIAS,
    _identifier("pnc_id", "Police National Computer ID (valid check letter only)"),
    _identifier("cro_number", "Criminal Records Office number (valid check letter only)"),
    _identifier("nhs_number", "NHS number (valid check digit only)"),
]


def _rule(sql: str, name: str) -> tuple[str, str]:
    return name, sql


# (name, SQL condition): a pair is scored when any rule admits it (Splink removes repeats). Every
# rule is precise (an identifier, an exact date of birth, or an address with a name or year of
# birth), so the number of pairs grows about linearly with the data. A pair no rule admits could not
# be linked anyway: with a date of birth one keying error apart or missing, the edge guards need the
# same postcode, phone or identifier (each a rule here); with dates further apart they refuse it.
BLOCKING_RULES = [
    _rule('l."pnc_id" = r."pnc_id"', "same PNC ID"),
    _rule('l."nhs_number" = r."nhs_number"', "same NHS number"),
    _rule('l."cro_number" = r."cro_number"', "same CRO number"),
    _rule('l."phone_e164" = r."phone_e164"', "same phone"),
    _rule(
        'l."date_of_birth" = r."date_of_birth" AND l."surname_phonetic" = r."surname_phonetic"',
        "same date of birth and phonetic surname",
    ),
    _rule(
        'l."date_of_birth" = r."date_of_birth" AND l."forename_phonetic" = r."forename_phonetic"',
        "same date of birth and phonetic forename (a changed surname)",
    ),
    _rule(
        'l."dob_transposed" = r."date_of_birth" AND l."surname_phonetic" = r."surname_phonetic"',
        "day and month of birth transposed, same phonetic surname",
    ),
    _rule(
        'l."dob_transposed" = r."date_of_birth" AND l."forename_phonetic" = r."forename_phonetic"',
        "day and month of birth transposed, same phonetic forename (a changed or mistyped surname)",
    ),
    _rule(
        'l."forename_phonetic" = r."surname_phonetic" AND l."surname_phonetic" = r."forename_phonetic" '
        'AND l."dob_year" = r."dob_year"',
        "forename and surname swapped, same year of birth",
    ),
    _rule(
        'l."postcode_std" = r."postcode_std" AND l."surname_phonetic" = r."surname_phonetic"',
        "same postcode and phonetic surname",
    ),
    _rule(
        'l."postcode_std" = r."postcode_std" AND l."forename_phonetic" = r."forename_phonetic"',
        "same postcode and phonetic forename",
    ),
    _rule(
        'l."postcode_std" = r."postcode_std" AND l."dob_year" = r."dob_year"',
        "same postcode and year of birth",
    ),
    _rule(
        'l."address_std" = r."address_std" AND l."surname_phonetic" = r."surname_phonetic"',
        "same address line and phonetic surname",
    ),
    _rule(
        'l."address_std" = r."address_std" AND l."forename_phonetic" = r."forename_phonetic"',
        "same address line and phonetic forename",
    ),
    _rule(
        'l."date_of_birth" = r."date_of_birth" AND l."postcode_outward" = r."postcode_outward"',
        "same date of birth and outward code (a changed name)",
    ),
    # Pairs where two of name, date of birth and postcode carry errors: one of them agrees and the
    # mistyped names keep their first letter (keying errors rarely hit it), or the names agree and
    # the date of birth keeps its year or its day and month.
    _rule(
        'l."date_of_birth" = r."date_of_birth" AND l."surname_initial" = r."surname_initial"',
        "same date of birth and surname initial (mistyped names)",
    ),
    _rule(
        'l."date_of_birth" = r."date_of_birth" AND l."forename_initial" = r."forename_initial"',
        "same date of birth and forename initial (mistyped or changed surname)",
    ),
    _rule(
        'l."postcode_std" = r."postcode_std" AND l."forename_initial" = r."forename_initial"',
        "same postcode and forename initial (mistyped names and date of birth)",
    ),
    _rule(
        'l."forename_phonetic" = r."forename_phonetic" AND l."surname_phonetic" = r."surname_phonetic" '
        'AND l."dob_year" = r."dob_year"',
        "same phonetic names and year of birth (mistyped names and day or month, another postcode)",
    ),
    _rule(
        'l."forename_phonetic" = r."forename_phonetic" AND l."surname_phonetic" = r."surname_phonetic" '
        'AND l."dob_month_day" = r."dob_month_day"',
        "same phonetic names, day and month of birth (mistyped names and year, another postcode)",
    ),
    _rule(
        'l."forename_phonetic" = r."forename_phonetic" AND l."surname_phonetic" = r."surname_phonetic" '
        'AND l."postcode_outward" = r."postcode_outward" AND l."dob_year" = r."dob_year"',
        "same phonetic names, outward code and year of birth (mistyped postcode and date of birth)",
    ),
    # names and date of birth both mistyped (or names swapped), the address unchanged: a keying error
    # rarely hits the day and month and the year at once, nor a whole address line
    _rule(
        'l."address_std" = r."address_std" AND l."dob_month_day" = r."dob_month_day"',
        "same address line, day and month of birth (names and year of birth mistyped)",
    ),
    _rule(
        'l."address_std" = r."address_std" AND l."dob_year" = r."dob_year"',
        "same address line and year of birth (names and day or month of birth mistyped)",
    ),
    _rule(
        'l."postcode_std" = r."postcode_std" AND l."dob_month_day" = r."dob_month_day"',
        "same postcode, day and month of birth (names, year of birth and address mistyped)",
    ),
    # forename and surname swapped and one of them mistyped beyond Soundex (the swap rule above needs
    # the crossed Soundex codes): the crossed first letters, with the date of birth or the address line
    _rule(
        'l."forename_initial" = r."surname_initial" AND l."surname_initial" = r."forename_initial" '
        'AND l."date_of_birth" = r."date_of_birth"',
        "forename and surname initials crossed, same date of birth (names swapped, one mistyped)",
    ),
    _rule(
        'l."forename_initial" = r."surname_initial" AND l."surname_initial" = r."forename_initial" '
        'AND l."postcode_std" = r."postcode_std"',
        "forename and surname initials crossed, same postcode (names swapped, date of birth mistyped or "
        "missing)",
    ),
    _rule(
        'l."address_std" = r."address_std" AND l."forename_initial" = r."surname_initial"',
        "same address line, forename initial is the other's surname initial (names swapped and mistyped, "
        "date of birth mistyped)",
    ),
    # an address line mistyped or written another way, the postcode mistyped or missing, names and
    # date of birth mistyped: the house number and the street's first letter, with both names' first
    # letters (in either order: names swapped)
    _rule(
        'l."address_number" = r."address_number" AND l."street_initial" = r."street_initial" '
        'AND l."surname_initial" = r."surname_initial" AND l."forename_initial" = r."forename_initial"',
        "same house number, street initial and name initials (address line, postcode and date of birth mistyped)",
    ),
    _rule(
        'l."address_number" = r."address_number" AND l."street_initial" = r."street_initial" '
        'AND l."surname_initial" = r."forename_initial" AND l."forename_initial" = r."surname_initial"',
        "same house number and street initial, name initials crossed (names swapped, address line mistyped)",
    ),
    # the same other names (aliases, street names) as a whole, in any order: sources that copy a
    # person's AKAs copy the list; with the surname's first letter, which a keying error rarely changes
    _rule(
        'l."alias_set" = r."alias_set" AND l."surname_initial" = r."surname_initial"',
        "same other names (aliases, any order) and surname initial (names and date of birth mistyped or missing)",
    ),
    # any two of names, date of birth and address mistyped where the third is intact: a date of birth
    # or a postcode shared by few profiles of the run (records.SELECTIVE_KEY_MAX_PROFILES)
    _rule('l."selective_dob" = r."selective_dob"', "same date of birth, held by few profiles"),
    _rule('l."selective_postcode" = r."selective_postcode"', "same postcode, held by few profiles"),
    # two or three of names, date of birth and postcode mistyped: parts keying errors rarely reach,
    # where few profiles share them (records.SELECTIVE_COMBINATIONS)
    _rule('l."selective_number_town" = r."selective_number_town"',
          "same house number and town, held by few profiles"),
    _rule('l."selective_number_street_surname" = r."selective_number_street_surname"',
          "same house number, street initial and surname initial, held by few profiles"),
    _rule('l."selective_number_street_forename" = r."selective_number_street_forename"',
          "same house number, street initial and forename initial, held by few profiles"),
    _rule('l."selective_birthday_forename" = r."selective_birthday_forename"',
          "same day and month of birth and forename initial, held by few profiles"),
    _rule('l."selective_birthday_surname" = r."selective_birthday_surname"',
          "same day and month of birth and surname initial, held by few profiles"),
    _rule('l."selective_year_initials" = r."selective_year_initials"',
          "same year of birth and name initials, held by few profiles"),
    _rule('l."selective_year_month_surname" = r."selective_year_month_surname"',
          "same year and month of birth and surname initial, held by few profiles"),
    # a record without a date of birth: a rare name (carried by at most three dates of birth,
    # records.RARE_NAME_MAX_PEOPLE) is evidence worth scoring, a common one could never reach the
    # threshold alone (one rule per side, so the filter applies before the join)
    _rule(
        'l."rare_name_key" = r."rare_name_key" AND l."date_of_birth" IS NULL',
        "same rare name, no date of birth (left)",
    ),
    _rule(
        'l."rare_name_key" = r."rare_name_key" AND r."date_of_birth" IS NULL',
        "same rare name, no date of birth (right)",
    ),
    _rule(
        'l."rare_phonetic_key" = r."rare_phonetic_key" AND l."date_of_birth" IS NULL',
        "same rare phonetic name (a rare name mistyped), no date of birth (left)",
    ),
    _rule(
        'l."rare_phonetic_key" = r."rare_phonetic_key" AND r."date_of_birth" IS NULL',
        "same rare phonetic name (a rare name mistyped), no date of birth (right)",
    ),
]

def prediction_blocking_rules() -> list[dict[str, str]]:
    """The current blocking rules as Splink settings entries."""
    return [{"blocking_rule": sql, "sql_dialect": "duckdb"} for _, sql in BLOCKING_RULES]


# EM estimates the m probabilities of every comparison not used in its blocking rule: two sessions
# cover every comparison.
EM_TRAINING_RULES = [
    'l."date_of_birth" = r."date_of_birth"',
    'l."forename_std" = r."forename_std" AND l."surname_std" = r."surname_std"',
]

# Rules for the prior (probability that two random records match): pairs these rules admit are
# almost all true matches; DETERMINISTIC_RULES_RECALL is the share of true matches they are assumed
# to find (checked against the generator's ground truth in docs/linkage.md).
DETERMINISTIC_RULES = [
    'l."forename_std" = r."forename_std" AND l."surname_std" = r."surname_std" '
    'AND l."date_of_birth" = r."date_of_birth"',
    'l."pnc_id" = r."pnc_id"',
    'l."nhs_number" = r."nhs_number"',
]
DETERMINISTIC_RULES_RECALL = 0.65


def untrained_settings() -> dict[str, Any]:
    """The Splink settings dictionary before training (a fresh copy)."""
    settings = {
        "link_type": "dedupe_only",
        "unique_id_column_name": UNIQUE_ID,
        "probability_two_random_records_match": 1e-5,
        "em_convergence": 0.0001,
        "max_iterations": 25,
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": False,
        "comparisons": COMPARISONS,
        "blocking_rules_to_generate_predictions": prediction_blocking_rules(),
    }
    return json.loads(json.dumps(settings))


def settings_hash(settings: dict[str, Any] | None = None) -> str:
    """Hash of what the model *is* (comparisons and levels), not of trained values.

    The blocking rules for prediction are not part of it: nothing is estimated from them (training
    blocks on `EM_TRAINING_RULES`), so a run always uses the current `BLOCKING_RULES`
    (`prediction_blocking_rules`) and a change of blocking needs no retraining."""
    settings = settings if settings is not None else untrained_settings()
    keep_level_keys = {"sql_condition", "label_for_charts", "is_null_level", "tf_adjustment_column",
                       "tf_adjustment_weight", "tf_minimum_u_value"}
    shape = {
        "link_type": settings["link_type"],
        "unique_id_column_name": settings.get("unique_id_column_name"),
        "comparisons": [
            {
                "output_column_name": c["output_column_name"],
                "levels": [
                    {k: v for k, v in level.items() if k in keep_level_keys}
                    for level in c["comparison_levels"]
                ],
            }
            for c in settings["comparisons"]
        ],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class LevelRef:
    """The comparison vector value (gamma) of a level of a comparison, found by its label."""

    comparison: str
    label: str
    gamma: int


def level_gammas(settings: dict[str, Any]) -> dict[str, dict[str, int]]:
    """For each comparison, label -> Splink comparison vector value (null -1, else 0, top n-1)."""
    result: dict[str, dict[str, int]] = {}
    for comparison in settings["comparisons"]:
        levels = comparison["comparison_levels"]
        non_null = [lv for lv in levels if not lv.get("is_null_level")]
        gammas: dict[str, int] = {}
        for level in levels:
            if level.get("is_null_level"):
                gammas[level["label_for_charts"]] = -1
        for position, level in enumerate(non_null):
            gammas[level["label_for_charts"]] = len(non_null) - 1 - position
        result[comparison["output_column_name"]] = gammas
    return result
