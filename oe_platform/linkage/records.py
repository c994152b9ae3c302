"""The linkage input: standardised person records, and the profiles Splink compares.

A *person record* is one row of `conformed.int_person_records` (or any table with its columns). Two
records with the same source record key (source, force or partner, `record_ref`) are the same
person by the source's own identification; when their matching attributes are also identical they
are one *profile*. Splink compares profiles, not records: a nominal who appears in forty crime
reports with the same details is compared once, and the result is expanded back to every record.
Records without a `record_ref` are never collapsed.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from oe_platform.linkage.standardise import fill_derived_columns, nickname_pairs

# Columns of the standardised person record (int_person_records), with their DuckDB types.
RECORD_COLUMNS: dict[str, str] = {
    "person_record_id": "varchar",
    "source_name": "varchar",
    "force_code": "varchar",
    "record_ref": "varchar",
    "forename_std": "varchar",
    "middle_names_std": "varchar",
    "surname_std": "varchar",
    "forename_formal": "varchar",
    "forename_phonetic": "varchar",
    "surname_phonetic": "varchar",
    "date_of_birth": "date",
    "sex_code": "varchar",
    "postcode_std": "varchar",
    "postcode_outward": "varchar",
    "postcode_sector": "varchar",
    "phone_e164": "varchar",
    "pnc_id": "varchar",
    "cro_number": "varchar",
    "nhs_number": "varchar",
    "aliases_std": "varchar",
    "address_std": "varchar",
}

# The attributes a profile is made of (everything Splink compares).
MATCHING_COLUMNS = [c for c in RECORD_COLUMNS if c not in
                    ("person_record_id", "source_name", "force_code", "record_ref")]

# Plain column names accepted when the standardised one is absent (a partner list, a benchmark).
PLAIN_FALLBACKS = {
    "record_ref": "record_id",
    "forename_std": "forename",
    "middle_names_std": "middle_names",
    "surname_std": "surname",
    "date_of_birth": "dob",
    "sex_code": "sex",
    "postcode_std": "postcode",
    "phone_e164": "phone",
    "aliases_std": "aliases",
    "address_std": "address",
}

NAME_CORRECTION_MIN_LENGTH = 4
"""A given name absent from the nickname seed is read as a possible typo of a seed name one edit away
(Damerau-Levenshtein 1) only when both have at least this many letters."""

RARE_NAME_MAX_PEOPLE = 3
"""A surname and formal forename carried by at most this many dates of birth is a rare name."""

SELECTIVE_KEY_MAX_PROFILES = 8
"""A date of birth or postcode held by at most this many profiles of a run is a blocking key on its own
(`selective_dob`, `selective_postcode`): a block of at most 28 pairs, so a small delivery compares
every pair that shares one, and a large one only its rare values."""

SELECTIVE_COMBINATIONS: dict[str, tuple[str, ...]] = {
    # the house number and the town (the address line's last word): the street, the postcode and the
    # names mistyped or missing
    "selective_number_town": ("address_number", "address_town"),
    # the house number, the street's first letter and one name's first letter: the postcode and the
    # town missing or mistyped as well
    "selective_number_street_surname": ("address_number", "street_initial", "surname_initial"),
    "selective_number_street_forename": ("address_number", "street_initial", "forename_initial"),
    # the day and month of birth with one name's first letter: the year, the other name and the
    # address mistyped or missing
    "selective_birthday_forename": ("dob_month_day", "forename_initial"),
    "selective_birthday_surname": ("dob_month_day", "surname_initial"),
    # the year of birth with both first letters, or with the month and the surname's first letter: the
    # day (or month), the names beyond their first letter and the address mistyped
    "selective_year_initials": ("dob_year", "forename_initial", "surname_initial"),
    "selective_year_month_surname": ("dob_year", "dob_month", "surname_initial"),
}
"""Blocking keys made of parts keying errors rarely reach (a first letter, a house number, a town,
part of a date of birth), each a key only where at most SELECTIVE_KEY_MAX_PROFILES profiles of the run
share it: for a pair with two or three of names, date of birth and postcode mistyped, which no rule
on whole fields brings together (docs/linkage.md, "Sixth pass"). The bound keeps each block at 28
pairs whatever the size of the run; a large run holds fewer such keys, and its common values are
left to the other rules."""

AREA_POSTCODE_MIN_ADDRESS_LINES = 200
"""A postal code under which a run's records carry more than this many distinct address lines is the code
of an area, not of a postcode unit, and is no evidence that two records share an address: a US ZIP
code or a country's postal district, or a placeholder a partner writes in every record (00000). A UK
postcode unit holds about 15 delivery points and seldom more than 100, so even with every line keyed
two ways no unit comes near it (the generator's largest holds 15 lines at 100,000 persons, FEBRL's
Australian postcodes at most 48 in 5,000 records). Such a code is set aside for the run's comparisons
and blocking (`prepare_records`) and counted in the run's quality summary."""

