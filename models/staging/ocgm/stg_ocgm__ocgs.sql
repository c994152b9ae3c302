-- One row per bronze OCG Mapping group row (staged rows = bronze rows): lead force, band and
-- criminality mapped through the layout's code sets in the contract (band labels and criminality
-- codes are [unverified] working assumptions), threat score as an integer, dates parsed. Monthly
-- deliveries carry the groups created or changed since the last one; the latest version of each
-- group is current unless deleted at source.
{{ incremental_staging_config(key=['force_code', 'ocg_id']) }}
with

source as (

    {{ new_bronze_rows('ocgm__ocgs', ['_force_code', 'trim(ocg_id)'], ['force_code', 'ocg_id']) }}

),

forces as (

    select * from {{ ref('forces') }}

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'ocgm'", '_force_code', 'ocg_id']) }} as organised_crime_group_id,
        trim(ocg_id) as ocg_id,
        _force_code as force_code,
        trim(ocg_name) as ocg_name,

        -- coded attributes
        lead_force as lead_force_raw,
        {{ code_key('lead_force') }} as lead_force_key,
        band as band_raw,
        {{ code_key('band') }} as band_key,
        principal_criminality as principal_criminality_raw,
        {{ code_key('principal_criminality') }} as principal_criminality_key,
        secondary_criminality as secondary_criminality_raw,
        {{ code_key('secondary_criminality') }} as secondary_criminality_key,
        status as ocg_status_raw,
        nullif(lower(trim(status)), '') as ocg_status,

        -- threat score
        threat_score as threat_score_raw,
        {{ normalise_integer('threat_score') }} as threat_score,
        {{ integer_status('threat_score') }} as threat_score_status,

        -- dates
        mapped_date as mapped_date_raw,
        {{ date_iso_text('mapped_date', '_date_format') }} as mapped_date_iso_text,
        last_reviewed_date as last_reviewed_date_raw,
        {{ date_iso_text('last_reviewed_date', '_date_format') }} as last_reviewed_date_iso_text,

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
        {{ normalise_date('mapped_date_raw', '_date_format', iso_text='mapped_date_iso_text') }} as mapped_on,
        {{ date_status('mapped_date_raw', '_date_format', iso_text='mapped_date_iso_text') }} as mapped_date_status,
        {{ normalise_date('last_reviewed_date_raw', '_date_format', iso_text='last_reviewed_date_iso_text') }}
            as last_reviewed_on,
        {{ date_status('last_reviewed_date_raw', '_date_format', iso_text='last_reviewed_date_iso_text') }}
            as last_reviewed_date_status

    from delivered

),

mapped as (

    select
        typed.*,
        coalesce(
            {{ layout_code('ocgm', 'lead_force', 'typed.lead_force_key', layout='typed._layout') }},
            forces.force_code
        ) as lead_force,
        {{ national_code('ocgm', 'band', 'typed.band_key', layout='typed._layout') }} as band,
        {{ national_code('ocgm', 'principal_criminality', 'typed.principal_criminality_key', layout='typed._layout') }}
            as principal_criminality,
        {{ national_code('ocgm', 'secondary_criminality', 'typed.secondary_criminality_key', layout='typed._layout') }}
            as secondary_criminality

    from typed
    left join forces
        on typed.lead_force_key = {{ code_key('forces.force_code') }}

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, ocg_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from mapped

)

select
    -- ids
    organised_crime_group_id,
    ocg_id,
    force_code,
    ocg_name,

    -- lead force
    lead_force_raw,
    lead_force,
    {{ code_status('lead_force_key', 'lead_force') }} as lead_force_status,

    -- threat
    band_raw,
    band,
    {{ code_status('band_key', 'band') }} as band_status,
    threat_score_raw,
    threat_score,
    threat_score_status,

    -- criminality
    principal_criminality_raw,
    principal_criminality,
    {{ code_status('principal_criminality_key', 'principal_criminality') }} as principal_criminality_status,
    secondary_criminality_raw,
    secondary_criminality,
    {{ code_status('secondary_criminality_key', 'secondary_criminality') }} as secondary_criminality_status,

    -- group status and dates
    ocg_status_raw,
    ocg_status,
    mapped_date_raw,
    mapped_on,
    mapped_date_status,
    last_reviewed_date_raw,
    last_reviewed_on,
    last_reviewed_date_status,

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
