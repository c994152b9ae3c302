-- The dispatched helpers of macros/cross_engine behave the same whatever the engine: regex match,
-- replace and extract (null when no match), accents, ISO date casting (null for no such day), string
-- similarity and edit distance, quoting of a literal, plus code_key and normalise_text.
-- Returns one row per failing check.
with

checks as (

    select
        'regex_matches' as check_name,
        {{ regex_matches("'NR1 1AA'", '^[A-Z]{2}[0-9]') }}
        and not {{ regex_matches("'1NR'", '^[A-Z]{2}[0-9]') }} as passed

    union all

    select
        'regex_replace' as check_name,
        {{ regex_replace("'a-b--c'", '-+', ' ') }} = 'a b c' as passed

    union all

    select
        'regex_extract group and no match' as check_name,
        {{ regex_extract("'2001/0012345H'", '/([0-9]+)', 1) }} = '0012345'
        and {{ regex_extract("'abc'", '([0-9]+)', 1) }} is null as passed

    union all

    select
        'strip_accents' as check_name,
        -- letters with no accent to strip are spelled as English records spell them
        {{ strip_accents("'Siobhán Zoë Ó Dálaigh'") }} = 'Siobhan Zoe O Dalaigh'
        and upper({{ strip_accents("'Łukasz Ægir Þórsson Guðmundsdóttir Øyvind Strauß Œuvray'") }})
        = 'LUKASZ AEGIR THORSSON GUDMUNDSDOTTIR OYVIND STRAUSS OEUVRAY' as passed

    union all

    select
        'try_cast_date' as check_name,
        {{ try_cast_date("'2000-02-29'") }} = {{ try_cast_date("'2000-02-29'") }}
        and {{ try_cast_date("'2001-02-29'") }} is null as passed

    union all

    select
        'string_similarity' as check_name,
        {{ string_similarity("'SMITH'", "'SMITH'") }} = 1
        and {{ string_similarity("'SMITH'", "'SMYTH'") }} > 0.7
        and {{ string_similarity("'SMITH'", "'JONES'") }} < 0.7 as passed

    union all

    select
        'edit_distance' as check_name,
        {{ edit_distance("'SMITH'", "'SMYTHE'") }} = 2 as passed

    union all

    select
        'sql_string_literal' as check_name,
        {{ sql_string_literal("O'Brien") }} = 'O''Brien' as passed

    union all

    select
        'code_key' as check_name,
        {{ code_key("' Person Reporting '") }} = 'PERSON_REPORTING'
        and {{ code_key("'(V)'") }} = 'V'
        and {{ code_key("' - '") }} is null as passed

    union all

    select
        'normalise_text' as check_name,
        {{ normalise_text("'Flat 2, 14 Rue-de l''Église'") }} = 'FLAT 2 14 RUE DE L EGLISE' as passed

)

select check_name
from checks
where not coalesce(passed, false)
