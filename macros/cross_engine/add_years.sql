{#- A date plus a whole number of years (29 February + 1 year = 28 February). Null in, null out. -#}
{% macro add_years(day, years) -%}
    {{ return(adapter.dispatch('add_years', 'oe_platform')(day, years)) }}
{%- endmacro %}

{% macro default__add_years(day, years) -%}
    cast({{ day }} + to_years(cast({{ years }} as integer)) as date)
{%- endmacro %}

{% macro spark__add_years(day, years) -%}
    add_months({{ day }}, 12 * cast({{ years }} as int))
{%- endmacro %}
