-- The tasking list: one row per resolved person who is on a national OE dataset (OCG Mapping,
-- CLICM, NRM, OSINT) or in the top deciles (var intel_gap_top_deciles) of either ranking, and who
-- has no local intelligence (an intelligence log naming the person as subject) within
-- intel_gap_days in the force area where the person is active (the force of the person's latest
-- event; else the home force the national dataset gives). Ordered by harm: the better of the
-- person's two deciles, then the offender score, then the vulnerability score.
with

as_of as (

    {{ scoring_as_of_select() }}

),

offenders as (

    select * from {{ ref('mart_oe__high_harm_offenders') }}

),

vulnerable as (

    select * from {{ ref('mart_safeguarding__vulnerable_persons') }}

),

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

ocg_nominals as (

    select * from {{ ref('organised_crime_group_nominal') }}

),

line_nominals as (

    select * from {{ ref('county_line_nominal') }}

),

national as (

    select
        person_id,
        {{ string_agg_distinct('source_name', ', ') }} as national_datasets

    from person_records
    where source_name in ('ocgm', 'clicm', 'nrm', 'osint')
    group by person_id

),

candidates as (

    select person_id from national

    union

    select person_id from offenders
    where decile <= {{ var('intel_gap_top_deciles') }}

    union

    select person_id from vulnerable
    where decile <= {{ var('intel_gap_top_deciles') }}

),

-- the person's events in force areas, latest first
located_events as (

    select
        person_events.person_id,
        events.force_code,
        events.event_type,
        person_events.role,
        coalesce(events.occurred_on, events.recorded_on) as event_on,
        row_number() over (
            partition by person_events.person_id
            order by coalesce(events.occurred_on, events.recorded_on) desc, events.force_code asc
        ) as recency_order

    from person_events
    inner join events
        on person_events.event_id = events.event_id
    inner join forces
        on events.force_code = forces.force_code
    where coalesce(events.occurred_on, events.recorded_on) is not null

),

nominal_home as (

    select
        person_id,
        home_force
    from ocg_nominals

    union all

    select
        person_id,
        home_force
    from line_nominals

),

home_forces as (

    select
        nominal_home.person_id,
        min(nominal_home.home_force) as home_force

    from nominal_home
    inner join forces
        on nominal_home.home_force = forces.force_code
    group by nominal_home.person_id

),

active as (

    select
        candidates.person_id,
        coalesce(latest.force_code, home_forces.home_force) as active_force,
        case
            when latest.force_code is not null then 'latest event'
            when home_forces.home_force is not null then 'home force on national dataset'
        end as active_force_basis,
        latest.event_on as latest_event_on

    from candidates
    left join located_events as latest
        on candidates.person_id = latest.person_id and latest.recency_order = 1
    left join home_forces
        on candidates.person_id = home_forces.person_id

),

local_intel as (

    select
        active.person_id,
        max(case when located_events.force_code = active.active_force then located_events.event_on end)
            as last_local_intel_on,
        count(case when located_events.force_code != active.active_force then 1 end) as other_force_intel_count

    from active
    inner join located_events
        on active.person_id = located_events.person_id
    where located_events.event_type = 'intel' and located_events.role = 'subject'
    group by active.person_id

),

gaps as (

    select
        active.person_id,
        active.active_force,
        active.active_force_basis,
        active.latest_event_on,
        national.national_datasets,
        local_intel.last_local_intel_on,
        {{ days_between('local_intel.last_local_intel_on', 'as_of.as_of_on') }} as days_since_local_intel,
        coalesce(local_intel.other_force_intel_count, 0) as other_force_intel_count,
        offenders.score as offender_score,
        offenders.rank as offender_rank,
        offenders.decile as offender_decile,
        vulnerable.score as vulnerability_score,
        vulnerable.rank as vulnerability_rank,
        vulnerable.decile as vulnerability_decile,
        least(coalesce(offenders.decile, 11), coalesce(vulnerable.decile, 11)) as best_decile

    from active
    cross join as_of
    left join national
        on active.person_id = national.person_id
    left join local_intel
        on active.person_id = local_intel.person_id
    left join offenders
        on active.person_id = offenders.person_id
    left join vulnerable
        on active.person_id = vulnerable.person_id
    where
        active.active_force is not null
        and (
            local_intel.last_local_intel_on is null
            or {{ days_between('local_intel.last_local_intel_on', 'as_of.as_of_on') }}
            > {{ var('intel_gap_days') }}
        )

),

final as (

    select
        person_id,
        -- a bigint on every engine (Spark's row_number is an int)
        cast(row_number() over (
            order by best_decile asc, offender_score desc nulls last, vulnerability_score desc nulls last, person_id asc
        ) as bigint) as tasking_rank,
        active_force,
        active_force_basis,
        latest_event_on,
        national_datasets,
        last_local_intel_on,
        days_since_local_intel,
        other_force_intel_count,
        offender_score,
        offender_rank,
        offender_decile,
        vulnerability_score,
        vulnerability_rank,
        vulnerability_decile,
        concat_ws(
            '; ',
            case
                when last_local_intel_on is null then concat('no intelligence log on the person in ', active_force)
                else concat(
                    'no intelligence log in ', active_force, ' for ',
                    cast(days_since_local_intel as string), ' days'
                )
            end,
            concat('active in ', active_force, ' (', active_force_basis, ')'),
            case when national_datasets is not null then concat('on national datasets: ', national_datasets) end,
            case when offender_decile is not null then concat(
                'high-harm offender rank ', cast(offender_rank as string),
                ' (decile ', cast(offender_decile as string), ')'
            ) end,
            case when vulnerability_decile is not null then concat(
                'vulnerable person rank ', cast(vulnerability_rank as string),
                ' (decile ', cast(vulnerability_decile as string), ')'
            ) end,
            case when other_force_intel_count > 0 then concat(
                {{ plural('other_force_intel_count', 'intelligence log') }}, ' in other forces'
            ) end
        ) as reasons

    from gaps

)

select * from final
