{#- UK postcodes: canonical upper-case form with one space before the inward code, a status, and the
    outward code, sector and area of a valid postcode. Format only: a valid postcode may not exist.
    The status and part macros take an optional `normalised` expression already holding
    normalise_postcode(value), so a model normalises once. -#}

{#- The format rule (DOMAIN.md), shared with the valid_uk_postcode data test. -#}
{% macro uk_postcode_pattern() -%}
    {{ return('^(?:GIR ?0AA|(?:[A-PR-UWYZ][0-9][0-9A-HJKPSTUW]?|[A-PR-UWYZ][A-HK-Y][0-9][0-9ABEHMNPRVWXY]?) ?[0-9][ABD-HJLNP-UW-Z]{2})$') }}
{%- endmacro %}

{#- Upper case, every character but letters and digits removed, then one space before the last three
    characters when 5 to 7 remain (nr11aa, "NR1  1AA", NR1-1AA -> NR1 1AA). An invalid postcode is
    kept in this cleaned form: postcode_status flags it. -#}
{% macro normalise_postcode(value) -%}
    {%- set compact = regex_replace('upper(' ~ value ~ ')', '[^A-Z0-9]', '') -%}
    case
        when length({{ compact }}) between 5 and 7
            then substr({{ compact }}, 1, length({{ compact }}) - 3) || ' ' || substr({{ compact }}, length({{ compact }}) - 2, 3)
        else nullif({{ compact }}, '')
    end
{%- endmacro %}

{#- missing (blank or no letters and digits), invalid_format, valid. -#}
{% macro postcode_status(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_postcode(value) -%}
    case
        when ({{ normalised }}) is null then 'missing'
        when {{ regex_matches(normalised, uk_postcode_pattern()) }} then 'valid'
        else 'invalid_format'
    end
{%- endmacro %}

{#- Outward code of a valid postcode (NR1 1AA -> NR1); null when the postcode is not valid. -#}
{% macro postcode_outward(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_postcode(value) -%}
    case when {{ regex_matches(normalised, uk_postcode_pattern()) }} then {{ dbt.split_part(normalised, "' '", 1) }} end
{%- endmacro %}

{#- Postcode sector of a valid postcode: outward code, space, first inward digit (NR1 1AA -> NR1 1). -#}
{% macro postcode_sector(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_postcode(value) -%}
    case when {{ regex_matches(normalised, uk_postcode_pattern()) }} then substr({{ normalised }}, 1, length({{ normalised }}) - 2) end
{%- endmacro %}

{#- Postcode area of a valid postcode: its leading letters (NR1 1AA -> NR, E1 6AN -> E). -#}
{% macro postcode_area(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_postcode(value) -%}
    case when {{ regex_matches(normalised, uk_postcode_pattern()) }} then {{ regex_extract(normalised, '^[A-Z]+', 0) }} end
{%- endmacro %}
