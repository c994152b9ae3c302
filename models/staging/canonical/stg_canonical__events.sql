-- One row per bronze canonical event row (staged rows = bronze rows), from any partner delivering
-- the canonical extract format: event type checked against the canonical vocabulary, occurrence
-- date-time parsed, the force area checked against the seed forces, the offence code resolved like
-- stg_crime__crimes (Home Office class, or a local code of the event's force through the seed
-- local_offence_codes). force_code is the delivering partner; event_force the area it happened in.
{{ incremental_staging_config(key=['force_code', 'event_id']) }}
with

source as (

    {{ new_bronze_rows('canonical__events', ['_force_code', 'trim(event_id)'], ['force_code', 'event_id']) }}

),

forces as (

    select * from {{ ref('forces') }}

),

local_codes as (

    select * from {{ ref('local_offence_codes') }}

),

offence_classes as (

    select * from {{ ref('home_office_offence_classes') }}

),

-- the event types of the canonical extract format (contracts/canonical.yml)
canonical_event_types as (

    select event_types.event_type

    from (
        values
        {%- for event_type in canonical_event_types() %}
            ('{{ event_type }}'){{ "," if not loop.last }}
        {%- endfor %}
    ) as event_types (event_type)

),

delivered as (

    select
        -- ids
        {{ oe_hash(["'canonical'", '_force_code', 'trim(event_id)']) }} as canonical_event_id,
        trim(event_id) as event_id,
        _force_code as force_code,

        -- event
        event_type as event_type_raw,
        lower({{ code_key('event_type') }}) as event_type_key,
        occurred_at as occurred_at_raw,
        {{ datetime_iso_text('occurred_at', '_date_format') }} as occurred_at_iso_text,
        force_code as event_force_raw,
        {{ code_key('force_code') }} as event_force_key,
        upper(trim(offence_code)) as offence_code_raw,

        -- location and description
        location_postcode as location_postcode_raw,
        {{ normalise_postcode('location_postcode') }} as location_postcode,
        {{ postcode_status('location_postcode') }} as location_postcode_status,
        description,

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
        {{ normalise_datetime('occurred_at_raw', '_date_format', iso_text='occurred_at_iso_text') }} as occurred_at,
        {{ datetime_status('occurred_at_raw', '_date_format', iso_text='occurred_at_iso_text') }} as occurred_at_status

    from delivered

),

mapped as (

    select
        typed.*,
        case
            when canonical_event_types.event_type is not null then typed.event_type_key
        end as event_type,
        forces.force_code as event_force,
        coalesce(local_codes.home_office_code, offence_classes.home_office_code) as home_office_code,
        case
            when local_codes.home_office_code is not null then 'local_code_mapped'
            when offence_classes.home_office_code is not null then 'home_office_code'
            when typed.offence_code_raw is null or typed.offence_code_raw = '' then 'missing'
            else 'unmapped'
        end as offence_code_status

    from typed
    left join canonical_event_types
        on typed.event_type_key = canonical_event_types.event_type
    left join forces
        on typed.event_force_key = {{ code_key('forces.force_code') }}
    left join local_codes
        on
            forces.force_code = local_codes.force_code
            and typed.offence_code_raw = upper(local_codes.local_code)
    left join offence_classes
        on typed.offence_code_raw = upper(offence_classes.home_office_code)

),

versioned as (

    select
        *,
        row_number() over (
            partition by force_code, event_id
            order by _delivery_date desc, _loaded_at desc, _file_id desc, _row_number desc
        ) = 1 as is_latest_version

    from mapped

)

select
    -- ids
    canonical_event_id,
    event_id,
    force_code,

    -- event
    event_type_raw,
    event_type,
    {{ code_status('event_type_key', 'event_type') }} as event_type_status,
    occurred_at_raw,
    occurred_at,
    occurred_at_status,
    event_force_raw,
    event_force,
    {{ code_status('event_force_key', 'event_force') }} as event_force_status,

    -- offence
    offence_code_raw,
    home_office_code,
    offence_code_status,

    -- location and description
    location_postcode_raw,
    location_postcode,
    location_postcode_status,
    description,

    -- versions
    is_latest_version,
    is_latest_version as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout,
    _date_format

from versioned
