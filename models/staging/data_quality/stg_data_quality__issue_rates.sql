-- Data-quality issue counts and rates per source, force, entity, column and rule: the checks of
-- stg_data_quality__issues (macro data_quality_checks) counted over the rows each staging model
-- checked for that force, over all staged rows and over current versions only. One row per
-- (model, force, column, rule) with at least one issue: a column with no issue for a force has no
-- row. Computed from the staging models directly (the same CTEs as the issues model), so it does
-- not depend on the issues view.
-- Materialised as a table, like every staging model: it reads every staging model, and a
-- view would re-plan all of them (seconds) on each query and each data test.

{{ config(materialized='table') }}
with

{{ data_quality_check_ctes() }},

counted as (

    select
        source_name,
        entity_name,
        model_name,
        force_code,
        column_name,
        rule,
        count(*) as row_count,
        sum(case when is_current then 1 when not is_current then 0 end) as current_row_count

    from check_results
    group by source_name, entity_name, model_name, force_code, column_name, rule

),

rated as (

    select
        *,
        sum(row_count) over (partition by model_name, force_code, column_name) as rows_checked,
        sum(current_row_count) over (partition by model_name, force_code, column_name) as current_rows_checked

    from counted

)

select
    -- grain
    source_name,
    entity_name,
    model_name,
    force_code,
    column_name,
    rule,

    -- counts
    row_count as issue_count,
    rows_checked,
    cast(row_count as double) / rows_checked as issue_rate,
    current_row_count as current_issue_count,
    current_rows_checked,
    cast(current_row_count as double) / nullif(current_rows_checked, 0) as current_issue_rate

from rated
where rule is not null
