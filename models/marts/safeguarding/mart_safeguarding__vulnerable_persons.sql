-- One row per resolved person with any indicator of risk of exploitation, scored (docs/scores.md):
-- score = (sum of indicator points) x child_multiplier when the person is a child at the scoring
-- date. Every indicator is a component column and a phrase of the reasons. Offending never lowers
-- it: a county-line runner can be arrested and still be exploited.
with

as_of as (

    {{ scoring_as_of_select() }}

),

people as (

    select * from {{ ref('person') }}

),

person_events as (

    select * from {{ ref('person_event') }}
    where person_id is not null

),

events as (

    select * from {{ ref('event') }}

),

offence_classes as (

    select * from {{ ref('home_office_offence_classes') }}

),

missing_episodes as (

    select * from {{ ref('stg_missing__episodes') }}
    where is_current

),

nrm_referrals as (

    select * from {{ ref('stg_nrm__referrals') }}
    where is_current

),

role_weights as (

    select * from {{ ref('oe_nominal_role_weights') }}

),

line_nominals as (

    select * from {{ ref('county_line_nominal') }}

),

county_lines as (

    select * from {{ ref('county_line') }}

),

ocg_nominals as (

    select * from {{ ref('organised_crime_group_nominal') }}

),

associations as (

    select * from {{ ref('person_association') }}

),

person_objects as (

    select * from {{ ref('person_object') }}

),

objects as (

    select * from {{ ref('object') }}

),

-- the person's events in the window, one row per person and event
dated_events as (

    select
        person_events.person_id,
        person_events.event_id,
        events.event_type,
        events.force_code,
        events.offence_code,
        min(person_events.role) as role,
        coalesce(events.occurred_on, events.recorded_on) as event_on,
        {{ days_between('coalesce(events.occurred_on, events.recorded_on)', 'as_of.as_of_on') }} as days_ago

    from person_events
    inner join events
        on person_events.event_id = events.event_id
    cross join as_of
    where person_events.role not in {{ sql_in_list(var('offender_roles') + ['witness', 'person_reporting']) }}
    group by
        person_events.person_id, person_events.event_id, events.event_type, events.force_code,
        events.offence_code, events.occurred_on, events.recorded_on, as_of.as_of_on

),

windowed as (

    select * from dated_events
    where days_ago between 0 and {{ var('vulnerability_window_days') }}

),

-- missing episodes with where the person was found and how the force flagged the episode
episodes as (

    select
        windowed.person_id,
        windowed.event_id,
        windowed.event_on,
        windowed.force_code,
        coalesce(missing_episodes.is_found_in_other_force, false) as is_found_in_other_force,
        missing_episodes.found_force,
        coalesce(missing_episodes.has_cse_flag, false) as has_cse_flag,
        coalesce(missing_episodes.has_cce_flag, false) as has_cce_flag,
        coalesce(missing_episodes.has_county_lines_flag, false) as has_county_lines_flag

    from windowed
    left join missing_episodes
        on windowed.event_id = missing_episodes.episode_id
    where windowed.event_type in ('missing', 'missing_found') and windowed.role = 'missing_person'

),

-- the most episodes that start within repeat_missing_within_days of one episode
episode_spans as (

    select
        first_episode.person_id,
        first_episode.event_id,
        count(*) as episodes_in_span

    from episodes as first_episode
    inner join episodes as later_episode
        on
            first_episode.person_id = later_episode.person_id
            and {{ days_between('first_episode.event_on', 'later_episode.event_on') }}
            between 0 and {{ var('repeat_missing_within_days') }}
    group by first_episode.person_id, first_episode.event_id

),

repeat_spans as (

    select
        person_id,
        max(episodes_in_span) as max_episodes_in_span

    from episode_spans
    group by person_id

),

missing_totals as (

    select
        person_id,
        count(*) as missing_episode_count,
        cast(sum(case when is_found_in_other_force then 1 else 0 end) as bigint) as found_elsewhere_count,
        {{ string_agg_distinct('case when is_found_in_other_force then found_force end', ', ') }} as found_in_forces,
        cast(sum(case when has_cse_flag or has_cce_flag or has_county_lines_flag then 1 else 0 end) as bigint)
            as exploitation_flag_count,
        concat_ws(
            ', ',
            case when max(case when has_cse_flag then 1 else 0 end) = 1 then 'CSE' end,
            case when max(case when has_cce_flag then 1 else 0 end) = 1 then 'CCE' end,
            case when max(case when has_county_lines_flag then 1 else 0 end) = 1 then 'county lines' end
        ) as exploitation_flags,
        max(event_on) as last_missing_on,
        {{ string_agg_distinct('force_code', ', ') }} as missing_forces

    from episodes
    group by person_id

),

