{#- Numbers delivered as text: the value when it has the expected shape, else null, and a status so
    a malformed number is kept visible beside its raw text. -#}

{#- A whole number delivered as text ("437", " 12 ", "437.0" from a spreadsheet cell); null otherwise. -#}
{% macro normalise_integer(value) -%}
    case
        when {{ regex_matches('trim(' ~ value ~ ')', '^-?[0-9]{1,9}([.]0+)?$') }}
            then cast({{ regex_extract('trim(' ~ value ~ ')', '^-?[0-9]+', 0) }} as int)
    end
{%- endmacro %}

{#- valid, missing or invalid_format, for normalise_integer. -#}
{% macro integer_status(value) -%}
    case
        when {{ blank_to_null(value) }} is null then 'missing'
        when {{ regex_matches('trim(' ~ value ~ ')', '^-?[0-9]{1,9}([.]0+)?$') }} then 'valid'
        else 'invalid_format'
    end
{%- endmacro %}

{#- A decimal number delivered as text ("-0.241280", "51.6"); null otherwise. -#}
{% macro normalise_decimal(value) -%}
    case
        when {{ regex_matches('trim(' ~ value ~ ')', '^-?[0-9]{1,12}([.][0-9]{1,12})?$') }}
            then cast(trim({{ value }}) as double)
    end
{%- endmacro %}
