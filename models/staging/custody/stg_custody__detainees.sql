-- One row per bronze custody record row (staged rows = bronze rows): the detained person of each
-- custody record, with stg_crime__persons' person columns and statuses (macros person_attribute_ctes
-- and person_attribute_columns); role detainee. Current with its custody record (the latest
-- version of the record, not deleted at source), so linkage reads `where is_current`.
{{ incremental_staging_config(key=['force_code', 'custody_ref']) }}
{%- set person_attributes = ['forename', 'middle_names', 'surname', 'date_of_birth', 'sex', 'ethnicity',
    'nationality', 'address', 'postcode', 'phone', 'pnc_id', 'cro_number', 'nhs_number', 'aliases'] %}

with

source as (

    {{ new_bronze_rows('custody__custody_records', ['_force_code', 'custody_ref'], ['force_code', 'custody_ref']) }}

),

keyed as (

    select
        -- ids
        {{ oe_hash(["'custody'", '_force_code', 'custody_ref']) }} as person_record_id,
        detainee_ref as record_ref,
        custody_ref as source_record_ref,
        custody_ref,
        detainee_ref,
        _force_code as force_code,

        -- person values as delivered
        cast(null as {{ dbt.type_string() }}) as role_raw,
        forename as forename_raw,
        middle_names as middle_names_raw,
        surname as surname_raw,
        date_of_birth as date_of_birth_raw,
        sex as sex_raw,
        ethnicity as ethnicity_raw,
        nationality as nationality_raw,
        address as address_raw,
        postcode as postcode_raw,
        phone as phone_raw,
        pnc_id as pnc_id_raw,
        cro_number as cro_number_raw,
        nhs_number as nhs_number_raw,
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
    code_source='custody',
    implied_role='detainee'
) }},

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, custody_ref
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from person_mapped

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    custody_ref,
    detainee_ref,
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
