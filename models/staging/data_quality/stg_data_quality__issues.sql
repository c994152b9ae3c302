-- One row per data-quality issue found by the staging layer: a value of a staged row whose status
-- says it cannot be trusted as delivered (a missing or sentinel date of birth, an invalid postcode,
-- a PNC ID with a wrong check letter, an unmapped offence code or grading…), by source, force,
-- entity, column and rule, with the record key and the landed file and row. The rules are the
-- staging models' own statuses, listed in the macro data_quality_checks; nothing here re-implements
-- a normalisation. The delivered values are not repeated here (no direct identifiers): join back to
-- the staging model on model_name, _file_id, _row_number and record_key to see them.
-- Materialised as a table, like every staging model: it reads every staging model, and a
-- view would re-plan all of them (seconds) on each query and each data test.

{{ config(materialized='table') }}

with

{{ data_quality_check_ctes() }},

issues as (

    select * from check_results
    where rule is not null

)

select
    -- ids
    {{ oe_hash(['model_name', '_file_id', '_row_number', 'record_key', 'column_name', 'rule']) }} as issue_id,
    source_name,
    entity_name,
    model_name,
    force_code,
    record_key,

    -- issue
    column_name,
    rule,
    coalesce(nullif(reason_text, ''), column_name || ' is ' || rule) as reason,
    is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date

from issues
