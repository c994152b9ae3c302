-- One row per pair of resolved people and basis of association, with the evidence counted and dated:
--   co_offending      both suspects or offenders of one crime (force or partner crime events)
--   co_subject        both named in one intelligence log (any role in the log)
--   same_ocg          both current nominals of one OCG Mapping group
--   same_county_line  both current nominals of one CLICM county line
--   shared_phone      both give the same phone number as their own (person_object own_phone)
--   exploiter_of      person a is named as alleged exploiter in an NRM referral of potential victim b
-- Every basis but exploiter_of is symmetric: the pair is ordered person_id_a < person_id_b and
-- appears once per basis. exploiter_of is directed (is_directed): a is the exploiter, b the victim,
-- and the opposite direction, if evidenced, is a row of its own. A person is never paired with
-- themself (two records of one person in one event are not an association).
with

person_events as (

    select * from {{ ref('person_event') }}

),

group_nominals as (

    select * from {{ ref('organised_crime_group_nominal') }}

),

line_nominals as (

    select * from {{ ref('county_line_nominal') }}

),

person_objects as (

    select * from {{ ref('person_object') }}

),

-- every person in every shared context, once: (basis, context) -> person, dated, with its source
members as (

    select
        'co_offending' as basis,
        event_id as context_id,
        person_id,
        source_name,
        first_seen_on,
        last_seen_on
    from person_events
    where event_type = 'crime' and role in ('suspect', 'offender')

    union all

    select
        'co_subject' as basis,
        event_id as context_id,
        person_id,
        source_name,
        first_seen_on,
        last_seen_on
    from person_events
    where event_type = 'intel'

    union all

    select
        'same_ocg' as basis,
        ocg_id as context_id,
        person_id,
        'ocgm' as source_name,
        first_seen_on,
        last_seen_on
    from group_nominals

    union all

    select
        'same_county_line' as basis,
        line_id as context_id,
        person_id,
        'clicm' as source_name,
        first_seen_on,
        last_seen_on
    from line_nominals

    union all

    select
        'shared_phone' as basis,
        object_id as context_id,
        person_id,
        source_name,
        first_seen_on,
        last_seen_on
    from person_objects
    where relationship = 'own_phone'

),

distinct_members as (

    select
        basis,
        context_id,
        person_id,
        min(first_seen_on) as first_seen_on,
        max(last_seen_on) as last_seen_on,
        {{ string_agg_distinct('source_name') }} as source_names

    from members
    where person_id is not null
    group by basis, context_id, person_id

),

-- each unordered pair of different people sharing a context, once
symmetric_pairs as (

    select
        member_a.basis,
        member_a.context_id,
        member_a.person_id as person_id_a,
        member_b.person_id as person_id_b,
        false as is_directed,
        -- least and greatest skip nulls on DuckDB and Spark alike
        least(member_a.first_seen_on, member_b.first_seen_on) as first_seen_on,
        greatest(member_a.last_seen_on, member_b.last_seen_on) as last_seen_on,
        member_a.source_names as source_names_a,
        member_b.source_names as source_names_b

    from distinct_members as member_a
    inner join distinct_members as member_b
        on
            member_a.basis = member_b.basis
            and member_a.context_id = member_b.context_id
            and member_a.person_id < member_b.person_id

),

referral_exploiters as (

    select * from person_events
    where event_type = 'nrm_referral' and role = 'alleged_exploiter' and person_id is not null

),

referral_victims as (

    select * from person_events
    where event_type = 'nrm_referral' and role = 'referred_victim' and person_id is not null

),

-- the alleged exploiter (a) of the potential victim (b) of one referral: directed
directed_pairs as (

    select
        'exploiter_of' as basis,
        referral_exploiters.event_id as context_id,
        referral_exploiters.person_id as person_id_a,
        referral_victims.person_id as person_id_b,
        true as is_directed,
        referral_exploiters.first_seen_on,
        referral_exploiters.last_seen_on,
        referral_exploiters.source_name as source_names_a,
        referral_victims.source_name as source_names_b

    from referral_exploiters
    inner join referral_victims
        on
            referral_exploiters.event_id = referral_victims.event_id
            and referral_exploiters.person_id != referral_victims.person_id

),

pairs as (

    select * from symmetric_pairs
    union all
    select * from directed_pairs

),

-- the sources of both sides of each piece of evidence, one row per source
pair_sources as (

    select
        basis,
        person_id_a,
        person_id_b,
        {{ split_to_rows('source_names_a', ';') }} as source_name
    from pairs

    union all

    select
        basis,
        person_id_a,
        person_id_b,
        {{ split_to_rows('source_names_b', ';') }} as source_name
    from pairs

),

source_lists as (

    select
        basis,
        person_id_a,
        person_id_b,
        {{ string_agg_distinct('source_name') }} as source_names

    from pair_sources
    group by basis, person_id_a, person_id_b

),

evidence as (

    select
        basis,
        person_id_a,
        person_id_b,
        is_directed,
        min(first_seen_on) as first_seen_on,
        max(last_seen_on) as last_seen_on,
        count(distinct context_id) as evidence_count

    from pairs
    group by basis, person_id_a, person_id_b, is_directed

),

final as (

    select
        {{ oe_hash(['evidence.basis', 'evidence.person_id_a', 'evidence.person_id_b']) }} as person_association_id,
        evidence.person_id_a,
        evidence.person_id_b,
        evidence.basis,
        evidence.is_directed,
        evidence.first_seen_on,
        evidence.last_seen_on,
        evidence.evidence_count,
        source_lists.source_names

    from evidence
    left join source_lists
        on
            evidence.basis = source_lists.basis
            and evidence.person_id_a = source_lists.person_id_a
            and evidence.person_id_b = source_lists.person_id_b

)

select * from final
