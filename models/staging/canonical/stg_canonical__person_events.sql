-- One row per bronze canonical person-event row (staged rows = bronze rows): a person's role in an
-- event, both given by the partner's keys; the role mapped to the national vocabulary through the
-- seed person_roles (as in stg_crime__persons). person_record_id and canonical_event_id join
-- stg_canonical__persons and stg_canonical__events. The latest delivery of each link is current.
with

source as (

    select * from {{ source('bronze', 'canonical__person_events') }}

),

person_roles as (

    select * from {{ ref('person_roles') }}

),

typed as (

    select
        -- ids
        {{ oe_hash(["'canonical'", '_force_code', 'record_id']) }} as person_record_id,
        {{ oe_hash(["'canonical'", '_force_code', 'event_id']) }} as canonical_event_id,
        trim(record_id) as record_id,
        trim(event_id) as event_id,
        _force_code as force_code,

        -- role
        role as role_raw,
        {{ code_key('role') }} as role_key,

        -- lineage
        _file_id,
        _row_number,
        _delivery_date,
        _layout

    from source

),

versioned as (

    select
        typed.*,
        person_roles.role,
        row_number() over (
            partition by typed.force_code, typed.record_id, typed.event_id, typed.role_key
            order by typed._delivery_date desc, typed._file_id desc, typed._row_number desc
        ) = 1 as is_latest_version

    from typed
    left join person_roles
        on typed.role_key = person_roles.local_code

)

select
    -- ids
    person_record_id,
    canonical_event_id,
    record_id,
    event_id,
    force_code,

    -- role
    role_raw,
    role,
    case
        when role_key is null then 'missing'
        when role is null then 'unmapped'
        else 'mapped'
    end as role_status,

    -- versions
    is_latest_version,
    is_latest_version as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout

from versioned
