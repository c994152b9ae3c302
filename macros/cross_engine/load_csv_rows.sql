{#- Seeds on Spark. dbt-spark's session method binds seed values by wrapping each string in quotes
    without escaping, so a value with an apostrophe ("the person's staged role") or a backslash
    breaks the insert. This override writes every value as a literal through sql_string_literal
    (Spark's escaping) instead of a binding, an empty field as null; otherwise as dbt-spark's
    spark__load_csv_rows. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set batch_size = get_batch_size() -%}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(batch_size) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                ({%- for col_name in agate_table.column_names -%}
                    {%- set value = row[loop.index0] -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ oe_platform._seed_literal(value) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%})
                {%- if not loop.last %},{% endif %}
            {% endfor %}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro _seed_literal(value) -%}
    {#- an empty field is null, as DuckDB's CSV reader (dbt-duckdb's seeds) reads it; dbt keeps it as
        '' in the columns a seed types with column_types -#}
    {%- if value is none or (value is string and value == '') -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        {{ oe_platform.sql_string_literal(value | string) }}
    {%- endif -%}
{%- endmacro %}
