-- One row per resolved person of OE interest: in either ranking (high-harm offenders, vulnerable
-- persons), on a national OE dataset, or known in two or more force areas. Who the person is, where
-- and in which sources they are known, their events by type and role, scores and ranks, OCG and
-- county-line links with role, missing episodes, NRM referrals, open linkage review items, flags.
with

people as (

    select * from {{ ref('person') }}

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

offenders as (

    select * from {{ ref('mart_oe__high_harm_offenders') }}

),

vulnerable as (

    select * from {{ ref('mart_safeguarding__vulnerable_persons') }}

),

cross_border as (

    select * from {{ ref('mart_oe__cross_border_nominals') }}

),

intel_gaps as (

    select * from {{ ref('mart_oe__intel_gaps') }}

),

ocg_nominals as (

    select * from {{ ref('organised_crime_group_nominal') }}

),

ocgs as (

    select * from {{ ref('organised_crime_group') }}

),

line_nominals as (

    select * from {{ ref('county_line_nominal') }}

),

county_lines as (

    select * from {{ ref('county_line') }}

),

reviews as (

    select * from {{ ref('linkage_review') }}

),

as_of as (

    {{ scoring_as_of_select() }}

),

national as (

    select
        person_id,
        {{ string_agg_distinct('source_name', ', ') }} as national_datasets

    from person_records
    where source_name in ('ocgm', 'clicm', 'nrm', 'osint')
    group by person_id

),

of_interest as (

    select person_id from offenders
    union
    select person_id from vulnerable
    union
    select person_id from national
    union
    select person_id from cross_border

),

records as (

    select
        person_id,
        count(*) as person_record_count,
        {{ string_agg_distinct('source_name', ', ') }} as sources,
        {{ string_agg_distinct('force_code', ', ') }} as delivered_by

    from person_records
    group by person_id

),

event_roles as (

    select
        person_events.person_id,
        count(distinct case when events.event_type = 'crime' then events.event_id end) as crime_count,
        count(distinct case when events.event_type = 'intel' then events.event_id end) as intel_count,
        count(distinct case when events.event_type = 'custody' then events.event_id end) as custody_count,
        count(distinct case when events.event_type in ('missing', 'missing_found') then events.event_id end)
            as missing_episode_count,
        count(distinct case
            when events.event_type = 'nrm_referral' and person_events.role = 'referred_victim' then events.event_id
        end) as nrm_referral_count,
        count(distinct case when events.event_type = 'osint_observation' then events.event_id end)
            as osint_observation_count,
        count(distinct case when events.event_type = 'safeguarding_referral' then events.event_id end)
            as safeguarding_referral_count,
        count(distinct case
            when person_events.role in {{ sql_in_list(var('offender_roles')) }} then events.event_id
        end) as as_offender_count,
        count(distinct case when person_events.role in ('victim', 'referred_victim') then events.event_id end)
            as as_victim_count,
        count(distinct case when person_events.role = 'witness' then events.event_id end) as as_witness_count,
        count(distinct case when person_events.role = 'subject' then events.event_id end) as as_subject_count,
        coalesce(sum(case
            when person_events.role in {{ sql_in_list(var('offender_roles')) }} and events.event_type = 'crime'
                then events.harm_weight_days
        end), 0) as harm_days_all_time,
        min(coalesce(events.occurred_on, events.recorded_on)) as first_seen_on,
        max(coalesce(events.occurred_on, events.recorded_on)) as last_seen_on,
        {{ string_agg_distinct('events.force_code', ', ') }} as event_forces

    from person_events
    inner join events
        on person_events.event_id = events.event_id
    group by person_events.person_id

),

ocg_links as (

    select
        ocg_nominals.person_id,
        {{ string_agg_distinct("concat(coalesce(ocgs.ocg_name, ocgs.ocg_id), ' (', ocg_nominals.role, ')')", '; ') }}
            as ocg_links

    from ocg_nominals
    inner join ocgs
        on ocg_nominals.organised_crime_group_id = ocgs.organised_crime_group_id
    group by ocg_nominals.person_id

),

line_links as (

    select
        line_nominals.person_id,
        {{ string_agg_distinct(
            "concat(coalesce(county_lines.line_name, county_lines.line_id), ' (', line_nominals.role, ')')", '; '
        ) }} as county_line_links

    from line_nominals
    inner join county_lines
        on line_nominals.county_line_id = county_lines.county_line_id
    group by line_nominals.person_id

),

open_reviews as (

    select
        person_id,
        count(*) as open_review_count

    from (
        select person_id from reviews
        where person_id is not null
        union all
        select other_person_id as person_id from reviews
        where other_person_id is not null
    ) as review_people
    group by person_id

),

final as (

    select
        of_interest.person_id,
        people.forename,
        people.surname,
        people.date_of_birth,
        people.sex_code,
        people.pnc_id,
        cast(floor({{ days_between('people.date_of_birth', 'as_of.as_of_on') }} / 365.25) as integer) as age_years,
        coalesce(cross_border.forces, event_roles.event_forces) as forces,
        coalesce(cross_border.force_count, case when event_roles.event_forces is null then 0 else 1 end)
            as force_count,
        records.delivered_by,
        records.sources,
        records.person_record_count,
        coalesce(event_roles.crime_count, 0) as crime_count,
        coalesce(event_roles.intel_count, 0) as intel_count,
        coalesce(event_roles.custody_count, 0) as custody_count,
        coalesce(event_roles.missing_episode_count, 0) as missing_episode_count,
        coalesce(event_roles.nrm_referral_count, 0) as nrm_referral_count,
        coalesce(event_roles.osint_observation_count, 0) as osint_observation_count,
        coalesce(event_roles.safeguarding_referral_count, 0) as safeguarding_referral_count,
        coalesce(event_roles.as_offender_count, 0) as as_offender_count,
        coalesce(event_roles.as_victim_count, 0) as as_victim_count,
        coalesce(event_roles.as_witness_count, 0) as as_witness_count,
        coalesce(event_roles.as_subject_count, 0) as as_subject_count,
        event_roles.first_seen_on,
        event_roles.last_seen_on,
        cast(coalesce(event_roles.harm_days_all_time, 0) as double) as harm_days_all_time,
        offenders.score as rfg_score,
        offenders.rank as offender_rank,
        offenders.decile as offender_decile,
        vulnerable.score as vulnerability_score,
        vulnerable.rank as vulnerability_rank,
        vulnerable.decile as vulnerability_decile,
        ocg_links.ocg_links,
        line_links.county_line_links,
        national.national_datasets,
        coalesce(open_reviews.open_review_count, 0) as open_review_count,
        intel_gaps.tasking_rank as intel_gap_tasking_rank,
        concat_ws(
            ', ',
            case when offenders.decile = 1 then 'high_harm_top_decile' end,
            case when vulnerable.decile = 1 then 'vulnerable_top_decile' end,
            case
                when offenders.person_id is not null and vulnerable.person_id is not null
                    then 'offender_and_vulnerable'
            end,
            case when vulnerable.is_child then 'child' end,
            case when cross_border.person_id is not null then 'cross_border' end,
            case when ocg_links.person_id is not null then 'ocg_nominal' end,
            case when line_links.person_id is not null then 'county_line_nominal' end,
            case when coalesce(event_roles.nrm_referral_count, 0) > 0 then 'nrm_referred' end,
            case when intel_gaps.person_id is not null then 'intel_gap' end,
            case when coalesce(open_reviews.open_review_count, 0) > 0 then 'linkage_review_open' end
        ) as flags

    from of_interest
    cross join as_of
    inner join people
        on of_interest.person_id = people.person_id
    left join records
        on of_interest.person_id = records.person_id
    left join event_roles
        on of_interest.person_id = event_roles.person_id
    left join offenders
        on of_interest.person_id = offenders.person_id
    left join vulnerable
        on of_interest.person_id = vulnerable.person_id
    left join cross_border
        on of_interest.person_id = cross_border.person_id
    left join ocg_links
        on of_interest.person_id = ocg_links.person_id
    left join line_links
        on of_interest.person_id = line_links.person_id
    left join national
        on of_interest.person_id = national.person_id
    left join open_reviews
        on of_interest.person_id = open_reviews.person_id
    left join intel_gaps
        on of_interest.person_id = intel_gaps.person_id

)

select * from final
