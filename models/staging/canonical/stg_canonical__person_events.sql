-- One row per bronze canonical person-event row (staged rows = bronze rows): a person's role in an
-- event, both given by the partner's keys; the role mapped to the national vocabulary through the
-- seed person_roles (as in stg_crime__persons). person_record_id and canonical_event_id join
-- stg_canonical__persons and stg_canonical__events. The latest delivery of each link is current.
-- has_person_record / has_event say whether the partner ever delivered the person and the event the
-- link names: a link to either that was never delivered is a dangling reference, reported in
-- stg_data_quality__issues (rule orphan) and kept out of conformed.person_event.
with

source as (

    select * from {{ source('bronze', 'canonical__person_events') }}

),

person_roles as (

    select * from {{ ref('person_roles') }}

),

-- every person and event each partner has delivered (any version), by the partner's keys
delivered_persons as (

    select distinct
        _force_code as force_code,
        trim(record_id) as record_id

    from {{ source('bronze', 'canonical__persons') }}

),

delivered_events as (

    select distinct
        _force_code as force_code,
        trim(event_id) as event_id

    from {{ source('bronze', 'canonical__events') }}

),

typed as (

    select
        -- ids
        {{ oe_hash(["'canonical'", '_force_code', 'trim(record_id)']) }} as person_record_id,
        {{ oe_hash(["'canonical'", '_force_code', 'trim(event_id)']) }} as canonical_event_id,
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
        _layout,
        _loaded_at

    from source

),

versioned as (

    select
        typed.*,
        person_roles.role,
        delivered_persons.record_id is not null as has_person_record,
        delivered_events.event_id is not null as has_event,
        row_number() over (
            partition by typed.force_code, typed.record_id, typed.event_id, typed.role_key
            order by
                typed._delivery_date desc,
                typed._loaded_at desc,
                typed._file_id desc,
                typed._row_number desc
        ) = 1 as is_latest_version

    from typed
    left join person_roles
        on typed.role_key = person_roles.local_code
    left join delivered_persons
        on
            typed.force_code = delivered_persons.force_code
            and typed.record_id = delivered_persons.record_id
    left join delivered_events
        on
            typed.force_code = delivered_events.force_code
            and typed.event_id = delivered_events.event_id

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

    -- references
    has_person_record,
    has_event,

    -- versions
    is_latest_version,
    is_latest_version as is_current,

    -- lineage
    _file_id,
    _row_number,
    _delivery_date,
    _layout

from versioned
