-- One row per place: every valid postcode seen on a current event (where it happened, where a missing
-- person was found), on a current person record (home postcode) or a cuckooed address, and every
-- data.police.uk street-crime map point and LSOA. The platform has no postcode lookup (no ONS
-- Postcode Directory), so a postcode has no coordinates and no LSOA: coordinates and LSOAs exist only
-- where data.police.uk gives them. A postcode's force area comes from the seed forces' postcode areas
-- (illustrative, not a boundary file), else from the force that recorded events there; a person's
-- home postcode says nothing about the force that delivered the person.
with

events as (

    select * from {{ ref('event') }}

),

missing_episodes as (

    select * from {{ ref('stg_missing__episodes') }}
    where is_current and found_postcode_status = 'valid'

),

person_records as (

    -- a UK postcode only: the linkage input also keeps a foreign postal code (a partner's register of
    -- people abroad), which is evidence for linkage but no place this platform can locate
    select * from {{ ref('int_person_records') }}
    where {{ regex_matches('postcode_std', uk_postcode_pattern()) }}

),

record_dates as (

    select * from {{ ref('int_pole__person_record_dates') }}

),

cuckooed_addresses as (

    select * from {{ ref('stg_clicm__cuckooed_addresses') }}
    where is_current and postcode_status = 'valid'

),

street_crimes as (

    select * from {{ ref('stg_police_uk__street_crimes') }}
    where is_current

),

forces as (

    select * from {{ ref('forces') }}

),

-- the postcode areas each force mostly covers (seed forces; an area claimed by two forces has none)
force_area_parts as (

    select
        force_code,
        {{ split_to_rows('postcode_areas', ' ') }} as postcode_area_part

    from forces
    where postcode_areas is not null

),

force_postcode_areas as (

    select
        upper(trim(postcode_area_part)) as postcode_area,
        case when count(distinct force_code) = 1 then min(force_code) end as force_code

    from force_area_parts
    where trim(postcode_area_part) != ''
    group by upper(trim(postcode_area_part))

),

postcode_sightings as (

    -- where an event happened (staging normalised the postcode; only a valid format is a place)
    select
        events.location_postcode as postcode,
        events.force_code as recording_force,
        events.source_name,
        events.event_id as record_key,
        {{ event_span_start('events') }} as seen_from_on,
        {{ event_span_end('events') }} as seen_to_on
    from events
    where {{ regex_matches('events.location_postcode', uk_postcode_pattern()) }}

    union all

    -- where a missing person was found
    select
        found_postcode as postcode,
        found_force as recording_force,
        'missing' as source_name,
        episode_id as record_key,
        cast(found_at as date) as seen_from_on,
        cast(found_at as date) as seen_to_on
    from missing_episodes

    union all

    -- a person record's home postcode (valid only), dated like the record
    select
        person_records.postcode_std as postcode,
        cast(null as {{ dbt.type_string() }}) as recording_force,
        person_records.source_name,
        person_records.person_record_id as record_key,
        record_dates.seen_from_on,
        record_dates.seen_to_on
    from person_records
    left join record_dates
        on person_records.person_record_id = record_dates.person_record_id

    union all

    -- an address a county line took over
    select
        postcode,
        address_force as recording_force,
        'clicm' as source_name,
        cuckooed_address_id as record_key,
        coalesce(first_reported_on, cast(_delivery_date as date)) as seen_from_on,
        cast(_delivery_date as date) as seen_to_on
    from cuckooed_addresses

),

postcode_summary as (

    select
        postcode_sightings.postcode,
        {{ most_frequent('forces.force_code') }} as recording_force,
        min(postcode_sightings.seen_from_on) as first_seen_on,
        max(postcode_sightings.seen_to_on) as last_seen_on,
        count(distinct postcode_sightings.record_key) as record_count,
        {{ string_agg_distinct('postcode_sightings.source_name') }} as source_names

    from postcode_sightings
    left join forces
        on postcode_sightings.recording_force = forces.force_code
    group by postcode_sightings.postcode

),

