{#- A Jinja string rendered as a SQL string literal.
    DuckDB (and ANSI engines) double an embedded quote and take backslashes literally; Spark SQL
    treats backslash as an escape character and concatenates adjacent literals, so it needs \' and \\.
    Every regex pattern of the normalisation macros goes through here. -#}
{% macro sql_string_literal(text) -%}
    {{ return(adapter.dispatch('sql_string_literal', 'oe_platform')(text)) }}
{%- endmacro %}

{% macro default__sql_string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro duckdb__sql_string_literal(text) -%}
    '{{ text | replace("'", "''") }}'
{%- endmacro %}

{% macro spark__sql_string_literal(text) -%}
    '{{ text | replace("\\", "\\\\") | replace("'", "\\'") }}'
{%- endmacro %}
