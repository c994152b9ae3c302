{#- A 'yyyy-mm-dd hh:mi:ss' text expression as a timestamp (without time zone), or null when it is
    not a real date and time (never an error: the normalisation macros call it only on text they
    have already shaped and checked). -#}
{% macro try_cast_timestamp(value) -%}
    {{ return(adapter.dispatch('try_cast_timestamp', 'oe_platform')(value)) }}
{%- endmacro %}

{% macro default__try_cast_timestamp(value) -%}
    cast({{ value }} as timestamp)
{%- endmacro %}

{% macro duckdb__try_cast_timestamp(value) -%}
    try_cast({{ value }} as timestamp)
{%- endmacro %}

{% macro spark__try_cast_timestamp(value) -%}
    try_to_timestamp({{ value }}, 'yyyy-MM-dd HH:mm:ss')
{%- endmacro %}
