{#- Shared text helpers of the normalisation macros. Each takes a SQL expression and returns one. -#}

{#- Null when the expression is null, empty or only spaces; otherwise it, trimmed. -#}
{% macro blank_to_null(value) -%}
    nullif(trim({{ value }}), '')
{%- endmacro %}

{#- A code as a join key for a reference seed: upper case, runs of anything but letters and digits
    folded to one underscore, no leading or trailing underscore ("Person Reporting" -> PERSON_REPORTING,
    " ic1 " -> IC1). Null when nothing is left. -#}
{% macro code_key(value) -%}
    nullif(
        {{ regex_replace(regex_replace('upper(trim(' ~ value ~ '))', '[^A-Z0-9]+', '_'), '^_+|_+$', '') }},
        ''
    )
{%- endmacro %}

{#- Free text (an address) for comparison: accents stripped, upper case, every run of characters
    other than letters and digits folded to one space, trimmed; null when nothing is left. -#}
{% macro normalise_text(value) -%}
    nullif(trim({{ regex_replace('upper(' ~ strip_accents(value) ~ ')', '[^A-Z0-9]+', ' ') }}), '')
{%- endmacro %}