PLACEHOLDER_POSTCODE_SOURCE_SHARE = 0.5
PLACEHOLDER_POSTCODE_MIN_ADDRESS_LINES = 30
PLACEHOLDER_POSTCODE_SOURCE_MIN_RECORDS = 50
"""A smaller source can write one code for everyone too (a register of a few hundred people, a placeholder
such as 00000 or the NHS's no-fixed-abode ZZ99 3VZ), under the run-wide bound above. A code is also an
area's (or a placeholder) when one source (`source_name/force_code`) with at least
PLACEHOLDER_POSTCODE_SOURCE_MIN_RECORDS records with an address line and a code writes it on at least
PLACEHOLDER_POSTCODE_SOURCE_SHARE of them, under at least PLACEHOLDER_POSTCODE_MIN_ADDRESS_LINES distinct
address lines: a real unit of 15 addresses does not hold half of any sizeable source's people at 30
addresses. A source of one building (a hostel, a block of flats, a prison) writes its few address lines
many times and is kept; were a block of 30 flats or more a whole source, its postcode would be set aside
for the whole run (every source's records with that code lose the postcode evidence, as with a town-wide
code) and the records still compare on their address lines."""

PNC_PATTERN = r"^[0-9]{4}/[0-9]{7}[A-HJ-NP-RT-Z]$"
CRO_PATTERN = r"^([0-9]{6}/[0-9]{2}|SF[0-9]{2}/[0-9]{6})[A-HJ-NP-RT-Z]$"
NHS_PATTERN = r"^[0-9]{10}$"
E164_PATTERN = r"^[+][1-9][0-9]{6,14}$"


def _add_selective_combinations(con: duckdb.DuckDBPyConnection) -> None:
    """lk_selective_keys: a profile's SELECTIVE_COMBINATIONS (profile_id, then a column each), counted
    with one hash aggregate over every key rather than a window per key."""
    keys = []
    for name, parts in SELECTIVE_COMBINATIONS.items():
        present = " and ".join(f"{part} is not null" for part in parts)
        key = " || '|' || ".join(f"cast({part} as varchar)" for part in parts)
        keys.append(f"select profile_id, '{name}' as key_name, {key} as key from lk_profiles where {present}")
    columns = ", ".join(f"max(key) filter (where key_name = '{name}') as {name}" for name in SELECTIVE_COMBINATIONS)
    con.execute(f"""
        create or replace temp table lk_selective_keys as
        with keys as ({" union all ".join(keys)}),
        few as (
            select key_name, key from keys group by key_name, key having count(*) <= {SELECTIVE_KEY_MAX_PROFILES}
        )
        select profile_id, {columns}
        from keys semi join few using (key_name, key)
        group by profile_id
    """)


class RecordsError(ValueError):
    """The person records cannot be linked as delivered (missing key, duplicate ids…)."""


