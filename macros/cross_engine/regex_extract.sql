{#- The text captured by group `group` (an integer, 0 = whole match) of the first match of the regex
    `pattern` (a Jinja string) in the SQL expression `value`; null when there is no match or the
    group is empty, on every engine (DuckDB and Spark return '' natively). -#}
{% macro regex_extract(value, pattern, group=0) -%}
    {{ return(adapter.dispatch('regex_extract', 'oe_platform')(value, pattern, group)) }}
{%- endmacro %}

{% macro default__regex_extract(value, pattern, group=0) -%}
    {%- if group == 0 -%}
    nullif(substring({{ value }} from {{ sql_string_literal(pattern) }}), '')
    {%- else -%}
    nullif((regexp_match({{ value }}, {{ sql_string_literal(pattern) }}))[{{ group }}], '')
    {%- endif -%}
{%- endmacro %}

{% macro duckdb__regex_extract(value, pattern, group=0) -%}
    nullif(regexp_extract({{ value }}, {{ sql_string_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}

{% macro spark__regex_extract(value, pattern, group=0) -%}
    nullif(regexp_extract({{ value }}, {{ sql_string_literal(pattern) }}, {{ group }}), '')
{%- endmacro %}
