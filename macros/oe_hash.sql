{#- A stable surrogate key: md5 of the given expressions joined by '|', nulls as empty strings.
    md5 and concat_ws exist on DuckDB and Spark alike, so no dispatch is needed. -#}
{% macro oe_hash(expressions) -%}
    md5(concat_ws('|'
    {%- for expression in expressions -%}
        , coalesce(cast({{ expression }} as string), '')
    {%- endfor -%}
    ))
{%- endmacro %}
