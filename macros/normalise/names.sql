{#- Person names: one normalised form for matching, a compact key, a status and a phonetic key.
    The token lists are project variables so a force can extend them without code changes. -#}

{% macro name_title_tokens() -%}
    {{ return(var('name_title_tokens', [
        'MR', 'MRS', 'MS', 'MISS', 'MX', 'MSTR', 'MASTER', 'DR', 'PROF', 'REV', 'REVD', 'FR',
        'SIR', 'DAME', 'LORD', 'LADY', 'RT HON', 'HON', 'SGT', 'CAPT', 'CLLR'
    ])) }}
{%- endmacro %}

{% macro name_suffix_tokens() -%}
    {{ return(var('name_suffix_tokens', [
        'JR', 'JNR', 'JUNIOR', 'SR', 'SNR', 'SENIOR', 'II', 'III', 'IV', 'ESQ'
    ])) }}
{%- endmacro %}

{#- Values recorded when the name is not known: compared with the normalised name, spaces removed. -#}
{% macro name_placeholder_tokens() -%}
    {{ return(var('name_placeholder_tokens', [
        'UNKNOWN', 'UNK', 'NK', 'NOTKNOWN', 'NOTGIVEN', 'NOTSTATED', 'NONE', 'NULL', 'NA', 'REFUSED',
        'XX', 'XXX', 'ZZ', 'ZZZ', 'TBC', 'TBA', 'ANON', 'ANONYMOUS', 'PERSONUNKNOWN', 'NONAME'
    ])) }}
{%- endmacro %}

{#- Words written in place of a given name that is not known: the person's sex, age or relationship
    (MALE, BABY, MOTHER, DAUGHTER...), alone or joined by OF / THE (BABY OF, ADULT MALE). Given names
    only: several are surnames too (CHILD, KID). SON and MAN are left out: each is a given name as well
    (Vietnamese, Cantonese). A given name made only of these words is a placeholder. -#}
{% macro given_name_placeholder_words() -%}
    {{ return(var('given_name_placeholder_words', [
        'MALE', 'FEMALE', 'WOMAN', 'BOY', 'GIRL', 'BABY', 'INFANT', 'NEWBORN', 'CHILD', 'KID',
        'JUVENILE', 'ADULT', 'PERSON', 'MOTHER', 'FATHER', 'MUM', 'MOM', 'DAD', 'DAUGHTER',
        'BROTHER', 'SISTER', 'HUSBAND', 'WIFE', 'PARTNER', 'NEPHEW', 'NIECE', 'UNCLE', 'AUNT', 'COUSIN',
        'GRANDSON', 'GRANDDAUGHTER', 'GRANDMOTHER', 'GRANDFATHER', 'GENTLEMAN', 'RESPONDENT', 'OCCUPANT',
        'RESIDENT', 'TENANT', 'HOUSEHOLDER', 'OF', 'THE'
    ])) }}
{%- endmacro %}

{#- A name as upper-case ASCII words: accents stripped (Zoë -> ZOE), apostrophes removed
    (O'Brien -> OBRIEN), hyphens and other punctuation become word breaks (Smith-Jones ->
    SMITH JONES), leading titles (MR, DR…) and trailing suffixes (JR, III…) dropped when another word
    remains. Null when no letter is left. -#}
{% macro normalise_name(value) -%}
    {%- set titles = name_title_tokens() | join('|') -%}
    {%- set suffixes = name_suffix_tokens() | join('|') -%}
    {%- set upper_ascii = 'upper(' ~ strip_accents('trim(' ~ value ~ ')') ~ ')' -%}
    {%- set no_apostrophes = regex_replace(upper_ascii, "['`´‘’]", '') -%}
    {%- set words = 'trim(' ~ regex_replace(no_apostrophes, '[^A-Z]+', ' ') ~ ')' -%}
    {%- set no_titles = regex_replace(words, '^((' ~ titles ~ ') )+', '') -%}
    {%- set no_suffixes = regex_replace(no_titles, '( (' ~ suffixes ~ '))+$', '') -%}
    nullif(trim({{ no_suffixes }}), '')
{%- endmacro %}

{#- A normalised name without word breaks, so O'Brien, O Brien and OBrien agree (OBRIEN). -#}
{% macro name_compact(normalised_name) -%}
    nullif(replace({{ normalised_name }}, ' ', ''), '')
{%- endmacro %}

{#- The first word of a normalised name (the given name a nickname is looked up by). -#}
{% macro name_first_word(normalised_name) -%}
    nullif({{ dbt.split_part(normalised_name, "' '", 1) }}, '')
{%- endmacro %}

{#- Why a name is or is not usable: missing (blank), no_letters (nothing left after normalising),
    placeholder (UNKNOWN, NK, ZZZ…, or a title alone such as MRS; with `given_name=true` also words of
    sex, age or relationship alone, such as MALE or BABY OF: given_name_placeholder_words), valid. Pass
    `normalised` (an expression already holding normalise_name(value)) to avoid normalising twice. -#}
{% macro name_status(value, normalised=none, given_name=false) -%}
    {%- set normalised = normalised or normalise_name(value) -%}
    {%- set words = given_name_placeholder_words() | join('|') -%}
    case
        when {{ blank_to_null(value) }} is null then 'missing'
        when {{ normalised }} is null then 'no_letters'
        when replace({{ normalised }}, ' ', '') in (
            {%- for token in name_placeholder_tokens() + name_title_tokens() %}
            '{{ token | replace(' ', '') }}'{{ ',' if not loop.last }}
            {%- endfor %}
        ) then 'placeholder'
        {%- if given_name %}
        when {{ regex_matches(normalised, '^(' ~ words ~ ')( (' ~ words ~ '))*$') }} then 'placeholder'
        {%- endif %}
        else 'valid'
    end
{%- endmacro %}

{#- American Soundex (letter + three digits) of a name, in portable SQL: DuckDB has no soundex and
    Spark's differs in edge cases, so every engine runs this one. Non-letters are ignored, so pass a
    normalised name. Smith and Smyth -> S530, Ashcraft -> A261, Pfister -> P236, Honeyman -> H555.
    Rules: keep the first letter; code the rest (BFPV 1, CGJKQSXZ 2, DT 3, L 4, MN 5, R 6); H and W
    are dropped before adjacent equal codes collapse, vowels separate them; a first letter's own code
    is not repeated; pad with zeros. -#}
{% macro soundex(value) -%}
    {%- set letters = regex_replace('upper(' ~ value ~ ')', '[^A-Z]', '') -%}
    {%- set coded = 'translate(' ~ regex_replace(letters, '[HW]', '') ~ ", 'AEIOUYBFPVCGJKQSXZDTLMNR', '000000111122222222334556')" -%}
    {%- set collapsed = namespace(sql=coded) -%}
    {%- for digit in range(7) -%}
        {%- set collapsed.sql = regex_replace(collapsed.sql, digit ~ '+', digit | string) -%}
    {%- endfor -%}
    case
        when {{ letters }} is null or {{ letters }} = '' then null
        else substr(
            substr({{ letters }}, 1, 1)
            || replace(
                case
                    when substr({{ letters }}, 1, 1) in ('H', 'W') then {{ collapsed.sql }}
                    else substr({{ collapsed.sql }}, 2)
                end,
                '0', ''
            )
            || '000',
            1, 4
        )
    end
{%- endmacro %}
