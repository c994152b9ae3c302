-- One row per bronze data.police.uk stop-and-search row (staged rows = bronze rows). The files carry
-- no identifier: a search is its file and row number. The date-time is ISO 8601 with a UTC offset:
-- searched_at keeps the wall-clock time as published (docs/staging.md). True/False answers become
-- booleans with a status. A file may hold searches from the last hours of the previous month, so
-- the month a search belongs to is the file's (delivery) month. Rows of the latest file of each
-- force and month are current.
with

source as (

    select * from {{ source('bronze', 'police_uk__stop_and_search') }}

),

latest_files as (

    {{ police_uk_latest_files('stop_and_search') }}

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'police_uk'", 'source._file_id', 'source._row_number']) }} as stop_and_search_id,
        source._force_code as force_code,

        -- search
        trim(source.search_type) as search_type,
        source.searched_at as searched_at_raw,
        {{ datetime_iso_text('source.searched_at', "'iso'") }} as searched_at_iso_text,
        source.part_of_policing_operation as part_of_policing_operation_raw,
        {{ normalise_yes_no('source.part_of_policing_operation') }} as is_part_of_policing_operation,
        nullif(trim(source.policing_operation), '') as policing_operation,

        -- location
        {{ normalise_decimal('source.latitude') }} as latitude,
        {{ normalise_decimal('source.longitude') }} as longitude,

        -- person searched
        nullif(trim(source.gender), '') as gender,
        nullif(trim(source.age_range), '') as age_range,
        nullif(trim(source.self_defined_ethnicity), '') as self_defined_ethnicity,
        nullif(trim(source.officer_defined_ethnicity), '') as officer_defined_ethnicity,

        -- grounds and outcome
        nullif(trim(source.legislation), '') as legislation,
        nullif(trim(source.object_of_search), '') as object_of_search,
        nullif(trim(source.outcome), '') as outcome,
        source.outcome_linked_to_object_of_search as outcome_linked_to_object_of_search_raw,
        {{ normalise_yes_no('source.outcome_linked_to_object_of_search') }} as is_outcome_linked_to_object_of_search,
        source.removal_of_more_than_outer_clothing as removal_of_more_than_outer_clothing_raw,
        {{ normalise_yes_no('source.removal_of_more_than_outer_clothing') }} as is_removal_of_more_than_outer_clothing,

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
        {{ normalise_datetime('searched_at_raw', "'iso'", iso_text='searched_at_iso_text') }} as searched_at,
        {{ datetime_status('searched_at_raw', "'iso'", iso_text='searched_at_iso_text') }} as searched_at_status

    from delivered

)

select
    -- ids
    stop_and_search_id,
    force_code,

    -- search
    search_type,
    searched_at_raw,
    searched_at,
    searched_at_status,
    _delivery_date as month_start,
    part_of_policing_operation_raw,
    is_part_of_policing_operation,
    policing_operation,

    -- location
    latitude,
    longitude,
    latitude is not null and longitude is not null as has_location,

    -- person searched
    gender,
    age_range,
    self_defined_ethnicity,
    officer_defined_ethnicity,

    -- grounds and outcome
    legislation,
    object_of_search,
    outcome,
    outcome_linked_to_object_of_search_raw,
    is_outcome_linked_to_object_of_search,
    removal_of_more_than_outer_clothing_raw,
    is_removal_of_more_than_outer_clothing,

    -- versions
    is_in_latest_file as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout

from typed
