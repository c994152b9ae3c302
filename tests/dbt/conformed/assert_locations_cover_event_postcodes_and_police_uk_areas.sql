-- Every place the sources name is a location: each valid event postcode and each valid (UK) home
-- postcode of a current person record is a postcode location (a foreign postal code, kept for linkage,
-- is none), each LSOA and each map point of current
-- data.police.uk street crimes is a location, and the map points carry their coordinates.
-- Returns what is left out; an empty result passes.
-- (in the conformed group: it reads the private linkage input int_person_records)
{{ config(group='conformed') }}

with

events as (

    select * from {{ ref('event') }}
    where {{ regex_matches('location_postcode', uk_postcode_pattern()) }}

),

person_records as (

    select * from {{ ref('int_person_records') }}
    where {{ regex_matches('postcode_std', uk_postcode_pattern()) }}

),

street_crimes as (

    select * from {{ ref('stg_police_uk__street_crimes') }}
    where is_current

),

locations as (

    select * from {{ ref('location') }}

),

postcodes as (

    select * from locations
    where location_type = 'postcode'

),

lsoas as (

    select * from locations
    where location_type = 'lsoa'

),

points as (

    select * from locations
    where location_type = 'point'

),

missing_event_postcodes as (

    select
        'event postcode' as failure,
        events.event_id as failing_key
    from events
    left join postcodes
        on events.location_postcode = postcodes.postcode
    where postcodes.location_id is null

),

missing_home_postcodes as (

    select
        'home postcode' as failure,
        person_records.person_record_id as failing_key
    from person_records
    left join postcodes
        on person_records.postcode_std = postcodes.postcode
    where postcodes.location_id is null

),

missing_lsoas as (

    select
        'lsoa' as failure,
        street_crimes.street_crime_id as failing_key
    from street_crimes
    left join lsoas
        on street_crimes.lsoa_code = lsoas.lsoa_code
    where street_crimes.lsoa_code is not null and lsoas.location_id is null

),

missing_points as (

    select
        'map point' as failure,
        street_crimes.street_crime_id as failing_key
    from street_crimes
    left join points
        on
            street_crimes.longitude = points.longitude
            and street_crimes.latitude = points.latitude
    where
        street_crimes.has_location
        and street_crimes.longitude is not null
        and street_crimes.latitude is not null
        and points.location_id is null

),

uncoordinated_points as (

    select
        'map point without coordinates' as failure,
        location_id as failing_key
    from points
    where latitude is null or longitude is null

)

select * from missing_event_postcodes
union all
select * from missing_home_postcodes
union all
select * from missing_lsoas
union all
select * from missing_points
union all
select * from uncoordinated_points
