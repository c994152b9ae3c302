-- One row per data-quality issue found by the staging layer: a value of a staged row whose status
-- says it cannot be trusted as delivered (a missing or sentinel date of birth, an invalid postcode,
-- a PNC ID with a wrong check letter, an unmapped offence code or grading…), by source, force,
-- entity, column and rule, with the record key and the landed file and row. The rules are the
-- staging models' own statuses, listed in the macro data_quality_checks; nothing here re-implements
-- a normalisation. The delivered values are not repeated here (no direct identifiers): join back to
-- the staging model on model_name, _file_id, _row_number and record_key to see them. Each issue
-- names its landed file (landed_path) and row, says what the rule means and what to do about it
-- (seed data_quality_rules: the owner of the delivery reads this, not the SQL).
-- Materialised as a table, like every staging model: it reads every staging model, and a
-- view would re-plan all of them (seconds) on each query and each data test.

{{ config(materialized='table') }}

with

{{ data_quality_check_ctes() }},

issues as (

    select * from check_results
    where rule is not null

),

-- one path per landed file (a file retried has several manifest rows, one per attempt)
landed_files as (

    select
        file_id,
        path

    from {{ ref('stg_ingest__file_manifest') }}
    where is_latest_attempt

),

rules as (

    select
        rule,
        meaning,
        needs_action,
        what_to_do as rule_what_to_do

    from {{ ref('data_quality_rules') }}

)

select
    -- ids
    {{ oe_hash(['issues.model_name', 'issues._file_id', 'issues._row_number', 'issues.record_key',
                'issues.column_name', 'issues.rule']) }} as issue_id,
    issues.source_name,
    issues.entity_name,
    issues.model_name,
    issues.force_code,
    issues.record_key,

    -- issue
    issues.column_name,
    issues.rule,
    coalesce(
        nullif(issues.reason_text, ''),
        issues.column_name || ' is ' || issues.rule || coalesce(': ' || rules.meaning, '')
    ) as reason,
    coalesce(rules.needs_action, true) as needs_action,
    coalesce(
        rules.rule_what_to_do,
        'No guidance is recorded for this rule: add it to seeds/data_quality_rules.csv.'
    ) as what_to_do,
    issues.is_current,

    -- lineage
    issues._file_id,
    landed_files.path as landed_path,
    issues._row_number,
    issues._delivery_date

from issues
left join landed_files on issues._file_id = landed_files.file_id
left join rules on issues.rule = rules.rule