@dataclass(frozen=True)
class PreparedRecords:
    """Tables created in the DuckDB connection: `lk_records` (one row per person record, with its
    profile_id) and `lk_profiles` (one row per profile: Splink's input)."""

    records: int
    profiles: int
    area_postcodes: int = 0
    """Postal codes set aside as area codes (AREA_POSTCODE_MIN_ADDRESS_LINES)."""
    area_postcode_records: int = 0
    """Records whose postal code was set aside so."""


def _text(column: str) -> str:
    return f"nullif(trim(cast({column} as varchar)), '')"


def _upper_text(column: str) -> str:
    return f"nullif(upper(trim(cast({column} as varchar))), '')"


def _name(column: str) -> str:
    """Upper-case ASCII words (idempotent on names the staging macros already normalised)."""
    upper = f"upper(strip_accents(cast({column} as varchar)))"
    no_apostrophes = f"regexp_replace({upper}, '[''`]', '', 'g')"
    return f"nullif(trim(regexp_replace({no_apostrophes}, '[^A-Z]+', ' ', 'g')), '')"


UK_POSTCODE_SHAPE = r"^[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}$"


def _postcode(column: str) -> str:
    """A UK-shaped postcode as upper case with one space before the inward code (idempotent on
    canonical postcodes); any other postal code upper case without spaces or punctuation."""
    compact = f"regexp_replace(upper(cast({column} as varchar)), '[^A-Z0-9]', '', 'g')"
    return (f"case when regexp_full_match({compact}, '{UK_POSTCODE_SHAPE}') "
            f"then left({compact}, length({compact}) - 3) || ' ' || right({compact}, 3) "
            f"else nullif({compact}, '') end")


# Street types as written in full or abbreviated (Royal Mail's and common clerical forms), each to one
# form, so that "12 CHURCH ROAD" and "12 Church Rd" are the same address line.
STREET_TYPES = {
    "RD": ("ROAD",), "ST": ("STREET", "STR"), "AVE": ("AVENUE", "AV"), "CL": ("CLOSE",), "LN": ("LANE",),
    "DR": ("DRIVE", "DRV"), "CRES": ("CRESCENT", "CRESC", "CRS"), "GDNS": ("GARDENS", "GDN"),
    "CT": ("COURT", "CRT"), "PL": ("PLACE",), "TER": ("TERRACE", "TERR", "TCE"), "SQ": ("SQUARE",),
    "GR": ("GROVE", "GRV"),
}


def _address(column: str) -> str:
    """An address line as upper-case ASCII words and digits, single-spaced (staging's normalise_text),
    street types in one form (`STREET_TYPES`)."""
    upper = f"upper(strip_accents(cast({column} as varchar)))"
    out = f"regexp_replace({upper}, '[^A-Z0-9]+', ' ', 'g')"
    for short, forms in STREET_TYPES.items():
        out = f"regexp_replace({out}, '\\b({'|'.join(forms)})\\b', '{short}', 'g')"
    return f"nullif(trim({out}), '')"


def _aliases(column: str) -> str:
    """Other names separated by ';', each as upper-case ASCII words (idempotent on staged values)."""
    names = f"list_transform(str_split(cast({column} as varchar), ';'), lambda x: {_name('x')})"
    kept = f"list_sort(list_distinct(list_filter({names}, lambda x: x is not null)))"
    return f"nullif(array_to_string({kept}, ';'), '')"


def _pattern(column: str, pattern: str) -> str:
    value = _upper_text(column)
    return f"case when regexp_full_match({value}, '{pattern}') then {value} end"


