{#- The data tests of a delivery day (docs/scale.md, "A delivery day's data tests").

    On an incremental build of staging the pipeline sets OE_STAGING_TEST_FILES to `files:` and the ids
    of the bronze files ingested since the last build whose data tests all passed
    (oe_platform/staging_state.py). The row-level data tests of an incremental staging model then
    check only the rows of those files: every other row was checked by an earlier build and has not
    changed since (a change to rows already staged, or to the code, rebuilds staging whole, and then
    every test reads every row). Tests that compare rows with each other (unique,
    unique_combination_of_columns) and singular tests always read the whole table; so does every test
    of a model rebuilt whole. Without the variable (a full refresh, a build outside the pipeline, a
    first build, the spark target) every test reads every row. -#}

{#- Data tests whose verdict on a table is the verdict on each of its rows (row_count_matches: on
    each file's rows, both sides limited to the same files). -#}
{% macro staging_row_level_tests() -%}
    {{ return(['not_null', 'accepted_values', 'relationships', 'relationships_where', 'column_values',
               'accepted_code_from_seed', 'valid_uk_postcode', 'valid_e164_phone', 'valid_pnc_id',
               'valid_cro_number', 'value_between', 'row_count_matches']) }}
{%- endmacro %}

{#- The condition that limits the data test being compiled to the rows of the new files, or none when
    it reads every row. Read only while executing (never while parsing, so the variable is not part
    of dbt's parse and a day's value does not make dbt parse the project again). -#}
{% macro staging_test_file_scope() -%}
    {%- if not execute or model is not mapping or model.get('resource_type') != 'test' -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set ids = oe_platform.staging_test_file_ids() -%}
    {%- if ids is none -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set test_name = (model.get('test_metadata') or {}).get('name') -%}
    {%- if test_name not in oe_platform.staging_row_level_tests() -%}
        {{ return(none) }}
    {%- endif -%}
    {%- set attached = graph.nodes.get(model.get('attached_node') or '') -%}
    {%- if not attached or attached.config.materialized != 'incremental'
          or 'staging' not in attached.fqn -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return('_file_id in ' ~ oe_platform.sql_in_list(ids) if ids else 'false') }}
{%- endmacro %}

{#- The ids of the day's files (OE_STAGING_TEST_FILES); none when it is not set (every row is read). -#}
{% macro staging_test_file_ids() -%}
    {%- set scope = env_var('OE_STAGING_TEST_FILES', '') -%}
    {{ return(scope[6:].split(',') | select | list if scope.startswith('files:') else none) }}
{%- endmacro %}

{#- The day's files of bronze table `table_name`, read directly (each bronze file is named by its file
    id): filtering the bronze view by _file_id instead would read that column from every file of
    the folder, where its count alone reads only their footers. Its zero-row _empty.parquet is read
    too, so a day without a file of this table still has every column. -#}
{% macro staging_test_bronze_files(table_name) -%}
    {%- set folder = env_var('OE_LAKE', 'lake') ~ '/' ~ oe_platform.bronze_folder(table_name) -%}
    {%- set ids = oe_platform.staging_test_file_ids() or [] -%}
    {%- set paths = [folder ~ '/_empty.parquet'] -%}
    {%- if ids -%}
        {%- set found = run_query(
            "select file from glob(" ~ oe_platform.sql_string_literal(folder ~ '/**/*.parquet') ~ ") "
            ~ "where parse_filename(file, true) in " ~ oe_platform.sql_in_list(ids) ~ " order by file") -%}
        {%- set paths = paths + (found.columns[0].values() | list) -%}
    {%- endif -%}
    {{ return(oe_platform.read_bronze_files(paths)) }}
{%- endmacro %}

{#- dbt wraps the model a data test reads in this (its `where` config, then the day's file scope). -#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] -%}
    {%- set where = config.get('where') -%}
    {%- if where -%}
        {%- do conditions.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {%- set scope = oe_platform.staging_test_file_scope() -%}
    {%- if scope -%}
        {%- do conditions.append(scope) -%}
    {%- endif -%}
    {%- if conditions -%}
        {{ return('(select * from ' ~ relation ~ ' where ' ~ conditions | join(' and ') ~ ') dbt_subquery') }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
