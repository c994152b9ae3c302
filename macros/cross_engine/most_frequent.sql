{#- The most frequent non-null value of a column within a group (ties: the smallest value). -#}
{% macro most_frequent(column) -%}
    {{ return(adapter.dispatch('most_frequent', 'oe_platform')(column)) }}
{%- endmacro %}

{% macro default__most_frequent(column) -%}
    mode({{ column }} order by {{ column }})
{%- endmacro %}

{% macro spark__most_frequent(column) -%}
    mode({{ column }}, true)
{%- endmacro %}
