-- One row per bronze intelligence log row (staged rows = bronze rows); the current version of each
-- log is flagged (is_current), so conformed models read only current logs and history stays
-- queryable. Grading: a 3x5x2 code is validated against ^[123][A-E][PC]$; a legacy 5x5x5 code
-- (^[A-E][1-5][1-5]$) is kept as delivered and mapped component by component to 3x5x2 through the
-- seed intel_grading_5x5x5_to_3x5x2; anything else is kept with grading_status invalid_format.
{{ incremental_staging_config(key=['force_code', 'log_ref']) }}
with

source as (

    {{ new_bronze_rows('intel__logs', ['_force_code', 'log_ref'], ['force_code', 'log_ref']) }}

),

grading_map as (

    select * from {{ ref('intel_grading_5x5x5_to_3x5x2') }}

),

grading_codes as (

    select * from {{ ref('intel_grading_3x5x2') }}

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'intel'", '_force_code', 'log_ref']) }} as log_id,
        log_ref,
        _force_code as force_code,

        -- dates
        submitted_date as submitted_date_raw,
        {{ date_iso_text('submitted_date', '_date_format') }} as submitted_date_iso_text,

        -- grading as delivered: one combined code, or three component columns
        coalesce(
            {{ blank_to_null('grading_code') }},
            nullif(concat_ws('', trim(source_evaluation), trim(intelligence_assessment), trim(handling_code)), '')
        ) as grading_raw,
        {{ blank_to_null('grading_scheme') }} as grading_scheme_declared,
        {{ blank_to_null('handling_conditions') }} as handling_conditions_raw,

        -- topic
        topic as topic_raw,
        {{ code_key('topic') }} as topic_key,

        -- content
        intel_text,

        -- location
        location_postcode as location_postcode_raw,
        {{ normalise_postcode('location_postcode') }} as location_postcode,
        {{ postcode_status('location_postcode') }} as location_postcode_status,

        -- phone
        phone_mentioned as phone_mentioned_raw,
        {{ phone_digits('phone_mentioned') }} as phone_mentioned_digits,

        -- status
        coalesce(upper(trim(record_action)), 'I') = 'D' as is_deleted_at_source,

        -- lineage
        _file_id,
        _row_number,
        _delivery_date,
        _layout,
        _date_format,
        _loaded_at

    from source

),

typed as (

    select
        *,
        nullif({{ regex_replace('upper(grading_raw)', '[^A-Z0-9]', '') }}, '') as grading_delivered,
        {{ normalise_date('submitted_date_raw', '_date_format', iso_text='submitted_date_iso_text') }} as submitted_on,
        {{ date_status('submitted_date_raw', '_date_format', iso_text='submitted_date_iso_text') }}
            as submitted_date_status

    from delivered

),

classified as (

    select
        *,
        case
            when {{ regex_matches('grading_delivered', '^[123][A-E][PC]$') }} then '3x5x2'
            when {{ regex_matches('grading_delivered', '^[A-E][1-5][1-5]$') }} then '5x5x5'
        end as grading_scheme,
        {{ national_code('intel', 'topic', 'topic_key') }} as topic,
        {{ normalise_phone('phone_mentioned_raw', digits='phone_mentioned_digits') }} as phone_mentioned_e164,
        {{ phone_status('phone_mentioned_raw', digits='phone_mentioned_digits') }} as phone_mentioned_status

    from typed

),

-- legacy components and their 3x5x2 equivalents (one seed row per component)
graded as (

    select
        classified.*,
        case when classified.grading_scheme = '5x5x5' then classified.grading_delivered end as legacy_grading_5x5x5,
        source_map.current_code as mapped_source_evaluation,
        intelligence_map.current_code as mapped_intelligence_assessment,
        handling_map.current_code as mapped_handling_code,
        source_map.mapping_basis as source_mapping_basis,
        intelligence_map.mapping_basis as intelligence_mapping_basis,
        handling_map.mapping_basis as handling_mapping_basis

    from classified
    left join grading_map as source_map
        on
            classified.grading_scheme = '5x5x5'
            and source_map.component = 'source_evaluation'
            and substr(classified.grading_delivered, 1, 1) = source_map.legacy_code
    left join grading_map as intelligence_map
        on
            classified.grading_scheme = '5x5x5'
            and intelligence_map.component = 'intelligence_assessment'
            and substr(classified.grading_delivered, 2, 1) = intelligence_map.legacy_code
    left join grading_map as handling_map
        on
            classified.grading_scheme = '5x5x5'
            and handling_map.component = 'handling_code'
            and substr(classified.grading_delivered, 3, 1) = handling_map.legacy_code

),

