-- One row per person, object, relationship and source: a resolved person's own phone or e-mail
-- address, a phone or handle an OSINT observation links to them, a deal number of a county line
-- they hold. Each edge keeps its source and when it was first and last seen.
with

sightings as (

    select * from {{ ref('int_pole__object_sightings') }}
    where person_record_id is not null

),

final as (

    select
        {{ oe_hash(['person_id', 'object_id', 'relationship', 'source_name']) }} as person_object_id,
        person_id,
        object_id,
        object_type,
        relationship,
        source_name,
        min(seen_from_on) as first_seen_on,
        max(seen_to_on) as last_seen_on,
        count(distinct record_key) as record_count,
        count(distinct person_record_id) as person_record_count

    from sightings
    group by person_id, object_id, object_type, relationship, source_name

)

select * from final
