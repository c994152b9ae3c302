-- Monthly event counts and crime harm by force and event type, for wide sharing: no identifiers,
-- and any count below the suppression threshold is withheld (null) with a flag.
with

events as (

    select
        *,
        -- an impossible or missing occurrence date falls back to the recording date
        coalesce(occurred_on, recorded_on) as counted_on

    from {{ ref('event') }}
    where coalesce(occurred_on, recorded_on) is not null

),

forces as (

    select * from {{ ref('forces') }}

),

monthly as (

    select
        cast(date_trunc('month', counted_on) as date) as month_start,
        force_code,
        event_type,
        count(*) as event_count,
        sum(coalesce(harm_weight_days, 0)) as harm_days

    from events
    group by 1, 2, 3

),

suppressed as (

    select
        monthly.month_start,
        monthly.force_code,
        forces.force_name,
        monthly.event_type,
        monthly.event_count < {{ var('suppression_threshold') }} as is_suppressed,
        case
            when monthly.event_count >= {{ var('suppression_threshold') }} then monthly.event_count
        end as event_count,
        case
            when monthly.event_count >= {{ var('suppression_threshold') }} then monthly.harm_days
        end as harm_days

    from monthly
    left join forces
        on monthly.force_code = forces.force_code

)

select * from suppressed
