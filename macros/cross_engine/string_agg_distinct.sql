{#- An aggregate: the distinct non-null values of `column` within a group, sorted, joined by the
    literal `delimiter` (a Jinja string), e.g. crime, intel, crime -> 'crime;intel'; null when the
    group has no non-null value. Used for lists of sources on conformed link tables. -#}
{% macro string_agg_distinct(column, delimiter=';') -%}
    {{ return(adapter.dispatch('string_agg_distinct', 'oe_platform')(column, delimiter)) }}
{%- endmacro %}

{% macro default__string_agg_distinct(column, delimiter) -%}
    string_agg(distinct {{ column }}, {{ sql_string_literal(delimiter) }} order by {{ column }})
{%- endmacro %}

{#- collect_set drops nulls; an empty set joins to '', so nullif keeps "no value" as null. -#}
{% macro spark__string_agg_distinct(column, delimiter) -%}
    nullif(array_join(array_sort(collect_set({{ column }})), {{ sql_string_literal(delimiter) }}), '')
{%- endmacro %}
