-- One row per bronze CLICM deal-number row (staged rows = bronze rows): each phone number a line
-- trades on, in E.164 with its type and status (phone macros), and its active dates. Delivered
-- nested in the line's JSON record: current when that record is the line's current version.
with

source as (

    select * from {{ source('bronze', 'clicm__deal_numbers') }}

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
        trim(line_id) as line_id,
        _force_code as force_code,

        -- number
        deal_number as deal_number_raw,
        {{ phone_digits('deal_number') }} as deal_number_digits,

        -- dates
        active_from as active_from_raw,
        {{ date_iso_text('active_from', '_date_format') }} as active_from_iso_text,
        active_to as active_to_raw,
        {{ date_iso_text('active_to', '_date_format') }} as active_to_iso_text,

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
        {{ normalise_date('active_from_raw', '_date_format', iso_text='active_from_iso_text') }} as active_from_on,
        {{ date_status('active_from_raw', '_date_format', iso_text='active_from_iso_text') }} as active_from_status,
        {{ normalise_date('active_to_raw', '_date_format', iso_text='active_to_iso_text') }} as active_to_on,
        {{ date_status('active_to_raw', '_date_format', iso_text='active_to_iso_text') }} as active_to_status

    from delivered

),

validated as (

    select
        *,
        {{ normalise_phone('deal_number_raw', digits='deal_number_digits') }} as deal_number_e164,
        {{ phone_type('deal_number_raw', digits='deal_number_digits') }} as deal_number_type,
        {{ phone_status('deal_number_raw', digits='deal_number_digits') }} as deal_number_status

    from typed

)

select
    -- ids
    {{ oe_hash([
        "'clicm'", 'validated.force_code', 'validated.line_id',
        'coalesce(validated.deal_number_e164, validated.deal_number_raw)',
    ]) }} as deal_number_id,
    validated.line_id,
    validated.force_code,

    -- number
    validated.deal_number_raw,
    validated.deal_number_e164,
    validated.deal_number_type,
    validated.deal_number_status,

    -- dates
    validated.active_from_raw,
    validated.active_from_on,
    validated.active_from_status,
    validated.active_to_raw,
    validated.active_to_on,
    validated.active_to_status,
    validated.active_to_on is null as is_active,

    -- versions
    current_lines.line_id is not null as is_current,

    -- lineage
    validated._file_id,
    validated._row_number,
    validated._delivery_date,
    validated._layout,
    validated._date_format

from validated
left join current_lines
    on
        validated._file_id = current_lines._file_id
        and validated._row_number = current_lines._row_number
        and validated.line_id = current_lines.line_id
