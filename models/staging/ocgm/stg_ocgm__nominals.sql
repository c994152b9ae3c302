-- One row per bronze OCG Mapping nominal row (staged rows = bronze rows): a person mapped to a group,
-- with stg_crime__persons' person columns and statuses (macros person_attribute_ctes and
-- person_attribute_columns). source_role keeps the OCG role (principal, core_member…; contract
-- codes); role is the national role (nominal, seed person_roles). Current when it is the latest
-- version of the (group, nominal) pair, not removed at source, and its group is not deleted.
{%- set person_attributes = ['forename', 'middle_names', 'surname', 'date_of_birth', 'sex', 'address',
    'postcode', 'pnc_id', 'cro_number', 'aliases'] %}

with

source as (

    select * from {{ source('bronze', 'ocgm__nominals') }}

),

forces as (

    select * from {{ ref('forces') }}

),

ocgs as (

    select * from {{ ref('stg_ocgm__ocgs') }}

),

deleted_groups as (

    select
        force_code,
        ocg_id

    from ocgs
    where is_latest_version and is_deleted_at_source

),

keyed as (

    select
        -- ids
        {{ oe_hash(["'ocgm'", '_force_code', 'ocg_id', 'nominal_id']) }} as person_record_id,
        trim(nominal_id) as record_ref,
        trim(ocg_id) as source_record_ref,
        trim(ocg_id) as ocg_id,
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
        pnc_id as pnc_id_raw,
        cro_number as cro_number_raw,
        aliases as aliases_raw,
        home_force as home_force_raw,
        {{ code_key('home_force') }} as home_force_key,

        -- status
        coalesce(upper(trim(record_action)), 'I') = 'D' as is_deleted_at_source,

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
    code_source='ocgm',
    role_column='role'
) }},

versioned as (

    select
        person_mapped.*,
        coalesce(
            {{ layout_code('ocgm', 'home_force', 'person_mapped.home_force_key', layout='person_mapped._layout') }},
            forces.force_code
        ) as home_force,
        deleted_groups.ocg_id is not null as is_group_deleted_at_source,
        row_number() over (
            partition by person_mapped.force_code, person_mapped.ocg_id, person_mapped.nominal_id
            order by
                person_mapped._delivery_date desc,
                person_mapped._loaded_at desc,
                person_mapped._file_id desc,
                person_mapped._row_number desc
        ) = 1 as is_latest_version

    from person_mapped
    left join forces
        on person_mapped.home_force_key = {{ code_key('forces.force_code') }}
    left join deleted_groups
        on
            person_mapped.force_code = deleted_groups.force_code
            and person_mapped.ocg_id = deleted_groups.ocg_id

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    ocg_id,
    nominal_id,
    force_code,
    {{ person_attribute_columns(person_attributes) }}

    -- home force
    home_force_raw,
    home_force,
    {{ code_status('home_force_key', 'home_force') }} as home_force_status,

    -- versions
    is_deleted_at_source,
    is_group_deleted_at_source,
    is_latest_version,
    is_latest_version and not is_deleted_at_source and not is_group_deleted_at_source as is_current,

    -- lineage
    _file_id,
    _row_number,
    _force_code,
    _delivery_date,
    _layout,
    _date_format

from versioned
