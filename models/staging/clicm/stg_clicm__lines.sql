-- One row per bronze CLICM county line row (staged rows = bronze rows): exporting force checked
-- against the seed forces, importing forces (a JSON array) as a ';'-separated list (one row each in
-- stg_clicm__line_importing_forces), status from the layout's code set, closure type decoded
-- (1 line holder arrested and charged, 2 number deactivated). The CLICM field list is [unverified].
-- The latest version of each line is current unless deleted at source; the line's deal numbers,
-- nominals and cuckooed addresses are current with it.
{{ incremental_staging_config(key=['force_code', 'line_id']) }}
with

source as (

    {{ new_bronze_rows('clicm__lines', ['_force_code', 'trim(line_id)'], ['force_code', 'line_id']) }}

),

forces as (

    select * from {{ ref('forces') }}

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'clicm'", '_force_code', 'line_id']) }} as county_line_id,
        trim(line_id) as line_id,
        _force_code as force_code,
        trim(line_name) as line_name,
        nullif(trim(ocg_id), '') as ocg_id,

        -- forces
        exporting_force as exporting_force_raw,
        {{ code_key('exporting_force') }} as exporting_force_key,
        importing_forces as importing_forces_raw,
        lower({{ regex_replace(code_list_text('importing_forces'), ' *; *', ';') }}) as importing_forces,

        -- status and closure
        status as line_status_raw,
        {{ code_key('status') }} as line_status_key,
        closure_type as closure_type_raw,
        nullif(trim(closure_type), '') as closure_type,

        -- dates
        first_reported_date as first_reported_date_raw,
        {{ date_iso_text('first_reported_date', '_date_format') }} as first_reported_date_iso_text,
        closed_date as closed_date_raw,
        {{ date_iso_text('closed_date', '_date_format') }} as closed_date_iso_text,

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
        {{ normalise_date('first_reported_date_raw', '_date_format', iso_text='first_reported_date_iso_text') }}
            as first_reported_on,
        {{ date_status('first_reported_date_raw', '_date_format', iso_text='first_reported_date_iso_text') }}
            as first_reported_date_status,
        {{ normalise_date('closed_date_raw', '_date_format', iso_text='closed_date_iso_text') }} as closed_on,
        {{ date_status('closed_date_raw', '_date_format', iso_text='closed_date_iso_text') }} as closed_date_status

    from delivered

),

mapped as (

    select
        typed.*,
        forces.force_code as exporting_force,
        {{ national_code('clicm', 'status', 'typed.line_status_key', layout='typed._layout') }} as line_status

    from typed
    left join forces
        on typed.exporting_force_key = {{ code_key('forces.force_code') }}

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, line_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from mapped

)

select
    -- ids
    county_line_id,
    line_id,
    force_code,
    line_name,
    ocg_id,

    -- forces
    exporting_force_raw,
    exporting_force,
    {{ code_status('exporting_force_key', 'exporting_force') }} as exporting_force_status,
    importing_forces_raw,
    importing_forces,

    -- status and closure
    line_status_raw,
    line_status,
    {{ code_status('line_status_key', 'line_status') }} as line_status_mapping,
    closure_type_raw,
    closure_type,
    case closure_type
        when '1' then 'line_holder_charged'
        when '2' then 'number_deactivated'
    end as closure_type_label,
    case
        when closure_type is null then 'missing'
        when closure_type in ('1', '2') then 'valid'
        else 'invalid'
    end as closure_type_status,

    -- dates
    first_reported_date_raw,
    first_reported_on,
    first_reported_date_status,
    closed_date_raw,
    closed_on,
    closed_date_status,

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
