{#- Police and health identifiers with their check characters (DOMAIN.md):
      PNC ID   YYYY/NNNNNNNC  check letter = ZABCDEFGHJKLMNPQRTUVWXY[int(YY + serial padded to 7) mod 23]
      CRO      NNNNNN/YYC or SFYY/NNNNNNC  same alphabet, int(YY + serial padded to 6) mod 23
      NHS      10 digits, weights 10..2 on digits 1-9, check = 11 - (sum mod 11), 11 -> 0, 10 invalid
    Each has a normalise_ macro (canonical form, or the cleaned text when it cannot be put in that
    form) and a _status macro (missing, invalid_format, invalid_check_letter/digit, valid) that takes
    an optional `normalised` expression already holding the normalise_ result. -#}

{#- The check letter of the digits in a text expression: ZABCDEFGHJKLMNPQRTUVWXY[int mod 23]. -#}
{% macro mod23_check_letter(digits) -%}
    substr('ZABCDEFGHJKLMNPQRTUVWXY', cast(mod(cast({{ digits }} as bigint), 23) as int) + 1, 1)
{%- endmacro %}

{#- Upper case, every character but letters, digits and / removed. -#}
{% macro _identifier_clean(value) -%}
    nullif({{ regex_replace('upper(' ~ value ~ ')', '[^A-Z0-9/]', '') }}, '')
{%- endmacro %}

{#- Four-digit year of a two-digit PNC year: this century when not after this year, else the last
    (81 -> 1981, 02 -> 2002). -#}
{% macro _pnc_year(two_digits) -%}
    case
        when cast({{ two_digits }} as int) <= mod(cast(extract(year from current_date) as int), 100)
            then '20'
        else '19'
    end || {{ two_digits }}
{%- endmacro %}

{#- PNC ID as YYYY/NNNNNNNC: serial zero-padded to 7, short forms expanded (81/34U -> 1981/0000034U),
    the slash restored in a 12-character form (20010012345H -> 2001/0012345H). -#}
{% macro normalise_pnc_id(value) -%}
    {%- set clean = _identifier_clean(value) -%}
    {%- set serial = "lpad(" ~ regex_extract(clean, '/([0-9]+)', 1) ~ ", 7, '0')" -%}
    {%- set letter = 'substr(' ~ clean ~ ', length(' ~ clean ~ '), 1)' -%}
    case
        when {{ regex_matches(clean, '^[0-9]{4}/[0-9]{1,7}[A-Z]$') }}
            then substr({{ clean }}, 1, 5) || {{ serial }} || {{ letter }}
        when {{ regex_matches(clean, '^[0-9]{2}/[0-9]{1,7}[A-Z]$') }}
            then {{ _pnc_year('substr(' ~ clean ~ ', 1, 2)') }} || '/' || {{ serial }} || {{ letter }}
        when {{ regex_matches(clean, '^[0-9]{11}[A-Z]$') }}
            then substr({{ clean }}, 1, 4) || '/' || substr({{ clean }}, 5, 8)
        else {{ clean }}
    end
{%- endmacro %}

{% macro pnc_id_status(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_pnc_id(value) -%}
    case
        when ({{ normalised }}) is null then 'missing'
        when not {{ regex_matches(normalised, '^[0-9]{4}/[0-9]{7}[A-HJ-NP-RT-Z]$') }} then 'invalid_format'
        when substr({{ normalised }}, 13, 1)
            != {{ mod23_check_letter('substr(' ~ normalised ~ ', 3, 2) || substr(' ~ normalised ~ ', 6, 7)') }}
            then 'invalid_check_letter'
        else 'valid'
    end
{%- endmacro %}

{#- CRO number as NNNNNN/YYC (serial zero-padded to 6: 65656/91H -> 065656/91H) or SFYY/NNNNNNC. -#}
{% macro normalise_cro_number(value) -%}
    {%- set clean = _identifier_clean(value) -%}
    case
        when {{ regex_matches(clean, '^[0-9]{1,6}/[0-9]{2}[A-Z]$') }}
            then lpad({{ dbt.split_part(clean, "'/'", 1) }}, 6, '0') || '/' || {{ dbt.split_part(clean, "'/'", 2) }}
        when {{ regex_matches(clean, '^SF[0-9]{2}/[0-9]{1,6}[A-Z]$') }}
            then substr({{ clean }}, 1, 5)
            || lpad({{ regex_extract(clean, '/([0-9]+)', 1) }}, 6, '0')
            || substr({{ clean }}, length({{ clean }}), 1)
        else {{ clean }}
    end
{%- endmacro %}

{% macro cro_number_status(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_cro_number(value) -%}
    case
        when ({{ normalised }}) is null then 'missing'
        when {{ regex_matches(normalised, '^[0-9]{6}/[0-9]{2}[A-HJ-NP-RT-Z]$') }} then
            case
                when substr({{ normalised }}, 10, 1)
                    = {{ mod23_check_letter('substr(' ~ normalised ~ ', 8, 2) || substr(' ~ normalised ~ ', 1, 6)') }}
                    then 'valid'
                else 'invalid_check_letter'
            end
        when {{ regex_matches(normalised, '^SF[0-9]{2}/[0-9]{6}[A-HJ-NP-RT-Z]$') }} then
            case
                when substr({{ normalised }}, 12, 1)
                    = {{ mod23_check_letter('substr(' ~ normalised ~ ', 3, 2) || substr(' ~ normalised ~ ', 6, 6)') }}
                    then 'valid'
                else 'invalid_check_letter'
            end
        else 'invalid_format'
    end
{%- endmacro %}

{#- NHS number as its 10 digits (spaces and dashes removed); other text kept, upper-cased. -#}
{% macro normalise_nhs_number(value) -%}
    nullif({{ regex_replace('upper(' ~ value ~ ')', '[^0-9A-Z]', '') }}, '')
{%- endmacro %}

{% macro nhs_number_status(value, normalised=none) -%}
    {%- set normalised = normalised or normalise_nhs_number(value) -%}
    {%- set weighted -%}
        {%- for position in range(1, 10) -%}
            cast(substr({{ normalised }}, {{ position }}, 1) as int) * {{ 11 - position }}{{ ' + ' if not loop.last }}
        {%- endfor -%}
    {%- endset -%}
    case
        when ({{ normalised }}) is null then 'missing'
        when not {{ regex_matches(normalised, '^[0-9]{10}$') }} then 'invalid_format'
        when mod(11 - mod({{ weighted }}, 11), 11) = cast(substr({{ normalised }}, 10, 1) as int) then 'valid'
        else 'invalid_check_digit'
    end
{%- endmacro %}
