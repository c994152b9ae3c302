{#- A select-list expression that turns one row into one row per part of `value` split on the
    literal one-character `delimiter` (a Jinja string), e.g. 'CSE;CCE' -> 'CSE', 'CCE'. A row whose
    value is null yields no row, so callers left join the parts back to keep every input row. -#}
{% macro split_to_rows(value, delimiter) -%}
    {{ return(adapter.dispatch('split_to_rows', 'oe_platform')(value, delimiter)) }}
{%- endmacro %}

{% macro default__split_to_rows(value, delimiter) -%}
    unnest(string_to_array({{ value }}, {{ sql_string_literal(delimiter) }}))
{%- endmacro %}

{% macro duckdb__split_to_rows(value, delimiter) -%}
    unnest(string_split({{ value }}, {{ sql_string_literal(delimiter) }}))
{%- endmacro %}

{#- Spark's split takes a regex: the delimiter is bracketed so that . | ; and the like stay literal. -#}
{% macro spark__split_to_rows(value, delimiter) -%}
    explode(split({{ value }}, {{ sql_string_literal('[' ~ delimiter ~ ']') }}))
{%- endmacro %}
