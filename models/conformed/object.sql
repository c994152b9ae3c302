-- One row per object: a phone number (E.164), an e-mail address or an online handle (per platform),
-- over every current record that mentions it (int_pole__object_sightings): when it was first and
-- last seen, in how many records and sources, by how many people, events and county lines.
with

sightings as (

    select * from {{ ref('int_pole__object_sightings') }}

),

final as (

    select
        object_id,
        object_type,
        object_platform,
        object_value,
        min(seen_from_on) as first_seen_on,
        max(seen_to_on) as last_seen_on,
        count(distinct record_key) as record_count,
        count(distinct source_name) as source_count,
        {{ string_agg_distinct('source_name') }} as source_names,
        count(distinct person_id) as person_count,
        count(distinct event_id) as event_count,
        count(distinct county_line_id) as county_line_count

    from sightings
    group by object_id, object_type, object_platform, object_value

)

select * from final
