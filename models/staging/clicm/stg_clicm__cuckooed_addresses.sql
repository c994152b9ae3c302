-- One row per bronze CLICM cuckooed-address row (staged rows = bronze rows): an address taken over
-- by a line, normalised (normalise_text, postcode macros), its force checked against the seed
-- forces, and the occupant's nominal reference (stg_clicm__nominals.nominal_id). Delivered nested
-- in the line's JSON record: current when that record is the line's current version.
with

source as (

    select * from {{ source('bronze', 'clicm__cuckooed_addresses') }}

),

forces as (

    select * from {{ ref('forces') }}

),

current_lines as (

    select
        _file_id,
        _row_number,
        line_id

    from {{ ref('stg_clicm__lines') }}
    where is_current

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'clicm'", '_force_code', 'line_id', 'address_ref']) }} as cuckooed_address_id,
        trim(line_id) as line_id,
        trim(address_ref) as address_ref,
        _force_code as force_code,
        nullif(trim(occupant_nominal_id), '') as occupant_nominal_id,

        -- address
        address as address_raw,
        {{ normalise_text('address') }} as address,
        postcode as postcode_raw,
        {{ normalise_postcode('postcode') }} as postcode,
        {{ postcode_status('postcode') }} as postcode_status,
        {{ postcode_outward('postcode') }} as postcode_outward,
        force_code as address_force_raw,
        {{ code_key('force_code') }} as address_force_key,

        -- dates
        first_reported_date as first_reported_date_raw,
        {{ date_iso_text('first_reported_date', '_date_format') }} as first_reported_date_iso_text,

        -- lineage
        _file_id,
        _row_number,
        _delivery_date,
        _layout,
        _date_format

    from source

),

typed as (

    select
        *,
        {{ normalise_date('first_reported_date_raw', '_date_format', iso_text='first_reported_date_iso_text') }}
            as first_reported_on,
        {{ date_status('first_reported_date_raw', '_date_format', iso_text='first_reported_date_iso_text') }}
            as first_reported_date_status

    from delivered

)

select
    -- ids
    typed.cuckooed_address_id,
    typed.line_id,
    typed.address_ref,
    typed.force_code,
    typed.occupant_nominal_id,

    -- address
    typed.address_raw,
    typed.address,
    typed.postcode_raw,
    typed.postcode,
    typed.postcode_status,
    typed.postcode_outward,
    typed.address_force_raw,
    forces.force_code as address_force,
    {{ code_status('typed.address_force_key', 'forces.force_code') }} as address_force_status,

    -- dates
    typed.first_reported_date_raw,
    typed.first_reported_on,
    typed.first_reported_date_status,

    -- versions
    current_lines.line_id is not null as is_current,

    -- lineage
    typed._file_id,
    typed._row_number,
    typed._delivery_date,
    typed._layout,
    typed._date_format

from typed
left join forces
    on typed.address_force_key = {{ code_key('forces.force_code') }}
left join current_lines
    on
        typed._file_id = current_lines._file_id
        and typed._row_number = current_lines._row_number
        and typed.line_id = current_lines.line_id
