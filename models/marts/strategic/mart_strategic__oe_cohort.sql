-- The OE cohort for wide sharing: one row per person ranked by either OE score (high-harm offenders,
-- people at risk of exploitation), with their decile in each, sex, age band and how many forces
-- know them. The person is identified only by person_pseudonym: in the warehouse it holds the
-- internal person_id, and every published copy (gold, serving) holds HMAC-SHA256 of it with the key
-- in OE_PSEUDONYM_KEY, applied by the publish step (oe_platform/governance/pseudonym.py), so no
-- recipient can join a row back to the platform or to another release made with another key.
with

offenders as (

    select * from {{ ref('mart_oe__high_harm_offenders') }}

),

vulnerable as (

    select * from {{ ref('mart_safeguarding__vulnerable_persons') }}

),

people as (

    select * from {{ ref('person') }}

),

cohort as (

    select person_id from offenders
    union
    select person_id from vulnerable

),

as_of as (

    {{ scoring_as_of_select() }}

),

final as (

    select
        cohort.person_id as person_pseudonym,
        coalesce(people.sex_code, 'unknown') as sex_code,
        {{ age_band('people.date_of_birth', 'as_of.as_of_on') }} as age_band,
        coalesce(people.force_count, 0) as force_count,
        offenders.decile as high_harm_decile,
        vulnerable.decile as vulnerability_decile,
        offenders.person_id is not null as is_ranked_high_harm,
        vulnerable.person_id is not null as is_ranked_vulnerable,
        as_of.as_of_on as scored_as_of

    from cohort
    cross join as_of
    left join people
        on cohort.person_id = people.person_id
    left join offenders
        on cohort.person_id = offenders.person_id
    left join vulnerable
        on cohort.person_id = vulnerable.person_id

)

select * from final
