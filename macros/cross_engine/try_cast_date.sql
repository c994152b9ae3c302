{#- An ISO yyyy-mm-dd text expression as a date, or null when it is not a real calendar date
    (never an error: the normalisation macros call it only on text they have already shaped). -#}
{% macro try_cast_date(value) -%}
    {{ return(adapter.dispatch('try_cast_date', 'oe_platform')(value)) }}
{%- endmacro %}

{% macro default__try_cast_date(value) -%}
    cast({{ value }} as date)
{%- endmacro %}

{% macro duckdb__try_cast_date(value) -%}
    try_cast({{ value }} as date)
{%- endmacro %}

{% macro spark__try_cast_date(value) -%}
    cast(try_to_timestamp({{ value }}, 'yyyy-MM-dd') as date)
{%- endmacro %}
