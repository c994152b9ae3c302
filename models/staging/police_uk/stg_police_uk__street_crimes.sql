-- One row per bronze data.police.uk street-level crime row (staged rows = bronze rows): real,
-- anonymised open data with no people, used for context only. Month as its first day, coordinates
-- as numbers (null with has_location false when the crime could not be mapped: "No Location"),
-- reporting and area forces matched to the seed forces by name (forces outside the Athena
-- collaboration stay unmapped, by design), anti-social behaviour rows (no Crime ID) flagged. A
-- force's month file delivered again replaces the earlier one (one with no rows retracts the
-- month: macro police_uk_latest_files): rows of the latest file of each
-- force and month are current.
with

source as (

    select * from {{ source('bronze', 'police_uk__street_crimes') }}

),

forces as (

    select * from {{ ref('forces') }}

),

latest_files as (

    {{ police_uk_latest_files('street_crimes') }}

),

delivered as (

    select
        -- ids
        {{ oe_hash([
            "'police_uk'", 'source._force_code',
            "coalesce(source.crime_id, source._file_id || '#' || cast(source._row_number as " ~ dbt.type_string() ~ "))",
        ]) }} as street_crime_id,
        nullif(trim(source.crime_id), '') as crime_id,
        source._force_code as force_code,

        -- month
        source.month as month_raw,
        {{ date_iso_text("trim(source.month) || '-01'", "'iso'") }} as month_iso_text,

        -- forces
        trim(source.reported_by) as reported_by,
        trim(source.falls_within) as falls_within,

        -- location
        {{ normalise_decimal('source.longitude') }} as longitude,
        {{ normalise_decimal('source.latitude') }} as latitude,
        trim(source.location) as location_description,
        nullif(trim(source.lsoa_code), '') as lsoa_code,
        nullif(trim(source.lsoa_name), '') as lsoa_name,

        -- crime
        trim(source.crime_type) as crime_type,
        lower(trim(source.crime_type)) = 'anti-social behaviour' as is_anti_social_behaviour,
        nullif(trim(source.last_outcome_category), '') as last_outcome_category,
        nullif(trim(source.context), '') as context,

        -- versions
        source._loaded_at = latest_files.latest_loaded_at as is_in_latest_file,

        -- lineage
        source._file_id,
        source._row_number,
        source._delivery_date,
        source._layout

    from source
    inner join latest_files
        on
            source._force_code = latest_files._force_code
            and source._delivery_date = latest_files._delivery_date

),

typed as (

    select
        *,
        {{ normalise_date('month_raw', "'iso'", iso_text='month_iso_text') }} as month_start,
        {{ date_status('month_raw', "'iso'", iso_text='month_iso_text') }} as month_status

    from delivered

)

select
    -- ids
    typed.street_crime_id,
    typed.crime_id,
    typed.force_code,

    -- month
    typed.month_raw,
    typed.month_start,
    typed.month_status,

    -- forces
    typed.reported_by,
    reporting_forces.force_code as reported_by_force,
    typed.falls_within,
    area_forces.force_code as falls_within_force,
    case
        when typed.falls_within is null or typed.falls_within = '' then 'missing'
        when area_forces.force_code is null then 'unmapped'
        else 'mapped'
    end as falls_within_status,

    -- location
    typed.longitude,
    typed.latitude,
    typed.longitude is not null and typed.latitude is not null as has_location,
    typed.location_description,
    typed.lsoa_code,
    typed.lsoa_name,

    -- crime
    typed.crime_type,
    typed.is_anti_social_behaviour,
    typed.last_outcome_category,
    typed.context,

    -- versions
    typed.is_in_latest_file as is_current,

    -- lineage
    typed._file_id,
    typed._row_number,
    typed._delivery_date,
    typed._layout

from typed
left join forces as reporting_forces
    on upper(typed.reported_by) = upper(reporting_forces.force_name)
left join forces as area_forces
    on upper(typed.falls_within) = upper(area_forces.force_name)
