-- One row per resolved person and event in which the person offended (an offender role of the var
-- offender_roles: suspect, offender, arrested, charged, detainee, alleged_exploiter), with the
-- event's date, force, offence and harm weight, and the person's days since the event at the
-- scoring date. Being a victim, witness or missing person never makes a row here: victims are told
-- apart from perpetrators (docs/scores.md). Two records of one person in one event are one row.
with

as_of as (

    {{ scoring_as_of_select() }}

),

person_events as (

    select * from {{ ref('person_event') }}
    where
        person_id is not null
        and role in {{ sql_in_list(var('offender_roles')) }}

),

events as (

    select * from {{ ref('event') }}

),

offending as (

    select
        person_events.person_id,
        person_events.event_id,
        min(person_events.role) as role,
        count(distinct person_events.person_record_id) as person_record_count

    from person_events
    group by person_events.person_id, person_events.event_id

),

final as (

    select
        offending.person_id,
        offending.event_id,
        offending.role,
        events.event_type,
        events.force_code,
        coalesce(events.occurred_on, events.recorded_on) as event_on,
        {{ days_between('coalesce(events.occurred_on, events.recorded_on)', 'as_of.as_of_on') }} as days_ago,
        events.offence_code,
        events.offence_group,
        events.harm_weight_days,
        case
            when events.harm_weight_days is not null then 'weighted'
            when events.event_type not in ('crime', 'custody') then 'not_an_offence_record'
            when events.offence_code is null then 'no_offence_code'
            else 'unknown_offence_code'
        end as harm_weight_status,
        offending.person_record_count

    from offending
    inner join events
        on offending.event_id = events.event_id
    cross join as_of

)

select * from final
