-- Monthly events, distinct people and crime harm by force and event type, plus one total row per
-- force and month (event_type 'all'), for wide sharing: no identifier of any person. A cell whose
-- event count, or whose non-zero count of people, is below the suppression threshold is withheld
-- (primary suppression); when a force-month has exactly one withheld event type and its total is
-- published, the next smallest event type is withheld too (secondary suppression), so no withheld
-- cell can be recovered by subtracting the published cells from the published total.
with

events as (

    select
        *,
        -- an impossible or missing occurrence date falls back to the recording date
        coalesce(occurred_on, recorded_on) as counted_on

    from {{ ref('event') }}
    where coalesce(occurred_on, recorded_on) is not null

),

person_events as (

    select * from {{ ref('person_event') }}
    where person_id is not null

),

forces as (

    select * from {{ ref('forces') }}

),

event_people as (

    select
        events.event_id,
        cast(date_trunc('month', events.counted_on) as date) as month_start,
        events.force_code,
        events.event_type,
        events.harm_weight_days,
        person_events.person_id

    from events
    left join person_events
        on events.event_id = person_events.event_id

),

cells as (

    select
        month_start,
        force_code,
        event_type,
        false as is_total,
        count(distinct event_id) as event_count,
        count(distinct person_id) as person_count

    from event_people
    group by month_start, force_code, event_type

    union all

    select
        month_start,
        force_code,
        'all' as event_type,
        true as is_total,
        count(distinct event_id) as event_count,
        count(distinct person_id) as person_count

    from event_people
    group by month_start, force_code

),

harm as (

    select
        cast(date_trunc('month', counted_on) as date) as month_start,
        force_code,
        event_type,
        sum(coalesce(harm_weight_days, 0)) as harm_days

    from events
    group by cast(date_trunc('month', counted_on) as date), force_code, event_type

),

force_month_harm as (

    select
        month_start,
        force_code,
        'all' as event_type,
        sum(harm_days) as harm_days

    from harm
    group by month_start, force_code

),

measured as (

    select
        cells.*,
        cast(coalesce(harm.harm_days, force_month_harm.harm_days, 0) as double) as harm_days,
        cells.event_count < {{ var('suppression_threshold') }}
        or (cells.person_count > 0 and cells.person_count < {{ var('suppression_threshold') }})
            as is_primary_suppressed

    from cells
    left join harm
        on
            cells.month_start = harm.month_start
            and cells.force_code = harm.force_code
            and cells.event_type = harm.event_type
            and not cells.is_total
    left join force_month_harm
        on
            cells.month_start = force_month_harm.month_start
            and cells.force_code = force_month_harm.force_code
            and cells.is_total

),

-- per force-month: is the total published, how many event types are withheld
groups as (

    select
        month_start,
        force_code,
        max(case when is_total and not is_primary_suppressed then 1 else 0 end) = 1 as is_total_published,
        sum(case when not is_total and is_primary_suppressed then 1 else 0 end) as primary_suppressed_count

    from measured
    group by month_start, force_code

),

-- the smallest published event type of each force-month with exactly one withheld type
secondary as (

    select
        measured.month_start,
        measured.force_code,
        measured.event_type,
        row_number() over (
            partition by measured.month_start, measured.force_code
            order by measured.event_count, measured.person_count, measured.event_type
        ) as size_order

    from measured
    inner join groups
        on measured.month_start = groups.month_start and measured.force_code = groups.force_code
    where
        not measured.is_total
        and not measured.is_primary_suppressed
        and groups.is_total_published
        and groups.primary_suppressed_count = 1

),

suppressed as (

    select
        measured.month_start,
        measured.force_code,
        forces.force_name,
        measured.event_type,
        measured.is_total,
        measured.is_primary_suppressed or secondary.event_type is not null as is_suppressed,
        case
            when measured.is_primary_suppressed then 'primary'
            when secondary.event_type is not null then 'secondary'
        end as suppression_reason,
        case
            when not measured.is_primary_suppressed and secondary.event_type is null then measured.event_count
        end as event_count,
        case
            when not measured.is_primary_suppressed and secondary.event_type is null then measured.person_count
        end as person_count,
        case
            when not measured.is_primary_suppressed and secondary.event_type is null then measured.harm_days
        end as harm_days

    from measured
    left join forces
        on measured.force_code = forces.force_code
    left join secondary
        on
            measured.month_start = secondary.month_start
            and measured.force_code = secondary.force_code
            and measured.event_type = secondary.event_type
            and secondary.size_order = 1

)

select * from suppressed
