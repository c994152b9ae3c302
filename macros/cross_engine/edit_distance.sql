{#- Levenshtein edit distance between two string expressions (insertions, deletions, substitutions). -#}
{% macro edit_distance(left, right) -%}
    {{ return(adapter.dispatch('edit_distance', 'oe_platform')(left, right)) }}
{%- endmacro %}

{% macro default__edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}

{% macro duckdb__edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}

{% macro spark__edit_distance(left, right) -%}
    levenshtein({{ left }}, {{ right }})
{%- endmacro %}
