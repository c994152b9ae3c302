{#- Similarity of two strings in [0, 1], 1 = identical: Jaro-Winkler where the engine has it
    (DuckDB), otherwise 1 - Levenshtein distance / longer length (Spark; documented as an
    approximation in docs/normalisation.md). Null when either side is null. -#}
{% macro string_similarity(left, right) -%}
    {{ return(adapter.dispatch('string_similarity', 'oe_platform')(left, right)) }}
{%- endmacro %}

{% macro default__string_similarity(left, right) -%}
    (1.0 - cast({{ edit_distance(left, right) }} as double precision)
        / nullif(greatest(length({{ left }}), length({{ right }})), 0))
{%- endmacro %}

{% macro duckdb__string_similarity(left, right) -%}
    jaro_winkler_similarity({{ left }}, {{ right }})
{%- endmacro %}

{% macro spark__string_similarity(left, right) -%}
    (1.0 - cast(levenshtein({{ left }}, {{ right }}) as double)
        / nullif(greatest(length({{ left }}), length({{ right }})), 0))
{%- endmacro %}
