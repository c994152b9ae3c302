-- One row per bronze missing-episode row (staged rows = bronze rows): when and where the person went
-- missing and was found, the risk grade mapped to the seed missing_risk_grades through the layout's
-- code set, the flags (stg_missing__episode_flags, one boolean per national flag), and the found
-- force. The missing person's attributes are staged by stg_missing__missing_persons (same rows,
-- same keys). An episode delivered again (found, re-graded) supersedes the earlier version.
{{ incremental_staging_config(key=['force_code', 'episode_ref']) }}
with

source as (

    {{ new_bronze_rows('missing__episodes', ['_force_code', 'episode_ref'], ['force_code', 'episode_ref']) }}

),

risk_grades as (

    select * from {{ ref('missing_risk_grades') }}

),

episode_flags as (

    select * from {{ ref('stg_missing__episode_flags') }}

),

flags_by_row as (

    select
        _file_id,
        _row_number,
        count(*) as flag_count,
        sum(case when flag_status = 'unmapped' then 1 else 0 end) as unmapped_flag_count,
        max(case when flag_code = 'cse' then 1 else 0 end) = 1 as has_cse_flag,
        max(case when flag_code = 'cce' then 1 else 0 end) = 1 as has_cce_flag,
        max(case when flag_code = 'county_lines' then 1 else 0 end) = 1 as has_county_lines_flag,
        max(case when flag_code = 'mental_health' then 1 else 0 end) = 1 as has_mental_health_flag,
        max(case when flag_code = 'looked_after_child' then 1 else 0 end) = 1 as has_looked_after_child_flag,
        max(case when is_exploitation_flag then 1 else 0 end) = 1 as has_exploitation_flag

    from episode_flags
    group by _file_id, _row_number

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'missing'", '_force_code', 'episode_ref']) }} as episode_id,
        {{ oe_hash(["'missing'", '_force_code', 'episode_ref']) }} as person_record_id,
        episode_ref,
        person_ref,
        _force_code as force_code,

        -- reported and last seen
        reported_datetime as reported_datetime_raw,
        {{ datetime_iso_text('reported_datetime', '_date_format') }} as reported_datetime_iso_text,
        last_seen_datetime as last_seen_datetime_raw,
        {{ datetime_iso_text('last_seen_datetime', '_date_format') }} as last_seen_datetime_iso_text,
        trim(last_seen_location) as last_seen_location,
        last_seen_postcode as last_seen_postcode_raw,
        {{ normalise_postcode('last_seen_postcode') }} as last_seen_postcode,
        {{ postcode_status('last_seen_postcode') }} as last_seen_postcode_status,

        -- risk and flags
        risk_grade as risk_grade_raw,
        {{ code_key('risk_grade') }} as risk_grade_key,
        flags as flags_raw,

        -- found
        found_datetime as found_datetime_raw,
        {{ datetime_iso_text('found_datetime', '_date_format') }} as found_datetime_iso_text,
        trim(found_location) as found_location,
        found_postcode as found_postcode_raw,
        {{ normalise_postcode('found_postcode') }} as found_postcode,
        {{ postcode_status('found_postcode') }} as found_postcode_status,
        found_force as found_force_raw,
        {{ code_key('found_force') }} as found_force_key,
        return_interview_offered as return_interview_offered_raw,
        {{ normalise_yes_no('return_interview_offered') }} as is_return_interview_offered,
        {{ yes_no_status('return_interview_offered') }} as return_interview_offered_status,

        -- status
        status as episode_status_raw,
        {{ code_key('status') }} as episode_status_key,
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
        {{ normalise_datetime('reported_datetime_raw', '_date_format', iso_text='reported_datetime_iso_text') }}
            as reported_at,
        {{ datetime_status('reported_datetime_raw', '_date_format', iso_text='reported_datetime_iso_text') }}
            as reported_datetime_status,
        {{ normalise_datetime('last_seen_datetime_raw', '_date_format', iso_text='last_seen_datetime_iso_text') }}
            as last_seen_at,
        {{ datetime_status('last_seen_datetime_raw', '_date_format', iso_text='last_seen_datetime_iso_text') }}
            as last_seen_datetime_status,
        {{ normalise_datetime('found_datetime_raw', '_date_format', iso_text='found_datetime_iso_text') }} as found_at,
        {{ datetime_status('found_datetime_raw', '_date_format', iso_text='found_datetime_iso_text') }}
            as found_datetime_status

    from delivered

),

