-- One row per bronze OSINT observation row (staged rows = bronze rows): the person each observation
-- names, with stg_crime__persons' person columns and statuses (macros person_attribute_ctes and
-- person_attribute_columns); role subject. The observation's phone is the advertised or linked
-- number (often a deal line), so it stays on stg_osint__observations rather than being taken as
-- the person's own phone. Current with its observation.
{%- set person_attributes = ['forename', 'surname', 'date_of_birth', 'postcode', 'aliases'] %}

with

source as (

    select * from {{ source('bronze', 'osint__observations') }}

),

keyed as (

    select
        -- ids
        {{ oe_hash(["'osint'", '_force_code', 'observation_id']) }} as person_record_id,
        trim(subject_ref) as record_ref,
        trim(observation_id) as source_record_ref,
        trim(observation_id) as observation_id,
        trim(subject_ref) as subject_ref,
        _force_code as force_code,

        -- person values as delivered
        cast(null as {{ dbt.type_string() }}) as role_raw,
        forename as forename_raw,
        surname as surname_raw,
        date_of_birth as date_of_birth_raw,
        postcode as postcode_raw,
        aliases as aliases_raw,

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
    code_source='osint',
    implied_role='subject'
) }},

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, observation_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from person_mapped

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    observation_id,
    subject_ref,
    force_code,
    {{ person_attribute_columns(person_attributes) }}

    -- versions
    is_deleted_at_source,
    is_latest_version,
    is_latest_version and not is_deleted_at_source as is_current,

    -- lineage
    _file_id,
    _row_number,
    _force_code,
    _delivery_date,
    _layout,
    _date_format

from versioned
