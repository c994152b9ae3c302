-- One row per bronze custody record row (staged rows = bronze rows): one detention of one person,
-- with arrival, arrest offence (local codes mapped to Home Office classes through the seed
-- local_offence_codes, as stg_crime__crimes does) and outcome (layout codes from the contract). The
-- detained person's attributes are staged by stg_custody__detainees (same rows, same keys). A record
-- delivered again when its outcome is decided supersedes the earlier version (is_current).
{{ incremental_staging_config(key=['force_code', 'custody_ref']) }}
with

source as (

    {{ new_bronze_rows('custody__custody_records', ['_force_code', 'custody_ref'], ['force_code', 'custody_ref']) }}

),

local_codes as (

    select * from {{ ref('local_offence_codes') }}

),

offence_classes as (

    select * from {{ ref('home_office_offence_classes') }}

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'custody'", '_force_code', 'custody_ref']) }} as custody_record_id,
        {{ oe_hash(["'custody'", '_force_code', 'custody_ref']) }} as person_record_id,
        custody_ref,
        detainee_ref,
        _force_code as force_code,
        trim(custody_suite) as custody_suite,

        -- dates
        arrival_datetime as arrival_datetime_raw,
        {{ datetime_iso_text('arrival_datetime', '_date_format') }} as arrival_datetime_iso_text,
        arrest_date as arrest_date_raw,
        {{ date_iso_text('arrest_date', '_date_format') }} as arrest_date_iso_text,

        -- offence
        upper(trim(arrest_offence_code)) as arrest_offence_code_raw,
        trim(arrest_offence_description) as arrest_offence_description,

        -- location
        arrest_location_postcode as arrest_location_postcode_raw,
        {{ normalise_postcode('arrest_location_postcode') }} as arrest_location_postcode,
        {{ postcode_status('arrest_location_postcode') }} as arrest_location_postcode_status,

        -- outcome
        outcome as outcome_raw,
        {{ code_key('outcome') }} as outcome_key,
        outcome_date as outcome_date_raw,
        {{ date_iso_text('outcome_date', '_date_format') }} as outcome_date_iso_text,

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
        {{ normalise_datetime('arrival_datetime_raw', '_date_format', iso_text='arrival_datetime_iso_text') }}
            as arrived_at,
        {{ datetime_status('arrival_datetime_raw', '_date_format', iso_text='arrival_datetime_iso_text') }}
            as arrival_datetime_status,
        {{ normalise_date('arrest_date_raw', '_date_format', iso_text='arrest_date_iso_text') }} as arrested_on,
        {{ date_status('arrest_date_raw', '_date_format', iso_text='arrest_date_iso_text') }} as arrest_date_status,
        {{ normalise_date('outcome_date_raw', '_date_format', iso_text='outcome_date_iso_text') }} as outcome_on,
        {{ date_status('outcome_date_raw', '_date_format', iso_text='outcome_date_iso_text') }} as outcome_date_status

    from delivered

),

mapped as (

    select
        typed.*,
        {{ national_code('custody', 'outcome', 'typed.outcome_key', layout='typed._layout') }} as outcome,
        coalesce(local_codes.home_office_code, offence_classes.home_office_code) as home_office_code,
        case
            when local_codes.home_office_code is not null then 'local_code_mapped'
            when offence_classes.home_office_code is not null then 'home_office_code'
            when typed.arrest_offence_code_raw is null or typed.arrest_offence_code_raw = '' then 'missing'
            else 'unmapped'
        end as offence_code_status

    from typed
    left join local_codes
        on
            typed.force_code = local_codes.force_code
            and typed.arrest_offence_code_raw = upper(local_codes.local_code)
    left join offence_classes
        on typed.arrest_offence_code_raw = upper(offence_classes.home_office_code)

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, custody_ref
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from mapped

)

select
    -- ids
    custody_record_id,
    person_record_id,
    custody_ref,
    detainee_ref,
    force_code,
    custody_suite,

    -- dates
    arrival_datetime_raw,
    arrived_at,
    arrival_datetime_status,
    arrest_date_raw,
    arrested_on,
    arrest_date_status,

    -- offence
    arrest_offence_code_raw,
    arrest_offence_description,
    home_office_code,
    offence_code_status,

    -- location
    arrest_location_postcode_raw,
    arrest_location_postcode,
    arrest_location_postcode_status,

    -- outcome
    outcome_raw,
    outcome,
    {{ code_status('outcome_key', 'outcome') }} as outcome_status,
    outcome_date_raw,
    outcome_on,
    outcome_date_status,

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
