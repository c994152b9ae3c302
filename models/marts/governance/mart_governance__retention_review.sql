-- One row per source person record: the MoPI review group of the most serious offence the record
-- shows the person committing (offender roles only: being a victim, witness or missing person never
-- raises a group), the end of the person's clear period (their latest offending event in any source,
-- or the record's own latest event if later), the review-due date (clear period end + the group's
-- review_period_years, seed mopi_review_groups) and whether it is due at the scoring date. A record
-- with no offence is group 3 ("all other"); an offence code the seed mopi_offence_review_groups
-- does not map is group 3 too, and says so. The groups, periods and mapping are [unverified].
with

as_of as (

    {{ scoring_as_of_select() }}

),

source_records as (

    select * from {{ ref('person_source_record') }}

),

person_events as (

    select * from {{ ref('person_event') }}

),

events as (

    select * from {{ ref('event') }}

),

review_groups as (

    select * from {{ ref('mopi_review_groups') }}

),

offence_groups as (

    select * from {{ ref('mopi_offence_review_groups') }}

),

record_events as (

    select
        person_events.person_record_id,
        person_events.person_id,
        person_events.role in {{ sql_in_list(var('offender_roles')) }} as is_offending,
        events.offence_code,
        events.harm_weight_days,
        coalesce(events.occurred_on, events.recorded_on, person_events.last_seen_on) as event_on,
        case
            when events.offence_code is null then null
            else coalesce(offence_groups.review_group, 3)
        end as review_group,
        case
            when events.offence_code is null then null
            when offence_groups.review_group is null then 'unmapped_offence_code'
            else 'offence_class'
        end as review_group_basis

    from person_events
    inner join events
        on person_events.event_id = events.event_id
    left join offence_groups
        on events.offence_code = offence_groups.home_office_code

),

ranked_offences as (

    select
        person_record_id,
        offence_code,
        review_group,
        review_group_basis,
        row_number() over (
            partition by person_record_id
            order by review_group asc, harm_weight_days desc nulls last, offence_code asc
        ) as seriousness_rank

    from record_events
    where is_offending and offence_code is not null

),

most_serious as (

    select * from ranked_offences
    where seriousness_rank = 1

),

record_activity as (

    select
        person_record_id,
        max(event_on) as last_event_on,
        count(distinct offence_code) filter (where is_offending) as offence_code_count

    from record_events
    group by person_record_id

),

person_offending as (

    select
        person_id,
        max(event_on) as last_offence_on

    from record_events
    where is_offending and person_id is not null
    group by person_id

),

assessed as (

    select
        source_records.person_record_id,
        source_records.person_id,
        source_records.source_name,
        source_records.force_code,
        source_records.source_record_ref,
        most_serious.offence_code as most_serious_offence_code,
        coalesce(most_serious.review_group, 3) as review_group,
        coalesce(most_serious.review_group_basis, 'no_offence_recorded') as review_group_basis,
        coalesce(record_activity.offence_code_count, 0) as offence_code_count,
        record_activity.last_event_on,
        person_offending.last_offence_on as person_last_offence_on,
        case
            when person_offending.last_offence_on is null then record_activity.last_event_on
            when record_activity.last_event_on is null then person_offending.last_offence_on
            else greatest(record_activity.last_event_on, person_offending.last_offence_on)
        end as clear_period_from

    from source_records
    left join most_serious
        on source_records.person_record_id = most_serious.person_record_id
    left join record_activity
        on source_records.person_record_id = record_activity.person_record_id
    left join person_offending
        on source_records.person_id = person_offending.person_id

),

scheduled as (

    select
        assessed.*,
        review_groups.label as review_group_label,
        cast(review_groups.review_period_years as integer) as review_period_years,
        {{ add_years('assessed.clear_period_from', 'review_groups.review_period_years') }} as review_due_on,
        review_groups.verification_status as rule_verification_status

    from assessed
    inner join review_groups
        on assessed.review_group = review_groups.review_group

),

final as (

    select
        scheduled.person_record_id,
        scheduled.person_id,
        scheduled.source_name,
        scheduled.force_code,
        scheduled.source_record_ref,
        scheduled.most_serious_offence_code,
        scheduled.review_group,
        scheduled.review_group_label,
        scheduled.review_group_basis,
        scheduled.offence_code_count,
        scheduled.last_event_on,
        scheduled.person_last_offence_on,
        scheduled.clear_period_from,
        scheduled.review_period_years,
        scheduled.review_due_on,
        as_of.as_of_on as assessed_on,
        case
            when scheduled.review_due_on is null then 'no_activity_date'
            when scheduled.review_due_on <= as_of.as_of_on then 'due'
            else 'not_due'
        end as review_status,
        coalesce(scheduled.review_due_on <= as_of.as_of_on, false) as is_review_due,
        scheduled.rule_verification_status

    from scheduled
    cross join as_of

)

select * from final
