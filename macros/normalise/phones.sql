{#- Phone numbers as E.164 (+447700900123) with a type and a status. Accepted spellings: +44, 0044
    and 44 prefixes, a "(0)" trunk digit, spaces, dashes, dots, brackets, slashes and words such as
    "Tel:" or "mob" around the number; a UK number that lost its leading 0 in a spreadsheet
    (7700900123). Ofcom rules as in DOMAIN.md: mobile 07 then [1-5,7-9]xx or 7624 then six digits;
    landline 01/02 (9 or 10 national digits); non-geographic 03, 055/056, 070, 080, 084, 087, 09.
    normalise_phone, phone_type and phone_status take an optional `digits` expression already
    holding phone_digits(value), so a model cleans the text once. -#}

{#- Digits and a leading +, nothing else; "(0)" removed first. -#}
{% macro phone_digits(value) -%}
    nullif({{ regex_replace(regex_replace(value, '[(] *0 *[)]', ''), '[^0-9+]', '') }}, '')
{%- endmacro %}

{#- The UK national significant number (no leading 0) of a cleaned phone, or null when the number
    is not a UK number. -#}
{% macro _phone_uk_national(digits) -%}
    case
        when {{ digits }} like '+44%' then {{ _without_leading_zero('substr(' ~ digits ~ ', 4)') }}
        when {{ digits }} like '0044%' then {{ _without_leading_zero('substr(' ~ digits ~ ', 5)') }}
        when {{ digits }} like '+%' or {{ digits }} like '00%' then null
        when {{ digits }} like '0%' then substr({{ digits }}, 2)
        when {{ regex_matches(digits, '^44[1-9][0-9]{8,9}$') }} then substr({{ digits }}, 3)
        when {{ regex_matches(digits, '^[1-9][0-9]{8,9}$') }} then {{ digits }}
    end
{%- endmacro %}

{% macro _without_leading_zero(value) -%}
    case when substr({{ value }}, 1, 1) = '0' then substr({{ value }}, 2) else {{ value }} end
{%- endmacro %}

{#- Country code and number of a cleaned non-UK international phone (+33…, 0033…), else null. -#}
{% macro _phone_international(digits) -%}
    case
        when {{ digits }} like '+44%' or {{ digits }} like '0044%' then null
        when {{ digits }} like '+%' then substr({{ digits }}, 2)
        when {{ digits }} like '00%' then substr({{ digits }}, 3)
    end
{%- endmacro %}

{#- E.164 form: +44 and the national number for a UK number, + and the digits for an international
    one. Also returned for an invalid number (phone_status flags it); null only when no digit. -#}
{% macro normalise_phone(value, digits=none) -%}
    {%- set digits = digits or phone_digits(value) -%}
    case
        when {{ _phone_uk_national(digits) }} is not null then '+44' || {{ _phone_uk_national(digits) }}
        when {{ _phone_international(digits) }} is not null then '+' || {{ _phone_international(digits) }}
        else {{ digits }}
    end
{%- endmacro %}

{#- mobile, landline, non_geographic (UK) or international when the number is valid; null otherwise. -#}
{% macro phone_type(value, digits=none) -%}
    {%- set digits = digits or phone_digits(value) -%}
    {%- set national = _phone_uk_national(digits) -%}
    {%- set international = _phone_international(digits) -%}
    case
        when {{ regex_matches(national, '^7(?:[1-57-9][0-9]{2}|624)[0-9]{6}$') }} then 'mobile'
        when {{ regex_matches(national, '^[12][0-9]{8,9}$') }} then 'landline'
        when {{ regex_matches(national, '^(?:3[0-9]{9}|5[56][0-9]{8}|70[0-9]{8}|80[08][0-9]{6,7}|8[47][0-9]{8}|9[0-9]{9})$') }}
            then 'non_geographic'
        when {{ regex_matches(international, '^[1-9][0-9]{6,14}$') }} then 'international'
    end
{%- endmacro %}

{#- missing (blank or no digit), valid (a phone_type applies), invalid. -#}
{% macro phone_status(value, digits=none) -%}
    {%- set digits = digits or phone_digits(value) -%}
    case
        when ({{ digits }}) is null then 'missing'
        when ({{ phone_type(value, digits) }}) is not null then 'valid'
        else 'invalid'
    end
{%- endmacro %}

{#- The E.164 shape, shared with the valid_e164_phone data test. -#}
{% macro e164_pattern() -%}
    {{ return('^[+][1-9][0-9]{6,14}$') }}
{%- endmacro %}
