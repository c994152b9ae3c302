{#- A column type as declared in YAML (DuckDB's names: varchar, integer, timestamp with time zone)
    in the engine's own spelling, for DDL the project writes itself (the Parquet source tables).
    Contracts declare types both engines accept (string, integer, bigint, double, date, boolean). -#}
{% macro column_type(data_type) -%}
    {{ return(adapter.dispatch('column_type', 'oe_platform')(data_type)) }}
{%- endmacro %}

{% macro default__column_type(data_type) -%}
    {{ return(data_type) }}
{%- endmacro %}

{% macro spark__column_type(data_type) -%}
    {%- set name = data_type | lower | trim -%}
    {%- set spark_names = {
        'varchar': 'string', 'text': 'string', 'string': 'string',
        'timestamp with time zone': 'timestamp', 'timestamptz': 'timestamp',
        'integer': 'int', 'int4': 'int', 'int8': 'bigint', 'float8': 'double',
    } -%}
    {{ return(spark_names.get(name, name)) }}
{%- endmacro %}
