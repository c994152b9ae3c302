-- One row per bronze crime row (staged rows = bronze rows); the current version of each report is
-- flagged, so conformed models read only is_current and history stays queryable.
{{ incremental_staging_config(key=['force_code', 'crime_ref']) }}
with

source as (

    {{ new_bronze_rows('crime__crimes', ['_force_code', 'crime_ref'], ['force_code', 'crime_ref']) }}

),

local_codes as (

    select * from {{ ref('local_offence_codes') }}

),

offence_classes as (

    select * from {{ ref('home_office_offence_classes') }}

),

typed as (

    select
        -- ids
        {{ oe_hash(["'crime'", '_force_code', 'crime_ref']) }} as crime_id,
        crime_ref,
        _force_code as force_code,

        -- dates
        {{ normalise_date('recorded_date', '_date_format') }} as recorded_on,
        {{ normalise_date('occurred_from', '_date_format') }} as occurred_from,
        {{ normalise_date('occurred_to', '_date_format') }} as occurred_to,
        {{ date_status('occurred_from', '_date_format') }} as occurred_from_status,
        recorded_date as recorded_date_raw,
        occurred_from as occurred_from_raw,

        -- offence
        upper(trim(offence_code)) as offence_code_raw,
        trim(offence_description) as offence_description,

        -- location
        location_postcode as location_postcode_raw,
        {{ normalise_postcode('location_postcode') }} as location_postcode,
        {{ postcode_status('location_postcode') }} as location_postcode_status,
        trim(location_description) as location_description,

        -- status
        lower(trim(status)) as crime_status,
        coalesce(upper(trim(record_action)), 'I') = 'D' as is_deleted_at_source,

        -- lineage
        _file_id,
        _row_number,
        _delivery_date,
        _layout,
        _loaded_at

    from source

),

mapped as (

    select
        typed.*,
        coalesce(local_codes.home_office_code, offence_classes.home_office_code) as home_office_code,
        case
            when local_codes.home_office_code is not null then 'local_code_mapped'
            when offence_classes.home_office_code is not null then 'home_office_code'
            when typed.offence_code_raw is null then 'missing'
            else 'unmapped'
        end as offence_code_status

    from typed
    left join local_codes
        on
            typed.force_code = local_codes.force_code
            and typed.offence_code_raw = upper(local_codes.local_code)
    left join offence_classes
        on typed.offence_code_raw = upper(offence_classes.home_office_code)

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, crime_ref
            order by _delivery_date desc, _loaded_at desc, _row_number desc
        ) = 1 as is_latest_version

    from mapped

)

select
    *,
    is_latest_version and not is_deleted_at_source as is_current

from versioned
