-- One event per current source record. Crime reports today; intelligence logs, custody records,
-- missing episodes, NRM referrals and OSINT observations join this union as their staging lands.
with

crimes as (

    select * from {{ ref('stg_crime__crimes') }}
    where is_current

),

offence_classes as (

    select * from {{ ref('home_office_offence_classes') }}

),

crime_events as (

    select
        crimes.crime_id as event_id,
        'crime' as event_type,
        'crime' as source_name,
        crimes.force_code,
        crimes.crime_ref as source_record_ref,
        crimes.occurred_from as occurred_on,
        crimes.occurred_to as occurred_until,
        crimes.recorded_on,
        crimes.home_office_code as offence_code,
        coalesce(offence_classes.description, crimes.offence_description) as offence_description,
        offence_classes.offence_group,
        cast(offence_classes.harm_weight_days as double) as harm_weight_days,
        crimes.location_postcode,
        cast(null as string) as intel_grading,
        crimes.crime_status as event_status

    from crimes
    left join offence_classes
        on crimes.home_office_code = offence_classes.home_office_code

)

select * from crime_events
