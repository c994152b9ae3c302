{#- A double as text, the same on every engine, for keys built from coordinates (oe_hash). DuckDB
    prints the shortest decimal without an exponent for such values (-0.000676); Spark's cast gives
    Java's form (-6.76E-4), so on Spark the value goes through a decimal with 12 places and the
    trailing zeros are cut (keeping one digit after the point, as DuckDB prints 1.0). Equal to
    DuckDB's text for values with at most 12 decimal places that DuckDB prints without an exponent
    (coordinates, amounts). Null in, null out. -#}
{% macro double_text(value) -%}
    {{ return(adapter.dispatch('double_text', 'oe_platform')(value)) }}
{%- endmacro %}

{% macro default__double_text(value) -%}
    cast({{ value }} as string)
{%- endmacro %}

{% macro spark__double_text(value) -%}
    regexp_replace(
        regexp_replace(cast(cast({{ value }} as decimal(38, 12)) as string), '0+$', ''),
        '[.]$', '.0'
    )
{%- endmacro %}