current_grading as (

    select
        *,
        case
            when grading_scheme = '3x5x2' then substr(grading_delivered, 1, 1)
            else nullif(trim(mapped_source_evaluation), '')
        end as source_evaluation,
        case
            when grading_scheme = '3x5x2' then substr(grading_delivered, 2, 1)
            else nullif(trim(mapped_intelligence_assessment), '')
        end as intelligence_assessment,
        case
            when grading_scheme = '3x5x2' then substr(grading_delivered, 3, 1)
            else nullif(trim(mapped_handling_code), '')
        end as handling_code

    from graded

),

described as (

    select
        current_grading.*,
        source_code.meaning as source_evaluation_meaning,
        intelligence_code.meaning as intelligence_assessment_meaning,
        handling_code.meaning as handling_code_meaning

    from current_grading
    left join grading_codes as source_code
        on
            source_code.component = 'source_evaluation'
            and current_grading.source_evaluation = source_code.code
    left join grading_codes as intelligence_code
        on
            intelligence_code.component = 'intelligence_assessment'
            and current_grading.intelligence_assessment = intelligence_code.code
    left join grading_codes as handling_code
        on
            handling_code.component = 'handling_code'
            and current_grading.handling_code = handling_code.code

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, log_ref
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from described

)

select
    -- ids
    log_id,
    log_ref,
    force_code,

    -- dates
    submitted_date_raw,
    submitted_on,
    submitted_date_status,

    -- grading
    grading_raw,
    grading_scheme_declared,
    grading_scheme,
    case
        when grading_delivered is null then 'missing'
        when grading_scheme = '3x5x2' then 'valid'
        when
            grading_scheme = '5x5x5'
            and source_evaluation is not null
            and intelligence_assessment is not null
            and handling_code is not null
            then 'legacy_mapped'
        when grading_scheme = '5x5x5' then 'legacy_unmappable'
        else 'invalid_format'
    end as grading_status,
    case
        when grading_scheme = '3x5x2' then 'current'
        when
            grading_scheme = '5x5x5'
            and 'none' in (source_mapping_basis, intelligence_mapping_basis, handling_mapping_basis)
            then 'none'
        when
            grading_scheme = '5x5x5'
            and 'judgement' in (source_mapping_basis, intelligence_mapping_basis, handling_mapping_basis)
            then 'judgement'
        when grading_scheme = '5x5x5' then 'equivalent'
    end as grading_mapping_basis,
    lower(grading_scheme_declared) is not null
    and grading_scheme is not null
    and lower(grading_scheme_declared) != grading_scheme as is_grading_scheme_mismatch,
    legacy_grading_5x5x5,
    source_evaluation,
    intelligence_assessment,
    handling_code,
    case
        when source_evaluation is not null and intelligence_assessment is not null and handling_code is not null
            then source_evaluation || intelligence_assessment || handling_code
    end as grading_3x5x2,
    source_evaluation_meaning,
    intelligence_assessment_meaning,
    handling_code_meaning,
    handling_conditions_raw,
    coalesce(
        handling_conditions_raw,
        case
            when legacy_grading_5x5x5 is not null and handling_code = 'C'
                then 'Legacy 5x5x5 handling code ' || substr(legacy_grading_5x5x5, 3, 1)
        end
    ) as handling_conditions,

    -- topic
    topic_raw,
    topic,
    {{ code_status('topic_key', 'topic') }} as topic_status,

    -- content
    intel_text,

    -- location
    location_postcode_raw,
    location_postcode,
    location_postcode_status,

    -- phone
    phone_mentioned_raw,
    phone_mentioned_e164,
    phone_mentioned_status,

    -- versions
    is_deleted_at_source,
    is_latest_version,
    is_latest_version and not is_deleted_at_source as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout,
    _date_format

from versioned