def prepare_records(con: duckdb.DuckDBPyConnection, source_table: str) -> PreparedRecords:
    """Clean `source_table` into lk_records and collapse it into lk_profiles.

    Columns absent from the source are treated as missing values. Identifiers that do not have a
    valid shape are dropped (the staging models already keep only valid values; this is a guard for
    other inputs). Raises RecordsError when person_record_id is missing, null or repeated.
    """
    present = {row[0] for row in con.execute(f"describe {source_table}").fetchall()}
    if "person_record_id" not in present:
        raise RecordsError(f"{source_table} has no person_record_id column; columns: {sorted(present)}")

    def col(name: str) -> str:
        if name in present:
            return name
        fallback = PLAIN_FALLBACKS.get(name)
        if fallback in present:
            return fallback
        return f"cast(null as {RECORD_COLUMNS[name]})"

    cleaned = f"""
        select
            cast(person_record_id as varchar) as person_record_id,
            coalesce({_text(col('source_name'))}, 'unknown') as source_name,
            coalesce({_text(col('force_code'))}, 'unknown') as force_code,
            {_text(col('record_ref'))} as record_ref,
            {_name(col('forename_std'))} as forename_std,
            {_name(col('middle_names_std'))} as middle_names_std,
            {_name(col('surname_std'))} as surname_std,
            {_name(col('forename_formal'))} as forename_formal,
            {_upper_text(col('forename_phonetic'))} as forename_phonetic,
            {_upper_text(col('surname_phonetic'))} as surname_phonetic,
            try_cast({col('date_of_birth')} as date) as date_of_birth,
            case
                when {_upper_text(col('sex_code'))} in ('M', 'MALE', 'MAN') then 'M'
                when {_upper_text(col('sex_code'))} in ('F', 'FEMALE', 'WOMAN') then 'F'
            end as sex_code,
            {_postcode(col('postcode_std'))} as postcode_std,
            {_upper_text(col('postcode_outward'))} as postcode_outward,
            {_upper_text(col('postcode_sector'))} as postcode_sector,
            case when regexp_full_match({_text(col('phone_e164'))}, '{E164_PATTERN}')
                then {_text(col('phone_e164'))} end as phone_e164,
            {_pattern(col('pnc_id'), PNC_PATTERN)} as pnc_id,
            {_pattern(col('cro_number'), CRO_PATTERN)} as cro_number,
            {_pattern(col('nhs_number'), NHS_PATTERN)} as nhs_number,
            {_aliases(col('aliases_std'))} as aliases_std,
            {_address(col('address_std'))} as address_std
        from {source_table}
    """
    con.execute(f"create or replace temp table lk_cleaned as {cleaned}")
    fill_derived_columns(con, "lk_cleaned")
    area_postcodes, area_postcode_records = _set_aside_area_postcodes(con, "lk_cleaned")
    problems = con.execute(
        "select count(*) filter (where person_record_id is null), count(*) - count(distinct person_record_id) "
        "from lk_cleaned"
    ).fetchall()[0]
    if problems[0] or problems[1]:
        raise RecordsError(
            f"{source_table}: person_record_id must be present and unique "
            f"({problems[0]} null, {problems[1]} repeated)"
        )

    key_parts = ", ".join(f"coalesce(cast({c} as varchar), '')" for c in MATCHING_COLUMNS)
    con.execute(f"""
        create or replace temp table lk_records as
        with keyed as (
            select
                *,
                case when record_ref is null then 'record|' || person_record_id
                    else 'ref|' || source_name || '|' || force_code || '|' || record_ref
                end as source_key
            from lk_cleaned
        ),
        profiled as (
            select *, md5(concat_ws('|', source_key, {key_parts})) as profile_key
            from keyed
        )
        select
            profiled.*,
            cast(dense_rank() over (order by profile_key) as bigint) as profile_id
        from profiled
    """)
    con.execute("drop table lk_cleaned")
    con.execute(f"""
        create or replace temp table lk_profiles as
        select
            profile_id,
            any_value(source_key) as source_key,
            min(person_record_id) as representative_record_id,
            count(*) as record_count,
            {", ".join(f"any_value({c}) as {c}" for c in MATCHING_COLUMNS)},
            strftime(any_value(date_of_birth), '%Y-%m-%d') as dob_text,
            str_split(any_value(aliases_std), ';') as alias_names,
            -- the other names as a set (sources list a person's AKAs in their own order): a blocking key
            array_to_string(list_sort(list_distinct(str_split(any_value(aliases_std), ';'))), ';') as alias_set,
            any_value(forename_std) || ' ' || any_value(surname_std) as full_name,
            year(any_value(date_of_birth)) as dob_year,
            strftime(any_value(date_of_birth), '%m-%d') as dob_month_day,
            nullif(substr(any_value(forename_std), 1, 1), '') as forename_initial,
            nullif(substr(any_value(surname_std), 1, 1), '') as surname_initial,
            -- the house number (first number of the address line) and the first letter of the street
            -- after it: blocking keys for a mistyped address line (keying errors rarely hit either)
            nullif(regexp_extract(any_value(address_std), '[0-9]+'), '') as address_number,
            nullif(regexp_extract(any_value(address_std), '[0-9]+ ([A-Z])', 1), '') as street_initial,
            -- the town: the address line's last word (the street and the house number mistyped)
            nullif(regexp_extract(any_value(address_std), '([A-Z]+)$', 1), '') as address_town,
            month(any_value(date_of_birth)) as dob_month,
            case
                when day(any_value(date_of_birth)) <= 12
                    and day(any_value(date_of_birth)) != month(any_value(date_of_birth))
                    then make_date(
                        year(any_value(date_of_birth)),
                        day(any_value(date_of_birth)),
                        month(any_value(date_of_birth))
                    )
            end as dob_transposed
        from lk_records
        group by profile_id
        order by profile_id
    """)
    _add_forename_names(con)
    _add_selective_combinations(con)
    # A name carried by few people (few distinct dates of birth among its profiles) is the blocking
    # key for records without a date of birth: their names are then the evidence worth scoring.
    con.execute(f"""
        create or replace temp table lk_profiles as
        select
            p.*,
            case when n.people <= {RARE_NAME_MAX_PEOPLE} then p.surname_std || '|' || p.forename_formal end
                as rare_name_key,
            -- the same for the names' phonetic codes: a rare name mistyped (a typo rarely changes Soundex)
            case when ph.people <= {RARE_NAME_MAX_PEOPLE} then p.surname_phonetic || '|' || p.forename_phonetic end
                as rare_phonetic_key,
            -- a date of birth or a postcode few profiles share: bounded blocks (at most
            -- SELECTIVE_KEY_MAX_PROFILES profiles each) whatever the size of the run
            case when count(*) over (partition by p.date_of_birth) <= {SELECTIVE_KEY_MAX_PROFILES}
                then p.date_of_birth end as selective_dob,
            case when count(*) over (partition by p.postcode_std) <= {SELECTIVE_KEY_MAX_PROFILES}
                then p.postcode_std end as selective_postcode,
            {", ".join(f"s.{name}" for name in SELECTIVE_COMBINATIONS)}
        from lk_profiles p
        left join lk_selective_keys s using (profile_id)
        left join (
            select surname_std, forename_formal, count(distinct date_of_birth) as people
            from lk_profiles
            where surname_std is not null and forename_formal is not null
            group by all
        ) n using (surname_std, forename_formal)
        left join (
            select surname_phonetic, forename_phonetic, count(distinct date_of_birth) as people
            from lk_profiles
            where surname_phonetic is not null and forename_phonetic is not null
            group by all
        ) ph using (surname_phonetic, forename_phonetic)
        order by p.profile_id
    """)
    con.execute("drop table lk_selective_keys")
    records = con.execute("select count(*) from lk_records").fetchall()[0][0]
    profiles = con.execute("select count(*) from lk_profiles").fetchall()[0][0]
    return PreparedRecords(records=records, profiles=profiles, area_postcodes=area_postcodes,
                           area_postcode_records=area_postcode_records)


