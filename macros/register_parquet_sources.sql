{#- Expose every Parquet-backed source (bronze tables, ingest bookkeeping, linkage outputs) as a view
    in the warehouse, so models, unit tests and the docs catalog see a real relation. A source opts
    in with meta.parquet_path: a folder under the lake (OE_LAKE) whose *.parquet files (recursively)
    form the table, or meta.parquet_glob: a glob under the lake. Runs on-run-start; idempotent.
    A view that is already what it would be recreated as is left alone (parquet_view_is_current):
    on DuckDB creating a view over thousands of files reads every file's footer, 2.8 s a run at
    tier M (docs/scale.md). -#}
{% macro register_parquet_sources() %}
    {% if execute %}
        {% set lake = env_var('OE_LAKE', 'lake') %}
        {% set schemas = [] %}
        {% for node in graph.sources.values() %}
            {% set meta = node.config.get('meta', {}) or node.meta %}
            {% set folder = meta.get('parquet_path') %}
            {% set pattern = meta.get('parquet_glob') or (folder ~ '/**/*.parquet' if folder else none) %}
            {% if pattern and not oe_platform.reads_external_location(node) %}
                {% if node.schema not in schemas %}
                    {% do schemas.append(node.schema) %}
                    {% do run_query(create_schema_if_missing(node.schema)) %}
                {% endif %}
                {% set path = lake ~ '/' ~ pattern %}
                {% if not oe_platform.parquet_view_is_current(node.schema, node.identifier, path, node.columns) %}
                    {% do run_query(create_parquet_view(node.schema, node.identifier, path, node.columns)) %}
                    {% do oe_platform.mark_parquet_view(node.schema, node.identifier, path, node.columns) %}
                {% endif %}
            {% endif %}
        {% endfor %}
    {% endif %}
{% endmacro %}

{#- True when the adapter reads this source from its external_location itself (dbt-duckdb does: the
    ingest bookkeeping sources are read_parquet() expressions), so no relation needs registering. -#}
{% macro reads_external_location(node) -%}
    {{ return(adapter.dispatch('reads_external_location', 'oe_platform')(node)) }}
{%- endmacro %}

{% macro default__reads_external_location(node) -%}
    {{ return(false) }}
{%- endmacro %}

{% macro duckdb__reads_external_location(node) -%}
    {{ return((node.config.get('external_location') or node.meta.get('external_location')) is not none) }}
{%- endmacro %}

{% macro create_schema_if_missing(schema_name) -%}
    {{ return(adapter.dispatch('create_schema_if_missing', 'oe_platform')(schema_name)) }}
{%- endmacro %}

{% macro default__create_schema_if_missing(schema_name) -%}
    create schema if not exists {{ schema_name }}
{%- endmacro %}

{#- Whether the relation over `pattern` exists and is what create_parquet_view would make now. Spark:
    never (the table is recreated on every run so that its file listing is current). -#}
{% macro parquet_view_is_current(schema_name, view_name, pattern, columns) -%}
    {{ return(adapter.dispatch('parquet_view_is_current', 'oe_platform')(schema_name, view_name, pattern, columns)) }}
{%- endmacro %}

{% macro default__parquet_view_is_current(schema_name, view_name, pattern, columns) -%}
    {{ return(false) }}
{%- endmacro %}

{#- DuckDB binds a view's query when the view is queried, so a view over a glob sees files written since
    it was created, with columns they add (union_by_name). It is current when its comment carries the
    signature of what it was created as: the glob read, or the typed empty relation of a folder with
    no files yet (which must become a read once files land). -#}
{% macro duckdb__parquet_view_is_current(schema_name, view_name, pattern, columns) -%}
    {%- set existing = run_query(
        "select comment from duckdb_views() where database_name = current_database() and schema_name = "
        ~ oe_platform.sql_string_literal(schema_name) ~ " and view_name = " ~ oe_platform.sql_string_literal(view_name)
    ) -%}
    {%- if existing.rows | length != 1 -%}
        {{ return(false) }}
    {%- endif -%}
    {{ return(existing.columns[0].values()[0] == oe_platform.duckdb_parquet_view_signature(pattern, columns)) }}
{%- endmacro %}

{% macro duckdb_parquet_view_signature(pattern, columns) -%}
    {%- set found = run_query("select count(*) from glob(" ~ oe_platform.sql_string_literal(pattern) ~ ")").columns[0].values()[0] -%}
    {%- if found > 0 -%}
        {{ return('oe_platform parquet view v1: read ' ~ pattern) }}
    {%- endif -%}
    {%- set typed = [] -%}
    {%- for column in columns.values() -%}
        {%- do typed.append(column.name ~ ' ' ~ (column.data_type or 'varchar')) -%}
    {%- endfor -%}
    {{ return('oe_platform parquet view v1: empty (' ~ typed | join(', ') ~ ') for ' ~ pattern) }}
{%- endmacro %}

{#- Record what the relation was created as (DuckDB: the view's comment), for parquet_view_is_current. -#}
{% macro mark_parquet_view(schema_name, view_name, pattern, columns) -%}
    {{ return(adapter.dispatch('mark_parquet_view', 'oe_platform')(schema_name, view_name, pattern, columns)) }}
{%- endmacro %}

{% macro default__mark_parquet_view(schema_name, view_name, pattern, columns) -%}
{%- endmacro %}

{% macro duckdb__mark_parquet_view(schema_name, view_name, pattern, columns) -%}
    {%- set signature = oe_platform.duckdb_parquet_view_signature(pattern, columns) -%}
    {%- do run_query("comment on view " ~ schema_name ~ "." ~ view_name ~ " is " ~ oe_platform.sql_string_literal(signature)) -%}
{%- endmacro %}

{% macro create_parquet_view(schema_name, view_name, pattern, columns) -%}
    {{ return(adapter.dispatch('create_parquet_view', 'oe_platform')(schema_name, view_name, pattern, columns)) }}
{%- endmacro %}

{#- Before anything has landed the folder is empty: the view is then an empty relation typed from
    the source's declared columns, so downstream models and tests still build. -#}
{% macro duckdb__create_parquet_view(schema_name, view_name, pattern, columns) -%}
    {%- set found = run_query("select count(*) from glob('" ~ pattern ~ "')").columns[0].values()[0] -%}
    create or replace view {{ schema_name }}.{{ view_name }} as
    {% if found > 0 -%}
    select * from read_parquet('{{ pattern }}', union_by_name = true, hive_partitioning = false)
    {%- else -%}
    select
    {%- for column in columns.values() %}
        cast(null as {{ column.data_type or 'varchar' }}) as {{ column.name }}{{ "," if not loop.last }}
    {%- endfor %}
    where false
    {%- endif %}
{%- endmacro %}

{#- Spark: an external Parquet table (a view cannot take reader options) over the pattern's folder,
    typed from the source's declared columns, so an empty or not yet written folder is an empty
    table and the types match DuckDB's. `folder/**/*.parquet` reads every file below the folder
    (recursiveFileLookup: the force=/delivery= folders are not partition columns, as with DuckDB's
    hive_partitioning = false); `folder/name.parquet` or `folder/*.parquet` the folder's matching
    files. Spark skips files whose name starts with _ or . (the zero-row _empty.parquet, tmp files).
    Recreated on every run so that the file listing is current. -#}
{% macro spark__create_parquet_view(schema_name, view_name, pattern, columns) -%}
    {%- if '/**/' in pattern -%}
        {%- set folder, file_glob = pattern.split('/**/', 1) -%}
        {%- set recursive = 'true' -%}
    {%- else -%}
        {%- set folder, file_glob = pattern.rsplit('/', 1) -%}
        {%- set recursive = 'false' -%}
    {%- endif -%}
    {%- do run_query('drop table if exists ' ~ schema_name ~ '.' ~ view_name) -%}
    create table {{ schema_name }}.{{ view_name }} (
    {%- for column in columns.values() %}
        {{ column.name }} {{ oe_platform.column_type(column.data_type or 'varchar') }}{{ "," if not loop.last }}
    {%- endfor %}
    )
    using parquet
    options (
        path {{ oe_platform.sql_string_literal(folder) }},
        pathGlobFilter {{ oe_platform.sql_string_literal(file_glob) }},
        recursiveFileLookup '{{ recursive }}'
    )
{%- endmacro %}
