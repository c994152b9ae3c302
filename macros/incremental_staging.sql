{#- Incremental staging (docs/scale.md, "Incremental staging").

    A staged row is a function of its bronze row, the reference seeds and, for the current-version
    flag, the other versions of the same key. So on a delivery day a staging model needs to read
    only the rows of files it has not staged yet and, when it flags versions, every earlier row of
    the keys those files touch. The model is then `incremental` with strategy delete+insert on that
    key: the rows of those keys are replaced by their re-staged versions, every other row stays.

    Anything that changes rows already staged (an erasure rewriting bronze, a changed model, macro or
    seed) makes the next pipeline run build staging with --full-refresh (oe_platform/staging_state.py);
    a build outside the pipeline on a warehouse left by an older project should use it too.
    On targets other than DuckDB the models stay tables (rebuilt whole): dbt-spark has no
    delete+insert on Parquet tables. -#}

{#- The config of an incremental staging model. `key`: the staged columns of its version key (as in
    its row_number() window), none for a model with one staged row per bronze row and no window. -#}
{% macro incremental_staging_config(key=none) -%}
    {%- if target.type == 'duckdb' -%}
        {%- if key -%}
            {{ config(materialized='incremental', incremental_strategy='delete+insert',
                      unique_key='(' ~ key | join(', ') ~ ')', on_schema_change='fail') }}
        {%- else -%}
            {{ config(materialized='incremental', incremental_strategy='append', on_schema_change='fail') }}
        {%- endif -%}
    {%- else -%}
        {{ config(materialized='table') }}
    {%- endif -%}
{%- endmacro %}

{#- The bronze rows a staging model reads (source `bronze`.`table_name`): all of them on a full build.
    On an incremental build, the rows of the bronze files not staged yet and, with `bronze_key` (the
    bronze expressions the staged key is made of) and `staged_key` (the model's key columns, in the
    same order), every row of the keys those files deliver.

    Only those files are opened: the bronze view reads its folder with union_by_name, which opens
    every file's footer to bind (a second for a source of three thousand daily files), so the new
    files come from the folder's listing (file name = _file_id) less the file ids already staged, and
    the earlier versions of the keys they deliver from the file ids the model staged them from. The
    folder's zero-row _empty.parquet is read too: it carries every column of the entity, so a column
    no chosen file has is still there. Keys compare as row values, in which DuckDB treats two missing
    values as equal, as the window's partition does. -#}
{% macro new_bronze_rows(table_name, bronze_key=none, staged_key=none) -%}
    {%- set relation = source('bronze', table_name) -%}
    {#- a unit test renders the model with no relation of its own (`this` is none), and compile and docs
        show the full read (column lineage follows it to the bronze source): only run and build read less -#}
    {%- if this is none or flags.WHICH not in ('run', 'build') or not (execute and is_incremental()) %}
    select * from {{ relation }}
    {%- else -%}
        {%- set folder = env_var('OE_LAKE', 'lake') ~ '/' ~ oe_platform.bronze_folder(table_name) -%}
        {%- set listing -%}
            select file, parse_filename(file, true) as file_id
            from glob({{ oe_platform.sql_string_literal(folder ~ '/**/*.parquet') }})
        {%- endset -%}
        {%- set new_files = run_query(
            "select file, file_id from (" ~ listing ~ ") where file_id <> '_empty' and file_id not in "
            ~ "(select distinct _file_id from " ~ this ~ ") order by file") -%}
        {%- set new_paths = new_files.columns[0].values() | list -%}
        {%- set new_ids = new_files.columns[1].values() | list -%}
        {%- set empty = folder ~ '/_empty.parquet' -%}
        {%- set paths = [empty] + new_paths -%}
        {%- if bronze_key and new_paths -%}
            {%- set earlier -%}
                with delivered as (
                    select distinct ({{ bronze_key | join(', ') }}) as delivered_key
                    from {{ oe_platform.read_bronze_files([empty] + new_paths) }}
                ),

                earlier_files as (
                    select distinct _file_id from {{ this }}
                    where ({{ staged_key | join(', ') }}) in (select delivered_key from delivered)
                )

                select listing.file
                from ({{ listing }}) as listing
                inner join earlier_files on listing.file_id = earlier_files._file_id
                order by listing.file
            {%- endset -%}
            {%- set paths = paths + (run_query(earlier).columns[0].values() | list) -%}
        {%- endif %}
    select * from {{ oe_platform.read_bronze_files(paths) }}
        {%- if bronze_key and new_paths %}
    where _file_id in (
        {%- for file_id in new_ids %}
        {{ oe_platform.sql_string_literal(file_id) }}{{ ", " if not loop.last }}
        {%- endfor %}
    )
        or ({{ bronze_key | join(', ') }}) in (
            select ({{ bronze_key | join(', ') }}) from {{ oe_platform.read_bronze_files([empty] + new_paths) }}
        )
        {%- endif %}
    {%- endif %}
{%- endmacro %}

{#- The lake folder of a bronze source table (its meta.parquet_path). -#}
{% macro bronze_folder(table_name) -%}
    {%- for node in graph.sources.values() if node.source_name == 'bronze' and node.name == table_name -%}
        {{ return((node.config.get('meta', {}) or node.meta).get('parquet_path')) }}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error("no bronze source table named " ~ table_name) }}
{%- endmacro %}

{#- Parquet files as the bronze views read them (by column name, no hive partitions). -#}
{% macro read_bronze_files(paths) -%}
    read_parquet([
        {%- for path in paths %}{{ oe_platform.sql_string_literal(path) }}{{ ", " if not loop.last }}{% endfor -%}
    ], union_by_name = true, hive_partitioning = false)
{%- endmacro %}
