-- One row per resolved person with offending to score: recency-frequency-gravity with crime-harm
-- weights (docs/scores.md). score = recency + frequency + gravity + victims + exploiter + network
-- points, each a column; reasons are built from the same components, so the words never drift from
-- the number. Victim, witness or missing-person roles never add to it.
with

offending as (

    select * from {{ ref('int_oe__offending_events') }}
    where days_ago between 0 and {{ var('rfg_window_days') }}

),

person_events as (

    select * from {{ ref('person_event') }}

),

recency_bands as (

    select * from {{ ref('rfg_recency_bands') }}

),

role_weights as (

    select * from {{ ref('oe_nominal_role_weights') }}
    where score = 'offender'

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

as_of as (

    {{ scoring_as_of_select() }}

),

-- frequency, gravity and recency per person
offence_totals as (

    select
        person_id,
        count(distinct case when event_type = 'crime' then event_id end) as offence_count,
        count(distinct case
            when event_type = 'crime' and days_ago <= {{ var('rfg_reason_recent_days') }} then event_id
        end) as recent_offence_count,
        count(distinct case when event_type = 'custody' then event_id end) as arrest_count,
        count(distinct case when role = 'alleged_exploiter' then event_id end) as exploiter_referral_count,
        coalesce(sum(case when event_type = 'crime' then harm_weight_days end), 0) as harm_days,
        count(distinct case
            when event_type = 'crime' and harm_weight_status != 'weighted' then event_id
        end) as unweighted_offence_count,
        max(event_on) as last_offending_on,
        min(days_ago) as days_since_last_offending,
        {{ string_agg_distinct('force_code', ', ') }} as offending_forces

    from offending
    group by person_id

),

-- distinct other people who were victims in the person's offences
victims as (

    select
        offending.person_id,
        count(distinct person_events.person_id) as victim_count

    from offending
    inner join person_events
        on
            offending.event_id = person_events.event_id
            and person_events.role in {{ sql_in_list(var('victim_roles')) }}
            and offending.person_id != person_events.person_id
    where offending.event_type = 'crime'
    group by offending.person_id

),

-- the most harmful offence group of each person, for the reasons
offence_groups as (

    select
        person_id,
        offence_group,
        count(distinct event_id) as group_offence_count,
        sum(harm_weight_days) as group_harm_days,
        {{ string_agg_distinct('force_code', ', ') }} as group_forces

    from offending
    where event_type = 'crime' and offence_group is not null
    group by person_id, offence_group

),

top_offence_group as (

    select
        person_id,
        offence_group,
        group_offence_count,
        group_forces,
        row_number() over (
            partition by person_id order by group_harm_days desc, group_offence_count desc, offence_group asc
        ) as group_order

    from offence_groups

),

-- OCG and county-line roles: the highest-scoring role per dataset counts
network_roles as (

    select
        ocg_nominals.person_id,
        role_weights.dataset,
        role_weights.points,
        concat(
            role_weights.label, ' ', coalesce(ocgs.ocg_name, ocgs.ocg_id),
            case when ocgs.band is not null then concat(' (band ', ocgs.band, ')') else '' end
        ) as phrase

    from ocg_nominals
    inner join role_weights
        on role_weights.dataset = 'ocgm' and ocg_nominals.role = role_weights.role
    inner join ocgs
        on ocg_nominals.organised_crime_group_id = ocgs.organised_crime_group_id

    union all

    select
        line_nominals.person_id,
        role_weights.dataset,
        role_weights.points,
        concat(
            role_weights.label, ' ', coalesce(county_lines.line_name, county_lines.line_id),
            ' (', coalesce(county_lines.exporting_force, 'exporting force unknown'), ' to ',
            coalesce(county_lines.importing_forces, 'importing forces unknown'), ')'
        ) as phrase

    from line_nominals
    inner join role_weights
        on role_weights.dataset = 'clicm' and line_nominals.role = role_weights.role
    inner join county_lines
        on line_nominals.county_line_id = county_lines.county_line_id

),

network as (

    select
        person_id,
        sum(points) as network_points,
        {{ string_agg_distinct('phrase', '; ') }} as network_phrases

    from (
        select
            person_id,
            dataset,
            max(points) as points,
            {{ string_agg_distinct('phrase', '; ') }} as phrase
        from network_roles
        group by person_id, dataset
    ) as per_dataset
    group by person_id

),

people as (

    select person_id from offence_totals
    union
    select person_id from network

),

components as (

    select
        people.person_id,
        coalesce(offence_totals.offence_count, 0) as offence_count,
        coalesce(offence_totals.recent_offence_count, 0) as recent_offence_count,
        coalesce(offence_totals.arrest_count, 0) as arrest_count,
        coalesce(offence_totals.exploiter_referral_count, 0) as exploiter_referral_count,
        cast(coalesce(offence_totals.harm_days, 0) as double) as harm_days,
        coalesce(offence_totals.unweighted_offence_count, 0) as unweighted_offence_count,
        coalesce(victims.victim_count, 0) as victim_count,
        offence_totals.last_offending_on,
        offence_totals.days_since_last_offending,
        offence_totals.offending_forces,
        cast(coalesce((
            select max(recency_bands.recency_factor)
            from recency_bands
            where offence_totals.days_since_last_offending <= recency_bands.within_days
        ), 0) as double) as recency_factor,
        cast(coalesce(network.network_points, 0) as double) as network_points,
        network.network_phrases,
        top_offence_group.offence_group as top_offence_group,
        top_offence_group.group_offence_count as top_offence_group_count,
        top_offence_group.group_forces as top_offence_group_forces

    from people
    left join offence_totals
        on people.person_id = offence_totals.person_id
    left join victims
        on people.person_id = victims.person_id
    left join network
        on people.person_id = network.person_id
    left join top_offence_group
        on people.person_id = top_offence_group.person_id and top_offence_group.group_order = 1

),

points as (

    select
        *,
        {{ var('rfg_weight_recency') }} * recency_factor as recency_points,
        {{ var('rfg_weight_frequency') }} * ln(1 + offence_count + arrest_count) as frequency_points,
        {{ var('rfg_weight_gravity') }} * ln(1 + harm_days) as gravity_points,
        {{ var('rfg_weight_victims') }} * ln(1 + victim_count) as victim_points,
        {{ var('rfg_weight_exploiter') }} * ln(1 + exploiter_referral_count) as exploiter_points

    from components

),

scored as (

    select
        *,
        round(
            recency_points + frequency_points + gravity_points + victim_points + exploiter_points
            + network_points,
            6
        ) as score

    from points

),

final as (

    select
        scored.person_id,
        scored.score,
        {{ ranked_columns('scored.score') }},
        concat_ws(
            '; ',
            scored.network_phrases,
            case when scored.top_offence_group is not null then concat(
                'most harmful: ', lower(scored.top_offence_group), ', ',
                {{ plural('scored.top_offence_group_count', 'offence') }},
                ' in the last {{ var("rfg_window_days") }} days (', scored.top_offence_group_forces, ')'
            ) end,
            case when scored.offence_count + scored.arrest_count > 0 then concat(
                {{ plural('scored.offence_count', 'offence') }}, ' (',
                cast(cast(scored.harm_days as bigint) as string), ' harm days) and ',
                {{ plural('scored.arrest_count', 'arrest') }}, ' in the last {{ var("rfg_window_days") }} days, ',
                {{ plural('scored.recent_offence_count', 'offence') }},
                ' in the last {{ var("rfg_reason_recent_days") }} days; latest ',
                {{ plural('scored.days_since_last_offending', 'day') }}, ' ago (', scored.offending_forces, ')'
            ) end,
            case when scored.victim_count > 0 then concat({{ plural('scored.victim_count', 'distinct victim') }}) end,
            case when scored.exploiter_referral_count > 0 then concat(
                'named as alleged exploiter in ', {{ plural('scored.exploiter_referral_count', 'NRM referral') }}
            ) end,
            case when scored.unweighted_offence_count > 0 then concat(
                {{ plural('scored.unweighted_offence_count', 'offence') }},
                ' with no known offence code, counted but not harm-weighted'
            ) end
        ) as reasons,
        round(scored.recency_factor, 6) as recency_factor,
        round(scored.recency_points, 6) as recency_points,
        round(scored.frequency_points, 6) as frequency_points,
        round(scored.gravity_points, 6) as gravity_points,
        round(scored.victim_points, 6) as victim_points,
        round(scored.exploiter_points, 6) as exploiter_points,
        round(scored.network_points, 6) as network_points,
        scored.offence_count,
        scored.recent_offence_count,
        scored.arrest_count,
        scored.harm_days,
        scored.unweighted_offence_count,
        scored.victim_count,
        scored.exploiter_referral_count,
        scored.last_offending_on,
        scored.days_since_last_offending,
        scored.offending_forces,
        scored.network_phrases as network_roles,
        as_of.as_of_on as scored_as_of

    from scored
    cross join as_of
    where scored.score > 0

)

select * from final
