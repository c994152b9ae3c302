-- One row per event, object and relationship: a phone number an intelligence log mentions, the
-- handle and the phone an OSINT observation records. Each edge keeps its source and dates (the
-- event's).
with

sightings as (

    select * from {{ ref('int_pole__object_sightings') }}
    where event_id is not null

),

final as (

    select
        {{ oe_hash(['event_id', 'object_id', 'relationship']) }} as event_object_id,
        event_id,
        object_id,
        object_type,
        relationship,
        min(source_name) as source_name,
        min(seen_from_on) as first_seen_on,
        max(seen_to_on) as last_seen_on,
        count(distinct record_key) as record_count

    from sightings
    group by event_id, object_id, object_type, relationship

)

select * from final