-- victim of an exploitation offence (seed home_office_offence_classes.exploitation_type)
exploitation_offences as (

    select
        windowed.person_id,
        count(distinct windowed.event_id) as exploitation_victim_count,
        {{ string_agg_distinct('lower(offence_classes.description)', ', ') }} as exploitation_offences

    from windowed
    inner join offence_classes
        on windowed.offence_code = offence_classes.home_office_code
    where
        windowed.event_type = 'crime'
        and windowed.role = 'victim'
        and offence_classes.exploitation_type is not null
    group by windowed.person_id

),

nrm as (

    select
        windowed.person_id,
        count(distinct windowed.event_id) as nrm_referral_count,
        concat_ws(
            ', ',
            case when max(case when nrm_referrals.is_sexual_exploitation then 1 else 0 end) = 1 then 'sexual' end,
            case when max(case when nrm_referrals.is_criminal_exploitation then 1 else 0 end) = 1 then 'criminal' end,
            case when max(case when nrm_referrals.is_labour_exploitation then 1 else 0 end) = 1 then 'labour' end,
            case
                when max(case when nrm_referrals.is_domestic_servitude then 1 else 0 end) = 1
                    then 'domestic servitude'
            end,
            case
                when max(case when nrm_referrals.is_organ_harvesting then 1 else 0 end) = 1
                    then 'organ harvesting'
            end
        ) as nrm_exploitation_types

    from windowed
    left join nrm_referrals
        on windowed.event_id = nrm_referrals.nrm_referral_id
    where windowed.event_type = 'nrm_referral' and windowed.role = 'referred_victim'
    group by windowed.person_id

),

safeguarding as (

    select
        person_id,
        count(distinct event_id) as safeguarding_referral_count

    from windowed
    where event_type = 'safeguarding_referral'
    group by person_id

),

-- intelligence logs that name the person as a victim or potential victim (e.g. of cuckooing or
-- exploitation reported by the community), whoever the subject of the log is
intel_victims as (

    select
        person_id,
        count(distinct event_id) as intel_victim_count

    from windowed
    where event_type = 'intel' and role in ('victim', 'referred_victim')
    group by person_id

),

-- a county line's runner or cuckooed occupant (seed oe_nominal_role_weights, score vulnerability)
line_roles as (

    select
        line_nominals.person_id,
        max(role_weights.points) as line_role_points,
        {{ string_agg_distinct(
            "concat(role_weights.label, ' ', coalesce(county_lines.line_name, county_lines.line_id))", '; '
        ) }} as line_roles

    from line_nominals
    inner join role_weights
        on
            role_weights.dataset = 'clicm'
            and role_weights.score = 'vulnerability'
            and line_nominals.role = role_weights.role
    inner join county_lines
        on line_nominals.county_line_id = county_lines.county_line_id
    group by line_nominals.person_id

),

-- people who exploit or organise: named exploiters, OCG nominals, county-line holders
exploiters as (

    select person_id from ocg_nominals

    union

    select person_id from line_nominals
    where role in ('line_holder', 'associate')

),

-- linked to an exploiter: named as the victim of an exploiter, or associated with an OCG or
-- county-line nominal through co-offending, a shared phone or a shared intelligence log
exploiter_links as (

    select
        links.person_id,
        count(distinct links.other_person_id) as exploiter_link_count,
        {{ string_agg_distinct('links.basis', ', ') }} as exploiter_link_bases

    from (
        select
            person_id_b as person_id,
            person_id_a as other_person_id,
            'named exploiter' as basis
        from associations
        where basis = 'exploiter_of'

        union all

        select
            associations.person_id_a as person_id,
            associations.person_id_b as other_person_id,
            replace(associations.basis, '_', ' ') as basis
        from associations
        inner join exploiters
            on associations.person_id_b = exploiters.person_id
        where associations.basis in ('co_offending', 'co_subject', 'shared_phone')

        union all

        select
            associations.person_id_b as person_id,
            associations.person_id_a as other_person_id,
            replace(associations.basis, '_', ' ') as basis
        from associations
        inner join exploiters
            on associations.person_id_a = exploiters.person_id
        where associations.basis in ('co_offending', 'co_subject', 'shared_phone')
    ) as links
    where links.person_id not in (select exploiters.person_id from exploiters)
    group by links.person_id

),

