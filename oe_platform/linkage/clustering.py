"""From scored pairs to clusters of profiles, with guards against over-merging.

1. Edges. A scored pair becomes an edge when its match probability reaches the threshold and no
   edge guard vetoes it (see `EdgeGuards`). Two kinds of edge need no score: profiles of the same
   source record key (the source says they are one person), and profiles sharing a trusted
   identifier (valid PNC ID or NHS number) while no other identifier disagrees.
2. Components. Connected components of the edge graph.
3. Cluster guard. A component holding two different valid PNC IDs, NHS numbers or CRO numbers, or
   two valid dates of birth more than `max_dob_spread_years` apart that no keying error explains, is
   re-clustered under cannot-link constraints: its edges are replayed strongest first (source key,
   then trusted identifier, then by probability) and an edge is skipped when the merge it would make
   breaks a constraint. Every such component is written to the review output with what was done.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from oe_platform.linkage.spec import (
    ADDRESS_ALIKE,
    ADDRESS_SIMILAR,
    ALIAS_OF_OTHER,
    CONFLICT_IDENTIFIERS,
    DOB_TWO_ERRORS,
    ELSE,
    EXACT,
    NAME_IN_OTHER_FIELD,
    NULL,
    SAME_ADDRESS,
    SAME_NAME_SET,
    SAME_POSTCODE,
    SAME_POSTCODE_OTHER_ADDRESS,
    SWAPPED,
    SWAPPED_FORENAME,
    SWAPPED_FORENAME_MISTYPED,
    SWAPPED_MISTYPED,
    TRUSTED_IDENTIFIERS,
)

DEFAULT_THRESHOLD = 0.95

NAMES_ONLY_THRESHOLD = 0.995
"""A pair with a date of birth missing on a side and nothing but names in common (no address,
postcode, phone, identifier or other name) rests on how rare the name is, which the data of one run
cannot tell well: such a pair needs this probability, however low the threshold of other pairs."""

DOB_TWO_ERRORS_MAX_YEARS = 10
"""Dates of birth two keying errors apart are one person's only when less than this many years apart
(1996 / 1961 is two keying errors too, and a parent's date of birth): the dob_conflict edge guard and
the cluster guard."""

RELATIVE_MIN_DAYS_APART = 3652
"""An evident relative (`household_relatives_per_1000`) was born more than ten years (in days) from the
other: a parent and child, or siblings far apart; a keying error of the year rarely makes that with an
unalike forename too."""

RELATIVE_FORENAME_SIMILARITY_MAX = 0.84
"""An evident relative's forename is unalike the other's: Jaro-Winkler below this (the similarity at
which the guards read two forenames as swapped or alike) and not one formal name."""

REGISTER_THRESHOLD = 0.8
"""The threshold of a run whose records hold no households (`household_relatives_per_1000` below
`HOUSEHOLD_RELATIVES_MIN`: a register of independent people, a file of duplicates), where it is lower
than the threshold. 0.95 was set against the false links of populations of households (relatives
sharing a surname, an address and a phone, whose weights add up); without them precision stayed 1.000
down to 0.8 on both keyed profiles and every seed (docs/linkage.md, "Fifth pass"), and with the register's
guards of the seventh pass it stayed at 0.9986 to 1.000 from 0.9 down to 0.8 on both keyed profiles, three
seeds each, while recall rose 0.1 to 0.7 points ("Seventh pass"). Session 13 set 0.9, the standard
Splink configuration's threshold."""

HOUSEHOLD_RELATIVES_MIN = 10.0
"""Evident relatives per 1,000 profiles (`household_relatives_per_1000`) at and above which the records
come from a population of households, and the household_relative edge guard holds in full. Below it
(a register of independent people, a file of duplicates) the guard vetoes only a pair whose sexes
differ. Measured (docs/linkage.md): 117 to 206 in the generator's profiles, 0 to 2 in the keyed ones."""

KIND_SOURCE_KEY = "source_record_key"
KIND_IDENTIFIER = "trusted_identifier"
KIND_SCORE = "match_probability"
_KIND_RANK = {KIND_SOURCE_KEY: 0, KIND_IDENTIFIER: 1, KIND_SCORE: 2}


@dataclass(frozen=True)
class ClusteringConfig:
    """How scored pairs become clusters. Documented in docs/linkage.md."""

    threshold: float = DEFAULT_THRESHOLD
    """Match probability at or above which a scored pair is an edge (before the edge guards)."""
    names_only_threshold: float = NAMES_ONLY_THRESHOLD
    """The threshold of a pair whose evidence is names alone (`names_only_sql`): the higher of this and
    `threshold` applies."""
    max_dob_spread_years: float = 1.0
    """Two valid dates of birth further apart than this in one cluster, and not one keying error
    apart, are a conflict: a match-probability edge that would join them is not used (an edge of
    the source record key or a trusted identifier is kept, and the cluster is flagged for review)."""
    estimate_prior: bool = True
    """Estimate the run's prior from its own pairs (oe_platform.linkage.prior) instead of using the
    trained prior rescaled to the number of profiles."""
    trust_source_record_key: bool = True
    """Profiles with the same source, force/partner and record_ref are the same person."""
    strict_missing_dob: bool = False
    """With a date of birth missing, only a personal identifier (phone, PNC, CRO, NHS, or postcode
    with middle names) corroborates a name match; the postcode alone (a household) does not."""
    household_relatives_min: float = HOUSEHOLD_RELATIVES_MIN
    """Evident relatives per 1,000 profiles from which the household_relative guard holds in full."""
    dob_two_errors_any_years: bool = False
    """Dates of birth at most two keying errors apart (`dob_keying_errors`: a digit of the decade and
    one of the month, 1962-01-08 / 1992-07-08) are one person's however many years apart. So in a
    register of independent people whose own dates of birth show keying errors (`for_population`,
    `dob_keying_error_share`); elsewhere only when less than `DOB_TWO_ERRORS_MAX_YEARS` apart or with
    the same day and month (a father and son with one name and address, born 1966-02-14 and
    1996-02-19, are two keying errors apart)."""
    forenames_replaced: bool = False
    """A forename unrelated to the other's is no conflict when the date of birth and an address, phone or
    identifier agree (the score weighs the names): so in a register whose forenames are replaced wholesale
    (`for_population`, `replaced_value_shares`), where such a pair is far likelier a replaced value than a
    twin."""
    dobs_replaced: bool = False
    """A date of birth unrelated to the other's is no conflict, in the edge guard when the names and an
    address, phone or identifier agree, and in the cluster guard: so in a register whose dates of birth are
    replaced wholesale (`for_population`, `replaced_value_shares`)."""
    adapt_parameters: bool = True
    """Adapt the committed model's m and u to the run's own records, guarded (oe_platform.linkage.adapt);
    an incremental run keeps those of the last full relink (incremental.stored_parameters)."""
    register_threshold: float | None = REGISTER_THRESHOLD
    """The threshold where the records hold no households, when lower than `threshold` (None: `threshold`
    everywhere, as when a threshold is given on the command line)."""
    trusted_identifiers: tuple[str, ...] = TRUSTED_IDENTIFIERS
    conflict_identifiers: tuple[str, ...] = CONFLICT_IDENTIFIERS

    def for_population(self, households: bool, dob_keyed_with_errors: bool = False,
                       forenames_replaced: bool = False, dobs_replaced: bool = False) -> ClusteringConfig:
        """The configuration a run applies given what its records are. Among households, this one.
        Without them (a register: no siblings or parents to keep apart) the register threshold, and
        dates of birth less than a decade apart in one cluster are one person's keyed differently, as
        the dob_conflict edge guard lets them through (decades apart still split); where the register's
        dates of birth are also keyed with errors (`dob_keying_error_share`), dates two keying errors
        apart are one person's however many years apart; where its forenames or dates of birth are
        replaced wholesale (`replaced_value_shares`), an unrelated forename or date of birth is no conflict
        when the rest agrees."""
        if households:
            return self
        threshold = self.threshold if self.register_threshold is None else min(self.threshold, self.register_threshold)
        dobs_replaced = self.dobs_replaced or dobs_replaced
        spread = math.inf if dobs_replaced else max(self.max_dob_spread_years, DOB_TWO_ERRORS_MAX_YEARS)
        return replace(self, threshold=threshold, max_dob_spread_years=spread,
                       dob_two_errors_any_years=self.dob_two_errors_any_years or dob_keyed_with_errors,
                       forenames_replaced=self.forenames_replaced or forenames_replaced,
                       dobs_replaced=dobs_replaced)


@dataclass
class ClusterResult:
    """profile_id -> cluster label, the edges used, and what the guards did."""

    labels: pd.DataFrame  # profile_id, cluster_id (smallest profile_id of the cluster)
    edges: pd.DataFrame  # profile_id_l, profile_id_r, probability, kind, used
    review: list[dict] = field(default_factory=list)


# --- edge guards ------------------------------------------------------------------------------------

OCR_CONFUSIONS = (("RN", "M"), ("LI", "H"), ("VV", "W"), ("CL", "D"), ("II", "U"))
"""Letter groups a form scanner or a reader takes for one letter (FEBRL's OCR errors): read alike by the
edge guards' forename keying errors."""


def _ocr_fold(column: str) -> str:
    expression = column
    for seen, meant in OCR_CONFUSIONS:
        expression = f"replace({expression}, '{seen}', '{meant}')"
    return expression


# Evidence of a pair the comparison levels do not hold, read by the edge guards (columns added to
# the pair from its two profiles l and r): how many keying errors separate the dates of birth and
# the forenames, whether the names are swapped with a typo.
PAIR_EVIDENCE = {
    "dob_edits": "case when l.dob_text = r.dob_text then 0 else damerau_levenshtein(l.dob_text, r.dob_text) end",
    "dob_years_apart": "abs(l.dob_year - r.dob_year)",
    # keying errors counting the day and month keyed the other way round as one (1995-05-04 /
    # 1955-04-05 is two: the transposition and a digit of the year)
    "dob_errors": (
        "case when l.dob_text = r.dob_text then 0 "
        "when l.dob_transposed is null then damerau_levenshtein(l.dob_text, r.dob_text) "
        "else least(damerau_levenshtein(l.dob_text, r.dob_text), "
        "1 + damerau_levenshtein(strftime(l.dob_transposed, '%Y-%m-%d'), r.dob_text)) end"
    ),
    # keying errors, or fewer once letters a scanner or a hand misreads are read alike (AMBER / UARNBER,
    # HATTIE / LIATTIE, GRAHAM / GRALIUM)
    "forename_edits": (
        f"case when l.forename_std = r.forename_std then 0 "
        f"when {_ocr_fold('l.forename_std')} = l.forename_std and {_ocr_fold('r.forename_std')} = r.forename_std "
        f"then damerau_levenshtein(l.forename_std, r.forename_std) "
        f"else least(damerau_levenshtein(l.forename_std, r.forename_std), "
        f"damerau_levenshtein({_ocr_fold('l.forename_std')}, {_ocr_fold('r.forename_std')})) end"
    ),
    "forename_min_length": "least(length(l.forename_std), length(r.forename_std))",
    # the shorter first middle name's length: two middle initials that agree (L / L, A J / A J, or L ANN /
    # L BETH through the first) are weak evidence next to two middle names that agree (LUCY / LUCY)
    "middle_first_name_min_length": (
        "least(length(split_part(l.middle_names_std, ' ', 1)), length(split_part(r.middle_names_std, ' ', 1)))"
    ),
    # one forename's letters in order within the other: a name keyed short (RAH / SARAH, DN / DANIEL),
    # which is when deleting letters alone makes one the other (the keying errors equal the difference in
    # length)
    "forename_within": (
        "case when least(length(l.forename_std), length(r.forename_std)) >= 2 "
        "and length(l.forename_std) != length(r.forename_std) then "
        "damerau_levenshtein(l.forename_std, r.forename_std) = abs(length(l.forename_std) - length(r.forename_std)) "
        "else false end"
    ),
    "surname_edits": (
        "case when l.surname_std = r.surname_std then 0 else damerau_levenshtein(l.surname_std, r.surname_std) end"
    ),
    # a name keyed in the other field with the other left empty (COOK / ANNA COOK)
    "name_in_other_field": (
        "case when l.surname_std is null then damerau_levenshtein(l.forename_std, r.surname_std) <= 1 "
        "when r.surname_std is null then damerau_levenshtein(r.forename_std, l.surname_std) <= 1 else false end"
    ),
    # the address nearly agrees where the levels see another address: the postcodes one keying error
    # apart (PE3 4TF / PE9 4TF, C4B 4YG / CB4 4YG), or the same house number in the same town with the
    # street mistyped beyond two errors (55 WONG CRESCNT TILBURY / 55 WONG CRES TILBURY)
    "address_near": (
        "case when l.address_number = r.address_number and l.address_town = r.address_town then true "
        "when l.postcode_std is null or r.postcode_std is null then null "
        "else damerau_levenshtein(l.postcode_std, r.postcode_std) <= 1 end"
    ),
    "forename_initial_agrees": "l.forename_initial = r.forename_initial",
    "names_swapped_fuzzy": (
        "jaro_winkler_similarity(l.forename_std, r.surname_std) >= 0.84 "
        "and jaro_winkler_similarity(l.surname_std, r.forename_std) >= 0.84"
    ),
    # forename and surname swapped with keying errors Jaro-Winkler reads badly (a first letter:
    # JMDE / FADE, LIUNT / HUNT): each crossed pair at most two keying errors apart, three in all, and
    # two only between names of four letters or more
    "names_swapped_edits": (
        "damerau_levenshtein(l.forename_std, r.surname_std) "
        "+ damerau_levenshtein(l.surname_std, r.forename_std) <= 3 "
        "and (damerau_levenshtein(l.forename_std, r.surname_std) <= 1 "
        "or (damerau_levenshtein(l.forename_std, r.surname_std) = 2 "
        "and least(length(l.forename_std), length(r.surname_std)) >= 4)) "
        "and (damerau_levenshtein(l.surname_std, r.forename_std) <= 1 "
        "or (damerau_levenshtein(l.surname_std, r.forename_std) = 2 "
        "and least(length(l.surname_std), length(r.forename_std)) >= 4))"
    ),
}


def pair_evidence_select(left: str = "l", right: str = "r") -> str:
    """The PAIR_EVIDENCE columns for profiles aliased `left` and `right`."""
    return ", ".join(
        f"({sql.replace('l.', left + '.').replace('r.', right + '.')}) as {name}"
        for name, sql in PAIR_EVIDENCE.items()
    )


def has_pair_evidence(con: duckdb.DuckDBPyConnection, table: str = "lk_pairs") -> bool:
    """Whether `table` already carries every PAIR_EVIDENCE column."""
    columns = {row[0] for row in con.execute(f"describe {table}").fetchall()}
    return set(PAIR_EVIDENCE) <= columns


def add_pair_evidence(con: duckdb.DuckDBPyConnection, table: str = "lk_pairs") -> None:
    """Add the PAIR_EVIDENCE columns to the pairs in `table` from their two profiles in lk_profiles.

    The evidence is a function of the two profiles alone, and the Damerau-Levenshtein distances in it
    were most of what clustering cost (10 of 16 s at tier M): an incremental run computes it for the
    new pairs only and takes the rest from the linkage state (incremental.reuse_pairs), as it does
    their scores."""
    con.execute(f"""
        create or replace temp table {table} as
        select p.*, {pair_evidence_select()}
        from {table} p
        join lk_profiles l on l.profile_id = p.profile_id_l
        join lk_profiles r on r.profile_id = p.profile_id_r
    """)


_PROFILES_FOR_RELATIVES = """
    select profile_id, surname_std, forename_std, forename_formal, date_of_birth, address_std
    from lk_profiles
    where address_std is not null and surname_std is not null and forename_std is not null
      and date_of_birth is not null
"""
"""The profiles an evident relative is looked for among: name, date of birth and address all present."""

_EVIDENT_RELATIVES = f"""
    p a join p b
      on a.address_std = b.address_std and a.surname_std = b.surname_std and a.profile_id < b.profile_id
    where abs(date_diff('day', a.date_of_birth, b.date_of_birth)) > {RELATIVE_MIN_DAYS_APART}
      and jaro_winkler_similarity(a.forename_std, b.forename_std) < {RELATIVE_FORENAME_SIMILARITY_MAX}
      and coalesce(a.forename_formal, a.forename_std) != coalesce(b.forename_formal, b.forename_std)
"""
"""The pairs of evident relatives among the profiles `p` (`household_relatives_per_1000`)."""


def household_relatives_per_1000(con: duckdb.DuckDBPyConnection) -> float:
    """Evident relatives in lk_profiles per 1,000 profiles: pairs of profiles with the same address line
    and surname whose dates of birth are more than ten years apart and whose forenames are unalike
    (Jaro-Winkler under 0.84, not one formal name): a parent and child, or siblings, at one address.
    A population of households has many (a force's records: families); a register of independent
    people or a file of duplicates has almost none (only what keying errors make look like one)."""
    relatives, profiles = con.execute(f"""
        with p as ({_PROFILES_FOR_RELATIVES})
        select (select count(*) from {_EVIDENT_RELATIVES}), (select count(*) from lk_profiles)
    """).fetchall()[0]
    return 1000.0 * relatives / profiles if profiles else 0.0


SOURCE_MIN_PROFILES = 1000
"""Profiles a source (a source system of one force, or a partner) must hold for its own households to
be measured (`register_sources`): fewer say too little (one pair of relatives in 100 profiles is 10
per 1,000, the bound itself)."""

SOURCE_OF_RECORD = "source_name || '/' || force_code"
"""A person record's source as `register_sources` names it: a source system of one force, or a partner."""

REGISTER_PROFILES = "lk_register_profiles"
"""The profiles of the register-like sources of a run that holds households (`register_sources`)."""


def register_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The sources (`source_name/force_code`) of lk_records whose own profiles hold no households: at
    least SOURCE_MIN_PROFILES profiles, and fewer than HOUSEHOLD_RELATIVES_MIN evident relatives
    (`household_relatives_per_1000`'s definition) per 1,000 of them among themselves. A partner's register
    delivered into a run of force records (which hold families) is one: measured over the whole run it
    would take the household rules, which keep its replaced forenames and mistyped dates apart."""
    rows = con.execute(f"""
        with source_of as (
            select profile_id, any_value({SOURCE_OF_RECORD}) as source
            from lk_records group by profile_id
        ),
        p as (select r.*, s.source from ({_PROFILES_FOR_RELATIVES}) r join source_of s using (profile_id)),
        relatives as (
            select a.source, count(*) as relatives from {_EVIDENT_RELATIVES} and a.source = b.source
            group by a.source
        )
        select s.source, count(*) as profiles, coalesce(any_value(r.relatives), 0) as relatives
        from source_of s left join relatives r using (source)
        group by s.source
    """).fetchall()
    return sorted(source for source, profiles, relatives in rows
                  if source is not None and profiles >= SOURCE_MIN_PROFILES
                  and 1000.0 * relatives / profiles < HOUSEHOLD_RELATIVES_MIN)


def mark_register_profiles(con: duckdb.DuckDBPyConnection, sources: list[str]) -> None:
    """REGISTER_PROFILES: the profile ids of lk_records from `sources`."""
    con.execute(f"""
        create or replace temp table {REGISTER_PROFILES} as
        select distinct profile_id from lk_records
        where {SOURCE_OF_RECORD} in (select unnest(?::varchar[]))
    """, [sources])


def register_pairs_sql(table: str = "lk_pairs") -> str:
    """A condition over `table`: both profiles of the pair are in REGISTER_PROFILES."""
    return (f"{table}.profile_id_l in (select profile_id from {REGISTER_PROFILES}) "
            f"and {table}.profile_id_r in (select profile_id from {REGISTER_PROFILES})")


DOB_KEYED_WITH_ERRORS_MIN_SHARE = 0.05
"""`dob_keying_error_share` at and above which a run's dates of birth are keyed with errors."""

DOB_KEYED_WITH_ERRORS_MIN_PAIRS = 20
"""Pairs the share must be measured on: fewer say nothing about the records' keying."""


def dob_keying_error_share(con: duckdb.DuckDBPyConnection, gammas: dict[str, dict[str, int]],
                           among: str = "true") -> tuple[float, int]:
    """How often the run's dates of birth carry a keying error, measured on its scored pairs (lk_pairs)
    whose forename, surname and address line agree: the share of them whose dates of birth are one
    keying error apart or transposed, among those that agree or are so apart; and how many such pairs
    there were. A force's records or a clean register: 1 to 3% (the generator's default and heavy
    profiles, seed 7); a register keyed by hand: 11% (census-keyed) to 41% (febrl). Where the share is
    high, a date of birth two keying errors from another is what the records' keying makes, not a
    relative (ClusteringConfig.dob_two_errors_any_years)."""
    fore, sur, dob, address = gammas["forename"], gammas["surname"], gammas["date_of_birth"], gammas["address"]
    mistyped = f"{dob['one keying error']}, {dob['day and month transposed']}"
    share, pairs = con.execute(f"""
        select
            count(*) filter (where gamma_date_of_birth in ({mistyped})) / greatest(count(*), 1),
            count(*)
        from lk_pairs
        where gamma_forename = {fore[EXACT]} and gamma_surname = {sur[EXACT]}
          and gamma_address in ({address[SAME_ADDRESS]}, {address[ADDRESS_ALIKE]})
          and gamma_date_of_birth in ({dob[EXACT]}, {mistyped}) and ({among})
    """).fetchall()[0]
    return float(share), int(pairs)


def dob_keyed_with_errors(share: float, pairs: int) -> bool:
    return pairs >= DOB_KEYED_WITH_ERRORS_MIN_PAIRS and share >= DOB_KEYED_WITH_ERRORS_MIN_SHARE


VALUE_REPLACED_MIN_SHARE = 0.02
"""`replaced_value_shares` at and above which a register's forenames (or dates of birth) are replaced
wholesale: another value keyed in place of the person's, as a form filled in from the wrong line or a
data-entry tool's substitution makes. Measured (docs/linkage.md, "Eighth pass"): 0.08 to 0.39% of
forenames and 0.38 to 0.82% of dates of birth in the generator's populations of households (twins,
fathers and sons named alike); 0.2 to 0.5% in the census-like register; 4.3 to 16% in the FEBRL-style
registers."""

VALUE_REPLACED_MIN_PAIRS = 20
"""Pairs a replaced-value share must be measured on: fewer say nothing about the records' keying."""


def replaced_value_shares(con: duckdb.DuckDBPyConnection, gammas: dict[str, dict[str, int]],
                          among: str = "true") -> dict[str, float | int]:
    """How often the run's forenames and dates of birth are replaced by unrelated values, measured on its
    scored pairs (lk_pairs) whose other details agree: of the pairs with the same surname, date of birth
    and address line (or a line alike) and both forenames given, the share whose forenames are unrelated
    (the forename comparison's `else`); of the pairs with the same forename, surname and address line and
    both dates of birth given, the share whose dates are unrelated. In a population of households such a
    pair is a twin, or a father and son named alike: a fraction of a percent. In a register whose values
    are replaced wholesale it is several percent (ClusteringConfig.forenames_replaced, dobs_replaced)."""
    fore, sur, dob, address = gammas["forename"], gammas["surname"], gammas["date_of_birth"], gammas["address"]
    same_address = f"gamma_address in ({address[SAME_ADDRESS]}, {address[ADDRESS_ALIKE]})"
    row = con.execute(f"""
        select
            count(*) filter (where gamma_forename = {fore[ELSE]} and gamma_date_of_birth = {dob[EXACT]}
                             and gamma_forename != {fore[NULL]}),
            count(*) filter (where gamma_date_of_birth = {dob[EXACT]} and gamma_forename != {fore[NULL]}),
            count(*) filter (where gamma_date_of_birth = {dob[ELSE]} and gamma_forename = {fore[EXACT]}),
            count(*) filter (where gamma_forename = {fore[EXACT]} and gamma_date_of_birth != {dob[NULL]})
        from lk_pairs
        where gamma_surname = {sur[EXACT]} and {same_address} and ({among})
    """).fetchall()[0]
    fore_else, fore_pairs, dob_else, dob_pairs = (int(v or 0) for v in row)
    return {"forename_replaced_share": round(fore_else / fore_pairs, 4) if fore_pairs else 0.0,
            "forename_replaced_pairs": fore_pairs,
            "dob_replaced_share": round(dob_else / dob_pairs, 4) if dob_pairs else 0.0,
            "dob_replaced_pairs": dob_pairs}


def values_replaced(share: float, pairs: int) -> bool:
    return pairs >= VALUE_REPLACED_MIN_PAIRS and share >= VALUE_REPLACED_MIN_SHARE


SHARED_ADDRESS = (SAME_ADDRESS, ADDRESS_ALIKE, ADDRESS_SIMILAR, SAME_POSTCODE_OTHER_ADDRESS, SAME_POSTCODE)
"""The address levels that count as an address in common for the guards: one line (the same, alike or
similar) or one postcode."""


def _levels(levels: dict[str, int], labels: tuple[str, ...]) -> str:
    """The gamma values of `labels` in one comparison, for an SQL `in (...)`."""
    return ", ".join(str(levels[label]) for label in labels)


def edge_guard_sql(
    gammas: dict[str, dict[str, int]], strict_missing_dob: bool = False, households: bool = True,
    dob_any_years: bool = False, forenames_replaced: bool = False, dobs_replaced: bool = False,
) -> dict[str, str]:
    """SQL conditions over lk_pairs that veto a pair even above the threshold (name -> condition).

    - identifier_conflict: a PNC ID, CRO or NHS number present on both and different.
    - forename_conflict: both given names present and unrelated (not equal, swapped, nickname,
      typo, middle name, phonetic or initial), unless the middle names (as names, not initials only)
      and the date of birth agree (a badly mistyped forename) or one record lists the other's full
      name among its other names
      (an alias on file), or the forenames are at most two keying errors apart (the first letter
      may be one of them when both have four letters or more) with the date of birth agreeing (or
      one keying error apart), the sexes and middle names not disagreeing, or the names are swapped
      with keying errors (names_swapped_fuzzy, names_swapped_edits). A twin or a sibling shares
      surname, address, phone and sometimes date of birth;
      the given name tells them apart. Without `households` (no siblings to tell apart) forenames at
      most two keying errors apart whatever their letters (`forename_edits`, which also reads the
      letters a scanner confuses alike), one keyed short within the other (`forename_within`) or a
      name keyed in the other field (`name_in_other_field`) are no conflict either, with the date of
      birth agreeing or one keying error apart, the surname agreeing or two keying errors apart and
      the address (or nearly), phone or an identifier shared; and with `forenames_replaced` (a
      register whose forenames are replaced wholesale) any forename, whatever the surname (the score
      weighs it), with the same date of birth (or day and month transposed), the sexes not differing and
      the address (or nearly), phone or an identifier shared: there a twin is far rarer than a replaced
      forename. Among households one name keyed in the other field with the other replaced (the forename
      comparison's NAME_IN_OTHER_FIELD) is unrelated forenames too; in a register it is left to the score.
    - dob_conflict: both dates of birth present and not the same, transposed or one keying error
      apart (a parent and child, or siblings, with the same name at one address), unless they are
      two keying errors apart, less than ten years apart or with the same full middle names or the
      same day and month, and the names agree and an address (the same line, a line alike or the
      same postcode), phone or identifier is shared. Without `households` any number of keying
      errors is accepted from dates less than ten years apart when the names agree as keyed (not
      merely one name set: JOHN and JACK are also brothers) and an address, phone or identifier is
      shared; decades apart still vetoes, unless `dob_any_years` (a register whose dates of birth are
      keyed with errors, `dob_keying_error_share`) and the dates are at most two keying errors apart
      (`dob_errors`) with the names agreeing or two keying errors apart (the forename also one formal
      name). Without `households` and with `dobs_replaced` (a register whose dates of birth are replaced
      wholesale) dates of birth any distance apart are no conflict when the forenames agree as keyed
      (or one formal name), the surnames agree or are two keying errors apart, the sexes do not differ
      and an address, phone or identifier is shared.
    - middle_name_conflict: both middle names present and unrelated while the dates of birth do
      not agree exactly (or transposed): a namesake in the same household.
    - thin_evidence: the dates of birth are one keying error apart and nothing else that identifies
      the person agrees (address line, a line alike, postcode, phone or identifier): same name and a
      nearby date of birth is what an innocent look-alike has. Without `households` an address that
      nearly agrees is enough (the same sector or outward code, postcodes one keying error apart, or
      the same house number and town: `address_near`).
    - household_relative: a date of birth is missing, the address or phone agrees, no identifier
      does, and either the forenames are only alike (Soundex, initial, middle name or Jaro-Winkler
      below 0.92; not equal, swapped, the same formal name or one typo apart) or the sexes differ:
      Geoffrey and Jeffrey, or Laura and Laureano, at one address are relatives. With
      strict_missing_dob even equal forenames need the middle names to agree (a father and son
      with one name). Without `households` (records with next to no relatives at one address,
      `household_relatives_per_1000`) only differing sexes veto: J DUNN and JASMINE DUNN at one
      address are then one person with an initial, as the score says.
    A missing date of birth with no address or phone in common is left to the score: a rare full
    name is strong evidence, a common one is not.
    """
    fore, dob, middle = gammas["forename"], gammas["date_of_birth"], gammas["middle_names"]
    identifiers = " or ".join(f"gamma_{c} = {gammas[c][EXACT]}" for c in CONFLICT_IDENTIFIERS)
    address = gammas["address"]
    household = f"gamma_address in ({_levels(address, SHARED_ADDRESS)}) or gamma_phone = {gammas['phone'][EXACT]}"
    same_forename = ", ".join(str(fore[label]) for label in
                              (EXACT, SWAPPED, SWAPPED_MISTYPED, SAME_NAME_SET, "jaro-winkler >= 0.92"))
    middle_agrees = f"gamma_middle_names in ({middle[EXACT]}, {middle['same first middle name']})"
    namesake_check = f"not ({middle_agrees})" if strict_missing_dob else f"gamma_forename not in ({same_forename})"
    # middle names that agree as names, not as initials only: twins share a date of birth and an address,
    # and often a middle initial (GAIL L / MALIA L MORGAN), seldom a middle name
    middle_names_agree = f"({middle_agrees} and coalesce(middle_first_name_min_length >= 2, false))"
    strong_dob = f"{dob[EXACT]}, {dob['day and month transposed']}"
    alias_listed = f"gamma_aliases = {gammas['aliases'][ALIAS_OF_OTHER]}"
    sur = gammas["surname"]
    surname_agrees = "gamma_surname in ({})".format(", ".join(str(sur[label]) for label in (
        EXACT, SWAPPED_FORENAME, SWAPPED_FORENAME_MISTYPED, "same without spaces", "jaro-winkler >= 0.92",
        "a word in common")))
    middle_differs = f"gamma_middle_names = {middle[ELSE]}"
    # a forename mistyped twice (DAVID / DAAVI, GARETH / GAETH, SARAH / QARHA, MARK / RNARK): at most
    # two keying errors, the first letter too when both names have four letters or more (ANN / EVE
    # are two names, not two errors), the date of birth agreeing or one keying error away, and
    # nothing else disagreeing
    forename_two_edits = ("coalesce(forename_edits <= 2 "
                          "and (forename_initial_agrees or forename_min_length >= 4), false)")
    forename_mistyped = (
        f"({forename_two_edits} "
        f"and gamma_date_of_birth in ({strong_dob}, {dob['one keying error']}) "
        f"and gamma_sex != {gammas['sex'][ELSE]} and not {middle_differs})"
    )
    # forename and surname swapped, one of them also mistyped
    swapped_mistyped = "coalesce(names_swapped_fuzzy or names_swapped_edits, false)"
    # a date of birth with two keying errors (1985-03-14 / 1985-08-41 is no date, 1985-08-24 is),
    # less than a decade apart, names agreeing and an address, phone or identifier in common
    # (decades apart only when the full middle names agree too, or the day and month: 1996 / 1961 is
    # two keying errors, but a father and son rarely share forename, middle names and an address, or a
    # birthday)
    dob_two_errors = (
        f"(coalesce(dob_edits = 2 and (dob_years_apart < {DOB_TWO_ERRORS_MAX_YEARS} "
        f"or gamma_middle_names = {middle[EXACT]} or gamma_date_of_birth = {dob[DOB_TWO_ERRORS]}), false) "
        f"and gamma_forename in ({same_forename}) and {surname_agrees} and ({household} or {identifiers}))"
    )
    # without households (a register of independent people, a file of duplicates: no siblings to tell
    # apart) names that agree and a shared address, phone or identifier are one person however many
    # keying errors separate dates of birth less than a decade apart (1988-12-05 / 1987-05-12: day and
    # month swapped and a digit); decades apart is a parent and child in any population. The forenames
    # must agree as keyed, not merely as one name set (JOHN and JACK are also two brothers)
    keyed_alike = ", ".join(str(fore[label]) for label in (EXACT, SWAPPED, SWAPPED_MISTYPED, "jaro-winkler >= 0.92"))
    forename_agrees = f"(gamma_forename in ({keyed_alike}) or {swapped_mistyped} or {forename_two_edits})"
    # Dates at most two keying errors apart (`dob_errors`) may be decades apart (a digit of the decade),
    # and then the names may carry keying errors too, or be one formal name (SUE / SUSAN): a relative
    # is born more than two keying errors away in almost every case
    surname_register = f"({surname_agrees} or {swapped_mistyped} or coalesce(surname_edits <= 2, false))"
    dob_mistyped_register = (
        f"((coalesce(dob_years_apart < {DOB_TWO_ERRORS_MAX_YEARS}, false) "
        f"and {forename_agrees} and ({surname_agrees} or {swapped_mistyped})) "
        + (f"or (coalesce(dob_errors <= 2, false) and ({forename_agrees} or gamma_forename = {fore[SAME_NAME_SET]}) "
           f"and {surname_register})" if dob_any_years else "")
        + ") "
        f"and gamma_sex != {gammas['sex'][ELSE]} and ({household} or {identifiers})")
    # without households a badly keyed forename: at most two keying errors whatever the letters (AAN /
    # IAN, BKMI / KIM) or keyed short (RAH / SARAH, DN / DANIEL), with the date of birth agreeing or
    # one keying error apart, the surname agreeing or at most two errors apart and the address (or
    # nearly: `address_near`), phone or an identifier in common. A twin's other forename (OLIVER /
    # HARRY) is neither, in any population.
    address_near = "coalesce(address_near, false)"
    forename_register = (
        f"(coalesce(forename_edits <= 2 or forename_within or name_in_other_field, false) "
        f"and gamma_date_of_birth in ({strong_dob}, {dob['one keying error']}) "
        f"and {surname_register} "
        f"and gamma_sex != {gammas['sex'][ELSE]} and ({household} or {identifiers} or {address_near}))"
    )
    if forenames_replaced:  # any names, the date of birth and an address agreeing (the score weighs the names)
        forename_register = (
            f"({forename_register} or (gamma_date_of_birth in ({strong_dob}) "
            f"and gamma_sex != {gammas['sex'][ELSE]} and ({household} or {identifiers} or {address_near})))"
        )
    if dobs_replaced:  # any date of birth, the names agreeing
        dob_mistyped_register = (
            f"(({dob_mistyped_register}) or (({forename_agrees} or gamma_forename = {fore[SAME_NAME_SET]}) "
            f"and {surname_register} and gamma_sex != {gammas['sex'][ELSE]} and ({household} or {identifiers})))"
        )
    # one name keyed in the other field and the other replaced is, among households, still two unrelated
    # forenames (the score counts the crossing; the guard keeps relatives apart); in a register it is not
    unrelated_forenames = f"{fore[ELSE]}, {fore[NAME_IN_OTHER_FIELD]}" if households else f"{fore[ELSE]}"
    # thin_evidence's address evidence in a register: the same sector or outward code, or address_near
    address_nearly_agrees = (f"gamma_address in ({address['same sector']}, {address['same outward code']}) "
                             f"or {address_near}")
    return {
        "identifier_conflict": " or ".join(f"gamma_{c} = {gammas[c][ELSE]}" for c in CONFLICT_IDENTIFIERS),
        "forename_conflict": (
            f"gamma_forename in ({unrelated_forenames}) "
            f"and not ({middle_names_agree} and gamma_date_of_birth in ({strong_dob})) "
            f"and not ({alias_listed}) and not {forename_mistyped} and not {swapped_mistyped}"
            + ("" if households else f" and not {forename_register}")
        ),
        "dob_conflict": (
            f"gamma_date_of_birth not in ({strong_dob}, {dob['one keying error']}, {dob[NULL]}) "
            f"and not {dob_two_errors}"
            + ("" if households else f" and not {dob_mistyped_register}")
        ),
        "middle_name_conflict": f"gamma_middle_names = {middle[ELSE]} and gamma_date_of_birth not in ({strong_dob})",
        "thin_evidence": (
            f"gamma_date_of_birth = {dob['one keying error']} and not ({household} or {identifiers})"
            + ("" if households else f" and not ({address_nearly_agrees})")
        ),
        "household_relative": (
            f"gamma_date_of_birth = {dob[NULL]} and ({household}) and not ({identifiers} or {alias_listed}) "
            + (f"and (gamma_forename not in ({same_forename}) or gamma_sex = {gammas['sex'][ELSE]} or {namesake_check})"
               if households else f"and gamma_sex = {gammas['sex'][ELSE]}")
        ),
    }


def names_only_sql(gammas: dict[str, dict[str, int]]) -> str:
    """SQL condition over lk_pairs: a date of birth missing on a side, and no address (line, line alike,
    postcode or sector), phone, identifier or other name in common: the names are all the evidence."""
    address = gammas["address"]
    shared = [f"gamma_address in ({_levels(address, (*SHARED_ADDRESS, 'same sector'))})",
              f"gamma_phone = {gammas['phone'][EXACT]}",
              f"gamma_aliases in ({gammas['aliases'][ALIAS_OF_OTHER]}, {gammas['aliases']['an other name in common']})",
              *(f"gamma_{c} = {gammas[c][EXACT]}" for c in CONFLICT_IDENTIFIERS)]
    return f"gamma_date_of_birth = {gammas['date_of_birth'][NULL]} and not ({' or '.join(shared)})"


def guards_of(gammas: dict[str, dict[str, int]], config: ClusteringConfig, households: bool) -> dict[str, str]:
    """edge_guard_sql for what `config` applies (its missing-date, keying and replacement rules)."""
    return edge_guard_sql(gammas, config.strict_missing_dob, households, config.dob_two_errors_any_years,
                          config.forenames_replaced, config.dobs_replaced)


def classify_pairs(con: duckdb.DuckDBPyConnection, gammas: dict[str, dict[str, int]], config: ClusteringConfig,
                   households: bool = True, register: ClusteringConfig | None = None) -> None:
    """Add edge_status to lk_pairs: accepted, below_threshold, or the first guard that vetoed it.
    `register`: among households, the configuration of the pairs whose two profiles come from register-like
    sources (REGISTER_PROFILES), which take the register's threshold and guards."""
    threshold = str(config.threshold)
    names_only = str(max(config.names_only_threshold, config.threshold))
    guards = guards_of(gammas, config, households)
    if register is not None:
        registers = guards_of(gammas, register, False)
        guards = {name: f"(lk_register_pair and ({registers[name]})) or (not lk_register_pair and ({sql}))"
                  for name, sql in guards.items()}
        threshold = f"(case when lk_register_pair then {register.threshold} else {threshold} end)"
        names_only = (f"(case when lk_register_pair then {max(register.names_only_threshold, register.threshold)} "
                      f"else {names_only} end)")
    cases = "\n".join(f"when {sql} then '{name}'" for name, sql in guards.items())
    if not has_pair_evidence(con):  # the pipeline adds it while scoring (and reuses it when incremental)
        add_pair_evidence(con)
    register_pair = (f"coalesce({register_pairs_sql('p')}, false)" if register is not None else "false")
    con.execute(f"""
        create or replace temp table lk_pairs as
        select
            * exclude ({", ".join(PAIR_EVIDENCE)}, lk_register_pair),
            case
                when match_probability < {threshold} then 'below_threshold'
                when match_probability < {names_only} and {names_only_sql(gammas)} then 'below_threshold'
                {cases}
                else 'accepted'
            end as edge_status
        from (select p.*, {register_pair} as lk_register_pair from lk_pairs p)
        order by profile_id_l, profile_id_r
    """)


def deterministic_edges_sql(config: ClusteringConfig) -> str | None:
    """Edges that need no score: same source record key (star to the group's smallest profile) and
    shared trusted identifiers (every pair sharing one, unless another identifier disagrees). A query
    of (profile_id_l, profile_id_r, probability, kind); None when the config trusts neither."""
    parts = []
    if config.trust_source_record_key:
        parts.append(f"""
            select profile_id_l, profile_id_r, 1.0 as probability, '{KIND_SOURCE_KEY}' as kind
            from (
                select min(profile_id) over (partition by source_key) as profile_id_l, profile_id as profile_id_r
                from lk_profiles
            )
            where profile_id_l != profile_id_r
        """)
    disagree = " or ".join(
        f"(a.{c} is not null and b.{c} is not null and a.{c} != b.{c})" for c in config.conflict_identifiers
    )
    for identifier in config.trusted_identifiers:
        parts.append(f"""
            select a.profile_id as profile_id_l, b.profile_id as profile_id_r,
                   1.0 as probability, '{KIND_IDENTIFIER}' as kind
            from lk_profiles a
            join lk_profiles b on a.{identifier} = b.{identifier} and a.profile_id < b.profile_id
            where not ({disagree})
        """)
    return " union all ".join(parts) if parts else None


# --- connected components ---------------------------------------------------------------------------

def connected_components(n: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Label of every node 0..n-1 = the smallest node of its component (hooking + pointer jumping)."""
    parent = np.arange(n, dtype=np.int64)
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    while True:
        pl, pr = parent[left], parent[right]
        differ = pl != pr
        if not differ.any():
            return parent
        low = np.minimum(pl[differ], pr[differ])
        high = np.maximum(pl[differ], pr[differ])
        np.minimum.at(parent, high, low)
        while True:
            grand = parent[parent]
            if np.array_equal(grand, parent):
                break
            parent = grand


# --- the cluster guard ------------------------------------------------------------------------------

def _years_apart(a: date, b: date) -> float:
    return abs((a - b).days) / 365.25


def _keying_error(a: date, b: date) -> bool:
    """Day and month transposed, or the ISO texts one edit apart (a digit changed or two adjacent
    digits swapped)."""
    if a.year == b.year and a.day == b.month and a.month == b.day:
        return True
    x, y = a.isoformat(), b.isoformat()
    diff = [i for i in range(len(x)) if x[i] != y[i]]
    if len(diff) == 1:
        return True
    return len(diff) == 2 and diff[1] == diff[0] + 1 and x[diff[0]] == y[diff[1]] and x[diff[1]] == y[diff[0]]


def _text_edits(x: str, y: str) -> int:
    """Keying errors between two texts: optimal string alignment distance (a character changed,
    inserted or deleted, or two adjacent characters swapped), DuckDB's `damerau_levenshtein`."""
    previous2: list[int] = []
    previous = list(range(len(y) + 1))
    for i in range(1, len(x) + 1):
        current = [i] + [0] * len(y)
        for j in range(1, len(y) + 1):
            cost = 0 if x[i - 1] == y[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and x[i - 1] == y[j - 2] and x[i - 2] == y[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(y)]


def dob_keying_errors(a: date, b: date) -> int:
    """Keying errors between two dates of birth: the edits between their ISO texts, the day and month
    keyed the other way round counting as one (the edge guards' `dob_errors`)."""
    edits = _text_edits(a.isoformat(), b.isoformat())
    if a.day <= 12 and a.day != a.month:
        edits = min(edits, 1 + _text_edits(date(a.year, a.day, a.month).isoformat(), b.isoformat()))
    return edits


def _two_keying_errors(a: date, b: date, any_years: bool = False) -> bool:
    """The dates at most two keying errors apart and less than `DOB_TWO_ERRORS_MAX_YEARS` apart, or with
    the same day and month (the year mistyped twice), or any years apart with `any_years` (a register):
    what the dob_conflict edge guard accepts from a pair whose names and address agree."""
    near = any_years or _years_apart(a, b) < DOB_TWO_ERRORS_MAX_YEARS or (a.month, a.day) == (b.month, b.day)
    if not near:
        return False
    return (_text_edits(a.isoformat(), b.isoformat()) if not any_years else dob_keying_errors(a, b)) <= 2


def dobs_conflict(a: Iterable[date], b: Iterable[date], max_years: float, any_years: bool = False) -> bool:
    return any(_years_apart(x, y) > max_years and not _keying_error(x, y)
               and not _two_keying_errors(x, y, any_years)
               for x in a for y in b)


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and value is not pd.NaT


class _ConstrainedUnion:
    """Union-find whose sets carry identifier values and dates of birth (cannot-link constraints)."""

    def __init__(self, attributes: dict[int, dict], identifiers: tuple[str, ...], max_years: float,
                 any_years: bool = False):
        self.parent = {node: node for node in attributes}
        self.ids = {node: {c: ({attrs[c]} if _present(attrs[c]) else set()) for c in identifiers}
                    for node, attrs in attributes.items()}
        self.dobs = {node: ({attrs["date_of_birth"]} if _present(attrs["date_of_birth"]) else set())
                     for node, attrs in attributes.items()}
        self.identifiers = identifiers
        self.max_years = max_years
        self.any_years = any_years

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def conflict(self, a: int, b: int, kind: str) -> str | None:
        for c in self.identifiers:
            if len(self.ids[a][c] | self.ids[b][c]) > 1:
                return f"different {c}"
        if kind == KIND_SCORE and dobs_conflict(self.dobs[a], self.dobs[b], self.max_years, self.any_years):
            return "dates of birth too far apart"
        return None

    def union(self, a: int, b: int) -> None:
        low, high = min(a, b), max(a, b)
        self.parent[high] = low
        for c in self.identifiers:
            self.ids[low][c] |= self.ids[high][c]
        self.dobs[low] |= self.dobs[high]


def component_conflicts(group: pd.DataFrame, config: ClusteringConfig) -> list[str]:
    """Why a component (its profiles' attributes) cannot be one person; empty when it can."""
    reasons = []
    for c in config.conflict_identifiers:
        values = set(group[c].dropna())
        if len(values) > 1:
            reasons.append(f"{len(values)} different {c}: {', '.join(sorted(values))}")
    dobs = sorted(set(group["date_of_birth"].dropna()))
    if len(dobs) > 1 and _years_apart(dobs[0], dobs[-1]) > config.max_dob_spread_years:
        if dobs_conflict(dobs, dobs, config.max_dob_spread_years, config.dob_two_errors_any_years):
            reasons.append(f"dates of birth {dobs[0]} to {dobs[-1]}")
    return reasons


def _guard_order(edges: pd.DataFrame) -> pd.DataFrame:
    """The order the guard tries edges in: the strongest kind first, then the highest probability."""
    return edges.assign(rank=edges["kind"].map(_KIND_RANK)).sort_values(
        ["rank", "probability", "profile_id_l", "profile_id_r"], ascending=[True, False, True, True]
    )


def split_component(
    group: pd.DataFrame, edges: pd.DataFrame, config: ClusteringConfig, presorted: bool = False
) -> tuple[dict[int, int], list[dict]]:
    """Re-cluster one conflicting component under cannot-link constraints.

    `presorted`: `edges` are already in the guard's order (_guard_order). Returns profile_id -> new
    label, and the edges that were skipped (with the reason)."""
    attributes = group.set_index("profile_id")[["date_of_birth", *config.conflict_identifiers]].to_dict("index")
    union = _ConstrainedUnion(attributes, config.conflict_identifiers, config.max_dob_spread_years,
                              config.dob_two_errors_any_years)
    ordered = edges if presorted else _guard_order(edges)
    skipped = []
    for row in ordered.itertuples(index=False):
        a, b = union.find(row.profile_id_l), union.find(row.profile_id_r)
        if a == b:
            continue
        reason = union.conflict(a, b, row.kind)
        if reason:
            skipped.append({"profile_id_l": row.profile_id_l, "profile_id_r": row.profile_id_r,
                            "kind": row.kind, "probability": row.probability, "reason": reason})
        else:
            union.union(a, b)
    return {node: union.find(node) for node in attributes}, skipped


# --- the whole step ---------------------------------------------------------------------------------

def cluster_profiles(
    con: duckdb.DuckDBPyConnection, gammas: dict[str, dict[str, int]], config: ClusteringConfig,
    households: bool = True, register: ClusteringConfig | None = None,
) -> ClusterResult:
    """Cluster lk_profiles using lk_pairs (scored pairs); see the module docstring. `households`: the
    records come from a population of households (`household_relatives_per_1000`; edge_guard_sql).
    `register`: among households, the configuration of the register-like sources' profiles
    (REGISTER_PROFILES): their pairs' threshold and edge guards, and the cluster guard of a component
    made of them alone."""
    config = config.for_population(households)
    classify_pairs(con, gammas, config, households, register)
    scored = f"""
        select profile_id_l, profile_id_r, match_probability as probability, '{KIND_SCORE}' as kind
        from lk_pairs where edge_status = 'accepted'
    """
    deterministic = deterministic_edges_sql(config)
    rank = "case kind " + " ".join(f"when '{k}' then {r}" for k, r in _KIND_RANK.items()) + " end"
    # one edge per pair: the strongest kind, then the highest probability (in DuckDB: at millions of
    # edges a pandas sort of the kind names cost seconds)
    edges = con.execute(f"""
        select profile_id_l, profile_id_r, probability, kind
        from ({scored}{" union all " + deterministic if deterministic else ""})
        qualify row_number() over (partition by profile_id_l, profile_id_r order by {rank}, probability desc) = 1
        order by profile_id_l, profile_id_r
    """).df()
    n = con.execute("select coalesce(max(profile_id), 0) + 1 from lk_profiles").fetchall()[0][0]
    labels = connected_components(n, edges["profile_id_l"].to_numpy(), edges["profile_id_r"].to_numpy())

    columns = ", ".join(["profile_id", "date_of_birth", "representative_record_id", "record_count",
                         *config.conflict_identifiers])
    profiles = con.execute(f"select {columns} from lk_profiles").df()
    profiles["cluster_id"] = labels[profiles["profile_id"].to_numpy()]
    review: list[dict] = []

    register_components: set[int] = set()
    if register is not None:
        in_register = profiles["profile_id"].isin(
            con.execute(f"select profile_id from {REGISTER_PROFILES}").df()["profile_id"])
        whole = in_register.groupby(profiles["cluster_id"]).all()
        register_components = {int(c) for c in whole[whole].index}
        of_register = profiles["cluster_id"].isin(register_components)
        candidates = (_components_worth_checking(profiles[~of_register], config)
                      | _components_worth_checking(profiles[of_register], register))
    else:
        candidates = _components_worth_checking(profiles, config)
    if candidates:
        in_candidates = profiles[profiles["cluster_id"].isin(candidates)]
        edge_cluster = labels[edges["profile_id_l"].to_numpy()]
        in_candidate = np.isin(edge_cluster, list(candidates))
        # sorted once into the guard's order, then cut by component (a stable grouping keeps the order)
        candidate_edges = _guard_order(edges[in_candidate].assign(cluster_id=edge_cluster[in_candidate]))
        edges_of = dict(iter(candidate_edges.groupby("cluster_id", sort=False)))
        new_labels: dict[int, int] = {}
        for cluster_id, group in in_candidates.groupby("cluster_id", sort=True):
            guard = register if cluster_id in register_components else config
            group = group.assign(date_of_birth=group["date_of_birth"].map(_as_date))
            reasons = component_conflicts(group, guard)
            if not reasons:
                continue
            relabel, skipped = split_component(group, edges_of[cluster_id], guard, presorted=True)
            new_labels.update(relabel)
            parts = len(set(relabel.values()))
            split_keys = sum(s["kind"] == KIND_SOURCE_KEY for s in skipped)
            parts_frame = group.assign(part=group["profile_id"].map(relabel))
            remaining = sum(bool(component_conflicts(part, guard)) for _, part in parts_frame.groupby("part"))
            action = (f"split into {parts} clusters; {len(skipped)} edge(s) not used" if parts > 1
                      else "not split")
            if split_keys:
                action += f"; {split_keys} of them within one source record key (check the source)"
            if remaining:
                action += (f"; {remaining} cluster(s) still hold the conflict, joined by a source record key or "
                           "a trusted identifier: flagged for review")
            representative = dict(zip(group["profile_id"], group["representative_record_id"], strict=True))
            review.append({
                "review_type": "cluster_conflict",
                "person_record_id": representative[min(relabel)],
                "other_person_record_id": None,
                "reason": "; ".join(reasons),
                "action": action,
                "profiles": int(len(group)),
                "records": int(group["record_count"].sum()),
                "match_probability": max((s["probability"] for s in skipped), default=None),
                "detail": "; ".join(
                    f"{representative[s['profile_id_l']]} - {representative[s['profile_id_r']]} "
                    f"({s['kind']}, p={s['probability']:.4f}): {s['reason']}"
                    for s in skipped[:20]
                ),
            })
        if new_labels:
            keys = np.fromiter(new_labels.keys(), dtype=np.int64)
            values = np.fromiter(new_labels.values(), dtype=np.int64)
            labels[keys] = values
            profiles["cluster_id"] = labels[profiles["profile_id"].to_numpy()]

    edges["used"] = labels[edges["profile_id_l"].to_numpy()] == labels[edges["profile_id_r"].to_numpy()]
    return ClusterResult(labels=profiles[["profile_id", "cluster_id"]], edges=edges, review=review)


def _as_date(value) -> date | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    return value


def _components_worth_checking(profiles: pd.DataFrame, config: ClusteringConfig) -> set[int]:
    """Clusters with more than one value of an identifier, or a date-of-birth range wider than allowed."""
    grouped = profiles.groupby("cluster_id")
    flagged: set[int] = set()
    for c in config.conflict_identifiers:
        counts = grouped[c].nunique()
        flagged |= set(counts[counts > 1].index)
    dob = pd.to_datetime(profiles["date_of_birth"])
    spread = dob.groupby(profiles["cluster_id"]).agg(["min", "max"])
    wide = spread[(spread["max"] - spread["min"]).dt.days > config.max_dob_spread_years * 365.25]
    flagged |= set(wide.index)
    return {int(c) for c in flagged}
