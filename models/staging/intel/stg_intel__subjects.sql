-- One row per bronze intelligence subject row (staged rows = bronze rows): the people named in each
-- log, with stg_crime__persons' person columns and statuses (macros person_attribute_ctes and
-- person_attribute_columns). A subject is current when it was delivered with the current version of
-- its log (a log delivered again restates all its subjects; a deleted log has none); a subject
-- whose log was never delivered is current in its own latest delivery (has_parent_log false).
{%- set person_attributes = ['forename', 'middle_names', 'surname', 'date_of_birth', 'sex', 'address',
    'postcode', 'phone', 'pnc_id', 'aliases'] %}

with

source as (

    select * from {{ source('bronze', 'intel__subjects') }}

),

logs as (

    select * from {{ ref('stg_intel__logs') }}

),

log_versions as (

    select
        force_code,
        log_ref,
        _delivery_date as current_delivery_date,
        is_current as is_log_current

    from logs
    where is_latest_version

),

keyed as (

    select
        -- ids
        {{ oe_hash(["'intel'", '_force_code', 'log_ref', 'subject_ref']) }} as person_record_id,
        subject_ref as record_ref,
        log_ref as source_record_ref,
        log_ref,
        subject_ref,
        _force_code as force_code,

        -- person values as delivered
        subject_role as role_raw,
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
    code_source='intel',
    role_column='subject_role'
) }},

versioned as (

    select
        person_mapped.*,
        log_versions.log_ref is not null as has_parent_log,
        case
            when log_versions.log_ref is null then true
            else person_mapped._delivery_date = log_versions.current_delivery_date and log_versions.is_log_current
        end as is_in_current_log,
        row_number() over (
            partition by person_mapped.force_code, person_mapped.log_ref, person_mapped.subject_ref
            order by
                person_mapped._delivery_date desc,
                person_mapped._loaded_at desc,
                person_mapped._file_id desc,
                person_mapped._row_number desc
        ) = 1 as is_latest_version

    from person_mapped
    left join log_versions
        on
            person_mapped.force_code = log_versions.force_code
            and person_mapped.log_ref = log_versions.log_ref

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    log_ref,
    subject_ref,
    force_code,
    {{ person_attribute_columns(person_attributes) }}

    -- versions
    has_parent_log,
    is_latest_version,
    is_latest_version and is_in_current_log as is_current,

    -- lineage
    _file_id,
    _row_number,
    _force_code,
    _delivery_date,
    _layout,
    _date_format

from versioned