deal_phones as (

    select
        person_objects.person_id,
        count(distinct person_objects.object_id) as deal_phone_count

    from person_objects
    inner join objects
        on person_objects.object_id = objects.object_id
    where objects.object_type = 'phone' and objects.county_line_count > 0
    group by person_objects.person_id

),

candidates as (

    select person_id from missing_totals
    union
    select person_id from exploitation_offences
    union
    select person_id from nrm
    union
    select person_id from safeguarding
    union
    select person_id from intel_victims
    union
    select person_id from line_roles
    union
    select person_id from exploiter_links
    union
    select person_id from deal_phones
    where person_id not in (select exploiters.person_id from exploiters)

),

components as (

    select
        candidates.person_id,
        floor({{ days_between('people.date_of_birth', 'as_of.as_of_on') }} / 365.25) as age_years,
        coalesce(missing_totals.missing_episode_count, 0) as missing_episode_count,
        coalesce(repeat_spans.max_episodes_in_span, 0) as max_episodes_in_span,
        coalesce(missing_totals.found_elsewhere_count, 0) as found_elsewhere_count,
        missing_totals.found_in_forces,
        coalesce(missing_totals.exploitation_flag_count, 0) as exploitation_flag_count,
        missing_totals.exploitation_flags,
        missing_totals.last_missing_on,
        missing_totals.missing_forces,
        coalesce(exploitation_offences.exploitation_victim_count, 0) as exploitation_victim_count,
        exploitation_offences.exploitation_offences,
        coalesce(nrm.nrm_referral_count, 0) as nrm_referral_count,
        nrm.nrm_exploitation_types,
        coalesce(safeguarding.safeguarding_referral_count, 0) as safeguarding_referral_count,
        coalesce(intel_victims.intel_victim_count, 0) as intel_victim_count,
        cast(coalesce(line_roles.line_role_points, 0) as double) as line_role_points,
        line_roles.line_roles,
        coalesce(exploiter_links.exploiter_link_count, 0) as exploiter_link_count,
        exploiter_links.exploiter_link_bases,
        case
            when candidates.person_id in (select exploiters.person_id from exploiters) then 0
            else coalesce(deal_phones.deal_phone_count, 0)
        end as deal_phone_count,
        as_of.as_of_on

    from candidates
    cross join as_of
    left join people
        on candidates.person_id = people.person_id
    left join missing_totals
        on candidates.person_id = missing_totals.person_id
    left join repeat_spans
        on candidates.person_id = repeat_spans.person_id
    left join exploitation_offences
        on candidates.person_id = exploitation_offences.person_id
    left join nrm
        on candidates.person_id = nrm.person_id
    left join safeguarding
        on candidates.person_id = safeguarding.person_id
    left join intel_victims
        on candidates.person_id = intel_victims.person_id
    left join line_roles
        on candidates.person_id = line_roles.person_id
    left join exploiter_links
        on candidates.person_id = exploiter_links.person_id
    left join deal_phones
        on candidates.person_id = deal_phones.person_id

),

points as (

    select
        *,
        coalesce(age_years < {{ var('child_age_under') }}, false) as is_child,
        {{ var('vulnerability_weight_missing') }} * ln(1 + missing_episode_count) as missing_points,
        cast(case
            when max_episodes_in_span >= {{ var('repeat_missing_episodes') }}
                then {{ var('vulnerability_weight_repeat_missing') }}
            else 0
        end as double) as repeat_missing_points,
        cast(
            {{ var('vulnerability_weight_found_elsewhere') }}
            * least(found_elsewhere_count, {{ var('vulnerability_indicator_cap') }}) as double
        ) as found_elsewhere_points,
        cast(
            {{ var('vulnerability_weight_exploitation_flag') }}
            * least(exploitation_flag_count, {{ var('vulnerability_indicator_cap') }}) as double
        ) as exploitation_flag_points,
        {{ var('vulnerability_weight_exploitation_victim') }} * ln(1 + exploitation_victim_count) / ln(2)
            as exploitation_victim_points,
        {{ var('vulnerability_weight_nrm') }} * ln(1 + nrm_referral_count) / ln(2) as nrm_points,
        {{ var('vulnerability_weight_safeguarding') }} * ln(1 + safeguarding_referral_count) / ln(2)
            as safeguarding_points,
        {{ var('vulnerability_weight_intel_victim') }} * ln(1 + intel_victim_count) / ln(2) as intel_victim_points,
        {{ var('vulnerability_weight_exploiter_link') }} * ln(1 + exploiter_link_count) / ln(2)
            as exploiter_link_points,
        cast({{ var('vulnerability_weight_deal_phone') }} * least(deal_phone_count, 1) as double) as deal_phone_points

    from components

),

