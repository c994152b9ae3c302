-- One row per bronze canonical person row (staged rows = bronze rows), from any partner delivering
-- the platform's canonical extract format (force_code is the partner code of the landing folder):
-- stg_crime__persons' person columns and statuses (macros person_attribute_ctes and
-- person_attribute_columns), plus e-mail and NHS number. Roles live in stg_canonical__person_events.
-- A record delivered again supersedes the earlier one: the latest version of each record_id per
-- partner is current.
{{ incremental_staging_config(key=['force_code', 'record_id']) }}
{%- set person_attributes = ['forename', 'middle_names', 'surname', 'date_of_birth', 'sex', 'address',
    'postcode', 'phone', 'email', 'pnc_id', 'cro_number', 'nhs_number', 'aliases'] %}

with

source as (

    {{ new_bronze_rows('canonical__persons', ['_force_code', 'trim(record_id)'], ['force_code', 'record_id']) }}

),

keyed as (

    select
        -- ids
        {{ oe_hash(["'canonical'", '_force_code', 'trim(record_id)']) }} as person_record_id,
        trim(record_id) as record_ref,
        cast(null as {{ dbt.type_string() }}) as source_record_ref,
        trim(record_id) as record_id,
        _force_code as force_code,

        -- person values as delivered
        forename as forename_raw,
        middle_names as middle_names_raw,
        surname as surname_raw,
        date_of_birth as date_of_birth_raw,
        sex as sex_raw,
        address as address_raw,
        postcode as postcode_raw,
        phone as phone_raw,
        email as email_raw,
        pnc_id as pnc_id_raw,
        cro_number as cro_number_raw,
        nhs_number as nhs_number_raw,
        aliases as aliases_raw,

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
    code_source='canonical',
    has_role=false
) }},

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, record_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from person_mapped

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    record_id,
    force_code,
    {{ person_attribute_columns(person_attributes, has_role=false) }}

    -- versions
    is_latest_version,
    is_latest_version as is_current,

    -- lineage
    _file_id,
    _row_number,
    _force_code,
    _delivery_date,
    _layout,
    _date_format

from versioned
