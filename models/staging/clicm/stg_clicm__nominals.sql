-- One row per bronze CLICM nominal row (staged rows = bronze rows): a person linked to a county
-- line, with stg_crime__persons' person columns and statuses (macros person_attribute_ctes and
-- person_attribute_columns). source_role keeps the line role (line_holder, runner, associate,
-- cuckooed_occupant; contract codes); role is the national role (seed person_roles). Delivered
-- nested in the line's JSON record: current when that record is the line's current version.
{%- set person_attributes = ['forename', 'middle_names', 'surname', 'date_of_birth', 'sex', 'address',
    'postcode', 'phone', 'pnc_id', 'aliases'] %}

with

source as (

    select * from {{ source('bronze', 'clicm__nominals') }}

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

keyed as (

    select
        -- ids
        {{ oe_hash(["'clicm'", '_force_code', 'line_id', 'nominal_id']) }} as person_record_id,
        trim(nominal_id) as record_ref,
        trim(line_id) as source_record_ref,
        trim(line_id) as line_id,
        trim(nominal_id) as nominal_id,
        _force_code as force_code,

        -- person values as delivered
        role as role_raw,
        forename as forename_raw,
        middle_names as middle_names_raw,
        surname as surname_raw,
        date_of_birth as date_of_birth_raw,
        sex as sex_raw,
        address as address_raw,
        postcode as postcode_raw,
        phone as phone_raw,
        pnc_id as pnc_id_raw,
        aliases as aliases_raw,
        home_force as home_force_raw,
        {{ code_key('home_force') }} as home_force_key,

        -- lineage
        _file_id,
        _row_number,
        _force_code,
        _delivery_date,
        _layout,
        _date_format,
        _loaded_at

    from source

),

{{ person_attribute_ctes(
    'keyed',
    person_attributes,
    code_source='clicm',
    role_column='role'
) }},

versioned as (

    select
        person_mapped.*,
        forces.force_code as home_force,
        current_lines.line_id is not null as is_in_current_line,
        row_number() over (
            partition by person_mapped.force_code, person_mapped.line_id, person_mapped.nominal_id
            order by
                person_mapped._delivery_date desc,
                person_mapped._loaded_at desc,
                person_mapped._file_id desc,
                person_mapped._row_number desc
        ) = 1 as is_latest_version

    from person_mapped
    left join forces
        on person_mapped.home_force_key = {{ code_key('forces.force_code') }}
    left join current_lines
        on
            person_mapped._file_id = current_lines._file_id
            and person_mapped._row_number = current_lines._row_number
            and person_mapped.line_id = current_lines.line_id

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    line_id,
    nominal_id,
    force_code,
    {{ person_attribute_columns(person_attributes) }}

    -- home force
    home_force_raw,
    home_force,
    {{ code_status('home_force_key', 'home_force') }} as home_force_status,

    -- versions
    is_latest_version,
    is_latest_version and is_in_current_line as is_current,

    -- lineage
    _file_id,
    _row_number,
    _force_code,
    _delivery_date,
    _layout,
    _date_format

from versioned