mapped as (

    select
        typed.*,
        {{ national_code('missing', 'risk_grade', 'typed.risk_grade_key', layout='typed._layout') }} as risk_grade_code,
        {{ national_code('missing', 'found_force', 'typed.found_force_key', layout='typed._layout') }} as found_force,
        {{ national_code('missing', 'status', 'typed.episode_status_key', layout='typed._layout') }} as episode_status

    from typed

),

joined as (

    select
        mapped.*,
        risk_grades.risk_grade,
        risk_grades.label as risk_grade_label,
        risk_grades.severity_rank as risk_severity_rank,
        risk_grades.is_legacy as is_legacy_risk_grade,
        coalesce(flags_by_row.flag_count, 0) as flag_count,
        coalesce(flags_by_row.unmapped_flag_count, 0) as unmapped_flag_count,
        coalesce(flags_by_row.has_cse_flag, false) as has_cse_flag,
        coalesce(flags_by_row.has_cce_flag, false) as has_cce_flag,
        coalesce(flags_by_row.has_county_lines_flag, false) as has_county_lines_flag,
        coalesce(flags_by_row.has_mental_health_flag, false) as has_mental_health_flag,
        coalesce(flags_by_row.has_looked_after_child_flag, false) as has_looked_after_child_flag,
        coalesce(flags_by_row.has_exploitation_flag, false) as has_exploitation_flag

    from mapped
    left join risk_grades
        on mapped.risk_grade_code = risk_grades.risk_grade
    left join flags_by_row
        on
            mapped._file_id = flags_by_row._file_id
            and mapped._row_number = flags_by_row._row_number

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, episode_ref
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from joined

)

select
    -- ids
    episode_id,
    person_record_id,
    episode_ref,
    person_ref,
    force_code,

    -- reported and last seen
    reported_datetime_raw,
    reported_at,
    reported_datetime_status,
    last_seen_datetime_raw,
    last_seen_at,
    last_seen_datetime_status,
    last_seen_location,
    last_seen_postcode_raw,
    last_seen_postcode,
    last_seen_postcode_status,

    -- risk
    risk_grade_raw,
    risk_grade,
    risk_grade_label,
    risk_severity_rank,
    is_legacy_risk_grade,
    {{ code_status('risk_grade_key', 'risk_grade') }} as risk_grade_status,

    -- flags
    flags_raw,
    flag_count,
    unmapped_flag_count,
    case
        when flag_count = 0 then 'missing'
        when unmapped_flag_count = 0 then 'mapped'
        when unmapped_flag_count = flag_count then 'unmapped'
        else 'partly_unmapped'
    end as flags_status,
    has_cse_flag,
    has_cce_flag,
    has_county_lines_flag,
    has_mental_health_flag,
    has_looked_after_child_flag,
    has_exploitation_flag,

    -- found
    found_datetime_raw,
    found_at,
    found_datetime_status,
    found_location,
    found_postcode_raw,
    found_postcode,
    found_postcode_status,
    found_force_raw,
    found_force,
    {{ code_status('found_force_key', 'found_force') }} as found_force_status,
    found_force is not null and found_force != force_code as is_found_in_other_force,
    {{ dbt.datediff('last_seen_at', 'found_at', 'minute') }}
    / 60.0 as missing_hours,
    return_interview_offered_raw,
    is_return_interview_offered,
    return_interview_offered_status,

    -- status
    episode_status_raw,
    episode_status,
    {{ code_status('episode_status_key', 'episode_status') }} as episode_status_mapping,

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
