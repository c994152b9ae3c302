-- One row per bronze NRM referral row (staged rows = bronze rows): the potential victim of each
-- referral, with stg_crime__persons' person columns and statuses (macros person_attribute_ctes and
-- person_attribute_columns); role referred_victim. Duty to Notify reports of adults who did not
-- consent carry no identifying details: their names and date of birth are missing by design.
-- Current with its referral (latest version, not deleted at source).
{{ incremental_staging_config(key=['force_code', 'referral_id']) }}
{%- set person_attributes = ['forename', 'middle_names', 'surname', 'date_of_birth', 'sex', 'nationality',
    'address', 'postcode', 'phone'] %}

with

source as (

    {{ new_bronze_rows('nrm__referrals', ['_force_code', 'trim(referral_id)'], ['force_code', 'referral_id']) }}

),

keyed as (

    select
        -- ids
        {{ oe_hash(["'nrm'", '_force_code', 'referral_id']) }} as person_record_id,
        trim(pv_id) as record_ref,
        trim(referral_id) as source_record_ref,
        trim(referral_id) as referral_id,
        trim(pv_id) as pv_id,
        _force_code as force_code,

        -- person values as delivered
        cast(null as {{ dbt.type_string() }}) as role_raw,
        forename as forename_raw,
        middle_names as middle_names_raw,
        surname as surname_raw,
        date_of_birth as date_of_birth_raw,
        sex as sex_raw,
        nationality as nationality_raw,
        address as address_raw,
        postcode as postcode_raw,
        phone as phone_raw,
        {{ normalise_yes_no('duty_to_notify') }} as is_duty_to_notify,

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
    code_source='nrm',
    implied_role='referred_victim'
) }},

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, referral_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from person_mapped

)

select
    -- ids
    person_record_id,
    record_ref,
    source_record_ref,
    referral_id,
    pv_id,
    force_code,
    {{ person_attribute_columns(person_attributes) }}

    -- referral
    is_duty_to_notify,

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
