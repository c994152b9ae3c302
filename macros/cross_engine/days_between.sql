{#- Whole days from date `start` to date `finish` (positive when finish is later). Shorter SQL than
    dbt.datediff, which casts to timestamps on DuckDB; for dates both engines count exact days. -#}
{% macro days_between(start, finish) -%}
    {{ return(adapter.dispatch('days_between', 'oe_platform')(start, finish)) }}
{%- endmacro %}

{% macro default__days_between(start, finish) -%}
    date_diff('day', {{ start }}, {{ finish }})
{%- endmacro %}

{#- bigint as DuckDB's date_diff (Spark's datediff is an int), so contracts see one type -#}
{% macro spark__days_between(start, finish) -%}
    cast(datediff({{ finish }}, {{ start }}) as bigint)
{%- endmacro %}