postcode_locations as (

    select
        {{ oe_hash(["'postcode'", 'postcode_summary.postcode']) }} as location_id,
        'postcode' as location_type,
        postcode_summary.postcode,
        {{ postcode_outward('postcode_summary.postcode', normalised='postcode_summary.postcode') }}
            as postcode_outward,
        {{ postcode_sector('postcode_summary.postcode', normalised='postcode_summary.postcode') }}
            as postcode_sector,
        cast(null as {{ dbt.type_string() }}) as lsoa_code,
        cast(null as {{ dbt.type_string() }}) as lsoa_name,
        cast(null as {{ dbt.type_string() }}) as location_description,
        coalesce(force_postcode_areas.force_code, postcode_summary.recording_force) as force_code,
        case
            when force_postcode_areas.force_code is not null then 'postcode_area'
            when postcode_summary.recording_force is not null then 'recording_force'
        end as force_code_basis,
        cast(null as double) as latitude,
        cast(null as double) as longitude,
        postcode_summary.first_seen_on,
        postcode_summary.last_seen_on,
        postcode_summary.record_count,
        postcode_summary.source_names

    from postcode_summary
    left join force_postcode_areas
        on
            {{ postcode_area('postcode_summary.postcode', normalised='postcode_summary.postcode') }}
            = force_postcode_areas.postcode_area

),

located_crimes as (

    select * from street_crimes
    where has_location and longitude is not null and latitude is not null

),

-- the name each LSOA code is published with (the most frequent, should a file differ)
lsoa_summary as (

    select
        lsoa_code,
        {{ most_frequent('lsoa_name') }} as lsoa_name,
        {{ most_frequent('falls_within_force') }} as force_code,
        min(month_start) as first_seen_on,
        max(month_start) as last_seen_on,
        count(*) as record_count

    from street_crimes
    where lsoa_code is not null
    group by lsoa_code

),

lsoa_locations as (

    select
        {{ oe_hash(["'lsoa'", 'lsoa_code']) }} as location_id,
        'lsoa' as location_type,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as postcode_outward,
        cast(null as {{ dbt.type_string() }}) as postcode_sector,
        lsoa_code,
        lsoa_name,
        cast(null as {{ dbt.type_string() }}) as location_description,
        force_code,
        case when force_code is not null then 'police_uk' end as force_code_basis,
        cast(null as double) as latitude,
        cast(null as double) as longitude,
        first_seen_on,
        last_seen_on,
        record_count,
        'police_uk' as source_names

    from lsoa_summary

),

-- a data.police.uk map point (crimes are snapped to these, "On or near …"); a point on an LSOA
-- boundary takes the LSOA most of its crimes were published with
point_summary as (

    select
        longitude,
        latitude,
        {{ most_frequent('lsoa_code') }} as lsoa_code,
        {{ most_frequent('location_description') }} as location_description,
        {{ most_frequent('falls_within_force') }} as force_code,
        min(month_start) as first_seen_on,
        max(month_start) as last_seen_on,
        count(*) as record_count

    from located_crimes
    group by longitude, latitude

),

point_locations as (

    select
        -- the coordinates as fixed-point text: a double's own text differs by engine (-5e-05 in
        -- DuckDB, -5.0E-5 in Spark), ten places keep every delivered digit
        {{ oe_hash([
            "'point'",
            'cast(cast(point_summary.longitude as decimal(20, 10)) as string)',
            'cast(cast(point_summary.latitude as decimal(20, 10)) as string)',
        ]) }} as location_id,
        'point' as location_type,
        cast(null as {{ dbt.type_string() }}) as postcode,
        cast(null as {{ dbt.type_string() }}) as postcode_outward,
        cast(null as {{ dbt.type_string() }}) as postcode_sector,
        point_summary.lsoa_code,
        lsoa_summary.lsoa_name,
        point_summary.location_description,
        point_summary.force_code,
        case when point_summary.force_code is not null then 'police_uk' end as force_code_basis,
        cast(point_summary.latitude as double) as latitude,
        cast(point_summary.longitude as double) as longitude,
        point_summary.first_seen_on,
        point_summary.last_seen_on,
        point_summary.record_count,
        'police_uk' as source_names

    from point_summary
    left join lsoa_summary
        on point_summary.lsoa_code = lsoa_summary.lsoa_code

),

final as (

    select * from postcode_locations
    union all
    select * from lsoa_locations
    union all
    select * from point_locations

)

select * from final
