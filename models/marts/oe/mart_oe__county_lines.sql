-- One row per county line (CLICM, current version): its people by role, deal phones, exporting and
-- importing forces, and the events linked to it, i.e. events of the line's nominals while the line
-- ran (from first reported to closure or the scoring date) and events naming one of its deal
-- phones; with activity by month and status.
with

as_of as (

    {{ scoring_as_of_select() }}

),

county_lines as (

    select * from {{ ref('county_line') }}

),

line_nominals as (

    select * from {{ ref('county_line_nominal') }}

),

deal_numbers as (

    select * from {{ ref('stg_clicm__deal_numbers') }}
    where is_current and deal_number_e164 is not null

),

objects as (

    select * from {{ ref('object') }}
    where object_type = 'phone'

),

event_objects as (

    select * from {{ ref('event_object') }}

),

person_events as (

    select * from {{ ref('person_event') }}
    where person_id is not null

),

events as (

    select * from {{ ref('event') }}

),

people_by_role as (

    select
        county_line_id,
        count(distinct case when role = 'line_holder' then person_id end) as holder_count,
        count(distinct case when role = 'runner' then person_id end) as runner_count,
        count(distinct case when role = 'associate' then person_id end) as associate_count,
        count(distinct case when role = 'cuckooed_occupant' then person_id end) as cuckooed_occupant_count,
        count(distinct case when role in ('runner', 'cuckooed_occupant') then person_id end)
            as exploited_person_count,
        {{ string_agg_distinct("case when role = 'line_holder' then person_id end", ';') }} as holder_person_ids,
        {{ string_agg_distinct("case when role = 'runner' then person_id end", ';') }} as runner_person_ids,
        {{ string_agg_distinct("case when role in ('runner', 'cuckooed_occupant') then person_id end", ';') }}
            as exploited_person_ids

    from line_nominals
    group by county_line_id

),

line_phones as (

    select
        county_lines.county_line_id,
        deal_numbers.deal_number_e164,
        objects.object_id

    from county_lines
    inner join deal_numbers
        on county_lines.force_code = deal_numbers.force_code and county_lines.line_id = deal_numbers.line_id
    left join objects
        on deal_numbers.deal_number_e164 = objects.object_value

),

phones as (

    select
        county_line_id,
        {{ string_agg_distinct('deal_number_e164', ';') }} as deal_numbers

    from line_phones
    group by county_line_id

),

-- events of the line's nominals while the line ran, and events that name a deal phone
linked_events as (

    select
        line_nominals.county_line_id,
        person_events.event_id

    from line_nominals
    inner join person_events
        on line_nominals.person_id = person_events.person_id
    inner join county_lines
        on line_nominals.county_line_id = county_lines.county_line_id
    inner join events
        on person_events.event_id = events.event_id
    cross join as_of
    where
        coalesce(events.occurred_on, events.recorded_on)
        >= coalesce(county_lines.first_reported_on, coalesce(events.occurred_on, events.recorded_on))
        and coalesce(events.occurred_on, events.recorded_on) <= coalesce(county_lines.closed_on, as_of.as_of_on)

    union

    select
        line_phones.county_line_id,
        event_objects.event_id

    from line_phones
    inner join event_objects
        on line_phones.object_id = event_objects.object_id

),

linked as (

    select
        linked_events.county_line_id,
        events.event_id,
        events.event_type,
        coalesce(events.occurred_on, events.recorded_on) as event_on,
        events.force_code

    from linked_events
    inner join events
        on linked_events.event_id = events.event_id

),

monthly as (

    select
        county_line_id,
        substr(cast(event_on as string), 1, 7) as event_month,
        count(distinct event_id) as month_event_count

    from linked
    where event_on is not null
    group by county_line_id, substr(cast(event_on as string), 1, 7)

),

activity as (

    select
        linked.county_line_id,
        count(distinct case when linked.event_type = 'missing' then linked.event_id end)
            as linked_missing_episode_count,
        count(distinct case when linked.event_type = 'crime' then linked.event_id end) as linked_crime_count,
        count(distinct case when linked.event_type = 'custody' then linked.event_id end) as linked_custody_count,
        count(distinct case when linked.event_type = 'intel' then linked.event_id end) as linked_intel_count,
        count(distinct case when linked.event_type = 'nrm_referral' then linked.event_id end)
            as linked_nrm_referral_count,
        count(distinct linked.event_id) as linked_event_count,
        min(linked.event_on) as first_activity_on,
        max(linked.event_on) as last_activity_on,
        {{ string_agg_distinct('linked.force_code', ', ') }} as event_forces

    from linked
    group by linked.county_line_id

),

by_month as (

    select
        county_line_id,
        count(*) as active_month_count,
        {{ string_agg_distinct("concat(event_month, ': ', cast(month_event_count as string))", '; ') }}
            as activity_by_month

    from monthly
    group by county_line_id

),

final as (

    select
        county_lines.county_line_id,
        county_lines.line_id,
        county_lines.line_name,
        county_lines.ocg_id,
        county_lines.exporting_force,
        county_lines.importing_forces,
        county_lines.line_status,
        county_lines.closure_type_label,
        county_lines.first_reported_on,
        county_lines.closed_on,
        coalesce(people_by_role.holder_count, 0) as holder_count,
        coalesce(people_by_role.runner_count, 0) as runner_count,
        coalesce(people_by_role.associate_count, 0) as associate_count,
        coalesce(people_by_role.cuckooed_occupant_count, 0) as cuckooed_occupant_count,
        coalesce(people_by_role.exploited_person_count, 0) as exploited_person_count,
        people_by_role.holder_person_ids,
        people_by_role.runner_person_ids,
        people_by_role.exploited_person_ids,
        county_lines.deal_number_count,
        county_lines.active_deal_number_count,
        phones.deal_numbers,
        coalesce(activity.linked_missing_episode_count, 0) as linked_missing_episode_count,
        coalesce(activity.linked_crime_count, 0) as linked_crime_count,
        coalesce(activity.linked_custody_count, 0) as linked_custody_count,
        coalesce(activity.linked_intel_count, 0) as linked_intel_count,
        coalesce(activity.linked_nrm_referral_count, 0) as linked_nrm_referral_count,
        coalesce(activity.linked_event_count, 0) as linked_event_count,
        activity.event_forces,
        activity.first_activity_on,
        activity.last_activity_on,
        coalesce(by_month.active_month_count, 0) as active_month_count,
        by_month.activity_by_month

    from county_lines
    left join people_by_role
        on county_lines.county_line_id = people_by_role.county_line_id
    left join phones
        on county_lines.county_line_id = phones.county_line_id
    left join activity
        on county_lines.county_line_id = activity.county_line_id
    left join by_month
        on county_lines.county_line_id = by_month.county_line_id

)

select * from final