def _set_aside_area_postcodes(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, int]:
    """Null the postcode, sector and outward code of `table`'s records whose postal code is an area's or a
    placeholder (AREA_POSTCODE_MIN_ADDRESS_LINES run-wide, PLACEHOLDER_POSTCODE_* within one source);
    return how many codes and records."""
    con.execute(f"""
        create or replace temp table lk_area_postcodes as
        with addressed as (
            select source_name || '/' || force_code as source, postcode_std, address_std
            from {table}
            where postcode_std is not null and address_std is not null
        ),
        per_source as (
            select source, postcode_std, count(*) as records, count(distinct address_std) as lines,
                   sum(count(*)) over (partition by source) as source_records
            from addressed
            group by source, postcode_std
        )
        select postcode_std from addressed
        group by postcode_std
        having count(distinct address_std) > {AREA_POSTCODE_MIN_ADDRESS_LINES}
        union
        select postcode_std from per_source
        where source_records >= {PLACEHOLDER_POSTCODE_SOURCE_MIN_RECORDS}
          and records >= {PLACEHOLDER_POSTCODE_SOURCE_SHARE} * source_records
          and lines >= {PLACEHOLDER_POSTCODE_MIN_ADDRESS_LINES}
    """)
    codes = con.execute("select count(*) from lk_area_postcodes").fetchall()[0][0]
    records = con.execute(f"""
        update {table} set postcode_std = null, postcode_outward = null, postcode_sector = null
        where postcode_std in (select postcode_std from lk_area_postcodes)
    """).fetchall()[0][0] if codes else 0
    con.execute("drop table lk_area_postcodes")
    return codes, records


