-- One row per resolved person known in two or more of the forces' areas, by the forces of the
-- person's events and of the force records that deliver the person (national datasets and partners
-- are not force areas). What conflation adds: the forces and sources, and the linkage confidence
-- that joined the person's records.
with

forces as (

    select * from {{ ref('forces') }}

),

person_records as (

    select * from {{ ref('person_source_record') }}
    where person_id is not null

),

person_events as (

    select * from {{ ref('person_event') }}
    where person_id is not null

),

events as (

    select * from {{ ref('event') }}

),

-- (person, force, source, basis): a record a force delivered, or an event in a force area
sightings as (

    select
        person_records.person_id,
        person_records.force_code,
        person_records.source_name,
        'record' as basis,
        cast(null as date) as seen_on

    from person_records
    inner join forces
        on person_records.force_code = forces.force_code

    union all

    select
        person_events.person_id,
        events.force_code,
        events.source_name,
        'event' as basis,
        coalesce(events.occurred_on, events.recorded_on) as seen_on

    from person_events
    inner join events
        on person_events.event_id = events.event_id
    inner join forces
        on events.force_code = forces.force_code

),

per_force as (

    select
        person_id,
        force_code,
        concat(force_code, ' (', {{ string_agg_distinct('source_name', ', ') }}, ')') as force_sources

    from sightings
    group by person_id, force_code

),

per_person as (

    select
        person_id,
        count(distinct force_code) as force_count,
        {{ string_agg_distinct('force_code', ', ') }} as forces,
        count(distinct case when basis = 'record' then force_code end) as delivering_force_count,
        {{ string_agg_distinct("case when basis = 'record' then force_code end", ', ') }} as delivering_forces,
        {{ string_agg_distinct("case when basis = 'event' then force_code end", ', ') }} as event_forces,
        min(seen_on) as first_seen_on,
        max(seen_on) as last_seen_on

    from sightings
    group by person_id

),

force_lists as (

    select
        person_id,
        {{ string_agg_distinct('force_sources', '; ') }} as forces_and_sources

    from per_force
    group by person_id

),

linkage as (

    select
        person_id,
        count(*) as person_record_count,
        count(distinct source_name) as source_count,
        {{ string_agg_distinct('source_name', ', ') }} as sources,
        min(match_confidence) as min_match_confidence,
        avg(match_confidence) as mean_match_confidence

    from person_records
    group by person_id

),

event_counts as (

    select
        person_id,
        count(distinct event_id) as event_count

    from person_events
    group by person_id

),

final as (

    select
        per_person.person_id,
        per_person.force_count,
        per_person.forces,
        force_lists.forces_and_sources,
        per_person.delivering_force_count,
        per_person.delivering_forces,
        per_person.event_forces,
        per_person.delivering_force_count >= 2 as is_joined_by_linkage,
        linkage.person_record_count,
        linkage.source_count,
        linkage.sources,
        round(linkage.min_match_confidence, 6) as min_match_confidence,
        round(linkage.mean_match_confidence, 6) as mean_match_confidence,
        coalesce(event_counts.event_count, 0) as event_count,
        per_person.first_seen_on,
        per_person.last_seen_on,
        concat_ws(
            '; ',
            concat(
                'known in ', cast(per_person.force_count as string), ' force areas: ', force_lists.forces_and_sources
            ),
            case when per_person.delivering_force_count >= 2 then concat(
                'records from ', cast(per_person.delivering_force_count as string),
                ' forces joined by linkage',
                case
                    when linkage.min_match_confidence is not null
                        then concat(
                            ' (weakest link ', cast(round(linkage.min_match_confidence, 4) as string), ')'
                        )
                    else ''
                end
            ) end
        ) as reasons

    from per_person
    inner join force_lists
        on per_person.person_id = force_lists.person_id
    inner join linkage
        on per_person.person_id = linkage.person_id
    left join event_counts
        on per_person.person_id = event_counts.person_id
    where per_person.force_count >= 2

)

select * from final
