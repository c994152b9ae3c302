-- One row per bronze data.police.uk outcome row (staged rows = bronze rows): an outcome recorded
-- for a street-level crime in a month. The files repeat identical rows (the same crime, outcome and
-- month): the first of each set is kept current and the others flagged is_repeated_row, never
-- dropped. Rows of the latest file of each force and month are current.
with

source as (

    select * from {{ source('bronze', 'police_uk__outcomes') }}

),

latest_files as (

    {{ police_uk_latest_files('outcomes') }}

),

delivered as (

    select
        -- ids
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

        -- outcome
        trim(source.outcome_type) as outcome_type,

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

),

numbered as (

    select
        *,
        row_number() over (
            partition by _file_id, crime_id, month_raw, outcome_type, location_description, lsoa_code
            order by _row_number
        ) as repeat_number

    from typed

)

select
    -- ids
    {{ oe_hash([
        "'police_uk'", 'force_code',
        "coalesce(crime_id, _file_id || '#' || cast(_row_number as " ~ dbt.type_string() ~ "))",
        'outcome_type', 'month_raw',
    ]) }} as outcome_id,
    crime_id,
    force_code,

    -- month
    month_raw,
    month_start,
    month_status,

    -- forces
    reported_by,
    falls_within,

    -- location
    longitude,
    latitude,
    longitude is not null and latitude is not null as has_location,
    location_description,
    lsoa_code,
    lsoa_name,

    -- outcome
    outcome_type,
    -- a row without a Crime ID is no repeat of another: nothing says they are the same crime
    repeat_number > 1 and crime_id is not null as is_repeated_row,

    -- versions
    is_in_latest_file and (repeat_number = 1 or crime_id is null) as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout

from numbered