def _add_forename_names(con: duckdb.DuckDBPyConnection) -> None:
    """Add `forename_names` to lk_profiles: every name the given name may stand for.

    The set holds the first word of the forename, the formal name staging chose, and every formal
    name the nickname seed gives for the word, ambiguous ones included (SANDY: ALEXANDER and SANDRA;
    JACK: JACOB and JOHN), where staging keeps none. A word the seed does not know, of at least
    NAME_CORRECTION_MIN_LENGTH letters, also stands for each seed name one keying error away and that
    name's formal names (DQVID: DAVID; LENY: LENNY, LEONARD; FERDDIE: FREDDIE, FREDERICK). Two records
    whose sets meet may name one person; the comparison's level for it is trained like any other.
    """
    con.execute("create or replace temp table lk_nicknames (nickname varchar, formal_name varchar)")
    con.executemany("insert into lk_nicknames values (?, ?)", nickname_pairs())
    con.execute(f"""
        create or replace temp table lk_forename_names as
        with words as (
            select distinct split_part(forename_std, ' ', 1) as word, forename_formal
            from lk_profiles
            where forename_std is not null
        ),
        vocabulary as (
            select nickname as name from lk_nicknames
            union
            select formal_name from lk_nicknames
        ),
        readings as (
            -- the word itself, and for an unknown word every seed name one keying error away
            select word, word as reading from (select distinct word from words)
            union
            select w.word, v.name
            from (select distinct word from words) w
            join vocabulary v
                on length(w.word) >= {NAME_CORRECTION_MIN_LENGTH}
                and length(v.name) >= {NAME_CORRECTION_MIN_LENGTH}
                and abs(length(w.word) - length(v.name)) <= 1
                and damerau_levenshtein(w.word, v.name) = 1
            where w.word not in (select name from vocabulary)
        ),
        names as (
            select word, reading as name from readings
            union
            select r.word, n.formal_name from readings r join lk_nicknames n on n.nickname = r.reading
            union
            select word, forename_formal from words where forename_formal is not null
        )
        select word, list_sort(list(distinct name)) as forename_names
        from names
        group by word
    """)
    con.execute("""
        create or replace temp table lk_profiles as
        select p.*, n.forename_names
        from lk_profiles p
        left join lk_forename_names n on n.word = split_part(p.forename_std, ' ', 1)
        order by p.profile_id
    """)
    con.execute("drop table lk_forename_names")
