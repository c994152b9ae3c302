-- One row per bronze OSINT observation row (staged rows = bronze rows): when and where content was
-- seen (month-first date-times of the OSINT tool's layout), the handle and phone it links to a
-- named person (phone in E.164 by the phone macros), and the analyst's confidence from the layout's
-- code set. The named person is staged by stg_osint__subjects (same rows, same keys). The latest
-- version of each observation is current unless deleted at source.
{{ incremental_staging_config(key=['force_code', 'observation_id']) }}
with

source as (

    {{ new_bronze_rows(
        'osint__observations', ['_force_code', 'trim(observation_id)'], ['force_code', 'observation_id']
    ) }}

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'osint'", '_force_code', 'observation_id']) }} as osint_observation_id,
        {{ oe_hash(["'osint'", '_force_code', 'observation_id']) }} as person_record_id,
        trim(observation_id) as observation_id,
        trim(subject_ref) as subject_ref,
        _force_code as force_code,

        -- observed
        observed_at as observed_at_raw,
        {{ datetime_iso_text('observed_at', '_date_format') }} as observed_at_iso_text,
        platform as platform_raw,
        lower({{ code_key('platform') }}) as platform,

        -- handle and phone
        handle as handle_raw,
        nullif(lower({{ regex_replace('trim(handle)', '^@+', '') }}), '') as handle,
        phone as phone_raw,
        {{ phone_digits('phone') }} as phone_digits,

        -- content
        trim(url) as url,
        content_summary,
        nullif(trim(linked_line_name), '') as linked_line_name,

        -- confidence
        confidence as confidence_raw,
        {{ code_key('confidence') }} as confidence_key,

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
        {{ normalise_datetime('observed_at_raw', '_date_format', iso_text='observed_at_iso_text') }} as observed_at,
        {{ datetime_status('observed_at_raw', '_date_format', iso_text='observed_at_iso_text') }} as observed_at_status

    from delivered

),

validated as (

    select
        *,
        {{ normalise_phone('phone_raw', digits='phone_digits') }} as phone_e164,
        {{ phone_type('phone_raw', digits='phone_digits') }} as phone_type,
        {{ phone_status('phone_raw', digits='phone_digits') }} as phone_status,
        {{ national_code('osint', 'confidence', 'confidence_key') }} as confidence

    from typed

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, observation_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from validated

)

select
    -- ids
    osint_observation_id,
    person_record_id,
    observation_id,
    subject_ref,
    force_code,

    -- observed
    observed_at_raw,
    observed_at,
    observed_at_status,
    platform_raw,
    platform,

    -- handle and phone
    handle_raw,
    handle,
    phone_raw,
    phone_e164,
    phone_type,
    phone_status,

    -- content
    url,
    content_summary,
    linked_line_name,

    -- confidence
    confidence_raw,
    confidence,
    {{ code_status('confidence_key', 'confidence') }} as confidence_status,

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