scored as (

    select
        *,
        cast(case when is_child then {{ var('vulnerability_child_multiplier') }} else 1.0 end as double)
            as age_multiplier,
        round(
            (
                missing_points + repeat_missing_points + found_elsewhere_points + exploitation_flag_points
                + exploitation_victim_points + nrm_points + safeguarding_points + intel_victim_points
                + line_role_points
                + exploiter_link_points + deal_phone_points
            )
            * case when is_child then {{ var('vulnerability_child_multiplier') }} else 1.0 end,
            6
        ) as score

    from points

),

final as (

    select
        person_id,
        score,
        {{ ranked_columns('score') }},
        concat_ws(
            '; ',
            case when is_child then concat('child (aged ', cast(cast(age_years as bigint) as string), ')') end,
            line_roles,
            case when missing_episode_count > 0 then concat(
                'missing ', {{ plural('missing_episode_count', 'time') }},
                ' in the last {{ var("vulnerability_window_days") }} days (', missing_forces, ')',
                case
                    when max_episodes_in_span >= {{ var('repeat_missing_episodes') }}
                        then concat(
                            ', ', cast(max_episodes_in_span as string),
                            ' within {{ var("repeat_missing_within_days") }} days'
                        )
                    else ''
                end
            ) end,
            case when found_elsewhere_count > 0 then concat(
                'found in another force area ', {{ plural('found_elsewhere_count', 'time') }},
                ' (', coalesce(found_in_forces, 'force not recorded'), ')'
            ) end,
            case when exploitation_flag_count > 0 then concat(
                {{ plural('exploitation_flag_count', 'missing episode') }}, ' flagged ', exploitation_flags
            ) end,
            case when exploitation_victim_count > 0 then concat(
                'victim of ', {{ plural('exploitation_victim_count', 'exploitation offence') }},
                ' (', exploitation_offences, ')'
            ) end,
            case when nrm_referral_count > 0 then concat(
                'referred to the NRM ', {{ plural('nrm_referral_count', 'time') }},
                case when nrm_exploitation_types != '' then concat(' (', nrm_exploitation_types, ')') else '' end
            ) end,
            case when safeguarding_referral_count > 0 then concat(
                {{ plural('safeguarding_referral_count', 'safeguarding referral') }}
            ) end,
            case when intel_victim_count > 0 then concat(
                'named as a victim in ', {{ plural('intel_victim_count', 'intelligence log') }}
            ) end,
            case when exploiter_link_count > 0 then concat(
                'linked to ',
                {{ plural('exploiter_link_count', 'exploiter') }},
                ' (OCG or county-line nominals, or named in NRM referrals)',
                ' (', exploiter_link_bases, ')'
            ) end,
            case when deal_phone_count > 0 then 'uses a county line deal phone' end
        ) as reasons,
        cast(age_years as integer) as age_years,
        is_child,
        age_multiplier,
        round(missing_points, 6) as missing_points,
        round(repeat_missing_points, 6) as repeat_missing_points,
        round(found_elsewhere_points, 6) as found_elsewhere_points,
        round(exploitation_flag_points, 6) as exploitation_flag_points,
        round(exploitation_victim_points, 6) as exploitation_victim_points,
        round(nrm_points, 6) as nrm_points,
        round(safeguarding_points, 6) as safeguarding_points,
        round(intel_victim_points, 6) as intel_victim_points,
        round(line_role_points, 6) as line_role_points,
        round(exploiter_link_points, 6) as exploiter_link_points,
        round(deal_phone_points, 6) as deal_phone_points,
        missing_episode_count,
        max_episodes_in_span,
        found_elsewhere_count,
        exploitation_flag_count,
        exploitation_victim_count,
        nrm_referral_count,
        safeguarding_referral_count,
        intel_victim_count,
        exploiter_link_count,
        deal_phone_count,
        last_missing_on,
        as_of_on as scored_as_of

    from scored
    where score > 0

)

select * from final
