{#- True when the SQL expression `value` contains a match of the regex `pattern` (a Jinja string,
    RE2/Java syntax; anchor it with ^...$ for a full match). Null in, null out. -#}
{% macro regex_matches(value, pattern) -%}
    {{ return(adapter.dispatch('regex_matches', 'oe_platform')(value, pattern)) }}
{%- endmacro %}

{% macro default__regex_matches(value, pattern) -%}
    ({{ value }} ~ {{ sql_string_literal(pattern) }})
{%- endmacro %}

{% macro duckdb__regex_matches(value, pattern) -%}
    regexp_matches({{ value }}, {{ sql_string_literal(pattern) }})
{%- endmacro %}

{% macro spark__regex_matches(value, pattern) -%}
    ({{ value }} rlike {{ sql_string_literal(pattern) }})
{%- endmacro %}
