{#- Replace every match of the regex `pattern` (a Jinja string) in the SQL expression `value` by
    the literal `replacement` (a Jinja string; no back-references: their syntax differs by engine). -#}
{% macro regex_replace(value, pattern, replacement) -%}
    {{ return(adapter.dispatch('regex_replace', 'oe_platform')(value, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regex_replace(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ sql_string_literal(pattern) }}, {{ sql_string_literal(replacement) }}, 'g')
{%- endmacro %}

{% macro duckdb__regex_replace(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ sql_string_literal(pattern) }}, {{ sql_string_literal(replacement) }}, 'g')
{%- endmacro %}

{% macro spark__regex_replace(value, pattern, replacement) -%}
    regexp_replace({{ value }}, {{ sql_string_literal(pattern) }}, {{ sql_string_literal(replacement) }})
{%- endmacro %}
