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

{#- The bronze rows a staging model reads: all of them on a full build; on an incremental build the
    rows of files not staged yet and, with `bronze_key` (the bronze columns the staged key is made of,
    in the same order as the config's key), every row of the keys those files deliver. Keys compare
    as row values, in which DuckDB treats two missing values as equal, as the window's partition does. -#}
{% macro new_bronze_rows(bronze_relation, bronze_key=none) -%}
    select * from {{ bronze_relation }}
    {%- if is_incremental() %}
    where _file_id not in (select distinct _file_id from {{ this }})
        {%- if bronze_key %}
        or ({{ bronze_key | join(', ') }}) in (
            select ({{ bronze_key | join(', ') }})
            from {{ bronze_relation }}
            where _file_id not in (select distinct _file_id from {{ this }})
        )
        {%- endif %}
    {%- endif %}
{%- endmacro %}
